//! Strategies: who decides each choice point, and the decision list that replays a run.
//!
//! Owns the [`Strategy`] trait and its implementations: random over a seeded ChaCha
//! generator, PCT (probabilistic concurrency testing: random thread priorities with a few
//! priority change points, after Burckhardt et al.), and replay of a recorded decision list.
//! A strategy is consulted only when a choice point has more than one option, so a decision
//! list holds exactly the choices that mattered, whatever strategy made them. It never sees
//! model state: only which threads can run, whether the clock may run ahead instead, and how
//! many choice points have passed.

use std::collections::BTreeMap;

use plughost_model::platform::ThreadId;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The options at one choice point: index `i < runnable.len()` runs `runnable[i]` (threads
/// in id order); index `runnable.len()`, when `can_advance`, lets the clock run to the next
/// timer.
#[derive(Clone, Copy, Debug)]
pub struct ChoicePoint<'a> {
    /// Runnable threads, in id order.
    pub runnable: &'a [ThreadId],
    /// Whether letting the clock run is an option.
    pub can_advance: bool,
    /// Choice points passed so far in the run.
    pub step: u64,
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
}

/// Picks one option at a choice point with at least two.
pub trait Strategy: Send {
    /// Returns an index in `0..point.options()`.
    fn choose(&mut self, point: ChoicePoint<'_>) -> usize;
}

/// Which strategy a run uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrategySpec {
    /// Uniform random over the options, seeded.
    Random { seed: u64 },
    /// PCT: random thread priorities, `depth - 1` change points within the first `horizon`
    /// choice points, seeded.
    Pct { seed: u64, depth: u32, horizon: u64 },
    /// Replays a recorded decision list; past its end (or on an index that is out of range
    /// for the options at hand) it takes the first option, so a truncated list still runs.
    Replay { decisions: Vec<u32> },
}

impl StrategySpec {
    /// The command-line name of the strategy family.
    pub fn name(&self) -> &'static str {
        match self {
            StrategySpec::Random { .. } => "random",
            StrategySpec::Pct { .. } => "pct",
            StrategySpec::Replay { .. } => "replay",
        }
    }

    pub(crate) fn build(&self) -> Box<dyn Strategy> {
        match self {
            StrategySpec::Random { seed } => Box::new(RandomStrategy::new(*seed)),
            StrategySpec::Pct { seed, depth, horizon } => Box::new(PctStrategy::new(*seed, *depth, *horizon)),
            StrategySpec::Replay { decisions } => {
                Box::new(ReplayStrategy { decisions: decisions.clone(), next: 0 })
            }
        }
    }
}

/// Random choices from a ChaCha8 stream: when the clock may run ahead of runnable threads,
/// it does so with probability 1/[`ADVANCE_ODDS`] (a preemption is the exception, not the
/// rule); otherwise every runnable thread is equally likely. The reduction below is ours, not
/// a library's, so a seed keeps meaning the same schedule across dependency upgrades.
pub struct RandomStrategy {
    rng: ChaCha8Rng,
}

/// One choice point in this many lets the clock run ahead of runnable threads.
pub const ADVANCE_ODDS: u64 = 8;

impl RandomStrategy {
    /// A strategy seeded with `seed`.
    pub fn new(seed: u64) -> RandomStrategy {
        RandomStrategy { rng: ChaCha8Rng::seed_from_u64(seed) }
    }
}

impl Strategy for RandomStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> usize {
        if advances(&mut self.rng, &point) {
            return point.threads();
        }
        uniform_below(&mut self.rng, point.threads() as u64) as usize
    }
}

/// Whether to let the clock run, when it may: at one point in [`ADVANCE_ODDS`]. (A strategy
/// is asked only with two options or more, so some thread can always run instead.)
fn advances(rng: &mut ChaCha8Rng, point: &ChoicePoint<'_>) -> bool {
    point.can_advance && uniform_below(rng, ADVANCE_ODDS) == 0
}

/// PCT: every thread gets a random priority when first seen; the highest-priority runnable
/// thread runs; at each of `depth - 1` random change points the thread about to run drops
/// below every thread not yet lowered. The clock runs ahead as with [`RandomStrategy`].
pub struct PctStrategy {
    rng: ChaCha8Rng,
    depth: u32,
    priorities: BTreeMap<ThreadId, u64>,
    change_points: Vec<u64>,
    lowered: u32,
}

