//! Planted violations: for every invariant, a hand-written stream of platform facts and
//! events that breaks exactly that invariant, and the judge that must name it and the
//! mechanism; plus a stream of a correct run that no judge may fault. The streams are
//! written here, not produced by the model, so a judge is tested on what it sees alone.
//! Every stream is judged twice, by the judges handed only their interests' facts and
//! events and by the same judges handed all of them: both must find the same.

use std::time::Duration;

use plughost_model::design::Design;
use plughost_model::event::{ModelEvent, UserError, WorkSite};
use plughost_model::fact::{Blocker, CallId, CallOutcome, CallRequest, Fact, LockId, LockMode, ProcessId};
use plughost_model::hresult::{E_FAIL, ERROR_NOT_FOUND, HResult, RPC_S_CALL_FAILED, S_OK};
use plughost_model::ids::{CallbackId, Name, PumpId, SessionCookie};
use plughost_model::platform::ThreadId;
use plughost_model::wire::HookKind;

use super::{Oracles, Violation};

const S1: SessionCookie = SessionCookie(1);
const MAIN: u32 = 0;
const T: u32 = 1;
const W: u32 = 2;
const R: u32 = 3;
const H: u32 = 4;
const HOST: ProcessId = ProcessId(1);

/// A hand-written run.
struct Stream {
    oracles: Oracles,
    /// The same judges handed every fact and event: they must find what `oracles` finds.
    everything: Oracles,
    at: u64,
    calls: u64,
    locks: Vec<String>,
}

impl Stream {
    /// The service with `svc/main`, the step thread `T` and one loaded plugin `P` whose host
    /// has a hook thread `H`.
    fn new() -> Stream {
        Stream::of(Design::Pump)
    }

    /// [`Stream::new`] judged as `design` promises.
    fn of(design: Design) -> Stream {
        let mut stream = Stream {
            oracles: Oracles::new(design),
            everything: Oracles::handing_every_judge_everything(design),
            at: 0,
            calls: 0,
            locks: Vec::new(),
        };
        stream.fact(Fact::ProcessStarted { process: ProcessId::SERVICE, plugin: None });
        stream.thread(MAIN, ProcessId::SERVICE, None);
        stream.thread(T, ProcessId::SERVICE, Some(MAIN));
        stream.host(HOST, "P");
        stream.thread(H, HOST, None);
        stream
    }

    fn fact(&mut self, fact: Fact) -> &mut Self {
        self.at += 1;
        self.oracles.fact(Duration::from_millis(self.at), &fact);
        self.everything.fact(Duration::from_millis(self.at), &fact);
        self
    }

    fn event(&mut self, thread: u32, event: ModelEvent) -> &mut Self {
        self.at += 1;
        self.oracles.observe(Duration::from_millis(self.at), ThreadId(thread), &event);
        self.everything.observe(Duration::from_millis(self.at), ThreadId(thread), &event);
        self
    }

    fn thread(&mut self, id: u32, process: ProcessId, parent: Option<u32>) -> &mut Self {
        self.fact(Fact::ThreadStarted {
            thread: ThreadId(id),
            name: format!("thread-{id}"),
            process,
            parent: parent.map(ThreadId),
            serves: None,
        })
    }

    /// A service RPC thread serving a callback from the host's thread `H`.
    fn rpc_thread(&mut self, id: u32, api: &'static str) -> &mut Self {
        let call = self.call_started(H, ProcessId::SERVICE, CallRequest::Callback { api, session: S1 });
        self.fact(Fact::ThreadStarted {
            thread: ThreadId(id),
            name: format!("R-{id}"),
            process: ProcessId::SERVICE,
            parent: None,
            serves: Some(call),
        })
    }

    fn host(&mut self, process: ProcessId, plugin: &str) -> &mut Self {
        self.fact(Fact::ProcessStarted { process, plugin: Some(plugin.into()) });
        let call = self.call_started(MAIN, process, CallRequest::Initialize { plugin: plugin.into() });
        self.fact(Fact::CallEnded { call, outcome: replied(S_OK) })
    }

    fn call_started(&mut self, caller: u32, target: ProcessId, request: CallRequest) -> CallId {
        let call = CallId(self.calls);
        self.calls += 1;
        self.fact(Fact::CallStarted { call, caller: ThreadId(caller), target, request });
        call
    }

