//! `plughost replay`: one schedule, from a seed or a decision list, with its trace.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use plughost_sim::StrategySpec;
use serde_json::json;

use super::{Selection, UsageError, variant};
use crate::catalogue;
use crate::explore::{Expectation, replay_command};
use crate::runner::run_sim;

#[derive(Args)]
pub(super) struct ReplayArgs {
    /// A catalogue scenario name or a path to a .toml file.
    #[arg(long)]
    scenario: String,
    /// The seed to replay.
    #[arg(long, conflicts_with = "decisions", required_unless_present = "decisions")]
    seed: Option<u64>,
    /// A decision list file (numbers separated by spaces, commas or newlines).
    #[arg(long)]
    decisions: Option<PathBuf>,
    #[command(flatten)]
    selection: Selection,
    /// `text` (trace and verdict) or `json`.
    #[arg(long, default_value = "text")]
    format: String,
    /// Write the run's decision list to this file.
    #[arg(long)]
    save_decisions: Option<PathBuf>,
}

pub(super) fn replay_command_line(args: ReplayArgs) -> Result<ExitCode, UsageError> {
    let variant = variant(&args.selection)?;
    let scenario = catalogue::load(&args.scenario)?;
    let (strategy, command) = match (&args.seed, &args.decisions) {
        (Some(seed), _) => {
            (StrategySpec::Random { seed: *seed }, replay_command(&scenario.name, variant, *seed))
        }
        (None, Some(path)) => {
            let decisions = read_decisions(path)?;
            let mut command =
                format!("plughost replay --scenario {} --decisions {}", args.scenario, path.display());
            if let Some(mutant) = variant.mutant {
                command.push_str(&format!(" --mutant {mutant}"));
            }
            (StrategySpec::Replay { decisions }, command)
        }
        (None, None) => return Err(UsageError("give --seed or --decisions".to_string())),
    };
    let run = run_sim(&scenario, variant, strategy, true);
    if let Some(path) = &args.save_decisions {
        let text: Vec<String> = run.decisions.iter().map(u32::to_string).collect();
        std::fs::write(path, text.join(" ") + "\n")
            .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    }
    let expected = Expectation::of(&scenario, variant);
    let trace = run.trace.clone().unwrap_or_default();
    match args.format.as_str() {
        "text" => {
            say!("{command}");
            say_raw!("{trace}");
            say!("verdict: {} (expected: {})", run.verdict, expected.describe());
            for line in &run.details {
                say!("  {line}");
            }
            say!(
                "{} decisions, {} choice points, {} virtual",
                run.decisions.len(),
                run.steps,
                plughost_sim::trace::duration(run.virtual_time)
            );
        }
        "json" => {
            let value = json!({
                "replay": command,
                "scenario": scenario.name,
                "design": variant.design.name(),
                "mutant": variant.mutant.map(|m| m.name()),
                "verdict": run.verdict.name(),
                "details": run.details,
                "decisions": run.decisions,
                "steps": run.steps,
                "virtual_time_ns": run.virtual_time.as_nanos() as u64,
                "trace": trace.lines().collect::<Vec<_>>(),
            });
            say!("{value}");
        }
        other => return Err(UsageError(format!("unknown format `{other}` (text or json)"))),
    }
    let as_expected = expected.allows(run.verdict);
    Ok(if as_expected { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub(super) fn read_decisions(path: &PathBuf) -> Result<Vec<u32>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|token| !token.is_empty())
        .enumerate()
        .map(|(index, token)| {
            token.parse::<u32>().map_err(|_| {
                UsageError(format!(
                    "{}: decision {} is `{token}`, not a non-negative number",
                    path.display(),
                    index + 1
                ))
            })
        })
        .collect()
}
