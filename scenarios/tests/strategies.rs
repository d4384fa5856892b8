//! Strategy defaults that fit the scenario: PCT's horizon is a pilot run's choice points
//! (not a fixed 1,000 that `pump_kernel`'s runs never reach), delay bounding's a pilot run's
//! contested choice points, and the portfolio runs random, PCT and delay bounding in turn,
//! finding every mutant `pump_kernel` claims in a few seeds.

use plughost_model::design::Mutant;
use plughost_scenarios::explore::{Exploration, StrategyFamily, explore};
use plughost_scenarios::runner::{RunSpec, try_run};
use plughost_sim::StrategySpec;

use crate::util::{scenario, traced_run, variant};

#[test]
fn an_open_pct_horizon_is_the_choice_points_of_the_guided_run() {
    let kernel = scenario("pump_kernel");
    let pilot = try_run(&kernel, &RunSpec::new(variant(None), StrategySpec::Guided { prefix: Vec::new() }))
        .expect("a guided run never stops");
    let resolved = StrategyFamily::Pct { depth: 3, horizon: None }.resolved(&kernel, variant(None));
    assert_eq!(resolved, StrategyFamily::Pct { depth: 3, horizon: Some(pilot.steps) });
    assert!(pilot.steps < 1_000, "a run of pump_kernel passes {} choice points", pilot.steps);
    let given = StrategyFamily::Pct { depth: 3, horizon: Some(7) };
    assert_eq!(given.resolved(&kernel, variant(None)), given, "a given horizon stays");
}

/// A pilot that spins counts the spin, not the work: `register_erases_pump`'s guided run
/// livelocks, and its horizon is then the median of random runs that end, so PCT's change
/// points fall inside the race of its two hooks.
#[test]
fn a_pilot_that_spins_gives_way_to_random_runs_that_end() {
    use plughost_scenarios::verdict::Verdict;
    let erases = scenario("register_erases_pump");
    let pilot = try_run(&erases, &RunSpec::new(variant(None), StrategySpec::Guided { prefix: Vec::new() }))
        .expect("a guided run never stops");
    assert_eq!(pilot.verdict, Verdict::Livelock, "the guided run of register_erases_pump spins");
    let StrategyFamily::Pct { horizon: Some(horizon), .. } =
        StrategyFamily::Pct { depth: 3, horizon: None }.resolved(&erases, variant(None))
    else {
        panic!("an open horizon is resolved");
    };
    assert!(horizon < pilot.steps / 10, "horizon {horizon} against a spin of {} choice points", pilot.steps);
    let ended = (0..9)
        .map(|seed| {
            try_run(&erases, &RunSpec::new(variant(None), StrategySpec::Random { seed })).expect("runs")
        })
        .any(|run| run.verdict != Verdict::Livelock && run.steps == horizon);
    assert!(ended, "the horizon {horizon} is the length of one of the random runs that ended");
}

/// Resolving counts its pilots' runs, spares included: `generate` reports the runs it made.
#[test]
fn resolving_counts_the_runs_its_pilots_made() {
    let portfolio = StrategyFamily::COMMAND_LINE;
    let (_, runs) = portfolio.resolved_counting_runs(&scenario("pump_kernel"), variant(None));
    assert_eq!(runs, 2, "a PCT pilot and a delay pilot, neither spinning");
    let pct = StrategyFamily::Pct { depth: 3, horizon: None };
    let (_, runs) = pct.resolved_counting_runs(&scenario("register_erases_pump"), variant(None));
    assert_eq!(runs, 10, "a guided run that spins, then nine random spares");
    let given = StrategyFamily::Pct { depth: 3, horizon: Some(7) };
    assert_eq!(given.resolved_counting_runs(&scenario("pump_kernel"), variant(None)), (given, 0));
}