    /// A hook call from `caller` to `target` that ends with `outcome`.
    fn hook(&mut self, caller: u32, target: ProcessId, hook: HookKind, outcome: CallOutcome) -> &mut Self {
        let call = self.call_started(caller, target, CallRequest::Hook { hook, session: S1 });
        self.fact(Fact::CallEnded { call, outcome })
    }

    fn lock(&mut self, name: &str) -> LockId {
        if let Some(at) = self.locks.iter().position(|l| l == name) {
            return LockId(at as u32);
        }
        self.locks.push(name.to_string());
        let lock = LockId(self.locks.len() as u32 - 1);
        self.fact(Fact::LockCreated { lock, name: name.to_string() });
        lock
    }

    fn acquire(&mut self, thread: u32, name: &str, timed: bool) -> &mut Self {
        let lock = self.lock(name);
        self.fact(Fact::LockAcquired { thread: ThreadId(thread), lock, mode: LockMode::Exclusive, timed })
    }

    fn release(&mut self, thread: u32, name: &str) -> &mut Self {
        let lock = self.lock(name);
        self.fact(Fact::LockReleased { thread: ThreadId(thread), lock })
    }

    fn step(&mut self, thread: u32, step: u32) -> &mut Self {
        self.event(thread, ModelEvent::StepBegin { step, op: "start-distro", what: "a step".to_string() })
    }

    fn step_ends(&mut self, thread: u32, step: u32, result: Result<(), UserError>) -> &mut Self {
        self.event(thread, ModelEvent::StepEnd { step, result })
    }

    fn fan_out(&mut self, thread: u32, hook: HookKind, begin: bool) -> &mut Self {
        let event = if begin {
            ModelEvent::FanOutBegin { hook, session: S1 }
        } else {
            ModelEvent::FanOutEnd { hook, session: S1, failed: None }
        };
        self.event(thread, event)
    }

    /// `Run` of pump 1 on `T` with worker `W`, which has not finished.
    fn pump_running(&mut self) -> &mut Self {
        self.event(T, ModelEvent::PumpRunBegin { pump: PumpId(1) });
        self.thread(W, ProcessId::SERVICE, Some(T))
    }

    fn callback(&mut self, thread: u32, callback: u64) -> &mut Self {
        let (callback, plugin) = (CallbackId(callback), Name::from("P"));
        self.event(thread, ModelEvent::CallbackReceived { callback, plugin, session: S1, api: "MountFolder" })
    }

    fn work(&mut self, thread: u32, callback: u64, site: WorkSite, hr: Option<HResult>) -> &mut Self {
        let callback = CallbackId(callback);
        self.event(thread, ModelEvent::WorkBegin { callback, session: S1, site });
        match hr {
            Some(hr) => self.event(thread, ModelEvent::WorkEnd { callback, hr }),
            None => self,
        }
    }

    fn finish(&mut self) -> &mut Self {
        self.oracles.finish();
        self.everything.finish();
        self
    }

    /// The violations found, the same whether the judges were handed only their interests'
    /// facts and events or all of them.
    #[track_caller]
    fn found(&self) -> &[Violation] {
        let found = self.oracles.violations();
        assert_eq!(found, self.everything.violations(), "judges handed everything found otherwise");
        found
    }

    /// Asserts exactly `invariant` fired, with a message containing `mechanism`.
    #[track_caller]
    fn fires(&self, invariant: &str, mechanism: &str) {
        let found = self.found();
        assert!(
            found.iter().any(|v| v.invariant == invariant && v.message.contains(mechanism)),
            "expected {invariant} naming `{mechanism}`, got {found:?}"
        );
        assert!(found.iter().all(|v| v.invariant == invariant), "only {invariant} may fire: {found:?}");
    }

    #[track_caller]
    fn clean(&self) {
        let found = self.found();
        assert!(found.is_empty(), "{found:?}");
    }
}

fn replied(hr: HResult) -> CallOutcome {
    CallOutcome::Replied { hr, message: None }
}

fn fatal(plugin: &str, hr: HResult) -> Result<(), UserError> {
    Err(UserError { hr, message: Some(format!("A fatal error was returned by plugin '{plugin}'")) })
}

