//! Running one scenario end to end on the real platform: the service in this process, each
//! plugin in a host process, and a wall-clock watchdog that turns a hang into a report of
//! every thread's state instead of hanging.
//!
//! A run ends when every service thread finished and every live host has no running
//! thread (asked with `Quiesce`, so every log line it sent has arrived); then the hosts are
//! killed. If that does not happen before the watchdog's deadline, the run is `Hung`. The
//! watchdog does not count time spent activating hosts (a COM activation under Wine takes
//! about a second; a pipe host's start, milliseconds).
//!
//! The caller's sink hears the run only until its outcome is decided: killing a wedged run's
//! hosts lets its hung calls fail and its threads go on, and nothing they do then is part of
//! what the run is judged by (nor are the protocol errors the kill provokes).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::fact::Fact;
use plughost_model::platform::ThreadId;

use crate::platform::{Activations, ProcessCore, RealPlatform, Role, ServiceTransport, TraceOut};
use crate::transport::HostTransport;

/// How the service reaches its hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Each host a `plughost-host` child process on a pipe (every platform).
    Pipe,
    /// Each host a COM local server activated by `CoCreateInstance(CLSCTX_LOCAL_SERVER)`
    /// (Windows only).
    Com(ComClass),
}

/// Which COM class a COM run activates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComClass {
    /// A class id made and registered for the run (per user) and removed after it. Needed
    /// under Wine, whose RPC service refuses a class whose server was killed for up to a
    /// minute (real Windows starts a fresh server); every run ends by killing its hosts.
    PerRun,
    /// The class `plughost com register` registered.
    Registered,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RealConfig {
    /// The host program.
    pub host_program: PathBuf,
    /// Arguments before the host's own (e.g. `host` when the program is `plughost`).
    pub host_args: Vec<String>,
    /// Wall-clock limit of one run.
    pub watchdog: Duration,
    /// Plugins whose host misbehaves on purpose, by name, with the `--hostile` mode.
    pub hostile: BTreeMap<String, String>,
    /// How the service reaches its hosts.
    pub transport: Transport,
}

impl RealConfig {
    /// Hosts are started as `host_program host_args… --plugin NAME …`, on pipes.
    pub fn new(
        host_program: PathBuf,
        host_args: Vec<String>,
        watchdog: Duration,
    ) -> Result<RealConfig, String> {
        Ok(RealConfig {
            host_program,
            host_args,
            watchdog,
            hostile: BTreeMap::new(),
            transport: Transport::Pipe,
        })
    }

    /// The same, reaching hosts by `transport`; COM exists on Windows only.
    pub fn with_transport(mut self, transport: Transport) -> Result<RealConfig, String> {
        if matches!(transport, Transport::Com(_)) && !cfg!(windows) {
            return Err("the com transport needs Windows (COM local servers)".to_string());
        }
        self.transport = transport;
        Ok(self)
    }
}

/// How a real run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RealOutcome {
    /// Every thread finished and every host went quiet.
    Completed,
    /// The watchdog fired; one line per unfinished thread, service and hosts. `retrying`: some
    /// service thread was in a timed wait (spinning, as the 25 ms acquire does), not stuck.
    Hung { waited: Duration, threads: Vec<String>, retrying: bool },
    /// A service thread panicked (a broken model invariant).
    Panicked(String),
    /// A service thread terminated the service process (named): a plugin crash in the
    /// in-process design.
    ServiceDied(String),
}

/// What a real run produced.
#[derive(Clone, Debug)]
pub struct RealReport {
    /// How it ended.
    pub outcome: RealOutcome,
    /// Every protocol error and host failure the service saw, in order.
    pub errors: Vec<String>,
    /// Wall-clock duration.
    pub elapsed: Duration,
    /// How long each host's activation took (start to ready), in activation order.
    pub activations: Vec<Duration>,
    /// Every call to a host that failed in the transport, with the HRESULT it returned.
    pub failed_calls: Vec<FailedCall>,
    /// Every host activation the transport tried again, and why (COM: an activation that
    /// never executed, `RPC_S_CALL_FAILED_DNE`, retried from a fresh class).
    pub activation_retries: Vec<String>,
}

