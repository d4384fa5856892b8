//! Coverage: which (hook × callback × routing path × pump state × fault) combinations seeds
//! reach, read from what the model did; a mutant that removes a path shows as that path
//! never reached, and the tally does not depend on `--jobs`. A search reports what its
//! schedules reached: a higher bound reaches more, and sleep sets reach what plain search
//! does.

use std::process::Command;

use plughost_model::design::Mutant;
use plughost_scenarios::coverage::{Combination, Coverage};
use plughost_scenarios::explore::{Exploration, StrategyFamily, Summary, explore_with_coverage};
use plughost_sim::dfs::SearchConfig;
use plughost_sim::faults::FaultBudget;

use crate::util::{scenario, variant};

fn covered(name: &str, mutant: Option<Mutant>, faults: Option<FaultBudget>, jobs: usize) -> Coverage {
    let scenario = scenario(name);
    let summary = explore_with_coverage(
        &Exploration {
            faults: faults.unwrap_or(scenario.faults),
            scenario,
            variant: variant(mutant),
            strategy: Default::default(),
            start_seed: 0,
            seeds: 300,
            jobs,
            stop_at_first_failure: false,
        },
        &|_| {},
    );
    summary.coverage.expect("coverage was asked for")
}

fn paths(coverage: &Coverage) -> Vec<&'static str> {
    let mut paths: Vec<_> = coverage.reached.keys().map(|c| c.served.path).collect();
    paths.dedup();
    paths.sort_unstable();
    paths.dedup();
    paths
}

#[test]
fn pump_kernel_reaches_the_pump_the_direct_path_and_the_timed_out_acquire() {
    let coverage = covered("pump_kernel", None, None, 1);
    assert_eq!(paths(&coverage), ["direct", "direct-after-timeout", "pumped"], "{}", coverage.to_text());
    assert!(
        coverage.reached.keys().all(|c| c.served.hook == "OnVMStarted" && c.served.callback == "MountFolder"),
        "{}",
        coverage.to_text()
    );
    assert!(!coverage.unreached().is_empty(), "a pumped callback never meets a stopped pump");
    assert_eq!(coverage, covered("pump_kernel", None, None, 2), "the tally does not depend on --jobs");
}

#[test]
fn without_pump_registration_no_callback_is_pumped() {
    let coverage = covered("pump_kernel", Some(Mutant::NoPumpRegistration), None, 1);
    assert!(!paths(&coverage).contains(&"pumped"), "{}", coverage.to_text());
    assert!(coverage.reached.keys().all(|c| c.served.pump == "no-pump"), "{}", coverage.to_text());
}

#[test]
fn faulted_runs_are_counted_by_fault() {
    let coverage = covered("pump_kernel", None, Some(FaultBudget::ALL), 1);
    assert!(coverage.faults.contains("crash@callback-in-flight"), "{:?}", coverage.faults);
    assert!(coverage.reached.keys().any(|c| c.fault != "no-fault"), "{}", coverage.to_text());
    assert!(coverage.reached.keys().any(|c| c.fault == "no-fault"), "{}", coverage.to_text());
}

/// `pump_kernel` searched within `bound` preemptions, with coverage.
fn searched(bound: u32, sleep_sets: bool) -> Summary {
    let scenario = scenario("pump_kernel");
    let config = SearchConfig { preemption_bound: Some(bound), sleep_sets };
    explore_with_coverage(
        &Exploration {
            faults: scenario.faults,
            scenario,
            variant: variant(None),
            strategy: StrategyFamily::Dfs(config),
            start_seed: 0,
            seeds: 1_000_000,
            jobs: 1,
            stop_at_first_failure: false,
        },
        &|_| {},
    )
}

fn combinations(coverage: &Coverage) -> Vec<&Combination> {
    coverage.reached.keys().collect()
}

#[test]
fn a_search_reports_what_its_schedules_reached() {
    let none = searched(0, false);
    let one = searched(1, false);
    let one_reduced = searched(1, true);
    for summary in [&none, &one, &one_reduced] {
        let stats = summary.search.expect("a search");
        assert!(stats.exhausted, "{stats:?}");
        let coverage = summary.coverage.as_ref().expect("coverage was asked for");
        // Each schedule of pump_kernel serves its one callback once: every schedule is
        // counted, a pruned run is not.
        assert_eq!(coverage.reached.values().sum::<u64>(), stats.schedules, "{}", coverage.to_text());
    }
    let (none, one, one_reduced) =
        (none.coverage.unwrap(), one.coverage.unwrap(), one_reduced.coverage.unwrap());
    assert!(
        combinations(&none).iter().all(|c| one.reached.contains_key(c)),
        "every schedule without a preemption is one with at most one: {} vs {}",
        none.to_text(),
        one.to_text()
    );
    assert!(
        one.reached.keys().any(|c| c.served.path == "direct" && c.served.pump == "pump-stopped")
            && !none.reached.keys().any(|c| c.served.pump == "pump-stopped"),
        "a callback meets a stopped pump only after a preemption: {} vs {}",
        none.to_text(),
        one.to_text()
    );
    assert_eq!(
        combinations(&one_reduced),
        combinations(&one),
        "sleep sets skip reorderings, not combinations"
    );
}

#[test]
fn explore_reports_coverage_in_its_json_for_seeds_and_for_a_search() {
    let plughost =
        |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_plughost")).args(args).output().expect("runs");
    let output = plughost(&["explore", "--scenario", "pump_kernel", "--seeds", "50", "--coverage", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let value: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).expect("one JSON object");
    let reached = value["coverage"]["reached"].as_array().expect("reached combinations");
    assert!(reached.iter().any(|c| c["path"] == "pumped" && c["runs"].as_u64() > Some(0)), "{value}");
    assert!(value["coverage"]["unreached"].is_array(), "{value}");
    let output = plughost(&[
        "explore",
        "--scenario",
        "pump_kernel",
        "--strategy",
        "dfs",
        "--preemption-bound",
        "1",
        "--coverage",
        "--json",
    ]);
    assert!(output.status.success(), "{output:?}");
    let value: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).expect("one JSON object");
    assert_eq!(value["search"]["exhausted"], true, "{value}");
    let reached = value["coverage"]["reached"].as_array().expect("reached combinations");
    assert!(reached.iter().any(|c| c["pump"] == "pump-stopped"), "{value}");
}
