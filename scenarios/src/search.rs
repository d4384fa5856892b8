//! Bounded-exhaustive exploration of one scenario: the depth-first search of
//! `plughost_sim::dfs`, each of its runs judged like a seed, ending at the first run that
//! does not go as the scenario expects or when every schedule within the bound has run.
//!
//! A search's runs are numbered in the order it makes them; that number plays the part of
//! a seed: `plughost replay --strategy dfs --preemption-bound K --seed N` redoes the search
//! up to run N and shows that run.

use std::collections::BTreeMap;
use std::sync::Arc;

use plughost_model::design::Variant;
use plughost_sim::dfs::{Search, SearchConfig};
use plughost_sim::faults::FaultBudget;
use plughost_sim::{Decision, Stop, StrategySpec};

use crate::coverage::{Coverage, fault_labels};
use crate::explore::{Expectation, Failure, StrategyFamily, Summary, fault_arguments, tally_faults};
use crate::runner::{RunSpec, try_run};
use crate::scenario::Scenario;
use crate::verdict::VerdictCounts;

/// What one search runs: the variant, the fault budget the search may spend, the bound,
/// and how far to go.
#[derive(Clone, Copy, Debug)]
pub struct SearchPlan {
    /// The design and mutant searched.
    pub variant: Variant,
    /// The faults the search may choose (`FaultBudget::NONE`: none).
    pub faults: FaultBudget,
    /// The preemption bound and the reduction.
    pub config: SearchConfig,
    /// Most runs to make (`None`: until the bound is exhausted or a run fails).
    pub max_runs: Option<u64>,
    /// Whether to collect coverage (`crate::coverage`) from every run that ended on its own
    /// (a pruned run is not a schedule): the summary's `coverage` then says which
    /// combinations the schedules within the bound reached, and how many runs reached each.
    pub coverage: bool,
}

/// Searches `scenario` as `plan` says, calling `on_run` after each run.
pub fn search(scenario: &Arc<Scenario>, plan: &SearchPlan, on_run: &dyn Fn()) -> Summary {
    let SearchPlan { variant, faults, config, max_runs, coverage: covered } = *plan;
    let expected = Expectation::of(scenario, variant);
    let mut search = Search::new(config);
    let mut verdicts = VerdictCounts::default();
    let mut faulted = BTreeMap::new();
    let mut coverage = covered.then(|| Coverage { faults: fault_labels(faults), ..Coverage::default() });
    let mut first_failure = None;
    while max_runs.is_none_or(|max| search.stats().runs < max) {
        let Some(strategy) = search.next_run() else { break };
        let index = search.stats().runs;
        let spec = RunSpec { coverage: covered, ..RunSpec::new(variant, StrategySpec::Shared(strategy)) }
            .with_faults(faults);
        let result = try_run(scenario, &spec);
        search.learn(matches!(result, Err(Stop::Pruned)));
        on_run();
        match result {
            Ok(run) => {
                verdicts.add(run.verdict);
                tally_faults(&mut faulted, &run.faults);
                if let (Some(coverage), Some(served)) = (&mut coverage, &run.served) {
                    coverage.add(served, &run.faults);
                }
                if expected.is_failure(run.verdict) {
                    first_failure = Some(Failure { seed: index, verdict: run.verdict, details: run.details });
                    break;
                }
            }
            Err(Stop::Pruned) => {}
            Err(Stop::Diverged(message)) => panic!("the search diverged from its own runs: {message}"),
        }
    }
    let stats = search.stats();
    Summary {
        scenario: scenario.name.clone(),
        source: scenario.source.clone(),
        variant,
        strategy: StrategyFamily::Dfs(config),
        start_seed: 0,
        seeds_run: stats.runs,
        verdicts,
        expected,
        first_failure,
        search: Some(stats),
        fault_arguments: fault_arguments(scenario, faults),
        faulted,
        coverage,
    }
}

/// The decisions of the search's run number `index`, if that run ended on its own (rather
/// than being pruned) and the search gets that far.
pub fn nth_schedule(
    scenario: &Arc<Scenario>,
    variant: Variant,
    faults: FaultBudget,
    config: SearchConfig,
    index: u64,
) -> Result<Vec<Decision>, String> {
    let mut search = Search::new(config);
    loop {
        let Some(strategy) = search.next_run() else {
            return Err(format!(
                "the search ends after {} runs: there is no run {index}",
                search.stats().runs
            ));
        };
        let this = search.stats().runs;
        let spec = RunSpec::new(variant, StrategySpec::Shared(strategy)).with_faults(faults);
        let result = try_run(scenario, &spec);
        search.learn(matches!(result, Err(Stop::Pruned)));
        if this == index {
            return match result {
                Ok(run) => Ok(run.decisions),
                Err(Stop::Pruned) => {
                    Err(format!("run {index} of the search was pruned: it is not a schedule"))
                }
                Err(Stop::Diverged(message)) => Err(message),
            };
        }
    }
}
