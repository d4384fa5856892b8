//! `plughost matrix`: every scenario against every chosen design (and, on request, every
//! mutant on its home design), one verdict per cell, each checked against what the scenario
//! expects of it — which design passes where, and which scenario catches which removed
//! mechanism.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use plughost_model::design::{Design, Mutant, Variant};
use serde_json::json;

use super::designs_doc::{self, Row};
use super::junit::{Case, write_junit};
use super::progress::Progress;
use super::{Shard, StrategyArgs, UsageError, at_least_one, jobs, parse_shard, scenarios, strategy, style};
use crate::explore::{Expectation, Exploration, Summary, explore_with_progress};
use crate::scenario::Scenario;
use crate::verdict::Verdict;

#[derive(Args)]
pub(super) struct MatrixArgs {
    /// A catalogue scenario name or a path to a .toml file; repeatable; default: all.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// The designs, one column each: a design name, or `all`.
    #[arg(long, default_value = "pump")]
    design: String,
    /// Also one column per mutant of the chosen designs, each on its home design (a
    /// mutant's cell stops at its first failure).
    #[arg(long)]
    mutants: bool,
    /// Seeds per cell.
    #[arg(long, default_value_t = 500)]
    seeds: u64,
    /// OS threads to spread seeds over (default: the machine's cores). The verdicts and
    /// first failures do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only part I of N of each cell's seeds (contiguous; the N parts are the whole).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// JSON Lines: one JSON object per cell instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report (one test case per cell) to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write the table as Markdown to this file, with the reason and the replay command
    /// of every scenario whose designs differ (the project keeps it as docs/designs.md).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    #[command(flatten)]
    strategy: StrategyArgs,
}

/// One column: a design, or a mutant on its home design.
#[derive(Clone, Copy)]
pub(super) struct Column {
    pub(super) variant: Variant,
}

