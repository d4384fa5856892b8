//! Determinism is the product: for every scenario, 200 seeds run twice give byte-identical
//! traces and decision lists, and a run's decision list replays it exactly without its seed;
//! the transport code of a dying host's call is one of those decisions.

use plughost_sim::StrategySpec;

use crate::util::{all_scenarios, traced_run};

const SEEDS: u64 = 200;

#[test]
fn the_same_seed_gives_a_byte_identical_trace() {
    for scenario in all_scenarios() {
        for seed in 0..SEEDS {
            let first = traced_run(&scenario, None, StrategySpec::Random { seed });
            let second = traced_run(&scenario, None, StrategySpec::Random { seed });
            assert_eq!(first.decisions, second.decisions, "{} seed {seed}: decisions differ", scenario.name);
            assert!(first.trace == second.trace, "{} seed {seed}: traces differ", scenario.name);
            assert!(first.trace.as_ref().is_some_and(|t| !t.is_empty()));
        }
    }
}

#[test]
fn a_decision_list_replays_its_run_without_the_seed() {
    for scenario in all_scenarios() {
        for seed in [0, 7, 42] {
            let original = traced_run(&scenario, None, StrategySpec::Random { seed });
            let replayed =
                traced_run(&scenario, None, StrategySpec::Replay { decisions: original.decisions.clone() });
            assert!(original.trace == replayed.trace, "{} seed {seed}: replay differs", scenario.name);
            assert_eq!(original.verdict, replayed.verdict);
        }
    }
}

#[test]
fn different_seeds_explore_different_schedules() {
    for scenario in all_scenarios() {
        let traces: std::collections::BTreeSet<String> = (0..20)
            .map(|seed| traced_run(&scenario, None, StrategySpec::Random { seed }).trace.unwrap_or_default())
            .collect();
        assert!(traces.len() > 1, "{}: 20 seeds gave one schedule", scenario.name);
    }
}

#[test]
fn pct_schedules_are_deterministic_and_replay_from_their_decisions() {
    for scenario in all_scenarios() {
        for seed in 0..20 {
            let pct = StrategySpec::Pct { seed, depth: 3, horizon: 1_000 };
            let first = traced_run(&scenario, None, pct.clone());
            let again = traced_run(&scenario, None, pct);
            assert!(first.trace == again.trace, "{} pct seed {seed}: traces differ", scenario.name);
            let replayed =
                traced_run(&scenario, None, StrategySpec::Replay { decisions: first.decisions.clone() });
            assert!(first.trace == replayed.trace, "{} pct seed {seed}: replay differs", scenario.name);
        }
    }
}

/// The code a call to a dying host fails with is a decision of the run: it varies by seed
/// within spec §5.2's in-flight crash codes, later calls get the dead-host codes, the
/// scenario's `host-crash` expectation accepts them all, and a list replays the choice.
#[test]
fn a_crash_code_is_the_runs_choice_and_replays() {
    let scenario = crate::util::scenario("host_crash_is_fatal");
    let mut in_flight = std::collections::BTreeSet::new();
    let mut dead = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let run = traced_run(&scenario, None, StrategySpec::Random { seed });
        assert_eq!(run.verdict, plughost_scenarios::verdict::Verdict::Pass, "seed {seed}: {:?}", run.details);
        let trace = run.trace.clone().unwrap_or_default();
        for line in trace.lines() {
            if let Some((_, code)) = line.split_once("OnVMStarted returned transport error ") {
                in_flight.insert(code.to_string());
            }
            if let Some((_, code)) = line.split_once("on dead host:TestPlugin: ") {
                dead.insert(code.to_string());
            }
        }
        let replayed = traced_run(&scenario, None, StrategySpec::Replay { decisions: run.decisions.clone() });
        assert!(replayed.trace == run.trace, "seed {seed}: the replayed choice differs");
    }
    let expected_in_flight =
        ["RPC_E_SERVER_DIED", "RPC_E_SERVER_DIED_DNE", "RPC_S_CALL_FAILED", "RPC_S_CALL_FAILED_DNE"];
    assert_eq!(in_flight.iter().map(String::as_str).collect::<Vec<_>>(), expected_in_flight);
    let expected_dead = ["CO_E_OBJNOTCONNECTED", "RPC_E_DISCONNECTED", "RPC_S_SERVER_UNAVAILABLE"];
    assert_eq!(dead.iter().map(String::as_str).collect::<Vec<_>>(), expected_dead);
}

/// `--jobs` changes the wall time only: stopping at the first failure, two or three OS threads
/// count exactly the seeds one thread counts, though they run seeds past the failure before
/// they learn of it.
#[test]
fn stopping_at_the_first_failure_counts_the_same_seeds_on_any_number_of_jobs() {
    use plughost_model::design::Mutant;
    use plughost_scenarios::explore::{Exploration, StrategyFamily, explore};
    let scenario = crate::util::scenario("pump_kernel");
    let summary = |start_seed: u64, jobs: usize| {
        explore(&Exploration {
            faults: scenario.faults,
            scenario: scenario.clone(),
            variant: crate::util::variant(Some(Mutant::NoRecheck)),
            strategy: StrategyFamily::Random,
            start_seed,
            seeds: 2_000,
            jobs,
            stop_at_first_failure: true,
        })
    };
    for start_seed in [0, 100_000, 200_000] {
        let alone = summary(start_seed, 1);
        let failure = alone.first_failure.as_ref().map(|f| f.seed);
        assert!(failure.is_some(), "no-recheck is caught within 2,000 seeds from {start_seed}");
        for jobs in [2, 3] {
            let spread = summary(start_seed, jobs);
            assert_eq!(spread.first_failure.as_ref().map(|f| f.seed), failure, "jobs {jobs}");
            assert_eq!(spread.seeds_run, alone.seeds_run, "jobs {jobs}");
            assert_eq!(spread.verdicts, alone.verdicts, "jobs {jobs} from seed {start_seed}");
        }
    }
}

/// A job reports its progress in batches, and the reports add up to the seeds run, one job
/// or several.
#[test]
fn progress_reports_add_up_to_the_seeds_run() {
    use std::sync::atomic::{AtomicU64, Ordering};

    use plughost_scenarios::explore::{Exploration, SEEDS_PER_REPORT, StrategyFamily, explore_with_progress};
    let scenario = crate::util::scenario("pump_kernel");
    for jobs in [1, 2] {
        let (seeds, reports) = (AtomicU64::new(0), AtomicU64::new(0));
        let exploration = Exploration {
            faults: scenario.faults,
            scenario: scenario.clone(),
            variant: crate::util::variant(None),
            strategy: StrategyFamily::Random,
            start_seed: 0,
            seeds: 1_000,
            jobs,
            stop_at_first_failure: false,
        };
        let summary = explore_with_progress(&exploration, &|done| {
            seeds.fetch_add(done, Ordering::Relaxed);
            reports.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(summary.seeds_run, 1_000, "jobs {jobs}");
        assert_eq!(seeds.load(Ordering::Relaxed), summary.seeds_run, "jobs {jobs}");
        let batched = 1_000 / SEEDS_PER_REPORT + jobs as u64;
        assert!(reports.load(Ordering::Relaxed) <= batched, "jobs {jobs}: one report per seed");
    }
}