/// Delay bounding's horizon is what its own schedule without delays passes, counting only
/// the choice points where more than one thread can run: fewer than PCT's, and every one of
/// them a place where a delay changes who runs.
#[test]
fn an_open_delay_horizon_is_the_contested_choice_points_of_its_pilot() {
    use std::sync::Arc;

    use parking_lot::Mutex;
    use plughost_sim::strategy::{ContestedCounter, DelayStrategy, SharedStrategy};

    let kernel = scenario("pump_kernel");
    for mutant in [None, Some(Mutant::NoRecheck)] {
        let counter = Arc::new(Mutex::new(ContestedCounter::new(Box::new(DelayStrategy::pilot()))));
        let pilot = try_run(
            &kernel,
            &RunSpec::new(variant(mutant), StrategySpec::Shared(SharedStrategy(counter.clone()))),
        )
        .expect("a pilot never stops");
        let contested = counter.lock().contested;
        let resolved = StrategyFamily::Delay { delays: 1, horizon: None }.resolved(&kernel, variant(mutant));
        assert_eq!(resolved, StrategyFamily::Delay { delays: 1, horizon: Some(contested) });
        assert!((2..pilot.steps).contains(&contested), "{contested} of {} choice points", pilot.steps);
        let StrategyFamily::Portfolio { horizon: Some(steps), delay_horizon: Some(delays), .. } =
            StrategyFamily::COMMAND_LINE.resolved(&kernel, variant(mutant))
        else {
            panic!("the portfolio's horizons are resolved");
        };
        assert_eq!(delays, contested, "the portfolio's delay seeds use the same horizon");
        assert_eq!(
            StrategyFamily::Pct { depth: 3, horizon: None }.resolved(&kernel, variant(mutant)),
            StrategyFamily::Pct { depth: 3, horizon: Some(steps) },
            "and its PCT seeds the guided run's"
        );
        let given = StrategyFamily::Delay { delays: 2, horizon: Some(7) };
        assert_eq!(given.resolved(&kernel, variant(mutant)), given, "a given horizon stays");
    }
    // Up to its delay a run is the pilot's, so one delay at each contested point gives as
    // many different schedules (the clock aside): none is wasted past the run's end.
    let open = StrategyFamily::Delay { delays: 1, horizon: None };
    let horizon = match open.resolved(&kernel, variant(None)) {
        StrategyFamily::Delay { horizon: Some(horizon), .. } => horizon,
        other => panic!("{other:?}"),
    };
    let schedules: std::collections::BTreeSet<String> = (0..400)
        .map(|seed| {
            let run = traced_run(&kernel, None, StrategySpec::Delay { seed, delays: 1, horizon });
            let threads: Vec<String> = run.decisions.iter().map(|d| d.to_string()).collect();
            threads.join(" ")
        })
        .collect();
    assert!(schedules.len() as u64 >= horizon, "{} schedules from {horizon} delay points", schedules.len());
}

#[test]
fn the_portfolio_runs_random_pct_and_delay_bounding_in_turn() {
    let kernel = scenario("concurrent_callbacks");
    let portfolio =
        StrategyFamily::Portfolio { depth: 3, horizon: Some(40), delays: 1, delay_horizon: Some(9) };
    for seed in 0..9_u64 {
        let alone = match seed % 3 {
            0 => StrategySpec::Random { seed },
            1 => StrategySpec::Pct { seed, depth: 3, horizon: 40 },
            _ => StrategySpec::Delay { seed, delays: 1, horizon: 9 },
        };
        let (ours, theirs) =
            (traced_run(&kernel, None, portfolio.spec(seed)), traced_run(&kernel, None, alone));
        assert!(ours.decisions == theirs.decisions, "seed {seed}: the portfolio's run is not its strategy's");
    }
}

/// Over starting seeds 0, 100,000, …: the median number of seeds run until the first failure.
fn median_seeds_to_failure(name: &str, mutant: Mutant, family: StrategyFamily) -> u64 {
    let scenario = scenario(name);
    let mut counts: Vec<u64> = (0..7)
        .map(|k| {
            let start_seed = k * 100_000;
            let summary = explore(&Exploration {
                faults: scenario.faults,
                scenario: scenario.clone(),
                variant: variant(Some(mutant)),
                strategy: family,
                start_seed,
                seeds: 2_000,
                jobs: 1,
                stop_at_first_failure: true,
            });
            summary.first_failure.map_or(u64::MAX, |failure| failure.seed - start_seed + 1)
        })
        .collect();
    counts.sort_unstable();
    counts[counts.len() / 2]
}

#[test]
fn the_portfolio_finds_every_mutant_pump_kernel_claims_within_a_few_dozen_seeds() {
    let portfolio = StrategyFamily::COMMAND_LINE;
    for (mutant, _) in scenario("pump_kernel").catches.clone() {
        let median = median_seeds_to_failure("pump_kernel", mutant, portfolio);
        // Measured over these seven starts: no-recheck 12 (17 without the delay-bounding
        // seeds), the others 8 or fewer.
        assert!(median <= 15, "{mutant}: a median of {median} seeds to the first failure");
    }
}

#[test]
fn pct_with_a_pilot_horizon_finds_what_a_fixed_horizon_of_1000_finds_late() {
    let pilot = median_seeds_to_failure(
        "pump_kernel",
        Mutant::StoppedReportedAsRan,
        StrategyFamily::Pct { depth: 3, horizon: None },
    );
    let fixed = median_seeds_to_failure(
        "pump_kernel",
        Mutant::StoppedReportedAsRan,
        StrategyFamily::Pct { depth: 3, horizon: Some(1_000) },
    );
    assert!(pilot * 4 < fixed, "pilot horizon: median {pilot} seeds; horizon 1,000: median {fixed}");
}
