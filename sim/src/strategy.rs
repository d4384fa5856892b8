//! Strategies: who decides each choice point, and the strategies that replay or guide a run.
//!
//! Owns the [`Strategy`] trait and its implementations: random over a seeded ChaCha
//! generator, PCT (probabilistic concurrency testing: random thread priorities with a few
//! priority change points, after Burckhardt et al.), delay bounding (the oldest runnable
//! thread runs, but for a few delays, after Emmi et al.), strict replay of a recorded decision
//! list, and a guided run (a prefix of option indices, then a fixed, named continuation)
//! that shrinking builds its candidates from. The depth-first search lives in `dfs`.
//!
//! A strategy is consulted only when a choice point has more than one option, so a decision
//! list holds exactly the choices that mattered, whatever strategy made them. It never sees
//! model state: only which threads can run, which of them was running, whether the clock may
//! run ahead instead, how many choice points have passed, and — for the search — what each
//! step touched.
//!
//! A strategy may stop a run ([`Stop`]): a replayed list that does not fit the run is an
//! error naming the decision, never a silent fallback to some other option.

use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;
use plughost_model::platform::ThreadId;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::decision::{Decision, DecisionKind};
use crate::footprint::StepRecord;

/// The options at one schedule choice point: index `i < runnable.len()` runs `runnable[i]`
/// (threads in id order); index `runnable.len()`, when `can_advance`, lets the clock run to
/// the next timer.
#[derive(Clone, Copy, Debug)]
pub struct ChoicePoint<'a> {
    /// Runnable threads, in id order.
    pub runnable: &'a [ThreadId],
    /// Whether letting the clock run is an option.
    pub can_advance: bool,
    /// Whether the clock's next timer ends a timed wait on a lock or events (not a sleep):
    /// letting the clock run then takes a "nobody came in time" branch of the design.
    pub timeout_due: bool,
    /// Choice points passed so far in the run.
    pub step: u64,
    /// The thread that reached this choice point and could go on running, if any: running
    /// anyone else preempts it. `None` when the running thread blocked, finished or died, or
    /// right after the clock ran.
    pub current: Option<ThreadId>,
}

impl ChoicePoint<'_> {
    /// How many threads can run.
    pub fn threads(&self) -> usize {
        self.runnable.len()
    }

    /// How many options there are.
    pub fn options(&self) -> usize {
        self.threads() + usize::from(self.can_advance)
    }

    /// The option that keeps the current thread running, if there is one.
    pub fn current_option(&self) -> Option<usize> {
        let current = self.current?;
        self.runnable.binary_search(&current).ok()
    }

    /// Whether taking `option` preempts a thread that could have continued.
    pub fn preempts(&self, option: usize) -> bool {
        self.current.is_some() && self.current_option() != Some(option)
    }
}

/// A choice point that is not about scheduling: an error code or a fault.
#[derive(Clone, Copy, Debug)]
pub struct ValuePoint {
    /// What is being decided.
    pub kind: DecisionKind,
    /// How many options (at least two; for faults, option 0 is "no fault").
    pub options: u32,
    /// Choice points passed so far in the run.
    pub step: u64,
}

/// Why a strategy stopped a run before it ended.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Stop {
    /// A replayed or guided decision list does not fit this run.
    Diverged(String),
    /// The search needs nothing more from this run (every way on is covered elsewhere).
    Pruned,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Diverged(message) => f.write_str(message),
            Stop::Pruned => f.write_str("pruned by the search"),
        }
    }
}

/// Decides choice points with at least two options.
pub trait Strategy: Send {
    /// Returns an index in `0..point.options()`.
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop>;

    /// Returns an index in `0..point.options`.
    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop>;

    /// Whether the kernel should report every step's footprint through [`Strategy::stepped`].
    fn records_steps(&self) -> bool {
        false
    }

    /// A step ended (only when [`Strategy::records_steps`]).
    fn stepped(&mut self, _step: &StepRecord) -> Result<(), Stop> {
        Ok(())
    }

