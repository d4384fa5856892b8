//! Which design the service runs and which safety mechanism, if any, a mutant removes.
//!
//! Owns the catalogue of designs and mutants and their names on the command line. Model
//! code asks [`Variant::has`] at the one place each mechanism lives; it never branches on
//! a mutant anywhere else.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A service design (DESIGN §3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum Design {
    /// PR 40769: hooks on a pump worker, callbacks pumped onto the notifying thread.
    Pump,
    /// PR 40120: hooks called directly on the notifying thread; callbacks on RPC threads under
    /// a second, shared lock, `m_callbackLock` (spec §7).
    CallbackLock,
    /// The in-process baseline (spec Appendix A): plugins inside the service, hooks on the
    /// notifying thread, callbacks on the plugin's own thread under the recursive lock.
    InProcess,
}

impl Design {
    /// Every modelled design.
    pub const ALL: [Design; 3] = [Design::Pump, Design::CallbackLock, Design::InProcess];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Design::Pump => "pump",
            Design::CallbackLock => "callback-lock",
            Design::InProcess => "in-process",
        }
    }

    /// One line on what the design is.
    pub fn summary(self) -> &'static str {
        match self {
            Design::Pump => "PR 40769: threaded callback pump, single recursive instance lock",
            Design::CallbackLock => {
                "PR 40120: direct hooks, callbacks on RPC threads under a shared m_callbackLock"
            }
            Design::InProcess => "before both: plugins in the service; a plugin crash is a service crash",
        }
    }

    /// Whether plugins run in host processes of their own.
    pub fn out_of_process(self) -> bool {
        self != Design::InProcess
    }

    /// Parses a command-line name.
    pub fn parse(text: &str) -> Option<Design> {
        Design::ALL.into_iter().find(|design| design.name() == text)
    }
}

