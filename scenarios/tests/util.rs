//! Helpers shared by the integration tests: loading scenarios and running them.

use std::sync::Arc;

use plughost_model::design::{Design, Mutant, Variant};
use plughost_scenarios::catalogue;
use plughost_scenarios::explore::{Exploration, Summary, explore};
use plughost_scenarios::runner::{SimRun, run_sim};
use plughost_scenarios::scenario::Scenario;
use plughost_sim::StrategySpec;

/// A catalogue scenario by name.
pub fn scenario(name: &str) -> Arc<Scenario> {
    catalogue::load(name).unwrap_or_else(|e| panic!("{e}"))
}

/// Every catalogue scenario.
pub fn all_scenarios() -> Vec<Arc<Scenario>> {
    catalogue::all().unwrap_or_else(|e| panic!("{e}"))
}

/// The unmodified pump design, or one mutant on its home design.
pub fn variant(mutant: Option<Mutant>) -> Variant {
    Variant { design: mutant.map_or(Design::Pump, Mutant::home_design), mutant }
}

/// One run with its trace.
pub fn traced_run(scenario: &Arc<Scenario>, mutant: Option<Mutant>, strategy: StrategySpec) -> SimRun {
    run_sim(scenario, variant(mutant), strategy, true)
}

/// `seeds` seeds from `start_seed`, on two threads, optionally stopping at the first failure.
pub fn sweep(
    scenario: &Arc<Scenario>,
    mutant: Option<Mutant>,
    start_seed: u64,
    seeds: u64,
    stop: bool,
) -> Summary {
    explore(&Exploration {
        faults: scenario.faults,
        scenario: scenario.clone(),
        variant: variant(mutant),
        strategy: Default::default(),
        start_seed,
        seeds,
        jobs: 2,
        stop_at_first_failure: stop,
    })
}

/// The details of a summary's first failure, for assertion messages.
pub fn failure_text(summary: &Summary) -> String {
    match &summary.first_failure {
        Some(failure) => format!("{}\n{}", summary.replay_command(failure.seed), failure.details.join("\n")),
        None => "no failure".to_string(),
    }
}

/// `seeds` seeds from 0 of `variant` (any design), on two threads, to the end.
pub fn sweep_variant(scenario: &Arc<Scenario>, variant: Variant, seeds: u64) -> Summary {
    explore(&Exploration {
        faults: scenario.faults,
        scenario: scenario.clone(),
        variant,
        strategy: Default::default(),
        start_seed: 0,
        seeds,
        jobs: 2,
        stop_at_first_failure: false,
    })
}
