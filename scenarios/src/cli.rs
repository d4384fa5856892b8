//! The `plughost` command line (DESIGN §7): `explore` (the default), `replay`, `list`.
//!
//! Owns argument parsing, wall-clock throughput figures and output; everything it reports
//! comes from `explore`, `runner` and `report`. Exit status: 0 when every result is what the
//! scenarios expect, 1 when one is not, 2 when the input is unusable.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::{Args, Parser, Subcommand};
use plughost_model::design::{Design, Mutant, Variant};
use plughost_sim::StrategySpec;
use serde_json::json;

use crate::catalogue;
use crate::explore::{Expectation, Exploration, Summary, explore_with_progress, replay_command};
use crate::report::{self, Measured};
use crate::runner::run_sim;
use crate::scenario::Scenario;

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
    /// List scenarios, designs, mutants (with the scenarios that catch them) and strategies.
    List(ListArgs),
}

#[derive(Args)]
struct Selection {
    /// Service design.
    #[arg(long, default_value = "pump")]
    design: String,
    /// Remove one safety mechanism (see `plughost list`).
    #[arg(long)]
    mutant: Option<String>,
    /// Scheduling strategy.
    #[arg(long, default_value = "random")]
    strategy: String,
}

#[derive(Args)]
struct ExploreArgs {
    /// A catalogue scenario name or a path to a .toml file; repeatable; default: all.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    #[command(flatten)]
    selection: Selection,
    /// Seeds per scenario (default: each scenario's own).
    #[arg(long)]
    seeds: Option<u64>,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    start_seed: u64,
    /// OS threads to spread seeds over.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Stop each scenario at its first failing seed.
    #[arg(long)]
    stop_on_failure: bool,
    /// One JSON object per scenario instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ReplayArgs {
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

#[derive(Args)]
struct ListArgs {
    /// JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// A problem with the command line or its inputs.
struct UsageError(String);

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
        Command::List(args) => list_command(args),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("plughost: {message}");
            ExitCode::from(2)
        }
    }
}

fn variant(selection: &Selection) -> Result<Variant, UsageError> {
    let design = Design::parse(&selection.design)
        .ok_or_else(|| UsageError(format!("unknown design `{}` (see `plughost list`)", selection.design)))?;
    let mutant = match &selection.mutant {
        None => None,
        Some(name) => Some(
            Mutant::parse(name)
                .ok_or_else(|| UsageError(format!("unknown mutant `{name}` (see `plughost list`)")))?,
        ),
    };
    if selection.strategy != "random" {
        return Err(UsageError(format!("unknown strategy `{}` (available: random)", selection.strategy)));
    }
    Ok(Variant { design, mutant })
}

fn scenarios(names: &[String]) -> Result<Vec<Arc<Scenario>>, UsageError> {
    if names.is_empty() {
        return Ok(catalogue::all()?);
    }
    names.iter().map(|name| catalogue::load(name).map_err(UsageError::from)).collect()
}

#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "throughput is wall-clock by definition; it never feeds a simulation"
)]
fn explore_command(args: ExploreArgs) -> Result<ExitCode, UsageError> {
    let variant = variant(&args.selection)?;
    let scenarios = scenarios(&args.scenarios)?;
    if !args.json {
        println!("{}", report::table_header());
    }
    let mut all_ok = true;
    let mut failures = Vec::new();
    for scenario in scenarios {
        let exploration = Exploration {
            seeds: args.seeds.unwrap_or(scenario.explore.seeds),
            scenario,
            variant,
            start_seed: args.start_seed,
            jobs: args.jobs,
            stop_at_first_failure: args.stop_on_failure,
        };
        let started = std::time::Instant::now();
        let summary = run_with_progress(&exploration);
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        let measured = Measured { summary: &summary, schedules_per_sec: summary.seeds_run as f64 / seconds };
        all_ok &= summary.meets_expectation();
        if args.json {
            println!("{}", report::json(&measured));
        } else {
            println!("{}", report::table_row(&measured));
        }
        if !args.json
            && let Some(text) = report::failure_report(&summary)
        {
            failures.push(text);
        }
    }
    for text in failures {
        println!("\n{text}");
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Explores, drawing a progress bar on stderr when it is a terminal.
fn run_with_progress(exploration: &Exploration) -> Summary {
    let terminal = std::io::stderr().is_terminal();
    let done = AtomicU64::new(0);
    let total = exploration.seeds.max(1);
    let name = exploration.scenario.name.clone();
    let draw = || {
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if terminal && (finished.is_multiple_of(25) || finished == total) {
            let filled = (finished * 30 / total) as usize;
            eprint!("\r{name:<30} [{:<30}] {finished}/{total}", "#".repeat(filled));
            let _ = std::io::stderr().flush();
        }
    };
    let summary = explore_with_progress(exploration, &draw);
    if terminal {
        eprint!("\r{:<80}\r", "");
    }
    summary
}

fn replay_command_line(args: ReplayArgs) -> Result<ExitCode, UsageError> {
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
            println!("{command}");
            print!("{trace}");
            println!("verdict: {} (expected: {})", run.verdict, expected.describe());
            for line in &run.details {
                println!("  {line}");
            }
            println!(
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
            println!("{value}");
        }
        other => return Err(UsageError(format!("unknown format `{other}` (text or json)"))),
    }
    let as_expected = match expected {
        Expectation::Every(verdict) => run.verdict == verdict,
        Expectation::Catches(_) | Expectation::Nothing => true,
    };
    Ok(if as_expected { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn read_decisions(path: &PathBuf) -> Result<Vec<u32>, UsageError> {
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

fn list_command(args: ListArgs) -> Result<ExitCode, UsageError> {
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
            "mutants": Mutant::ALL.iter().map(|m| json!({"name": m.name(), "summary": m.summary(), "caught_by": catchers(*m)})).collect::<Vec<_>>(),
            "strategies": [{"name": "random", "summary": "uniform over runnable threads and letting the clock run, seeded ChaCha8"}],
        });
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("scenarios:");
    for scenario in &scenarios {
        println!("  {:<30} {}", scenario.name, scenario.description);
    }
    println!("\ndesigns:");
    for design in Design::ALL {
        println!("  {:<30} {}", design.name(), design.summary());
    }
    println!("\nmutants (and the scenarios that catch them):");
    let mut uncaught = false;
    for mutant in Mutant::ALL {
        let caught_by = catchers(mutant);
        uncaught |= caught_by.is_empty();
        let by = if caught_by.is_empty() {
            "NOT CAUGHT by any scenario".to_string()
        } else {
            caught_by.join(", ")
        };
        println!("  {:<30} {}\n  {:<30} caught by: {by}", mutant.name(), mutant.summary(), "");
    }
    println!(
        "\nstrategies:\n  {:<30} uniform over runnable threads and letting the clock run, seeded ChaCha8",
        "random"
    );
    Ok(if uncaught { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