    /// The run ended on its own; a strategy that expected more decisions says so.
    fn finished(&mut self) -> Result<(), Stop> {
        Ok(())
    }
}

/// A strategy object shared with whoever built it, so it can read what the strategy
/// learned after the run (the search does).
#[derive(Clone)]
pub struct SharedStrategy(pub Arc<Mutex<dyn Strategy>>);

impl fmt::Debug for SharedStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedStrategy")
    }
}

impl PartialEq for SharedStrategy {
    fn eq(&self, other: &SharedStrategy) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedStrategy {}

impl Strategy for SharedStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        self.0.lock().choose(point)
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        self.0.lock().choose_value(point)
    }

    fn records_steps(&self) -> bool {
        self.0.lock().records_steps()
    }

    fn stepped(&mut self, step: &StepRecord) -> Result<(), Stop> {
        self.0.lock().stepped(step)
    }

    fn finished(&mut self) -> Result<(), Stop> {
        self.0.lock().finished()
    }
}

/// Which strategy a run uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrategySpec {
    /// Uniform random over the options, seeded.
    Random { seed: u64 },
    /// PCT: random thread priorities, `depth - 1` change points within the first `horizon`
    /// choice points, seeded.
    Pct { seed: u64, depth: u32, horizon: u64 },
    /// Delay bounding: the lowest-numbered runnable thread runs, but for `delays` delays,
    /// each at a contested choice point (more than one thread can run) drawn uniformly among
    /// the first `horizon` ones, seeded (see [`DelayStrategy`]).
    Delay { seed: u64, delays: u32, horizon: u64 },
    /// Replays a recorded decision list exactly: a decision of another kind or with another
    /// number of options than the run offers, a list that ends before the run does, or one
    /// that goes on after it ended, stops the run with an error naming the decision.
    Replay { decisions: Vec<Decision> },
    /// Takes these option indices at the first choice points (an index out of range stops
    /// the run), then [`guided_continuation`]: what shrinking tries.
    Guided { prefix: Vec<u32> },
    /// A strategy object built elsewhere (the search's).
    Shared(SharedStrategy),
}

impl StrategySpec {
    /// The command-line name of the strategy family.
    pub fn name(&self) -> &'static str {
        match self {
            StrategySpec::Random { .. } => "random",
            StrategySpec::Pct { .. } => "pct",
            StrategySpec::Delay { .. } => "delay",
            StrategySpec::Replay { .. } => "replay",
            StrategySpec::Guided { .. } => "guided",
            StrategySpec::Shared(_) => "dfs",
        }
    }

    /// The strategy object (a run builds its own; a pilot run wraps one to count its choice
    /// points).
    pub fn build(&self) -> Box<dyn Strategy> {
        match self {
            StrategySpec::Random { seed } => Box::new(RandomStrategy::new(*seed)),
            StrategySpec::Pct { seed, depth, horizon } => Box::new(PctStrategy::new(*seed, *depth, *horizon)),
            StrategySpec::Delay { seed, delays, horizon } => {
                Box::new(DelayStrategy::new(*seed, *delays, *horizon))
            }
            StrategySpec::Replay { decisions } => {
                Box::new(ReplayStrategy { decisions: decisions.clone(), next: 0 })
            }
            StrategySpec::Guided { prefix } => Box::new(GuidedStrategy { prefix: prefix.clone(), next: 0 }),
            StrategySpec::Shared(shared) => Box::new(shared.clone()),
        }
    }
}

/// Random choices from a ChaCha8 stream: when the clock may run ahead of runnable threads,
/// it does so with probability 1/[`TIMEOUT_ODDS`] if that times a wait out, else
/// 1/[`ADVANCE_ODDS`] (a sleeper woken early is the exception, not the rule); otherwise every
/// runnable thread is equally likely. Error codes are uniform; a
/// fault happens at one fault point in [`FAULT_ODDS`]. The reduction below is ours, not a
/// library's, so a seed keeps meaning the same schedule across dependency upgrades.
pub struct RandomStrategy {
    rng: ChaCha8Rng,
}

