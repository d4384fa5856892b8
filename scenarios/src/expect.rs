//! Scenario expectations: client-visible step results and plugin logs, matched the way
//! WSL's own tests match them (`ValidateLogFile`: ordered, one line per pattern, `*` and `?`
//! wildcards; `ValidateLogFileUnordered`: a one-to-one match ignoring order).

use std::collections::BTreeMap;

use plughost_model::event::UserError;
use plughost_model::hresult::HResult;
use plughost_model::ids::Name;

use crate::scenario::{ExpectedHr, ExpectedResult, LogExpectation, Scenario};

/// The crash HRESULTs of spec §5.2, stated here, apart from the model's `IsHostCrash`:
/// `RPC_E_DISCONNECTED`, `RPC_E_SERVER_DIED`, `RPC_E_SERVER_DIED_DNE`,
/// `CO_E_OBJNOTCONNECTED`, and `HRESULT_FROM_WIN32` of `RPC_S_SERVER_UNAVAILABLE`,
/// `RPC_S_CALL_FAILED`, `RPC_S_CALL_FAILED_DNE`. (`RPC_E_CALL_REJECTED` is not one.)
const HOST_CRASH_CODES: [u32; 7] =
    [0x8001_0108, 0x8001_0007, 0x8001_0012, 0x8004_01FD, 0x8007_06BA, 0x8007_06BE, 0x8007_06BF];

/// Every way the run's results differ from the scenario's expectations.
pub fn mismatches(
    scenario: &Scenario,
    results: &BTreeMap<u32, Result<(), UserError>>,
    logs: &BTreeMap<Name, Vec<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (index, step) in scenario.numbered_steps() {
        let Some(expected) = &step.expect else { continue };
        // Described only when it went wrong: this runs after every run of an exploration.
        let what = || step.action.describe();
        match results.get(&index) {
            None if *expected == ExpectedResult::Hangs => {}
            None => problems.push(format!("step {index} ({}) never finished", what())),
            Some(actual) if !result_matches(expected, actual) => problems.push(format!(
                "step {index} ({}): expected {}, got {}",
                what(),
                show_expected(expected),
                show(actual)
            )),
            Some(_) => {}
        }
    }
    let empty = Vec::new();
    for (plugin, expectation) in &scenario.expect.logs {
        let lines = logs.get(plugin).unwrap_or(&empty);
        if let Some(problem) = log_mismatch(expectation, lines) {
            problems.push(format!("{plugin} log: {problem}"));
        }
    }
    problems
}

/// An expected error without a message matches any message.
fn result_matches(expected: &ExpectedResult, actual: &Result<(), UserError>) -> bool {
    match (expected, actual) {
        (ExpectedResult::Ok, Ok(())) => true,
        (ExpectedResult::Err { hr, message }, Err(actual)) => {
            hr_matches(*hr, actual.hr) && (message.is_none() || *message == actual.message)
        }
        _ => false,
    }
}

fn hr_matches(expected: ExpectedHr, actual: HResult) -> bool {
    match expected {
        ExpectedHr::Exact(hr) => hr == actual,
        ExpectedHr::HostCrash => HOST_CRASH_CODES.contains(&actual.0),
    }
}

/// An expected result as reports print it.
fn show_expected(expected: &ExpectedResult) -> String {
    match expected {
        ExpectedResult::Ok => "ok".to_string(),
        ExpectedResult::Hangs => "it to hang".to_string(),
        ExpectedResult::Err { hr, message } => {
            let hr = match hr {
                ExpectedHr::Exact(hr) => hr.to_string(),
                ExpectedHr::HostCrash => "a host-crash HRESULT".to_string(),
            };
            match message {
                Some(message) => format!("{hr} \"{message}\""),
                None => hr,
            }
        }
    }
}

/// A step's result as reports print it: `ok`, or the error.
pub(crate) fn show(result: &Result<(), UserError>) -> String {
    match result {
        Ok(()) => "ok".to_string(),
        Err(error) => error.to_string(),
    }
}

fn log_mismatch(expectation: &LogExpectation, lines: &[String]) -> Option<String> {
    match expectation {
        LogExpectation::Ordered(patterns) => {
            for (index, pattern) in patterns.iter().enumerate() {
                match lines.get(index) {
                    None => {
                        return Some(format!(
                            "line {} missing, expected `{pattern}`; log: {lines:?}",
                            index + 1
                        ));
                    }
                    Some(line) if !wildcard_match(pattern, line) => {
                        return Some(format!(
                            "line {} is `{line}`, expected `{pattern}`; log: {lines:?}",
                            index + 1
                        ));
                    }
                    Some(_) => {}
                }
            }
            (lines.len() > patterns.len()).then(|| {
                format!(
                    "{} unexpected extra lines from `{}`",
                    lines.len() - patterns.len(),
                    lines[patterns.len()]
                )
            })
        }
        LogExpectation::Unordered(patterns) => unordered_mismatch(patterns, lines),
    }
}

/// A maximum bipartite matching of patterns to lines (augmenting paths; logs are short).
fn unordered_mismatch(patterns: &[String], lines: &[String]) -> Option<String> {
    if patterns.len() != lines.len() {
        return Some(format!("{} lines for {} patterns; log: {lines:?}", lines.len(), patterns.len()));
    }
    let mut line_owner: Vec<Option<usize>> = vec![None; lines.len()];
    let mut visited = vec![false; lines.len()];
    for pattern in 0..patterns.len() {
        visited.fill(false);
        if !augment(pattern, patterns, lines, &mut line_owner, &mut visited) {
            return Some(format!("no line left for `{}`; log: {lines:?}", patterns[pattern]));
        }
    }
    None
}

fn augment(
    pattern: usize,
    patterns: &[String],
    lines: &[String],
    owner: &mut Vec<Option<usize>>,
    visited: &mut Vec<bool>,
) -> bool {
    for line in 0..lines.len() {
        if visited[line] || !wildcard_match(&patterns[pattern], &lines[line]) {
            continue;
        }
        visited[line] = true;
        if owner[line].is_none_or(|other| augment(other, patterns, lines, owner, visited)) {
            owner[line] = Some(pattern);
            return true;
        }
    }
    false
}

/// `PathMatchSpec`-style matching: `*` any run of characters, `?` any one character.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    // ASCII (every log line the scenarios write) is matched byte by byte, without copying.
    if pattern.is_ascii() && text.is_ascii() {
        return matches(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    matches(&pattern, &text, '*', '?')
}

/// Greedy matching with one backtrack point: the last `star` seen.
fn matches<T: Copy + PartialEq>(pattern: &[T], text: &[T], star: T, any: T) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == any || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == star {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star_at, matched)) = backtrack {
            p = star_at + 1;
            t = matched + 1;
            backtrack = Some((star_at, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_path_match_spec() {
        assert!(wildcard_match("VM created*", "VM created (settings->CustomConfigurationFlags=0)"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*x*y", "aaxbby"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(!wildcard_match("abc", "abcd"));
        assert!(!wildcard_match("*x", "xy"));
        // `?` is one character, not one byte, outside ASCII too.
        assert!(wildcard_match("a?c", "aéc"));
        assert!(wildcard_match("é*", "été"));
        assert!(!wildcard_match("a?c", "aééc"));
    }

    #[test]
    fn unordered_logs_need_a_one_to_one_match() {
        let lines = vec!["b".to_string(), "ab".to_string()];
        assert_eq!(unordered_mismatch(&["a*".into(), "*b".into()], &lines), None);
        assert!(unordered_mismatch(&["a*".into(), "a*".into()], &lines).is_some());
    }
}
