//! `plughost matrix`: every scenario against the pump design and every mutant, one verdict
//! per cell — which scenario catches which removed mechanism, and how fast.

use std::process::ExitCode;

use clap::Args;
use plughost_model::design::{Mutant, Variant};
use serde_json::json;

use super::{Selection, UsageError, scenarios, strategy};
use crate::explore::{Expectation, Exploration, explore};
use crate::verdict::Verdict;

#[derive(Args)]
pub(super) struct MatrixArgs {
    /// A catalogue scenario name or a path to a .toml file; repeatable; default: all.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// Seeds per cell (a mutant's cell stops at its first failure).
    #[arg(long, default_value_t = 500)]
    seeds: u64,
    /// OS threads to spread seeds over.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// One JSON object per cell instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    selection: Selection,
}

fn letter(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Deadlock => "D",
        Verdict::Livelock => "L",
        Verdict::Invariant => "I",
        Verdict::Panic => "P",
        Verdict::ServiceDied => "S",
    }
}

pub(super) fn matrix_command(args: MatrixArgs) -> Result<ExitCode, UsageError> {
    let scenarios = scenarios(&args.scenarios)?;
    let strategy = strategy(&args.selection)?;
    let variants: Vec<Option<Mutant>> =
        std::iter::once(None).chain(Mutant::ALL.into_iter().map(Some)).collect();
    if !args.json {
        say!("cells: pass, or the first failing verdict and its seed (D deadlock, L livelock, I invariant,");
        say!(
            "P panic, S service died); * marks a mutant the scenario claims; - not caught in {} seeds\n",
            args.seeds
        );
        let header: Vec<String> =
            variants.iter().enumerate().map(|(i, _)| format!("{:>8}", column(i))).collect();
        say!("{:<30}{}", "scenario", header.join(""));
    }
    let mut all_ok = true;
    for scenario in &scenarios {
        let mut cells = Vec::new();
        for &mutant in &variants {
            let variant = Variant { mutant, ..Variant::PUMP };
            let exploration = Exploration {
                scenario: scenario.clone(),
                variant,
                strategy,
                start_seed: 0,
                seeds: args.seeds,
                jobs: args.jobs,
                stop_at_first_failure: mutant.is_some(),
            };
            let summary = explore(&exploration);
            all_ok &= summary.meets_expectation();
            let claimed = matches!(summary.expected, Expectation::Catches(_));
            let cell = match (&summary.first_failure, mutant) {
                (None, None) => "pass".to_string(),
                (None, Some(_)) => "-".to_string(),
                (Some(failure), _) => format!("{}@{}", letter(failure.verdict), failure.seed),
            };
            if args.json {
                say!(
                    "{}",
                    json!({
                        "scenario": scenario.name,
                        "mutant": mutant.map(|m| m.name()),
                        "claimed": claimed,
                        "first_failure": summary.first_failure.as_ref().map(|f| json!({"seed": f.seed, "verdict": f.verdict.name()})),
                        "meets_expectation": summary.meets_expectation(),
                    })
                );
            }
            cells.push(format!("{:>8}", if claimed { format!("{cell}*") } else { cell }));
        }
        if !args.json {
            say!("{:<30}{}", scenario.name, cells.join(""));
        }
    }
    if !args.json {
        say!();
        for (i, mutant) in variants.iter().enumerate() {
            say!("{:>3}  {}", column(i), mutant.map_or("pump design, no mutant", |m| m.name()));
        }
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn column(index: usize) -> String {
    if index == 0 { "pump".to_string() } else { format!("m{index}") }
}
