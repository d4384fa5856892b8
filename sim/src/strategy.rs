//! Strategies: who decides each choice point, and the decision list that replays a run.
//!
//! Owns the [`Strategy`] trait and its implementations: random over a seeded ChaCha
//! generator, and replay of a recorded decision list. A strategy is consulted only when a
//! choice point has more than one option, so a decision list holds exactly the choices that
//! mattered. It never sees model state: only how many threads can run and whether the clock
//! may run ahead instead.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The options at one choice point: indices `0..threads` run that runnable thread (in id
/// order); index `threads`, when `can_advance`, lets the clock run to the next timer.
#[derive(Clone, Copy, Debug)]
pub struct ChoicePoint {
    /// Runnable threads.
    pub threads: usize,
    /// Whether letting the clock run is an option.
    pub can_advance: bool,
}

impl ChoicePoint {
    /// How many options there are.
    pub fn options(self) -> usize {
        self.threads + usize::from(self.can_advance)
    }
}

/// Picks one option at a choice point with at least two.
pub trait Strategy: Send {
    /// Returns an index in `0..point.options()`.
    fn choose(&mut self, point: ChoicePoint) -> usize;
}

/// Which strategy a run uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrategySpec {
    /// Uniform random over the options, seeded.
    Random { seed: u64 },
    /// Replays a recorded decision list; past its end (or on an index that is out of range
    /// for the options at hand) it takes the first option, so a truncated list still runs.
    Replay { decisions: Vec<u32> },
}

impl StrategySpec {
    /// The command-line name of the strategy family.
    pub fn name(&self) -> &'static str {
        match self {
            StrategySpec::Random { .. } => "random",
            StrategySpec::Replay { .. } => "replay",
        }
    }

    pub(crate) fn build(&self) -> Box<dyn Strategy> {
        match self {
            StrategySpec::Random { seed } => Box::new(RandomStrategy::new(*seed)),
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
    fn choose(&mut self, point: ChoicePoint) -> usize {
        if point.can_advance && (point.threads == 0 || uniform_below(&mut self.rng, ADVANCE_ODDS) == 0) {
            return point.threads;
        }
        uniform_below(&mut self.rng, point.threads as u64) as usize
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
    fn choose(&mut self, point: ChoicePoint) -> usize {
        let choice = self.decisions.get(self.next).map_or(0, |&d| d as usize);
        self.next += 1;
        if choice < point.options() { choice } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(threads: usize, can_advance: bool) -> ChoicePoint {
        ChoicePoint { threads, can_advance }
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
}
