//! Reviewed snapshots (under `snapshots/`): the canonical trace of every scenario at seed 0
//! (or, for a scenario whose design has a defect, at its first passing seed), the report of
//! the first failure of every design whose outcome differs from the pump's (and of the pump's
//! own defects), the deadlock report of `pre_registration_race` without the timed acquire, and the
//! deadlock and the livelock the pump design itself has when a registration overlaps a start
//! (spec §9.1). A change
//! that moves any of them shows up as a `.snap.new` to read and accept (`cargo insta review`).

use plughost_model::design::{Design, Mutant, Variant};
use plughost_scenarios::verdict::Verdict;
use plughost_sim::StrategySpec;

use plughost_scenarios::runner::run_sim;

use crate::util::{all_scenarios, scenario, sweep, traced_run};

fn assert_reviewed(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn the_trace_of_every_scenario_at_seed_0() {
    for scenario in all_scenarios() {
        let (seed, run) = if scenario.expect.defects.is_empty() {
            let run = traced_run(&scenario, None, StrategySpec::Random { seed: 0 });
            assert_eq!(run.verdict, scenario.expect.verdict, "{}: {:?}", scenario.name, run.details);
            (0, run)
        } else {
            (0..100)
                .map(|seed| (seed, traced_run(&scenario, None, StrategySpec::Random { seed })))
                .find(|(_, run)| run.verdict == Verdict::Pass)
                .unwrap_or_else(|| panic!("{}: no passing seed", scenario.name))
        };
        let text = format!(
            "plughost replay --scenario {} --seed {seed}\n{}",
            scenario.name,
            run.trace.unwrap_or_default()
        );
        assert_reviewed(&format!("trace_{}", scenario.name), &text);
    }
}

#[test]
fn the_first_failure_of_every_design_whose_outcome_differs_from_the_pumps() {
    for scenario in all_scenarios() {
        let pump = scenario.outcome_on(Design::Pump);
        for design in Design::ALL {
            let (verdict, defects) = scenario.outcome_on(design);
            // The pump's own: its defects (its every-seed verdict is its trace's); another
            // design's: where it differs from the pump and does not simply pass.
            let differs = match design {
                Design::Pump => !defects.is_empty(),
                _ => (verdict, defects) != pump && (verdict != Verdict::Pass || !defects.is_empty()),
            };
            if !differs {
                continue;
            }
            let variant = Variant { design, mutant: None };
            let (seed, run) = (0..2_000)
                .map(|seed| (seed, run_sim(&scenario, variant, StrategySpec::Random { seed }, false)))
                .find(|(_, run)| run.verdict != Verdict::Pass)
                .unwrap_or_else(|| panic!("{} on {design}: no seed of 2,000 failed", scenario.name));
            let report = format!(
                "plughost replay --scenario {} --seed {seed} --design {design}\nverdict: {}\n{}\n",
                scenario.name,
                run.verdict,
                run.details.join("\n")
            );
            assert_reviewed(
                &format!("design_{}_{}", scenario.name, design.name().replace('-', "_")),
                &report,
            );
        }
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
