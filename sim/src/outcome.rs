//! How a simulated run ended, as the kernel sees it (before any oracle looks at the events).

use std::fmt;

use crate::strategy::Stop;

/// The kernel's verdict on a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every thread finished (or died with its process).
    Completed,
    /// Nothing could run, no timer was pending, and threads were still blocked; or a
    /// budget ran out while a wait-for cycle existed.
    Deadlock(Report),
    /// A budget ran out with threads still retrying (timed waits expiring, or choice points
    /// without time passing).
    Livelock(Report),
    /// The model panicked: a broken model invariant.
    Panic(String),
    /// The service process terminated.
    ServiceDied(String),
    /// The run was asked to end at its first oracle violation, and one happened: what would
    /// have followed was not simulated.
    Halted,
    /// The strategy stopped the run before it ended: a decision list that does not fit it,
    /// or a branch the search needs no more of. Not a verdict on the system.
    Stopped(Stop),
}

/// A multi-line explanation: a summary and one line per thread involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// One line.
    pub summary: String,
    /// Details, one per line.
    pub lines: Vec<String>,
}

impl Report {
    /// The summary, then each line indented by two spaces: the report as printed.
    pub fn detail_lines(&self) -> Vec<String> {
        std::iter::once(self.summary.clone()).chain(self.lines.iter().map(|l| format!("  {l}"))).collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.detail_lines() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

impl Outcome {
    /// A one-word name.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Deadlock(_) => "deadlock",
            Outcome::Livelock(_) => "livelock",
            Outcome::Panic(_) => "panic",
            Outcome::ServiceDied(_) => "service-died",
            Outcome::Halted => "halted",
            Outcome::Stopped(_) => "stopped",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Completed => f.write_str("completed"),
            Outcome::Deadlock(report) | Outcome::Livelock(report) => write!(f, "{report}"),
            Outcome::Panic(message) => write!(f, "panic: {message}"),
            Outcome::ServiceDied(message) => write!(f, "service died: {message}"),
            Outcome::Halted => f.write_str("halted at the first violation"),
            Outcome::Stopped(stop) => write!(f, "stopped: {stop}"),
        }
    }
}
