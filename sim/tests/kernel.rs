//! The simulation kernel on small hand-written programs: the seam's contract programs
//! (`plughost_model::platform_contract`) on every schedule, timers, deadlock and livelock
//! detection, determinism and replay; and the depth-first search on them (it finds a
//! deadlock random seeds find, the preemption bound counts what it says, sleep sets keep
//! fewer schedules). The kernel is not built on Windows (the simulator is built on Linux
//! and macOS only).

#![cfg(not(windows))]

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::platform::{Event, LockGuard, Platform, RecursiveMutex, Reset, ThreadId};
use plughost_model::platform_contract as contract;
use plughost_sim::dfs::{Search, SearchConfig, SearchStats};
use plughost_sim::{Budget, Outcome, RunConfig, RunReport, SimPlatform, Stop, StrategySpec, run, trace};

/// Collects emitted events as text.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl EventSink for Log {
    fn record(&self, at: Duration, _thread: ThreadId, event: &ModelEvent) {
        self.0.lock().push(format!("{at:?} {event}"));
    }

    fn fact(&self, _at: Duration, _fact: &plughost_model::fact::Fact) {}
}

fn note(platform: &SimPlatform, text: &str) {
    platform.emit(ModelEvent::PluginLog { plugin: "test".into(), line: text.to_string() });
}

fn config(strategy: StrategySpec) -> RunConfig {
    let budget =
        Budget { time: Duration::from_secs(10), steps: 100_000, preemption: Duration::from_millis(25) };
    RunConfig { strategy, budget, ends: Default::default(), faults: Default::default() }
}

fn run_program<F, Fut>(seed: u64, program: F) -> (RunReport, Vec<String>)
where
    F: FnOnce(SimPlatform) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let log = Arc::new(Log::default());
    let report = run(&config(StrategySpec::Random { seed }), log.clone(), program);
    let lines = log.0.lock().clone();
    (report, lines)
}

/// Two threads take two locks in opposite orders.
async fn lock_order_inversion(platform: SimPlatform) {
    let first = Arc::new(platform.recursive_mutex("first".into()));
    let second = Arc::new(platform.recursive_mutex("second".into()));
    let (a1, a2) = (first.clone(), second.clone());
    let a = platform
        .spawn("a".into(), async move {
            let g1 = a1.lock().await;
            let g2 = a2.lock().await;
            g2.unlock().await;
            g1.unlock().await;
        })
        .await;
    let b = platform
        .spawn("b".into(), async move {
            let g2 = second.lock().await;
            let g1 = first.lock().await;
            g1.unlock().await;
            g2.unlock().await;
        })
        .await;
    platform.join(&a).await;
    platform.join(&b).await;
}

#[test]
fn lock_order_inversion_deadlocks_on_some_seeds_and_names_the_cycle() {
    let outcomes: Vec<Outcome> =
        (0..200).map(|seed| run_program(seed, lock_order_inversion).0.outcome).collect();
    assert!(outcomes.contains(&Outcome::Completed), "some schedules complete");
    let deadlock = outcomes.iter().find_map(|o| match o {
        Outcome::Deadlock(report) => Some(report.clone()),
        _ => None,
    });
    let report = deadlock.expect("some schedule deadlocks");
    assert!(report.summary.contains("wait-for cycle of 2 threads"), "{report}");
    let text = report.to_string();
    assert!(text.contains("svc/a waits for lock second held by svc/b"), "{text}");
    assert!(text.contains("svc/b waits for lock first held by svc/a"), "{text}");
    assert!(text.contains("also blocked: svc/main waits to join"), "{text}");
}

/// Runs one contract program under `seed` and returns its observation.
fn observe<F, Fut>(seed: u64, program: F) -> String
where
    F: FnOnce(SimPlatform) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = String> + Send + 'static,
{
    let (report, lines) = run_program(seed, |platform| async move {
        let observed = program(platform.clone()).await;
        note(&platform, &observed);
    });
    assert_eq!(report.outcome, Outcome::Completed, "seed {seed}");
    let observed = lines.iter().find_map(|l| l.split_once("test log: ").map(|(_, line)| line.to_string()));
    observed.unwrap_or_else(|| panic!("seed {seed}: no observation in {lines:?}"))
}

