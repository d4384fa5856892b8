//! The `pump_kernel` scenario's protocol (spec §4.2–§4.6) as five threads:
//!
//! - T, the notifying thread (the execution's main thread): holds the session's
//!   `m_instanceLock`, registers a pump for the session cookie under `m_wslPumpLock`, starts
//!   the pump worker, pumps until the worker is done, stops the pump, unregisters it;
//! - W, the pump worker: calls the host's `OnVMStarted` and, when it returns, sets
//!   "worker done";
//! - H, the host's hook thread: takes `m_hookLock` and runs the plugin's `OnVMStarted`,
//!   which starts the plugin's worker and returns;
//! - the plugin's worker: calls `MountFolder` on the service;
//! - R, the service's RPC thread serving that callback: `InvokeOnWslPump` — the session's
//!   registered pump if it has one that has not stopped, else the direct path under
//!   `m_instanceLock`, re-checking the pump whenever the timed acquire times out.
//!
//! A call across processes is a thread spawned for the call and joined for its reply, as in
//! plughost's simulated platform (W spawns H, the plugin's worker spawns R).
//!
//! Simplification: neither tool models time, so `try_lock_for(25 ms)` on `m_instanceLock` is
//! a `try_lock`: it succeeds if the lock is free when tried and otherwise times out, after
//! which R yields (the 25 ms others run in) and goes back to the pump look-up. The source's
//! loop has no retry limit; neither has this one.
//!
//! Every execution ends with the scenario's checks: the callback's work ran exactly once,
//! at the site that replied to R (a pump that refused the call did not run it), the plugin's
//! `MountFolder` returned `S_OK`, the hook returned `S_OK`, the plugin logged both lines, and
//! the pump ended stopped with an empty queue.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as Bookkeeping};

use crate::prims::{Condvar, Mutex, RwLock, thread};

/// An HRESULT.
type HResult = i32;
const S_OK: HResult = 0;
/// `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`: the cookie names no session.
const ERROR_NOT_FOUND: HResult = 0x8007_0490_u32 as i32;
/// `E_NOT_VALID_STATE`: the session has no VM.
const E_NOT_VALID_STATE: HResult = 0x8007_139F_u32 as i32;
/// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`: no such Windows folder.
const ERROR_FILE_NOT_FOUND: HResult = 0x8007_0002_u32 as i32;

/// The `no-recheck` mutant: a timed-out direct acquire returns `ERROR_TIMEOUT` to the plugin
/// instead of looking for the pump again. Set once before the runs; the checks must fail.
pub static NO_RECHECK: AtomicBool = AtomicBool::new(false);
const ERROR_TIMEOUT: HResult = 0x8007_05B4_u32 as i32;

/// The scenario's session cookie and the folder its plugin mounts.
const COOKIE: u32 = 1;
const WINDOWS_FOLDER: &str = r"C:\plugin";

/// Where a callback's work ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Site {
    /// On T, by the pump (`DrainQueue`).
    Pumped,
    /// On R, under `m_instanceLock` (`TryInvokeUnderInstanceLock`).
    Direct,
    /// On R, without a lock: the cookie named no session.
    NoSession,
}

/// What one execution did, read only by the final checks.
#[derive(Default)]
struct Record {
    runs: Vec<Site>,
    replied_from: Option<Site>,
    refused: bool,
    plugin_log: Vec<String>,
}

/// One execution of the kernel: the body handed to shuttle's and loom's runners.
pub fn execution() {
    let service = Arc::new(Service::new());
    let host = Arc::new(Host::new(service.clone()));
    let session = service.find_session(COOKIE).expect("the scenario's session exists");
    let hr = session.instance_lock.with(|| {
        *session.vm.lock().unwrap() = true;
        run_host_notification(&service, &host)
    });
    assert_eq!(hr, S_OK, "OnVMStarted returned {hr:#x}");
    let worker = host.worker.lock().unwrap().take().expect("OnVMStarted started the plugin's worker");
    assert_eq!(worker.join().unwrap(), S_OK, "MountFolder failed");
    check(&service.record.lock().unwrap());
}

