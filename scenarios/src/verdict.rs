//! Verdicts: how a run ended once the oracles and the scenario's expectations had their say,
//! sets of them, and tallies of many runs.

use std::fmt;

use serde_json::{Value, json};

/// The verdict on one run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Verdict {
    /// Completed, every oracle held, every expectation met.
    Pass,
    /// Threads blocked forever (or a wait-for cycle when a budget ran out).
    Deadlock,
    /// A budget ran out with threads still retrying.
    Livelock,
    /// An always-on oracle or a scenario expectation failed.
    Invariant,
    /// The model panicked (a broken model invariant).
    Panic,
    /// The service process died.
    ServiceDied,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 6] = [
        Verdict::Pass,
        Verdict::Deadlock,
        Verdict::Livelock,
        Verdict::Invariant,
        Verdict::Panic,
        Verdict::ServiceDied,
    ];

    /// The name used in scenario files, reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Deadlock => "deadlock",
            Verdict::Livelock => "livelock",
            Verdict::Invariant => "invariant",
            Verdict::Panic => "panic",
            Verdict::ServiceDied => "service-died",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.name() == text)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of verdicts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct VerdictSet(u8);

impl VerdictSet {
    fn bit(verdict: Verdict) -> u8 {
        1 << Verdict::ALL.iter().position(|&v| v == verdict).expect("every verdict is in ALL")
    }

    /// Adds a verdict.
    pub fn insert(&mut self, verdict: Verdict) {
        self.0 |= Self::bit(verdict);
    }

    /// Whether `verdict` is in the set.
    pub fn contains(self, verdict: Verdict) -> bool {
        self.0 & Self::bit(verdict) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The verdicts, in report order.
    pub fn iter(self) -> impl Iterator<Item = Verdict> {
        Verdict::ALL.into_iter().filter(move |&v| self.contains(v))
    }
}

/// How many runs ended with each verdict.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct VerdictCounts([u64; Verdict::ALL.len()]);

impl VerdictCounts {
    fn index(verdict: Verdict) -> usize {
        Verdict::ALL.iter().position(|&v| v == verdict).expect("every verdict is in ALL")
    }

    /// Counts one run.
    pub fn add(&mut self, verdict: Verdict) {
        self.0[Self::index(verdict)] += 1;
    }

    /// Adds another tally's runs.
    pub fn merge(&mut self, other: VerdictCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    /// Runs that ended with `verdict`.
    pub fn count(&self, verdict: Verdict) -> u64 {
        self.0[Self::index(verdict)]
    }

    /// Runs counted.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The verdicts some run ended with, in report order.
    pub fn seen(&self) -> impl Iterator<Item = Verdict> + '_ {
        Verdict::ALL.into_iter().filter(|&v| self.count(v) > 0)
    }

    /// `{"pass": n, "deadlock": n, …}`, every verdict, in report order.
    pub fn to_json(&self) -> Value {
        Value::Object(Verdict::ALL.iter().map(|v| (v.name().to_string(), json!(self.count(*v)))).collect())
    }
}
