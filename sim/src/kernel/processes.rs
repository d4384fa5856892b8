//! Simulated processes and the calls between them: the service, one host process per
//! plugin, hook calls out and callbacks in, and death.
//!
//! A call is served on a fresh thread of the target process; its caller blocks on it.
//! Killing a process kills its threads (the executor drops their futures) and fails every call in
//! flight to it with one of [`IN_FLIGHT_CRASH_CODES`]; every later call fails with one of
//! [`DEAD_HOST_CODES`]. Which code, call by call, is a recorded decision of the run: COM
//! gives either, depending on where in the call the server died and on how the proxy
//! learns of it, and the service must treat them all alike (spec §5.2: `IsHostCrash`
//! judges by value). Callbacks a host already handed to the service keep running; their
//! replies are dropped. The service dying ends the run.

use std::borrow::Cow;
use std::sync::Arc;

use plughost_model::fact::{self, CallOutcome, CallRequest, Fact};
use plughost_model::hresult::{
    CO_E_OBJNOTCONNECTED, HResult, RPC_E_DISCONNECTED, RPC_E_SERVER_DIED, RPC_E_SERVER_DIED_DNE,
    RPC_S_CALL_FAILED, RPC_S_CALL_FAILED_DNE, RPC_S_SERVER_UNAVAILABLE,
};
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_model::plugin_host::PluginHost;
use plughost_model::wire::{CallbackReply, HostReply};

use super::Kernel;
use super::state::{CallId, ProcessId, State, ThreadState, Wait, Wake};
use crate::decision::DecisionKind;
use crate::footprint::Object;
use crate::outcome::Outcome;
use crate::platform::SimPlatform;

/// A call's result, by direction.
#[derive(Debug)]
pub(crate) enum CallResult {
    Host(Result<HostReply, HResult>),
    Callback(Result<CallbackReply, HResult>),
}

pub(crate) struct ProcessState {
    pub name: String,
    pub alive: bool,
    /// The host object, for host processes.
    pub host: Option<Arc<PluginHost<SimPlatform>>>,
    pub rpc_threads: u32,
}

pub(crate) struct CallState {
    /// How traces name the call: a hook call's method, a callback's method and session.
    pub label: Cow<'static, str>,
    pub caller: ThreadId,
    pub target: ProcessId,
    pub server: Option<ThreadId>,
    pub done: bool,
    /// The result, when it came before its caller blocked for it (a host that crashed
    /// with the request just sent).
    pub early: Option<CallResult>,
}

impl State {
    /// Adds a process (a host, if it hosts `plugin`); the first one added is the service
    /// ([`Kernel::SERVICE`]).
    pub fn add_process(&mut self, name: String, plugin: Option<Name>) -> ProcessId {
        let id = self.processes.len();
        self.fact(&Fact::ProcessStarted { process: fact::ProcessId(id as u32), plugin });
        self.processes.push(ProcessState { name, alive: true, host: None, rpc_threads: 0 });
        id
    }

    /// Records a call from `caller` to `target`.
    pub fn add_call(
        &mut self,
        label: Cow<'static, str>,
        request: CallRequest,
        caller: ThreadId,
        target: ProcessId,
    ) -> CallId {
        let call = self.calls.len();
        self.fact(&Fact::CallStarted {
            call: fact::CallId(call as u64),
            caller,
            target: fact::ProcessId(target as u32),
            request,
        });
        self.calls.push(CallState { label, caller, target, server: None, done: false, early: None });
        self.touch(Object::Call(call as u32));
        self.touch_memory(target);
        call
    }

    /// Ends a call for its caller; returns false if it had already ended.
    fn end_call(&mut self, call: CallId, result: &CallResult) -> bool {
        self.touch(Object::Call(call as u32));
        if self.calls[call].done {
            return false;
        }
        self.calls[call].done = true;
        let outcome = match result {
            CallResult::Host(Ok(reply)) => {
                CallOutcome::Replied { hr: reply.hr, message: reply.error_message.clone() }
            }
            CallResult::Callback(Ok(reply)) => CallOutcome::Replied { hr: reply.hr, message: None },
            CallResult::Host(Err(hr)) | CallResult::Callback(Err(hr)) => CallOutcome::Failed { hr: *hr },
        };
        self.fact(&Fact::CallEnded { call: fact::CallId(call as u64), outcome });
        true
    }

    /// Delivers a call's result to its caller, unless the caller died meanwhile.
    pub fn complete_call(&mut self, call: CallId, result: CallResult) {
        if !self.end_call(call, &result) {
            return;
        }
        let caller = self.calls[call].caller;
        let waiting = matches!(
            self.threads[caller.0 as usize].state,
            ThreadState::Blocked { wait: Wait::Call(c), .. } if c == call
        );
        if waiting {
            self.unblock(caller, Wake::Reply(result));
        } else if self.running == Some(caller) {
            self.calls[call].early = Some(result);
        }
    }

    /// Kills `process`; returns its host object (dropped by the caller, outside the lock).
    pub fn kill_process(&mut self, process: ProcessId) -> Option<Arc<PluginHost<SimPlatform>>> {
        if !self.processes[process].alive {
            return None;
        }
        self.touch(Object::Global);
        self.processes[process].alive = false;
        self.plain_fact(Fact::ProcessDied { process: fact::ProcessId(process as u32) });
        let running_dies = self.running.is_some_and(|t| self.threads[t.0 as usize].process == process);
        for index in 0..self.threads.len() {
            if self.threads[index].process == process {
                self.kill_thread(ThreadId(index as u32));
            }
        }
        for call in 0..self.calls.len() {
            if self.calls[call].target == process && !self.calls[call].done {
                let failure = self.failed_call(process);
                self.complete_call(call, failure);
            }
        }
        if process == Kernel::SERVICE {
            self.finish(Outcome::ServiceDied(format!("{} terminated", self.processes[process].name)));
        } else if running_dies {
            self.end_step(false);
            self.dispatch_away();
        }
        self.processes[process].host.take()
    }

    /// The transport failure of a call in flight to `target`, a process that died: a hook
    /// call fails with an in-flight crash code the run chooses; a callback (the service
    /// died, which ends the run) with `RPC_S_CALL_FAILED`.
    fn failed_call(&mut self, target: ProcessId) -> CallResult {
        if target == Kernel::SERVICE {
            CallResult::Callback(Err(RPC_S_CALL_FAILED))
        } else {
            CallResult::Host(Err(self.choose_code(IN_FLIGHT_CRASH_CODES)))
        }
    }

    /// One of `codes`, as the run decides.
    pub fn choose_code(&mut self, codes: &[HResult]) -> HResult {
        codes[self.decide(DecisionKind::ErrorCode, codes.len() as u32)]
    }
}

/// What a call fails with when its host dies while the call is in flight: the server's
/// death as the RPC runtime reports it mid-call (spec §5.2's crash set).
pub const IN_FLIGHT_CRASH_CODES: &[HResult] =
    &[RPC_S_CALL_FAILED, RPC_S_CALL_FAILED_DNE, RPC_E_SERVER_DIED, RPC_E_SERVER_DIED_DNE];

/// What a call to a host that is already dead fails with: the server is unavailable, or the
/// proxy's object is disconnected (spec §5.2's crash set).
pub const DEAD_HOST_CODES: &[HResult] = &[RPC_S_SERVER_UNAVAILABLE, RPC_E_DISCONNECTED, CO_E_OBJNOTCONNECTED];
