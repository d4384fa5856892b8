//! `plughost conform`: whether every outcome real runs produced (verdict, step results,
//! plugin logs; `crate::outcome`), as `plughost real --outcomes FILE` recorded them — on
//! COM hosts under Wine or on Windows, or on the pipe — lies in the set of outcomes the
//! simulator produces over a seed sweep of the same scenario and variant. A real outcome the
//! simulator never produces is a model defect: it is reported with the real run's trace (when
//! recorded) and the simulator's closest outcome, its replay command and trace. Also lists the
//! HRESULTs the transport returned for failed calls, per scenario, method and phase.
//!
//! Real runs inject no faults, so the simulator's sweep injects none either (a scenario's
//! `[faults]` plan is left out, `--faults none` in the replay commands printed).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use plughost_model::design::{Design, Mutant, Variant};
use plughost_sim::faults::FaultBudget;

use super::{UsageError, at_least_one};
use crate::catalogue;
use crate::explore::{StrategyFamily, fault_arguments, seed_command};
use crate::outcome::{RecordedRun, RunOutcome};
use crate::runner::{RunSpec, try_run};
use crate::scenario::Scenario;

#[derive(Args)]
pub(super) struct ConformArgs {
    /// The outcomes file `plughost real --outcomes FILE` wrote (JSON Lines, one run each).
    #[arg(long, value_name = "FILE")]
    outcomes: PathBuf,
    /// Simulator seeds per scenario and variant (the portfolio strategy: random, PCT and
    /// delay bounding in turn).
    #[arg(long, default_value_t = 2_000)]
    seeds: u64,
}

/// The real runs of one scenario under one variant, in file order.
struct Group {
    scenario: Arc<Scenario>,
    variant: Variant,
    backend: String,
    runs: Vec<RecordedRun>,
}

pub(super) fn conform_command(args: ConformArgs) -> Result<ExitCode, UsageError> {
    let seeds = at_least_one("--seeds", args.seeds)?;
    let groups = read_groups(&args.outcomes)?;
    say!(
        "{:<45} {:>7} {:>5} {:>9} {:>7} {:>13}  result",
        "scenario",
        "backend",
        "runs",
        "outcomes",
        "in-sim",
        "sim-outcomes"
    );
    let (mut reports, mut conforming) = (Vec::new(), 0);
    for group in &groups {
        let simulated = sim_outcomes(&group.scenario, group.variant, seeds);
        let mut real: BTreeMap<RunOutcome, Vec<&RecordedRun>> = BTreeMap::new();
        for run in &group.runs {
            real.entry(run.outcome.comparable(&group.scenario)).or_default().push(run);
        }
        let missing: Vec<_> = real.iter().filter(|(outcome, _)| !simulated.contains_key(*outcome)).collect();
        say!(
            "{:<45} {:>7} {:>5} {:>9} {:>7} {:>13}  {}",
            label(group),
            group.backend,
            group.runs.len(),
            real.len(),
            real.len() - missing.len(),
            simulated.len(),
            if missing.is_empty() { "ok" } else { "FAILED" }
        );
        if missing.is_empty() {
            conforming += 1;
        }
        for (outcome, runs) in missing {
            reports.push(missing_report(group, outcome, runs, &simulated));
        }
    }
    for report in &reports {
        say!("\n{report}");
    }
    say!("\ntransport codes of failed calls (real runs):");
    for group in &groups {
        for line in transport_codes(group) {
            say!("  {}: {line}", label(group));
        }
    }
    say!(
        "\n{conforming} of {} scenario variants: every real outcome lies in the simulator's outcomes ({seeds} seeds each)",
        groups.len()
    );
    Ok(if conforming == groups.len() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The scenario's name, with its design and mutant when not the pump's own.
fn label(group: &Group) -> String {
    let mut text = group.scenario.name.clone();
    if group.variant.design != Design::Pump {
        text.push_str(&format!(" [{}]", group.variant.design));
    }
    if let Some(mutant) = group.variant.mutant {
        text.push_str(&format!(" [{mutant}]"));
    }
    text
}

/// Reads the outcomes file and groups its runs by scenario, variant and backend.
fn read_groups(path: &PathBuf) -> Result<Vec<Group>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read the outcomes file {}: {e}", path.display())))?;
    let mut groups: Vec<Group> = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let at = || format!("{}:{}", path.display(), index + 1);
        let run: RecordedRun = serde_json::from_str(line)
            .map_err(|e| UsageError(format!("{}: not a recorded run: {e}", at())))?;
        let design = Design::parse(&run.design)
            .ok_or_else(|| UsageError(format!("{}: unknown design `{}`", at(), run.design)))?;
        let mutant = match &run.mutant {
            None => None,
            Some(name) => Some(
                Mutant::parse(name)
                    .ok_or_else(|| UsageError(format!("{}: unknown mutant `{name}`", at())))?,
            ),
        };
        let variant = Variant { design, mutant };
        match groups
            .iter_mut()
            .find(|g| g.scenario.source == run.source && g.variant == variant && g.backend == run.backend)
        {
            Some(group) => group.runs.push(run),
            None => {
                let scenario =
                    catalogue::load(&run.source).map_err(|e| UsageError(format!("{}: {e}", at())))?;
                groups.push(Group { scenario, variant, backend: run.backend.clone(), runs: vec![run] });
            }
        }
    }
    if groups.is_empty() {
        return Err(UsageError(format!("the outcomes file {} records no run", path.display())));
    }
    Ok(groups)
}

