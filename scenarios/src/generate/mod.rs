//! Generated scenarios (`plughost generate`): proptest draws scenario shapes
//! ([`shape`]), each is rendered as scenario-file text ([`render`]) and read by the same
//! parser as any file, then explored for a few seeds of the random + PCT portfolio and
//! judged by the always-on oracles alone ([`judge`]). The first case of each new way of
//! failing is shrunk by proptest's own value trees to a minimal scenario whose text is
//! written out verbatim, with the command that replays it.
//!
//! Deterministic: case `c` of seed `s` is drawn from a ChaCha RNG seeded from `(s, c)` alone,
//! so any case can be drawn again on its own (`--case`), and no proptest state is read from
//! or written to disk. Owns the generation loop and the finding files' text; never writes a
//! file itself (the CLI does) and never reads a clock.

pub mod judge;
pub mod render;
pub mod shape;

use std::collections::BTreeMap;
use std::sync::Arc;

use plughost_model::design::Variant;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::explore::{seed_command, variant_arguments};
use crate::parse::{ScenarioError, parse};
use crate::scenario::Scenario;
use judge::{Class, Failed, Kind, first_failure, strategy_with};
use shape::Shape;

/// Seeds each generated scenario is explored for, unless told otherwise.
pub const SEEDS_PER_CASE: u64 = 4;
/// Most shrinking steps (evaluations of a simpler candidate) per finding, unless told.
pub const SHRINK_STEPS: u32 = 500;

/// What to do with a case that wedges (deadlock or livelock) or hits a documented defect of
/// the design ([`Class::Wedge`], [`Class::Documented`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefectPolicy {
    /// Shrink and write it like a finding, list it apart, and do not fail for it.
    Report,
    /// As `Report`, and it fails the generation like a finding.
    Fail,
    /// Count it only.
    Ignore,
}

impl DefectPolicy {
    /// Parses `report`, `fail` or `ignore`.
    pub fn parse(text: &str) -> Option<DefectPolicy> {
        match text {
            "report" => Some(DefectPolicy::Report),
            "fail" => Some(DefectPolicy::Fail),
            "ignore" => Some(DefectPolicy::Ignore),
            _ => None,
        }
    }
}

/// What one generation asks for.
#[derive(Clone, Debug)]
pub struct Generation {
    /// The generation's seed: with a case number, it names one scenario.
    pub seed: u64,
    /// The first case.
    pub first_case: u64,
    /// How many cases.
    pub cases: u64,
    /// Seeds each case is explored for.
    pub seeds_per_case: u64,
    /// Design and mutant the cases run under.
    pub variant: Variant,
    /// What a wedge or a documented design defect counts as.
    pub defects: DefectPolicy,
    /// Most shrinking steps per finding.
    pub shrink_steps: u32,
}

/// A failure shrunk to a minimal scenario.
#[derive(Clone, Debug)]
pub struct Found {
    /// The case it was drawn as.
    pub case: u64,
    /// Finding or wedge.
    pub class: Class,
    /// How the drawn case failed (the minimal one fails the same way).
    pub kind: Kind,
    /// The minimal scenario's first failing seed and why it failed.
    pub failed: Failed,
    /// The minimal scenario's text, as it ran.
    pub text: String,
    /// Lines of the drawn case's text and of the minimal one's.
    pub lines: (usize, usize),
    /// Shrinking steps taken (each a simpler candidate explored).
    pub shrink_steps: u32,
}

/// A drawn case the parser refused: a defect of the generator.
#[derive(Clone, Debug)]
pub struct Invalid {
    /// The case.
    pub case: u64,
    /// The parser's error.
    pub error: String,
    /// The text it refused.
    pub text: String,
}

/// The result of a generation.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Cases drawn.
    pub cases: u64,
    /// Cases whose every seed passed.
    pub passed: u64,
    /// Failing cases by how they failed: how many, and the first case.
    pub failures: BTreeMap<Kind, (u64, u64)>,
    /// The first case of each way of failing, shrunk (wedges and documented defects only
    /// unless ignored).
    pub found: Vec<Found>,
    /// Cases the parser refused (a generator defect; none expected).
    pub invalid: Vec<Invalid>,
    /// Simulated runs made, pilots and shrinking included.
    pub runs: u64,
}

impl Report {
    /// Whether the generation failed: a finding, an invalid case, or (when they count) a
    /// wedge or documented defect.
    pub fn failed(&self, generation: &Generation) -> bool {
        !self.invalid.is_empty()
            || self.failures.keys().any(|kind| match Class::of(kind, generation.variant.design) {
                Some(Class::Finding) => true,
                Some(_) => generation.defects == DefectPolicy::Fail,
                None => false,
            })
    }
}

/// Runs the generation, calling `on_case` after each case.
pub fn generate(generation: &Generation, on_case: &dyn Fn()) -> Report {
    let mut report = Report::default();
    for case in generation.first_case..generation.first_case + generation.cases {
        generate_case(generation, case, &mut report);
        report.cases += 1;
        on_case();
    }
    report
}

/// The text of case `case` of seed `seed`, as drawn (before any shrinking).
pub fn draw(seed: u64, case: u64) -> String {
    render::render(&draw_tree(seed, case).current(), &drawn_description(seed, case))
}

fn draw_tree(seed: u64, case: u64) -> impl ValueTree<Value = Shape> {
    let mut runner = TestRunner::new_with_rng(config(), case_rng(seed, case));
    shape::shape().new_tree(&mut runner).expect("the shape strategy rejects nothing")
}