/// One safety mechanism removed from the pump design (spec §2, §4.4, §4.6, §5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum Mutant {
    /// The direct path blocks on `m_instanceLock` instead of the 25 ms timed acquire (§4.6 step 4).
    NoTimedAcquire,
    /// A timed-out direct acquire fails the callback instead of re-checking for a pump (§4.6 step 5).
    NoRecheck,
    /// `Run` learns of the worker's completion only from the wait's result (§4.4 third bullet).
    NoWorkerDonePoll,
    /// `Invoke` on a stopped pump reports "ran" without running the work (§4.3 step 2).
    StoppedReportedAsRan,
    /// `LatchHostCrash` records nothing (§5.3).
    NoCrashLatch,
    /// A host crash during a start hook is logged and skipped, as in PR 40120's first commit (§7).
    CrashNotFatalOnStart,
    /// `RunHostNotification` never registers its pump, so callbacks during a hook take the
    /// direct path (§4.5): the mechanism the pump design is built on.
    NoPumpRegistration,
    /// A callback with no pump in flight fails instead of running under the instance lock
    /// (§4.6 steps 3–5), as a design that only serves callbacks during hooks would.
    NoDirectPath,
    /// The host dispatches hooks without `m_hookLock`, so one plugin's hooks overlap across
    /// sessions and notifying threads (§1.3, §2.2, I-14).
    NoHookLock,
    /// The idle timer's callback terminates the VM without re-checking `_VmIsIdle` under the
    /// lock, although a client may have started an instance since it fired (§1.2).
    IdleTerminateWithoutRecheck,
    /// The VM's distribution-exit callback blocks on `m_instanceLock` instead of trying it
    /// and giving up once `m_vmTerminating` is set (§1.3), while the VM's destructor, under
    /// that lock, waits for it.
    ExitCallbackBlocks,
    /// A teardown hook's fan-out stops at the first plugin that fails it (crash or error),
    /// so later plugins never get the hook (§2 "Teardown/informational hooks", I-9).
    TeardownStopsAtFirstFailure,
    /// A start hook's fan-out goes on to every plugin after one failed it, reporting the
    /// first failure at the end (§2: the first failing plugin stops the loop).
    StartHookContinuesAfterFailure,
    /// A plugin-returned start-hook failure is latched as the fatal plugin error, as a crash
    /// is (§2.1 "not latched", I-10).
    PluginErrorLatched,
    /// The host drops the `PluginError` text of a start hook instead of returning it in the
    /// hook's `[out] ErrorMessage` (§2.2, I-15).
    PluginErrorTextDropped,
    /// A failed `OnVMStarted` leaves `_CreateVm` without `_VmTerminate`, so no plugin gets
    /// `OnVMStopping` and the VM stays up (§2.1, I-11).
    NoVmTerminateOnStartFailure,
    /// `_CreateInstance` keeps an instance whose `OnDistributionStarted` failed in
    /// `m_runningInstances` (no `cleanupOnFailure`), so its stop later fires
    /// `OnDistributionStopping` for a start that never happened (§2.1).
    StoppingAfterFailedStart,
    /// A plugin whose load fails is skipped without recording the fatal error, so VM creation
    /// goes ahead without it (§5.1 `m_pluginError`, §2 `ThrowIfFatalPluginError`).
    LoadFailureNotFatal,
    /// A new WSLC session is registered with the plugin manager only after
    /// `OnWslcSessionCreated`, so callbacks during that hook cannot resolve it (§6.1 step 2).
    WslcRegisterAfterNotify,
    /// A vetoed or race-lost WSLC session is terminated without its `OnSessionStopping`, as
    /// before PR 40120 (§6.1 step 7).
    WslcVetoWithoutStopping,
    /// A WSLC session's reference is unregistered before its `OnSessionStopping`, so the
    /// plugin cannot resolve it while handling the hook (§6.2).
    WslcUnregisterBeforeStopping,
    /// The manager's teardown notifies sessions with `m_wslcSessionsLock` still held (§6.2:
    /// stopping is always dispatched with the lock released).
    WslcStoppingUnderSessionsLock,
    /// The per-user process keeps a container running after a plugin vetoed its start (§2.1
    /// `ContainerStarted`).
    WslcContainerVetoIgnored,
    /// `LoadPlugins` keeps a DLL path already registered under another value name, so the
    /// same plugin is activated twice (§5.1: a path already seen is skipped, first name wins).
    NoPathDedup,
    /// Every host is activated when the service starts, as the in-process design loaded its
    /// DLLs, instead of on first use (§5.1 lazy activation; §2.1: WSL1-only use never
    /// activates a host).
    EagerActivation,
    /// The host loads a DLL whose signature does not verify (§5.1 `Initialize`:
    /// `TRUST_E_NOSIGNATURE`).
    NoSignatureCheck,
    /// Hooks hand the host the service's own token handle value instead of a handle COM
    /// duplicates into the host (`system_handle(sh_token)`, §2.2): the plugin cannot use it.
    RawTokenHandle,
    /// `OnDistributionStarted` carries the instance's fresh GUID (`CoCreateGuid` at every
    /// start) instead of the distribution's registration id (§8 test 6).
    DistroIdPerInstance,
    /// `wsl --terminate` fires `OnDistributionStopping` but neither stops nor erases the
    /// instance (§2.1: the hook comes before `Stop()` and the erase), so the next start
    /// finds the old instance running.
    TerminateKeepsInstance,
    /// The WSLC veto hooks consult the fatal-error latch first (`ThrowIfFatalPluginError`, as
    /// `_CreateVm` does), so a latched crash fails every WSLC session and container start
    /// without asking a plugin (§9.8: nothing on the WSLC path consults the latch).
    WslcGatedByLatch,
    /// Callback-lock design: a callback takes `m_instanceLock` (before `m_callbackLock`), which
    /// the notifying thread holds across every hook (§7: callbacks must never take it).
    CallbackTakesInstanceLock,
    /// Callback-lock design: a callback takes `m_instanceLock` inside its shared
    /// `m_callbackLock` section, the reverse of the order `m_instanceLock → m_callbackLock`
    /// (§7), as a `_RunningInstance` lookup would.
    CallbackLockOrderReversed,
    /// Callback-lock design: `_VmTerminate`'s exclusive section (the VM reset) runs before
    /// `OnVMStopping` instead of after it, so plugins are told of a VM that is already gone (§7).
    VmResetBeforeStopping,
    /// Callback-lock design: the host's API stubs no longer hold `g_hostLock` shared, so a
    /// stub can use the host object its destructor is freeing (§7, the use-after-free of §9.10).
    NoHostStubLock,
}