/// A correct start: `OnVMStarted` pumps one callback, then teardown at service stop.
fn correct_start(stream: &mut Stream) {
    stream.step(T, 1).acquire(T, "session#1.instance_lock", false);
    stream.fan_out(T, HookKind::VmStarted, true).pump_running();
    let call = stream.call_started(W, HOST, CallRequest::Hook { hook: HookKind::VmStarted, session: S1 });
    stream.event(H, ModelEvent::PluginHookEntered { plugin: "P".into(), hook: HookKind::VmStarted });
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.event(R, ModelEvent::PumpEnqueued { pump: PumpId(1), callback: CallbackId(1) });
    stream.event(T, ModelEvent::PumpWoke { pump: PumpId(1), index: 0 });
    stream.acquire(T, "session#1.instance_lock", false).work(T, 1, WorkSite::Pumped(PumpId(1)), None);
    stream.work_end(T, 1).event(R, ModelEvent::CallbackReplied { callback: CallbackId(1), hr: S_OK });
    stream.event(H, ModelEvent::PluginHookLeft { plugin: "P".into(), hook: HookKind::VmStarted, hr: S_OK });
    stream.fact(Fact::CallEnded { call, outcome: replied(S_OK) });
    stream.fact(Fact::ThreadEnded { thread: ThreadId(W) });
    stream.event(T, ModelEvent::PumpWoke { pump: PumpId(1), index: 1 });
    stream.event(T, ModelEvent::PumpRunEnd { pump: PumpId(1), queued: 0, stopped: true });
    stream.fan_out(T, HookKind::VmStarted, false);
    stream.release(T, "session#1.instance_lock").step_ends(T, 1, Ok(()));
}

impl Stream {
    fn work_end(&mut self, thread: u32, callback: u64) -> &mut Self {
        self.event(thread, ModelEvent::WorkEnd { callback: CallbackId(callback), hr: S_OK });
        self.release(thread, "session#1.instance_lock")
    }
}

#[test]
fn a_correct_run_is_not_faulted() {
    let mut stream = Stream::new();
    correct_start(&mut stream);
    stream.event(MAIN, ModelEvent::ServiceStopped).fact(Fact::ProcessDied { process: HOST }).finish();
    stream.clean();
}

#[test]
fn i1_pumped_work_off_the_notifying_thread() {
    let mut stream = Stream::new();
    stream.step(T, 1).acquire(T, "session#1.instance_lock", false).pump_running();
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.event(R, ModelEvent::PumpEnqueued { pump: PumpId(1), callback: CallbackId(1) });
    stream.work(R, 1, WorkSite::Pumped(PumpId(1)), None);
    stream.fires("I-1", "off its notifying thread");
}

#[test]
fn i1_pumped_work_without_the_hooks_lock() {
    let mut stream = Stream::new();
    stream.step(T, 1).acquire(T, "session#1.instance_lock", false).pump_running();
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.event(R, ModelEvent::PumpEnqueued { pump: PumpId(1), callback: CallbackId(1) });
    stream.release(T, "session#1.instance_lock").work(T, 1, WorkSite::Pumped(PumpId(1)), None);
    stream.fires("I-1", "without the session#1.instance_lock its hook held");
}

#[test]
fn i2_work_that_runs_twice() {
    let mut stream = Stream::new();
    stream.rpc_thread(R, "MountFolder").callback(R, 1).acquire(R, "session#1.instance_lock", true);
    stream.work(R, 1, WorkSite::Direct, Some(S_OK)).work(R, 1, WorkSite::Direct, Some(S_OK));
    stream.fires("I-2", "ran 2 times");
}

#[test]
fn i2_a_reply_without_work() {
    let mut stream = Stream::new();
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.event(R, ModelEvent::CallbackReplied { callback: CallbackId(1), hr: E_FAIL });
    stream.fires("I-2", "without its work having run");
}

#[test]
fn i3_a_call_queued_after_run_returned() {
    let mut stream = Stream::new();
    stream.pump_running().fact(Fact::ThreadEnded { thread: ThreadId(W) });
    stream.event(T, ModelEvent::PumpRunEnd { pump: PumpId(1), queued: 0, stopped: true });
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.event(R, ModelEvent::PumpEnqueued { pump: PumpId(1), callback: CallbackId(1) });
    stream.fires("I-3", "after its Run returned");
}