fn drawn_description(seed: u64, case: u64) -> String {
    format!("generated: case {case} of seed {seed}")
}

/// Draws case `case`, explores it, and shrinks it when it fails in a way not seen before.
fn generate_case(generation: &Generation, case: u64, report: &mut Report) {
    let mut tree = draw_tree(generation.seed, case);
    let text = render::render(&tree.current(), &drawn_description(generation.seed, case));
    let failed = match evaluate(generation, &text) {
        Err(error) => {
            report.invalid.push(Invalid { case, error: error.to_string(), text });
            return;
        }
        Ok((failed, runs)) => {
            report.runs += runs;
            failed
        }
    };
    let Some(failed) = failed else {
        report.passed += 1;
        return;
    };
    let kind = failed.kind.clone();
    let first_of_its_kind = !report.failures.contains_key(&kind);
    report.failures.entry(kind.clone()).or_insert((0, case)).0 += 1;
    let class = Class::of(&kind, generation.variant.design).expect("a failure is not a pass");
    if first_of_its_kind && (class == Class::Finding || generation.defects != DefectPolicy::Ignore) {
        let found = shrink(generation, case, &mut tree, (text, failed), report);
        report.found.push(found);
    }
}

/// Proptest's shrinking loop over `tree`: simplify while the candidate fails the same way,
/// complicate when it does not, until neither moves or the step budget is spent.
fn shrink(
    generation: &Generation,
    case: u64,
    tree: &mut impl ValueTree<Value = Shape>,
    (text, failed): (String, Failed),
    report: &mut Report,
) -> Found {
    let description = format!("generated: case {case} of seed {}, shrunk", generation.seed);
    let (kind, drawn_lines) = (failed.kind.clone(), text.lines().count());
    let mut best = (render::render(&tree.current(), &description), failed);
    let mut steps = 0;
    if tree.simplify() {
        while steps < generation.shrink_steps {
            steps += 1;
            let candidate = render::render(&tree.current(), &description);
            let same = match evaluate(generation, &candidate) {
                Ok((Some(failed), runs)) => {
                    report.runs += runs;
                    (failed.kind == kind).then_some(failed)
                }
                Ok((None, runs)) => {
                    report.runs += runs;
                    None
                }
                Err(error) => {
                    report.invalid.push(Invalid { case, error: error.to_string(), text: candidate.clone() });
                    None
                }
            };
            let moved = match same {
                Some(failed) => {
                    best = (candidate, failed);
                    tree.simplify()
                }
                None => tree.complicate(),
            };
            if !moved {
                break;
            }
        }
    }
    let (text, failed) = best;
    let class = Class::of(&kind, generation.variant.design).expect("a failure is not a pass");
    Found { case, class, kind, lines: (drawn_lines, text.lines().count()), failed, text, shrink_steps: steps }
}

/// Parses `text` and explores it: its first failing seed, and the runs made.
fn evaluate(generation: &Generation, text: &str) -> Result<(Option<Failed>, u64), ScenarioError> {
    let scenario = Arc::new(parse("generated", "generated.toml", text)?);
    Ok(first_failure(&scenario, generation.variant, generation.seeds_per_case))
}

/// Explores a scenario the way `generate` explores its cases (for committed regressions):
/// the first failing seed of `seeds`, under `variant`.
pub fn explore_like_generate(scenario: &Arc<Scenario>, variant: Variant, seeds: u64) -> Option<Failed> {
    first_failure(scenario, variant, seeds).0
}

/// The proptest configuration: nothing read from the environment matters to drawing a value
/// tree, but every field that could is pinned anyway, and no failure is persisted.
fn config() -> Config {
    Config {
        cases: 1,
        failure_persistence: None,
        fork: false,
        timeout: 0,
        max_shrink_time: 0,
        max_shrink_iters: 0,
        max_local_rejects: 0,
        max_global_rejects: 0,
        max_flat_map_regens: 0,
        max_default_size_range: 100,
        verbose: 0,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    }
}

/// The RNG of case `case` of seed `seed`: ChaCha seeded with 32 bytes of SplitMix64 over
/// the two numbers.
fn case_rng(seed: u64, case: u64) -> TestRng {
    let mut state = seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    let mut bytes = Vec::with_capacity(32);
    for _ in 0..4 {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// The command that replays `found` from the file at `path`.
pub fn replay_command(found: &Found, variant: Variant, path: &str) -> String {
    seed_command("replay", path, variant, strategy_with(found.failed.horizon), found.failed.seed)
}

/// The file written for `found`: a comment header (how it was drawn, how it fails, the
/// replay command for `path`), then the minimal scenario's text exactly as it ran.
pub fn finding_file(found: &Found, generation: &Generation, path: &str) -> String {
    let why = found
        .failed
        .details
        .iter()
        .find(|line| line.contains(" violated at "))
        .or(found.failed.details.first());
    let mut header = vec![
        format!(
            "# plughost generate --seed {} --case {}{} drew this scenario; proptest shrank it ({} -> {} lines).",
            generation.seed,
            found.case,
            variant_arguments(generation.variant),
            found.lines.0,
            found.lines.1
        ),
        format!("# Its seed {} ends {} ({}).", found.failed.seed, found.kind.describe(), found.class.name()),
    ];
    if let Some(why) = why {
        header.push(format!("# {why}"));
    }
    header.push(format!("# Replay: {}", replay_command(found, generation.variant, path)));
    format!("{}\n{}", header.join("\n"), found.text)
}
