//! `plughost shrink`: a failing schedule, from a seed or a decision list, shrunk to the
//! shortest one that fails the same way, with its trace and the command that replays it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::UsageError;
use super::progress::Progress;
use super::schedule::{Resolved, Schedule, replay_decisions_command, write_decisions};
use crate::runner::run_sim;
use crate::shrink::shrink_with_progress;
use crate::verdict::Verdict;

#[derive(Args)]
pub(super) struct ShrinkArgs {
    #[command(flatten)]
    schedule: Schedule,
    /// Most runs to try.
    #[arg(long, default_value_t = 5_000)]
    budget: u32,
    /// Write the shrunk decision list here (default: shrunk-<scenario>.decisions).
    #[arg(long)]
    save_decisions: Option<PathBuf>,
}

pub(super) fn shrink_command(args: ShrinkArgs) -> Result<ExitCode, UsageError> {
    let Resolved { scenario, variant, strategy, .. } = args.schedule.resolve()?;
    let original = run_sim(&scenario, variant, strategy, false);
    if original.verdict == Verdict::Pass {
        return Err(UsageError(format!("{} passes on that schedule: nothing to shrink", scenario.name)));
    }
    let progress = Progress::new(u64::from(args.budget), &format!("shrinking {}", scenario.name));
    let shrunk = shrink_with_progress(&scenario, variant, &original, args.budget, &|runs| {
        progress.set(u64::from(runs));
    });
    progress.finish();
    let path =
        args.save_decisions.unwrap_or_else(|| PathBuf::from(format!("shrunk-{}.decisions", scenario.name)));
    write_decisions(&path, &shrunk.decisions)?;
    say!("{}", replay_decisions_command(&scenario.source, variant, &path));
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
