//! The real platform's primitives on real threads: recursion and timed acquires, lowest-index
//! `wait_any` with auto-reset consumption, joins, the watchdog's report of a hang, and a
//! panicking thread.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::platform::{Event, LockGuard, Platform, RecursiveMutex, Reset, SrwLock, ThreadId};
use plughost_real::{RealConfig, RealOutcome, RealPlatform, RealReport, run};

#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl EventSink for Log {
    fn record(&self, _at: Duration, _thread: ThreadId, event: &ModelEvent) {
        if let ModelEvent::PluginLog { line, .. } = event {
            self.0.lock().push(line.clone());
        }
    }
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

#[test]
fn a_recursive_mutex_reenters_and_a_timed_acquire_gives_up_after_its_timeout() {
    let (report, lines) = run_program(Duration::from_secs(10), |platform| async move {
        let lock = Arc::new(platform.recursive_mutex("l".into()));
        let outer = lock.lock().await;
        let inner = lock.lock().await;
        assert!(lock.held_by_current_thread());
        let (contender, p) = (lock.clone(), platform.clone());
        let waiter = platform
            .spawn("waiter".into(), async move {
                let started = p.now();
                let got = contender.try_lock_for(Duration::from_millis(25)).await;
                let waited = p.now() - started;
                note(
                    &p,
                    format!(
                        "acquired={} waited_enough={}",
                        got.is_some(),
                        waited >= Duration::from_millis(25)
                    ),
                );
            })
            .await;
        platform.join(&waiter).await;
        inner.unlock().await;
        outer.unlock().await;
        assert!(!lock.held_by_current_thread());
    });
    assert_eq!(report.outcome, RealOutcome::Completed);
    assert_eq!(lines, vec!["acquired=false waited_enough=true".to_string()]);
}

#[test]
fn wait_any_reports_the_lowest_signalled_index_and_consumes_auto_reset() {
    let (report, lines) = run_program(Duration::from_secs(10), |platform| async move {
        let auto = platform.event("auto".into(), Reset::Auto);
        let manual = platform.event("manual".into(), Reset::Manual);
        manual.set().await;
        auto.set().await;
        let first = platform.wait_any(&[&auto, &manual]).await;
        let second = platform.wait_any(&[&auto, &manual]).await;
        let polled = auto.wait_timeout(Duration::ZERO).await;
        let timed = auto.wait_timeout(Duration::from_millis(5)).await;
        note(&platform, format!("{first} {second} {polled} {timed}"));
    });
    assert_eq!(report.outcome, RealOutcome::Completed);
    assert_eq!(lines, vec!["0 1 false false".to_string()]);
}

#[test]
fn an_srw_lock_admits_readers_together_and_a_writer_alone() {
    let (report, lines) = run_program(Duration::from_secs(10), |platform| async move {
        let lock = Arc::new(platform.srw_lock("srw".into()));
        let reader = lock.lock_shared().await;
        let (other, p) = (lock.clone(), platform.clone());
        let second_reader = platform
            .spawn("reader".into(), async move {
                let guard = other.lock_shared().await;
                note(&p, "second reader in".to_string());
                guard.unlock().await;
            })
            .await;
        platform.join(&second_reader).await;
        reader.unlock().await;
        let writer = lock.lock_exclusive().await;
        note(&platform, "writer in".to_string());
        writer.unlock().await;
    });
    assert_eq!(report.outcome, RealOutcome::Completed);
    assert_eq!(lines, vec!["second reader in".to_string(), "writer in".to_string()]);
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
        let (contender, p) = (lock.clone(), platform.clone());
        let spinner = platform
            .spawn("spinner".into(), async move {
                while contender.try_lock_for(Duration::from_millis(25)).await.is_none() {
                    let _ = &p;
                }
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