impl Column {
    /// Its header.
    pub(super) fn title(self) -> String {
        match self.variant.mutant {
            Some(mutant) => mutant.name().to_string(),
            None => self.variant.design.name().to_string(),
        }
    }
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

fn designs(text: &str) -> Result<Vec<Design>, UsageError> {
    if text == "all" {
        return Ok(Design::ALL.to_vec());
    }
    Design::parse(text).map(|design| vec![design]).ok_or_else(|| {
        UsageError(format!("unknown design `{text}` (a design name or `all`; see `plughost list`)"))
    })
}

fn columns(designs: &[Design], mutants: bool) -> Vec<Column> {
    let plain = designs.iter().map(|&design| Column { variant: Variant { design, mutant: None } });
    let mutated = Mutant::ALL
        .into_iter()
        .filter(|m| mutants && designs.contains(&m.home_design()))
        .map(|m| Column { variant: Variant { design: m.home_design(), mutant: Some(m) } });
    plain.chain(mutated).collect()
}

#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a cell's wall-clock time goes to the JUnit report and the summary line; it never feeds a simulation"
)]
pub(super) fn matrix_command(args: MatrixArgs) -> Result<ExitCode, UsageError> {
    let strategy = strategy(&args.strategy)?;
    at_least_one("--seeds", args.seeds)?;
    let jobs = jobs(args.jobs)?;
    if args.markdown.is_some() && args.shard.is_some() {
        return Err(UsageError("--markdown writes the whole table: it cannot take --shard".to_string()));
    }
    let scenarios = scenarios(&args.scenarios)?;
    let columns = columns(&designs(&args.design)?, args.mutants);
    let (start_seed, seeds) = args.shard.map_or((0, args.seeds), |shard| shard.part(0, args.seeds));
    // Each column wide enough for its widest cell (a letter, `@`, the last seed, `*`) and title.
    let widest_cell = 6.max(3 + (start_seed + seeds).to_string().len());
    let widths: Vec<usize> =
        (0..columns.len()).map(|i| 2 + short_title(&columns, i).len().max(widest_cell)).collect();
    let name_width = crate::report::name_width(scenarios.iter().map(|s| s.name.as_str()));
    if !args.json {
        say!("cells: pass; D deadlock, L livelock, I invariant, P panic, S service died, each with");
        say!("its first seed (`all` when every seed must end so); * a mutant the scenario claims;");
        say!("- a mutant not caught in {seeds} seeds\n");
        let header: String =
            (0..columns.len()).map(|i| format!("{:>w$}", short_title(&columns, i), w = widths[i])).collect();
        say!("{}", style::bold(&format!("{:<name_width$}{header}", "scenario")));
    }
    let started = std::time::Instant::now();
    let (mut all_ok, mut unexpected) = (true, 0usize);
    let mut cases = Vec::new();
    let mut rows = Vec::new();
    for scenario in &scenarios {
        let mut cells = String::new();
        let mut row = Row { scenario: scenario.clone(), cells: Vec::new() };
        for (&column, &width) in columns.iter().zip(&widths) {
            let exploration = Exploration {
                faults: scenario.faults,
                scenario: scenario.clone(),
                variant: column.variant,
                strategy,
                start_seed,
                seeds,
                jobs,
                stop_at_first_failure: column.variant.mutant.is_some(),
            };
            let label = format!("{} [{}]", scenario.name, column.title());
            let progress = Progress::new(seeds, &label);
            let cell_started = std::time::Instant::now();
            let summary = explore_with_progress(&exploration, &|seeds| progress.advance(seeds));
            progress.finish();
            let ok = summary.meets_expectation();
            all_ok &= ok;
            unexpected += usize::from(!ok);
            let cell = cell_text(&summary);
            cases.push(Case {
                name: label,
                seconds: cell_started.elapsed().as_secs_f64(),
                failure: (!ok).then(|| failure_text(scenario, &summary, seeds)),
            });
            if args.json {
                say!("{}", cell_json(scenario, column, &summary, args.shard));
            }
            let padded = format!("{cell:>width$}");
            cells.push_str(&if ok { padded } else { style::bad(&padded) });
            row.cells.push((column, summary));
        }
        if !args.json {
            say!("{:<name_width$}{cells}", scenario.name);
        }
        rows.push(row);
    }
    if !args.json {
        say!();
        for (i, column) in columns.iter().enumerate() {
            let title = short_title(&columns, i);
            match column.variant.mutant {
                Some(mutant) => say!("{title:>3}  {mutant} (on {})", column.variant.design),
                None => say!("{title:>13}  {}", column.variant.design.summary()),
            }
        }
        say!(
            "\n{} cells, {unexpected} unexpected, {:.1} s",
            scenarios.len() * columns.len(),
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(path) = &args.markdown {
        let text = designs_doc::render(&rows, seeds, &strategy.arguments());
        std::fs::write(path, text)
            .map_err(|e| UsageError(format!("cannot write the Markdown table to {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.junit {
        write_junit(path, "plughost matrix", &cases)?;
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A column's header in the terminal: the design's name, or `m1`, `m2`, … for mutants.
fn short_title(columns: &[Column], index: usize) -> String {
    match columns[index].variant.mutant {
        None => columns[index].title(),
        Some(_) => format!("m{}", 1 + index - columns.iter().filter(|c| c.variant.mutant.is_none()).count()),
    }
}

/// A cell: `pass`, a verdict every seed must end with (`D all`), or the first seed that
/// ended otherwise than passing (`D@173`), starred when the scenario claims the mutant.
fn cell_text(summary: &Summary) -> String {
    let claimed = matches!(summary.expected, Expectation::Catches(..));
    let cell = match (&summary.first_failure, summary.expected, summary.variant.mutant) {
        (None, Expectation::Every(Verdict::Pass), _) => "pass".to_string(),
        (None, Expectation::Every(verdict), _) => format!("{} all", letter(verdict)),
        (None, _, Some(_)) => "-".to_string(),
        (None, _, None) => "pass".to_string(),
        (Some(failure), _, _) => format!("{}@{}", letter(failure.verdict), failure.seed),
    };
    if claimed { format!("{cell}*") } else { cell }
}

fn failure_text(scenario: &Scenario, summary: &Summary, seeds: u64) -> String {
    crate::report::failure_report(summary).unwrap_or_else(|| match summary.expected {
        Expectation::Finds(_) => format!("\n{}: no seed of {seeds} found the design's defect", scenario.name),
        _ => format!("\n{} claims this mutant but no seed of {seeds} caught it", scenario.name),
    })
}

/// One cell of `--json`.
fn cell_json(
    scenario: &Scenario,
    column: Column,
    summary: &Summary,
    shard: Option<Shard>,
) -> serde_json::Value {
    json!({
        "scenario": scenario.name,
        "design": column.variant.design.name(),
        "mutant": column.variant.mutant.map(|m| m.name()),
        "claimed": matches!(summary.expected, Expectation::Catches(..)),
        "expected": summary.expected.describe(),
        "start_seed": summary.start_seed,
        "seeds_run": summary.seeds_run,
        "verdicts": summary.verdicts.to_json(),
        "shard": shard.map(Shard::describe),
        "first_failure": summary.first_failure.as_ref().map(|f| json!({
            "seed": f.seed,
            "verdict": f.verdict.name(),
            "replay": summary.replay_command(f.seed),
        })),
        "meets_expectation": summary.meets_expectation(),
    })
}
