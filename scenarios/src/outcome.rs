//! A run's outcome as conformance compares it: the verdict, each step's result and each
//! plugin's log. Real runs write theirs (`plughost real --outcomes FILE`, on any platform,
//! COM hosts under Wine or Windows included); `plughost conform` (where the simulator
//! builds) checks that each lies in the set of outcomes the simulator produces over a seed
//! sweep of the same scenario and variant.
//!
//! What it must never do: influence a verdict (it is read off the observer after judging),
//! or compare what a platform may legitimately choose differently. A plugin's log is
//! compared as the scenario's expectation reads it: a line a wildcard pattern matches is
//! that pattern, and a log whose expectation ignores order (`unordered`) is sorted; every
//! other line is compared as logged, in the order the lines arrived.

use std::collections::BTreeMap;

use plughost_model::event::UserError;
use plughost_model::ids::Name;
use serde::{Deserialize, Serialize};

use crate::expect;
use crate::scenario::{LogExpectation, Scenario};
use crate::verdict::Verdict;

/// What a run produced that a client and a plugin's log can see, with its verdict.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunOutcome {
    /// The verdict's name (`pass`, `deadlock`, …).
    pub verdict: String,
    /// Each finished step's result, by step number: `ok`, or the HRESULT (name and hex) and
    /// the user message, if any. A step that never finished (a wedge) is absent.
    pub steps: BTreeMap<u32, String>,
    /// Each plugin's log lines, as logged.
    pub logs: BTreeMap<String, Vec<String>>,
}

impl RunOutcome {
    /// The outcome of a run of `scenario` judged `verdict`, with these step results and
    /// logs (as logged: [`RunOutcome::comparable`] is what conformance compares).
    pub fn of(
        verdict: Verdict,
        results: &BTreeMap<u32, Result<(), UserError>>,
        logs: &BTreeMap<Name, Vec<String>>,
    ) -> RunOutcome {
        let steps = results.iter().map(|(&step, result)| (step, show_result(result))).collect();
        let logs = logs.iter().map(|(plugin, lines)| (plugin.to_string(), lines.clone())).collect();
        RunOutcome { verdict: verdict.name().to_string(), steps, logs }
    }

    /// The outcome as conformance compares it for `scenario`: each plugin's log read the way
    /// the scenario's expectation reads it (`comparable_log`).
    pub fn comparable(&self, scenario: &Scenario) -> RunOutcome {
        let logs = self
            .logs
            .iter()
            .map(|(plugin, lines)| (plugin.clone(), comparable_log(scenario, plugin, lines)))
            .collect();
        RunOutcome { logs, ..self.clone() }
    }

    /// How `other` differs from this outcome, one line per difference (empty: the same).
    pub fn differences(&self, other: &RunOutcome) -> Vec<String> {
        let mut lines = Vec::new();
        if self.verdict != other.verdict {
            lines.push(format!("verdict: {} here, {} there", self.verdict, other.verdict));
        }
        let steps: std::collections::BTreeSet<u32> =
            self.steps.keys().chain(other.steps.keys()).copied().collect();
        for step in steps {
            let (here, there) = (self.steps.get(&step), other.steps.get(&step));
            if here != there {
                let show = |r: Option<&String>| r.map_or("unfinished".to_string(), Clone::clone);
                lines.push(format!("step {step}: {} here, {} there", show(here), show(there)));
            }
        }
        let plugins: std::collections::BTreeSet<&String> =
            self.logs.keys().chain(other.logs.keys()).collect();
        let empty = Vec::new();
        for plugin in plugins {
            let (here, there) =
                (self.logs.get(plugin).unwrap_or(&empty), other.logs.get(plugin).unwrap_or(&empty));
            if here != there {
                lines.push(format!("{plugin} log: {here:?} here, {there:?} there"));
            }
        }
        lines
    }
}

/// A plugin's log as outcomes compare it: a line a wildcard pattern of the scenario's
/// expected log matches is that pattern (`~ ` before it), since the wildcards mark what
/// WSL's test leaves to the schedule (how many of the callbacks racing a termination got
/// through, a session id); and the lines are sorted when the expectation ignores order.
fn comparable_log(scenario: &Scenario, plugin: &str, lines: &[String]) -> Vec<String> {
    let expectation = scenario.expect.logs.iter().find(|(name, _)| name.as_str() == plugin).map(|(_, e)| e);
    let (patterns, unordered) = match expectation {
        Some(LogExpectation::Ordered(patterns)) => (patterns.as_slice(), false),
        Some(LogExpectation::Unordered(patterns)) => (patterns.as_slice(), true),
        None => (&[][..], false),
    };
    let wildcards: Vec<&String> = patterns.iter().filter(|p| p.contains(['*', '?'])).collect();
    let mut lines: Vec<String> = lines
        .iter()
        .map(|line| match wildcards.iter().find(|pattern| expect::wildcard_match(pattern, line)) {
            Some(pattern) => format!("~ {pattern}"),
            None => line.clone(),
        })
        .collect();
    if unordered {
        lines.sort();
    }
    lines
}

/// `ok`, or `NAME (0xXXXXXXXX)` with ` "message"` when the error carries one.
fn show_result(result: &Result<(), UserError>) -> String {
    match result {
        Ok(()) => "ok".to_string(),
        Err(error) => {
            let message = error.message.as_ref().map(|m| format!(" {m:?}")).unwrap_or_default();
            format!("{} (0x{:08X}){message}", error.hr, error.hr.0)
        }
    }
}

/// A call to a host that the transport failed, as a real run recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCall {
    /// `host:NAME`.
    pub host: String,
    /// The method (`OnVMStarted`).
    pub method: String,
    /// `in flight` or `after death`.
    pub phase: String,
    /// The HRESULT, name and hex.
    pub hresult: String,
}

/// One real run as `plughost real --outcomes FILE` writes it (one JSON object per line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRun {
    /// The scenario's name.
    pub scenario: String,
    /// How the scenario was named on the command line (a catalogue name or a file).
    pub source: String,
    /// The design's name.
    pub design: String,
    /// The mutant's name, if any.
    pub mutant: Option<String>,
    /// `pipe` or `com`.
    pub backend: String,
    /// The run's number among the scenario's iterations.
    pub iteration: u32,
    /// What the run produced.
    pub outcome: RunOutcome,
    /// The calls to hosts the transport failed, with the HRESULTs it returned.
    pub failed_calls: Vec<RecordedCall>,
    /// The run's trace, when it was recorded (`--trace`).
    pub trace: Option<Vec<String>>,
}
