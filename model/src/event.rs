//! Model events: the facts the model states about itself as it runs, for traces and oracles.
//!
//! Owns the event vocabulary and its one-line canonical text. Events are emitted through
//! [`crate::platform::Platform::emit`]; the platform stamps them with time and thread and
//! hands them to an [`EventSink`]. Emitting never blocks and is never a scheduling point,
//! so an event emitted right after an operation is ordered with it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

use crate::fact::Fact;
use crate::hresult::HResult;
use crate::ids::{CallbackId, Name, PumpId, SessionCookie};
use crate::platform::ThreadId;
use crate::wire::HookKind;

/// A failure a client sees: the HRESULT and, for plugin errors, the user-facing message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UserError {
    /// The error code.
    pub hr: HResult,
    /// The localized message (spec §2 `MessageFatalPluginError…`), if any.
    pub message: Option<String>,
}

impl UserError {
    /// An error without a user message.
    pub fn hr(hr: HResult) -> UserError {
        UserError { hr, message: None }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => write!(f, "{} \"{}\"", self.hr, message),
            None => write!(f, "{}", self.hr),
        }
    }
}

/// Where a callback's service-side work ran (spec §4.6; §7 and Appendix A for the other
/// designs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WorkSite {
    /// On the notifying thread, pumped by this pump (step 2).
    Pumped(PumpId),
    /// On the RPC thread under `m_instanceLock` (step 4).
    Direct,
    /// On the RPC thread without any lock: the session is unknown (step 3).
    NoSession,
    /// On the RPC thread under `m_callbackLock` taken shared (the callback-lock design).
    Shared,
    /// On the plugin's own thread, under `m_instanceLock` (the in-process design).
    Caller,
}

impl fmt::Display for WorkSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkSite::Pumped(pump) => write!(f, "pumped on {pump}"),
            WorkSite::Direct => f.write_str("direct"),
            WorkSite::NoSession => f.write_str("no session"),
            WorkSite::Shared => f.write_str("under the callback lock"),
            WorkSite::Caller => f.write_str("on the plugin's thread"),
        }
    }
}

/// Something the model did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ModelEvent {
    /// A client step started (emitted by the scenario driver): `op` names the client call
    /// (`start-distro`, `wslc-create-session`, …), `what` describes it.
    StepBegin { step: u32, op: &'static str, what: String },
    /// A client step finished.
    StepEnd { step: u32, result: Result<(), UserError> },
    /// A plugin host was activated and initialised (spec §5.1).
    HostActivated { plugin: Name },
    /// Loading a plugin failed; the error is recorded as fatal.
    PluginLoadFailed { plugin: Name, hr: HResult },
    /// `ThrowIfFatalPluginError` read the recorded error.
    FatalErrorChecked { error: Option<(Name, HResult)> },
    /// A hook fan-out over all loaded plugins began.
    FanOutBegin { hook: HookKind, session: SessionCookie },
    /// A hook fan-out ended; `failed` is the error it throws, if any.
    FanOutEnd { hook: HookKind, session: SessionCookie, failed: Option<HResult> },
    /// The service is about to notify one plugin.
    HookCall { hook: HookKind, plugin: Name, session: SessionCookie },
    /// The notification returned (plugin result or transport error).
    HookReturned { hook: HookKind, plugin: Name, hr: HResult, message: Option<String> },
    /// `LatchHostCrash`: `recorded` tells whether this crash became the fatal error.
    CrashLatched { plugin: Name, hr: HResult, recorded: bool },
    /// `PluginHostCrash` telemetry fired.
    CrashTelemetry { plugin: Name },
    /// `RegisterWslPump`.
    PumpRegistered { pump: PumpId, session: SessionCookie },
    /// `UnregisterWslPump` by `pump`'s notification; erases whichever pump the key held (§9.1).
    PumpUnregistered { pump: PumpId, session: SessionCookie, erased: Option<PumpId> },
    /// `Run` began on the calling (notifying) thread.
    PumpRunBegin { pump: PumpId },
    /// The pump's wait returned this index (0: call available, 1: worker done).
    PumpWoke { pump: PumpId, index: usize },
    /// The pump's worker signalled completion.
    PumpWorkerDone { pump: PumpId },
    /// `m_stopped` was set.
    PumpStopped { pump: PumpId },
    /// `Run` returned after joining its worker; `queued` calls were left in the queue.
    PumpRunEnd { pump: PumpId, queued: usize, stopped: bool },
    /// `Invoke` queued a call.
    PumpEnqueued { pump: PumpId, callback: CallbackId },
    /// `Invoke` found the pump stopped and reported "not run".
    PumpRefused { pump: PumpId, callback: CallbackId },
    /// A callback reached the service.
    CallbackReceived { callback: CallbackId, plugin: Name, session: SessionCookie, api: &'static str },
    /// The direct path's timed acquire of `m_instanceLock` timed out.
    DirectAcquireTimedOut { callback: CallbackId },
    /// A callback's service-side work began; `found` tells whether its cookie still resolved.
    WorkBegin { callback: CallbackId, session: SessionCookie, site: WorkSite },
    /// A callback's service-side work ended.
    WorkEnd { callback: CallbackId, hr: HResult },
    /// The service replied to a callback.
    CallbackReplied { callback: CallbackId, hr: HResult },
    /// The utility VM was created.
    VmCreated { session: SessionCookie },
    /// The utility VM was torn down.
    VmTerminated { session: SessionCookie },
    /// A distribution instance was added to the running set.
    DistroStarted { session: SessionCookie, distro: Name },
    /// A distribution instance was removed from the running set.
    DistroStopped { session: SessionCookie, distro: Name },
    /// A plugin wrote a line to its log.
    PluginLog { plugin: Name, line: String },
    /// A plugin's hook was entered (emitted by the plugin itself, on the hook's thread).
    PluginHookEntered { plugin: Name, hook: HookKind },
    /// A plugin's hook returned `hr` (emitted by the plugin itself, on the hook's thread).
    PluginHookLeft { plugin: Name, hook: HookKind, hr: HResult },
    /// A plugin's call to `PluginError(message)` returned `hr` (emitted by the plugin itself).
    PluginErrorCalled { plugin: Name, hr: HResult, message: String },
    /// The service finished stopping (emitted by the scenario driver).
    ServiceStopped,
    /// A WSLC callback resolved its session id through the reference map (or did not).
    WslcResolved { session: u32, found: bool },
    /// A WSLC session was terminated (vetoed, lost its race, ended by its client, or the
    /// service stopped).
    WslcSessionTerminated { session: u32 },
}

/// What a plugin observes of itself, in a form that crosses a process boundary: the
/// plugin-emitted [`ModelEvent`]s. The plugin is the test's stand-in for a plugin DLL, not
/// part of the system under test, so oracles may trust what it says it saw.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum PluginEvent {
    /// [`ModelEvent::PluginLog`].
    Log(String),
    /// [`ModelEvent::PluginHookEntered`].
    HookEntered(HookKind),
    /// [`ModelEvent::PluginHookLeft`].
    HookLeft(HookKind, HResult),
    /// [`ModelEvent::PluginErrorCalled`].
    PluginErrorCalled(HResult, String),
}

