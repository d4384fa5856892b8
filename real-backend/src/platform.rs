//! [`RealPlatform`]: the model's platform seam on OS threads, real locks, the wall clock and
//! real host processes.
//!
//! One [`ProcessCore`] per process: the service's (which activates hosts) or a host's
//! (which calls back into its service). Model events go to the process's sink: in the
//! service, the oracles; in a host, the wire, so the service's oracles see them too.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::fact::{Blocker, CallId, Fact, ProcessId};
use plughost_model::hresult::{E_UNEXPECTED, HResult};
use plughost_model::ids::{Name, PluginIndex};
use plughost_model::platform::{CallbackServer, Platform, Reset, ThreadId};

use crate::events::{EventHub, RealEvent};
use crate::facts::FactOut;
use crate::host::RealServiceLink;
use crate::host_link::{HostConnection, RealHostLink};
use crate::locks::{LockCore, LockKind, RealMutex, RealRecursiveMutex, RealSrwLock};
use crate::run::RealConfig;
use crate::threads::{self, Activity, RealThread, ThreadTable};
use crate::transport::{HostTransport, Uplink};

/// Where a process's trace lines go.
pub(crate) enum TraceOut {
    Off,
    /// To `tracing`, through the dispatcher of the thread that started the run (the
    /// service; the recorder formats them as the simulator's are).
    Tracing(tracing::Dispatch),
    /// Over the transport to the service (a host).
    Wire(Arc<dyn Uplink>),
}

/// How the service reaches its hosts, for one run.
pub(crate) enum ServiceTransport {
    /// A `plughost-host` child per plugin, started by the spawner, on a pipe.
    Pipe(crate::lifetime::Spawner),
    /// COM: each host activated from the run's registered class.
    #[cfg(windows)]
    Com(crate::com::ComRun),
}

/// The service's host activations: how long each took, and those under way. The watchdog
/// does not count time spent activating hosts: it is the platform starting up, not the
/// design making progress (a COM activation under Wine takes about a second).
#[derive(Default)]
pub(crate) struct Activations {
    pub(crate) took: Vec<Duration>,
    under_way: Vec<Instant>,
}

impl Activations {
    /// An activation begins now.
    pub(crate) fn begin(&mut self) -> Instant {
        let now = Instant::now();
        self.under_way.push(now);
        now
    }

    /// The activation that began at `began` ended (activated or failed).
    pub(crate) fn end(&mut self, began: Instant) {
        if let Some(index) = self.under_way.iter().position(|&b| b == began) {
            self.under_way.swap_remove(index);
        }
        self.took.push(began.elapsed());
    }

    /// Time spent activating hosts by `now`, each activation counted on its own.
    pub(crate) fn spent(&self, now: Instant) -> Duration {
        let under_way: Duration = self.under_way.iter().map(|&b| now.saturating_duration_since(b)).sum();
        self.took.iter().sum::<Duration>() + under_way
    }
}

/// What a process is.
#[allow(
    clippy::large_enum_variant,
    reason = "one value per process: boxing the service's state buys nothing"
)]
pub(crate) enum Role {
    Service {
        config: RealConfig,
        transport: ServiceTransport,
        hosts: Mutex<Vec<Arc<dyn HostTransport>>>,
        errors: Mutex<Vec<String>>,
        /// Host activations: how long each took, and those under way.
        activations: Mutex<Activations>,
        /// Calls to hosts the transport failed.
        failed_calls: Mutex<Vec<crate::run::FailedCall>>,
        /// Host activations the transport tried again, and why (COM under Wine).
        activation_retries: Mutex<Vec<String>>,
        /// The service's kill-on-close job, which every host joins (Windows).
        #[cfg(windows)]
        job: crate::lifetime::HostJob,
    },
    Host,
}

/// One process's platform state.
pub struct ProcessCore {
    pub(crate) name: String,
    pub(crate) started: Instant,
    pub(crate) threads: Arc<ThreadTable>,
    pub(crate) hub: Arc<EventHub>,
    pub(crate) sink: Arc<dyn EventSink>,
    pub(crate) facts: Arc<FactOut>,
    pub(crate) trace: TraceOut,
    pub(crate) role: Role,
    /// Threads started to serve inbound calls so far (named `R-n` in the service, `H-n` in
    /// a host, as the simulator names them).
    rpc_threads: AtomicU32,
}

impl ProcessCore {
    pub(crate) fn new(
        name: String,
        sink: Arc<dyn EventSink>,
        trace: TraceOut,
        role: Role,
    ) -> Arc<ProcessCore> {
        let threads = Arc::new(ThreadTable::default());
        let started = Instant::now();
        let facts = FactOut::new(sink.clone(), started);
        Arc::new(ProcessCore {
            name,
            started,
            hub: EventHub::new(threads.clone(), facts.clone()),
            threads,
            sink,
            facts,
            trace,
            role,
            rpc_threads: AtomicU32::new(0),
        })
    }

