//! Decisions: what a strategy chose at one choice point, and how a decision list spells it.
//!
//! Owns [`Decision`] (the option taken, out of how many, and of which kind) and its text
//! form, one token per decision: `2/3` for a schedule decision (option 2 of 3: a runnable
//! thread in id order, or letting the clock run when it is the last option), `e:1/4` for a
//! transport error code chosen for a call to a dying host, `f:0/3` for a fault plan's
//! decision (option 0 is always "no fault"). Recording the option count with each decision
//! lets a replay notice, at the exact decision, that a list belongs to another run.

use std::fmt;

/// What a decision chose between.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum DecisionKind {
    /// Who runs next, or whether the clock runs ahead.
    Schedule,
    /// Which transport error a call to a dying or dead host fails with (spec §5.2).
    ErrorCode,
    /// Whether (and which) fault of the fault plan happens here; option 0 is none.
    Fault,
}

impl DecisionKind {
    fn prefix(self) -> &'static str {
        match self {
            DecisionKind::Schedule => "",
            DecisionKind::ErrorCode => "e:",
            DecisionKind::Fault => "f:",
        }
    }

    /// How the kind reads in messages.
    pub fn describe(self) -> &'static str {
        match self {
            DecisionKind::Schedule => "a schedule decision",
            DecisionKind::ErrorCode => "an error-code decision",
            DecisionKind::Fault => "a fault decision",
        }
    }
}

/// One decision: option `index` of `options`, of `kind`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Decision {
    /// What was decided.
    pub kind: DecisionKind,
    /// The option taken.
    pub index: u32,
    /// How many options there were (at least two).
    pub options: u32,
}

impl Decision {
    /// A schedule decision.
    pub fn schedule(index: u32, options: u32) -> Decision {
        Decision { kind: DecisionKind::Schedule, index, options }
    }

    /// Parses one token (`2/3`, `e:1/4`, `f:0/3`); `None` if it is not one.
    pub fn parse(token: &str) -> Option<Decision> {
        let (kind, rest) = if let Some(rest) = token.strip_prefix("e:") {
            (DecisionKind::ErrorCode, rest)
        } else if let Some(rest) = token.strip_prefix("f:") {
            (DecisionKind::Fault, rest)
        } else {
            (DecisionKind::Schedule, token)
        };
        let (index, options) = rest.split_once('/')?;
        let (index, options) = (index.parse().ok()?, options.parse().ok()?);
        (index < options).then_some(Decision { kind, index, options })
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}/{}", self.kind.prefix(), self.index, self.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_nonsense() {
        for token in ["2/3", "e:1/4", "f:0/3"] {
            assert_eq!(Decision::parse(token).map(|d| d.to_string()).as_deref(), Some(token));
        }
        for bad in ["3/3", "x:1/2", "1", "a/b", "-1/2", ""] {
            assert_eq!(Decision::parse(bad), None, "{bad}");
        }
    }
}
