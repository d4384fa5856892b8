//! Fault plans: which faults a run's strategy may inject, at which points, and how many.
//!
//! Faults are decisions like any other (`f:` in a decision list): at each point where a
//! fault can happen, the strategy chooses "no fault" (option 0) or one of the faults the
//! remaining budget allows, in this order. The points, as a call between processes goes:
//!
//! 1. a hook call's request reaches its host (`call_host`): **reject** it
//!    (`RPC_E_CALL_REJECTED`, the host never sees it), **crash** the host with the request
//!    sent (phase `request-sent`: the call fails with an in-flight crash code), **hang** the
//!    call (the host never answers it), or make the host **slow** (it starts serving the
//!    call `slow_ms` later);
//! 2. at each scheduling point of the host thread serving a call: **crash** the host while
//!    the hook runs (phase `hook-running`);
//! 3. a host's callback reaches the service: **crash** the host with its callback in flight
//!    (phase `callback-in-flight`: the service still runs the callback; its reply is lost);
//! 4. a host's reply has reached the service: **crash** the host right after (phase
//!    `reply-sent`: the call succeeded; later calls find the host dead).
//!
//! A crash kills the host process as `TerminateProcess` would; calls in flight to it fail
//! with the crash codes of spec §5.2 (`kernel::processes`). A hang is the hook that never
//! returns of spec §9.3: it wedges whoever waits for it, so `all` leaves it out.

use std::fmt;
use std::time::Duration;

/// Where in a call a host crashes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Phase {
    /// The request has been sent; the host dies before serving it.
    RequestSent,
    /// The host thread serving the call is running (the plugin's hook, or its entry point).
    HookRunning,
    /// A callback the host made is being served by the service.
    CallbackInFlight,
    /// The host's reply has reached the service.
    ReplySent,
}

impl Phase {
    /// Every phase, in call order.
    pub const ALL: [Phase; 4] =
        [Phase::RequestSent, Phase::HookRunning, Phase::CallbackInFlight, Phase::ReplySent];

    /// The name in fault plans and traces.
    pub fn name(self) -> &'static str {
        match self {
            Phase::RequestSent => "request-sent",
            Phase::HookRunning => "hook-running",
            Phase::CallbackInFlight => "callback-in-flight",
            Phase::ReplySent => "reply-sent",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|phase| phase.name() == text)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// One fault.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    /// The host process dies at this phase of a call.
    Crash(Phase),
    /// The call never returns.
    Hang,
    /// The call fails with `RPC_E_CALL_REJECTED` without reaching the host.
    Reject,
    /// The host starts serving the call later.
    Slow,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Crash(phase) => write!(f, "crash@{}", phase.name()),
            Fault::Hang => f.write_str("hang"),
            Fault::Reject => f.write_str("reject"),
            Fault::Slow => f.write_str("slow"),
        }
    }
}

/// How many faults of each kind a run may inject, and where crashes may happen.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FaultBudget {
    /// Host crashes.
    pub crash: u32,
    /// Calls that never return.
    pub hang: u32,
    /// Calls rejected with `RPC_E_CALL_REJECTED`.
    pub reject: u32,
    /// Slow hosts.
    pub slow: u32,
    /// Faults of any kind, at most.
    pub total: u32,
    /// The phases a crash may happen at (a bit per [`Phase`]).
    phases: u8,
    /// How much later a slow host starts serving a call.
    pub slow_by: Duration,
}

const EVERY_PHASE: u8 = 0b1111;
const DEFAULT_SLOW_BY: Duration = Duration::from_millis(100);

impl Default for FaultBudget {
    fn default() -> FaultBudget {
        FaultBudget::NONE
    }
}

impl FaultBudget {
    /// No faults.
    pub const NONE: FaultBudget = FaultBudget {
        crash: 0,
        hang: 0,
        reject: 0,
        slow: 0,
        total: 0,
        phases: EVERY_PHASE,
        slow_by: DEFAULT_SLOW_BY,
    };

    /// `--faults all`: one fault per run, a crash at any phase, a rejection or a slow host,
    /// anywhere one can happen (not a hang: it only wedges, spec §9.3).
    pub const ALL: FaultBudget = FaultBudget {
        crash: 1,
        hang: 0,
        reject: 1,
        slow: 1,
        total: 1,
        phases: EVERY_PHASE,
        slow_by: DEFAULT_SLOW_BY,
    };

    /// A budget of these counts, at most their sum in all, crashes at every phase.
    pub fn new(crash: u32, hang: u32, reject: u32, slow: u32) -> FaultBudget {
        let total = crash + hang + reject + slow;
        FaultBudget { crash, hang, reject, slow, total, ..FaultBudget::NONE }
    }

    /// Restricts crashes to `phases`.
    pub fn with_phases(self, phases: &[Phase]) -> FaultBudget {
        FaultBudget { phases: phases.iter().fold(0, |bits, phase| bits | phase.bit()), ..self }
    }

    /// Whether no fault can happen.
    pub fn is_none(&self) -> bool {
        self.total == 0 || self.crash + self.hang + self.reject + self.slow == 0
    }

    /// Whether a crash at `phase` is still allowed.
    pub fn allows_crash(&self, phase: Phase) -> bool {
        self.total > 0 && self.crash > 0 && self.phases & phase.bit() != 0
    }

