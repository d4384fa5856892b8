//! `plughost shrink`: a failing schedule, from a seed or a decision list, shrunk to the
//! shortest one that fails the same way, with its trace and the command that replays it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use plughost_sim::StrategySpec;

use super::replay::read_decisions;
use super::{Selection, UsageError, variant};
use crate::catalogue;
use crate::runner::run_sim;
use crate::shrink::shrink;
use crate::verdict::Verdict;

#[derive(Args)]
pub(super) struct ShrinkArgs {
    /// A catalogue scenario name or a path to a .toml file.
    #[arg(long)]
    scenario: String,
    /// The failing seed.
    #[arg(long, conflicts_with = "decisions", required_unless_present = "decisions")]
    seed: Option<u64>,
    /// A failing decision list file.
    #[arg(long)]
    decisions: Option<PathBuf>,
    #[command(flatten)]
    selection: Selection,
    /// Most runs to try.
    #[arg(long, default_value_t = 5_000)]
    budget: u32,
    /// Write the shrunk decision list here (default: shrunk-<scenario>.decisions).
    #[arg(long)]
    save_decisions: Option<PathBuf>,
}

pub(super) fn shrink_command(args: ShrinkArgs) -> Result<ExitCode, UsageError> {
    let variant = variant(&args.selection)?;
    let scenario = catalogue::load(&args.scenario)?;
    let strategy = match (args.seed, &args.decisions) {
        (Some(seed), _) => StrategySpec::Random { seed },
        (None, Some(path)) => StrategySpec::Replay { decisions: read_decisions(path)? },
        (None, None) => return Err(UsageError("give --seed or --decisions".to_string())),
    };
    let original = run_sim(&scenario, variant, strategy, false);
    if original.verdict == Verdict::Pass {
        return Err(UsageError(format!("{} passes on that schedule: nothing to shrink", scenario.name)));
    }
    let shrunk = shrink(&scenario, variant, &original, args.budget);
    let path =
        args.save_decisions.unwrap_or_else(|| PathBuf::from(format!("shrunk-{}.decisions", scenario.name)));
    let text: Vec<String> = shrunk.decisions.iter().map(u32::to_string).collect();
    std::fs::write(&path, text.join(" ") + "\n")
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    let mut command = format!("plughost replay --scenario {} --decisions {}", args.scenario, path.display());
    if let Some(mutant) = variant.mutant {
        command.push_str(&format!(" --mutant {mutant}"));
    }
    say!("{command}");
    say!(
        "shrunk {} decisions ({} choice points) to {} ({} choice points) in {} runs; verdict {}",
        original.decisions.len(),
        original.steps,
        shrunk.decisions.len(),
        shrunk.run.steps,
        shrunk.attempts,
        shrunk.run.verdict
    );
    say_raw!("{}", shrunk.run.trace.unwrap_or_default());
    for line in &shrunk.run.details {
        say!("  {line}");
    }
    Ok(ExitCode::SUCCESS)
}
