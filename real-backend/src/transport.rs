//! The two ends of the service ↔ host transport, whatever carries it: a pipe (`host_link`,
//! `host`) or COM on Windows (`com`). The platform's facts about calls and the threads that
//! serve them are the same for both and live here, so the oracles see one shape of run.
//!
//! - [`HostTransport`]: the service's end of one host (calls out, killing, quiescing);
//! - [`Uplink`]: a host's end of its service (callbacks, what the plugin observed, traces);
//! - [`call_host`] and [`serve_callback`]: a call's facts around whatever moves it.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use plughost_model::event::PluginEvent;
use plughost_model::fact::{Blocker, CallOutcome, CallRequest, Fact, ProcessId};
use plughost_model::hresult::HResult;
use plughost_model::ids::Name;
use plughost_model::platform::{CallbackServer, ThreadId};
use plughost_model::wire::{CallbackReply, CallbackRequest, HostReply, HostRequest};

use crate::facts::remote_thread;
use crate::platform::ProcessCore;
use crate::run::{CallPhase, FailedCall};
use crate::threads::{self, Activity};

/// The service's end of one host process.
pub(crate) trait HostTransport: Send + Sync + 'static {
    /// The host's process in facts.
    fn process(&self) -> ProcessId;
    /// `host:NAME`.
    fn process_name(&self) -> &str;
    /// Moves one call and its reply; `Err` is the transport's HRESULT (the host died).
    fn exchange(&self, request: HostRequest) -> Result<HostReply, HResult>;
    /// Kills the host process.
    fn kill(&self);
    /// Whether the host process is still alive, as far as the service knows.
    fn is_alive(&self) -> bool;
    /// Whether no host thread runs (everything it sent has arrived), asking it and waiting
    /// until `deadline`; true for a host that died.
    fn quiesce(&self, round: u64, deadline: Instant) -> bool;
    /// The host's unfinished threads and what each is doing (empty if it does not answer
    /// by `deadline`).
    fn dump_threads(&self, round: u64, deadline: Instant) -> Vec<(String, String)>;
}

/// A host's end of its service.
pub(crate) trait Uplink: Send + Sync + 'static {
    /// A plugin callback from host thread `thread`; `Err` is the transport's HRESULT.
    fn callback(&self, thread: ThreadId, request: CallbackRequest) -> Result<CallbackReply, HResult>;
    /// What the plugin observed of itself on host thread `thread`.
    fn plugin_event(&self, thread: ThreadId, plugin: &Name, event: PluginEvent);
    /// A trace line of host thread `thread` (`host:NAME/H-1`).
    fn trace(&self, thread: &str, line: String);
}

/// A call from the calling service thread to `host`: its start, the caller blocking on it,
/// and its end are facts around the transport's exchange.
pub(crate) fn call_host(
    core: &ProcessCore,
    host: &dyn HostTransport,
    request: HostRequest,
) -> Result<HostReply, HResult> {
    let me = threads::current();
    let call = core.facts.call_id();
    let label = request.method();
    let summary = CallRequest::from(&request);
    core.facts.emit(Fact::CallStarted { call, caller: me, target: host.process(), request: summary });
    core.facts.emit(Fact::Blocked { thread: me, on: Blocker::Call(call), timed: false });
    core.threads.set(me, Activity::Blocked(format!("waits for call {label} to {}", host.process_name())));
    let phase = if host.is_alive() { CallPhase::InFlight } else { CallPhase::AfterDeath };
    let result = host.exchange(request);
    core.threads.set(me, Activity::Running);
    if let Err(hr) = result {
        let (host, method) = (host.process_name().to_string(), label.to_string());
        core.record_failed_call(FailedCall { host, method, phase, hr });
    }
    let outcome = match &result {
        Ok(reply) => CallOutcome::Replied { hr: reply.hr, message: reply.error_message.clone() },
        Err(hr) => CallOutcome::Failed { hr: *hr },
    };
    core.facts.emit(Fact::CallEnded { call, outcome });
    result
}

/// A callback from thread `thread` of host `process`, served by `callbacks` on a service
/// RPC thread that `start` provides (a fresh thread for the pipe, COM's own for COM): the
/// call's start is a fact before that thread starts, its end one before the reply leaves.
pub(crate) fn serve_callback<R>(
    core: &Arc<ProcessCore>,
    process: ProcessId,
    thread: u32,
    request: CallbackRequest,
    callbacks: Arc<dyn CallbackServer>,
    start: impl FnOnce(plughost_model::fact::CallId, CallbackFuture) -> R,
) -> R {
    let call = core.facts.call_id();
    let caller = remote_thread(process, thread);
    let summary = CallRequest::from(&request);
    core.facts.emit(Fact::CallStarted { call, caller, target: ProcessId::SERVICE, request: summary });
    let facts = core.facts.clone();
    let served = Box::pin(async move {
        let reply = callbacks.serve(request).await;
        facts.emit(Fact::CallEnded { call, outcome: CallOutcome::Replied { hr: reply.hr, message: None } });
        reply
    });
    start(call, served)
}

/// A callback being served, ending with its reply.
pub(crate) type CallbackFuture = std::pin::Pin<Box<dyn Future<Output = CallbackReply> + Send>>;