    /// The faults still allowed when a hook call's request reaches its host, in option
    /// order (option 0, "no fault", comes before them).
    pub fn at_request(&self) -> Vec<Fault> {
        if self.total == 0 {
            return Vec::new();
        }
        let mut faults = Vec::new();
        if self.reject > 0 {
            faults.push(Fault::Reject);
        }
        if self.allows_crash(Phase::RequestSent) {
            faults.push(Fault::Crash(Phase::RequestSent));
        }
        if self.hang > 0 {
            faults.push(Fault::Hang);
        }
        if self.slow > 0 {
            faults.push(Fault::Slow);
        }
        faults
    }

    /// Takes `fault` out of the budget.
    pub fn spend(&mut self, fault: Fault) {
        self.total -= 1;
        let kind = match fault {
            Fault::Crash(_) => &mut self.crash,
            Fault::Hang => &mut self.hang,
            Fault::Reject => &mut self.reject,
            Fault::Slow => &mut self.slow,
        };
        *kind -= 1;
    }

    /// The budget as `--faults` takes it (`none`, or `crash=1,reject=1,…`), without spaces.
    pub fn describe(&self) -> String {
        if self.is_none() {
            return "none".to_string();
        }
        if *self == FaultBudget::ALL {
            return "all".to_string();
        }
        let mut parts: Vec<String> =
            [("crash", self.crash), ("hang", self.hang), ("reject", self.reject), ("slow", self.slow)]
                .into_iter()
                .filter(|(_, count)| *count > 0)
                .map(|(kind, count)| format!("{kind}={count}"))
                .collect();
        if self.total != self.crash + self.hang + self.reject + self.slow {
            parts.push(format!("total={}", self.total));
        }
        if self.crash > 0 && self.phases != EVERY_PHASE {
            let phases: Vec<&str> =
                Phase::ALL.into_iter().filter(|p| self.phases & p.bit() != 0).map(Phase::name).collect();
            parts.push(format!("phases={}", phases.join("+")));
        }
        if self.slow > 0 && self.slow_by != DEFAULT_SLOW_BY {
            parts.push(format!("slow_ms={}", self.slow_by.as_millis()));
        }
        parts.join(",")
    }

    /// Parses `none`, `all`, or `KIND=N,…` with kinds `crash`, `hang`, `reject`, `slow`,
    /// and optionally `total=N`, `phases=P+P…`, `slow_ms=N`.
    pub fn parse(text: &str) -> Result<FaultBudget, String> {
        match text {
            "none" => return Ok(FaultBudget::NONE),
            "all" => return Ok(FaultBudget::ALL),
            _ => {}
        }
        let mut budget = FaultBudget::NONE;
        let mut total = None;
        for part in text.split(',') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not KEY=VALUE (faults: none, all, or crash=N,hang=N,reject=N,slow=N[,total=N][,phases=P+P][,slow_ms=N])"))?;
            let number = || value.parse::<u32>().map_err(|_| format!("`{part}`: `{value}` is not a number"));
            match key {
                "crash" => budget.crash = number()?,
                "hang" => budget.hang = number()?,
                "reject" => budget.reject = number()?,
                "slow" => budget.slow = number()?,
                "total" => total = Some(number()?),
                "slow_ms" => budget.slow_by = Duration::from_millis(u64::from(number()?)),
                "phases" => {
                    let phases = value
                        .split('+')
                        .map(|name| {
                            Phase::parse(name).ok_or_else(|| {
                                let names: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
                                format!("unknown phase `{name}` (one of {})", names.join(", "))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    budget = budget.with_phases(&phases);
                }
                other => {
                    return Err(format!(
                        "unknown fault key `{other}` (crash, hang, reject, slow, total, phases, slow_ms)"
                    ));
                }
            }
        }
        budget.total = total.unwrap_or(budget.crash + budget.hang + budget.reject + budget.slow);
        Ok(budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_round_trip_through_their_description() {
        for text in [
            "none",
            "crash=1",
            "crash=2,reject=1,total=2,phases=hook-running+reply-sent",
            "slow=1,slow_ms=30",
        ] {
            let budget = FaultBudget::parse(text).expect(text);
            assert_eq!(budget.describe(), text);
            assert_eq!(FaultBudget::parse(&budget.describe()), Ok(budget));
        }
        assert_eq!(FaultBudget::parse("all").map(|b| b.describe()).as_deref(), Ok("all"));
        assert_eq!(FaultBudget::parse("crash=1,reject=1,slow=1,total=1"), Ok(FaultBudget::ALL));
        assert!(FaultBudget::parse("crash=x").unwrap_err().contains("not a number"));
        assert!(FaultBudget::parse("phases=sideways").unwrap_err().contains("unknown phase"));
        assert!(FaultBudget::parse("explode=1").unwrap_err().contains("unknown fault key"));
    }

    #[test]
    fn a_budget_offers_what_is_left_and_spends_it() {
        let mut budget = FaultBudget::parse("crash=1,reject=1,total=1,phases=reply-sent").unwrap();
        assert_eq!(budget.at_request(), vec![Fault::Reject]);
        assert!(budget.allows_crash(Phase::ReplySent) && !budget.allows_crash(Phase::HookRunning));
        budget.spend(Fault::Reject);
        assert!(budget.at_request().is_empty() && !budget.allows_crash(Phase::ReplySent));
    }
}
