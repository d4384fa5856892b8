//! Strategies: who decides each choice point, and the decision list that replays a run.
//!
//! Owns the [`Strategy`] trait and its implementations: uniform random over a seeded
//! ChaCha generator, and replay of a recorded decision list. A strategy is consulted only
//! when a choice point has more than one option, so a decision list holds exactly the
//! choices that mattered. It never sees model state: only the number of options.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Picks one of `options` (always at least two) at a choice point.
pub trait Strategy: Send {
    /// Returns an index in `0..options`.
    fn choose(&mut self, options: usize) -> usize;
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

/// Uniform choices from a ChaCha8 stream. The reduction below is ours, not a library's, so
/// a seed keeps meaning the same schedule across dependency upgrades.
pub struct RandomStrategy {
    rng: ChaCha8Rng,
}

impl RandomStrategy {
    /// A strategy seeded with `seed`.
    pub fn new(seed: u64) -> RandomStrategy {
        RandomStrategy { rng: ChaCha8Rng::seed_from_u64(seed) }
    }
}

impl Strategy for RandomStrategy {
    fn choose(&mut self, options: usize) -> usize {
        uniform_below(&mut self.rng, options as u64) as usize
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
    fn choose(&mut self, options: usize) -> usize {
        let choice = self.decisions.get(self.next).map_or(0, |&d| d as usize);
        self.next += 1;
        if choice < options { choice } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_choices_are_in_range_and_repeat_per_seed() {
        let draw = |seed| {
            let mut strategy = RandomStrategy::new(seed);
            (0..200).map(|i| strategy.choose(2 + i % 5)).collect::<Vec<_>>()
        };
        let first = draw(7);
        assert_eq!(first, draw(7));
        assert_ne!(first, draw(8));
        assert!(first.iter().enumerate().all(|(i, &c)| c < 2 + i % 5));
    }

    #[test]
    fn every_option_is_reachable() {
        let mut strategy = RandomStrategy::new(1);
        let mut seen = [false; 5];
        for _ in 0..200 {
            seen[strategy.choose(5)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn replay_follows_the_list_then_takes_the_first_option() {
        let mut strategy = StrategySpec::Replay { decisions: vec![2, 9, 1] }.build();
        assert_eq!(strategy.choose(3), 2);
        assert_eq!(strategy.choose(3), 0, "out of range falls back to the first option");
        assert_eq!(strategy.choose(3), 1);
        assert_eq!(strategy.choose(3), 0, "past the end falls back to the first option");
    }
}
