//! Conformance of recorded real runs to the simulator (`plughost real --outcomes`, `plughost
//! conform`): real runs on the pipe, whose outcomes (verdict, step results, plugin logs) all
//! lie in the simulator's; an outcome the simulator never produces, planted by editing one
//! recorded run, is reported with both traces and fails the command; an unreadable outcomes
//! file is unusable input. (COM runs write the same file under Wine or on Windows: CI's
//! Windows leg checks them with the same command.)

use std::path::Path;

use plughost_scenarios::outcome::RecordedRun;

use crate::binary::{TempFile, plughost, stdout};

/// Two real runs each of `success` and `host_crash_in_vm_stopping` on the pipe, recorded.
fn record(file: &TempFile) {
    let real = plughost(&[
        "real",
        "--backend",
        "pipe",
        "--scenario",
        "success",
        "--scenario",
        "host_crash_in_vm_stopping",
        "--iterations",
        "2",
        "--trace",
        "--outcomes",
        file.path(),
    ]);
    assert!(real.status.success(), "{}", stdout(&real));
}

fn read_runs(path: &Path) -> Vec<RecordedRun> {
    let text = std::fs::read_to_string(path).expect("the outcomes file");
    text.lines().map(|line| serde_json::from_str(line).expect("a recorded run")).collect()
}

#[test]
fn real_outcomes_on_the_pipe_lie_in_the_simulators_outcomes() {
    let file = TempFile::new("outcomes-pipe", "jsonl");
    record(&file);
    let runs = read_runs(&file.0);
    assert_eq!(runs.len(), 4, "one line per run");
    assert!(runs.iter().all(|run| run.backend == "pipe"));
    // The first run of each distinct outcome carries its trace.
    assert!(runs.iter().filter(|run| run.iteration == 0).all(|run| run.trace.is_some()));
    let conform = plughost(&["conform", "--outcomes", file.path(), "--seeds", "300"]);
    let text = stdout(&conform);
    assert_eq!(conform.status.code(), Some(0), "{text}");
    assert!(text.contains("2 of 2 scenario variants: every real outcome lies"), "{text}");
    // The crashing hook's call fails in flight, with the code the transport returned.
    assert!(
        text.contains("OnVMStopping to host:TestPlugin in flight: RPC_S_CALL_FAILED (0x800706BE)"),
        "{text}"
    );
}

#[test]
fn scenarios_soaked_at_once_report_in_the_order_given() {
    // The first scenario's runs last its idle timer (about 0.4 s each), the others' a few
    // milliseconds: finishing order is the reverse of the order given.
    let file = TempFile::new("outcomes-jobs", "jsonl");
    let given = ["vm_idle_timeout", "success", "plugin_token"];
    let mut args = vec!["real", "--jobs", "3", "--iterations", "2", "--outcomes", file.path()];
    args.extend(given.iter().flat_map(|name| ["--scenario", name]));
    let real = plughost(&args);
    let text = stdout(&real);
    assert!(real.status.success(), "{text}");
    let rows: Vec<&str> =
        text.lines().skip(1).filter_map(|line| line.split_whitespace().next()).take(given.len()).collect();
    assert_eq!(rows, given, "{text}");
    let runs: Vec<(String, u32)> =
        read_runs(&file.0).into_iter().map(|run| (run.scenario, run.iteration)).collect();
    let expected: Vec<(String, u32)> =
        given.iter().flat_map(|name| (0..2).map(move |iteration| (name.to_string(), iteration))).collect();
    assert_eq!(runs, expected, "the outcomes file lists each scenario's runs together, in order");
}

#[test]
fn an_outcome_the_simulator_never_produces_is_reported_with_both_traces() {
    let file = TempFile::new("outcomes-planted", "jsonl");
    record(&file);
    let mut runs = read_runs(&file.0);
    let planted = runs.iter_mut().find(|run| run.scenario == "success").expect("a run of success");
    let log = planted.outcome.logs.values_mut().next().expect("a plugin log");
    log[0] = "a line no plugin of this scenario logs".to_string();
    let lines: Vec<String> = runs.iter().map(|run| serde_json::to_string(run).expect("JSON")).collect();
    std::fs::write(&file.0, lines.join("\n") + "\n").expect("the planted file");
    let conform = plughost(&["conform", "--outcomes", file.path(), "--seeds", "300"]);
    let text = stdout(&conform);
    assert_eq!(conform.status.code(), Some(1), "{text}");
    assert!(text.contains("NOT IN THE SIMULATOR'S OUTCOMES: success on pipe"), "{text}");
    assert!(text.contains("a line no plugin of this scenario logs"), "{text}");
    assert!(text.contains("real run's trace:"), "{text}");
    assert!(text.contains("the simulator's trace:"), "{text}");
    assert!(text.contains("plughost replay --scenario success --seed"), "{text}");
    assert!(text.contains("1 of 2 scenario variants"), "{text}");
}

#[test]
fn an_unreadable_outcomes_file_is_unusable_input() {
    let file = TempFile::new("outcomes-garbage", "jsonl");
    std::fs::write(&file.0, "{\"scenario\": 3}\n").expect("a garbage file");
    let conform = plughost(&["conform", "--outcomes", file.path()]);
    assert_eq!(conform.status.code(), Some(2));
    let error = String::from_utf8_lossy(&conform.stderr);
    assert!(error.contains(":1: not a recorded run"), "{error}");
}
