//! `plughost explore`: many seeds of scenarios in the simulator, tallied, with throughput.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::junit::{Case, write_junit};
use super::progress::Progress;
use super::{
    Selection, Shard, UsageError, at_least_one, faults, jobs, parse_shard, scenarios, strategy, style,
    variant,
};
use crate::explore::{Exploration, StrategyFamily, Summary, explore_with_coverage, explore_with_progress};
use crate::report::{self, Measured};

#[derive(Args)]
pub(super) struct ExploreArgs {
    /// A catalogue scenario name or a path to a .toml file; repeatable; default: all.
    #[arg(long = "scenario")]
    pub(super) scenarios: Vec<String>,
    #[command(flatten)]
    selection: Selection,
    /// Seeds per scenario (default: each scenario's own); for `--strategy dfs`, most runs
    /// of the search (default: until it is exhausted).
    #[arg(long)]
    seeds: Option<u64>,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    start_seed: u64,
    /// OS threads to spread seeds over (default: the machine's cores). The verdicts and
    /// first failures do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only part I of N of each scenario's seeds (contiguous; the N parts are the whole).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Stop each scenario at its first failing seed.
    #[arg(long)]
    stop_on_failure: bool,
    /// JSON Lines: one JSON object per scenario instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report (one test case per scenario) to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Report which (hook × callback × routing path × pump state × fault) combinations the
    /// seeds (or a search's schedules) reached, and which of that grid none reached.
    #[arg(long)]
    coverage: bool,
}

#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "throughput is wall-clock by definition; it never feeds a simulation"
)]
pub(super) fn explore_command(args: ExploreArgs) -> Result<ExitCode, UsageError> {
    let variant = variant(&args.selection.variant)?;
    let strategy = strategy(&args.selection.strategy)?;
    let seeds = args.seeds.map(|n| at_least_one("--seeds", n)).transpose()?;
    let jobs = jobs(args.jobs)?;
    let scenarios = scenarios(&args.scenarios)?;
    let searching = matches!(strategy, StrategyFamily::Dfs(_));
    if searching && (args.shard.is_some() || args.start_seed != 0) {
        return Err(UsageError(
            "a search (--strategy dfs) has no seed range: no --shard or --start-seed".into(),
        ));
    }
    let width = report::name_width(
        scenarios
            .iter()
            .map(|s| report::row_label(&s.name, variant))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    if !args.json {
        say!("{}", style::bold(&report::table_header(width)));
    }
    let mut all_ok = true;
    let mut failures = Vec::new();
    let mut cases = Vec::new();
    for scenario in scenarios {
        let default_seeds = if searching { u64::MAX } else { scenario.explore.seeds };
        let all_seeds = seeds.unwrap_or(default_seeds);
        let (start_seed, seeds) = match args.shard {
            Some(shard) => shard.part(args.start_seed, all_seeds),
            None => (args.start_seed, all_seeds),
        };
        let exploration = Exploration {
            faults: faults(&args.selection.strategy, &scenario)?,
            seeds,
            scenario,
            variant,
            strategy,
            start_seed,
            jobs,
            stop_at_first_failure: args.stop_on_failure,
        };
        let started = std::time::Instant::now();
        let summary = run_with_progress(&exploration, args.coverage);
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        let measured = Measured { summary: &summary, schedules_per_sec: summary.seeds_run as f64 / seconds };
        all_ok &= summary.meets_expectation();
        if args.json {
            let mut value = report::json(&measured);
            value["shard"] = args.shard.map(Shard::describe).into();
            if let Some(coverage) = &summary.coverage {
                value["coverage"] = coverage.to_json();
            }
            say!("{value}");
        } else {
            say!("{}", style::result_row(&report::table_row(&measured, width)));
            if let Some(line) = report::search_line(&summary, seconds) {
                say!("{line}");
            }
            if let Some(line) = report::faults_line(&summary) {
                say!("{line}");
            }
            if let Some(coverage) = &summary.coverage {
                say!("{}", coverage.to_text());
            }
        }
        let report = report::failure_report(&summary);
        cases.push(Case {
            name: report::row_name(&summary),
            seconds,
            failure: (!summary.meets_expectation()).then(|| report.clone().unwrap_or_default()),
        });
        if !args.json
            && let Some(text) = report
        {
            failures.push(text);
        }
    }
    for text in failures {
        say!("\n{text}");
    }
    if let Some(path) = &args.junit {
        write_junit(path, "plughost explore", &cases)?;
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Explores, drawing a progress bar on stderr when it is a terminal.
fn run_with_progress(exploration: &Exploration, coverage: bool) -> Summary {
    let progress = match exploration.strategy {
        StrategyFamily::Dfs(_) => Progress::counter(&exploration.scenario.name),
        _ => Progress::new(exploration.seeds, &exploration.scenario.name),
    };
    let summary = if coverage {
        explore_with_coverage(exploration, &|seeds| progress.advance(seeds))
    } else {
        explore_with_progress(exploration, &|seeds| progress.advance(seeds))
    };
    progress.finish();
    summary
}
