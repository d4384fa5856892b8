//! Judging one generated scenario: a few seeds of the random + PCT + delay-bounding
//! portfolio (each horizon from a pilot run), each run judged as any scenario is — a generated file expects nothing
//! of its steps and logs, so only the always-on oracles and the verdict speak — and the
//! first seed that does not pass, classified.
//!
//! Never writes files and never decides what to do with a failure: `generate` does.

use std::collections::BTreeSet;
use std::sync::Arc;

use plughost_model::design::{Design, Variant};

use crate::explore::StrategyFamily;
use crate::runner::{RunSpec, try_run};
use crate::scenario::Scenario;
use crate::verdict::Verdict;

/// The strategy every generated case is explored with (its horizons resolved per scenario).
pub const STRATEGY: StrategyFamily = StrategyFamily::COMMAND_LINE;

/// What kind of failure a failing run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// An oracle found a broken invariant the design promises to keep, the model panicked,
    /// or the service died: a defect of the model, of an oracle or of the design, to triage.
    Finding,
    /// What the design does by design, as a catalogue scenario declares (`[expect] defects`
    /// or `[design.<name>] verdict`), recognised by design, verdict and invariant
    /// ([`DOCUMENTED`]).
    Documented(&'static str),
    /// The run wedged (deadlock) or spun without end (livelock). The design has documented
    /// wedges of its own (spec §9.1: a registration's unlocked hook overlapping a start, the
    /// catalogue's `register_during_start` and `register_erases_pump`), but a wait-for cycle
    /// alone does not say which, so a wedge is reported apart, for a reader to triage.
    Wedge,
}

/// What a design does by design that a catalogue scenario declares and that a run's verdict
/// and first invariant identify beyond doubt: (design, verdict, invariant, the scenario).
/// On the pump, the §9.10 host teardown race (`[expect] defects`); in-process, a plugin's
/// crash is the service's (Appendix A; `[design.in-process] verdict = "service-died"`).
pub const DOCUMENTED: [(Design, Verdict, Option<&str>, &str); 2] = [
    (Design::Pump, Verdict::Invariant, Some("§9.10"), "host_teardown_races_a_callback"),
    (Design::InProcess, Verdict::ServiceDied, None, "host_crash_is_fatal"),
];

impl Class {
    /// The class of a failure of `kind` on `design` (`None` for a pass).
    pub fn of(kind: &Kind, design: Design) -> Option<Class> {
        let documented = DOCUMENTED.iter().find(|(d, verdict, invariant, _)| {
            *d == design && *verdict == kind.verdict && kind.invariant.as_deref() == *invariant
        });
        match kind.verdict {
            Verdict::Pass => None,
            _ if documented.is_some() => documented.map(|(.., scenario)| Class::Documented(scenario)),
            Verdict::Deadlock | Verdict::Livelock => Some(Class::Wedge),
            Verdict::Invariant | Verdict::Panic | Verdict::ServiceDied => Some(Class::Finding),
        }
    }

    /// How reports name it.
    pub fn name(self) -> String {
        match self {
            Class::Finding => "finding".to_string(),
            Class::Documented(scenario) => format!("documented by the design (catalogue: {scenario})"),
            Class::Wedge => "wedge".to_string(),
        }
    }
}

/// How a failure reads, for "fails the same way": the verdict and the first invariant an
/// oracle reported (`I-2`), or for a wedge the calls its wait-for cycle waits on
/// (`MountFolder+OnDistributionStarted`): wedges through different calls are different
/// ways of failing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind {
    /// The verdict.
    pub verdict: Verdict,
    /// The first violated invariant named in the details, or a wedge's cycle's calls.
    pub invariant: Option<String>,
}

impl Kind {
    /// `invariant (I-2)`, `deadlock`.
    pub fn describe(&self) -> String {
        match &self.invariant {
            Some(invariant) => format!("{} ({invariant})", self.verdict),
            None => self.verdict.to_string(),
        }
    }
}

/// The first seed of a generated scenario that did not pass.
#[derive(Clone, Debug)]
pub struct Failed {
    /// Its seed (under `strategy`).
    pub seed: u64,
    /// [`STRATEGY`] with its horizons resolved for the scenario.
    pub strategy: StrategyFamily,
    /// How it failed.
    pub kind: Kind,
    /// Why.
    pub details: Vec<String>,
}

/// Runs `seeds` seeds of `scenario` under `variant`; the first that does not pass, and the
/// number of runs made (the pilots included).
pub fn first_failure(scenario: &Arc<Scenario>, variant: Variant, seeds: u64) -> (Option<Failed>, u64) {
    let (strategy, pilot_runs) = STRATEGY.resolved_counting_runs(scenario, variant);
    for seed in 0..seeds {
        let spec = RunSpec::new(variant, strategy.spec(seed)).with_faults(scenario.faults);
        let run = try_run(scenario, &spec).expect("a seeded strategy never stops a run");
        if run.verdict != Verdict::Pass {
            let invariant = match Class::of(&Kind { verdict: run.verdict, invariant: None }, variant.design) {
                Some(Class::Wedge) => cycle_calls(&run.details),
                _ => first_invariant(&run.details),
            };
            let kind = Kind { verdict: run.verdict, invariant };
            return (Some(Failed { seed, strategy, kind, details: run.details }), seed + 1 + pilot_runs);
        }
    }
    (None, seeds + pilot_runs)
}

/// The invariant of the first `I-n violated at …` line.
fn first_invariant(details: &[String]) -> Option<String> {
    details
        .iter()
        .find_map(|line| line.split_once(" violated at ").map(|(invariant, _)| invariant.to_string()))
}

/// The calls a wedge's wait-for cycle waits on, sorted and joined by `+` (the report's
/// `… waits for call NAME …` lines, not the `also blocked` ones).
fn cycle_calls(details: &[String]) -> Option<String> {
    let calls: BTreeSet<&str> = details
        .iter()
        .filter(|line| !line.trim_start().starts_with("also blocked"))
        .filter_map(|line| line.split_once("waits for call ")?.1.split_whitespace().next())
        .collect();
    (!calls.is_empty()).then(|| calls.into_iter().collect::<Vec<_>>().join("+"))
}
