//! The `plughost` command line (DESIGN §7): `explore` (the default), `replay`, `shrink`,
//! `matrix`, `list`, and `real` (the same scenarios on OS threads and real host processes).
//!
//! Owns argument parsing; each command lives in its own module. Wall-clock figures are
//! measured here, never inside a simulation. Exit status: 0 when every result is what the
//! scenarios expect, 1 when one is not, 2 when the input is unusable.

#[macro_use]
mod output;

mod explore;
mod list;
mod matrix;
mod real;
mod replay;
mod schedule;
mod shrink;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use plughost_model::design::{Design, Mutant, Variant};

use crate::catalogue;
use crate::explore::StrategyFamily;
use crate::scenario::Scenario;
use explore::{ExploreArgs, explore_command};
use list::{ListArgs, list_command};
use matrix::{MatrixArgs, matrix_command};
use real::{RealArgs, real_command};
use replay::{ReplayArgs, replay_command_line};
use shrink::{ShrinkArgs, shrink_command};

#[derive(Parser)]
#[command(name = "plughost", version, about = "Deterministic simulation of WSL's out-of-process plugin host")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run many seeds of scenarios and tally verdicts (the default command).
    Explore(ExploreArgs),
    /// Re-run one schedule, from a seed or a decision list, and print its trace.
    Replay(ReplayArgs),
    /// Shrink a failing schedule to the shortest one that fails the same way.
    Shrink(ShrinkArgs),
    /// Every scenario against the design and every mutant: a verdict per cell.
    Matrix(MatrixArgs),
    /// List scenarios, designs, mutants (with the scenarios that catch them) and strategies.
    List(ListArgs),
    /// Run scenarios end to end on OS threads and real plugin-host processes.
    Real(RealArgs),
    /// Be a plugin host process (started by `real`; not for people).
    #[command(hide = true)]
    Host {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Args)]
pub(super) struct Selection {
    /// Service design.
    #[arg(long, default_value = "pump")]
    design: String,
    /// Remove one safety mechanism (see `plughost list`).
    #[arg(long)]
    mutant: Option<String>,
    /// Scheduling strategy: `random`, or `pct` (probabilistic concurrency testing).
    #[arg(long, default_value = "random")]
    strategy: String,
    /// PCT: the bug depth (`depth - 1` priority change points).
    #[arg(long, default_value_t = 3)]
    depth: u32,
    /// PCT: change points fall within this many choice points.
    #[arg(long, default_value_t = 1000)]
    horizon: u64,
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
    plughost_sim::install_quiet_panic_hook();
    let cli = Cli::parse();
    // No command means `explore` with every default (clap applies the defaults).
    let command = cli.command.unwrap_or_else(|| {
        Cli::parse_from(["plughost", "explore"]).command.expect("`explore` parses without arguments")
    });
    let result = match command {
        Command::Explore(args) => explore_command(args),
        Command::Replay(args) => replay_command_line(args),
        Command::Shrink(args) => shrink_command(args),
        Command::Matrix(args) => matrix_command(args),
        Command::List(args) => list_command(args),
        Command::Real(args) => real_command(args),
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

pub(super) fn variant(selection: &Selection) -> Result<Variant, UsageError> {
    let design = Design::parse(&selection.design)
        .ok_or_else(|| UsageError(format!("unknown design `{}` (see `plughost list`)", selection.design)))?;
    let mutant = match &selection.mutant {
        None => None,
        Some(name) => Some(
            Mutant::parse(name)
                .ok_or_else(|| UsageError(format!("unknown mutant `{name}` (see `plughost list`)")))?,
        ),
    };
    Ok(Variant { design, mutant })
}

pub(super) fn strategy(selection: &Selection) -> Result<StrategyFamily, UsageError> {
    match selection.strategy.as_str() {
        "random" => Ok(StrategyFamily::Random),
        "pct" if selection.depth >= 1 && selection.horizon >= 1 => {
            Ok(StrategyFamily::Pct { depth: selection.depth, horizon: selection.horizon })
        }
        "pct" => Err(UsageError("--depth and --horizon are at least 1".to_string())),
        other => Err(UsageError(format!("unknown strategy `{other}` (available: random, pct)"))),
    }
}

pub(super) fn scenarios(names: &[String]) -> Result<Vec<Arc<Scenario>>, UsageError> {
    if names.is_empty() {
        return Ok(catalogue::all()?);
    }
    names.iter().map(|name| catalogue::load(name).map_err(UsageError::from)).collect()
}