impl PctStrategy {
    /// A PCT strategy for bugs of depth `depth`, with change points within `horizon` steps.
    pub fn new(seed: u64, depth: u32, horizon: u64) -> PctStrategy {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut change_points: Vec<u64> =
            (1..depth.max(1)).map(|_| 1 + uniform_below(&mut rng, horizon.max(1))).collect();
        change_points.sort_unstable();
        PctStrategy { rng, depth: depth.max(1), priorities: BTreeMap::new(), change_points, lowered: 0 }
    }

    fn highest(&mut self, runnable: &[ThreadId]) -> usize {
        let floor = u64::from(self.depth);
        for &thread in runnable {
            if !self.priorities.contains_key(&thread) {
                let priority = floor + 1 + (self.rng.next_u64() >> 1);
                self.priorities.insert(thread, priority);
            }
        }
        (0..runnable.len()).max_by_key(|&i| self.priorities[&runnable[i]]).unwrap_or(0)
    }
}

impl Strategy for PctStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> usize {
        if advances(&mut self.rng, &point) {
            return point.threads();
        }
        let mut best = self.highest(point.runnable);
        while self.change_points.first().is_some_and(|&change| change <= point.step) {
            self.change_points.remove(0);
            self.lowered += 1;
            // At most `depth - 1` change points, so the lowered priorities are `depth - 1 ..= 1`,
            // below every initial priority (which are above `depth`).
            self.priorities.insert(point.runnable[best], u64::from(self.depth - self.lowered));
            best = self.highest(point.runnable);
        }
        best
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

/// Replays a decision list.
pub struct ReplayStrategy {
    decisions: Vec<u32>,
    next: usize,
}

impl Strategy for ReplayStrategy {
    fn choose(&mut self, point: ChoicePoint<'_>) -> usize {
        let choice = self.decisions.get(self.next).map_or(0, |&d| d as usize);
        self.next += 1;
        if choice < point.options() { choice } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREADS: [ThreadId; 5] = [ThreadId(0), ThreadId(1), ThreadId(2), ThreadId(3), ThreadId(4)];

    fn point(threads: usize, can_advance: bool) -> ChoicePoint<'static> {
        ChoicePoint { runnable: &THREADS[..threads], can_advance, step: 0 }
    }

    #[test]
    fn random_choices_are_in_range_and_repeat_per_seed() {
        let draw = |seed| {
            let mut strategy = RandomStrategy::new(seed);
            (0..200).map(|i| strategy.choose(point(1 + i % 5, i % 2 == 0))).collect::<Vec<_>>()
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
            seen[strategy.choose(point(4, true))] += 1;
        }
        assert!(seen.iter().all(|&s| s > 0));
        assert!((800..1200).contains(&seen[4]), "advanced {} times in 8000", seen[4]);
    }

    #[test]
    fn replay_follows_the_list_then_takes_the_first_option() {
        let mut strategy = StrategySpec::Replay { decisions: vec![2, 9, 1] }.build();
        assert_eq!(strategy.choose(point(3, false)), 2);
        assert_eq!(strategy.choose(point(3, false)), 0, "out of range falls back to the first option");
        assert_eq!(strategy.choose(point(2, true)), 1);
        assert_eq!(strategy.choose(point(3, false)), 0, "past the end falls back to the first option");
    }

    #[test]
    fn pct_runs_the_highest_priority_thread_until_a_change_point() {
        let mut strategy = PctStrategy::new(3, 1, 100);
        let first = strategy.choose(point(3, false));
        for _ in 0..50 {
            assert_eq!(strategy.choose(point(3, false)), first, "without change points the order is fixed");
        }
        let mut changing = PctStrategy::new(3, 3, 10);
        let picks: Vec<usize> = (0..20)
            .map(|step| changing.choose(ChoicePoint { runnable: &THREADS[..3], can_advance: false, step }))
            .collect();
        assert!(picks.windows(2).any(|w| w[0] != w[1]), "change points reorder threads: {picks:?}");
    }
}
