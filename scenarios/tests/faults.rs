//! Fault plans as decisions: with `--faults all` the search injects a crash at every phase
//! of every call, a rejection and a slow host wherever one can happen, and the pump design
//! survives all of them; a scenario that scripts no crash still catches the crash mutants;
//! an injected fault is in the trace, in the decision list, and replays.

use plughost_model::design::Mutant;
use plughost_scenarios::explore::Summary;
use plughost_scenarios::runner::{RunSpec, try_run};
use plughost_scenarios::search::{SearchPlan, search};
use plughost_sim::dfs::SearchConfig;
use plughost_sim::faults::FaultBudget;
use plughost_sim::{DecisionKind, StrategySpec};

use crate::util::{scenario, variant};

fn search_all_faults(name: &str, mutant: Option<Mutant>) -> Summary {
    let config = SearchConfig { preemption_bound: Some(0), sleep_sets: true };
    search(
        &scenario(name),
        &SearchPlan {
            variant: variant(mutant),
            faults: FaultBudget::ALL,
            config,
            max_runs: Some(100_000),
            coverage: false,
        },
        &|| {},
    )
}

#[test]
fn every_phase_of_every_call_is_enumerated_and_the_design_survives_it() {
    for name in ["success", "host_crash_is_fatal"] {
        let summary = search_all_faults(name, None);
        assert!(summary.search.expect("a search").exhausted, "{name}");
        assert!(summary.first_failure.is_none(), "{name}: {:?}", summary.first_failure);
        let kinds: Vec<&str> = summary.faulted.keys().map(String::as_str).collect();
        for kind in ["crash@hook-running", "crash@reply-sent", "crash@request-sent", "reject", "slow"] {
            assert!(kinds.contains(&kind), "{name}: {kind} never injected: {kinds:?}");
        }
    }
    let success = search_all_faults("success", None);
    assert!(success.faulted.contains_key("crash@callback-in-flight"), "success's hooks make callbacks");
}

#[test]
fn a_scenario_that_scripts_no_crash_catches_the_crash_mutants_under_faults() {
    for name in ["success", "pump_kernel"] {
        let summary = search_all_faults(name, Some(Mutant::CrashNotFatalOnStart));
        let failure = summary.first_failure.expect("caught");
        assert!(failure.details.iter().any(|d| d.starts_with("I-8")), "{name}: {:?}", failure.details);
    }
    let latch = crate::util::sweep(&scenario("crash_at_any_phase"), Some(Mutant::NoCrashLatch), 0, 200, true);
    assert!(
        latch.first_failure.is_some(),
        "no-crash-latch is caught by the scenario whose [faults] crash the host"
    );
}

#[test]
fn an_injected_fault_is_traced_recorded_and_replayed() {
    let target = scenario("success");
    let faulted = (0..200)
        .map(|seed| {
            let spec = RunSpec::new(variant(None), StrategySpec::Random { seed })
                .with_faults(FaultBudget::ALL)
                .traced();
            try_run(&target, &spec).expect("a seeded run")
        })
        .find(|run| !run.faults.is_empty())
        .expect("some seed injects a fault");
    let trace = faulted.trace.clone().unwrap_or_default();
    assert!(trace.contains("fault: "), "the trace shows the fault");
    assert!(faulted.decisions.iter().any(|d| d.kind == DecisionKind::Fault && d.index != 0));
    let replay = RunSpec::new(variant(None), StrategySpec::Replay { decisions: faulted.decisions.clone() })
        .with_faults(FaultBudget::ALL)
        .traced();
    let again = try_run(&target, &replay).expect("the list replays");
    assert!(again.trace == faulted.trace && again.faults == faulted.faults);
    let without = RunSpec::new(variant(None), StrategySpec::Replay { decisions: faulted.decisions.clone() });
    assert!(try_run(&target, &without).is_err(), "the same list without the fault plan does not fit the run");
}
