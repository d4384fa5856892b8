//! Shrinking: from a failing schedule to one a person reads in a minute — fewer faults, a
//! shorter trace, fewer preemptions, fewer decisions — that still fails the same way.
//!
//! A candidate is a *guided* run (`StrategySpec::Guided`): a prefix of option indices, then
//! a continuation that keeps the running thread running, takes no fault and the first error
//! code. Nothing is silently reinterpreted: an index out of range for its choice point makes
//! the candidate invalid (it is skipped), and what is kept is always the complete decision
//! list the candidate's run took, which replays strictly.
//!
//! First, with a quarter of the budget, other witnesses: random seeds run as far as the
//! failure; the three smallest that fail the same way, and the given failure, are each
//! shrunk with a share of the rest, and the smallest result wins. From each, moves,
//! until nothing helps or the budget is spent: the shortest prefix that still fails (the continuation alone often does); then chunks of the prefix, halving in
//! size down to single decisions, from the end: lower the chunk to what the continuation
//! would take there (undoing preemptions, faults, error codes), else delete it; when those
//! stall, pairs of decisions lowered together, and each decision's other options, cut
//! short after it or followed by the rest of the prefix (another thread may reach the
//! failure sooner). A candidate is kept when it fails the same way — the same
//! verdict and the same first finding (the invariant that broke, or the kind of report) —
//! and is smaller by [`Size`].

use std::sync::Arc;

use plughost_model::design::Variant;
use plughost_sim::faults::FaultBudget;
use plughost_sim::{DecisionKind, Ends, StrategySpec};

use crate::runner::{RunSpec, SimRun, try_run};
use crate::scenario::Scenario;
use crate::verdict::Verdict;

/// How big a schedule is, compared in this order: faults, choice points (the length of
/// the trace a person reads), preemptions (the context switches they must follow), and
/// decisions that differ from the continuation (the prefix that matters).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Size {
    /// Fault decisions that injected a fault.
    pub faults: usize,
    /// Choice points passed.
    pub steps: u64,
    /// Schedule decisions that preempted a thread that could have continued.
    pub preemptions: u32,
    /// The length of the prefix that matters.
    pub prefix: usize,
}

impl Size {
    /// The size of `run`.
    pub fn of(run: &SimRun) -> Size {
        let faults = run.decisions.iter().filter(|d| d.kind == DecisionKind::Fault && d.index != 0).count();
        Size { faults, steps: run.steps, preemptions: run.preemptions, prefix: essential_prefix(run).len() }
    }
}

/// The run's decisions as option indices, without the trailing ones the continuation would
/// take anyway.
pub fn essential_prefix(run: &SimRun) -> Vec<u32> {
    let mut prefix: Vec<u32> = run.decisions.iter().map(|d| d.index).collect();
    while let Some(&last) = prefix.last() {
        if last != run.continuations[prefix.len() - 1] {
            break;
        }
        prefix.pop();
    }
    prefix
}

/// The result of shrinking.
pub struct Shrunk {
    /// The smallest failing run found, with its trace.
    pub run: SimRun,
    /// Its size, and the original's.
    pub size: Size,
    /// The original's size.
    pub original: Size,
    /// Where the shrunk run ends (to replay it the same way).
    pub ends: Ends,
    /// Runs tried.
    pub attempts: u32,
}

/// How a run failed, for "fails the same way": the verdict and the first word of its first
/// detail (`I-17`, `deadlock:`, a plugin's name for a log mismatch).
fn failure_signature(run: &SimRun) -> (Verdict, String) {
    let first = run.details.first().and_then(|line| line.split_whitespace().next()).unwrap_or_default();
    (run.verdict, first.to_string())
}

struct Shrinker<'a> {
    scenario: &'a Arc<Scenario>,
    on_attempt: &'a dyn Fn(u32),
    variant: Variant,
    faults: FaultBudget,
    ends: Ends,
    signature: (Verdict, String),
    attempts: u32,
    budget: u32,
}