impl ModelEvent {
    /// The plugin and what it saw, for a plugin-emitted event.
    pub fn plugin_event(&self) -> Option<(&Name, PluginEvent)> {
        Some(match self {
            ModelEvent::PluginLog { plugin, line } => (plugin, PluginEvent::Log(line.clone())),
            ModelEvent::PluginHookEntered { plugin, hook } => (plugin, PluginEvent::HookEntered(*hook)),
            ModelEvent::PluginHookLeft { plugin, hook, hr } => (plugin, PluginEvent::HookLeft(*hook, *hr)),
            ModelEvent::PluginErrorCalled { plugin, hr, message } => {
                (plugin, PluginEvent::PluginErrorCalled(*hr, message.clone()))
            }
            _ => return None,
        })
    }

    /// The model event a plugin's observation stands for.
    pub fn from_plugin(plugin: Name, event: PluginEvent) -> ModelEvent {
        match event {
            PluginEvent::Log(line) => ModelEvent::PluginLog { plugin, line },
            PluginEvent::HookEntered(hook) => ModelEvent::PluginHookEntered { plugin, hook },
            PluginEvent::HookLeft(hook, hr) => ModelEvent::PluginHookLeft { plugin, hook, hr },
            PluginEvent::PluginErrorCalled(hr, message) => {
                ModelEvent::PluginErrorCalled { plugin, hr, message }
            }
        }
    }
}

/// Where stamped events and platform facts go: traces, oracles.
pub trait EventSink: Send + Sync + 'static {
    /// Receives one model event, in emission order.
    fn record(&self, at: Duration, thread: ThreadId, event: &ModelEvent);
    /// Receives one platform fact, in the order the platform observed them (interleaved
    /// with model events in one total order per process).
    fn fact(&self, at: Duration, fact: &Fact);

    /// Whether a check fed by these events and facts already failed (a simulator asked to
    /// end a run at its first violation asks at each choice point).
    fn violated(&self) -> bool {
        false
    }
}

/// How traces name a hook's session: `session#N` for WSL hooks, `wslc#N` for WSLC hooks.
fn subject(hook: &HookKind, session: &SessionCookie) -> String {
    session.name(hook.is_wslc())
}

