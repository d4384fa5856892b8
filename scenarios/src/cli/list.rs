//! `plughost list`: scenarios, designs, mutants (with the scenarios that catch them),
//! strategies.

use std::process::ExitCode;

use clap::Args;
use plughost_model::design::{Design, Mutant};
use serde_json::json;

use super::UsageError;
use crate::catalogue;
use crate::explore::StrategyFamily;

#[derive(Args)]
pub(super) struct ListArgs {
    /// JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(super) fn list_command(args: ListArgs) -> Result<ExitCode, UsageError> {
    let scenarios = catalogue::all()?;
    let catchers = |mutant: Mutant| -> Vec<String> {
        scenarios
            .iter()
            .filter_map(|s| {
                s.catches.iter().find(|(m, _)| *m == mutant).map(|(_, v)| format!("{} ({v})", s.name))
            })
            .collect()
    };
    if args.json {
        let value = json!({
            "scenarios": scenarios.iter().map(|s| json!({
                "name": s.name,
                "description": s.description,
                "spec": s.spec,
                "catches": s.catches.iter().map(|(m, v)| json!({"mutant": m.name(), "verdict": v.name()})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "designs": Design::ALL.iter().map(|d| json!({"name": d.name(), "summary": d.summary()})).collect::<Vec<_>>(),
            "mutants": Mutant::ALL.iter().map(|m| json!({"name": m.name(), "summary": m.summary(), "caught_by": caught_by_json(&scenarios, *m)})).collect::<Vec<_>>(),
            "strategies": StrategyFamily::SUMMARIES.iter().map(|(n, s)| json!({"name": n, "summary": s})).collect::<Vec<_>>(),
        });
        say!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    say!("scenarios:");
    for scenario in &scenarios {
        say!("  {:<30} {}", scenario.name, scenario.description);
    }
    say!("\ndesigns:");
    for design in Design::ALL {
        say!("  {:<30} {}", design.name(), design.summary());
    }
    say!("\nmutants (and the scenarios that catch them):");
    let mut uncaught = false;
    for mutant in Mutant::ALL {
        let caught_by = catchers(mutant);
        uncaught |= caught_by.is_empty();
        let by = if caught_by.is_empty() {
            "NOT CAUGHT by any scenario".to_string()
        } else {
            caught_by.join(", ")
        };
        say!("  {:<30} {}\n  {:<30} caught by: {by}", mutant.name(), mutant.summary(), "");
    }
    say!("\nstrategies:");
    for (name, summary) in StrategyFamily::SUMMARIES {
        say!("  {name:<30} {summary}");
    }
    Ok(if uncaught { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `[{"scenario": NAME, "verdict": VERDICT}, …]`: the scenarios that catch `mutant`.
fn caught_by_json(
    scenarios: &[std::sync::Arc<crate::scenario::Scenario>],
    mutant: Mutant,
) -> serde_json::Value {
    scenarios
        .iter()
        .filter_map(|s| {
            let (_, verdict) = s.catches.iter().find(|(m, _)| *m == mutant)?;
            Some(json!({"scenario": s.name, "verdict": verdict.name()}))
        })
        .collect()
}
