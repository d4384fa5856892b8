//! The kernel's cross-process operations: hook calls to a host, callbacks to the service,
//! host activation and process death.

use std::borrow::Cow;
use std::sync::Arc;

use plughost_model::fact::CallRequest;
use plughost_model::hresult::{HResult, RPC_E_CALL_REJECTED, RPC_S_SERVER_UNAVAILABLE};
use plughost_model::ids::{Name, numbered};
use plughost_model::platform::CallbackServer;
use plughost_model::plugin_host::PluginHost;
use plughost_model::wire::{CallbackReply, CallbackRequest, HostReply, HostRequest};

use super::Kernel;
use super::processes::{CallResult, DEAD_HOST_CODES};
use super::state::{ProcessId, Wait, Wake};
use crate::faults::{Fault, Phase};
use crate::platform::SimPlatform;

/// What the fault plan may do once a call's request is on its way.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AfterSend {
    Nothing,
    /// Crash the host the request went to (decided with the request).
    CrashTarget,
    /// Decide whether the host that sent this callback crashes with it in flight.
    MayCrashCaller,
}

impl Kernel {
    /// The service process (always the first).
    pub const SERVICE: ProcessId = 0;

    /// A hook call from the running thread to the host in `process`, served on a fresh
    /// host RPC thread.
    pub async fn call_host(&self, process: ProcessId, request: HostRequest) -> Result<HostReply, HResult> {
        self.choice_point().await;
        let label = request.method();
        let summary = CallRequest::from(&request);
        let Some(host) = self.live_host(process) else {
            let mut state = self.state();
            let code = state.choose_code(DEAD_HOST_CODES);
            state.trace_as(state.current(), |state| {
                format!("calls {label} on dead {}: {code}", state.processes[process].name)
            });
            let me = state.current();
            let call = state.add_call(label.into(), summary, me, process);
            state.complete_call(call, CallResult::Host(Err(code)));
            return Err(code);
        };
        let fault = self.request_fault(process, label);
        if fault == Some(Fault::Reject) {
            let mut state = self.state();
            let me = state.current();
            let call = state.add_call(label.into(), summary, me, process);
            state.complete_call(call, CallResult::Host(Err(RPC_E_CALL_REJECTED)));
            return Err(RPC_E_CALL_REJECTED);
        }
        let kernel = self.clone();
        let slow_by = self.state().faults.slow_by;
        let after_send = if fault == Some(Fault::Crash(Phase::RequestSent)) {
            AfterSend::CrashTarget
        } else {
            AfterSend::Nothing
        };
        let result = self
            .call(process, label.into(), summary, after_send, move |call| async move {
                match fault {
                    Some(Fault::Hang) => kernel.hang().await,
                    Some(Fault::Slow) => kernel.sleep(slow_by).await,
                    _ => {}
                }
                let reply = host.serve(request).await;
                kernel.choice_point().await;
                kernel.state().complete_call(call, CallResult::Host(Ok(reply)));
                kernel.crash_after_reply(process, call).await;
            })
            .await;
        match result {
            CallResult::Host(result) => result,
            CallResult::Callback(_) => unreachable!("a hook call completes with a host reply"),
        }
    }

    /// The fault plan's decision as a hook call's request reaches `process`.
    fn request_fault(&self, process: ProcessId, label: &str) -> Option<Fault> {
        let mut state = self.state();
        let offered = state.faults.at_request();
        if offered.is_empty() {
            return None;
        }
        let at = format!("of {label} on {}", state.processes[process].name);
        state.decide_fault(&offered, &at)
    }

    /// The thread serving a call blocks forever: the fault plan made the call hang.
    async fn hang(&self) {
        let me = {
            let mut state = self.state();
            let me = state.current();
            state.block(me, Wait::Hung, None);
            me
        };
        self.wait_turn(me).await;
        unreachable!("a hung thread is never woken");
    }

    /// After a host's reply reached the service: the fault plan may crash the host now
    /// (phase `reply-sent`), killing the replying thread with it.
    async fn crash_after_reply(&self, process: ProcessId, call: super::state::CallId) {
        let crashed = {
            let mut state = self.state();
            if !state.faults.allows_crash(Phase::ReplySent) {
                return;
            }
            let at =
                format!("of {} after {} replied", state.processes[process].name, state.calls[call].label);
            state.decide_fault(&[Fault::Crash(Phase::ReplySent)], &at).is_some()
        };
        if crashed {
            self.crash_own_process().await;
        }
    }

    /// The running thread's process dies; the returned future never completes.
    pub async fn crash_own_process(&self) {
        self.kill_process(self.current_process());
        std::future::pending::<()>().await;
    }

