//! A scenario as typed data: the plugins and their scripts, the world, the client steps,
//! and what must come out (step results, plugin logs, verdict, and which mutants it catches).
//!
//! Owns the shape only; `parse` builds it from TOML and validates it, `driver` runs it.

use std::sync::Arc;
use std::time::Duration;

use plughost_model::design::{Design, Mutant};
use plughost_model::hresult::HResult;
use plughost_model::ids::Name;
use plughost_model::plugin_manager::PluginRegistration;
use plughost_model::world::World;
use plughost_sim::Budget;
use plughost_sim::faults::FaultBudget;

use crate::verdict::{Verdict, VerdictSet};

/// One scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The name (the file stem).
    pub name: String,
    /// What `--scenario` takes to load it again: the catalogue name, or the file's path as
    /// it was given. Printed commands carry it.
    pub source: String,
    /// The file's text, as parsed: [`Scenario::unshared`] parses it again, and
    /// [`Scenario::content_hash`] hashes it.
    pub text: Arc<str>,
    /// What it exercises.
    pub description: String,
    /// The spec section or test it comes from.
    pub spec: Option<String>,
    /// What exists outside the service.
    pub world: Arc<World>,
    /// Registered plugins, in enumeration order.
    pub plugins: Vec<PluginRegistration>,
    /// Client steps, in order.
    pub steps: Vec<Step>,
    /// What must come out.
    pub expect: Expectations,
    /// Mutants this scenario catches, with the verdict it catches them with.
    pub catches: Vec<(Mutant, Verdict)>,
    /// Exploration defaults.
    pub explore: ExploreDefaults,
    /// Whether the service stops (teardown hooks, hosts killed) after the last step.
    pub stop_service: bool,
    /// What the real backend can check of this scenario.
    pub real: RealExpectations,
    /// The faults exploration may inject by default (`[faults]`; none when absent). A run
    /// in which one was injected is judged by the always-on oracles alone.
    pub faults: FaultBudget,
    /// What each design other than the pump does where it differs (`[design.<name>]`); a
    /// design not listed expects the pump's verdict, without its defects.
    pub designs: Vec<(Design, DesignExpectation)>,
}

/// What one design other than the pump does with a scenario, and why it differs.
#[derive(Clone, Debug)]
pub struct DesignExpectation {
    /// The verdict of every seed.
    pub verdict: Verdict,
    /// The design's own defects: some seed ends with each, every other one passes.
    pub defects: VerdictSet,
    /// One line on why this design's outcome differs from passing.
    pub why: String,
}

/// What a run on real threads and processes can be held to. Real runs cannot force an
/// interleaving: every scenario must pass on the pump design, but only the mutants listed
/// here are caught whatever the schedule (the file's `note` says why the others are not).
#[derive(Clone, Debug, Default)]
pub struct RealExpectations {
    /// Mutants every real run catches (a subset of `catches`).
    pub catches: Vec<Mutant>,
    /// Why the other mutants are not checked on real runs.
    pub note: Option<String>,
    /// A shorter watchdog for this scenario (one that hits a defect of the design hangs).
    pub watchdog: Option<std::time::Duration>,
    /// The most real runs one invocation makes of this scenario (each hit of a defect costs
    /// a watchdog period).
    pub max_runs: Option<u32>,
}

impl Scenario {
    /// A hash of the file's bytes (FNV-1a, 64 bits): decision lists carry it, so a list is
    /// never replayed against a scenario that changed. Stable across platforms and
    /// releases, which is all a list's header needs (it detects a changed file; it is not a
    /// defence against forgery).
    pub fn content_hash(&self) -> u64 {
        self.text
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
    }

    /// A copy that shares no allocation with this scenario: parsed again from its text, with
    /// the same `source`. Every run clones the scenario's script blocks, world and long
    /// names (reference counted), so OS threads running one scenario each take their own
    /// copy: counts written from two cores at once cost `pump_kernel` about a sixth of its
    /// runs per second.
    pub fn unshared(&self) -> Scenario {
        let parsed = crate::parse::parse(&self.name, &self.source, &self.text)
            .unwrap_or_else(|e| panic!("a scenario that parsed once parses again: {e}"));
        Scenario { source: self.source.clone(), ..parsed }
    }