/// One choice point in this many lets the clock run ahead of runnable threads to wake a
/// sleeper.
pub const ADVANCE_ODDS: u64 = 8;

/// Under [`RandomStrategy`], one choice point in this many lets the clock run ahead of
/// runnable threads to time a wait out. A timed wait is where a design handles "nobody came in
/// time" (the 25 ms direct acquire of spec §4.6, a hook's timeout); at 1 in 8 that branch was
/// rare: on `pump_kernel`, `no-recheck` fails at 4.1 % of random seeds with 1 in 8 and 9.8 %
/// with 1 in 2, every other mutant's rate unchanged. PCT uses these odds only for the first
/// [`PCT_EAGER_TIMEOUTS`] time-outs of a run, then [`ADVANCE_ODDS`].
pub const TIMEOUT_ODDS: u64 = 2;

/// How many time-outs a PCT run takes at [`TIMEOUT_ODDS`] before falling back to
/// [`ADVANCE_ODDS`]. PCT starves a lowered thread while higher ones can run; callbacks that
/// spin on a timed acquire and time out at 1 in 2 every time keep running, so a lowered lock
/// holder never gets back (false livelocks on `callbacks_during_termination_do_not_crash`).
/// A bug of small depth needs few time-outs: with one, `no-recheck` fails at 4.8 % of PCT
/// seeds on `pump_kernel` (2.3 % at 1 in 8), every other mutant's rate unchanged.
pub const PCT_EAGER_TIMEOUTS: u32 = 1;

/// One fault point in this many (while the fault budget lasts) injects a fault.
pub const FAULT_ODDS: u64 = 8;

impl RandomStrategy {
    /// A strategy seeded with `seed`.
    pub fn new(seed: u64) -> RandomStrategy {
        RandomStrategy { rng: ChaCha8Rng::seed_from_u64(seed) }
    }
}

impl Strategy for RandomStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        let odds = if point.timeout_due { TIMEOUT_ODDS } else { ADVANCE_ODDS };
        if advances(&mut self.rng, &point, odds) {
            return Ok(point.threads());
        }
        Ok(uniform_below(&mut self.rng, point.threads() as u64) as usize)
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        Ok(random_value(&mut self.rng, point))
    }
}

/// Whether to let the clock run, when it may: at one point in `odds`. (A strategy is asked
/// only with two options or more, so some thread can always run instead.)
fn advances(rng: &mut ChaCha8Rng, point: &ChoicePoint<'_>, odds: u64) -> bool {
    point.can_advance && uniform_below(rng, odds) == 0
}

/// An error code uniformly; a fault at one point in [`FAULT_ODDS`], uniform among the faults.
fn random_value(rng: &mut ChaCha8Rng, point: ValuePoint) -> usize {
    let options = u64::from(point.options);
    match point.kind {
        DecisionKind::Fault if uniform_below(rng, FAULT_ODDS) != 0 => 0,
        DecisionKind::Fault => 1 + uniform_below(rng, options - 1) as usize,
        _ => uniform_below(rng, options) as usize,
    }
}

/// PCT: every thread gets a random priority when first seen; the highest-priority runnable
/// thread runs; at each of `depth - 1` random change points the thread about to run drops
/// below every thread not yet lowered. The clock runs ahead, error codes and faults are
/// drawn as with [`RandomStrategy`], except that only the first [`PCT_EAGER_TIMEOUTS`]
/// time-outs are taken at [`TIMEOUT_ODDS`].
pub struct PctStrategy {
    rng: ChaCha8Rng,
    depth: u32,
    /// Each thread's priority, indexed by its id; 0 for a thread not yet seen (every
    /// priority given is at least 1).
    priorities: Vec<u64>,
    change_points: Vec<u64>,
    lowered: u32,
    /// How many more waits may be timed out at [`TIMEOUT_ODDS`].
    eager_timeouts: u32,
}