impl Shrinker<'_> {
    /// The run of `prefix`, if it is valid.
    fn run_prefix(&mut self, prefix: Vec<u32>) -> Option<SimRun> {
        if self.attempts >= self.budget {
            return None;
        }
        self.attempts += 1;
        (self.on_attempt)(self.attempts);
        let spec = RunSpec {
            ends: self.ends,
            ..RunSpec::new(self.variant, StrategySpec::Guided { prefix }).with_faults(self.faults)
        };
        try_run(self.scenario, &spec).ok()
    }

    /// The run of `prefix`, if it fails the same way (an invalid prefix does not).
    fn try_prefix(&mut self, prefix: Vec<u32>) -> Option<SimRun> {
        self.run_prefix(prefix).filter(|run| failure_signature(run) == self.signature)
    }

    /// Keeps `candidate` if it fails the same way and is smaller.
    fn keep(&mut self, best: &mut SimRun, candidate: Vec<u32>) -> bool {
        match self.try_prefix(candidate) {
            Some(run) if Size::of(&run) < Size::of(best) => {
                *best = run;
                true
            }
            _ => false,
        }
    }

    /// Other witnesses: random seeds `0..runs`, run as far as the failure; the `keep`
    /// smallest that fail the same way. Local moves cannot leave the neighbourhood of the
    /// failure they start from; a fresh schedule can fail far earlier.
    fn resample(&mut self, runs: u32, keep: usize) -> Vec<SimRun> {
        let mut found: Vec<SimRun> = Vec::new();
        for seed in 0..u64::from(runs) {
            if self.attempts >= self.budget {
                break;
            }
            self.attempts += 1;
            (self.on_attempt)(self.attempts);
            let spec = RunSpec {
                ends: self.ends,
                ..RunSpec::new(self.variant, StrategySpec::Random { seed }).with_faults(self.faults)
            };
            let run = try_run(self.scenario, &spec).expect("a seeded strategy never stops a run");
            if failure_signature(&run) == self.signature {
                found.push(run);
                found.sort_by_key(Size::of);
                found.dedup_by_key(|run| Size::of(run));
                found.truncate(keep);
            }
        }
        found
    }

    /// Local moves from `start` until nothing helps or `limit` runs in all were made.
    fn local(&mut self, mut best: SimRun, limit: u32) -> SimRun {
        let narrowed = limit.min(self.budget);
        let budget = std::mem::replace(&mut self.budget, narrowed);
        let coarse = essential_prefix(&best).len().div_ceil(2);
        self.truncate(&mut best);
        self.simplify(&mut best, coarse);
        while self.attempts < self.budget
            && (self.truncate(&mut best) | self.simplify(&mut best, 1)
                || self.reroute(&mut best)
                || self.lower_pairs(&mut best))
        {}
        self.budget = budget;
        best
    }

    /// The shortest prefix of `best`'s that still fails, trying lengths 0, 1, 2, 4, …
    fn truncate(&mut self, best: &mut SimRun) -> bool {
        let prefix = essential_prefix(best);
        let mut length = 0;
        while length < prefix.len() {
            if self.keep(best, prefix[..length].to_vec()) {
                return true;
            }
            length = (length * 2).max(1);
        }
        false
    }

    /// Chunks of the prefix, halving in size, from the end: lower each chunk's decisions to
    /// what the continuation would take there (undoing its preemptions, faults and error
    /// codes), else delete the chunk.
    fn simplify(&mut self, best: &mut SimRun, coarsest: usize) -> bool {
        let mut improved = false;
        let mut size = coarsest.max(1);
        loop {
            let mut end = essential_prefix(best).len();
            while end > 0 && self.attempts < self.budget {
                let prefix = essential_prefix(best);
                end = end.min(prefix.len());
                let start = end.saturating_sub(size);
                let mut lowered = prefix.clone();
                lowered[start..end].copy_from_slice(&best.continuations[start..end]);
                let changed = lowered != prefix;
                if !(changed && self.keep(best, lowered)) {
                    let mut removed = prefix;
                    removed.drain(start..end);
                    improved |= self.keep(best, removed);
                } else {
                    improved = true;
                }
                end = start;
            }
            if size == 1 || self.attempts >= self.budget {
                return improved;
            }
            size = size.div_ceil(2);
        }
    }

    /// Pairs of decisions lowered together to the continuation's choices: two preemptions
    /// that only make sense together.
    fn lower_pairs(&mut self, best: &mut SimRun) -> bool {
        let length = essential_prefix(best).len();
        for first in (0..length).rev() {
            for second in (first + 1..length).rev() {
                if self.attempts >= self.budget {
                    return false;
                }
                let prefix = essential_prefix(best);
                if second >= prefix.len() {
                    continue;
                }
                let mut lowered = prefix.clone();
                lowered[first] = best.continuations[first];
                lowered[second] = best.continuations[second];
                if lowered != prefix && self.keep(best, lowered) {
                    return true;
                }
            }
        }
        false
    }

    /// From the end, try every other option of each decision: another thread may reach the
    /// same failure in fewer choice points.
    fn reroute(&mut self, best: &mut SimRun) -> bool {
        let mut improved = false;
        let mut index = essential_prefix(best).len();
        while index > 0 && self.attempts < self.budget {
            index -= 1;
            let Some(decision) = best.decisions.get(index).copied() else { continue };
            for option in 0..decision.options {
                let prefix = essential_prefix(best);
                if index >= prefix.len() || prefix[index] == option {
                    continue;
                }
                let mut rerouted = prefix.clone();
                rerouted[index] = option;
                if self.keep(best, rerouted[..=index].to_vec()) || self.keep(best, rerouted) {
                    improved = true;
                }
            }
        }
        improved
    }
}