#[test]
fn i3_run_returns_before_its_worker() {
    let mut stream = Stream::new();
    stream.pump_running();
    stream.event(T, ModelEvent::PumpRunEnd { pump: PumpId(1), queued: 0, stopped: true });
    stream.fires("I-3", "before its worker thread finished");
}

#[test]
fn i4_direct_work_without_the_instance_lock() {
    let mut stream = Stream::new();
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.work(R, 1, WorkSite::Direct, Some(S_OK));
    stream.fires("I-4", "without holding session#1.instance_lock");
}

/// A lock that let two threads in: two direct callbacks of one session at once, each
/// holding the instance lock as far as its own thread can tell.
#[test]
fn i4_two_callbacks_of_a_session_at_once() {
    let mut stream = Stream::new();
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.rpc_thread(9, "MountFolder").callback(9, 2);
    stream.acquire(R, "session#1.instance_lock", true).work(R, 1, WorkSite::Direct, None);
    stream.acquire(9, "session#1.instance_lock", true).work(9, 2, WorkSite::Direct, None);
    stream.work_end(R, 1).work_end(9, 2);
    stream.fires("I-4", "overlapped cb#1 on another thread");
}

/// A callback whose session is gone is answered `ERROR_NOT_FOUND` without the lock (§3.1):
/// it overlaps a callback under the lock legally.
#[test]
fn i4_a_callback_for_a_session_that_is_gone_needs_no_lock() {
    let mut stream = Stream::new();
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    stream.rpc_thread(9, "MountFolder").callback(9, 2);
    stream.acquire(R, "session#1.instance_lock", true).work(R, 1, WorkSite::Direct, None);
    stream.work(9, 2, WorkSite::NoSession, Some(ERROR_NOT_FOUND));
    stream.work_end(R, 1);
    stream.clean();
}

#[test]
fn i5_waiting_while_holding_the_registry_lock() {
    let mut stream = Stream::new();
    stream.acquire(T, "m_wslPumpLock", false);
    stream.fact(Fact::Blocked { thread: ThreadId(T), on: Blocker::Events, timed: false });
    stream.fires("I-5", "while holding m_wslPumpLock");
}

#[test]
fn i5_a_hook_under_the_wslc_sessions_lock() {
    let mut stream = Stream::new();
    stream.acquire(T, "m_wslcSessionsLock", false);
    stream.hook(T, HOST, HookKind::VmStopping, replied(S_OK));
    stream.fires("I-5", "m_wslcSessionsLock was held");
}

#[test]
fn i6_an_untimed_acquire_before_routing() {
    let mut stream = Stream::new();
    stream.rpc_thread(R, "MountFolder");
    let lock = stream.lock("session#1.instance_lock");
    stream.fact(Fact::Blocked { thread: ThreadId(R), on: Blocker::Lock(lock), timed: false });
    stream.fires("I-6", "untimed acquisition of session#1.instance_lock");
}

#[test]
fn i8_a_crash_in_a_start_hook_that_does_not_fail_the_step() {
    let mut stream = Stream::new();
    stream.step(T, 1).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::VmStarted, CallOutcome::Failed { hr: RPC_S_CALL_FAILED });
    stream.step_ends(T, 1, Ok(()));
    stream.fires("I-8", "OnVMStarted ended with RPC_S_CALL_FAILED, a host-crash code");
}

#[test]
fn i9_a_teardown_hook_that_misses_a_plugin() {
    let mut stream = Stream::new();
    stream.host(ProcessId(2), "Q");
    stream.fan_out(T, HookKind::VmStopping, true).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::VmStopping, replied(E_FAIL));
    stream.fan_out(T, HookKind::VmStopping, false);
    stream.fires("I-9", "never reached Q");
}

#[test]
fn i9_a_teardown_failure_that_fails_the_operation() {
    let mut stream = Stream::new();
    stream.step(T, 1).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::DistributionStopping, replied(E_FAIL));
    stream.step_ends(T, 1, fatal("P", E_FAIL));
    stream.fires("I-9", "teardown hooks never fail the operation");
}

#[test]
fn i10_a_vm_created_after_the_latch() {
    let mut stream = Stream::new();
    stream.fan_out(T, HookKind::VmStopping, true).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::VmStopping, CallOutcome::Failed { hr: RPC_S_CALL_FAILED });
    stream.fan_out(T, HookKind::VmStopping, false);
    stream.hook(W, HOST, HookKind::VmStarted, replied(S_OK));
    stream.fires("I-10", "a VM was created after the fatal plugin error");
}