#[test]
fn the_platform_contract_holds_on_every_schedule() {
    for seed in 0..50 {
        assert_eq!(
            observe(seed, contract::recursive_mutex_reenters_and_times_out),
            contract::RECURSIVE_MUTEX_OBSERVED,
            "seed {seed}"
        );
        assert_eq!(
            observe(seed, contract::wait_any_takes_the_lowest_index_and_consumes_auto_reset),
            contract::WAIT_ANY_OBSERVED,
            "seed {seed}"
        );
        assert_eq!(
            observe(seed, contract::srw_lock_admits_readers_together_and_a_writer_alone),
            contract::SRW_LOCK_OBSERVED,
            "seed {seed}"
        );
    }
}

#[test]
fn a_timed_acquire_either_times_out_in_virtual_time_or_gets_a_released_lock() {
    let mut timed_out = 0;
    for seed in 0..50 {
        let (report, lines) = run_program(seed, |platform| async move {
            let lock = Arc::new(platform.recursive_mutex("l".into()));
            let held = lock.lock().await;
            let (contender, p) = (lock.clone(), platform.clone());
            let waiter = platform
                .spawn("waiter".into(), async move {
                    let start = p.now();
                    let got = contender.try_lock_for(Duration::from_millis(25)).await;
                    let waited = p.now() - start;
                    let line = format!(
                        "acquired={} waited_at_least_25ms={}",
                        got.is_some(),
                        waited >= Duration::from_millis(25)
                    );
                    note(&p, &line);
                })
                .await;
            platform.sleep(Duration::from_millis(100)).await;
            held.unlock().await;
            platform.join(&waiter).await;
        });
        assert_eq!(report.outcome, Outcome::Completed);
        // The owner holds the lock across a 100 ms sleep, so the waiter either gives up after at
        // least 25 ms of virtual time (more if it was preempted before it started waiting), or
        // got the lock because the owner released it first.
        let line = lines.iter().find(|l| l.contains("acquired=")).expect("the waiter reports");
        if line.contains("acquired=false") {
            assert!(line.ends_with("waited_at_least_25ms=true"), "seed {seed}: {line}");
            timed_out += 1;
        }
    }
    assert!(timed_out > 0, "some schedules time out");
}

#[test]
fn a_waiter_nobody_signals_is_a_deadlock_listing_every_blocked_thread() {
    let (report, _) = run_program(0, |platform| async move {
        let never = platform.event("never".into(), Reset::Manual);
        never.wait().await;
    });
    let Outcome::Deadlock(report) = report.outcome else { panic!("expected a deadlock") };
    assert!(report.summary.contains("1 threads are blocked forever"), "{report}");
    assert_eq!(report.lines, vec!["svc/main waits on never".to_string()]);
}

#[test]
fn spinning_past_the_time_budget_is_a_livelock() {
    let (report, _) = run_program(0, |platform| async move {
        loop {
            platform.sleep(Duration::from_millis(25)).await;
        }
    });
    let Outcome::Livelock(report) = report.outcome else { panic!("expected a livelock") };
    assert!(report.summary.contains("virtual-time budget exhausted"), "{report}");
}

#[test]
fn same_seed_same_trace_and_decisions_replay_it_without_the_seed() {
    let traced = |strategy: StrategySpec| {
        trace::record(|| run(&config(strategy), Arc::new(Log::default()), lock_order_inversion))
    };
    for seed in 0..20 {
        let (first, first_trace) = traced(StrategySpec::Random { seed });
        let (again, again_trace) = traced(StrategySpec::Random { seed });
        assert_eq!(first_trace, again_trace, "seed {seed}");
        assert_eq!(first.decisions, again.decisions);
        let (replayed, replay_trace) = traced(StrategySpec::Replay { decisions: first.decisions.clone() });
        assert_eq!(replay_trace, first_trace, "replay of seed {seed}");
        assert_eq!(replayed.outcome, first.outcome);
        assert!(!first_trace.is_empty());
    }
}

