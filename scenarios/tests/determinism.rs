//! Determinism is the product: for every scenario, 200 seeds run twice give byte-identical
//! traces and decision lists, and a run's decision list replays it exactly without its seed.

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
