//! Reading a failure: the sequence diagram of a shrunk schedule (short enough to read), and
//! the HTML report rendered by a real headless browser (Chromium), not only string-matched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::binary::{plughost, stdout};

fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plughost-reading-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Shrinks the headline deadlock (pre_registration_race without the timed acquire) into
/// `dir` and returns the `replay` arguments of the shrunk schedule.
fn shrunk_deadlock(dir: &Path) -> Vec<String> {
    let decisions = dir.join("shrunk.decisions");
    let output = plughost(&[
        "shrink",
        "--scenario",
        "pre_registration_race",
        "--seed",
        "1",
        "--strategy",
        "random",
        "--mutant",
        "no-timed-acquire",
        "--save-decisions",
        decisions.to_str().expect("UTF-8"),
    ]);
    assert!(output.status.success(), "{output:?}");
    let replay = stdout(&output).lines().next().expect("the replay command").to_string();
    replay.split_whitespace().skip(1).map(|w| w.trim_matches('\'').to_string()).collect()
}

#[test]
fn the_mermaid_diagram_of_a_shrunk_deadlock_is_short_and_shows_the_cycle() {
    let dir = scratch("mermaid");
    let mut args = shrunk_deadlock(&dir);
    args.extend(["--format".to_string(), "mermaid".to_string()]);
    let output = plughost(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert_eq!(text.lines().next(), Some("sequenceDiagram"), "{text}");
    assert!(text.contains("    box svc\n") && text.contains("    box host:TestPlugin\n"), "{text}");
    assert!(text.contains("->>") && text.contains("-->>"), "calls and returns: {text}");
    assert!(text.contains("--x"), "waits: {text}");
    assert!(text.contains("blocks on session#35;1.instance_lock"), "the lock waited on: {text}");
    assert!(text.contains("Note over p0: verdict: deadlock"), "{text}");
    let rows = text.lines().filter(|l| !l.trim_start().starts_with("participant")).count();
    assert!(rows < 80, "a shrunk schedule's diagram is short enough to read ({rows} rows):\n{text}");
}

/// The Chromium to check pages with: `$PLUGHOST_CHROMIUM`, else `chromium` on the `PATH`
/// (`.ci/run` installs Debian's when it is missing).
fn chromium() -> String {
    let program = std::env::var("PLUGHOST_CHROMIUM").unwrap_or_else(|_| "chromium".to_string());
    let found = Command::new(&program).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{program}` does not run: install Debian's chromium (`.ci/run` does) or set PLUGHOST_CHROMIUM"
    );
    program
}

/// Runs headless Chromium on `page` with `mode` (`--dump-dom`, `--screenshot=FILE`).
fn headless(page: &Path, profile: &Path, mode: &str) -> Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
fn the_html_report_renders_in_a_headless_browser() {
    let dir = scratch("html");
    let page = dir.join("report.html");
    let mut args = shrunk_deadlock(&dir);
    args.extend(["--html".to_string(), page.to_str().expect("UTF-8").to_string()]);
    let output = plughost(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(output.status.success(), "{output:?}");
    let html = std::fs::read_to_string(&page).expect("the page is written");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "self-contained: nothing fetched");

    let dom = headless(&page, &dir.join("profile"), "--dump-dom");
    let dom = stdout(&dom);
    let rendered = dom
        .split("data-rendered=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the page's check script did not run in Chromium:\n{dom}"));
    let numbers: Vec<u64> =
        rendered.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    let [width, height, participants, rows] = numbers[..] else { panic!("unexpected: {rendered}") };
    assert!(width > 500 && height > 300, "the diagram was laid out: {rendered}");
    assert_eq!(participants, 9, "every thread of the cycle is a column: {rendered}");
    assert!(rows > 10, "{rendered}");
    assert!(
        dom.contains("id=\"replay\">plughost replay --scenario pre_registration_race --decisions "),
        "{dom}"
    );
    assert!(dom.contains("wait-for cycle of 5 threads"), "the cycle is on the page");

    let png = dir.join("report.png");
    headless(&page, &dir.join("profile"), &format!("--screenshot={}", png.display()));
    let bytes = std::fs::read(&png).expect("Chromium wrote a screenshot");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "a real picture: {} bytes", bytes.len());
}

#[test]
fn a_violated_invariant_is_marked_at_the_event_that_violated_it() {
    let explored = plughost(&[
        "explore",
        "--scenario",
        "concurrent_callbacks",
        "--mutant",
        "no-workerdone-poll",
        "--seeds",
        "60",
        "--stop-on-failure",
        "--json",
    ]);
    let value: serde_json::Value = serde_json::from_str(stdout(&explored).trim()).expect("one JSON object");
    let replay = value["first_failure"]["replay"].as_str().expect("a failing seed").to_string();
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let text = stdout(&plughost(&args));
    let detail =
        text.lines().find(|l| l.trim_start().starts_with("I-17 violated at")).expect("the violation");
    let event = detail.split('`').nth(1).expect("the message names the violating event");
    let marked: Vec<&str> = text.lines().filter(|l| l.ends_with("<-- I-17 violated here")).collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(marked[0].contains(event), "the marked line is the named event: {} / {event}", marked[0]);
    let trace_lines = text.lines().take_while(|l| !l.starts_with("verdict:")).count();
    let at = text.lines().position(|l| l == marked[0]).expect("the marked line");
    assert!(at + 1 < trace_lines, "marked where it happened, not at the end of the trace");

    let json: serde_json::Value =
        serde_json::from_str(stdout(&plughost(&[&args[..], &["--format", "json"]].concat())).trim())
            .expect("JSON");
    let line = json["violations"][0]["trace_line"].as_u64().expect("a trace line") as usize;
    assert_eq!(json["violations"][0]["invariant"], "I-17");
    assert!(json["trace"][line].as_str().is_some_and(|l| l.ends_with(event)), "{}", json["trace"][line]);
}
