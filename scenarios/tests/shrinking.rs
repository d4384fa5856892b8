//! Shrinking keeps the failure and never grows the schedule; the shrunk decision list replays.

use plughost_model::design::Mutant;
use plughost_scenarios::shrink::shrink;
use plughost_sim::StrategySpec;

use crate::util::{scenario, sweep, traced_run, variant};

fn check_shrinks(name: &str, mutant: Mutant) {
    let target = scenario(name);
    let summary = sweep(&target, Some(mutant), 0, 2_000, true);
    let seed = summary.first_failure.as_ref().expect("the mutant is caught").seed;
    let failing = traced_run(&target, Some(mutant), StrategySpec::Random { seed });
    let shrunk = shrink(&target, variant(Some(mutant)), &failing, 2_000);
    assert_eq!(shrunk.run.verdict, failing.verdict);
    assert!(
        shrunk.decisions.len() <= failing.decisions.len(),
        "{} > {}",
        shrunk.decisions.len(),
        failing.decisions.len()
    );
    assert!(shrunk.run.steps <= failing.steps);
    let again =
        traced_run(&target, Some(mutant), StrategySpec::Replay { decisions: shrunk.decisions.clone() });
    assert_eq!(again.trace, shrunk.run.trace, "the shrunk list replays its own trace");
}

#[test]
fn a_deadlock_shrinks_and_still_deadlocks() {
    check_shrinks("pre_registration_race", Mutant::NoTimedAcquire);
}

#[test]
fn a_long_failing_schedule_shrinks_a_lot() {
    let target = scenario("callbacks_during_termination");
    let failing = traced_run(&target, Some(Mutant::NoWorkerDonePoll), StrategySpec::Random { seed: 0 });
    let shrunk = shrink(&target, variant(Some(Mutant::NoWorkerDonePoll)), &failing, 1_000);
    assert_eq!(shrunk.run.verdict, failing.verdict);
    assert!(
        shrunk.decisions.len() * 10 < failing.decisions.len(),
        "{} vs {}",
        shrunk.decisions.len(),
        failing.decisions.len()
    );
}
