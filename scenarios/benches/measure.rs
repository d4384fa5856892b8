//! `cargo bench -p plughost-scenarios --bench measure`: the figures quoted in the README,
//! measured in one run on this machine (one core, but for the `scaling` section).
//!
//! 1. every scenario on the pump design: seeds run, failures, schedules per second
//!    (10,000 seeds each; 20,000 for `pump_kernel`);
//! 2. every mutant against every scenario that claims it, under random, PCT (depth 3, the
//!    horizon of a pilot run), delay bounding (one delay, the horizon of a pilot run) and
//!    the portfolio of the three: the median, over 20 starting seeds
//!    spaced 100,000 apart, of seeds run until the first failure (at most 2,000);
//! 3. memory: peak RSS after 1,000 and after 100,000 seeds of `pump_kernel`;
//! 4. scaling: 100,000 seeds of `pump_kernel` under the portfolio with one job and with
//!    two, alternated three times so a busy machine slows both alike (the only section
//!    that uses more than one core).

use std::sync::Arc;

use plughost_model::design::{Mutant, Variant};
use plughost_scenarios::catalogue;
use plughost_scenarios::explore::{Exploration, StrategyFamily, explore};
use plughost_scenarios::memory::peak_rss_kib;
use plughost_scenarios::scenario::Scenario;

/// The allocator the `plughost` binary uses, so the figures are the binary's.
#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn exploration(
    scenario: &Arc<Scenario>,
    mutant: Option<Mutant>,
    strategy: StrategyFamily,
    start_seed: u64,
    seeds: u64,
    stop: bool,
) -> Exploration {
    Exploration {
        faults: scenario.faults,
        scenario: scenario.clone(),
        variant: Variant { mutant, ..Variant::PUMP },
        strategy,
        start_seed,
        seeds,
        jobs: 1,
        stop_at_first_failure: stop,
    }
}

#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a throughput figure is wall-clock time"
)]
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let started = std::time::Instant::now();
    let result = work();
    (result, started.elapsed().as_secs_f64().max(1e-9))
}

fn throughput(scenarios: &[Arc<Scenario>]) {
    println!("1. pump design, every scenario (one core)");
    println!("{:<30} {:>8} {:>9} {:>12}", "scenario", "seeds", "failures", "schedules/s");
    for scenario in scenarios {
        let seeds = if scenario.name == "pump_kernel" { 20_000 } else { 10_000 };
        let (summary, seconds) =
            timed(|| explore(&exploration(scenario, None, StrategyFamily::Random, 0, seeds, false)));
        let failures = summary.seeds_run - summary.verdicts.count(plughost_scenarios::verdict::Verdict::Pass);
        println!(
            "{:<30} {:>8} {:>9} {:>12.0}",
            scenario.name,
            summary.seeds_run,
            failures,
            summary.seeds_run as f64 / seconds
        );
    }
}

fn mutants(scenarios: &[Arc<Scenario>]) {
    println!("\n2. mutants: seeds to the first failure, over 20 starting seeds (limit 2,000)");
    println!(
        "{:<30} {:<26} {:<9} {:>7} {:>5} {:>5} {:>7}",
        "scenario", "mutant", "strategy", "median", "min", "max", "missed"
    );
    let strategies = [
        StrategyFamily::Random,
        StrategyFamily::Pct { depth: 3, horizon: None },
        StrategyFamily::Delay { delays: 1, horizon: None },
        StrategyFamily::COMMAND_LINE,
    ];
    for scenario in scenarios {
        for &(mutant, _) in &scenario.catches {
            for strategy in strategies {
                let (median, min, max, missed) = seeds_to_failure(scenario, mutant, strategy);
                println!(
                    "{:<30} {:<26} {:<9} {median:>7} {min:>5} {max:>5} {missed:>7}",
                    scenario.name,
                    mutant.name(),
                    strategy.name()
                );
            }
        }
    }
}

/// Median, least and most seeds to the first failure over 20 starts, and how many starts
/// found none within 2,000 seeds.
fn seeds_to_failure(
    scenario: &Arc<Scenario>,
    mutant: Mutant,
    strategy: StrategyFamily,
) -> (u64, u64, u64, u32) {
    let mut counts: Vec<u64> = Vec::new();
    let mut missed = 0;
    for start in (0..20).map(|k| k * 100_000) {
        let summary = explore(&exploration(scenario, Some(mutant), strategy, start, 2_000, true));
        match summary.first_failure {
            Some(failure) => counts.push(failure.seed - start + 1),
            None => missed += 1,
        }
    }
    counts.sort();
    let median = counts.get(counts.len() / 2).copied().unwrap_or(0);
    (median, counts.first().copied().unwrap_or(0), counts.last().copied().unwrap_or(0), missed)
}

fn memory(scenarios: &[Arc<Scenario>]) {
    let kernel = pump_kernel(scenarios);
    println!("\n3. memory: pump_kernel, peak RSS (KiB)");
    let mut start = 0;
    for seeds in [1_000, 100_000] {
        let summary = explore(&exploration(kernel, None, StrategyFamily::Random, start, seeds, false));
        start += seeds;
        let rss = peak_rss_kib().map_or("unknown".to_string(), |kib| kib.to_string());
        println!("after {:>7} more seeds: {rss}", summary.seeds_run);
    }
}

fn main() {
    plughost_sim::install_quiet_panic_hook();
    let scenarios = catalogue::all().unwrap_or_else(|e| panic!("{e}"));
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let sections = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if sections("memory") {
        memory(&scenarios);
    }
    if sections("throughput") {
        throughput(&scenarios);
    }
    if sections("mutants") {
        mutants(&scenarios);
    }
    if sections("scaling") {
        scaling(&scenarios);
    }
}

fn scaling(scenarios: &[Arc<Scenario>]) {
    let kernel = pump_kernel(scenarios);
    let seeds = 100_000;
    println!("\n4. scaling: pump_kernel, {seeds} seeds of the portfolio, schedules/s");
    println!("{:<6} {:>10} {:>10} {:>8}", "round", "1 job", "2 jobs", "ratio");
    let rate = |jobs| {
        let strategy = StrategyFamily::COMMAND_LINE;
        let on_jobs = Exploration { jobs, ..exploration(kernel, None, strategy, 0, seeds, false) };
        let (summary, seconds) = timed(|| explore(&on_jobs));
        summary.seeds_run as f64 / seconds
    };
    for round in 1..=3 {
        let (one, two) = (rate(1), rate(2));
        println!("{round:<6} {one:>10.0} {two:>10.0} {:>7.2}x", two / one);
    }
}

fn pump_kernel(scenarios: &[Arc<Scenario>]) -> &Arc<Scenario> {
    scenarios.iter().find(|s| s.name == "pump_kernel").expect("pump_kernel is in the catalogue")
}
