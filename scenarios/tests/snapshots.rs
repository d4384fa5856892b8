//! Reviewed snapshots (under `snapshots/`): the canonical trace of every scenario at seed 0,
//! the deadlock report of `pre_registration_race` without the timed acquire, and the
//! deadlock and the livelock the pump design itself has when a registration overlaps a start
//! (spec §9.1). A change
//! that moves any of them shows up as a `.snap.new` to read and accept (`cargo insta review`).

use plughost_model::design::Mutant;
use plughost_scenarios::verdict::Verdict;
use plughost_sim::StrategySpec;

use crate::util::{all_scenarios, scenario, sweep, traced_run};

fn assert_reviewed(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn the_trace_of_every_scenario_at_seed_0() {
    for scenario in all_scenarios() {
        let run = traced_run(&scenario, None, StrategySpec::Random { seed: 0 });
        assert_eq!(run.verdict, scenario.expect.verdict, "{}: {:?}", scenario.name, run.details);
        let text = format!(
            "plughost replay --scenario {} --seed 0\n{}",
            scenario.name,
            run.trace.unwrap_or_default()
        );
        assert_reviewed(&format!("trace_{}", scenario.name), &text);
    }
}

#[test]
fn the_deadlock_the_pump_design_itself_has_when_a_registration_overlaps_a_start() {
    let overlap = scenario("register_during_start");
    let summary = sweep(&overlap, None, 0, 2_000, true);
    let failure = summary.first_failure.as_ref().expect("exploration finds the defect");
    assert_eq!(failure.verdict, Verdict::Deadlock);
    let report = format!("{}\n{}\n", summary.replay_command(failure.seed), failure.details.join("\n"));
    assert_reviewed("deadlock_register_during_start", &report);
}

#[test]
fn the_livelock_the_pump_design_itself_has_when_a_registration_erases_a_starts_pump() {
    let overlap = scenario("register_erases_pump");
    let livelock = (0..2_000)
        .map(|seed| (seed, traced_run(&overlap, None, StrategySpec::Random { seed })))
        .find(|(_, run)| run.verdict == Verdict::Livelock);
    let (seed, run) = livelock.expect("exploration finds the livelock");
    let report = format!(
        "plughost replay --scenario register_erases_pump --seed {seed}\n{}\n",
        run.details.join("\n")
    );
    assert_reviewed("livelock_register_erases_pump", &report);
}

#[test]
fn the_deadlock_report_of_pre_registration_race_without_the_timed_acquire() {
    let race = scenario("pre_registration_race");
    let summary = sweep(&race, Some(Mutant::NoTimedAcquire), 0, 2_000, true);
    let failure = summary.first_failure.as_ref().expect("the mutant deadlocks on some seed");
    assert_eq!(failure.verdict, Verdict::Deadlock);
    let report = format!("{}\n{}\n", summary.replay_command(failure.seed), failure.details.join("\n"));
    assert_reviewed("deadlock_pre_registration_race_no_timed_acquire", &report);
}