#[test]
fn i10_a_host_activated_a_second_time() {
    let mut stream = Stream::new();
    stream.host(ProcessId(2), "P");
    stream.fires("I-10", "activated a second time");
}

#[test]
fn i10_crash_telemetry_fired_twice() {
    let mut stream = Stream::new();
    stream.event(T, ModelEvent::CrashTelemetry { plugin: "P".into() });
    stream.event(T, ModelEvent::CrashTelemetry { plugin: "P".into() });
    stream.fires("I-10", "telemetry fired twice");
}

#[test]
fn i10_a_vm_created_under_a_lock_taken_after_the_latch() {
    let mut stream = Stream::new();
    stream.fan_out(9, HookKind::VmStopping, true).thread(W, ProcessId::SERVICE, Some(9));
    stream.hook(W, HOST, HookKind::VmStopping, CallOutcome::Failed { hr: RPC_S_CALL_FAILED });
    stream.fan_out(9, HookKind::VmStopping, false);
    stream.step(T, 1).acquire(T, "session#1.instance_lock", false);
    stream.fan_out(T, HookKind::VmStarted, true).thread(10, ProcessId::SERVICE, Some(T));
    stream.hook(10, HOST, HookKind::VmStarted, replied(S_OK));
    stream.fires("I-10", "a VM was created after the fatal plugin error");
}

/// `_CreateVm` checks the latch under the instance lock: a crash latched after the creating
/// thread took it, but before `OnVMStarted` is sent, did not forbid that VM.
#[test]
fn i10_a_crash_latched_after_the_check_leaves_that_vm_alone() {
    let mut stream = Stream::new();
    stream.step(T, 1).acquire(T, "session#1.instance_lock", false);
    stream.fan_out(T, HookKind::VmStarted, true).thread(10, ProcessId::SERVICE, Some(T));
    stream.fan_out(9, HookKind::VmStopping, true).thread(W, ProcessId::SERVICE, Some(9));
    stream.hook(W, HOST, HookKind::VmStopping, CallOutcome::Failed { hr: RPC_S_CALL_FAILED });
    stream.fan_out(9, HookKind::VmStopping, false);
    stream.hook(10, HOST, HookKind::VmStarted, replied(S_OK));
    stream.fan_out(T, HookKind::VmStarted, false);
    stream.release(T, "session#1.instance_lock");
    stream.clean();
}

/// A teardown fan-out saw a host crash and latched it; before that fan-out ends, a start
/// on another thread fails fast with the latched error (§5.3).
#[test]
fn i10_a_start_reporting_a_crash_latched_by_a_fan_out_still_running() {
    let mut stream = Stream::new();
    stream.fan_out(9, HookKind::VmStopping, true).thread(W, ProcessId::SERVICE, Some(9));
    stream.hook(W, HOST, HookKind::VmStopping, CallOutcome::Failed { hr: RPC_S_CALL_FAILED });
    stream.step(T, 1).step_ends(T, 1, fatal("P", RPC_S_CALL_FAILED));
    stream.fan_out(9, HookKind::VmStopping, false);
    stream.clean();
}

#[test]
fn i10_a_plugin_error_that_latched() {
    let mut stream = Stream::new();
    stream.step(T, 1).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::VmStarted, replied(E_FAIL));
    stream.step_ends(T, 1, fatal("P", E_FAIL));
    stream.step(T, 2).step_ends(T, 2, fatal("P", E_FAIL));
    stream.fires("I-10", "plugin-returned errors never latch");
}

#[test]
fn i11_a_failed_vm_start_without_vm_stopping() {
    let mut stream = Stream::new();
    stream.step(T, 1).fan_out(T, HookKind::VmStarted, true).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::VmStarted, replied(E_FAIL));
    stream.fan_out(T, HookKind::VmStarted, false).step_ends(T, 1, fatal("P", E_FAIL));
    stream.fires("I-11", "before OnVMStopping reached every loaded plugin");
}

#[test]
fn i14_overlapping_hooks_of_one_plugin() {
    let mut stream = Stream::new();
    stream.thread(9, HOST, None);
    stream.event(H, ModelEvent::PluginHookEntered { plugin: "P".into(), hook: HookKind::VmStarted });
    stream
        .event(9, ModelEvent::PluginHookEntered { plugin: "P".into(), hook: HookKind::DistributionStopping });
    stream.fires("I-14", "was still running");
}