    /// A plugin callback from the running (host) thread, served on a fresh service RPC thread.
    pub async fn call_service(
        &self,
        server: Arc<dyn CallbackServer>,
        request: CallbackRequest,
    ) -> Result<CallbackReply, HResult> {
        self.choice_point().await;
        if !self.state().processes[Kernel::SERVICE].alive {
            return Err(RPC_S_SERVER_UNAVAILABLE);
        }
        let label = request.label();
        let summary = CallRequest::from(&request);
        let kernel = self.clone();
        let result = self
            .call(Kernel::SERVICE, label.into(), summary, AfterSend::MayCrashCaller, move |call| async move {
                let reply = server.serve(request).await;
                kernel.choice_point().await;
                kernel.state().complete_call(call, CallResult::Callback(Ok(reply)));
            })
            .await;
        match result {
            CallResult::Callback(result) => result,
            CallResult::Host(_) => unreachable!("a callback completes with a callback reply"),
        }
    }

    /// Starts the serving thread and blocks the caller until the call completes or fails;
    /// `after_send` is what the fault plan may do once the request is on its way.
    async fn call<F, Fut>(
        &self,
        target: ProcessId,
        label: Cow<'static, str>,
        request: CallRequest,
        after_send: AfterSend,
        serve: F,
    ) -> CallResult
    where
        F: FnOnce(super::state::CallId) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (me, call, rpc_name) = {
            let mut state = self.state();
            let me = state.current();
            let call = state.add_call(label, request, me, target);
            let process = &mut state.processes[target];
            process.rpc_threads += 1;
            let prefix = if target == Kernel::SERVICE { "R-" } else { "H-" };
            (me, call, numbered(prefix, u64::from(process.rpc_threads)))
        };
        self.trace(|state| format!("calls {} on {}", state.calls[call].label, state.processes[target].name));
        let server = self.spawn_thread(target, &rpc_name, Some(call), Box::pin(serve(call)));
        self.state().calls[call].server = Some(server);
        self.fault_after_send(after_send, target, call).await;
        let early = {
            let mut state = self.state();
            let early = state.calls[call].early.take();
            if early.is_none() {
                state.block(me, Wait::Call(call), None);
            }
            early
        };
        let result = match early {
            Some(result) => result,
            None => match self.resume(me).await {
                Wake::Reply(result) => result,
                other => unreachable!("a caller woke with {other:?}"),
            },
        };
        self.trace(|state| format!("{} returned {}", state.calls[call].label, describe(&result)));
        result
    }

    /// The fault plan's decision once a request is on its way: crash the host it went to
    /// (`request-sent`, decided earlier), or the host that sent a callback
    /// (`callback-in-flight`).
    async fn fault_after_send(&self, after_send: AfterSend, target: ProcessId, call: super::state::CallId) {
        match after_send {
            AfterSend::Nothing => {}
            AfterSend::CrashTarget => self.kill_process(target),
            AfterSend::MayCrashCaller => {
                let crashed = {
                    let mut state = self.state();
                    let caller = state.threads[state.current().0 as usize].process;
                    if caller == Kernel::SERVICE || !state.faults.allows_crash(Phase::CallbackInFlight) {
                        return;
                    }
                    let at = format!(
                        "of {} with {} in flight",
                        state.processes[caller].name, state.calls[call].label
                    );
                    state.decide_fault(&[Fault::Crash(Phase::CallbackInFlight)], &at).is_some()
                };
                if crashed {
                    self.crash_own_process().await;
                }
            }
        }
    }

    fn live_host(&self, process: ProcessId) -> Option<Arc<PluginHost<SimPlatform>>> {
        let state = self.state();
        let process = &state.processes[process];
        if process.alive { process.host.clone() } else { None }
    }

    /// Creates a host process named `host:NAME` for plugin `name`.
    pub fn add_host_process(&self, name: &Name) -> ProcessId {
        let process_name = format!("host:{name}");
        self.trace(|_| format!("activates {process_name}"));
        self.state().add_process(process_name, Some(name.clone()))
    }

    /// Installs the host object of a host process.
    pub fn set_host(&self, process: ProcessId, host: Arc<PluginHost<SimPlatform>>) {
        self.state().processes[process].host = Some(host);
    }

    /// Kills `process` (job close, or the process terminating itself).
    pub fn kill_process(&self, process: ProcessId) {
        self.trace_kill(process);
        let host = self.state().kill_process(process);
        drop(host);
    }

    fn trace_kill(&self, process: ProcessId) {
        let state = self.state();
        if state.tracing && state.processes[process].alive {
            let line = format!("kills {}", state.processes[process].name);
            let thread = state.running.map_or("-", |t| state.thread_name(t));
            crate::trace::line(state.clock, thread, format_args!("{line}"));
        }
    }

    /// The process of the running thread.
    pub fn current_process(&self) -> ProcessId {
        let state = self.state();
        state.threads[state.current().0 as usize].process
    }
}

fn describe(result: &CallResult) -> String {
    match result {
        CallResult::Host(Ok(reply)) => reply.hr.to_string(),
        CallResult::Callback(Ok(reply)) => reply.hr.to_string(),
        CallResult::Host(Err(hr)) | CallResult::Callback(Err(hr)) => format!("transport error {hr}"),
    }
}