/// The scenario's invariants over what the execution recorded.
fn check(record: &Record) {
    assert_eq!(record.runs.len(), 1, "the callback's work ran {} times", record.runs.len());
    assert_eq!(Some(record.runs[0]), record.replied_from, "reported where it did not run");
    assert!(!record.refused || record.runs[0] == Site::Direct, "a refused call ran on the pump");
    let mut log = record.plugin_log.clone();
    log.sort();
    assert_eq!(log, ["MountFolder: S_OK", "OnVMStarted returns"]);
}

/// `RunHostNotification` (§4.5), on T with `m_instanceLock` held.
fn run_host_notification(service: &Arc<Service>, host: &Arc<Host>) -> HResult {
    let pump = Arc::new(Pump::new());
    service.pumps.write().unwrap().insert(COOKIE, pump.clone());
    let hr = pump.run(service, host);
    service.pumps.write().unwrap().remove(&COOKIE);
    hr
}

/// `LxssUserSessionImpl`: its `m_instanceLock` and whether its VM exists.
struct Session {
    instance_lock: RecursiveMutex,
    vm: Bookkeeping<bool>,
}

/// The service: `g_sessions` under `g_sessionLock`, the pump registry under `m_wslPumpLock`.
struct Service {
    sessions: Mutex<BTreeMap<u32, Arc<Session>>>,
    pumps: RwLock<BTreeMap<u32, Arc<Pump>>>,
    record: Bookkeeping<Record>,
}

impl Service {
    fn new() -> Service {
        let session = Arc::new(Session { instance_lock: RecursiveMutex::new(), vm: Bookkeeping::new(false) });
        Service {
            sessions: Mutex::new(BTreeMap::from([(COOKIE, session)])),
            pumps: RwLock::new(BTreeMap::new()),
            record: Bookkeeping::default(),
        }
    }

    /// `FindSessionByCookie`: `g_sessionLock` taken exclusive.
    fn find_session(&self, cookie: u32) -> Option<Arc<Session>> {
        self.sessions.lock().unwrap().get(&cookie).cloned()
    }

    /// The `MountFolder` callback, on R: `InvokeOnWslPump` (§4.6).
    fn serve_mount_folder(&self, cookie: u32) -> HResult {
        let (hr, site) = self.invoke_on_wsl_pump(cookie);
        self.record.lock().unwrap().replied_from = Some(site);
        hr
    }

    fn invoke_on_wsl_pump(&self, cookie: u32) -> (HResult, Site) {
        loop {
            // 1. Copy the pump out under the shared registry lock; never block holding it.
            let pump = self.pumps.read().unwrap().get(&cookie).cloned();
            // 2. A hook is in flight: its notifying thread runs the work. `None`: it stopped.
            if let Some(pump) = pump {
                match pump.invoke(cookie) {
                    Some(hr) => return (hr, Site::Pumped),
                    None => self.record.lock().unwrap().refused = true,
                }
            }
            // 3. Unknown session: the work runs unlocked and reports "not found".
            let Some(session) = self.find_session(cookie) else {
                return (self.mount_folder_work(cookie, Site::NoSession), Site::NoSession);
            };
            // 4. The direct path. The timed acquire is a `try_lock` (see the module doc).
            let direct = || self.mount_folder_work(cookie, Site::Direct);
            if let Some(hr) = session.instance_lock.try_with(direct) {
                return (hr, Site::Direct);
            }
            // 5. Timed out: the 25 ms in which the other threads run; then look again.
            if NO_RECHECK.load(Ordering::Relaxed) {
                return (ERROR_TIMEOUT, Site::Direct);
            }
            thread::yield_now();
        }
    }