impl PctStrategy {
    /// A PCT strategy for bugs of depth `depth`, with change points within `horizon` steps.
    pub fn new(seed: u64, depth: u32, horizon: u64) -> PctStrategy {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut change_points: Vec<u64> =
            (1..depth.max(1)).map(|_| 1 + uniform_below(&mut rng, horizon.max(1))).collect();
        change_points.sort_unstable();
        PctStrategy {
            rng,
            depth: depth.max(1),
            priorities: Vec::new(),
            change_points,
            lowered: 0,
            eager_timeouts: PCT_EAGER_TIMEOUTS,
        }
    }

    fn highest(&mut self, runnable: &[ThreadId]) -> usize {
        let floor = u64::from(self.depth);
        for &thread in runnable {
            if self.priority(thread) == 0 {
                let priority = floor + 1 + (self.rng.next_u64() >> 1);
                self.set_priority(thread, priority);
            }
        }
        (0..runnable.len()).max_by_key(|&i| self.priority(runnable[i])).unwrap_or(0)
    }

    fn priority(&self, thread: ThreadId) -> u64 {
        self.priorities.get(thread.0 as usize).copied().unwrap_or(0)
    }

    fn set_priority(&mut self, thread: ThreadId, priority: u64) {
        let index = thread.0 as usize;
        if index >= self.priorities.len() {
            self.priorities.resize(index + 1, 0);
        }
        self.priorities[index] = priority;
    }
}

impl Strategy for PctStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        let eager = point.timeout_due && self.eager_timeouts > 0;
        if advances(&mut self.rng, &point, if eager { TIMEOUT_ODDS } else { ADVANCE_ODDS }) {
            self.eager_timeouts -= u32::from(eager);
            return Ok(point.threads());
        }
        let mut best = self.highest(point.runnable);
        while self.change_points.first().is_some_and(|&change| change <= point.step) {
            self.change_points.remove(0);
            self.lowered += 1;
            // At most `depth - 1` change points, so the lowered priorities are `depth - 1 ..= 1`,
            // below every initial priority (which are above `depth`).
            self.set_priority(point.runnable[best], u64::from(self.depth - self.lowered));
            best = self.highest(point.runnable);
        }
        Ok(best)
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        Ok(random_value(&mut self.rng, point))
    }
}

/// Delay bounding (after Emmi, Qadeer and Rakamarić, "Delay-bounded scheduling", POPL 2011)
/// over a deterministic schedule: the lowest-numbered runnable thread runs (threads are
/// numbered as they are created, so the oldest runs first, and a thread that becomes
/// runnable again takes over from younger ones). A delay skips the thread that schedule is
/// about to run and keeps it skipped: it runs again only when no thread that was not delayed
/// can run (of two delayed threads, the one delayed first). Delays happen at contested
/// choice points (more than one thread can run: a choice between one thread and the clock is
/// not one), drawn uniformly among the first `horizon`; with a horizon counted by a pilot
/// run of the same schedule (`DelayStrategy::pilot`), a run is the pilot's up to its first
/// delay, so every delay falls where it changes who runs. Two delays drawn at one choice
/// point skip two threads. The clock runs ahead, error codes and faults are drawn as with
/// [`PctStrategy`].
///
/// On `pump_kernel` one delay is what `no-recheck` needs (the notifying thread skipped while
/// it holds the instance lock after the pump stopped), and a second mostly undoes it: with
/// one delay it fails at 29 % of seeds, with two at none (see [`PORTFOLIO_DELAYS`]).
pub struct DelayStrategy {
    rng: ChaCha8Rng,
    /// The contested choice points (1-based) still to delay at, ascending.
    delay_points: Vec<u64>,
    /// Contested choice points passed so far.
    contested: u64,
    /// Threads delayed so far, in the order they were (a thread delayed twice counts at its
    /// last delay).
    delayed: Vec<ThreadId>,
    /// Whether the clock may run ahead of a runnable thread (not in a pilot run).
    lets_clock_run: bool,
    /// How many more waits may be timed out at [`TIMEOUT_ODDS`].
    eager_timeouts: u32,
}

