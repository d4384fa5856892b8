//! `plughost generate`: proptest-drawn scenarios explored under the always-on oracles; each
//! new way of failing shrunk to a minimal scenario file, written with its replay command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::progress::Progress;
use super::{UsageError, VariantArgs, at_least_one, variant};
use crate::generate::judge::Class;
use crate::generate::{
    DefectPolicy, Found, Generation, OVERLAP_NOTE, Report, SEEDS_PER_CASE, SHRINK_STEPS, finding_file,
    generate, replay_command,
};

#[derive(Args)]
pub(super) struct GenerateArgs {
    /// Scenarios to draw.
    #[arg(long, default_value_t = 100)]
    cases: u64,
    /// The generation's seed (with a case number it names one scenario).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Draw only this case of the seed (again).
    #[arg(long, conflicts_with = "cases")]
    case: Option<u64>,
    /// Seeds each scenario is explored for (random, PCT and delay bounding in turn).
    #[arg(long, default_value_t = SEEDS_PER_CASE)]
    seeds_per_case: u64,
    #[command(flatten)]
    variant: VariantArgs,
    /// What a wedge (deadlock, livelock) or a documented defect of the design counts as:
    /// `report` (shrunk and written, listed apart, not a failure), `fail`, or `ignore`.
    #[arg(long, default_value = "report")]
    defects: String,
    /// Most shrinking steps per failure.
    #[arg(long, default_value_t = SHRINK_STEPS)]
    shrink_steps: u32,
    /// Where to write the minimal scenarios (`generated-SEED-CASE.toml`).
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "cases per minute is wall-clock by definition; it never feeds a simulation"
)]
pub(super) fn generate_command(args: GenerateArgs) -> Result<ExitCode, UsageError> {
    let defects = DefectPolicy::parse(&args.defects).ok_or_else(|| {
        UsageError(format!("unknown --defects `{}` (report, fail or ignore)", args.defects))
    })?;
    let (first_case, cases) = match args.case {
        Some(case) => (case, 1),
        None => (0, at_least_one("--cases", args.cases)?),
    };
    let generation = Generation {
        seed: args.seed,
        first_case,
        cases,
        seeds_per_case: at_least_one("--seeds-per-case", args.seeds_per_case)?,
        variant: variant(&args.variant)?,
        defects,
        shrink_steps: args.shrink_steps,
    };
    let started = std::time::Instant::now();
    let progress = Progress::new(cases, "generate");
    let report = generate(&generation, &|| progress.tick());
    progress.finish();
    let minutes = started.elapsed().as_secs_f64().max(1e-9) / 60.0;
    say!("{}", summary_line(&report, &generation, minutes));
    for (kind, (count, case)) in &report.failures {
        let class = Class::of(kind, generation.variant.design).map(Class::name).unwrap_or_default();
        say!("  {}: {count} case(s), first case {case}: {class}", kind.describe());
    }
    for found in &report.found {
        let path = args.out.join(format!("generated-{}-{}.toml", generation.seed, found.case));
        let shown = path.display().to_string();
        std::fs::create_dir_all(&args.out)
            .and_then(|()| std::fs::write(&path, finding_file(found, &generation, &shown)))
            .map_err(|e| UsageError(format!("cannot write {shown}: {e}")))?;
        say!("\n{}", found_report(found, &generation, &shown));
    }
    for invalid in &report.invalid {
        say!(
            "\ngenerator defect: case {} is not a valid scenario: {}\n{}",
            invalid.case,
            invalid.error,
            invalid.text
        );
    }
    Ok(if report.failed(&generation) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn summary_line(report: &Report, generation: &Generation, minutes: f64) -> String {
    let count = |wanted: fn(Class) -> bool| {
        report
            .failures
            .iter()
            .filter(|(kind, _)| Class::of(kind, generation.variant.design).is_some_and(wanted))
            .map(|(_, (count, _))| count)
            .sum::<u64>()
    };
    format!(
        "generated {} case(s) from seed {} ({} seed(s) each): {} pass, {} finding(s), {} documented, {} wedge(s); {} runs, {:.0} cases/min",
        report.cases,
        generation.seed,
        generation.seeds_per_case,
        report.passed,
        count(|class| class == Class::Finding),
        count(|class| matches!(class, Class::Documented(_))),
        count(|class| class == Class::Wedge),
        report.runs,
        report.cases as f64 / minutes
    )
}

fn found_report(found: &Found, generation: &Generation, path: &str) -> String {
    let mut lines = vec![
        format!(
            "{}: case {} ends {}; shrunk in {} step(s) from {} to {} lines: {path}",
            found.class.name(),
            found.case,
            found.kind.describe(),
            found.shrink_steps,
            found.lines.0,
            found.lines.1
        ),
        replay_command(found, generation.variant, path),
    ];
    if found.overlap {
        lines.push(format!("  note: {OVERLAP_NOTE}"));
    }
    lines.extend(found.failed.details.iter().take(12).map(|line| format!("  {line}")));
    lines.join("\n")
}