#[test]
fn i14_a_hook_in_another_plugins_host() {
    let mut stream = Stream::new();
    stream.event(H, ModelEvent::PluginHookEntered { plugin: "Q".into(), hook: HookKind::VmStarted });
    stream.fires("I-14", "one plugin per host process");
}

#[test]
fn i15_plugin_error_off_the_hook_thread() {
    let mut stream = Stream::new();
    stream.thread(9, HOST, None);
    let plugin: Name = "P".into();
    stream.event(H, ModelEvent::PluginHookEntered { plugin: plugin.clone(), hook: HookKind::VmStarted });
    stream.event(9, ModelEvent::PluginErrorCalled { plugin, hr: S_OK, message: "text".to_string() });
    stream.fires("I-15", "instead of E_ILLEGAL_METHOD_CALL");
}

#[test]
fn i15_a_message_from_a_hook_that_carries_none() {
    let mut stream = Stream::new();
    let outcome = CallOutcome::Replied { hr: S_OK, message: Some("leaked".to_string()) };
    stream.hook(T, HOST, HookKind::VmStopping, outcome);
    stream.fires("I-15", "carries none");
}

/// The service releases the host while a callback its stub made is still in flight.
fn release_during_a_callback(design: Design, callback_ends_first: bool) -> Stream {
    let mut stream = Stream::of(design);
    let callback =
        stream.call_started(H, ProcessId::SERVICE, CallRequest::Callback { api: "MountFolder", session: S1 });
    if callback_ends_first {
        stream.fact(Fact::CallEnded { call: callback, outcome: replied(S_OK) });
    }
    let release = stream.call_started(MAIN, HOST, CallRequest::Release);
    stream.fact(Fact::CallEnded { call: release, outcome: replied(S_OK) });
    stream
}

#[test]
fn s9_10_a_host_destroyed_under_a_stub_in_flight() {
    release_during_a_callback(Design::Pump, false).fires("§9.10", "still in flight");
    release_during_a_callback(Design::CallbackLock, false).fires("§9.10", "still in flight");
    release_during_a_callback(Design::Pump, true).clean();
}

#[test]
fn s9_10_a_stub_that_calls_after_its_host_was_destroyed() {
    let mut stream = release_during_a_callback(Design::CallbackLock, true);
    stream.call_started(H, ProcessId::SERVICE, CallRequest::Callback { api: "ExecuteBinary", session: S1 });
    stream.fires("§9.10", "after its host object was destroyed");
}

/// A PR 40120 callback's work on `R`, holding `locks`, answered `hr`.
fn callback_lock_work(locks: &[&str], hr: HResult) -> Stream {
    let mut stream = Stream::of(Design::CallbackLock);
    stream.rpc_thread(R, "MountFolder").callback(R, 1);
    for lock in locks {
        stream.acquire(R, lock, false);
    }
    stream.work(R, 1, WorkSite::Direct, Some(hr));
    stream.event(R, ModelEvent::CallbackReplied { callback: CallbackId(1), hr });
    stream
}

#[test]
fn s7_callback_lock_work_without_the_shared_callback_lock() {
    callback_lock_work(&[], S_OK).fires("§7", "without session#1.callback_lock");
    callback_lock_work(&["session#1.callback_lock", "session#1.instance_lock"], S_OK)
        .fires("§7", "holds session#1.instance_lock");
    callback_lock_work(&["session#1.callback_lock"], S_OK).clean();
    let mut reversed = Stream::of(Design::CallbackLock);
    reversed.acquire(T, "session#1.callback_lock", false).acquire(T, "session#1.instance_lock", false);
    reversed.fires("§7", "the lock order is m_instanceLock → m_callbackLock");
    let mut ordered = Stream::of(Design::CallbackLock);
    ordered.acquire(T, "session#1.instance_lock", false).acquire(T, "session#1.callback_lock", false).clean();
    // A cookie naming no live session is answered before any lock.
    callback_lock_work(&[], ERROR_NOT_FOUND).clean();
}

#[test]
fn i16_a_host_that_outlives_the_stop() {
    let mut stream = Stream::new();
    stream.event(MAIN, ModelEvent::ServiceStopped).finish();
    stream.fires("I-16", "outlived the service's stop");
}