    /// Time since the process's platform started.
    pub(crate) fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// A trace line for `thread`.
    pub(crate) fn trace_line(&self, thread: &str, text: impl FnOnce() -> String) {
        match &self.trace {
            TraceOut::Off => {}
            TraceOut::Tracing(dispatch) => {
                let time_ns = self.now().as_nanos() as u64;
                tracing::dispatcher::with_default(dispatch, || {
                    tracing::event!(target: "plughost::trace", tracing::Level::INFO, time_ns, thread, "{}", text());
                });
            }
            TraceOut::Wire(uplink) => uplink.trace(thread, text()),
        }
    }

    fn trace_current(&self, text: impl FnOnce() -> String) {
        if !matches!(self.trace, TraceOut::Off) {
            let name = threads::try_current().map_or("-".to_string(), |t| self.threads.name(t));
            self.trace_line(&name, text);
        }
    }

    /// Starts a logical thread named `process/name`.
    pub(crate) fn spawn<F>(self: &Arc<Self>, name: &str, body: F) -> RealThread
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn_serving(name, None, body)
    }

    /// Starts a logical thread named `process/name`, to serve inbound call `serves` if any.
    fn spawn_serving<F>(self: &Arc<Self>, name: &str, serves: Option<CallId>, body: F) -> RealThread
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let core = self.clone();
        let qualified = format!("{}/{name}", self.name);
        let dispatch = match &self.trace {
            TraceOut::Tracing(dispatch) => Some(dispatch.clone()),
            _ => None,
        };
        let origin = threads::Origin { facts: self.facts.clone(), process: ProcessId::SERVICE, serves };
        let thread = threads::spawn(&self.threads, &qualified, dispatch, origin, async move {
            body.await;
            core.trace_current(|| "exits".to_string());
        });
        self.trace_current(|| format!("spawn {}", thread.name()));
        thread
    }

    /// Starts a thread that serves inbound call `call`.
    pub(crate) fn spawn_rpc_thread<F>(self: &Arc<Self>, call: Option<CallId>, body: F) -> RealThread
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let name = self.rpc_thread_name();
        self.spawn_serving(&name, call, body)
    }

    /// Serves inbound call `call` on the calling OS thread — one COM started and runs the
    /// call on (an RPC thread) — as a logical thread named as [`Self::spawn_rpc_thread`]
    /// names one. Returns the body's output, or the panic's message if the model panicked.
    #[cfg_attr(not(windows), expect(dead_code, reason = "only COM serves calls on its own threads"))]
    pub(crate) fn adopt_rpc_thread<T>(
        self: &Arc<Self>,
        call: Option<CallId>,
        body: impl Future<Output = T>,
    ) -> Result<T, String> {
        let qualified = format!("{}/{}", self.name, self.rpc_thread_name());
        let dispatch = match &self.trace {
            TraceOut::Tracing(dispatch) => Some(dispatch.clone()),
            _ => None,
        };
        let origin = threads::Origin { facts: self.facts.clone(), process: ProcessId::SERVICE, serves: call };
        let core = self.clone();
        self.trace_line("-", || format!("spawn {qualified} (a COM RPC thread)"));
        threads::adopt(&self.threads, &qualified, dispatch, origin, async move {
            let output = body.await;
            core.trace_current(|| "exits".to_string());
            output
        })
    }

    /// The next inbound call's thread name: `R-n` in the service, `H-n` in a host.
    fn rpc_thread_name(&self) -> String {
        let prefix = if matches!(self.role, Role::Service { .. }) { "R" } else { "H" };
        let n = self.rpc_threads.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{prefix}-{n}")
    }

    /// Puts a started host in the service's job (Windows; elsewhere nothing to do).
    pub(crate) fn assign_to_job(&self, child: &std::process::Child) -> Result<(), String> {
        #[cfg(windows)]
        if let Role::Service { job, .. } = &self.role {
            return job.assign(child);
        }
        let _ = child;
        Ok(())
    }

    /// Records a call the transport failed, for the run's report.
    pub(crate) fn record_failed_call(&self, call: crate::run::FailedCall) {
        self.trace_line("-", || {
            format!("call {} to {} failed {}: {}", call.method, call.host, call.phase.name(), call.hr)
        });
        if let Role::Service { failed_calls, .. } = &self.role {
            failed_calls.lock().push(call);
        }
    }

    /// Records a host activation the transport tried again, and why, for the run's report.
    #[cfg_attr(not(windows), expect(dead_code, reason = "only the COM transport retries activations"))]
    pub(crate) fn record_activation_retry(&self, note: String) {
        self.trace_line("-", || note.clone());
        if let Role::Service { activation_retries, .. } = &self.role {
            activation_retries.lock().push(note);
        }
    }

    /// Records a protocol error (or any other failure of the world) for the run's report.
    pub(crate) fn report_error(&self, error: String) {
        self.trace_line("-", || error.clone());
        if let Role::Service { errors, .. } = &self.role {
            errors.lock().push(error);
        }
    }
}

