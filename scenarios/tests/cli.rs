//! The `plughost` binary as a user runs it: exit statuses, the JSON contract, replay from a
//! seed and from a saved decision list, and errors for unusable input.

use std::process::{Command, Output};

fn plughost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plughost")).args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn list_names_every_mutant_with_a_scenario_that_catches_it() {
    let output = plughost(&["list"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    for mutant in plughost_model::design::Mutant::ALL {
        assert!(text.contains(mutant.name()), "{mutant} missing from list");
    }
    assert!(!text.contains("NOT CAUGHT"), "{text}");
}

#[test]
fn explore_json_carries_the_documented_fields() {
    let output = plughost(&["explore", "--scenario", "pump_kernel", "--seeds", "50", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let value: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON object");
    for field in [
        "scenario",
        "design",
        "mutant",
        "strategy",
        "seeds_run",
        "schedules_per_sec",
        "verdicts",
        "expected",
        "first_failure",
    ] {
        assert!(value.get(field).is_some(), "missing {field}: {value}");
    }
    assert_eq!(value["seeds_run"], 50);
    assert_eq!(value["verdicts"]["pass"], 50);
}

#[test]
fn a_caught_mutant_reports_the_replay_command_first_and_replays_from_decisions() {
    let output = plughost(&[
        "explore",
        "--scenario",
        "pre_registration_race",
        "--mutant",
        "no-timed-acquire",
        "--seeds",
        "50",
        "--stop-on-failure",
        "--json",
    ]);
    assert!(output.status.success(), "a claimed mutant that is caught meets its expectation: {output:?}");
    let value: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON object");
    let replay = value["first_failure"]["replay"].as_str().expect("a replay command").to_string();
    assert!(replay.starts_with("plughost replay --scenario pre_registration_race --seed "), "{replay}");

    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let by_seed = plughost(&args);
    let text = stdout(&by_seed);
    assert_eq!(text.lines().next(), Some(replay.as_str()), "the output starts with the replay command");
    assert!(text.contains("verdict: deadlock"), "{text}");

    let decisions = std::env::temp_dir().join(format!("plughost-decisions-{}.txt", std::process::id()));
    let path = decisions.to_str().expect("a UTF-8 path");
    let saved = plughost(&[&args[..], &["--save-decisions", path]].concat());
    let from_file = plughost(&[
        "replay",
        "--scenario",
        "pre_registration_race",
        "--mutant",
        "no-timed-acquire",
        "--decisions",
        path,
    ]);
    let _ = std::fs::remove_file(&decisions);
    let trace = |output: &Output| stdout(output).lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(trace(&saved), trace(&from_file), "a decision list replays the same trace");
}

#[test]
fn unusable_input_exits_2_with_a_message() {
    let output = plughost(&["explore", "--scenario", "no_such_scenario"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such scenario"));
    let output = plughost(&["explore", "--mutant", "no-such-mutant"]);
    assert_eq!(output.status.code(), Some(2));
    let output = plughost(&["replay", "--scenario", "success", "--decisions", "/no/such/decisions"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /no/such/decisions"));
    let output = plughost(&["explore", "--strategy", "dfs"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown strategy `dfs`"));
    let output = plughost(&["explore", "--strategy", "pct", "--depth", "0"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_pct_failure_replays_from_the_command_it_prints() {
    let output = plughost(&[
        "explore",
        "--scenario",
        "concurrent_callbacks",
        "--mutant",
        "no-workerdone-poll",
        "--strategy",
        "pct",
        "--seeds",
        "100",
        "--stop-on-failure",
        "--json",
    ]);
    assert!(output.status.success(), "{output:?}");
    let value: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON object");
    assert_eq!(value["strategy"], "pct");
    let replay = value["first_failure"]["replay"].as_str().expect("PCT finds the starved pump").to_string();
    assert!(replay.contains(" --strategy pct --depth 3 --horizon 1000"), "{replay}");
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let text = stdout(&plughost(&args));
    assert!(text.contains("verdict: invariant"), "the printed command reproduces the failure: {text}");
}

#[test]
fn matrix_gives_one_cell_per_scenario_and_variant_and_checks_the_claims() {
    let output = plughost(&["matrix", "--scenario", "host_crash_mid_vm_started", "--seeds", "20", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let cells: Vec<serde_json::Value> =
        stdout(&output).lines().map(|line| serde_json::from_str(line).expect("a JSON cell")).collect();
    assert_eq!(cells.len(), 1 + plughost_model::design::Mutant::ALL.len());
    let latch = cells.iter().find(|c| c["mutant"] == "no-crash-latch").expect("a no-crash-latch cell");
    assert_eq!(latch["claimed"], true);
    assert_eq!(latch["first_failure"]["verdict"], "invariant");
}
