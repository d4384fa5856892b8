//! `plughost matrix`: every scenario against the pump design and every mutant, one verdict
//! per cell — which scenario catches which removed mechanism, and how fast.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use plughost_model::design::{Mutant, Variant};
use serde_json::json;

use super::junit::{Case, write_junit};
use super::progress::Progress;
use super::{Shard, StrategyArgs, UsageError, at_least_one, parse_shard, scenarios, strategy, style};
use crate::explore::{Expectation, Exploration, explore_with_progress};
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
    /// Run only part I of N of each cell's seeds (contiguous; the N parts are the whole).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// JSON Lines: one JSON object per cell instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report (one test case per cell) to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    strategy: StrategyArgs,
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

#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a cell's wall-clock time goes to the JUnit report; it never feeds a simulation"
)]
pub(super) fn matrix_command(args: MatrixArgs) -> Result<ExitCode, UsageError> {
    let strategy = strategy(&args.strategy)?;
    at_least_one("--seeds", args.seeds)?;
    let jobs = at_least_one("--jobs", args.jobs)?;
    let scenarios = scenarios(&args.scenarios)?;
    let (start_seed, seeds) = args.shard.map_or((0, args.seeds), |shard| shard.part(0, args.seeds));
    let variants: Vec<Option<Mutant>> =
        std::iter::once(None).chain(Mutant::ALL.into_iter().map(Some)).collect();
    // Wide enough for the widest cell: a letter, `@`, the last seed, and `*`.
    let cell_width = 8.max(4 + (start_seed + seeds).to_string().len());
    let name_width = crate::report::name_width(scenarios.iter().map(|s| s.name.as_str()));
    if !args.json {
        say!("cells: pass, or the first failing verdict and its seed (D deadlock, L livelock, I invariant,");
        say!(
            "P panic, S service died); * marks a mutant the scenario claims; - not caught in {} seeds\n",
            seeds
        );
        let header: String = (0..variants.len()).map(|i| format!("{:>cell_width$}", column(i))).collect();
        say!("{}", style::bold(&format!("{:<name_width$}{header}", "scenario")));
    }
    let mut all_ok = true;
    let mut cases = Vec::new();
    for scenario in &scenarios {
        let mut cells = String::new();
        for &mutant in &variants {
            let variant = Variant { mutant, ..Variant::PUMP };
            let exploration = Exploration {
                faults: scenario.faults,
                scenario: scenario.clone(),
                variant,
                strategy,
                start_seed,
                seeds,
                jobs,
                stop_at_first_failure: mutant.is_some(),
            };
            let label = crate::report::row_label(&scenario.name, variant);
            let progress = Progress::new(seeds, &label);
            let started = std::time::Instant::now();
            let summary = explore_with_progress(&exploration, &|| progress.tick());
            progress.finish();
            let ok = summary.meets_expectation();
            all_ok &= ok;
            let claimed = matches!(summary.expected, Expectation::Catches(..));
            let cell = match (&summary.first_failure, mutant) {
                (None, None) => "pass".to_string(),
                (None, Some(_)) => "-".to_string(),
                (Some(failure), _) => format!("{}@{}", letter(failure.verdict), failure.seed),
            };
            let cell = if claimed { format!("{cell}*") } else { cell };
            cases.push(Case {
                name: label,
                seconds: started.elapsed().as_secs_f64(),
                failure: (!ok).then(|| {
                    crate::report::failure_report(&summary).unwrap_or_else(|| {
                        format!("\n{} claims this mutant but no seed of {seeds} caught it", scenario.name)
                    })
                }),
            });
            if args.json {
                say!("{}", cell_json(scenario, mutant, claimed, &summary, args.shard));
            }
            let padded = format!("{cell:>cell_width$}");
            cells.push_str(&if ok { padded } else { style::bad(&padded) });
        }
        if !args.json {
            say!("{:<name_width$}{cells}", scenario.name);
        }
    }
    if !args.json {
        say!();
        for (i, mutant) in variants.iter().enumerate() {
            say!("{:>3}  {}", column(i), mutant.map_or("pump design, no mutant", |m| m.name()));
        }
    }
    if let Some(path) = &args.junit {
        write_junit(path, "plughost matrix", &cases)?;
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// One cell of `--json`.
fn cell_json(
    scenario: &crate::scenario::Scenario,
    mutant: Option<Mutant>,
    claimed: bool,
    summary: &crate::explore::Summary,
    shard: Option<Shard>,
) -> serde_json::Value {
    json!({
        "scenario": scenario.name,
        "mutant": mutant.map(|m| m.name()),
        "claimed": claimed,
        "start_seed": summary.start_seed,
        "seeds_run": summary.seeds_run,
        "shard": shard.map(Shard::describe),
        "first_failure": summary.first_failure.as_ref().map(|f| json!({
            "seed": f.seed,
            "verdict": f.verdict.name(),
            "replay": summary.replay_command(f.seed),
        })),
        "meets_expectation": summary.meets_expectation(),
    })
}

fn column(index: usize) -> String {
    if index == 0 { "pump".to_string() } else { format!("m{index}") }
}
