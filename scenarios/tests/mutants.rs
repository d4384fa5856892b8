//! Every mutant is caught by every scenario that lists it, with the verdict it lists, within
//! 2,000 seeds of the random strategy; and every mutant is listed by some scenario.

use plughost_model::design::Mutant;

use crate::util::{all_scenarios, failure_text, sweep};

const SEED_LIMIT: u64 = 2_000;

#[test]
fn every_mutant_is_claimed_by_some_scenario() {
    let scenarios = all_scenarios();
    for mutant in Mutant::ALL {
        assert!(
            scenarios.iter().any(|s| s.catches.iter().any(|(m, _)| *m == mutant)),
            "no scenario catches {mutant}"
        );
    }
}

#[test]
fn every_claimed_mutant_is_caught_within_the_seed_limit() {
    for scenario in all_scenarios() {
        for &(mutant, verdict) in &scenario.catches {
            let summary = sweep(&scenario, Some(mutant), 0, SEED_LIMIT, true);
            let failure = summary.first_failure.as_ref().unwrap_or_else(|| {
                panic!("{} did not catch {mutant} within {SEED_LIMIT} seeds", scenario.name)
            });
            assert_eq!(
                failure.verdict,
                verdict,
                "{} under {mutant}: {}",
                scenario.name,
                failure_text(&summary)
            );
        }
    }
}