/// How many of the smallest random witnesses local moves start from (besides the given one).
const WITNESSES: usize = 3;

/// Shrinks the schedule of `failing` (a failed run) within `budget` runs. A failure an
/// oracle found is shrunk, and shown, up to the violation: what the run would have done
/// afterwards is not part of the finding ([`Ends::FirstViolation`]; the decision list's
/// header says so, and replays it the same way).
pub fn shrink(
    scenario: &Arc<Scenario>,
    variant: Variant,
    faults: FaultBudget,
    failing: &SimRun,
    budget: u32,
) -> Shrunk {
    shrink_with_progress(scenario, variant, faults, failing, budget, &|_| {})
}

/// [`shrink`], calling `on_attempt` with the number of runs tried after each one.
pub fn shrink_with_progress(
    scenario: &Arc<Scenario>,
    variant: Variant,
    faults: FaultBudget,
    failing: &SimRun,
    budget: u32,
    on_attempt: &dyn Fn(u32),
) -> Shrunk {
    let ends = if failing.verdict == Verdict::Invariant && failing.oracle_failed {
        Ends::FirstViolation
    } else {
        Ends::Completion
    };
    let original = Size::of(failing);
    let prefix = essential_prefix(failing);
    let rerun = |prefix: Vec<u32>, trace: bool| {
        let strategy = StrategySpec::Guided { prefix };
        let spec =
            RunSpec { ends, record_trace: trace, ..RunSpec::new(variant, strategy).with_faults(faults) };
        try_run(scenario, &spec).expect("a prefix of a run that happened runs again: runs are deterministic")
    };
    let given = rerun(prefix, false);
    let signature = failure_signature(&given);
    let mut shrinker =
        Shrinker { scenario, on_attempt, variant, faults, ends, signature, attempts: 1, budget };
    let mut starts = shrinker.resample(budget / 4, WITNESSES);
    starts.push(given);
    starts.sort_by_key(Size::of);
    let count = starts.len() as u32;
    let mut best: Option<SimRun> = None;
    for (index, start) in (0..).zip(starts) {
        let share = (budget - shrinker.attempts.min(budget)) / (count - index);
        let shrunk = shrinker.local(start, shrinker.attempts + share);
        if best.as_ref().is_none_or(|b| Size::of(&shrunk) < Size::of(b)) {
            best = Some(shrunk);
        }
    }
    let best = best.expect("the given failure is always a start");
    let run = rerun(essential_prefix(&best), true);
    Shrunk { size: Size::of(&run), original, run, ends, attempts: shrinker.attempts }
}
