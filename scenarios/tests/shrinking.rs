//! Shrinking keeps the failure, never grows the schedule (faults, preemptions, decisions),
//! and the shrunk decision list replays strictly.

use std::sync::Arc;

use plughost_model::design::Mutant;
use plughost_scenarios::runner::{RunSpec, SimRun, try_run};
use plughost_scenarios::scenario::Scenario;
use plughost_scenarios::shrink::{Shrunk, Size, shrink};
use plughost_sim::StrategySpec;
use plughost_sim::faults::FaultBudget;

use crate::util::{scenario, sweep, traced_run, variant};

/// The shrunk decision list, replayed strictly, as its header would say.
fn replay(target: &Arc<Scenario>, mutant: Option<Mutant>, shrunk: &Shrunk) -> SimRun {
    let strategy = StrategySpec::Replay { decisions: shrunk.run.decisions.clone() };
    let spec = RunSpec { ends: shrunk.ends, ..RunSpec::new(variant(mutant), strategy).traced() };
    try_run(target, &spec).unwrap_or_else(|stop| panic!("the shrunk list does not replay: {stop}"))
}

fn check_shrinks(name: &str, mutant: Mutant) {
    let target = scenario(name);
    let summary = sweep(&target, Some(mutant), 0, 2_000, true);
    let seed = summary.first_failure.as_ref().expect("the mutant is caught").seed;
    let failing = traced_run(&target, Some(mutant), StrategySpec::Random { seed });
    let shrunk = shrink(&target, variant(Some(mutant)), FaultBudget::NONE, &failing, 2_000);
    assert_eq!(shrunk.run.verdict, failing.verdict);
    assert_eq!(shrunk.original, Size::of(&failing));
    assert!(shrunk.size <= shrunk.original, "{:?} > {:?}", shrunk.size, shrunk.original);
    assert!(shrunk.size.preemptions <= failing.preemptions);
    let again = replay(&target, Some(mutant), &shrunk);
    assert_eq!(again.trace, shrunk.run.trace, "the shrunk list replays its own trace");
}

#[test]
fn a_deadlock_shrinks_and_still_deadlocks() {
    check_shrinks("pre_registration_race", Mutant::NoTimedAcquire);
}

/// The README's example: 2,600 trace lines and 1,100 preemptions down to at most a hundred
/// lines and a handful of preemptions, ending at the violation. (Measured: 98 lines and 4
/// preemptions with this budget; the first start's VM and distribution hooks alone take
/// about 85, so an empty critical section must read as one line to get there.)
#[test]
fn a_long_failing_schedule_shrinks_to_a_trace_a_reviewer_reads() {
    let target = scenario("callbacks_during_termination_do_not_crash");
    let failing = traced_run(&target, Some(Mutant::NoWorkerDonePoll), StrategySpec::Random { seed: 0 });
    let shrunk = shrink(&target, variant(Some(Mutant::NoWorkerDonePoll)), FaultBudget::NONE, &failing, 2_000);
    assert_eq!(shrunk.run.verdict, failing.verdict);
    assert_eq!(
        shrunk.ends,
        plughost_sim::Ends::FirstViolation,
        "an oracle's finding is shown up to the violation"
    );
    let lines = |run: &SimRun| run.trace.as_deref().map_or(0, |t| t.lines().count());
    assert!(lines(&shrunk.run) <= 100, "{} trace lines (from {})", lines(&shrunk.run), lines(&failing));
    assert!(shrunk.size.preemptions <= 10, "{:?} (from {} preemptions)", shrunk.size, failing.preemptions);
    let again = replay(&target, Some(Mutant::NoWorkerDonePoll), &shrunk);
    assert_eq!(again.trace, shrunk.run.trace, "the kept list replays strictly, to the violation");
}
