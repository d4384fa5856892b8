//! `plughost replay`: one schedule, from a seed or a decision list, with its trace.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::UsageError;
use super::schedule::{Resolved, Schedule, write_decisions};
use crate::explore::Expectation;
use crate::runner::{RunSpec, try_run};
use crate::verdict::Verdict;

#[derive(Args)]
pub(super) struct ReplayArgs {
    #[command(flatten)]
    schedule: Schedule,
    /// `text` (trace and verdict), `json` (one object), or `mermaid` (a sequence diagram).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write one self-contained HTML page (trace, diagram, why, replay command) here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the run's decision list (with its header) to this file.
    #[arg(long)]
    save_decisions: Option<PathBuf>,
}

/// What `replay` prints on standard output.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// The command, the trace, the verdict and why.
    Text,
    /// The same as one JSON object.
    Json,
    /// A Mermaid sequence diagram of the run.
    Mermaid,
}

pub(super) fn replay_command_line(args: ReplayArgs) -> Result<ExitCode, UsageError> {
    let Resolved { scenario, variant, strategy, ends, faults, origin, replay: command } =
        args.schedule.resolve()?;
    let spec = RunSpec { ends, ..RunSpec::new(variant, strategy).with_faults(faults).traced() };
    let run = try_run(&scenario, &spec).map_err(|stop| {
        let source =
            args.schedule.decisions.as_ref().map_or("the schedule".to_string(), |p| p.display().to_string());
        UsageError(format!("{source} does not fit this run: {stop}"))
    })?;
    if let Some(path) = &args.save_decisions {
        write_decisions(path, &scenario, variant, faults, &origin, ends, &run.decisions)?;
    }
    let expected = Expectation::of(&scenario, variant);
    let trace = run.trace.clone().unwrap_or_default();
    let marks: Vec<(usize, &str)> = run.marks.iter().map(|m| (m.line, m.invariant)).collect();
    let diagram = crate::diagram::build(&trace, run.verdict.name(), &run.details, &marks);
    if let Some(path) = &args.html {
        let page = crate::html::page(&crate::html::Report {
            scenario: &scenario.name,
            replay: &command,
            verdict: run.verdict.name(),
            expected: &expected.describe(),
            details: &run.details,
            trace: &trace,
            marked_line: marks.first().map(|(line, _)| *line),
            diagram: &diagram,
        });
        std::fs::write(path, page)
            .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    }
    match args.format {
        Format::Mermaid => say_raw!("{}", diagram.to_mermaid()),
        Format::Text => {
            say!("{command}");
            say_raw!("{}", marked_trace(&trace, &marks));
            say!("verdict: {} (expected: {})", run.verdict, expected.describe());
            for line in &run.details {
                say!("  {line}");
            }
            say!(
                "{} decisions ({} preemptions), {} choice points, {} virtual",
                run.decisions.len(),
                run.preemptions,
                run.steps,
                plughost_sim::trace::duration(run.virtual_time)
            );
        }
        Format::Json => {
            let decisions: Vec<String> = run.decisions.iter().map(ToString::to_string).collect();
            let value = json!({
                "replay": command,
                "scenario": scenario.name,
                "design": variant.design.name(),
                "mutant": variant.mutant.map(|m| m.name()),
                "verdict": run.verdict.name(),
                "details": run.details,
                "decisions": decisions,
                "preemptions": run.preemptions,
                "steps": run.steps,
                "virtual_time_ns": run.virtual_time.as_nanos() as u64,
                "trace": trace.lines().collect::<Vec<_>>(),
                "violations": run.marks.iter().map(|m| json!({"invariant": m.invariant, "trace_line": m.line})).collect::<Vec<_>>(),
            });
            say!("{value}");
        }
    }
    Ok(if replay_meets(expected, run.verdict) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Whether one replayed run ends as the scenario expects of its variant: the expected
/// verdict; a pass or one of the design's known defects; for a mutant the scenario claims,
/// the verdict it claims to catch it with (a pass there means the schedule does not show
/// the bug). Nothing is expected of a mutant the scenario does not claim.
fn replay_meets(expected: Expectation, verdict: Verdict) -> bool {
    match expected {
        Expectation::Catches(claimed, _) => verdict == claimed,
        other => other.allows(verdict),
    }
}

/// The trace with each violating event's line marked `<-- I-n violated here`.
fn marked_trace(trace: &str, marks: &[(usize, &str)]) -> String {
    let mut out = String::with_capacity(trace.len());
    for (index, line) in trace.lines().enumerate() {
        out.push_str(line);
        for (_, invariant) in marks.iter().filter(|(at, _)| *at == index) {
            out.push_str(&format!("   <-- {invariant} violated here"));
        }
        out.push('\n');
    }
    out
}
