//! The observer of one run: the event sink that feeds the oracles and collects step results
//! and plugin logs, and the judge that turns the run's outcome plus all of that into a
//! [`Verdict`] with its explanation.
//!
//! Keeps nothing of one run for the next: what a simulated run's observer saw is emptied in
//! place (every judge's and the view's tables, `Judge::reset`) before the next run on its OS
//! thread starts from it. It never influences the run it watches.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plughost_model::design::Design;
use plughost_model::event::{EventSink, ModelEvent, UserError};
use plughost_model::fact::Fact;
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_sim::{Outcome, RunSink};

use crate::expect;
use crate::oracles::Oracles;
use crate::scenario::Scenario;
use crate::verdict::Verdict;

/// What an observer has seen of a run so far: a simulated run owns it while it lasts
/// ([`Observer::seeing`], [`Observer::of_run`]).
#[derive(Debug)]
pub(crate) struct Seen {
    oracles: Oracles,
    results: BTreeMap<u32, Result<(), UserError>>,
    logs: BTreeMap<Name, Vec<String>>,
    /// The text of each model event that violated an invariant, by ordinal.
    violating: BTreeMap<u64, String>,
    /// Every model event's text, in order, when asked for (traced runs).
    texts: Option<Vec<String>>,
}

impl Seen {
    fn new(design: Design, texts: Option<Vec<String>>) -> Seen {
        Seen {
            oracles: Oracles::new(design),
            results: BTreeMap::new(),
            logs: BTreeMap::new(),
            violating: BTreeMap::new(),
            texts,
        }
    }

    /// Forgets the run seen so far, as [`Seen::new`] would make it (keeping every event's
    /// text when `keep_texts`), but in the tables already allocated.
    #[cfg(not(windows))]
    fn reset(&mut self, keep_texts: bool) {
        let Seen { oracles, results, logs, violating, texts } = self;
        oracles.reset();
        results.clear();
        logs.clear();
        violating.clear();
        match texts {
            Some(texts) if keep_texts => texts.clear(),
            _ => *texts = keep_texts.then(Vec::new),
        }
    }
}

#[cfg(not(windows))]
thread_local! {
    /// What the last simulated run on this OS thread saw, once judged: the next run's
    /// observer starts from it ([`Observer::seeing`], [`Observer::recycle`]).
    static SPARE: std::cell::RefCell<Option<Box<Seen>>> = const { std::cell::RefCell::new(None) };
}

/// Watches one run of one scenario.
#[derive(Debug)]
pub struct Observer {
    scenario: Arc<Scenario>,
    seen: Mutex<Box<Seen>>,
}

/// Where a violation happened in the trace: its invariant and the 0-based index of the
/// trace line of the event that violated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViolationMark {
    /// `I-2`, …
    pub invariant: &'static str,
    /// The trace line of the violating event.
    pub line: usize,
}

/// A verdict and why.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The outcome's report, then every violation and unmet expectation, one per line.
    pub details: Vec<String>,
    /// Whether an always-on oracle failed (not only a scenario's own expectation).
    pub oracle_failed: bool,
}

/// A simulated run delivers to what it sees directly (it owns it while it lasts); a real
/// run, from many OS threads, through the observer's lock.
impl RunSink for Seen {
    fn record(&mut self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        match event {
            ModelEvent::StepEnd { step, result } => {
                self.results.insert(*step, result.clone());
            }
            ModelEvent::PluginLog { plugin, line } => {
                self.logs.entry(plugin.clone()).or_default().push(line.clone())
            }
            _ => {}
        }
        let before = self.oracles.violations().len();
        self.oracles.observe(at, thread, event);
        if self.texts.is_some() || self.oracles.violations().len() > before {
            let text = event.to_string();
            if let Some(ordinal) = self.oracles.violations().get(before).and_then(|v| v.event) {
                self.violating.insert(ordinal, text.clone());
            }
            if let Some(texts) = &mut self.texts {
                texts.push(text);
            }
        }
    }

    fn fact(&mut self, at: Duration, fact: &Fact) {
        self.oracles.fact(at, fact);
    }

    fn violated(&self) -> bool {
        !self.oracles.violations().is_empty()
    }
}

impl EventSink for Observer {
    fn record(&self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        self.seen.lock().record(at, thread, event);
    }

    fn fact(&self, at: Duration, fact: &Fact) {
        self.seen.lock().fact(at, fact);
    }

    fn violated(&self) -> bool {
        self.seen.lock().violated()
    }
}

impl Observer {
    /// What a simulated run on `design` delivers to, keeping every model event's text when
    /// `keep_texts`, so that [`Observer::marks`] can place violations in the trace. Reuses
    /// what the last run on this OS thread saw when it judged the same design.
    #[cfg(not(windows))]
    pub(crate) fn seeing(design: Design, keep_texts: bool) -> Box<Seen> {
        match SPARE.try_with(|spare| spare.borrow_mut().take()).ok().flatten() {
            Some(mut seen) if seen.oracles.design() == design => {
                seen.reset(keep_texts);
                seen
            }
            _ => Box::new(Seen::new(design, keep_texts.then(Vec::new))),
        }
    }

    /// Drops what the last run on this OS thread saw: the next run starts from nothing.
    #[cfg(all(test, not(windows)))]
    pub(crate) fn forget_spare() {
        SPARE.with(|spare| spare.borrow_mut().take());
    }

