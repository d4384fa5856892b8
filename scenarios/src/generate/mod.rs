//! Generated scenarios (`plughost generate`): proptest draws scenario shapes
//! ([`shape`]), each is rendered as scenario-file text ([`render`]) and read by the same
//! parser as any file, then explored for a few seeds of the random + PCT + delay-bounding
//! portfolio and judged by the always-on oracles alone ([`judge`]). The first case of each new way of
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
use judge::{Class, Failed, Kind, first_failure};
use shape::Shape;

/// Seeds each generated scenario is explored for, unless told otherwise.
pub const SEEDS_PER_CASE: u64 = 4;
/// Most shrinking steps (evaluations of a simpler candidate) per finding, unless told.
pub const SHRINK_STEPS: u32 = 500;
/// While shrinking, a candidate is explored for this many times the case's seeds: removing
/// a part of a scenario moves its failing schedule to another seed, and a candidate that
/// fails the same way a few seeds later is still simpler.
pub const SHRINK_SEED_FACTOR: u64 = 4;

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
    /// Whether the minimal scenario runs `register_distro` at once with another step of the
    /// same user session: the shape of spec §9.1's defects (`register_during_start`,
    /// `register_erases_pump`). A fact about the scenario for whoever triages a wedge, not a
    /// classification.
    pub overlap: bool,
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
    let failed = match evaluate(generation, &text, generation.seeds_per_case) {
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

/// Shrinks a failing case: first proptest's own loop over `tree` (simplify while the
/// candidate fails the same way, complicate when it does not, until neither moves), then a
/// greedy pass that keeps any one-removal-simpler shape ([`shape::one_removal_simpler`])
/// failing the same way, until none does; both within the step budget.
fn shrink(
    generation: &Generation,
    case: u64,
    tree: &mut impl ValueTree<Value = Shape>,
    (text, failed): (String, Failed),
    report: &mut Report,
) -> Found {
    let mut shrinking = Shrinking {
        generation,
        case,
        description: format!("generated: case {case} of seed {}, shrunk", generation.seed),
        kind: failed.kind.clone(),
        steps: 0,
        report,
    };
    let drawn_lines = text.lines().count();
    let mut best = (render::render(&tree.current(), &shrinking.description), failed, tree.current());
    if tree.simplify() {
        while shrinking.steps < generation.shrink_steps {
            let moved = match shrinking.fails_the_same_way(&tree.current()) {
                Some(found) => {
                    best = found;
                    tree.simplify()
                }
                None => tree.complicate(),
            };
            if !moved {
                break;
            }
        }
    }
    'greedy: while shrinking.steps < generation.shrink_steps {
        for candidate in shape::one_removal_simpler(&best.2) {
            if shrinking.steps >= generation.shrink_steps {
                break 'greedy;
            }
            if let Some(found) = shrinking.fails_the_same_way(&candidate) {
                best = found;
                continue 'greedy;
            }
        }
        break;
    }
    let (text, failed, shape) = best;
    let class = Class::of(&shrinking.kind, generation.variant.design).expect("a failure is not a pass");
    let overlap = shape::registration_overlap(&shape);
    let lines = (drawn_lines, text.lines().count());
    let (kind, shrink_steps) = (shrinking.kind, shrinking.steps);
    Found { case, class, kind, lines, failed, text, shrink_steps, overlap }
}

/// One shrinking: what the failure is, and the steps taken.
struct Shrinking<'a> {
    generation: &'a Generation,
    case: u64,
    description: String,
    kind: Kind,
    steps: u32,
    report: &'a mut Report,
}

impl Shrinking<'_> {
    /// Explores `shape` for the shrinking seeds (one step): its text and failure when it
    /// fails the same way.
    fn fails_the_same_way(&mut self, shape: &Shape) -> Option<(String, Failed, Shape)> {
        self.steps += 1;
        let text = render::render(shape, &self.description);
        let seeds = self.generation.seeds_per_case * SHRINK_SEED_FACTOR;
        match evaluate(self.generation, &text, seeds) {
            Ok((failed, runs)) => {
                self.report.runs += runs;
                let failed = failed.filter(|failed| failed.kind == self.kind)?;
                Some((text, failed, shape.clone()))
            }
            Err(error) => {
                self.report.invalid.push(Invalid { case: self.case, error: error.to_string(), text });
                None
            }
        }
    }
}

/// Parses `text` and explores it for `seeds` seeds: its first failing seed, and the runs
/// made.
fn evaluate(generation: &Generation, text: &str, seeds: u64) -> Result<(Option<Failed>, u64), ScenarioError> {
    let scenario = Arc::new(parse("generated", "generated.toml", text)?);
    Ok(first_failure(&scenario, generation.variant, seeds))
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

/// What a report says of a minimal scenario with [`Found::overlap`].
pub const OVERLAP_NOTE: &str = "A registration runs at once with another step of its user session: the shape of the design's own defects of spec §9.1 (register_during_start, register_erases_pump).";

/// The command that replays `found` from the file at `path`.
pub fn replay_command(found: &Found, variant: Variant, path: &str) -> String {
    seed_command("replay", path, variant, found.failed.strategy, found.failed.seed)
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
        format!("# Its seed {} ends {}: {}.", found.failed.seed, found.kind.describe(), found.class.name()),
    ];
    if let Some(why) = why {
        header.push(format!("# {why}"));
    }
    if found.overlap {
        header.push(format!("# {OVERLAP_NOTE}"));
    }
    header.push(format!("# Replay: {}", replay_command(found, generation.variant, path)));
    format!("{}\n{}", header.join("\n"), found.text)
}