#[test]
fn i17_a_pump_that_keeps_waiting_after_its_worker() {
    let mut stream = Stream::new();
    stream.pump_running().fact(Fact::ThreadEnded { thread: ThreadId(W) });
    stream.event(T, ModelEvent::PumpWoke { pump: PumpId(1), index: 0 });
    stream.event(T, ModelEvent::PumpWoke { pump: PumpId(1), index: 0 });
    stream.fires("I-17", "WorkerDone poll");
}

#[test]
fn a_start_hook_that_reaches_a_plugin_after_one_failed_it() {
    let mut stream = Stream::new();
    stream.host(ProcessId(2), "Q");
    stream.step(T, 1).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::DistributionStarted, replied(E_FAIL));
    stream.hook(W, ProcessId(2), HookKind::DistributionStarted, replied(S_OK));
    stream.fires("§2", "the first failing plugin stops the loop");
}

fn wslc_fan_out(stream: &mut Stream, hook: HookKind, begin: bool) {
    let event = if begin {
        ModelEvent::FanOutBegin { hook, session: S1 }
    } else {
        ModelEvent::FanOutEnd { hook, session: S1, failed: None }
    };
    stream.event(T, event);
}

fn wslc_callback(stream: &mut Stream, hr: HResult) {
    let call = stream.call_started(
        H,
        ProcessId::SERVICE,
        CallRequest::Callback { api: "WSLCCreateProcess", session: S1 },
    );
    stream.fact(Fact::CallEnded { call, outcome: replied(hr) });
}

#[test]
fn i12_a_vetoed_wslc_session_without_its_stopping() {
    let mut stream = Stream::new();
    stream.step(T, 1);
    wslc_fan_out(&mut stream, HookKind::WslcSessionCreated, true);
    stream.hook(T, HOST, HookKind::WslcSessionCreated, replied(E_FAIL));
    wslc_fan_out(&mut stream, HookKind::WslcSessionCreated, false);
    stream.step_ends(T, 1, fatal("P", E_FAIL));
    stream.event(T, ModelEvent::WslcSessionTerminated { session: 1 });
    stream.event(MAIN, ModelEvent::ServiceStopped).fact(Fact::ProcessDied { process: HOST }).finish();
    stream.fires("I-12", "got 0 OnSessionStopping");
}

#[test]
fn i12_a_wslc_session_that_resolves_after_its_stopping() {
    let mut stream = Stream::new();
    stream.step(T, 1);
    wslc_fan_out(&mut stream, HookKind::WslcSessionStopping, true);
    stream.hook(T, HOST, HookKind::WslcSessionStopping, replied(S_OK));
    wslc_fan_out(&mut stream, HookKind::WslcSessionStopping, false);
    stream.step_ends(T, 1, Ok(()));
    wslc_callback(&mut stream, S_OK);
    stream.fires("I-12", "the reference entry is removed after that hook");
}

#[test]
fn i13_a_wslc_session_stopping_twice() {
    let mut stream = Stream::new();
    stream.hook(T, HOST, HookKind::WslcSessionStopping, replied(S_OK));
    stream.hook(T, HOST, HookKind::WslcSessionStopping, replied(S_OK));
    stream.fires("I-13", "twice");
}

#[test]
fn i13_a_wslc_session_that_does_not_resolve_during_its_stopping() {
    let mut stream = Stream::new();
    wslc_fan_out(&mut stream, HookKind::WslcSessionStopping, true);
    wslc_callback(&mut stream, ERROR_NOT_FOUND);
    stream.fires("I-13", "must resolve while plugins are told");
}

#[test]
fn i10_a_wslc_operation_failing_with_the_latched_error() {
    let mut stream = Stream::new();
    stream.fan_out(T, HookKind::VmStopping, true).thread(W, ProcessId::SERVICE, Some(T));
    stream.hook(W, HOST, HookKind::VmStopping, CallOutcome::Failed { hr: RPC_S_CALL_FAILED });
    stream.fan_out(T, HookKind::VmStopping, false);
    stream.event(T, ModelEvent::StepBegin { step: 2, op: "wslc-create-session", what: "create".to_string() });
    stream.step_ends(T, 2, fatal("P", RPC_S_CALL_FAILED));
    stream.fires("I-10", "never gated by the fatal-error latch");
}