/// The delays of the delay-bounding member of the command line's portfolio.
pub const PORTFOLIO_DELAYS: u32 = 1;

impl DelayStrategy {
    /// A strategy with `delays` delays among the first `horizon` contested choice points.
    pub fn new(seed: u64, delays: u32, horizon: u64) -> DelayStrategy {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut delay_points: Vec<u64> =
            (0..delays).map(|_| 1 + uniform_below(&mut rng, horizon.max(1))).collect();
        delay_points.sort_unstable();
        DelayStrategy {
            rng,
            delay_points,
            contested: 0,
            delayed: Vec::new(),
            lets_clock_run: true,
            eager_timeouts: PCT_EAGER_TIMEOUTS,
        }
    }

    /// The schedule without delays, never letting the clock run ahead of a runnable thread:
    /// the pilot run whose contested choice points are the horizon.
    pub fn pilot() -> DelayStrategy {
        DelayStrategy { lets_clock_run: false, ..DelayStrategy::new(0, 0, 1) }
    }

    /// The contested choice points (1-based) at which this run will delay, ascending.
    pub fn delay_points(&self) -> &[u64] {
        &self.delay_points
    }

    /// The runnable thread to run: the lowest-numbered one not delayed, else the one delayed
    /// first.
    fn first(&self, runnable: &[ThreadId]) -> usize {
        let rank = |thread: ThreadId| self.delayed.iter().position(|&t| t == thread).map_or(0, |at| at + 1);
        (0..runnable.len()).min_by_key(|&i| (rank(runnable[i]), runnable[i])).unwrap_or(0)
    }
}

impl Strategy for DelayStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        let eager = point.timeout_due && self.eager_timeouts > 0;
        if self.lets_clock_run
            && advances(&mut self.rng, &point, if eager { TIMEOUT_ODDS } else { ADVANCE_ODDS })
        {
            self.eager_timeouts -= u32::from(eager);
            return Ok(point.threads());
        }
        let mut chosen = self.first(point.runnable);
        if point.threads() < 2 {
            return Ok(chosen);
        }
        self.contested += 1;
        while self.delay_points.first() == Some(&self.contested) {
            self.delay_points.remove(0);
            let skipped = point.runnable[chosen];
            self.delayed.retain(|&t| t != skipped);
            self.delayed.push(skipped);
            chosen = self.first(point.runnable);
        }
        Ok(chosen)
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        Ok(random_value(&mut self.rng, point))
    }
}

/// Another strategy, counting the contested choice points (more than one thread can run) of
/// its run: how a pilot run tells [`DelayStrategy`] its horizon.
pub struct ContestedCounter {
    inner: Box<dyn Strategy>,
    /// Contested choice points passed so far.
    pub contested: u64,
}

impl ContestedCounter {
    /// Counts the choice points `inner` decides.
    pub fn new(inner: Box<dyn Strategy>) -> ContestedCounter {
        ContestedCounter { inner, contested: 0 }
    }
}

impl Strategy for ContestedCounter {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        self.contested += u64::from(point.threads() > 1);
        self.inner.choose(point)
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        self.inner.choose_value(point)
    }

    fn records_steps(&self) -> bool {
        self.inner.records_steps()
    }

    fn stepped(&mut self, step: &StepRecord) -> Result<(), Stop> {
        self.inner.stepped(step)
    }

    fn finished(&mut self) -> Result<(), Stop> {
        self.inner.finished()
    }
}

/// An unbiased draw in `0..bound` (Lemire's multiply-and-reject).
fn uniform_below(rng: &mut impl RngCore, bound: u64) -> u64 {
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(bound);
        if (product as u64) >= threshold {
            return (product >> 64) as u64;
        }
    }
}

/// Replays a decision list exactly.
struct ReplayStrategy {
    decisions: Vec<Decision>,
    next: usize,
}

