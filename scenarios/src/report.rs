//! How results are shown: the exploration table, failure reports (always led by the exact
//! replay command), and the JSON objects of `--json`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::explore::Summary;
use crate::verdict::Verdict;

/// One exploration's figures as printed: the summary and its wall-clock rate.
pub struct Measured<'a> {
    /// The summary.
    pub summary: &'a Summary,
    /// Seeds per wall-clock second.
    pub schedules_per_sec: f64,
}

/// The narrowest scenario column: every catalogue name fits, so the README's table is what
/// `plughost` prints.
pub const NAME_WIDTH: usize = 30;

/// The scenario column's width for rows named `names` (wider than [`NAME_WIDTH`] only when a
/// name needs it, e.g. a long name with its mutant).
pub fn name_width<'a>(names: impl IntoIterator<Item = &'a str>) -> usize {
    names.into_iter().map(str::len).fold(NAME_WIDTH, usize::max)
}

/// The table header, with a scenario column `width` wide.
pub fn table_header(width: usize) -> String {
    let mut header = format!("{:<width$} {:>7}", "scenario", "seeds");
    for verdict in Verdict::ALL {
        let _ = write!(header, " {:>9}", short(verdict));
    }
    let _ = write!(header, " {:>9}  {:<26} result", "sched/s", "expected");
    header
}

fn short(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::ServiceDied => "svc-died",
        other => other.name(),
    }
}

/// A row's name: the scenario, and the mutant it ran under.
pub fn row_name(summary: &Summary) -> String {
    row_label(&summary.scenario, summary.variant)
}

/// The row name of `scenario` under `variant`.
pub fn row_label(scenario: &str, variant: plughost_model::design::Variant) -> String {
    match variant.mutant {
        Some(mutant) => format!("{scenario} [{mutant}]"),
        None => scenario.to_string(),
    }
}

/// One table row, with a scenario column `width` wide.
pub fn table_row(measured: &Measured<'_>, width: usize) -> String {
    let summary = measured.summary;
    let name = row_name(summary);
    let mut row = format!("{name:<width$} {:>7}", summary.seeds_run);
    for verdict in Verdict::ALL {
        let _ = write!(row, " {:>9}", summary.verdicts.count(verdict));
    }
    let result = if summary.meets_expectation() { "ok" } else { "FAILED" };
    let _ = write!(row, " {:>9.0}  {:<26} {result}", measured.schedules_per_sec, summary.expected.describe());
    row
}

/// The report of a summary's first failing seed: the replay command first, then why.
pub fn failure_report(summary: &Summary) -> Option<String> {
    let failure = summary.first_failure.as_ref()?;
    let replay = summary.replay_command(failure.seed);
    let mut text = format!("{replay}\n");
    let what = match (summary.meets_expectation(), summary.expected) {
        (false, _) => "FAILED",
        (true, crate::explore::Expectation::Finds(_)) => "found the design's defect",
        (true, _) => "caught",
    };
    let _ = writeln!(
        text,
        "{what}: {} under {}: seed {} ended {}",
        summary.scenario,
        variant_name(summary),
        failure.seed,
        failure.verdict
    );
    for line in &failure.details {
        let _ = writeln!(text, "  {line}");
    }
    let _ =
        writeln!(text, "shortest schedule that fails the same way: {}", summary.shrink_command(failure.seed));
    Some(text)
}

/// For a search: whether it exhausted its bound, in one line.
pub fn search_line(summary: &Summary, seconds: f64) -> Option<String> {
    let stats = summary.search?;
    let crate::explore::StrategyFamily::Dfs(config) = summary.strategy else { return None };
    let bound = match config.preemption_bound {
        Some(k) => format!("at most {k} preemptions"),
        None => "no preemption bound".to_string(),
    };
    let pruned = if config.sleep_sets {
        format!(", {} runs pruned by sleep sets", stats.pruned)
    } else {
        String::new()
    };
    let failures = usize::from(summary.first_failure.is_some());
    let head = if stats.exhausted { "exhausted" } else { "not exhausted" };
    Some(format!(
        "{head}: {} schedules, {failures} failures ({bound}{pruned}; {:.1} s)",
        stats.schedules, seconds
    ))
}

/// Runs in which the fault plan injected a fault, by kind and phase, in one line.
pub fn faults_line(summary: &Summary) -> Option<String> {
    if summary.faulted.is_empty() {
        return None;
    }
    let kinds: Vec<String> = summary.faulted.iter().map(|(kind, runs)| format!("{kind} {runs}")).collect();
    Some(format!("faults injected (runs judged by the oracles alone): {}", kinds.join(", ")))
}

fn variant_name(summary: &Summary) -> String {
    match summary.variant.mutant {
        Some(mutant) => format!("{} with {mutant}", summary.variant.design),
        None => summary.variant.design.to_string(),
    }
}

/// The `--json` object of one exploration.
pub fn json(measured: &Measured<'_>) -> Value {
    let summary = measured.summary;
    let first_failure = summary.first_failure.as_ref().map(|failure| {
        json!({
            "seed": failure.seed,
            "verdict": failure.verdict.name(),
            "message": failure.details.join("\n"),
            "replay": summary.replay_command(failure.seed),
        })
    });
    json!({
        "scenario": summary.scenario,
        "design": summary.variant.design.name(),
        "mutant": summary.variant.mutant.map(|m| m.name()),
        "strategy": summary.strategy.name(),
        "start_seed": summary.start_seed,
        "seeds_run": summary.seeds_run,
        "schedules_per_sec": (measured.schedules_per_sec * 10.0).round() / 10.0,
        "verdicts": summary.verdicts.to_json(),
        "expected": summary.expected.describe(),
        "meets_expectation": summary.meets_expectation(),
        "first_failure": first_failure,
        "search": summary.search.map(|stats| search_json(summary, stats)),
        "faulted": summary.faulted,
        "peak_rss_kib": crate::memory::peak_rss_kib(),
    })
}

fn search_json(summary: &Summary, stats: plughost_sim::dfs::SearchStats) -> Value {
    let crate::explore::StrategyFamily::Dfs(config) = summary.strategy else { return Value::Null };
    json!({
        "preemption_bound": config.preemption_bound,
        "reduction": if config.sleep_sets { "sleep-sets" } else { "none" },
        "runs": stats.runs,
        "schedules": stats.schedules,
        "pruned": stats.pruned,
        "exhausted": stats.exhausted,
        "bound_reached": stats.bound_reached,
    })
}