/// The sweep's strategies: the portfolio with its horizons from pilot runs.
fn family(scenario: &Arc<Scenario>, variant: Variant) -> StrategyFamily {
    StrategyFamily::COMMAND_LINE.resolved(scenario, variant)
}

/// Every outcome of seeds `0..seeds` without faults (as conformance compares them), with the
/// first seed that produced it.
fn sim_outcomes(scenario: &Arc<Scenario>, variant: Variant, seeds: u64) -> BTreeMap<RunOutcome, u64> {
    let family = family(scenario, variant);
    let mut outcomes = BTreeMap::new();
    for seed in 0..seeds {
        let spec = RunSpec { outcome: true, ..RunSpec::new(variant, family.spec(seed)) };
        let Ok(run) = try_run(scenario, &spec) else { continue };
        if let Some(outcome) = run.outcome {
            outcomes.entry(outcome.comparable(scenario)).or_insert(seed);
        }
    }
    outcomes
}

/// A real outcome the simulator never produced: what it was, the real run's trace, and the
/// simulator's closest outcome (fewest differences) with its replay command and trace.
fn missing_report(
    group: &Group,
    outcome: &RunOutcome,
    runs: &[&RecordedRun],
    simulated: &BTreeMap<RunOutcome, u64>,
) -> String {
    let iterations: Vec<String> = runs.iter().map(|run| run.iteration.to_string()).collect();
    let mut text = format!(
        "NOT IN THE SIMULATOR'S OUTCOMES: {} on {}, real runs {}: a model defect (or a seed sweep too short)\n",
        label(group),
        group.backend,
        iterations.join(", ")
    );
    text.push_str(&format!("  real outcome: verdict {}\n", outcome.verdict));
    for (step, result) in &outcome.steps {
        text.push_str(&format!("    step {step}: {result}\n"));
    }
    for (plugin, lines) in &outcome.logs {
        text.push_str(&format!("    {plugin} log: {lines:?}\n"));
    }
    match runs.iter().find_map(|run| run.trace.as_ref()) {
        Some(trace) => {
            text.push_str("  real run's trace:\n");
            for line in trace {
                text.push_str(&format!("    {line}\n"));
            }
        }
        None => text.push_str("  (no real trace recorded: run `plughost real` with --trace --outcomes)\n"),
    }
    let closest = simulated.iter().min_by_key(|(sim, _)| outcome.differences(sim).len());
    let Some((sim, &seed)) = closest else {
        text.push_str("  the simulator produced no outcome at all\n");
        return text;
    };
    let family = family(&group.scenario, group.variant);
    let replay = format!(
        "{}{}",
        seed_command("replay", &group.scenario.source, group.variant, family, seed),
        fault_arguments(&group.scenario, FaultBudget::NONE)
    );
    text.push_str(&format!("  the simulator's closest outcome, seed {seed}: {replay}\n"));
    for difference in outcome.differences(sim) {
        text.push_str(&format!("    real vs simulator, {difference}\n"));
    }
    let spec = RunSpec::new(group.variant, family.spec(seed)).traced();
    if let Some(trace) = try_run(&group.scenario, &spec).ok().and_then(|run| run.trace) {
        text.push_str("  the simulator's trace:\n");
        for line in trace.lines() {
            text.push_str(&format!("    {line}\n"));
        }
    }
    text
}

/// The failed calls' HRESULTs, by method and phase, with how many runs returned each.
fn transport_codes(group: &Group) -> Vec<String> {
    let mut codes: BTreeMap<(&str, &str, &str, &str), usize> = BTreeMap::new();
    for run in &group.runs {
        for call in &run.failed_calls {
            *codes.entry((&call.method, &call.host, &call.phase, &call.hresult)).or_default() += 1;
        }
    }
    codes
        .into_iter()
        .map(|((method, host, phase, hresult), count)| {
            format!("{method} to {host} {phase}: {hresult} (×{count} over {} runs)", group.runs.len())
        })
        .collect()
}