    /// What the last run on this OS thread saw, once reset, and what a new observer of the same
    /// design starts from, both as `Debug` prints them (emptied tables print as new ones).
    #[cfg(all(test, not(windows)))]
    pub(crate) fn spare_reset_and_new() -> Option<(String, String)> {
        let mut seen = SPARE.with(|spare| spare.borrow_mut().take())?;
        let keep_texts = seen.texts.is_some();
        seen.reset(keep_texts);
        let new = Seen::new(seen.oracles.design(), keep_texts.then(Vec::new));
        Some((format!("{seen:?}"), format!("{new:?}")))
    }

    /// Done with a simulated run's observer: what it saw is kept for the next run on this OS
    /// thread to start from (see [`Observer::seeing`]).
    #[cfg(not(windows))]
    pub(crate) fn recycle(self) {
        let seen = self.seen.into_inner();
        let _ = SPARE.try_with(|spare| spare.borrow_mut().replace(seen));
    }

    /// The observer of a run of `scenario` that delivered to `seen`.
    #[cfg(not(windows))]
    pub(crate) fn of_run(scenario: Arc<Scenario>, seen: Box<Seen>) -> Observer {
        Observer { scenario, seen: Mutex::new(seen) }
    }

    /// An observer for a run of `scenario` on `design`, whose invariants it judges.
    pub fn new(scenario: Arc<Scenario>, design: Design) -> Observer {
        Observer { scenario, seen: Mutex::new(Box::new(Seen::new(design, None))) }
    }

    /// Where each violation happened in `trace` (an observer made with
    /// [`Observer::seeing`] keeping texts): the trace line of the model event that violated it
    /// (the k-th model event is the line with its text that is that text's n-th occurrence
    /// among model events).
    pub fn marks(&self, trace: &str) -> Vec<ViolationMark> {
        let seen = self.seen.lock();
        let Some(texts) = &seen.texts else { return Vec::new() };
        let events: Vec<&str> = trace.lines().map(event_of_line).collect();
        seen.oracles
            .violations()
            .iter()
            .filter_map(|v| {
                let ordinal = usize::try_from(v.event?).ok()?;
                let text = texts.get(ordinal.checked_sub(1)?)?;
                let occurrence = texts[..ordinal].iter().filter(|t| *t == text).count();
                let line = events.iter().enumerate().filter(|(_, e)| *e == text).nth(occurrence - 1)?.0;
                Some(ViolationMark { invariant: v.invariant, line })
            })
            .collect()
    }

    /// The run's outcome as conformance compares it (`crate::outcome`), given its verdict.
    pub fn outcome(&self, verdict: Verdict) -> crate::outcome::RunOutcome {
        let seen = self.seen.lock();
        crate::outcome::RunOutcome::of(verdict, &seen.results, &seen.logs)
    }

    /// Judges the run given how it ended.
    pub fn judge(&self, outcome: &Outcome) -> Judgement {
        self.judge_as(outcome, true)
    }

    /// Judges the run; without `expectations`, by the always-on oracles alone (a run the
    /// fault plan changed, or a generated scenario, has no hand-written expectations).
    pub fn judge_as(&self, outcome: &Outcome, expectations: bool) -> Judgement {
        let mut seen = self.seen.lock();
        if matches!(outcome, Outcome::Completed) {
            seen.oracles.finish();
        }
        let mut problems: Vec<String> = seen
            .oracles
            .violations()
            .iter()
            .map(|v| {
                let by = match v.event.and_then(|ordinal| Some((ordinal, seen.violating.get(&ordinal)?))) {
                    Some((ordinal, text)) => format!(" by model event {ordinal} `{text}`"),
                    None => String::new(),
                };
                format!(
                    "{} violated at {}{by}: {}",
                    v.invariant,
                    plughost_sim::trace::duration(v.at),
                    v.message
                )
            })
            .collect();
        let (verdict, mut details) = match outcome {
            Outcome::Completed => {
                if expectations {
                    problems.extend(expect::mismatches(&self.scenario, &seen.results, &seen.logs));
                }
                let verdict = if problems.is_empty() { Verdict::Pass } else { Verdict::Invariant };
                (verdict, Vec::new())
            }
            Outcome::Deadlock(report) => {
                // A scenario that expects the design to wedge (a hung hook, spec §9.3) is held
                // to what happened up to the wedge: every oracle, the steps that returned, the
                // steps that must hang, the logs. Anything amiss there is an invariant failure.
                let wedge = self.scenario.expect.verdict == Verdict::Deadlock;
                if wedge && expectations {
                    problems.extend(expect::mismatches(&self.scenario, &seen.results, &seen.logs));
                }
                let verdict =
                    if wedge && !problems.is_empty() { Verdict::Invariant } else { Verdict::Deadlock };
                (verdict, report.detail_lines())
            }
            Outcome::Livelock(report) => (Verdict::Livelock, report.detail_lines()),
            Outcome::Panic(_) => (Verdict::Panic, vec![outcome.to_string()]),
            Outcome::ServiceDied(_) => (Verdict::ServiceDied, vec![outcome.to_string()]),
            Outcome::Halted => (Verdict::Invariant, Vec::new()),
            Outcome::Stopped(_) => unreachable!("a stopped run is an error of its strategy, never judged"),
        };
        details.extend(problems);
        Judgement { verdict, details, oracle_failed: !seen.oracles.violations().is_empty() }
    }
}

/// The event part of a canonical trace line (after the time and the thread).
fn event_of_line(line: &str) -> &str {
    let rest = line.trim_start().split_once(' ').map_or("", |(_, rest)| rest.trim_start());
    rest.split_once(' ').map_or("", |(_, event)| event.trim_start())
}
