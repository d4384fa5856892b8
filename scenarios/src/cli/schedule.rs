//! The schedule `replay` and `shrink` start from: a scenario, a variant, and a seed or a
//! decision list file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use plughost_model::design::Variant;
use plughost_sim::StrategySpec;

use super::{Selection, UsageError, strategy, variant};
use crate::catalogue;
use crate::command::shell_word;
use crate::explore::{seed_command, variant_arguments};
use crate::scenario::Scenario;

#[derive(Args)]
pub(super) struct Schedule {
    /// A catalogue scenario name or a path to a .toml file.
    #[arg(long)]
    pub(super) scenario: String,
    /// The seed.
    #[arg(long, conflicts_with = "decisions", required_unless_present = "decisions")]
    pub(super) seed: Option<u64>,
    /// A decision list file (numbers separated by spaces, commas or newlines).
    #[arg(long)]
    pub(super) decisions: Option<PathBuf>,
    #[command(flatten)]
    pub(super) selection: Selection,
}

/// A schedule resolved: what to run and how to decide it.
pub(super) struct Resolved {
    pub(super) scenario: Arc<Scenario>,
    pub(super) variant: Variant,
    pub(super) strategy: StrategySpec,
    /// The `plughost replay` command that runs this schedule again.
    pub(super) replay: String,
}

impl Schedule {
    pub(super) fn resolve(&self) -> Result<Resolved, UsageError> {
        let variant = variant(&self.selection.variant)?;
        let family = strategy(&self.selection.strategy)?;
        let scenario = catalogue::load(&self.scenario)?;
        let (strategy, replay) = match (self.seed, &self.decisions) {
            (Some(seed), _) => {
                (family.spec(seed), seed_command("replay", &scenario.source, variant, family, seed))
            }
            (None, Some(path)) => {
                let decisions = read_decisions(path)?;
                (
                    StrategySpec::Replay { decisions },
                    replay_decisions_command(&scenario.source, variant, path),
                )
            }
            (None, None) => return Err(UsageError("give --seed or --decisions".to_string())),
        };
        Ok(Resolved { scenario, variant, strategy, replay })
    }
}

/// The command that replays the decision list in `path`.
pub(super) fn replay_decisions_command(scenario: &str, variant: Variant, path: &Path) -> String {
    format!(
        "plughost replay --scenario {} --decisions {}{}",
        shell_word(scenario),
        shell_word(&path.display().to_string()),
        variant_arguments(variant)
    )
}

/// Reads a decision list file (see [`parse_decision_list`]).
pub(super) fn read_decisions(path: &Path) -> Result<Vec<u32>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    parse_decision_list(&text, &path.display().to_string()).map_err(UsageError)
}

/// Parses a decision list: non-negative numbers separated by spaces, commas, newlines or
/// brackets (so a JSON array reads too); `source` names it in errors.
pub fn parse_decision_list(text: &str, source: &str) -> Result<Vec<u32>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|token| !token.is_empty())
        .enumerate()
        .map(|(index, token)| {
            token.parse::<u32>().map_err(|_| {
                format!("{source}: decision {} is `{token}`, not a non-negative number", index + 1)
            })
        })
        .collect()
}

/// Writes a decision list as `read_decisions` reads it.
pub(super) fn write_decisions(path: &Path, decisions: &[u32]) -> Result<(), UsageError> {
    let text: Vec<String> = decisions.iter().map(u32::to_string).collect();
    std::fs::write(path, text.join(" ") + "\n")
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}
