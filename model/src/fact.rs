//! Platform facts: what the platform itself saw happen — processes and threads coming and
//! going, which thread acquired, released or waited for which lock, which calls crossed a
//! process boundary, who served them and how they ended.
//!
//! Owns the fact vocabulary only. Model events ([`crate::event::ModelEvent`]) are what the
//! model says about itself; facts are what the platform observed while running it, so an
//! oracle that judges from facts cannot be misled by a model that mislabels its own work.
//! Every platform emits them through [`crate::event::EventSink::fact`]; the model never
//! constructs one.

use std::fmt;

use crate::hresult::HResult;
use crate::ids::{Name, SessionCookie};
use crate::platform::ThreadId;
use crate::wire::{CallbackRequest, HookKind, HostRequest};

/// A process as its platform numbers it: the service is 0, hosts follow in activation order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ProcessId(pub u32);

impl ProcessId {
    /// The service process.
    pub const SERVICE: ProcessId = ProcessId(0);
}

/// A lock as its platform numbers it, unique within a run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct LockId(pub u32);

/// A cross-process call as its platform numbers it, unique within a run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CallId(pub u64);

/// How a lock is held.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LockMode {
    /// Exclusively (every lock kind).
    Exclusive,
    /// Shared (SRW locks).
    Shared,
}

/// What a blocked thread waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Blocker {
    /// A lock held by another thread.
    Lock(LockId),
    /// One or more events.
    Events,
    /// Another thread's end.
    Join(ThreadId),
    /// The reply to a cross-process call.
    Call(CallId),
    /// Time.
    Sleep,
}

/// What a cross-process call asks for, as the transport carries it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CallRequest {
    /// `IWslPluginHost::Initialize` of a plugin's host.
    Initialize {
        /// The plugin the host loads.
        plugin: Name,
    },
    /// A hook call to a host.
    Hook {
        /// Which hook.
        hook: HookKind,
        /// The session it is about.
        session: SessionCookie,
    },
    /// The service's release of a host's last reference (the host object is destroyed).
    Release,
    /// A plugin callback into the service.
    Callback {
        /// The plugin API.
        api: &'static str,
        /// The session cookie the plugin passed.
        session: SessionCookie,
    },
}

/// How a cross-process call ended, as its caller saw it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CallOutcome {
    /// The callee replied: its HRESULT and, for hooks, the `[out] ErrorMessage`.
    Replied {
        /// The reply's HRESULT.
        hr: HResult,
        /// The error message a hook returned.
        message: Option<String>,
    },
    /// The transport failed the call (the callee died or was gone).
    Failed {
        /// The transport's HRESULT.
        hr: HResult,
    },
}

impl CallOutcome {
    /// The HRESULT the caller got, whichever way.
    pub fn hr(&self) -> HResult {
        match self {
            CallOutcome::Replied { hr, .. } | CallOutcome::Failed { hr } => *hr,
        }
    }
}

/// One thing the platform observed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Fact {
    /// A process started (the service, or a host for `plugin`).
    ProcessStarted {
        /// The process.
        process: ProcessId,
        /// The plugin it hosts, for a host.
        plugin: Option<Name>,
    },
    /// A process died (crashed, killed, or terminated itself).
    ProcessDied {
        /// The process.
        process: ProcessId,
    },
    /// A thread started.
    ThreadStarted {
        /// The new thread.
        thread: ThreadId,
        /// Its unique name (`svc/T-1-start-distro`).
        name: String,
        /// Its process.
        process: ProcessId,
        /// The thread that started it, if any; for a thread serving an inbound call, the
        /// call says who asked.
        parent: Option<ThreadId>,
        /// The inbound call it was started to serve.
        serves: Option<CallId>,
    },
    /// A thread finished (or died with its process).
    ThreadEnded {
        /// The thread.
        thread: ThreadId,
    },
    /// A lock was created with its model-given name.
    LockCreated {
        /// The lock.
        lock: LockId,
        /// Its name (`session#1.instance_lock`, `m_wslPumpLock`, …).
        name: String,
    },
    /// A thread acquired a lock (one more recursion level for a recursive lock).
    LockAcquired {
        /// The acquiring thread.
        thread: ThreadId,
        /// The lock.
        lock: LockId,
        /// How.
        mode: LockMode,
        /// Whether the acquisition had a timeout (`try_lock_for`).
        timed: bool,
    },
    /// A thread released one level of a lock.
    LockReleased {
        /// The releasing thread.
        thread: ThreadId,
        /// The lock.
        lock: LockId,
    },
    /// A thread blocked.
    Blocked {
        /// The thread.
        thread: ThreadId,
        /// What it waits for.
        on: Blocker,
        /// Whether the wait has a timeout.
        timed: bool,
    },
    /// A thread called into another process.
    CallStarted {
        /// The call.
        call: CallId,
        /// The calling thread.
        caller: ThreadId,
        /// The process called.
        target: ProcessId,
        /// What it asks for.
        request: CallRequest,
    },
    /// A call ended for its caller.
    CallEnded {
        /// The call.
        call: CallId,
        /// How.
        outcome: CallOutcome,
    },
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockMode::Exclusive => "exclusive",
            LockMode::Shared => "shared",
        })
    }
}

impl From<&HostRequest> for CallRequest {
    fn from(request: &HostRequest) -> CallRequest {
        match request {
            HostRequest::Initialize { name, .. } => CallRequest::Initialize { plugin: name.clone() },
            HostRequest::Hook(call) => CallRequest::Hook { hook: call.kind, session: call.session },
            HostRequest::Release => CallRequest::Release,
        }
    }
}

impl From<&CallbackRequest> for CallRequest {
    fn from(request: &CallbackRequest) -> CallRequest {
        CallRequest::Callback { api: request.api.method(), session: request.session }
    }
}