/// A call to a host that the transport failed: which, when, and what it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedCall {
    /// `host:NAME`.
    pub host: String,
    /// The method (`OnVMStarted`).
    pub method: String,
    /// Whether the host was already gone when the call was made ("after death"), or died
    /// while it was in flight ("in flight").
    pub phase: CallPhase,
    /// The HRESULT, exactly as the transport returned it.
    pub hr: plughost_model::hresult::HResult,
}

/// When a failed call was made, relative to its host's death.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CallPhase {
    /// The host died while the call was in flight (or as it was made).
    InFlight,
    /// The host was already known dead when the call was made.
    AfterDeath,
}

impl CallPhase {
    /// `in flight`, `after death`.
    pub fn name(self) -> &'static str {
        match self {
            CallPhase::InFlight => "in flight",
            CallPhase::AfterDeath => "after death",
        }
    }
}

/// Runs `root` as the service's first thread (`svc/main`) until the run ends or hangs.
pub fn run<F, Fut>(config: &RealConfig, sink: Arc<dyn EventSink>, root: F) -> RealReport
where
    F: FnOnce(RealPlatform) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let trace = if tracing::enabled!(target: "plughost::trace", tracing::Level::INFO) {
        TraceOut::Tracing(tracing::dispatcher::get_default(|dispatch| dispatch.clone()))
    } else {
        TraceOut::Off
    };
    // COM: this thread waits, quiesces and kills through proxies; it stays in the MTA until
    // every proxy of the run is released (this guard is dropped last).
    #[cfg(windows)]
    let _mta = plughost_win32::com::Mta::enter();
    let mut setup_errors = Vec::new();
    // The registration lives to the end of the run, after its hosts are killed.
    let (transport, _registration) = service_transport(config, &mut setup_errors);
    let role = Role::Service {
        config: config.clone(),
        transport,
        hosts: Mutex::new(Vec::new()),
        errors: Mutex::new(setup_errors),
        activations: Mutex::new(Activations::default()),
        failed_calls: Mutex::new(Vec::new()),
        activation_retries: Mutex::new(Vec::new()),
        #[cfg(windows)]
        job: match crate::lifetime::HostJob::create() {
            Ok(job) => job,
            Err(error) => panic!("the service's job object: {error}"),
        },
    };
    let until_the_end = Arc::new(UntilTheEnd { sink, open: AtomicBool::new(true) });
    let core = ProcessCore::new("svc".to_string(), until_the_end.clone(), trace, role);
    let Role::Service { hosts, errors, activations, failed_calls, activation_retries, .. } = &core.role
    else {
        unreachable!("the core was built as the service")
    };
    let started = Instant::now();
    let watchdog = Watchdog { started, limit: config.watchdog, activations };
    let _root = core.spawn("main", root(RealPlatform { core: core.clone() }));
    let outcome = wait_for_the_end(&core, hosts, &watchdog);
    until_the_end.open.store(false, Ordering::SeqCst);
    let errors = errors.lock().clone();
    let failed_calls = failed_calls.lock().clone();
    for host in hosts.lock().iter() {
        host.kill();
    }
    RealReport {
        outcome,
        errors,
        elapsed: started.elapsed(),
        activations: activations.lock().took.clone(),
        failed_calls,
        activation_retries: activation_retries.lock().clone(),
    }
}

/// The caller's sink while the run lasts: closed once the outcome is decided.
struct UntilTheEnd {
    sink: Arc<dyn EventSink>,
    open: AtomicBool,
}

impl EventSink for UntilTheEnd {
    fn record(&self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        if self.open.load(Ordering::SeqCst) {
            self.sink.record(at, thread, event);
        }
    }

    fn fact(&self, at: Duration, fact: &Fact) {
        if self.open.load(Ordering::SeqCst) {
            self.sink.fact(at, fact);
        }
    }

