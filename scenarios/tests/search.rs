//! Bounded-exhaustive search: `pump_kernel` is exhausted at two preemptions with no
//! failure, and sleep sets explore fewer schedules; every mutant a scenario claims is found
//! at a small bound, by plain search and by sleep sets alike (sleep sets must not lose a
//! failure plain search finds); a search's run number replays that run.

use plughost_model::design::Mutant;
use plughost_scenarios::explore::Summary;
use plughost_scenarios::search::{SearchPlan, nth_schedule, search};
use plughost_sim::dfs::SearchConfig;
use plughost_sim::faults::FaultBudget;

use crate::util::{scenario, variant};

fn searched(name: &str, mutant: Option<Mutant>, bound: u32, sleep_sets: bool) -> Summary {
    let config = SearchConfig { preemption_bound: Some(bound), sleep_sets };
    search(
        &scenario(name),
        &SearchPlan {
            variant: variant(mutant),
            faults: FaultBudget::NONE,
            config,
            max_runs: Some(1_000_000),
            coverage: false,
        },
        &|| {},
    )
}

#[test]
fn pump_kernel_is_exhausted_at_two_preemptions_and_sleep_sets_explore_fewer_schedules() {
    let plain = searched("pump_kernel", None, 2, false);
    let reduced = searched("pump_kernel", None, 2, true);
    for summary in [&plain, &reduced] {
        let stats = summary.search.expect("a search");
        assert!(stats.exhausted && stats.bound_reached, "{stats:?}");
        assert!(summary.first_failure.is_none(), "{:?}", summary.first_failure);
        assert!(summary.meets_expectation());
    }
    let (plain, reduced) = (plain.search.unwrap(), reduced.search.unwrap());
    assert!(reduced.schedules * 5 < plain.schedules, "sleep sets {reduced:?} vs plain {plain:?}");
    assert_eq!(plain.pruned, 0);
}

/// The smallest bound (at most 2) at which the search finds a failure, and its summary.
fn first_finding(name: &str, mutant: Mutant, sleep_sets: bool) -> Option<(u32, Summary)> {
    (0..=2).find_map(|bound| {
        let summary = searched(name, Some(mutant), bound, sleep_sets);
        summary.first_failure.is_some().then_some((bound, summary))
    })
}

fn check_claims(name: &str) {
    let target = scenario(name);
    for &(mutant, verdict) in &target.catches {
        let plain = first_finding(name, mutant, false);
        let reduced = first_finding(name, mutant, true);
        let (Some((plain_bound, plain)), Some((reduced_bound, reduced))) = (plain, reduced) else {
            panic!("{name}: {mutant} not found within two preemptions");
        };
        assert_eq!(plain_bound, reduced_bound, "{name} {mutant}: sleep sets need another bound");
        for summary in [&plain, &reduced] {
            assert_eq!(summary.first_failure.as_ref().map(|f| f.verdict), Some(verdict), "{name} {mutant}");
            assert!(summary.meets_expectation());
        }
        assert!(
            reduced.seeds_run <= plain.seeds_run,
            "{name} {mutant}: {} > {}",
            reduced.seeds_run,
            plain.seeds_run
        );
    }
}

#[test]
fn every_mutant_pump_kernel_claims_is_found_within_two_preemptions() {
    check_claims("pump_kernel");
}

#[test]
fn every_mutant_pre_registration_race_claims_is_found_within_two_preemptions() {
    check_claims("pre_registration_race");
}

#[test]
fn a_search_run_number_replays_that_run() {
    let config = SearchConfig { preemption_bound: Some(1), sleep_sets: true };
    let summary = searched("pump_kernel", Some(Mutant::StoppedReportedAsRan), 1, true);
    let failure = summary.first_failure.expect("found at one preemption");
    let decisions = nth_schedule(
        &scenario("pump_kernel"),
        variant(Some(Mutant::StoppedReportedAsRan)),
        FaultBudget::NONE,
        config,
        failure.seed,
    )
    .expect("a schedule");
    let again = crate::util::traced_run(
        &scenario("pump_kernel"),
        Some(Mutant::StoppedReportedAsRan),
        plughost_sim::StrategySpec::Replay { decisions },
    );
    assert_eq!(again.verdict, failure.verdict);
    assert_eq!(again.details, failure.details);
}