struct Quiet;

impl EventSink for Quiet {
    fn record(&self, _at: Duration, _thread: ThreadId, _event: &ModelEvent) {}

    fn fact(&self, _at: Duration, _fact: &plughost_model::fact::Fact) {}
}

/// Every run of `program` the search makes, to exhaustion: its stats and the outcomes.
fn exhaust<F, Fut>(config: SearchConfig, program: F) -> (SearchStats, Vec<Outcome>)
where
    F: Fn(SimPlatform) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let budget =
        Budget { time: Duration::from_secs(10), steps: 10_000, preemption: Duration::from_millis(25) };
    let mut search = Search::new(config);
    let mut outcomes = Vec::new();
    while let Some(strategy) = search.next_run() {
        let strategy = StrategySpec::Shared(strategy);
        let config = RunConfig { strategy, budget, ends: Default::default(), faults: Default::default() };
        let report = run(&config, Arc::new(Quiet), &program);
        search.learn(report.outcome == Outcome::Stopped(Stop::Pruned));
        if !matches!(report.outcome, Outcome::Stopped(_)) {
            outcomes.push(report.outcome);
        }
        assert!(search.stats().runs < 100_000, "the search does not end");
    }
    (search.stats(), outcomes)
}

/// Two threads each set their own event twice; main joins them.
async fn independent_threads(platform: SimPlatform) {
    let mut threads = Vec::new();
    for name in ["a", "b"] {
        let event = platform.event(format!("{name}.event"), Reset::Manual);
        threads.push(
            platform
                .spawn(name.into(), async move {
                    event.set().await;
                    event.set().await;
                })
                .await,
        );
    }
    for thread in &threads {
        platform.join(thread).await;
    }
}

fn search_config(preemption_bound: Option<u32>, sleep_sets: bool) -> SearchConfig {
    SearchConfig { preemption_bound, sleep_sets }
}

#[test]
fn the_search_finds_the_lock_order_deadlock_with_one_preemption_and_not_without() {
    for sleep_sets in [false, true] {
        let (stats, outcomes) = exhaust(search_config(Some(0), sleep_sets), lock_order_inversion);
        assert!(stats.exhausted && stats.bound_reached, "{stats:?}");
        assert!(
            outcomes.iter().all(|o| *o == Outcome::Completed),
            "bound 0, sleep sets {sleep_sets}: {outcomes:?}"
        );
        let (stats, outcomes) = exhaust(search_config(Some(1), sleep_sets), lock_order_inversion);
        assert!(stats.exhausted, "{stats:?}");
        assert!(
            outcomes.iter().any(|o| matches!(o, Outcome::Deadlock(_))),
            "bound 1, sleep sets {sleep_sets}"
        );
        assert!(outcomes.contains(&Outcome::Completed));
    }
}

#[test]
fn without_a_bound_every_schedule_runs_and_sleep_sets_keep_one_per_reordering() {
    let (plain, outcomes) = exhaust(search_config(None, false), independent_threads);
    assert!(plain.exhausted && !plain.bound_reached, "{plain:?}");
    assert!(outcomes.iter().all(|o| *o == Outcome::Completed));
    let (reduced, _) = exhaust(search_config(None, true), independent_threads);
    assert!(reduced.exhausted, "{reduced:?}");
    assert!(plain.schedules >= 6, "a's and b's steps interleave in many ways: {plain:?}");
    assert!(reduced.schedules < plain.schedules, "sleep sets {reduced:?} vs plain {plain:?}");
    let (deadlocking, outcomes) = exhaust(search_config(None, true), lock_order_inversion);
    assert!(deadlocking.exhausted && outcomes.iter().any(|o| matches!(o, Outcome::Deadlock(_))));
}

#[test]
fn a_larger_bound_explores_more_schedules() {
    let counts: Vec<u64> = (0..3)
        .map(|bound| exhaust(search_config(Some(bound), false), lock_order_inversion).0.schedules)
        .collect();
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
}