impl ReplayStrategy {
    fn take(&mut self, kind: DecisionKind, options: usize, step: u64) -> Result<usize, Stop> {
        let number = self.next + 1;
        let Some(&decision) = self.decisions.get(self.next) else {
            return Err(Stop::Diverged(format!(
                "the decision list ends after {} decisions, but the run goes on: decision {number} would be {} with {options} options (choice point {step})",
                self.decisions.len(),
                kind.describe(),
            )));
        };
        self.next += 1;
        if decision.kind != kind || decision.options as usize != options {
            return Err(Stop::Diverged(format!(
                "decision {number} is `{decision}` ({} with {} options), but the run offers {} with {options} options here (choice point {step})",
                decision.kind.describe(),
                decision.options,
                kind.describe(),
            )));
        }
        Ok(decision.index as usize)
    }
}

impl Strategy for ReplayStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        self.take(DecisionKind::Schedule, point.options(), point.step)
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        self.take(point.kind, point.options as usize, point.step)
    }

    fn finished(&mut self) -> Result<(), Stop> {
        if self.next < self.decisions.len() {
            return Err(Stop::Diverged(format!(
                "the run ended after {} decisions, but the decision list has {}: decision {} (`{}`) and later ones were never taken",
                self.next,
                self.decisions.len(),
                self.next + 1,
                self.decisions[self.next]
            )));
        }
        Ok(())
    }
}

/// A prefix of option indices, then [`guided_continuation`].
struct GuidedStrategy {
    prefix: Vec<u32>,
    next: usize,
}

impl GuidedStrategy {
    fn take(&mut self, options: usize) -> Result<Option<usize>, Stop> {
        let Some(&index) = self.prefix.get(self.next) else { return Ok(None) };
        self.next += 1;
        if index as usize >= options {
            return Err(Stop::Diverged(format!(
                "guided decision {} is option {index}, but only {options} are offered",
                self.next
            )));
        }
        Ok(Some(index as usize))
    }
}

/// What a guided run does past its prefix: keep the running thread running when it can,
/// else run the lowest-numbered runnable thread (never let the clock run ahead of a runnable
/// thread); take the first error code and no fault. It adds no preemption and no fault.
pub fn guided_continuation(point: ChoicePoint<'_>) -> usize {
    point.current_option().unwrap_or(0)
}

