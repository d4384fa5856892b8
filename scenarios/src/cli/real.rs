//! `plughost real`: scenarios end to end on OS threads and real `plughost-host` processes,
//! many iterations, judged by the same oracles as the simulator, with per-iteration timing.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::progress::Progress;
use super::{UsageError, VariantArgs, at_least_one, scenarios, style, variant};
use plughost_real::{ComClass, Transport};

use crate::outcome::{RecordedCall, RecordedRun};
use crate::real_runner::{RealRun, real_config, run_real};
use crate::scenario::Scenario;
use crate::verdict::{Verdict, VerdictCounts};

#[derive(Args)]
pub(super) struct RealArgs {
    /// A catalogue scenario name or a path to a .toml file; repeatable; default: all.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    #[command(flatten)]
    variant: VariantArgs,
    /// Runs per scenario (at most a scenario's `[real] max_runs`).
    #[arg(long, default_value_t = 1)]
    iterations: u32,
    /// Wall-clock limit of one run, in seconds; past it the run is a hang.
    #[arg(long, default_value_t = 30)]
    watchdog_secs: u64,
    /// Record every run's trace: print the first run's, and give the first unusual run's
    /// with it (`--json`: the `trace` of `first_failure`).
    #[arg(long)]
    trace: bool,
    /// JSON Lines: one JSON object per scenario instead of the table (with `--trace`, the
    /// trace is the object's `trace` field).
    #[arg(long)]
    json: bool,
    /// How the service reaches its hosts: `pipe` (a child process on a pipe), or `com` (a COM
    /// local server; Windows only). Default: `com` on Windows, `pipe` elsewhere.
    #[arg(long, default_value = if cfg!(windows) { "com" } else { "pipe" })]
    backend: String,
    /// Also write every run's outcome (verdict, step results, plugin logs) and failed calls
    /// to this file, one JSON object per line, for `plughost conform`; with `--trace`, the
    /// first run of each distinct outcome carries its trace.
    #[arg(long, value_name = "FILE")]
    outcomes: Option<std::path::PathBuf>,
    /// `com` only: `per-run` (a class registered for each run and removed after, as Wine
    /// needs), or `registered` (the class `plughost com register` registered).
    #[arg(long, default_value = "per-run")]
    com_class: String,
    /// Scenarios soaked at once, each on its own OS thread (`pipe` only: a COM class is
    /// registered once per machine). Rows still print in the scenarios' order. Runs sharing
    /// the cores take longer, so wall-time figures are `--jobs 1`'s.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
}

/// The transport `--backend` and `--com-class` name.
fn transport(args: &RealArgs) -> Result<Transport, UsageError> {
    let class = match args.com_class.as_str() {
        "per-run" => ComClass::PerRun,
        "registered" => ComClass::Registered,
        other => {
            return Err(UsageError(format!(
                "unknown --com-class `{other}` (available: per-run, registered)"
            )));
        }
    };
    match args.backend.as_str() {
        "pipe" => Ok(Transport::Pipe),
        "com" => Ok(Transport::Com(class)),
        other => Err(UsageError(format!("unknown --backend `{other}` (available: pipe, com)"))),
    }
}

