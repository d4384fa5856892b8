//! Decision lists cannot lie: a list replays only the run it was recorded from. A header
//! that does not match the run, a decision the run does not offer, a list that ends before
//! the run does or goes on after it, and a list without a header are errors that name what
//! does not fit — never a run of something else.

use std::process::Output;

use crate::binary::{TempFile, plughost, stderr};

const SCENARIO: [&str; 2] = ["--scenario", "pre_registration_race"];

/// Records seed 4's list under `no-recheck` into `file` and returns its text.
fn recorded(file: &TempFile) -> String {
    recorded_seed(file, "4")
}

/// Records `seed`'s list under `no-recheck` into `file` and returns its text.
fn recorded_seed(file: &TempFile, seed: &str) -> String {
    let args = [
        &["replay"][..],
        &SCENARIO,
        &["--seed", seed, "--mutant", "no-recheck", "--save-decisions", file.path()],
    ]
    .concat();
    let output = plughost(&args);
    assert!(output.status.code().is_some_and(|c| c < 2), "{output:?}");
    std::fs::read_to_string(&file.0).expect("the list was written")
}

fn replay(file: &TempFile, extra: &[&str]) -> Output {
    plughost(&[&["replay"][..], &SCENARIO, &["--decisions", file.path()], extra].concat())
}

#[test]
fn a_recorded_list_replays_its_run() {
    let file = TempFile::new("ok", "decisions");
    let text = recorded(&file);
    assert!(text.starts_with(
        "# plughost decision list: plughost replay --scenario pre_registration_race --decisions"
    ));
    for field in [
        "format = 1",
        "scenario = \"pre_registration_race\"",
        "mutant = \"no-recheck\"",
        // Seed 4 of the default portfolio is a PCT seed, and the header says so.
        "strategy = \"pct --depth 3 --horizon ",
    ] {
        assert!(text.contains(field), "{field} missing:\n{text}");
    }
    let output = replay(&file, &["--mutant", "no-recheck"]);
    assert!(output.status.code().is_some_and(|c| c < 2), "{}", stderr(&output));
}

#[test]
fn a_delay_seed_s_header_names_its_delays_and_horizon() {
    let file = TempFile::new("delay", "decisions");
    // Seed 5 of the default portfolio is a delay-bounding seed.
    let text = recorded_seed(&file, "5");
    assert!(text.contains("strategy = \"delay --delays 1 --horizon "), "{text}");
    let output = replay(&file, &["--mutant", "no-recheck"]);
    assert!(output.status.code().is_some_and(|c| c < 2), "{}", stderr(&output));
}

#[test]
fn a_header_that_does_not_match_names_the_field() {
    let file = TempFile::new("header", "decisions");
    recorded(&file);
    let output = replay(&file, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("header `mutant` is `no-recheck`, but this run has `none`"),
        "{}",
        stderr(&output)
    );
    let other = plughost(&[
        "replay",
        "--scenario",
        "pump_kernel",
        "--decisions",
        file.path(),
        "--mutant",
        "no-recheck",
    ]);
    assert!(stderr(&other).contains("header `scenario` is `pre_registration_race`"), "{}", stderr(&other));
}

#[test]
fn a_decision_the_run_does_not_offer_is_named() {
    let file = TempFile::new("option", "decisions");
    let text = recorded(&file);
    let (head, body) = text.split_once("---\n").expect("a body");
    let mut tokens: Vec<String> = body.split_whitespace().map(str::to_string).collect();
    let first_schedule =
        tokens.iter().position(|t| t.contains('/') && !t.contains(':')).expect("a schedule decision");
    let options: u32 = tokens[first_schedule].split('/').nth(1).unwrap().parse().unwrap();
    tokens[first_schedule] = format!("0/{}", options + 1);
    std::fs::write(&file.0, format!("{head}---\n{}\n", tokens.join(" "))).unwrap();
    let output = replay(&file, &["--mutant", "no-recheck"]);
    assert_eq!(output.status.code(), Some(2));
    let expected = format!("decision {} is `0/{}`", first_schedule + 1, options + 1);
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

#[test]
fn a_list_that_ends_early_or_goes_on_is_an_error() {
    let file = TempFile::new("length", "decisions");
    let text = recorded(&file);
    let (head, body) = text.split_once("---\n").expect("a body");
    let tokens: Vec<&str> = body.split_whitespace().collect();
    let count =
        |n: usize| head.replace(&format!("decisions = {}", tokens.len()), &format!("decisions = {n}"));
    let short = &tokens[..tokens.len() / 2];
    std::fs::write(&file.0, format!("{}---\n{}\n", count(short.len()), short.join(" "))).unwrap();
    let output = replay(&file, &["--mutant", "no-recheck"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("the decision list ends after {} decisions", short.len())),
        "{}",
        stderr(&output)
    );

    let long: Vec<&str> = tokens.iter().copied().chain(["0/2"]).collect();
    std::fs::write(&file.0, format!("{}---\n{}\n", count(long.len()), long.join(" "))).unwrap();
    let output = replay(&file, &["--mutant", "no-recheck"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("the run ended after {} decisions", tokens.len())),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_list_without_a_header_is_refused() {
    let file = TempFile::new("bare", "decisions");
    std::fs::write(&file.0, "2 0 1 1\n").unwrap();
    let output = replay(&file, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no `---` line"), "{}", stderr(&output));
}