    fn violated(&self) -> bool {
        self.sink.violated()
    }
}

/// The run's way to its hosts, and what must outlive the run's hosts and be undone after
/// them (COM: the run's class registration).
fn service_transport(config: &RealConfig, errors: &mut Vec<String>) -> (ServiceTransport, RunRegistration) {
    match config.transport {
        Transport::Pipe => (ServiceTransport::Pipe(crate::lifetime::Spawner::start()), RunRegistration::None),
        #[cfg(windows)]
        Transport::Com(class) => {
            let (run, registration) = crate::com::ComRun::register(config, class, errors);
            (ServiceTransport::Com(run), RunRegistration::Com(registration))
        }
        #[cfg(not(windows))]
        Transport::Com(_) => {
            errors.push("the com transport needs Windows".to_string());
            (ServiceTransport::Pipe(crate::lifetime::Spawner::start()), RunRegistration::None)
        }
    }
}

/// What a run registered and removes when dropped.
enum RunRegistration {
    None,
    #[cfg(windows)]
    Com(#[expect(dead_code, reason = "held to be dropped after the run's hosts")] crate::com::Registration),
}

type Hosts = Mutex<Vec<Arc<dyn HostTransport>>>;

/// The run's wall-clock limit: `limit` after `started`, not counting the time spent
/// activating hosts.
struct Watchdog<'a> {
    started: Instant,
    limit: Duration,
    activations: &'a Mutex<Activations>,
}

impl Watchdog<'_> {
    fn deadline(&self) -> Instant {
        self.started + self.limit + self.activations.lock().spent(Instant::now())
    }
}

/// Waits until every service thread finished, or the watchdog's deadline (which moves on
/// while hosts are being activated) passed.
fn wait_all_done(core: &ProcessCore, watchdog: &Watchdog<'_>) -> bool {
    loop {
        let deadline = watchdog.deadline();
        if core.threads.wait_all_done(deadline) {
            return true;
        }
        if watchdog.deadline() <= Instant::now() {
            return false;
        }
    }
}

fn wait_for_the_end(core: &Arc<ProcessCore>, hosts: &Hosts, watchdog: &Watchdog<'_>) -> RealOutcome {
    let mut round = 0;
    loop {
        round += 1;
        let done = wait_all_done(core, watchdog);
        if let Some(thread) = core.threads.service_death() {
            return RealOutcome::ServiceDied(thread);
        }
        if let Some(panic) = core.threads.panic() {
            return RealOutcome::Panicked(panic);
        }
        let deadline = watchdog.deadline();
        if !done {
            return hung(core, hosts, deadline);
        }
        let live: Vec<_> = hosts.lock().iter().filter(|h| h.is_alive()).cloned().collect();
        if !live.iter().all(|host| host.quiesce(round, deadline)) {
            return hung(core, hosts, deadline);
        }
        // A host that went quiet sends nothing more; if the service is still quiet too, done.
        if core.threads.all_finished() {
            return RealOutcome::Completed;
        }
    }
}

fn hung(core: &ProcessCore, hosts: &Hosts, deadline: Instant) -> RealOutcome {
    let mut threads: Vec<String> = core
        .threads
        .unfinished()
        .into_iter()
        .map(|(name, activity)| format!("{name} {}", activity.describe()))
        .collect();
    let live: Vec<_> = hosts.lock().iter().filter(|h| h.is_alive()).cloned().collect();
    for (index, host) in live.iter().enumerate() {
        let answer_by = Instant::now() + Duration::from_secs(1);
        let dump = host.dump_threads(u64::MAX - index as u64, answer_by);
        if dump.is_empty() {
            threads.push(format!("{}: no answer", host.process_name()));
        }
        threads.extend(dump.into_iter().map(|(name, what)| format!("{name} {what}")));
    }
    let waited = core.now().min(deadline.saturating_duration_since(core.started) + Duration::from_millis(1));
    RealOutcome::Hung { waited, threads, retrying: core.threads.any_retrying() }
}
