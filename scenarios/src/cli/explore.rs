//! `plughost explore`: many seeds of scenarios in the simulator, tallied, with throughput.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

use super::{Selection, UsageError, scenarios, strategy, variant};
use crate::explore::{Exploration, Summary, explore_with_progress};
use crate::report::{self, Measured};

#[derive(Args)]
pub(super) struct ExploreArgs {
    /// A catalogue scenario name or a path to a .toml file; repeatable; default: all.
    #[arg(long = "scenario")]
    pub(super) scenarios: Vec<String>,
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

#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "throughput is wall-clock by definition; it never feeds a simulation"
)]
pub(super) fn explore_command(args: ExploreArgs) -> Result<ExitCode, UsageError> {
    let variant = variant(&args.selection)?;
    let strategy = strategy(&args.selection)?;
    let scenarios = scenarios(&args.scenarios)?;
    if !args.json {
        say!("{}", report::table_header());
    }
    let mut all_ok = true;
    let mut failures = Vec::new();
    for scenario in scenarios {
        let exploration = Exploration {
            seeds: args.seeds.unwrap_or(scenario.explore.seeds),
            scenario,
            variant,
            strategy,
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
            say!("{}", report::json(&measured));
        } else {
            say!("{}", report::table_row(&measured));
        }
        if !args.json
            && let Some(text) = report::failure_report(&summary)
        {
            failures.push(text);
        }
    }
    for text in failures {
        say!("\n{text}");
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
