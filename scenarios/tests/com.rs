//! The COM backend (Windows): every catalogue scenario end to end with each plugin host a COM
//! local server, judged by the same oracles — the design passes (or hits the defect a
//! scenario documents), the mutants a scenario says real runs catch are caught, and a host
//! that breaks the protocol is treated as crashed while the service carries on. The
//! simulator's tests are absent on Windows (the simulator is built on Linux and macOS
//! only); CI on Linux runs this module under Wine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plughost_model::design::{Mutant, Variant};
use plughost_real::{ComClass, RealConfig, Transport};
use plughost_scenarios::catalogue;
use plughost_scenarios::explore::Expectation;
use plughost_scenarios::real_runner::run_real;
use plughost_scenarios::scenario::Scenario;
use plughost_scenarios::verdict::Verdict;

/// Runs per scenario here (CI adds `plughost real --backend com` over the catalogue).
const RUNS: u32 = 2;

/// Hosts are this test build's `plughost host --com-server CLSID`, one class per run.
fn com_config(watchdog: Duration) -> RealConfig {
    RealConfig::new(PathBuf::from(env!("CARGO_BIN_EXE_plughost")), vec!["host".to_string()], watchdog)
        .and_then(|config| config.with_transport(Transport::Com(ComClass::PerRun)))
        .expect("a COM configuration")
}

fn variant(mutant: Option<Mutant>) -> Variant {
    Variant { mutant, ..Variant::PUMP }
}

fn scenarios() -> Vec<Arc<Scenario>> {
    catalogue::all().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_catalogue_scenario_runs_on_com_as_its_expectation_says() {
    for scenario in scenarios() {
        let expected = Expectation::of(&scenario, variant(None));
        let config = com_config(scenario.real.watchdog.unwrap_or(Duration::from_secs(30)));
        for run in 0..RUNS.min(scenario.real.max_runs.unwrap_or(RUNS)) {
            let outcome = run_real(&scenario, variant(None), &config, false);
            assert!(
                expected.allows(outcome.verdict),
                "{} run {run} on COM ended {}: {:?} {:?}",
                scenario.name,
                outcome.verdict,
                outcome.details,
                outcome.errors
            );
            assert!(outcome.errors.is_empty(), "{} run {run} on COM: {:?}", scenario.name, outcome.errors);
        }
    }
}

#[test]
fn the_mutants_real_runs_catch_are_caught_on_com() {
    for scenario in scenarios() {
        for &mutant in &scenario.real.catches {
            let outcome =
                run_real(&scenario, variant(Some(mutant)), &com_config(Duration::from_secs(5)), false);
            assert_ne!(outcome.verdict, Verdict::Pass, "{}: {mutant} was not caught on COM", scenario.name);
        }
    }
}

#[test]
fn a_com_host_replying_garbage_is_treated_as_crashed() {
    let success = catalogue::load("success").unwrap_or_else(|e| panic!("{e}"));
    let mut config = com_config(Duration::from_secs(10));
    config.hostile.insert("TestPlugin".to_string(), "garbage".to_string());
    let outcome = run_real(&success, variant(None), &config, false);
    assert_ne!(outcome.verdict, Verdict::Deadlock, "the service must not hang: {:?}", outcome.details);
    assert_ne!(outcome.verdict, Verdict::Panic, "the service must not panic: {:?}", outcome.details);
    assert!(
        outcome.errors.iter().any(|e| e.starts_with("host:TestPlugin broke the protocol: malformed frame")),
        "{:?}",
        outcome.errors
    );
    assert!(
        outcome.details.iter().any(|d| d.contains("A fatal error was returned by plugin 'TestPlugin'")),
        "{:?}",
        outcome.details
    );
}
