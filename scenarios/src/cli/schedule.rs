//! The schedule `replay` and `shrink` start from: a scenario, a variant, and a seed or a
//! decision-list file (whose header must match the run: `crate::decisions`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use plughost_model::design::Variant;
use plughost_sim::faults::FaultBudget;
use plughost_sim::{Decision, Ends, StrategySpec};

use super::{Selection, UsageError, faults, strategy, variant};
use crate::catalogue;
use crate::command::shell_word;
use crate::decisions::{DecisionFile, Header};
use crate::explore::{StrategyFamily, fault_arguments, seed_command, variant_arguments};
use crate::scenario::Scenario;

#[derive(Args)]
pub(super) struct Schedule {
    /// A catalogue scenario name or a path to a .toml file.
    #[arg(long)]
    pub(super) scenario: String,
    /// The seed.
    #[arg(long, conflicts_with = "decisions", required_unless_present = "decisions")]
    pub(super) seed: Option<u64>,
    /// A decision-list file, as `--save-decisions` writes it (its header must match the run).
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
    /// Where the run ends (a shrunk list's header may say: at the first violation).
    pub(super) ends: Ends,
    /// The faults the run may inject.
    pub(super) faults: FaultBudget,
    /// What made the schedule, for the header of a list saved from it.
    pub(super) origin: String,
    /// The `plughost replay` command that runs this schedule again.
    pub(super) replay: String,
}

impl Schedule {
    pub(super) fn resolve(&self) -> Result<Resolved, UsageError> {
        let variant = variant(&self.selection.variant)?;
        let scenario = catalogue::load(&self.scenario)?;
        let family = strategy(&self.selection.strategy)?.resolved(&scenario, variant);
        let faults = faults(&self.selection.strategy, &scenario)?;
        let (strategy, ends, origin, replay) = match (self.seed, &self.decisions) {
            (Some(seed), _) => (
                seeded(&scenario, variant, faults, family, seed)?,
                Ends::Completion,
                {
                    let own = family.of_seed(seed);
                    format!("{}{} --seed {seed}", own.name(), own.arguments_after_name())
                },
                seed_command("replay", &scenario.source, variant, family, seed)
                    + &fault_arguments(&scenario, faults),
            ),
            (None, Some(path)) => {
                let file = read_decisions(path, &scenario, variant, faults)?;
                let replay = replay_decisions_command(&scenario, variant, faults, path);
                let strategy = StrategySpec::Replay { decisions: file.decisions };
                (strategy, file.header.ends, file.header.strategy, replay)
            }
            (None, None) => return Err(UsageError("give --seed or --decisions".to_string())),
        };
        Ok(Resolved { scenario, variant, strategy, ends, faults, origin, replay })
    }
}

/// The strategy of seed `seed`: for a search, the decisions of its run number `seed`.
fn seeded(
    scenario: &Arc<Scenario>,
    variant: Variant,
    faults: FaultBudget,
    family: StrategyFamily,
    seed: u64,
) -> Result<StrategySpec, UsageError> {
    match family {
        StrategyFamily::Dfs(config) => {
            let decisions =
                crate::search::nth_schedule(scenario, variant, faults, config, seed).map_err(UsageError)?;
            Ok(StrategySpec::Replay { decisions })
        }
        _ => Ok(family.spec(seed)),
    }
}

/// The command that replays the decision list in `path`.
pub(super) fn replay_decisions_command(
    scenario: &Scenario,
    variant: Variant,
    faults: FaultBudget,
    path: &Path,
) -> String {
    format!(
        "plughost replay --scenario {} --decisions {}{}{}",
        shell_word(&scenario.source),
        shell_word(&path.display().to_string()),
        variant_arguments(variant),
        fault_arguments(scenario, faults)
    )
}

/// The header a list of a run of `scenario` under `variant` with `faults`, ending at
/// `ends`, made by `origin`, carries.
pub(super) fn header(
    scenario: &Scenario,
    variant: Variant,
    faults: FaultBudget,
    origin: &str,
    ends: Ends,
) -> Header {
    Header::for_run(scenario, variant, origin, &faults.describe(), ends)
}

/// Reads a decision-list file and checks its header against the run about to replay it.
pub(super) fn read_decisions(
    path: &Path,
    scenario: &Scenario,
    variant: Variant,
    faults: FaultBudget,
) -> Result<DecisionFile, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let file = DecisionFile::parse(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if let Some(mismatch) = file.header.mismatch(&header(scenario, variant, faults, "", Ends::Completion)) {
        return Err(UsageError(format!("{}: {mismatch}", path.display())));
    }
    Ok(file)
}

/// Writes a decision list with its header.
pub(super) fn write_decisions(
    path: &Path,
    scenario: &Scenario,
    variant: Variant,
    faults: FaultBudget,
    origin: &str,
    ends: Ends,
    decisions: &[Decision],
) -> Result<(), UsageError> {
    let header = header(scenario, variant, faults, origin, ends);
    let file = DecisionFile { header, decisions: decisions.to_vec() };
    let text = file.to_text(&replay_decisions_command(scenario, variant, faults, path));
    std::fs::write(path, text).map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}
