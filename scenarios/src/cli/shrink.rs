//! `plughost shrink`: a failing schedule, from a seed or a decision list, shrunk to one that
//! fails the same way with fewer faults, preemptions and decisions, with its trace and the
//! command that replays it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::UsageError;
use super::progress::Progress;
use super::schedule::{Resolved, Schedule, replay_decisions_command, write_decisions};
use crate::runner::{RunSpec, try_run};
use crate::shrink::shrink_with_progress;

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
    let Resolved { scenario, variant, strategy, ends, faults, origin, .. } = args.schedule.resolve()?;
    let spec = RunSpec { ends, ..RunSpec::new(variant, strategy).with_faults(faults).traced() };
    let original = try_run(&scenario, &spec)
        .map_err(|stop| UsageError(format!("the schedule does not fit this run: {stop}")))?;
    if !crate::explore::Expectation::of(&scenario, variant).is_failure(original.verdict) {
        return Err(UsageError(format!(
            "{} ends {} on that schedule, as expected: nothing to shrink",
            scenario.name, original.verdict
        )));
    }
    let progress = Progress::new(u64::from(args.budget), &format!("shrinking {}", scenario.name));
    let shrunk = shrink_with_progress(&scenario, variant, faults, &original, args.budget, &|runs| {
        progress.set(u64::from(runs));
    });
    progress.finish();
    let path =
        args.save_decisions.unwrap_or_else(|| PathBuf::from(format!("shrunk-{}.decisions", scenario.name)));
    let origin = format!("shrink of {origin}");
    write_decisions(&path, &scenario, variant, faults, &origin, shrunk.ends, &shrunk.run.decisions)?;
    let lines = |trace: &Option<String>| trace.as_deref().map_or(0, |t| t.lines().count());
    say!("{}", replay_decisions_command(&scenario, variant, faults, &path));
    say!(
        "shrunk in {} runs: trace {} -> {} lines, {} -> {} preemptions, {} -> {} faults, {} -> {} decisions that matter ({} -> {} choice points); verdict {}",
        shrunk.attempts,
        lines(&original.trace),
        lines(&shrunk.run.trace),
        shrunk.original.preemptions,
        shrunk.size.preemptions,
        shrunk.original.faults,
        shrunk.size.faults,
        shrunk.original.prefix,
        shrunk.size.prefix,
        shrunk.original.steps,
        shrunk.size.steps,
        shrunk.run.verdict
    );
    say_raw!("{}", shrunk.run.trace.unwrap_or_default());
    for line in &shrunk.run.details {
        say!("  {line}");
    }
    Ok(ExitCode::SUCCESS)
}
