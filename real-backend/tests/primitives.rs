//! The real platform's primitives on real threads: the seam's contract programs
//! (`plughost_model::platform_contract`), the watchdog's report of a hang and of a spinning
//! timed acquire, and a panicking thread.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::platform::{Event, Platform, RecursiveMutex, Reset, ThreadId};
use plughost_model::platform_contract as contract;
use plughost_real::{RealConfig, RealOutcome, RealPlatform, RealReport, run};

#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl EventSink for Log {
    fn record(&self, _at: Duration, _thread: ThreadId, event: &ModelEvent) {
        if let ModelEvent::PluginLog { line, .. } = event {
            self.0.lock().push(line.clone());
        }
    }

    fn fact(&self, _at: Duration, _fact: &plughost_model::fact::Fact) {}
}

fn note(platform: &RealPlatform, line: String) {
    platform.emit(ModelEvent::PluginLog { plugin: "test".into(), line });
}

fn run_program<F, Fut>(watchdog: Duration, program: F) -> (RealReport, Vec<String>)
where
    F: FnOnce(RealPlatform) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let config = RealConfig::new("/no/host/needed".into(), Vec::new(), watchdog).expect("a configuration");
    let log = Arc::new(Log::default());
    let report = run(&config, log.clone(), program);
    let lines = log.0.lock().clone();
    (report, lines)
}

/// Runs one contract program once and returns its observation.
fn observe<F, Fut>(program: F) -> String
where
    F: FnOnce(RealPlatform) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = String> + Send + 'static,
{
    let (report, lines) = run_program(Duration::from_secs(10), |platform| async move {
        let observed = program(platform.clone()).await;
        note(&platform, observed);
    });
    assert_eq!(report.outcome, RealOutcome::Completed);
    lines.concat()
}

#[test]
fn a_recursive_mutex_reenters_and_a_timed_acquire_gives_up_after_its_timeout() {
    assert_eq!(observe(contract::recursive_mutex_reenters_and_times_out), contract::RECURSIVE_MUTEX_OBSERVED);
}

#[test]
fn wait_any_reports_the_lowest_signalled_index_and_consumes_auto_reset() {
    assert_eq!(
        observe(contract::wait_any_takes_the_lowest_index_and_consumes_auto_reset),
        contract::WAIT_ANY_OBSERVED
    );
}

#[test]
fn an_srw_lock_admits_readers_together_and_a_writer_alone() {
    assert_eq!(
        observe(contract::srw_lock_admits_readers_together_and_a_writer_alone),
        contract::SRW_LOCK_OBSERVED
    );
}

#[test]
fn a_hang_is_reported_with_every_thread_and_what_it_waits_for() {
    let (report, _) = run_program(Duration::from_millis(300), |platform| async move {
        let never = platform.event("never".into(), Reset::Manual);
        never.wait().await;
    });
    let RealOutcome::Hung { threads, .. } = report.outcome else {
        panic!("expected a hang, got {:?}", report.outcome)
    };
    assert_eq!(threads, vec!["svc/main waits on never".to_string()]);
}

#[test]
fn a_thread_spinning_on_a_timed_acquire_is_reported_as_retrying() {
    let (report, _) = run_program(Duration::from_millis(300), |platform| async move {
        let lock = Arc::new(platform.recursive_mutex("l".into()));
        let _held = lock.lock().await;
        let contender = lock.clone();
        let spinner = platform
            .spawn("spinner".into(), async move {
                while contender.try_lock_for(Duration::from_millis(25)).await.is_none() {}
            })
            .await;
        platform.join(&spinner).await;
    });
    let RealOutcome::Hung { retrying, threads, .. } = report.outcome else { panic!("expected a hang") };
    assert!(retrying, "{threads:?}");
}

#[test]
fn a_panicking_thread_is_reported() {
    let (report, _) = run_program(Duration::from_secs(10), |platform| async move {
        let lock = platform.mutex("plain".into());
        let _held = plughost_model::platform::PlainMutex::lock(&lock).await;
        let _again = plughost_model::platform::PlainMutex::lock(&lock).await;
    });
    let RealOutcome::Panicked(message) = report.outcome else {
        panic!("expected a panic, got {:?}", report.outcome)
    };
    assert!(message.contains("plain re-entered"), "{message}");
}
