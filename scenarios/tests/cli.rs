//! The `plughost` binary as a user runs it: exit statuses, the JSON contract, replay from a
//! seed and from a saved decision list, and errors for unusable input.

use std::process::{Command, Output};

use plughost_model::design::{Design, Mutant};

use crate::binary::{plughost, stdout};

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
    let output = plughost(&["explore", "--strategy", "bfs"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown strategy `bfs`"));
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
    assert!(
        replay.contains(" --strategy pct --depth 3 --horizon "),
        "the pilot's horizon, spelled out: {replay}"
    );
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let text = stdout(&plughost(&args));
    assert!(text.contains("verdict: invariant"), "the printed command reproduces the failure: {text}");
}

#[test]
fn matrix_gives_one_cell_per_scenario_and_variant_and_checks_the_claims() {
    let output =
        plughost(&["matrix", "--scenario", "host_crash_is_fatal", "--seeds", "20", "--mutants", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let cells: Vec<serde_json::Value> =
        stdout(&output).lines().map(|line| serde_json::from_str(line).expect("a JSON cell")).collect();
    let pump_mutants = Mutant::ALL.iter().filter(|m| m.home_design() == Design::Pump).count();
    assert_eq!(cells.len(), 1 + pump_mutants);
    let latch = cells.iter().find(|c| c["mutant"] == "no-crash-latch").expect("a no-crash-latch cell");
    assert_eq!(latch["claimed"], true);
    assert_eq!(latch["first_failure"]["verdict"], "invariant");
}

#[test]
fn the_design_matrix_checks_each_design_against_its_expectation_and_writes_markdown() {
    let dir = awkward_dir("matrix");
    let file = dir.join("designs.md");
    let path = file.to_str().expect("UTF-8");
    let args = [
        "matrix",
        "--design",
        "all",
        "--scenario",
        "concurrent_callbacks",
        "--seeds",
        "10",
        "--markdown",
        path,
    ];
    let output = plughost(&args);
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&file).expect("the Markdown table");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(text.contains("| `concurrent_callbacks` | pass | pass | deadlock 10/10 |"), "{text}");
    assert!(
        text.contains("plughost replay --scenario concurrent_callbacks --seed 0 --design in-process"),
        "{text}"
    );

    // A scenario whose expectation of a design is wrong fails its cell, and the command.
    let wrong = awkward_dir("matrix-wrong");
    let scenario = wrong.join("wrong.toml");
    let source = plughost_scenarios::catalogue::CATALOGUE
        .iter()
        .find(|(name, _)| *name == "concurrent_callbacks")
        .expect("in the catalogue")
        .1
        .replace("verdict = \"deadlock\"", "verdict = \"livelock\"");
    std::fs::write(&scenario, source).expect("written");
    let output = plughost(&[
        "matrix",
        "--design",
        "in-process",
        "--scenario",
        scenario.to_str().expect("UTF-8"),
        "--seeds",
        "5",
    ]);
    let _ = std::fs::remove_dir_all(&wrong);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout(&output).contains("1 unexpected"), "{}", stdout(&output));
}

#[test]
fn a_mutant_runs_on_its_home_design_and_nowhere_it_has_nothing_to_remove() {
    let output = plughost(&[
        "explore",
        "--scenario",
        "callback_from_vm_stopping",
        "--mutant",
        "vm-reset-before-stopping",
        "--seeds",
        "5",
    ]);
    assert!(output.status.success(), "caught on callback-lock: {output:?}");
    assert!(
        stdout(&output).contains("--design callback-lock --mutant vm-reset-before-stopping"),
        "{}",
        stdout(&output)
    );
    let refused = plughost(&["explore", "--mutant", "no-host-stub-lock", "--design", "pump"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("the pump design does not have"),
        "{refused:?}"
    );
}

/// Runs `line` in a POSIX shell, in `dir`, with the `plughost` under test first on `PATH`:
/// what a person does when pasting a printed command.
fn paste(line: &str, dir: &std::path::Path) -> Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_plughost")).parent().expect("a bin directory");
    let path = std::env::join_paths(
        std::iter::once(bin.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("a PATH");
    Command::new("sh").arg("-c").arg(line).current_dir(dir).env("PATH", path).output().expect("sh runs")
}

/// The project root, where the README's commands run.
fn project_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// A fresh directory whose name needs quoting in a shell.
fn awkward_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("plughost {what} {}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

#[test]
fn printed_replay_and_shrink_commands_run_as_printed() {
    let dir = awkward_dir("pasted");
    let file = dir.join("my race.toml");
    std::fs::copy(project_root().join("scenarios/catalogue/pre_registration_race.toml"), &file)
        .expect("the scenario is copied");
    let explored = plughost(&[
        "explore",
        "--scenario",
        file.to_str().expect("UTF-8"),
        "--mutant",
        "no-timed-acquire",
        "--seeds",
        "50",
        "--stop-on-failure",
    ]);
    let text = stdout(&explored);
    let replay = text.lines().find(|l| l.starts_with("plughost replay ")).expect("a replay command");
    assert!(replay.contains("'"), "the path with spaces is quoted: {replay}");
    let replayed = paste(replay, &dir);
    assert!(replayed.status.success(), "{replay}: {replayed:?}");
    assert_eq!(stdout(&replayed).lines().next(), Some(replay), "a replay prints its own command first");
    assert!(stdout(&replayed).contains("verdict: deadlock"));

    let shrink = text
        .lines()
        .find_map(|l| l.strip_prefix("shortest schedule that fails the same way: "))
        .expect("a shrink command");
    let shrunk = paste(shrink, &dir);
    assert!(shrunk.status.success(), "{shrink}: {shrunk:?}");
    let replay_shrunk = stdout(&shrunk).lines().next().expect("the shrunk replay command").to_string();
    assert!(dir.join("shrunk-my race.decisions").is_file(), "shrink writes where it says");
    let replayed = paste(&replay_shrunk, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(replayed.status.success(), "{replay_shrunk}: {replayed:?}");
    assert!(stdout(&replayed).contains("verdict: deadlock"), "{}", stdout(&replayed));
}

#[test]
fn a_catalogue_failure_replays_pasted_from_the_project_root() {
    let output =
        plughost(&["explore", "--scenario", "concurrent_callbacks", "--mutant", "no-workerdone-poll"]);
    let text = stdout(&output);
    let replay = text.lines().find(|l| l.starts_with("plughost replay ")).expect("a replay command");
    let replayed = paste(replay, &project_root());
    assert!(replayed.status.success(), "{replay}: {replayed:?}");
    assert!(stdout(&replayed).contains("verdict: invariant"), "{}", stdout(&replayed));
}

#[test]
fn meaningless_counts_and_ignored_options_exit_2() {
    for (args, message) in [
        (&["explore", "--seeds", "0"][..], "--seeds 0"),
        (&["explore", "--jobs", "0"], "--jobs 0"),
        (&["matrix", "--seeds", "0"], "--seeds 0"),
        (&["real", "--iterations", "0"], "--iterations 0"),
        (&["real", "--watchdog-secs", "0"], "--watchdog-secs 0"),
        (&["real", "--jobs", "0"], "--jobs 0"),
        (&["real", "--jobs", "2", "--backend", "com"], "--jobs above 1 needs --backend pipe"),
        (&["explore", "--strategy", "pct", "--depth", "4000000000"], "--depth 4000000000"),
        (&["explore", "--strategy", "pct", "--depth", "20", "--horizon", "5"], "more than the --horizon"),
        (&["explore", "--strategy", "delay", "--delays", "0"], "--delays is at least 1"),
        (&["explore", "--strategy", "delay", "--delays", "101"], "--delays 101"),
        (&["explore", "--strategy", "delay", "--horizon", "0"], "--horizon is at least 1"),
        (&["explore", "--delays", "0"], "--delays is at least 1"),
        (&["explore", "--shard", "3/2"], "not a shard"),
        (&["real", "--strategy", "pct"], "unexpected argument '--strategy'"),
        (&["matrix", "--mutant", "no-recheck"], "unexpected argument '--mutant'"),
        (&["matrix", "--design", "both"], "unknown design `both`"),
        (&["matrix", "--markdown", "x.md", "--shard", "1/2"], "cannot take --shard"),
    ] {
        let output = plughost(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn a_scenario_name_without_toml_finds_the_file_or_says_what_was_tried() {
    let dir = awkward_dir("names");
    std::fs::copy(project_root().join("scenarios/catalogue/success.toml"), dir.join("mine.toml"))
        .expect("the scenario is copied");
    let found = Command::new(env!("CARGO_BIN_EXE_plughost"))
        .args(["explore", "--scenario", "mine", "--seeds", "2"])
        .current_dir(&dir)
        .output()
        .expect("the binary runs");
    let missing = Command::new(env!("CARGO_BIN_EXE_plughost"))
        .args(["explore", "--scenario", "yours"])
        .current_dir(&dir)
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(found.status.success(), "{found:?}");
    assert!(stdout(&found).lines().nth(1).is_some_and(|row| row.starts_with("mine ")), "{}", stdout(&found));
    assert_eq!(missing.status.code(), Some(2));
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(message.contains("the file `yours` and the file `yours.toml`"), "{message}");
}

#[test]
fn replay_exits_1_when_the_verdict_is_not_the_expected_one() {
    // A seed under a claimed mutant that does not show the bug: every seed below the first
    // failing one passes.
    let explored = plughost(&[
        "explore",
        "--scenario",
        "pre_registration_race",
        "--mutant",
        "no-timed-acquire",
        "--seeds",
        "200",
        "--stop-on-failure",
        "--json",
    ]);
    let value: serde_json::Value = serde_json::from_str(stdout(&explored).trim()).expect("one JSON object");
    let first = value["first_failure"]["seed"].as_u64().expect("a failing seed");
    assert!(first > 0, "seed 0 already fails; this test needs a passing seed below the first failure");
    let passing = plughost(&[
        "replay",
        "--scenario",
        "pre_registration_race",
        "--mutant",
        "no-timed-acquire",
        "--seed",
        "0",
    ]);
    assert_eq!(
        passing.status.code(),
        Some(1),
        "a claimed mutant's schedule that passes differs: {passing:?}"
    );
    let failing = plughost(&[
        "replay",
        "--scenario",
        "pre_registration_race",
        "--mutant",
        "no-timed-acquire",
        "--seed",
        &first.to_string(),
    ]);
    assert_eq!(failing.status.code(), Some(0), "{failing:?}");
    let design = plughost(&["replay", "--scenario", "success", "--seed", "3"]);
    assert_eq!(design.status.code(), Some(0), "{design:?}");
}

#[test]
fn the_shards_of_an_exploration_add_up_to_it() {
    let run = |shard: Option<&str>| -> serde_json::Value {
        let mut args = vec![
            "explore",
            "--scenario",
            "concurrent_callbacks",
            "--mutant",
            "no-workerdone-poll",
            "--seeds",
            "90",
            "--json",
        ];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        serde_json::from_str(stdout(&plughost(&args)).trim()).expect("one JSON object")
    };
    let whole = run(None);
    let parts: Vec<serde_json::Value> =
        ["1/4", "2/4", "3/4", "4/4"].into_iter().map(|s| run(Some(s))).collect();
    let seeds: u64 = parts.iter().map(|p| p["seeds_run"].as_u64().expect("seeds_run")).sum();
    assert_eq!(seeds, 90);
    let starts: Vec<u64> = parts.iter().map(|p| p["start_seed"].as_u64().expect("start_seed")).collect();
    assert_eq!(starts, [0, 22, 45, 67], "contiguous parts of 0..90");
    for verdict in ["pass", "deadlock", "livelock", "invariant", "panic", "service-died"] {
        let sum: u64 = parts.iter().map(|p| p["verdicts"][verdict].as_u64().expect("a count")).sum();
        assert_eq!(sum, whole["verdicts"][verdict].as_u64().expect("a count"), "{verdict}");
    }
    assert!(whole["verdicts"]["invariant"].as_u64() > Some(0), "the mutant is caught: {whole}");
    let first = parts.iter().filter_map(|p| p["first_failure"]["seed"].as_u64()).min();
    assert_eq!(first, whole["first_failure"]["seed"].as_u64(), "the lowest failing seed is the same");
}

#[test]
fn junit_reports_one_case_per_row_and_the_failures() {
    let dir = awkward_dir("junit");
    let report = dir.join("report.xml");
    let output = plughost(&[
        "explore",
        "--scenario",
        "success",
        "--scenario",
        "pump_kernel",
        "--mutant",
        "no-recheck",
        "--seeds",
        "30",
        "--junit",
        report.to_str().expect("UTF-8"),
    ]);
    let xml = std::fs::read_to_string(&report).expect("the report is written");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    let failed = !output.status.success();
    assert_eq!(xml.contains("<failure "), failed, "a failure element exactly when the run failed: {xml}");
    assert!(xml.contains("name=\"success [no-recheck]\""), "{xml}");
}

#[test]
fn real_trace_json_prints_only_json_on_stdout() {
    let output = plughost(&["real", "--scenario", "success", "--trace", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "JSON Lines: one object per scenario: {text}");
    let value: serde_json::Value = serde_json::from_str(lines[0]).expect("valid JSON");
    let trace = value["trace"].as_array().expect("the trace is a field");
    assert!(trace.iter().any(|line| line.as_str().is_some_and(|l| l.contains("svc/main"))), "{value}");
}

#[test]
fn piped_output_has_no_colours() {
    let output = plughost(&[
        "explore",
        "--scenario",
        "concurrent_callbacks",
        "--mutant",
        "no-workerdone-poll",
        "--seeds",
        "40",
    ]);
    assert!(!output.stdout.contains(&0x1b), "no escape sequences when piped");
    assert!(!output.stderr.contains(&0x1b), "no progress bar when stderr is not a terminal");
}

#[test]
fn list_json_names_the_catching_scenarios_as_objects() {
    let output = plughost(&["list", "--json"]);
    let value: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON object");
    let mutants = value["mutants"].as_array().expect("mutants");
    for mutant in mutants {
        let caught_by = mutant["caught_by"].as_array().expect("caught_by is an array");
        assert!(!caught_by.is_empty(), "{mutant}");
        for catcher in caught_by {
            assert!(catcher["scenario"].is_string() && catcher["verdict"].is_string(), "{catcher}");
        }
    }
}
