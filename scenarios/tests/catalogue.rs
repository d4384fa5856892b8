//! Every catalogue scenario passes a seed sweep on the pump design. (The closing figure of
//! 10,000 seeds per scenario comes from `plughost explore --seeds 10000`; see README.)

use crate::util::{all_scenarios, failure_text, sweep};

/// Seeds per scenario in the test suite: a scenario's own default, capped for CI time.
fn sweep_seeds(default: u64) -> u64 {
    default.min(300)
}

#[test]
fn every_scenario_passes_a_seed_sweep_on_the_pump_design() {
    for scenario in all_scenarios() {
        // Seeds 1000.. so this sweep and the determinism test (0..200) cover different schedules.
        let summary = sweep(&scenario, None, 1000, sweep_seeds(scenario.explore.seeds), false);
        assert!(summary.meets_expectation(), "{}: {}", scenario.name, failure_text(&summary));
        assert_eq!(summary.seeds_run, sweep_seeds(scenario.explore.seeds));
    }
}

#[test]
fn every_scenario_catches_at_least_one_mutant() {
    for scenario in all_scenarios() {
        assert!(!scenario.catches.is_empty(), "{} has no known-bad variant it catches", scenario.name);
    }
}

/// Under PCT no seed may end with a verdict the scenario does not allow. Finding a design's
/// own defects is random exploration's job here: PCT starves threads, and some defects
/// (`register_erases_pump`'s overwrite deadlock) need the fine interleaving it rarely gives.
#[test]
fn no_scenario_ends_unexpectedly_under_pct() {
    use plughost_scenarios::explore::{Exploration, StrategyFamily, explore};
    for scenario in all_scenarios() {
        let summary = explore(&Exploration {
            faults: scenario.faults,
            scenario: scenario.clone(),
            variant: crate::util::variant(None),
            strategy: StrategyFamily::Pct { depth: 3, horizon: Some(1_000) },
            start_seed: 0,
            seeds: sweep_seeds(scenario.explore.seeds),
            jobs: 2,
            stop_at_first_failure: false,
        });
        let unexpected: Vec<_> = summary.verdicts.seen().filter(|v| !summary.expected.allows(*v)).collect();
        assert!(
            unexpected.is_empty(),
            "{} under pct: {unexpected:?} {}",
            scenario.name,
            failure_text(&summary)
        );
    }
}

/// What `--jobs` runs on each OS thread: the same scenario, down to the last field, holding
/// none of the original's reference-counted parts (its world, scripts, text) nor its plugin
/// names' text.
#[test]
fn an_unshared_copy_is_the_same_scenario_sharing_nothing() {
    use std::sync::Arc;
    let from_file =
        plughost_scenarios::catalogue::load("catalogue/pump_kernel.toml").expect("the file loads");
    for scenario in all_scenarios().into_iter().chain([from_file]) {
        let copy = scenario.unshared();
        assert_eq!(format!("{copy:?}"), format!("{scenario:?}"), "{}", scenario.source);
        assert!(!Arc::ptr_eq(&copy.world, &scenario.world), "{}", scenario.source);
        assert!(!Arc::ptr_eq(&copy.text, &scenario.text), "{}", scenario.source);
        for (mine, theirs) in copy.plugins.iter().zip(&scenario.plugins) {
            // A short name is inline in each copy; a long one must be a fresh allocation.
            assert!(!std::ptr::eq(mine.name.as_str(), theirs.name.as_str()), "{}", scenario.source);
            assert!(!Arc::ptr_eq(&mine.script, &theirs.script), "{}", scenario.source);
        }
    }
}