fn opt_message(message: &Option<String>) -> String {
    message.as_ref().map(|m| format!(" \"{m}\"")).unwrap_or_default()
}

impl fmt::Display for ModelEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ModelEvent::*;
        match self {
            StepBegin { step, what, .. } => write!(f, "step {step} begins: {what}"),
            StepEnd { step, result: Ok(()) } => write!(f, "step {step} ends: ok"),
            StepEnd { step, result: Err(error) } => write!(f, "step {step} ends: {error}"),
            HostActivated { plugin } => write!(f, "host for {plugin} activated"),
            PluginLoadFailed { plugin, hr } => write!(f, "loading {plugin} failed: {hr}"),
            FatalErrorChecked { error: None } => write!(f, "fatal plugin error check: none"),
            FatalErrorChecked { error: Some((plugin, hr)) } => {
                write!(f, "fatal plugin error check: {plugin} {hr}")
            }
            FanOutBegin { hook, session } => write!(f, "{hook} fan-out begins ({})", subject(hook, session)),
            FanOutEnd { hook, session, failed: None } => {
                write!(f, "{hook} fan-out ends ({})", subject(hook, session))
            }
            FanOutEnd { hook, session, failed: Some(hr) } => {
                write!(f, "{hook} fan-out fails ({}): {hr}", subject(hook, session))
            }
            HookCall { hook, plugin, session } => {
                write!(f, "{hook} -> {plugin} ({})", subject(hook, session))
            }
            HookReturned { hook, plugin, hr, message } => {
                write!(f, "{hook} <- {plugin}: {hr}{}", opt_message(message))
            }
            CrashLatched { plugin, hr, recorded } => {
                let what = if *recorded { "latched" } else { "already latched" };
                write!(f, "host crash of {plugin} ({hr}): {what}")
            }
            CrashTelemetry { plugin } => write!(f, "PluginHostCrash telemetry for {plugin}"),
            PumpRegistered { pump, session } => write!(f, "{pump} registered for {session}"),
            PumpUnregistered { pump, session, erased: Some(erased) } if erased == pump => {
                write!(f, "{pump} unregistered from {session}")
            }
            PumpUnregistered { pump, session, erased: Some(erased) } => {
                write!(f, "{pump} unregisters {session}, erasing {erased}")
            }
            PumpUnregistered { pump, session, erased: None } => {
                write!(f, "{pump} unregisters {session}, already erased")
            }
            PumpRunBegin { pump } => write!(f, "{pump} runs"),
            PumpWoke { pump, index } => write!(f, "{pump} woke on index {index}"),
            PumpWorkerDone { pump } => write!(f, "{pump} worker done"),
            PumpStopped { pump } => write!(f, "{pump} stopped"),
            PumpRunEnd { pump, queued, stopped } => {
                write!(f, "{pump} returns (queued {queued}, stopped {stopped})")
            }
            PumpEnqueued { pump, callback } => write!(f, "{callback} queued on {pump}"),
            PumpRefused { pump, callback } => write!(f, "{callback} refused by stopped {pump}"),
            CallbackReceived { callback, plugin, session, api } => {
                write!(f, "{callback} {api} from {plugin} for {session}")
            }
            DirectAcquireTimedOut { callback } => write!(f, "{callback} instance lock acquire timed out"),
            WorkBegin { callback, session, site } => write!(f, "{callback} work begins ({site}, {session})"),
            WorkEnd { callback, hr } => write!(f, "{callback} work ends: {hr}"),
            CallbackReplied { callback, hr } => write!(f, "{callback} replied: {hr}"),
            VmCreated { session } => write!(f, "VM created ({session})"),
            VmTerminated { session } => write!(f, "VM terminated ({session})"),
            DistroStarted { session, distro } => write!(f, "{distro} running ({session})"),
            DistroStopped { session, distro } => write!(f, "{distro} stopped ({session})"),
            PluginLog { plugin, line } => write!(f, "{plugin} log: {line}"),
            PluginHookEntered { plugin, hook } => write!(f, "{plugin} enters {hook}"),
            PluginHookLeft { plugin, hook, hr } => write!(f, "{plugin} leaves {hook}: {hr}"),
            PluginErrorCalled { plugin, hr, message } => {
                write!(f, "{plugin} PluginError(\"{message}\"): {hr}")
            }
            ServiceStopped => f.write_str("service stopped"),
            WslcResolved { session, found } => {
                let outcome = if *found { "resolved" } else { "not found" };
                write!(f, "{} {outcome}", SessionCookie(*session).name(true))
            }
            WslcSessionTerminated { session } => {
                write!(f, "{} terminated", SessionCookie(*session).name(true))
            }
        }
    }
}
