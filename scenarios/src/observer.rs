//! The observer of one run: the event sink that feeds the oracles and collects step results
//! and plugin logs, and the judge that turns the run's outcome plus all of that into a
//! [`Verdict`] with its explanation.
//!
//! Owns nothing that outlives a run; it never influences the run it watches.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plughost_model::event::{EventSink, ModelEvent, UserError};
use plughost_model::fact::Fact;
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_sim::Outcome;

use crate::expect;
use crate::oracles::Oracles;
use crate::scenario::Scenario;
use crate::verdict::Verdict;

#[derive(Default)]
struct Seen {
    oracles: Oracles,
    results: BTreeMap<u32, Result<(), UserError>>,
    logs: BTreeMap<Name, Vec<String>>,
}

/// Watches one run of one scenario.
pub struct Observer {
    scenario: Arc<Scenario>,
    seen: Mutex<Seen>,
}

/// A verdict and why.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The outcome's report, then every violation and unmet expectation, one per line.
    pub details: Vec<String>,
}

impl EventSink for Observer {
    fn record(&self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        let mut seen = self.seen.lock();
        match event {
            ModelEvent::StepEnd { step, result } => {
                seen.results.insert(*step, result.clone());
            }
            ModelEvent::PluginLog { plugin, line } => {
                seen.logs.entry(plugin.clone()).or_default().push(line.clone())
            }
            _ => {}
        }
        seen.oracles.observe(at, thread, event);
    }

    fn fact(&self, at: Duration, fact: &Fact) {
        self.seen.lock().oracles.fact(at, fact);
    }
}

impl Observer {
    /// An observer for a run of `scenario`.
    pub fn new(scenario: Arc<Scenario>) -> Observer {
        Observer { scenario, seen: Mutex::new(Seen::default()) }
    }

    /// Judges the run given how it ended.
    pub fn judge(&self, outcome: &Outcome) -> Judgement {
        let mut seen = self.seen.lock();
        if matches!(outcome, Outcome::Completed) {
            seen.oracles.finish();
        }
        let mut problems: Vec<String> = seen
            .oracles
            .violations()
            .iter()
            .map(|v| {
                format!("{} violated at {}: {}", v.invariant, plughost_sim::trace::duration(v.at), v.message)
            })
            .collect();
        let (verdict, mut details) = match outcome {
            Outcome::Completed => {
                problems.extend(expect::mismatches(&self.scenario, &seen.results, &seen.logs));
                let verdict = if problems.is_empty() { Verdict::Pass } else { Verdict::Invariant };
                (verdict, Vec::new())
            }
            Outcome::Deadlock(report) => (Verdict::Deadlock, report.detail_lines()),
            Outcome::Livelock(report) => (Verdict::Livelock, report.detail_lines()),
            Outcome::Panic(_) => (Verdict::Panic, vec![outcome.to_string()]),
            Outcome::ServiceDied(_) => (Verdict::ServiceDied, vec![outcome.to_string()]),
        };
        details.extend(problems);
        Judgement { verdict, details }
    }
}