    /// The work of `MountFolder`: resolve the cookie again, then mount under the session's
    /// `m_instanceLock` (re-entered when T runs it, or when R already holds it).
    fn mount_folder_work(&self, cookie: u32, site: Site) -> HResult {
        self.record.lock().unwrap().runs.push(site);
        let Some(session) = self.find_session(cookie) else { return ERROR_NOT_FOUND };
        session.instance_lock.with(|| mount_root_namespace_folder(&session, WINDOWS_FOLDER))
    }
}

/// `MountRootNamespaceFolder`.
fn mount_root_namespace_folder(session: &Session, windows_folder: &str) -> HResult {
    if !*session.vm.lock().unwrap() {
        E_NOT_VALID_STATE
    } else if windows_folder != WINDOWS_FOLDER {
        ERROR_FILE_NOT_FOUND
    } else {
        S_OK
    }
}

/// `std::recursive_timed_mutex` on the tool's mutex: the owner is bookkeeping, so re-entry by
/// the holder costs no scheduling point (a thread only ever compares it with its own id).
struct RecursiveMutex {
    lock: Mutex<()>,
    owner: Bookkeeping<Option<thread::ThreadId>>,
}

impl RecursiveMutex {
    fn new() -> RecursiveMutex {
        RecursiveMutex { lock: Mutex::new(()), owner: Bookkeeping::new(None) }
    }

    fn held_by_current_thread(&self) -> bool {
        *self.owner.lock().unwrap() == Some(thread::current().id())
    }

    /// `lock_guard` around `body`.
    fn with<T>(&self, body: impl FnOnce() -> T) -> T {
        if self.held_by_current_thread() {
            return body();
        }
        let guard = self.lock.lock().unwrap();
        self.owned(guard, body)
    }

    /// `try_lock_for` around `body`; `None` when the lock was busy.
    fn try_with<T>(&self, body: impl FnOnce() -> T) -> Option<T> {
        if self.held_by_current_thread() {
            return Some(body());
        }
        let guard = self.lock.try_lock().ok()?;
        Some(self.owned(guard, body))
    }

    fn owned<G, T>(&self, guard: G, body: impl FnOnce() -> T) -> T {
        *self.owner.lock().unwrap() = Some(thread::current().id());
        let output = body();
        *self.owner.lock().unwrap() = None;
        drop(guard);
        output
    }
}

/// `PluginCallPump` (§4.2–§4.4) serving one notification.
struct Pump {
    /// `m_lock`, always exclusive, and what it guards.
    lock: Mutex<Guarded>,
    /// The auto-reset `m_callAvailable` and the manual-reset `workerDone`, waited on together.
    events: Mutex<Signals>,
    signalled: Condvar,
}

struct Guarded {
    queue: VecDeque<Arc<Call>>,
    stopped: bool,
}

#[derive(Default)]
struct Signals {
    call_available: bool,
    worker_done: bool,
}

/// A queued call: its work (the `MountFolder` of a cookie) and its auto-reset `done` event,
/// which carries the result.
struct Call {
    cookie: u32,
    done: Mutex<Option<HResult>>,
    signalled: Condvar,
}

impl Pump {
    fn new() -> Pump {
        Pump {
            lock: Mutex::new(Guarded { queue: VecDeque::new(), stopped: false }),
            events: Mutex::new(Signals::default()),
            signalled: Condvar::new(),
        }
    }

    /// `Run`: the notification on a fresh worker W, the pump on T; the join orders W's
    /// result before T reads it.
    fn run(self: &Arc<Self>, service: &Service, host: &Arc<Host>) -> HResult {
        let pump = self.clone();
        let host = host.clone();
        let worker = thread::spawn(move || {
            let hr = host.call_on_vm_started();
            pump.set_worker_done();
            hr
        });
        self.pump_until_worker_done(service);
        let hr = worker.join().unwrap();
        let guarded = self.lock.lock().unwrap();
        assert!(guarded.stopped && guarded.queue.is_empty(), "the pump returned with calls queued");
        hr
    }