/// Iterations of one scenario, tallied.
struct Tally {
    verdicts: VerdictCounts,
    millis: Vec<f64>,
    first_failure: Option<(u32, RealRun)>,
    /// The first run's trace, when `--trace` asked for it.
    trace: Option<String>,
    /// Every host activation's duration, in milliseconds.
    activation_millis: Vec<f64>,
    /// Failed calls by (host, method, phase, HRESULT), with the runs they happened in.
    failed_calls:
        std::collections::BTreeMap<(String, String, &'static str, plughost_model::hresult::HResult), u32>,
    /// Host activations the transport tried again, as `run N: why`.
    activation_retries: Vec<String>,
}

pub(super) fn real_command(args: RealArgs) -> Result<ExitCode, UsageError> {
    let variant = variant(&args.variant)?;
    at_least_one("--iterations", args.iterations)?;
    let watchdog = Duration::from_secs(at_least_one("--watchdog-secs", args.watchdog_secs)?);
    let jobs = at_least_one("--jobs", args.jobs)?;
    let scenarios = scenarios(&args.scenarios)?;
    let transport = transport(&args)?;
    if jobs > 1 && transport != Transport::Pipe {
        return Err(UsageError(
            "--jobs above 1 needs --backend pipe: a COM class is registered once per machine".into(),
        ));
    }
    let config = real_config(watchdog).map_err(UsageError)?.with_transport(transport).map_err(UsageError)?;
    if !args.json {
        say!(
            "{:<30} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}  result",
            "scenario",
            "runs",
            "pass",
            "deadlock",
            "livelock",
            "invariant",
            "median ms",
            "p90 ms"
        );
    }
    let mut outcomes =
        match &args.outcomes {
            Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| {
                UsageError(format!("cannot write the outcomes file {}: {e}", path.display()))
            })?)),
            None => None,
        };
    let progress = Progress::new(scenarios.iter().map(|s| u64::from(runs_of(s, &args))).sum(), "real runs");
    let soak = |scenario: &Arc<Scenario>| {
        let mut config = config.clone();
        config.watchdog = scenario.real.watchdog.map_or(watchdog, |w| w.min(watchdog));
        iterate(scenario, variant, &config, &args, &progress)
    };
    let mut all_ok = true;
    let mut reports = Vec::new();
    let mut retries = Vec::new();
    soak_in_order(&scenarios, jobs, &soak, |scenario, soaked| {
        if let Some(out) = outcomes.as_mut() {
            write_lines(out, &soaked.outcomes?)?;
        }
        let tally = soaked.tally;
        let ok = match variant.mutant {
            None => {
                let expected = crate::explore::Expectation::of(scenario, variant);
                tally.verdicts.seen().all(|v| expected.allows(v))
            }
            // A mutant real runs catch whatever the schedule must never end as the design does.
            Some(mutant) if scenario.real.catches.contains(&mutant) => {
                tally.verdicts.count(scenario.expect.verdict) == 0
            }
            // Others need an interleaving real runs cannot force: reported, not judged.
            Some(_) => true,
        };
        all_ok &= ok;
        if args.json {
            say!("{}", json_of(scenario, variant, &tally));
            return Ok(());
        }
        if let Some(trace) = &tally.trace {
            say_raw!("{trace}");
        }
        say!("{}", style::result_row(&row(scenario, &tally, ok)));
        reports.extend(failure_report(scenario, variant, &tally));
        retries.extend(tally.activation_retries.iter().map(|note| format!("{}, {note}", scenario.name)));
        Ok(())
    })?;
    progress.finish();
    if !args.json {
        for report in reports {
            say!("\n{report}");
        }
        if !retries.is_empty() {
            say!("\nhost activations tried again ({}):", retries.len());
            for note in retries {
                say!("  {note}");
            }
        }
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// One scenario's soak: its tally, and its runs' lines for the `--outcomes` file (none
/// without `--outcomes`), or why one could not be written.
struct Soaked {
    tally: Tally,
    outcomes: Result<Vec<String>, UsageError>,
}

/// Soaks every scenario, `jobs` at a time on OS threads, and hands each one's result to
/// `report` in the scenarios' order, as soon as it and every one before it are done. An
/// error from `report` stops the soak: scenarios not yet started are not.
#[expect(
    clippy::disallowed_methods,
    reason = "--jobs soaks whole scenarios on OS threads; their real runs are on OS threads already"
)]
fn soak_in_order(
    scenarios: &[Arc<Scenario>],
    jobs: usize,
    soak: &(dyn Fn(&Arc<Scenario>) -> Soaked + Sync),
    mut report: impl FnMut(&Arc<Scenario>, Soaked) -> Result<(), UsageError>,
) -> Result<(), UsageError> {
    let next = AtomicUsize::new(0);
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(scenarios.len()) {
            let (send, next) = (send.clone(), &next);
            scope.spawn(move || {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    let Some(scenario) = scenarios.get(at) else { return };
                    if send.send((at, soak(scenario))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(send);
        let mut done = BTreeMap::new();
        let result = scenarios.iter().enumerate().try_for_each(|(at, scenario)| {
            let soaked = loop {
                if let Some(soaked) = done.remove(&at) {
                    break soaked;
                }
                let (finished, soaked) = receive.recv().expect("a worker ended without soaking its scenario");
                done.insert(finished, soaked);
            };
            report(scenario, soaked)
        });
        next.store(scenarios.len(), Ordering::Relaxed);
        result
    })
}

/// How many real runs `scenario` gets: `--iterations`, at most its `[real] max_runs`.
fn runs_of(scenario: &Scenario, args: &RealArgs) -> u32 {
    scenario.real.max_runs.map_or(args.iterations, |cap| cap.min(args.iterations))
}

fn iterate(
    scenario: &Arc<Scenario>,
    variant: plughost_model::design::Variant,
    config: &plughost_real::RealConfig,
    args: &RealArgs,
    progress: &Progress,
) -> Soaked {
    let mut tally = Tally {
        verdicts: Default::default(),
        millis: Vec::new(),
        first_failure: None,
        trace: None,
        activation_millis: Vec::new(),
        failed_calls: Default::default(),
        activation_retries: Vec::new(),
    };
    let mut outcomes = Ok(Vec::new());
    let mut seen_outcomes = std::collections::BTreeSet::new();
    for iteration in 0..runs_of(scenario, args) {
        let run = run_real(scenario, variant, config, args.trace);
        progress.tick();
        if args.outcomes.is_some()
            && let Ok(lines) = outcomes.as_mut()
        {
            // A trace goes with the first run of each outcome only: conform needs one per
            // outcome, and a trace per run of a long soak would be hundreds of megabytes.
            let first_of_its_outcome = seen_outcomes.insert(run.outcome.comparable(scenario));
            match outcome_line(scenario, variant, args, iteration, &run, first_of_its_outcome) {
                Ok(line) => lines.push(line),
                Err(error) => outcomes = Err(error),
            }
        }
        if iteration == 0 {
            tally.trace.clone_from(&run.trace);
        }
        tally.verdicts.add(run.verdict);
        tally.millis.push(run.elapsed.as_secs_f64() * 1000.0);
        tally.activation_millis.extend(run.activations.iter().map(|d| d.as_secs_f64() * 1000.0));
        tally
            .activation_retries
            .extend(run.activation_retries.iter().map(|note| format!("run {iteration}: {note}")));
        for call in &run.failed_calls {
            let key = (call.host.clone(), call.method.clone(), call.phase.name(), call.hr);
            *tally.failed_calls.entry(key).or_default() += 1;
        }
        let unusual = run.verdict != scenario.expect.verdict || !run.errors.is_empty();
        if unusual && tally.first_failure.is_none() {
            tally.first_failure = Some((iteration, run));
        }
    }
    Soaked { tally, outcomes }
}

/// Appends a scenario's lines to the `--outcomes` file.
fn write_lines(out: &mut std::io::BufWriter<std::fs::File>, lines: &[String]) -> Result<(), UsageError> {
    use std::io::Write;
    lines
        .iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush())
        .map_err(|e| UsageError(format!("cannot write the outcomes file: {e}")))
}

/// One line of the `--outcomes` file: the run as `plughost conform` reads it, with its trace
/// when it was recorded and `with_trace`.
fn outcome_line(
    scenario: &Scenario,
    variant: plughost_model::design::Variant,
    args: &RealArgs,
    iteration: u32,
    run: &RealRun,
    with_trace: bool,
) -> Result<String, UsageError> {
    let failed_calls = run
        .failed_calls
        .iter()
        .map(|call| RecordedCall {
            host: call.host.clone(),
            method: call.method.clone(),
            phase: call.phase.name().to_string(),
            hresult: format!("{} (0x{:08X})", call.hr, call.hr.0),
        })
        .collect();
    let record = RecordedRun {
        scenario: scenario.name.clone(),
        source: scenario.source.clone(),
        design: variant.design.name().to_string(),
        mutant: variant.mutant.map(|m| m.name().to_string()),
        backend: args.backend.clone(),
        iteration,
        outcome: run.outcome.clone(),
        failed_calls,
        trace: run
            .trace
            .as_ref()
            .filter(|_| with_trace)
            .map(|trace| trace.lines().map(str::to_string).collect()),
    };
    serde_json::to_string(&record).map_err(|e| UsageError(e.to_string()))
}

fn percentile(millis: &[f64], fraction: f64) -> f64 {
    let mut sorted = millis.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(((sorted.len() as f64 - 1.0) * fraction).round() as usize).copied().unwrap_or(0.0)
}

fn row(scenario: &Scenario, tally: &Tally, ok: bool) -> String {
    let count = |v: Verdict| tally.verdicts.count(v);
    format!(
        "{:<30} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9.1} {:>9.1}  {}",
        scenario.name,
        tally.millis.len(),
        count(Verdict::Pass),
        count(Verdict::Deadlock),
        count(Verdict::Livelock),
        count(Verdict::Invariant),
        percentile(&tally.millis, 0.5),
        percentile(&tally.millis, 0.9),
        if ok { "ok" } else { "FAILED" }
    )
}

fn failure_report(
    scenario: &Scenario,
    variant: plughost_model::design::Variant,
    tally: &Tally,
) -> Option<String> {
    let (iteration, run) = tally.first_failure.as_ref()?;
    let expected = crate::explore::Expectation::of(scenario, variant);
    let what = match expected {
        crate::explore::Expectation::Finds(_) if expected.allows(run.verdict) => "hit the design's defect",
        crate::explore::Expectation::Every(_) if expected.allows(run.verdict) => {
            "ended as the scenario expects of this design"
        }
        crate::explore::Expectation::Catches(..) | crate::explore::Expectation::Nothing(_) => "caught",
        _ => "FAILED",
    };
    let mut text = format!("{what}: {} run {iteration} ended {}\n", scenario.name, run.verdict);
    for line in run.details.iter().chain(run.errors.iter()) {
        text.push_str(&format!("  {line}\n"));
    }
    text.push_str(&rerun_advice(scenario, variant, run.verdict));
    Some(text)
}

/// What a person can run next: a real run's interleaving is the operating system's and
/// cannot be replayed, so point at the simulator's schedule that ends the same way, if one
/// is found within a few thousand seeds.
fn rerun_advice(scenario: &Scenario, variant: plughost_model::design::Variant, verdict: Verdict) -> String {
    let again = format!(
        "plughost real --scenario {} --iterations 20{}",
        crate::command::shell_word(&scenario.source),
        crate::explore::variant_arguments(variant)
    );
    let mut text = format!(
        "a real run's interleaving cannot be replayed; run it again (it may not recur):\n  {again}\n"
    );
    if verdict == Verdict::Pass {
        return text;
    }
    #[cfg(windows)]
    text.push_str(&format!(
        "the simulator (Linux and macOS) looks for a schedule that ends {verdict} the same way:\n  \
         plughost explore --scenario {}{}\n",
        crate::command::shell_word(&scenario.source),
        crate::explore::variant_arguments(variant)
    ));
    #[cfg(not(windows))]
    match simulator_schedule(scenario, variant, verdict) {
        Some(replay) => text.push_str(&format!(
            "the simulator schedule that ends {verdict} the same way replays exactly:\n  {replay}\n"
        )),
        None => text.push_str(&format!(
            "no simulator schedule ended {verdict} within {SIMULATOR_SEARCH_SEEDS} seeds of each strategy: \
             a real outcome the simulator never produces is a model defect\n"
        )),
    }
    text
}

/// Seeds of each strategy tried for a simulator schedule that ends like a real run.
#[cfg(not(windows))]
const SIMULATOR_SEARCH_SEEDS: u64 = 2_000;

/// The replay command of the first simulator seed (random, then PCT) ending with `verdict`.
#[cfg(not(windows))]
fn simulator_schedule(
    scenario: &Scenario,
    variant: plughost_model::design::Variant,
    verdict: Verdict,
) -> Option<String> {
    use crate::explore::StrategyFamily;
    let scenario = std::sync::Arc::new(scenario.clone());
    [StrategyFamily::Random, StrategyFamily::Pct { depth: 3, horizon: Some(1000) }].into_iter().find_map(
        |family| {
            (0..SIMULATOR_SEARCH_SEEDS)
                .find(|&seed| {
                    crate::runner::run_sim(&scenario, variant, family.spec(seed), false).verdict == verdict
                })
                .map(|seed| crate::explore::seed_command("replay", &scenario.source, variant, family, seed))
        },
    )
}

fn json_of(
    scenario: &Scenario,
    variant: plughost_model::design::Variant,
    tally: &Tally,
) -> serde_json::Value {
    json!({
        "scenario": scenario.name,
        "design": variant.design.name(),
        "mutant": variant.mutant.map(|m| m.name()),
        "iterations": tally.millis.len(),
        "verdicts": tally.verdicts.to_json(),
        "median_ms": percentile(&tally.millis, 0.5),
        "p90_ms": percentile(&tally.millis, 0.9),
        "activations": tally.activation_millis.len(),
        "activation_median_ms": percentile(&tally.activation_millis, 0.5),
        "activation_p90_ms": percentile(&tally.activation_millis, 0.9),
        "activation_retries": tally.activation_retries,
        "failed_calls": tally.failed_calls.iter().map(|((host, method, phase, hr), count)| json!({
            "host": host,
            "method": method,
            "phase": phase,
            "hresult": hr.to_string(),
            "hex": format!("0x{:08X}", hr.0),
            "count": count,
        })).collect::<Vec<_>>(),
        "first_failure": tally.first_failure.as_ref().map(|(iteration, run)| json!({
            "iteration": iteration,
            "verdict": run.verdict.name(),
            "message": run.details.join("\n"),
            "errors": run.errors,
            "rerun": rerun_advice(scenario, variant, run.verdict),
            "trace": run.trace.as_ref().map(|trace| trace.lines().collect::<Vec<_>>()),
        })),
        "trace": tally.trace.as_ref().map(|trace| trace.lines().collect::<Vec<_>>()),
    })
}
