//! Shrinking: from a failing schedule to the shortest one that still fails the same way,
//! so the trace a person reads is as short as the bug allows.
//!
//! A schedule is its decision list; replaying a shorter or altered list is always possible
//! (past its end, and on an index out of range, replay takes the first option). Shrinking
//! tries, until nothing helps or the attempt budget is spent: cutting the list short (halves,
//! then single decisions from the end), deleting single decisions, and lowering single
//! decisions to 0 (the lowest-numbered runnable thread). A candidate is kept when its run
//! fails the same way — the same verdict, and the same first finding (the invariant that
//! broke, or the kind of report) — and the kept list is always the decisions that run took.

use std::sync::Arc;

use plughost_model::design::Variant;
use plughost_sim::StrategySpec;

use crate::runner::{SimRun, run_sim};
use crate::scenario::Scenario;
use crate::verdict::Verdict;

/// The result of shrinking.
pub struct Shrunk {
    /// The shortest failing decision list found.
    pub decisions: Vec<u32>,
    /// Its run, with the trace.
    pub run: SimRun,
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
    signature: (Verdict, String),
    attempts: u32,
    budget: u32,
}

impl Shrinker<'_> {
    /// The decisions a failing run of `candidate` actually took, if it fails the same way.
    fn try_candidate(&mut self, candidate: Vec<u32>) -> Option<Vec<u32>> {
        if self.attempts >= self.budget {
            return None;
        }
        self.attempts += 1;
        (self.on_attempt)(self.attempts);
        let run = run_sim(self.scenario, self.variant, StrategySpec::Replay { decisions: candidate }, false);
        (failure_signature(&run) == self.signature).then(|| trimmed(run.decisions))
    }

    fn smaller(best: &[u32], candidate: &[u32]) -> bool {
        (candidate.len(), candidate.iter().map(|&d| u64::from(d)).sum::<u64>())
            < (best.len(), best.iter().map(|&d| u64::from(d)).sum::<u64>())
    }

    /// One pass of every reduction; returns whether anything got smaller.
    fn pass(&mut self, best: &mut Vec<u32>) -> bool {
        let mut improved = false;
        let keep = |shrinker: &mut Self, best: &mut Vec<u32>, candidate: Vec<u32>| {
            if let Some(found) = shrinker.try_candidate(candidate)
                && Self::smaller(best, &found)
            {
                *best = found;
                return true;
            }
            false
        };
        let mut cut = best.len() / 2;
        while cut > 0 {
            let candidate = best[..best.len().saturating_sub(cut)].to_vec();
            if keep(self, best, candidate) {
                improved = true;
            } else {
                cut /= 2;
            }
        }
        let mut index = best.len();
        while index > 0 {
            index -= 1;
            if index < best.len() {
                let mut removed = best.clone();
                removed.remove(index);
                improved |= keep(self, best, removed);
            }
            if index < best.len() && best[index] != 0 {
                let mut lowered = best.clone();
                lowered[index] = 0;
                improved |= keep(self, best, lowered);
            }
        }
        improved
    }
}

/// Drops trailing zeros: replay takes the first option past the end anyway.
fn trimmed(mut decisions: Vec<u32>) -> Vec<u32> {
    while decisions.last() == Some(&0) {
        decisions.pop();
    }
    decisions
}

/// Shrinks the schedule of `failing` (a failed run) within `budget` runs.
pub fn shrink(scenario: &Arc<Scenario>, variant: Variant, failing: &SimRun, budget: u32) -> Shrunk {
    shrink_with_progress(scenario, variant, failing, budget, &|_| {})
}

/// [`shrink`], calling `on_attempt` with the number of runs tried after each one.
pub fn shrink_with_progress(
    scenario: &Arc<Scenario>,
    variant: Variant,
    failing: &SimRun,
    budget: u32,
    on_attempt: &dyn Fn(u32),
) -> Shrunk {
    let signature = failure_signature(failing);
    let mut shrinker = Shrinker { scenario, on_attempt, variant, signature, attempts: 0, budget };
    let mut best = trimmed(failing.decisions.clone());
    while shrinker.pass(&mut best) {}
    let run = run_sim(scenario, variant, StrategySpec::Replay { decisions: best.clone() }, true);
    Shrunk { decisions: best, run, attempts: shrinker.attempts }
}