    /// The verdict every seed must end with on `design`, and the defects exploration must
    /// find there: the pump's from `[expect]`, another design's from its `[design.<name>]`
    /// section. A design with no section expects the pump's `verdict` — `pass`, or the wedge
    /// a scripted hang causes whatever the design — but never the pump's `defects`, which
    /// are the pump design's own.
    pub fn outcome_on(&self, design: Design) -> (Verdict, VerdictSet) {
        if design == Design::Pump {
            return (self.expect.verdict, self.expect.defects);
        }
        self.designs
            .iter()
            .find(|(d, _)| *d == design)
            .map_or((self.expect.verdict, VerdictSet::default()), |(_, e)| (e.verdict, e.defects))
    }

    /// Why `design`'s outcome differs from passing, when its section says.
    pub fn why_on(&self, design: Design) -> Option<&str> {
        self.designs.iter().find(|(d, _)| *d == design).map(|(_, e)| e.why.as_str())
    }

    /// Every step that runs on a thread of its own, numbered from 1 in the order the driver
    /// starts them (a parallel group contributes its members, not itself).
    pub fn numbered_steps(&self) -> impl Iterator<Item = (u32, &Step)> {
        let leaves = self.steps.iter().flat_map(|step| match &step.action {
            StepAction::Parallel(members) => members.as_slice(),
            _ => std::slice::from_ref(step),
        });
        (1..).zip(leaves)
    }
}

/// A client step.
#[derive(Clone, Debug)]
pub struct Step {
    /// What the client asks for.
    pub action: StepAction,
    /// The user session it runs in (from 1).
    pub session: u32,
    /// The client-visible result it must get (`None` for composite and sleep steps, and for
    /// a step whose result is not checked: `expect = "any"`).
    pub expect: Option<ExpectedResult>,
}

/// A client-visible result a step must get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectedResult {
    /// Success.
    Ok,
    /// The step never returns: the design wedges in it (a hung hook, spec §9.3). Only a
    /// scenario that expects a deadlock may say so.
    Hangs,
    /// A failure with this HRESULT and, when given, exactly this message.
    Err {
        /// The HRESULT.
        hr: ExpectedHr,
        /// The message, if the scenario pins it.
        message: Option<String>,
    },
}

/// The HRESULT an expected failure carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedHr {
    /// Exactly this value.
    Exact(HResult),
    /// Any of the crash HRESULTs of spec §5.2 (`hr = "host-crash"`): which one a dying
    /// host's call fails with is the transport's choice, and WSL's own tests assert the
    /// plugin-named message and the latch, not the code.
    HostCrash,
}

/// The client operations.
#[derive(Clone, Debug)]
pub enum StepAction {
    /// An operation that needs only the VM (`wsl --mount`): `_CreateVm`.
    StartVm,
    /// `wsl -d NAME` (creates the VM if needed).
    StartDistro(Name),
    /// `wsl --terminate NAME`.
    TerminateDistro(Name),
    /// `wsl --shutdown`.
    Shutdown,
    /// `wsl --import` of a new distribution.
    RegisterDistro(Name),
    /// `wsl --unregister NAME`.
    UnregisterDistro(Name),
    /// `wsl --import-in-place NAME`: the hook fires under the instance lock.
    ImportInPlace(Name),
    /// The distribution's init exits on its own: the VM's exit callback stops the instance.
    DistroExits(Name),
    /// The VM exits unexpectedly: the compute system's exit callback stops everything.
    VmExits,
    /// `IWSLCSessionManager::CreateSession(name)`, opening an existing one when asked.
    WslcCreateSession { name: Name, open_existing: bool },
    /// `OpenSessionByName(name)`.
    WslcOpenSession(Name),
    /// The client terminates its WSLC session (the manager learns of it later).
    WslcTerminateSession(Name),
    /// The session's per-user process tells the service about a container or an image.
    Wslc { session: Name, event: WslcEvent, object: Name },
    /// The client waits (e.g. a command runs in the distribution).
    Sleep(Duration),
    /// Steps issued concurrently, each on its own service thread.
    Parallel(Vec<Step>),
}