/// The real platform of one process.
#[derive(Clone)]
pub struct RealPlatform {
    pub(crate) core: Arc<ProcessCore>,
}

impl Platform for RealPlatform {
    type Thread = RealThread;
    type RecursiveMutex = RealRecursiveMutex;
    type SrwLock = RealSrwLock;
    type Mutex = RealMutex;
    type Event = RealEvent;
    type HostLink = RealHostLink;
    type ServiceLink = RealServiceLink;

    async fn spawn<F>(&self, name: String, body: F) -> RealThread
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.core.spawn(&name, body)
    }

    async fn join(&self, thread: &RealThread) {
        let me = threads::current();
        let target = thread.name();
        if !self.core.threads.is_finished(thread.id()) {
            self.core.facts.emit(Fact::Blocked { thread: me, on: Blocker::Join(thread.id()), timed: false });
        }
        self.core.threads.set(me, Activity::Blocked(format!("waits to join {target}")));
        thread.join();
        self.core.threads.set(me, Activity::Running);
        self.core.trace_current(|| format!("joined {target}"));
    }

    fn thread_id(thread: &RealThread) -> ThreadId {
        thread.id()
    }

    fn current_thread(&self) -> ThreadId {
        threads::current()
    }

    fn recursive_mutex(&self, name: String) -> RealRecursiveMutex {
        RealRecursiveMutex(LockCore::new(name, LockKind::RecursiveTimed, &self.core))
    }

    fn srw_lock(&self, name: String) -> RealSrwLock {
        RealSrwLock(LockCore::new(name, LockKind::Srw, &self.core))
    }

    fn mutex(&self, name: String) -> RealMutex {
        RealMutex(LockCore::new(name, LockKind::Plain, &self.core))
    }

    fn event(&self, name: String, reset: Reset) -> RealEvent {
        self.core.hub.add(name, reset)
    }

    async fn wait_any(&self, events: &[&RealEvent]) -> usize {
        RealEvent::wait_any(events, None).expect("an untimed wait returns a signalled index")
    }

    fn now(&self) -> Duration {
        self.core.now()
    }

    async fn sleep(&self, duration: Duration) {
        let me = threads::current();
        self.core.facts.emit(Fact::Blocked { thread: me, on: Blocker::Sleep, timed: true });
        self.core.threads.set(me, Activity::Retrying(format!("sleeps {duration:?}")));
        std::thread::sleep(duration);
        self.core.threads.set(me, Activity::Running);
    }

    async fn activate_host(
        &self,
        _plugin: PluginIndex,
        name: Name,
        callbacks: Arc<dyn CallbackServer>,
    ) -> Result<RealHostLink, HResult> {
        let Role::Service { config, transport, hosts, activations, .. } = &self.core.role else {
            return Err(E_UNEXPECTED);
        };
        let began = activations.lock().begin();
        let host: Result<Arc<dyn HostTransport>, HResult> = match transport {
            ServiceTransport::Pipe(spawner) => {
                HostConnection::start(&self.core, config, spawner, name, callbacks)
                    .map(|host| host as Arc<dyn HostTransport>)
            }
            #[cfg(windows)]
            ServiceTransport::Com(run) => crate::com::ComHost::start(&self.core, run, name, callbacks)
                .map(|host| host as Arc<dyn HostTransport>),
        };
        activations.lock().end(began);
        let host = host?;
        hosts.lock().push(host.clone());
        Ok(RealHostLink::new(self.core.clone(), host))
    }

    async fn terminate_current_process(&self) {
        match self.core.role {
            Role::Host => crate::lifetime::terminate_self(),
            // The service is this process, which must outlive the run: the terminating thread
            // records the death and unwinds; the run ends at once with the service dead.
            Role::Service { .. } => {
                self.core.threads.service_terminated(threads::current());
                std::panic::resume_unwind(Box::new(crate::threads::ServiceTerminated));
            }
        }
    }

    fn emit(&self, event: ModelEvent) {
        let me = threads::current();
        self.core.sink.record(self.core.now(), me, &event);
        self.core.trace_current(|| event.to_string());
    }
}
