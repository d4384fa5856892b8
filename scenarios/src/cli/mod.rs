//! The `plughost` command line (DESIGN §7): `explore` (the default), `replay`, `shrink`,
//! `matrix`, `generate` (scenarios drawn with proptest), `list`, `real` (the same scenarios
//! on OS threads and real host processes, over a pipe or COM) and `com` (registering the COM
//! host). On Windows the simulator's commands are absent (the simulator is built on Linux
//! and macOS only).
//!
//! Owns argument parsing; each command lives in its own module. Wall-clock figures are
//! measured here, never inside a simulation. Exit status: 0 when every result is what the
//! scenarios expect, 1 when one is not, 2 when the input is unusable.

// On Windows the simulator's commands, which use some of the helpers here, are absent.
#![cfg_attr(windows, allow(dead_code))]

#[macro_use]
mod output;

/// Declares items that exist only where the simulator builds (not on Windows, where it is
/// not built): the simulator's commands and their helpers.
macro_rules! simulator_only {
    ($($item:item)*) => { $( #[cfg(not(windows))] $item )* };
}

mod com;
mod list;
mod progress;
mod real;
mod style;
simulator_only! {
    mod conform;
    mod designs_doc;
    mod explore;
    mod generate;
    mod junit;
    mod matrix;
    mod replay;
    mod schedule;
    mod shrink;
}

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use plughost_model::design::{Design, Mutant, Variant};

use crate::catalogue;
use crate::explore::StrategyFamily;
use crate::scenario::Scenario;
use com::{ComArgs, com_command};
use list::{ListArgs, list_command};
use plughost_sim::dfs::SearchConfig;
use plughost_sim::faults::FaultBudget;
use plughost_sim::strategy::PORTFOLIO_DELAYS;
use real::{RealArgs, real_command};
simulator_only! {
    use conform::{ConformArgs, conform_command};
    use explore::{ExploreArgs, explore_command};
    use generate::{GenerateArgs, generate_command};
    use matrix::{MatrixArgs, matrix_command};
    use replay::{ReplayArgs, replay_command_line};
    use shrink::{ShrinkArgs, shrink_command};
}

#[derive(Parser)]
#[command(name = "plughost", version, about = "Deterministic simulation of WSL's out-of-process plugin host")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    #[cfg(not(windows))]
    #[command(flatten)]
    Simulator(SimulatorCommand),
    /// List scenarios, designs, mutants (with the scenarios that catch them) and strategies.
    List(ListArgs),
    /// Run scenarios end to end on OS threads and real plugin-host processes.
    Real(RealArgs),
    /// Register or unregister the COM plugin host (Windows).
    Com(ComArgs),
    /// Be a plugin host process (started by `real`; not for people).
    #[command(hide = true)]
    Host {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The simulator's commands, listed first in `--help`.
#[cfg(not(windows))]
#[derive(Subcommand)]
enum SimulatorCommand {
    /// Run many seeds of scenarios and tally verdicts (the default command).
    Explore(ExploreArgs),
    /// Re-run one schedule, from a seed or a decision list, and print its trace.
    Replay(ReplayArgs),
    /// Shrink a failing schedule to the shortest one that fails the same way.
    Shrink(ShrinkArgs),
    /// Every scenario against the design and every mutant: a verdict per cell.
    Matrix(MatrixArgs),
    /// Draw scenarios with proptest, explore each under the always-on oracles, and shrink a
    /// failing one to a minimal scenario file.
    Generate(GenerateArgs),
    /// Check that every outcome of recorded real runs (`real --outcomes`) is one the
    /// simulator produces.
    Conform(ConformArgs),
}

#[cfg(not(windows))]
impl SimulatorCommand {
    fn run(self) -> Result<ExitCode, UsageError> {
        match self {
            SimulatorCommand::Explore(args) => explore_command(args),
            SimulatorCommand::Replay(args) => replay_command_line(args),
            SimulatorCommand::Shrink(args) => shrink_command(args),
            SimulatorCommand::Matrix(args) => matrix_command(args),
            SimulatorCommand::Generate(args) => generate_command(args),
            SimulatorCommand::Conform(args) => conform_command(args),
        }
    }
}

/// What runs: a design and, optionally, one mutant.
#[derive(Args)]
pub(super) struct VariantArgs {
    /// Service design (default: the mutant's home design, else `pump`).
    #[arg(long)]
    design: Option<String>,
    /// Remove one safety mechanism (see `plughost list`).
    #[arg(long)]
    mutant: Option<String>,
}

/// How the simulator decides choice points.
#[derive(Args)]
pub(super) struct StrategyArgs {
    /// Scheduling strategy: `portfolio` (random, pct and delay in turn by seed: the
    /// default), `random`, `pct` (probabilistic concurrency testing), `delay` (delay
    /// bounding: the oldest runnable thread runs, but for a few delays), or `dfs` (every
    /// schedule within a preemption bound).
    #[arg(long, default_value = "portfolio")]
    strategy: String,
    /// PCT: the bug depth (`depth - 1` priority change points).
    #[arg(long, default_value_t = 3)]
    depth: u32,
    /// PCT: change points fall within this many choice points (default: as many as a pilot
    /// run of the scenario passes); delay: delays fall within this many contested choice
    /// points, where more than one thread can run (default: as many as a pilot run of its
    /// schedule without delays passes; a portfolio's delay seeds always take the pilot's).
    #[arg(long)]
    horizon: Option<u64>,
    /// Delay bounding (`delay`, and the portfolio's delay seeds): delays per run.
    #[arg(long, default_value_t = PORTFOLIO_DELAYS)]
    delays: u32,
    /// DFS: most preemptions per schedule (default: no bound, every schedule).
    #[arg(long)]
    preemption_bound: Option<u32>,
    /// DFS: `sleep-sets` (partial-order reduction) or `none` (plain depth-first search).
    #[arg(long, default_value = "sleep-sets")]
    reduction: String,
    /// Faults the runs may inject: `scenario` (its `[faults]`, the default), `none`, `all`
    /// (one crash, rejection or slow host per run, wherever one can happen), or
    /// `crash=N,hang=N,reject=N,slow=N[,total=N][,phases=P+P][,slow_ms=N]`.
    #[arg(long, default_value = "scenario")]
    faults: String,
}

/// Both: what runs in the simulator and how its choice points are decided.
#[derive(Args)]
pub(super) struct Selection {
    #[command(flatten)]
    variant: VariantArgs,
    #[command(flatten)]
    strategy: StrategyArgs,
}

/// A problem with the command line or its inputs.
pub(super) struct UsageError(String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(error: E) -> UsageError {
        UsageError(error.to_string())
    }
}

/// Runs the command line.
pub fn main() -> ExitCode {
    #[cfg(not(windows))]
    plughost_sim::install_quiet_panic_hook();
    let cli = Cli::parse();
    let Some(command) = cli.command.or_else(default_command) else {
        eprintln!(
            "plughost: the simulator (explore, the default command) builds on Linux and macOS only; here: plughost real, plughost com"
        );
        return ExitCode::from(2);
    };
    let result = match command {
        #[cfg(not(windows))]
        Command::Simulator(command) => command.run(),
        Command::List(args) => list_command(args),
        Command::Real(args) => real_command(args),
        Command::Com(args) => com_command(args),
        Command::Host { args } => return plughost_real::host::main_with(args.into_iter()),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("plughost: {message}");
            ExitCode::from(2)
        }
    }
}

/// No command means `explore` with every default (clap applies the defaults), where the
/// simulator exists.
fn default_command() -> Option<Command> {
    #[cfg(not(windows))]
    return Some(
        Cli::parse_from(["plughost", "explore"]).command.expect("`explore` parses without arguments"),
    );
    #[cfg(windows)]
    None
}

pub(super) fn variant(selection: &VariantArgs) -> Result<Variant, UsageError> {
    let mutant = match &selection.mutant {
        None => None,
        Some(name) => Some(
            Mutant::parse(name)
                .ok_or_else(|| UsageError(format!("unknown mutant `{name}` (see `plughost list`)")))?,
        ),
    };
    let design = match &selection.design {
        None => mutant.map_or(Design::Pump, Mutant::home_design),
        Some(name) => Design::parse(name)
            .ok_or_else(|| UsageError(format!("unknown design `{name}` (see `plughost list`)")))?,
    };
    if let Some(mutant) = mutant.filter(|m| !m.applies_to(design)) {
        return Err(UsageError(format!(
            "mutant `{mutant}` removes a mechanism the {design} design does not have (it applies to: {})",
            Design::ALL
                .iter()
                .filter(|d| mutant.applies_to(**d))
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Variant { design, mutant })
}

/// The deepest PCT bug depth accepted: each level is one more change point, and PCT's
/// chance of hitting a bug of depth `d` shrinks geometrically with `d`.
const MAX_PCT_DEPTH: u32 = 100;

/// The most delays accepted: each is one more skipped thread, and delay bounding's chance
/// of placing `d` delays where a bug needs them shrinks geometrically with `d`.
const MAX_DELAYS: u32 = 100;

pub(super) fn strategy(selection: &StrategyArgs) -> Result<StrategyFamily, UsageError> {
    let (depth, horizon, delays) = (selection.depth, selection.horizon, selection.delays);
    match selection.strategy.as_str() {
        "random" => Ok(StrategyFamily::Random),
        "delay" | "portfolio" if delays == 0 => Err(UsageError("--delays is at least 1".to_string())),
        "delay" | "portfolio" if delays > MAX_DELAYS => Err(UsageError(format!(
            "--delays {delays} is more than delay bounding can place (at most {MAX_DELAYS}; 1 to 3 is usual)"
        ))),
        "delay" if horizon == Some(0) => Err(UsageError("--horizon is at least 1".to_string())),
        "delay" => Ok(StrategyFamily::Delay { delays, horizon }),
        "pct" | "portfolio" if depth == 0 || horizon == Some(0) => {
            Err(UsageError("--depth and --horizon are at least 1".to_string()))
        }
        "pct" | "portfolio" if depth > MAX_PCT_DEPTH => Err(UsageError(format!(
            "--depth {depth} is not a bug depth PCT can find (at most {MAX_PCT_DEPTH}; 2 to 5 is usual)"
        ))),
        "pct" | "portfolio" if horizon.is_some_and(|h| u64::from(depth - 1) > h) => Err(UsageError(format!(
            "--depth {depth} needs {} change points, more than the --horizon of {} choice points",
            depth - 1,
            horizon.unwrap_or_default()
        ))),
        "pct" => Ok(StrategyFamily::Pct { depth, horizon }),
        "portfolio" => Ok(StrategyFamily::Portfolio { depth, horizon, delays, delay_horizon: None }),
        "dfs" => {
            let sleep_sets = match selection.reduction.as_str() {
                "sleep-sets" => true,
                "none" => false,
                other => return Err(UsageError(format!("unknown reduction `{other}` (sleep-sets or none)"))),
            };
            Ok(StrategyFamily::Dfs(SearchConfig { preemption_bound: selection.preemption_bound, sleep_sets }))
        }
        other => Err(UsageError(format!(
            "unknown strategy `{other}` (available: random, pct, delay, portfolio, dfs)"
        ))),
    }
}

/// The fault budget `--faults` selects for `scenario`.
pub(super) fn faults(selection: &StrategyArgs, scenario: &Scenario) -> Result<FaultBudget, UsageError> {
    match selection.faults.as_str() {
        "scenario" => Ok(scenario.faults),
        text => FaultBudget::parse(text).map_err(|e| UsageError(format!("--faults {text}: {e}"))),
    }
}

/// A count given on the command line that must be at least 1.
pub(super) fn at_least_one<T: PartialEq + Default + std::fmt::Display>(
    flag: &str,
    value: T,
) -> Result<T, UsageError> {
    if value == T::default() {
        return Err(UsageError(format!("{flag} 0 would do nothing: give at least 1")));
    }
    Ok(value)
}

/// `--jobs`: as given (at least 1), else one OS thread per core the machine offers. Seeds
/// are merged in seed order, so the count changes the wall time only, never a result.
pub(super) fn jobs(given: Option<usize>) -> Result<usize, UsageError> {
    match given {
        Some(jobs) => at_least_one("--jobs", jobs),
        None => Ok(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)),
    }
}

pub(super) fn scenarios(names: &[String]) -> Result<Vec<Arc<Scenario>>, UsageError> {
    if names.is_empty() {
        return Ok(catalogue::all()?);
    }
    names.iter().map(|name| catalogue::load(name).map_err(UsageError::from)).collect()
}

/// `--shard I/N`: the I-th of N equal, contiguous parts of each scenario's seed range
/// (numbered from 1). The N shards of a range are disjoint and together are the range.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Shard {
    /// 1-based.
    index: u64,
    count: u64,
}

impl Shard {
    /// Parses `I/N` with `1 <= I <= N`.
    fn parse(text: &str) -> Result<Shard, String> {
        let usage = || format!("`{text}` is not a shard: give I/N with 1 <= I <= N, e.g. 2/4");
        let (index, count) = text.split_once('/').ok_or_else(usage)?;
        let index: u64 = index.trim().parse().map_err(|_| usage())?;
        let count: u64 = count.trim().parse().map_err(|_| usage())?;
        if index == 0 || count == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }

    /// This shard's part of `seeds` seeds from `start`: its first seed and how many.
    pub(super) fn part(self, start: u64, seeds: u64) -> (u64, u64) {
        let bound = |i: u64| (u128::from(seeds) * u128::from(i) / u128::from(self.count)) as u64;
        let (from, to) = (bound(self.index - 1), bound(self.index));
        (start + from, to - from)
    }

    /// As typed: `I/N`.
    pub(super) fn describe(self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

pub(super) fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text)
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn the_shards_of_a_range_are_contiguous_disjoint_and_cover_it() {
        for count in 1..=7 {
            for seeds in 0..40 {
                let mut next = 5;
                for index in 1..=count {
                    let (start, length) = Shard { index, count }.part(5, seeds);
                    assert_eq!(start, next, "shard {index}/{count} of {seeds} starts where the last ended");
                    next = start + length;
                }
                assert_eq!(next, 5 + seeds, "the {count} shards of {seeds} seeds cover them");
            }
        }
    }

    #[test]
    fn shards_are_parsed_strictly() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "1", "a/b", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