impl StepAction {
    /// A short kebab-case label, used in thread names.
    pub fn label(&self) -> &'static str {
        match self {
            StepAction::StartVm => "start-vm",
            StepAction::StartDistro(_) => "start-distro",
            StepAction::TerminateDistro(_) => "terminate-distro",
            StepAction::Shutdown => "shutdown",
            StepAction::RegisterDistro(_) => "register-distro",
            StepAction::UnregisterDistro(_) => "unregister-distro",
            StepAction::ImportInPlace(_) => "import-in-place",
            StepAction::DistroExits(_) => "distro-exits",
            StepAction::VmExits => "vm-exits",
            StepAction::WslcCreateSession { .. } => "wslc-create-session",
            StepAction::WslcOpenSession(_) => "wslc-open-session",
            StepAction::WslcTerminateSession(_) => "wslc-terminate-session",
            StepAction::Wslc { event, .. } => event.label(),
            StepAction::Sleep(_) => "sleep",
            StepAction::Parallel(_) => "parallel",
        }
    }

    /// The step as a client would type it.
    pub fn describe(&self) -> String {
        match self {
            StepAction::StartVm => "start the VM".to_string(),
            StepAction::StartDistro(name) => format!("start {name}"),
            StepAction::TerminateDistro(name) => format!("terminate {name}"),
            StepAction::Shutdown => "shutdown".to_string(),
            StepAction::RegisterDistro(name) => format!("register {name}"),
            StepAction::UnregisterDistro(name) => format!("unregister {name}"),
            StepAction::ImportInPlace(name) => format!("import {name} in place"),
            StepAction::DistroExits(name) => format!("{name}'s init exits"),
            StepAction::VmExits => "the VM exits".to_string(),
            StepAction::WslcCreateSession { name, open_existing: false } => {
                format!("create WSLC session {name}")
            }
            StepAction::WslcCreateSession { name, open_existing: true } => {
                format!("create or open WSLC session {name}")
            }
            StepAction::WslcOpenSession(name) => format!("open WSLC session {name}"),
            StepAction::WslcTerminateSession(name) => format!("terminate WSLC session {name}"),
            StepAction::Wslc { session, event, object } => format!("{} {object} in {session}", event.verb()),
            StepAction::Sleep(duration) => format!("sleep {}ms", duration.as_millis()),
            StepAction::Parallel(steps) => format!("{} steps in parallel", steps.len()),
        }
    }
}

/// What a WSLC session's per-user process reports to the service (`IWSLCPluginNotifier`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WslcEvent {
    /// A container started (a veto: a failing plugin stops it and fails the start).
    ContainerStarted,
    /// A running container stops.
    ContainerStopping,
    /// An image arrived (pull or import).
    ImageCreated,
    /// An image was loaded from a file (`docker load`): plugins are not told.
    ImageLoaded,
    /// An image was deleted.
    ImageDeleted,
}

impl WslcEvent {
    fn label(self) -> &'static str {
        match self {
            WslcEvent::ContainerStarted => "wslc-start-container",
            WslcEvent::ContainerStopping => "wslc-stop-container",
            WslcEvent::ImageCreated => "wslc-pull-image",
            WslcEvent::ImageLoaded => "wslc-load-image",
            WslcEvent::ImageDeleted => "wslc-delete-image",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            WslcEvent::ContainerStarted => "start container",
            WslcEvent::ContainerStopping => "stop container",
            WslcEvent::ImageCreated => "pull image",
            WslcEvent::ImageLoaded => "load image",
            WslcEvent::ImageDeleted => "delete image",
        }
    }
}

/// Expected plugin log lines, matched with `*` and `?` wildcards.
#[derive(Clone, Debug)]
pub enum LogExpectation {
    /// One pattern per line, in order, all lines matched.
    Ordered(Vec<String>),
    /// A one-to-one match of lines to patterns, ignoring order.
    Unordered(Vec<String>),
}

/// What a run must produce besides passing the always-on oracles.
#[derive(Clone, Debug)]
pub struct Expectations {
    /// The verdict on the unmodified design.
    pub verdict: Verdict,
    /// Defects of the design itself (spec §9): some schedules end with each of these verdicts,
    /// every other one passes, and exploration must find each.
    pub defects: VerdictSet,
    /// Per plugin.
    pub logs: Vec<(Name, LogExpectation)>,
}

/// How much exploring a scenario gets by default.
#[derive(Clone, Copy, Debug)]
pub struct ExploreDefaults {
    /// Seeds per exploration.
    pub seeds: u64,
    /// The budgets of one run: virtual time, choice points, and how far the clock may run
    /// ahead of runnable threads.
    pub budget: Budget,
}

impl Default for ExploreDefaults {
    fn default() -> ExploreDefaults {
        ExploreDefaults {
            seeds: 10_000,
            budget: Budget {
                time: Duration::from_secs(120),
                steps: 2_000_000,
                preemption: Duration::from_millis(25),
            },
        }
    }
}
