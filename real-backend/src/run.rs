//! Running one scenario end to end on the real platform: the service in this process, each
//! plugin in a host process, and a wall-clock watchdog that turns a hang into a report of
//! every thread's state instead of hanging.
//!
//! A run ends when every service thread finished and every live host has no running
//! thread (asked with `Quiesce`, so every log line it sent has arrived); then the hosts are
//! killed. If that does not happen before the watchdog's deadline, the run is `Hung`.
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

use crate::host_link::HostConnection;
use crate::platform::{ProcessCore, RealPlatform, Role, TraceOut};

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
    #[cfg(windows)]
    job: Arc<crate::lifetime::HostJob>,
}

impl RealConfig {
    /// Hosts are started as `host_program host_args… --plugin NAME …`.
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
            #[cfg(windows)]
            job: Arc::new(crate::lifetime::HostJob::create()?),
        })
    }

    /// Puts a started host in the service's job (Windows; elsewhere nothing to do).
    pub(crate) fn assign_to_job(&self, child: &mut std::process::Child) -> Result<(), String> {
        #[cfg(windows)]
        return self.job.assign(child);
        #[cfg(not(windows))]
        {
            let _ = child;
            Ok(())
        }
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
    let role = Role::Service {
        config: config.clone(),
        spawner: crate::lifetime::Spawner::start(),
        hosts: Mutex::new(Vec::new()),
        errors: Mutex::new(Vec::new()),
    };
    let until_the_end = Arc::new(UntilTheEnd { sink, open: AtomicBool::new(true) });
    let core = ProcessCore::new("svc".to_string(), until_the_end.clone(), trace, role);
    let Role::Service { hosts, errors, .. } = &core.role else {
        unreachable!("the core was built as the service")
    };
    let started = Instant::now();
    let deadline = started + config.watchdog;
    let _root = core.spawn("main", root(RealPlatform { core: core.clone() }));
    let outcome = wait_for_the_end(&core, hosts, deadline);
    until_the_end.open.store(false, Ordering::SeqCst);
    let errors = errors.lock().clone();
    for host in hosts.lock().iter() {
        host.kill();
    }
    RealReport { outcome, errors, elapsed: started.elapsed() }
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

type Hosts = Mutex<Vec<Arc<HostConnection>>>;

fn wait_for_the_end(core: &Arc<ProcessCore>, hosts: &Hosts, deadline: Instant) -> RealOutcome {
    let mut round = 0;
    loop {
        round += 1;
        let done = core.threads.wait_all_done(deadline);
        if let Some(thread) = core.threads.service_death() {
            return RealOutcome::ServiceDied(thread);
        }
        if let Some(panic) = core.threads.panic() {
            return RealOutcome::Panicked(panic);
        }
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