    /// Step 3 of `Run`: wait, drain, poll "worker done", stop, drain once more.
    fn pump_until_worker_done(&self, service: &Service) {
        loop {
            self.wait_any();
            self.drain_queue(service);
            if self.worker_done() {
                self.lock.lock().unwrap().stopped = true;
                self.drain_queue(service);
                return;
            }
        }
    }

    /// `DrainQueue`: pop under `m_lock`, run outside it, FIFO, then signal the call's `done`.
    fn drain_queue(&self, service: &Service) {
        loop {
            let call = self.lock.lock().unwrap().queue.pop_front();
            let Some(call) = call else { return };
            let hr = service.mount_folder_work(call.cookie, Site::Pumped);
            *call.done.lock().unwrap() = Some(hr);
            call.signalled.notify_one();
        }
    }

    /// `Invoke`, on R: `None` when the pump had stopped and the work did not run.
    fn invoke(&self, cookie: u32) -> Option<HResult> {
        let call = Arc::new(Call { cookie, done: Mutex::new(None), signalled: Condvar::new() });
        {
            let mut guarded = self.lock.lock().unwrap();
            if guarded.stopped {
                return None;
            }
            guarded.queue.push_back(call.clone());
        }
        self.set_call_available();
        let mut done = call.done.lock().unwrap();
        while done.is_none() {
            done = call.signalled.wait(done).unwrap();
        }
        *done
    }

    /// `WaitForMultipleObjects` on `{m_callAvailable, workerDone}`, wait-any: returns once
    /// either is set; the auto-reset event is reset by the wait that reports it (the pump
    /// drains and polls "worker done" whichever woke it, so the index is not kept).
    fn wait_any(&self) {
        let mut signals = self.events.lock().unwrap();
        loop {
            if signals.call_available {
                signals.call_available = false;
                return;
            }
            if signals.worker_done {
                return;
            }
            signals = self.signalled.wait(signals).unwrap();
        }
    }

    /// The 0 ms poll of `workerDone`.
    fn worker_done(&self) -> bool {
        self.events.lock().unwrap().worker_done
    }

    fn set_call_available(&self) {
        self.events.lock().unwrap().call_available = true;
        self.signalled.notify_one();
    }

    fn set_worker_done(&self) {
        self.events.lock().unwrap().worker_done = true;
        self.signalled.notify_one();
    }
}

/// The plugin's host process: `m_hookLock`, and the plugin's worker once `OnVMStarted`
/// started it.
struct Host {
    service: Arc<Service>,
    hook_lock: Mutex<()>,
    worker: Bookkeeping<Option<thread::JoinHandle<HResult>>>,
}

impl Host {
    fn new(service: Arc<Service>) -> Host {
        Host { service, hook_lock: Mutex::new(()), worker: Bookkeeping::new(None) }
    }

    /// W's call to the host: served on a host RPC thread H.
    fn call_on_vm_started(self: &Arc<Self>) -> HResult {
        let host = self.clone();
        thread::spawn(move || host.on_vm_started()).join().unwrap()
    }

    /// `PluginHost::OnVMStarted` on H: the plugin's hook under `m_hookLock`.
    fn on_vm_started(self: &Arc<Self>) -> HResult {
        let _hook = self.hook_lock.lock().unwrap();
        let host = self.clone();
        let worker = thread::spawn(move || host.plugin_worker());
        *self.worker.lock().unwrap() = Some(worker);
        self.log("OnVMStarted returns".to_string());
        S_OK
    }

    /// The plugin's worker: `MountFolder`, served on a service RPC thread R, then its log line.
    fn plugin_worker(&self) -> HResult {
        let service = self.service.clone();
        let hr = thread::spawn(move || service.serve_mount_folder(COOKIE)).join().unwrap();
        self.log(if hr == S_OK { "MountFolder: S_OK".to_string() } else { format!("MountFolder: {hr:#x}") });
        hr
    }

    fn log(&self, line: String) {
        self.service.record.lock().unwrap().plugin_log.push(line);
    }
}