impl Strategy for GuidedStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        Ok(self.take(point.options())?.unwrap_or_else(|| guided_continuation(point)))
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        Ok(self.take(point.options as usize)?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREADS: [ThreadId; 5] = [ThreadId(0), ThreadId(1), ThreadId(2), ThreadId(3), ThreadId(4)];

    fn point(threads: usize, can_advance: bool) -> ChoicePoint<'static> {
        ChoicePoint { runnable: &THREADS[..threads], can_advance, timeout_due: false, step: 0, current: None }
    }

    #[test]
    fn random_choices_are_in_range_and_repeat_per_seed() {
        let draw = |seed| {
            let mut strategy = RandomStrategy::new(seed);
            (0..200).map(|i| strategy.choose(point(1 + i % 5, i % 2 == 0)).unwrap()).collect::<Vec<_>>()
        };
        let first = draw(7);
        assert_eq!(first, draw(7));
        assert_ne!(first, draw(8));
        assert!(first.iter().enumerate().all(|(i, &c)| c < point(1 + i % 5, i % 2 == 0).options()));
    }

    #[test]
    fn every_option_is_reachable_and_the_clock_runs_ahead_rarely() {
        let mut strategy = RandomStrategy::new(1);
        let mut seen = [0u32; 5];
        for _ in 0..8000 {
            seen[strategy.choose(point(4, true)).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&s| s > 0));
        assert!((800..1200).contains(&seen[4]), "advanced {} times in 8000", seen[4]);
    }

    #[test]
    fn random_times_a_wait_out_at_one_point_in_two() {
        let mut strategy = RandomStrategy::new(1);
        let timeout = ChoicePoint { timeout_due: true, ..point(1, true) };
        let advanced = (0..8000).filter(|_| strategy.choose(timeout).unwrap() == 1).count();
        assert!((3600..4400).contains(&advanced), "timed out {advanced} times in 8000");
        let timed_out_first =
            (0..400).filter(|&seed| PctStrategy::new(seed, 3, 100).choose(timeout).unwrap() == 1).count();
        assert!((160..240).contains(&timed_out_first), "pct's first time-out: {timed_out_first} in 400");
        let mut pct = PctStrategy::new(1, 3, 100);
        while pct.choose(timeout).unwrap() != 1 {}
        let advanced = (0..8000).filter(|_| pct.choose(timeout).unwrap() == 1).count();
        assert!((800..1200).contains(&advanced), "pct's later time-outs: {advanced} in 8000");
    }

    #[test]
    fn faults_are_rare_and_error_codes_uniform() {
        let mut strategy = RandomStrategy::new(2);
        let fault = ValuePoint { kind: DecisionKind::Fault, options: 3, step: 0 };
        let faults = (0..8000).filter(|_| strategy.choose_value(fault).unwrap() != 0).count();
        assert!((800..1200).contains(&faults), "{faults} faults in 8000");
        let code = ValuePoint { kind: DecisionKind::ErrorCode, options: 4, step: 0 };
        let mut seen = [0u32; 4];
        for _ in 0..4000 {
            seen[strategy.choose_value(code).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&s| (800..1200).contains(&s)), "{seen:?}");
    }

    #[test]
    fn replay_follows_the_list_and_names_the_decision_that_does_not_fit() {
        let list = vec![Decision::schedule(2, 3), Decision::schedule(1, 3)];
        let mut strategy = StrategySpec::Replay { decisions: list.clone() }.build();
        assert_eq!(strategy.choose(point(3, false)), Ok(2));
        let Err(Stop::Diverged(message)) = strategy.choose(point(2, false)) else { panic!("fits") };
        assert!(message.starts_with("decision 2 is `1/3`"), "{message}");

        let mut strategy = StrategySpec::Replay { decisions: list.clone() }.build();
        let code = ValuePoint { kind: DecisionKind::ErrorCode, options: 3, step: 4 };
        let Err(Stop::Diverged(message)) = strategy.choose_value(code) else { panic!("fits") };
        assert!(message.contains("an error-code decision"), "{message}");

        let mut strategy = StrategySpec::Replay { decisions: list.clone() }.build();
        assert_eq!(strategy.choose(point(3, false)), Ok(2));
        assert_eq!(strategy.choose(point(3, false)), Ok(1));
        let Err(Stop::Diverged(message)) = strategy.choose(point(3, false)) else { panic!("fits") };
        assert!(message.starts_with("the decision list ends after 2 decisions"), "{message}");

        let mut strategy = StrategySpec::Replay { decisions: list }.build();
        assert_eq!(strategy.choose(point(3, false)), Ok(2));
        let Err(Stop::Diverged(message)) = strategy.finished() else { panic!("fits") };
        assert!(message.starts_with("the run ended after 1 decisions"), "{message}");
    }

    #[test]
    fn a_guided_run_keeps_the_current_thread_after_its_prefix() {
        let mut strategy = StrategySpec::Guided { prefix: vec![1, 5] }.build();
        let running = ChoicePoint { current: Some(ThreadId(2)), ..point(3, true) };
        assert_eq!(strategy.choose(running), Ok(1));
        assert!(matches!(strategy.choose(running), Err(Stop::Diverged(_))), "an index out of range stops");
        assert_eq!(strategy.choose(running), Ok(2), "the current thread continues");
        assert_eq!(strategy.choose(point(3, true)), Ok(0), "else the lowest thread runs");
    }

    #[test]
    fn delay_bounding_repeats_per_seed_and_draws_its_delays_within_the_horizon() {
        let draw = |seed| {
            let mut strategy = DelayStrategy::new(seed, 2, 12);
            let points = strategy.delay_points().to_vec();
            let picks: Vec<usize> =
                (0..60).map(|i| strategy.choose(point(1 + i % 4, i % 3 == 0)).unwrap()).collect();
            (points, picks)
        };
        let first = draw(5);
        assert_eq!(first, draw(5));
        assert!((0..20).any(|seed| draw(seed) != first), "seeds differ");
        for seed in 0..200 {
            let points = DelayStrategy::new(seed, 3, 12).delay_points().to_vec();
            assert_eq!(points.len(), 3);
            assert!(points.windows(2).all(|w| w[0] <= w[1]), "{points:?}");
            assert!(points.iter().all(|&p| (1..=12).contains(&p)), "{points:?}");
        }
        let seen: std::collections::BTreeSet<u64> =
            (0..400).map(|seed| DelayStrategy::new(seed, 1, 12).delay_points()[0]).collect();
        assert_eq!(seen.len(), 12, "every contested point can be drawn: {seen:?}");
    }

    #[test]
    fn a_delay_demotes_the_oldest_thread_at_its_contested_point_and_nowhere_else() {
        for seed in 0..50 {
            let mut strategy = DelayStrategy::new(seed, 1, 8);
            let at = strategy.delay_points()[0];
            let mut contested = 0;
            for i in 0..40_u64 {
                if i % 3 == 1 {
                    // One thread and the clock: not contested, so never counted.
                    let lone = ChoicePoint { runnable: &THREADS[2..3], ..point(1, true) };
                    assert!(strategy.choose(lone).unwrap() <= 1);
                    continue;
                }
                contested += 1;
                let runnable = ChoicePoint { current: Some(ThreadId(2)), ..point(3, false) };
                let expected = usize::from(contested >= at);
                assert_eq!(
                    strategy.choose(runnable).unwrap(),
                    expected,
                    "seed {seed}, contested point {contested}, delay at {at}: thread 0 runs until delayed, \
                     then thread 1 (the running thread 2 is preempted either way)"
                );
            }
        }
        let mut twice = DelayStrategy { delay_points: vec![2, 2], ..DelayStrategy::pilot() };
        let picks: Vec<usize> = (0..4).map(|_| twice.choose(point(3, false)).unwrap()).collect();
        assert_eq!(picks, [0, 2, 2, 2], "two delays at one point skip two threads");
        let only_delayed = ChoicePoint { runnable: &THREADS[..2], ..point(2, false) };
        assert_eq!(twice.choose(only_delayed).unwrap(), 0, "the thread delayed first runs first");
    }

    #[test]
    fn a_pilot_never_delays_nor_lets_the_clock_run() {
        let mut pilot = DelayStrategy::pilot();
        assert!(pilot.delay_points().is_empty());
        for i in 0..200 {
            let timeout = ChoicePoint { timeout_due: i % 2 == 0, ..point(1 + i % 3, true) };
            assert_eq!(pilot.choose(timeout).unwrap(), 0);
        }
    }

    #[test]
    fn a_counter_counts_the_choice_points_where_more_than_one_thread_can_run() {
        let mut counter = ContestedCounter::new(Box::new(DelayStrategy::pilot()));
        for threads in [1, 2, 3, 1, 5, 1] {
            counter.choose(point(threads, true)).unwrap();
        }
        assert_eq!(counter.contested, 3);
    }

    #[test]
    fn pct_runs_the_highest_priority_thread_until_a_change_point() {
        let mut strategy = PctStrategy::new(3, 1, 100);
        let first = strategy.choose(point(3, false)).unwrap();
        for _ in 0..50 {
            assert_eq!(
                strategy.choose(point(3, false)).unwrap(),
                first,
                "without change points the order is fixed"
            );
        }
        let mut changing = PctStrategy::new(3, 3, 10);
        let picks: Vec<usize> =
            (0..20).map(|step| changing.choose(ChoicePoint { step, ..point(3, false) }).unwrap()).collect();
        assert!(picks.windows(2).any(|w| w[0] != w[1]), "change points reorder threads: {picks:?}");
    }
}