impl Mutant {
    /// Every mutant.
    pub const ALL: [Mutant; 34] = [
        Mutant::NoTimedAcquire,
        Mutant::NoRecheck,
        Mutant::NoWorkerDonePoll,
        Mutant::StoppedReportedAsRan,
        Mutant::NoCrashLatch,
        Mutant::CrashNotFatalOnStart,
        Mutant::NoPumpRegistration,
        Mutant::NoDirectPath,
        Mutant::NoHookLock,
        Mutant::IdleTerminateWithoutRecheck,
        Mutant::ExitCallbackBlocks,
        Mutant::TeardownStopsAtFirstFailure,
        Mutant::StartHookContinuesAfterFailure,
        Mutant::PluginErrorLatched,
        Mutant::PluginErrorTextDropped,
        Mutant::NoVmTerminateOnStartFailure,
        Mutant::StoppingAfterFailedStart,
        Mutant::LoadFailureNotFatal,
        Mutant::WslcRegisterAfterNotify,
        Mutant::WslcVetoWithoutStopping,
        Mutant::WslcUnregisterBeforeStopping,
        Mutant::WslcStoppingUnderSessionsLock,
        Mutant::WslcContainerVetoIgnored,
        Mutant::NoPathDedup,
        Mutant::EagerActivation,
        Mutant::NoSignatureCheck,
        Mutant::RawTokenHandle,
        Mutant::DistroIdPerInstance,
        Mutant::TerminateKeepsInstance,
        Mutant::WslcGatedByLatch,
        Mutant::CallbackTakesInstanceLock,
        Mutant::CallbackLockOrderReversed,
        Mutant::VmResetBeforeStopping,
        Mutant::NoHostStubLock,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Mutant::NoTimedAcquire => "no-timed-acquire",
            Mutant::NoRecheck => "no-recheck",
            Mutant::NoWorkerDonePoll => "no-workerdone-poll",
            Mutant::StoppedReportedAsRan => "stopped-reported-as-ran",
            Mutant::NoCrashLatch => "no-crash-latch",
            Mutant::CrashNotFatalOnStart => "crash-not-fatal-on-start",
            Mutant::NoPumpRegistration => "no-pump-registration",
            Mutant::NoDirectPath => "no-direct-path",
            Mutant::NoHookLock => "no-hook-lock",
            Mutant::IdleTerminateWithoutRecheck => "idle-terminate-without-recheck",
            Mutant::ExitCallbackBlocks => "exit-callback-blocks",
            Mutant::TeardownStopsAtFirstFailure => "teardown-stops-at-first-failure",
            Mutant::StartHookContinuesAfterFailure => "start-hook-continues-after-failure",
            Mutant::PluginErrorLatched => "plugin-error-latched",
            Mutant::PluginErrorTextDropped => "plugin-error-text-dropped",
            Mutant::NoVmTerminateOnStartFailure => "no-vm-terminate-on-start-failure",
            Mutant::StoppingAfterFailedStart => "stopping-after-failed-start",
            Mutant::LoadFailureNotFatal => "load-failure-not-fatal",
            Mutant::WslcRegisterAfterNotify => "wslc-register-after-notify",
            Mutant::WslcVetoWithoutStopping => "wslc-veto-without-stopping",
            Mutant::WslcUnregisterBeforeStopping => "wslc-unregister-before-stopping",
            Mutant::WslcStoppingUnderSessionsLock => "wslc-stopping-under-sessions-lock",
            Mutant::WslcContainerVetoIgnored => "wslc-container-veto-ignored",
            Mutant::NoPathDedup => "no-path-dedup",
            Mutant::EagerActivation => "eager-activation",
            Mutant::NoSignatureCheck => "no-signature-check",
            Mutant::RawTokenHandle => "raw-token-handle",
            Mutant::DistroIdPerInstance => "distro-id-per-instance",
            Mutant::TerminateKeepsInstance => "terminate-keeps-instance",
            Mutant::WslcGatedByLatch => "wslc-gated-by-latch",
            Mutant::CallbackTakesInstanceLock => "callback-takes-instance-lock",
            Mutant::CallbackLockOrderReversed => "callback-lock-order-reversed",
            Mutant::VmResetBeforeStopping => "vm-reset-before-stopping",
            Mutant::NoHostStubLock => "no-host-stub-lock",
        }
    }

    /// One line on what the mutant removes.
    pub fn summary(self) -> &'static str {
        match self {
            Mutant::NoTimedAcquire => "direct path blocks on the instance lock (no 25 ms timed acquire)",
            Mutant::NoRecheck => "a timed-out direct acquire fails the callback instead of re-checking",
            Mutant::NoWorkerDonePoll => "the pump learns of completion only from the wait's result",
            Mutant::StoppedReportedAsRan => "Invoke on a stopped pump reports success without running",
            Mutant::NoCrashLatch => "a host crash is not latched as a fatal plugin error",
            Mutant::CrashNotFatalOnStart => "a host crash during a start hook does not fail the start",
            Mutant::NoPumpRegistration => {
                "hooks never register their pump: callbacks always take the direct path"
            }
            Mutant::NoDirectPath => "a callback outside any hook fails instead of running under the lock",
            Mutant::NoHookLock => "the host runs a plugin's hooks without its hook lock",
            Mutant::IdleTerminateWithoutRecheck => {
                "the idle timer terminates the VM without re-checking idleness"
            }
            Mutant::ExitCallbackBlocks => "the distribution-exit callback blocks on the instance lock",
            Mutant::TeardownStopsAtFirstFailure => "a teardown hook stops at the first plugin that fails it",
            Mutant::StartHookContinuesAfterFailure => {
                "a start hook reaches every plugin although one failed it"
            }
            Mutant::PluginErrorLatched => "a plugin-returned start-hook failure is latched like a crash",
            Mutant::PluginErrorTextDropped => "the host drops PluginError's text from a start hook's reply",
            Mutant::NoVmTerminateOnStartFailure => "a failed OnVMStarted leaves the VM up (no _VmTerminate)",
            Mutant::StoppingAfterFailedStart => {
                "an instance whose OnDistributionStarted failed stays running"
            }
            Mutant::LoadFailureNotFatal => "a plugin that fails to load is skipped, not a fatal error",
            Mutant::WslcRegisterAfterNotify => {
                "a WSLC session is registered for callbacks only after OnSessionCreated"
            }
            Mutant::WslcVetoWithoutStopping => "a vetoed WSLC session gets no OnSessionStopping",
            Mutant::WslcUnregisterBeforeStopping => {
                "a WSLC session stops resolving before its OnSessionStopping"
            }
            Mutant::WslcStoppingUnderSessionsLock => {
                "WSLC sessions are notified of stopping under the sessions lock"
            }
            Mutant::WslcContainerVetoIgnored => "a container a plugin vetoed keeps running",
            Mutant::NoPathDedup => "a DLL registered under two names is loaded twice",
            Mutant::EagerActivation => "every host is activated when the service starts, not on first use",
            Mutant::NoSignatureCheck => "the host loads a DLL whose signature does not verify",
            Mutant::RawTokenHandle => "hooks pass the service's token handle, unusable in the host",
            Mutant::DistroIdPerInstance => "plugins see a fresh distribution GUID at every start",
            Mutant::TerminateKeepsInstance => {
                "wsl --terminate notifies plugins but leaves the instance running"
            }
            Mutant::WslcGatedByLatch => "a latched crash fails WSLC veto hooks before any plugin is asked",
            Mutant::CallbackTakesInstanceLock => "callback-lock design: a callback takes m_instanceLock",
            Mutant::CallbackLockOrderReversed => {
                "callback-lock design: a callback takes m_instanceLock inside m_callbackLock"
            }
            Mutant::VmResetBeforeStopping => "callback-lock design: the VM is reset before OnVMStopping",
            Mutant::NoHostStubLock => "callback-lock design: API stubs run without g_hostLock",
        }
    }

    /// The design a scenario's claim to catch this mutant is judged on: the first design
    /// (in [`Design::ALL`] order) that has the mechanism.
    pub fn home_design(self) -> Design {
        Design::ALL
            .into_iter()
            .find(|&design| self.applies_to(design))
            .expect("every mutant applies to some design")
    }

    /// Whether `design` has the mechanism this mutant removes: the pump's own mechanisms only
    /// the pump design has; crash latching, the host's hook lock and the WSLC path only the
    /// designs with host processes; the session's and the fan-out's mechanisms every design.
    pub fn applies_to(self, design: Design) -> bool {
        use Mutant::*;
        match self {
            NoTimedAcquire | NoRecheck | NoWorkerDonePoll | StoppedReportedAsRan | NoPumpRegistration
            | NoDirectPath => design == Design::Pump,
            NoCrashLatch
            | CrashNotFatalOnStart
            | NoHookLock
            | WslcRegisterAfterNotify
            | WslcVetoWithoutStopping
            | WslcUnregisterBeforeStopping
            | WslcStoppingUnderSessionsLock
            | WslcContainerVetoIgnored => design.out_of_process(),
            IdleTerminateWithoutRecheck
            | ExitCallbackBlocks
            | TeardownStopsAtFirstFailure
            | StartHookContinuesAfterFailure
            | PluginErrorLatched
            | PluginErrorTextDropped
            | NoVmTerminateOnStartFailure
            | StoppingAfterFailedStart
            | LoadFailureNotFatal
            | NoPathDedup
            | NoSignatureCheck
            | DistroIdPerInstance
            | TerminateKeepsInstance => true,
            // The WSLC path has no latch consultation in any design with hosts.
            WslcGatedByLatch => design.out_of_process(),
            // The in-process design loads every DLL when the service starts, and its plugins
            // use the service's own token handle: neither mechanism exists there.
            EagerActivation | RawTokenHandle => design.out_of_process(),
            CallbackTakesInstanceLock
            | CallbackLockOrderReversed
            | VmResetBeforeStopping
            | NoHostStubLock => design == Design::CallbackLock,
        }
    }

    /// Parses a command-line name.
    pub fn parse(text: &str) -> Option<Mutant> {
        Mutant::ALL.into_iter().find(|mutant| mutant.name() == text)
    }
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Design {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A design with at most one mechanism removed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Variant {
    /// The design.
    pub design: Design,
    /// The removed mechanism, if any.
    pub mutant: Option<Mutant>,
}

impl Variant {
    /// The unmodified pump design.
    pub const PUMP: Variant = Variant { design: Design::Pump, mutant: None };

    /// Whether this variant runs with `mutant` applied.
    pub fn has(self, mutant: Mutant) -> bool {
        self.mutant == Some(mutant)
    }
}
