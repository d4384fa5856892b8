//! Exploration: many seeds of one scenario under one variant, tallied by verdict, with the
//! first seed that did not go as the scenario expects and the command that replays it.
//!
//! Seeds are split across `jobs` OS threads (each with its own simulations); the tallies
//! and the first failure do not depend on `jobs`. Running them needs the simulator, absent
//! on Windows; what a scenario expects and how a seed is named are everywhere.

use std::collections::BTreeMap;
#[cfg(not(windows))]
use std::collections::BTreeSet;
use std::sync::Arc;
#[cfg(not(windows))]
use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(not(windows))]
use parking_lot::Mutex;
use plughost_model::design::{Design, Variant};
use plughost_sim::StrategySpec;
use plughost_sim::dfs::{SearchConfig, SearchStats};
use plughost_sim::faults::FaultBudget;
use plughost_sim::strategy::PORTFOLIO_DELAYS;
#[cfg(not(windows))]
use plughost_sim::strategy::{ContestedCounter, DelayStrategy, SharedStrategy, Strategy};

use crate::coverage::Coverage;
#[cfg(not(windows))]
use crate::coverage::{Served, fault_labels};
#[cfg(not(windows))]
use crate::runner::{RunSpec, try_run};
use crate::scenario::Scenario;
use crate::verdict::{Verdict, VerdictCounts, VerdictSet};

/// How each seed's choice points are decided. The command line's default is
/// [`StrategyFamily::COMMAND_LINE`], the portfolio; `Default` (what the tests' explorations
/// use unless they say otherwise) is random.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum StrategyFamily {
    /// Uniform random over runnable threads (the clock runs ahead at one point in eight).
    #[default]
    Random,
    /// PCT with this bug depth and change-point horizon (`None`: the choice points of a
    /// pilot run, see [`StrategyFamily::resolved`]).
    Pct { depth: u32, horizon: Option<u64> },
    /// Seeds in turn random, PCT with this depth and horizon, and delay bounding with this
    /// many delays and this delay horizon (by the seed modulo 3): random interleaves finely,
    /// PCT starves threads, delay bounding makes one well-placed preemption of the oldest
    /// thread, and each finds quickly what the others rarely do.
    Portfolio { depth: u32, horizon: Option<u64>, delays: u32, delay_horizon: Option<u64> },
    /// Delay bounding with this many delays among the first `horizon` contested choice
    /// points (`None`: a pilot run's, see [`StrategyFamily::resolved`]).
    Delay { delays: u32, horizon: Option<u64> },
    /// Depth-first search of every schedule within a preemption bound (`crate::search`).
    Dfs(SearchConfig),
}

impl StrategyFamily {
    /// What `--strategy` means when it is not given: in turn random, PCT of depth 3 and
    /// delay bounding with one delay, each horizon a pilot run's.
    pub const COMMAND_LINE: StrategyFamily =
        StrategyFamily::Portfolio { depth: 3, horizon: None, delays: PORTFOLIO_DELAYS, delay_horizon: None };

    /// Every family's command-line name and one-line summary, for `plughost list`.
    pub const SUMMARIES: [(&'static str, &'static str); 5] = [
        ("random", "uniform over runnable threads and letting the clock run, seeded ChaCha8"),
        (
            "pct",
            "random thread priorities with depth-1 change points (--depth, --horizon: a pilot run's choice points)",
        ),
        (
            "delay",
            "the oldest runnable thread runs, but for --delays delays, each at a contested choice point drawn among a pilot run's (--horizon)",
        ),
        (
            "portfolio",
            "random, pct and delay in turn by seed (seed mod 3: 0, 1, 2), each horizon a pilot run's (--depth, --horizon, --delays)",
        ),
        (
            "dfs",
            "every schedule within a preemption bound, with sleep sets (--preemption-bound, --reduction)",
        ),
    ];

    /// The strategy of one seed. A search's runs are not seeded (`crate::search`); a PCT
    /// horizon left to a pilot run must be [`resolved`](StrategyFamily::resolved) first.
    pub fn spec(self, seed: u64) -> StrategySpec {
        match self.of_seed(seed) {
            StrategyFamily::Random => StrategySpec::Random { seed },
            StrategyFamily::Pct { depth, horizon } => StrategySpec::Pct {
                seed,
                depth,
                horizon: horizon.expect("a pilot horizon is resolved before any seed runs"),
            },
            StrategyFamily::Delay { delays, horizon } => StrategySpec::Delay {
                seed,
                delays,
                horizon: horizon.expect("a pilot horizon is resolved before any seed runs"),
            },
            StrategyFamily::Portfolio { .. } => {
                unreachable!("a portfolio's seed is a random, a PCT or a delay-bounding seed")
            }
            StrategyFamily::Dfs(_) => unreachable!("a search's runs come from the search, not from a seed"),
        }
    }

    /// The family with a PCT horizon left open set to the number of choice points of a
    /// pilot run of `scenario` under `variant` (the guided run: no preemption, no fault), so
    /// that PCT's change points fall where the run is, not past its end; and a delay horizon
    /// left open to the number of contested choice points of a run of delay bounding's own
    /// schedule without delays ([`DelayStrategy::pilot`]), so that every delay falls where
    /// more than one thread can run. Deterministic: the same scenario and variant always
    /// give the same horizons.
    #[cfg(not(windows))]
    pub fn resolved(self, scenario: &Arc<Scenario>, variant: Variant) -> StrategyFamily {
        self.resolved_counting_runs(scenario, variant).0
    }

    /// [`StrategyFamily::resolved`], and the runs its pilots made (a pilot that spins is
    /// followed by spare random runs).
    #[cfg(not(windows))]
    pub fn resolved_counting_runs(self, scenario: &Arc<Scenario>, variant: Variant) -> (StrategyFamily, u64) {
        let runs = std::cell::Cell::new(0);
        let pilot_of = |strategy: Box<dyn Strategy>| {
            let pilot = pilot(scenario, variant, strategy);
            runs.set(runs.get() + pilot.runs);
            pilot
        };
        let steps = |given: Option<u64>| {
            given
                .or_else(|| Some(pilot_of(StrategySpec::Guided { prefix: Vec::new() }.build()).choice_points))
        };
        let contested = |given: Option<u64>| {
            given.or_else(|| Some(pilot_of(Box::new(DelayStrategy::pilot())).contested_points))
        };
        let family = match self {
            StrategyFamily::Pct { depth, horizon } => StrategyFamily::Pct { depth, horizon: steps(horizon) },
            StrategyFamily::Delay { delays, horizon } => {
                StrategyFamily::Delay { delays, horizon: contested(horizon) }
            }
            StrategyFamily::Portfolio { depth, horizon, delays, delay_horizon } => {
                StrategyFamily::Portfolio {
                    depth,
                    horizon: steps(horizon),
                    delays,
                    delay_horizon: contested(delay_horizon),
                }
            }
            other => other,
        };
        (family, runs.get())
    }

    /// The family one seed of this family runs under: a portfolio's seed is a random, a PCT
    /// or a delay-bounding seed (by the seed modulo 3), every other family's its own.
    pub fn of_seed(self, seed: u64) -> StrategyFamily {
        match self {
            StrategyFamily::Portfolio { depth, horizon, delays, delay_horizon } => match seed % 3 {
                0 => StrategyFamily::Random,
                1 => StrategyFamily::Pct { depth, horizon },
                _ => StrategyFamily::Delay { delays, horizon: delay_horizon },
            },
            other => other,
        }
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            StrategyFamily::Random => "random",
            StrategyFamily::Pct { .. } => "pct",
            StrategyFamily::Portfolio { .. } => "portfolio",
            StrategyFamily::Delay { .. } => "delay",
            StrategyFamily::Dfs(_) => "dfs",
        }
    }

    /// Its parameters as command-line arguments, after `--strategy NAME`.
    pub fn arguments_after_name(self) -> String {
        match self {
            StrategyFamily::Random => String::new(),
            StrategyFamily::Pct { depth, horizon } => {
                format!(" --depth {depth}{}", horizon_argument(horizon))
            }
            StrategyFamily::Delay { delays, horizon } => {
                format!(" --delays {delays}{}", horizon_argument(horizon))
            }
            // The delay horizon has no flag of its own: it is always the pilot's.
            StrategyFamily::Portfolio { depth, horizon, delays, .. } => {
                format!(" --depth {depth}{} --delays {delays}", horizon_argument(horizon))
            }
            StrategyFamily::Dfs(config) => {
                let bound =
                    config.preemption_bound.map(|k| format!(" --preemption-bound {k}")).unwrap_or_default();
                let reduction = if config.sleep_sets { "" } else { " --reduction none" };
                format!("{bound}{reduction}")
            }
        }
    }

    /// The command-line arguments that select it (none for the command line's default).
    pub fn arguments(self) -> String {
        if self == StrategyFamily::COMMAND_LINE {
            return String::new();
        }
        format!(" --strategy {}{}", self.name(), self.arguments_after_name())
    }

    /// The command-line arguments that run `seed` as this family runs it: the seed's own
    /// strategy (a portfolio's seed is named as the random, PCT or delay-bounding seed it
    /// is), none when the
    /// command line's default runs that seed the same way (a random seed that is a multiple
    /// of 3).
    pub fn seed_arguments(self, seed: u64) -> String {
        let own = self.of_seed(seed);
        if own == StrategyFamily::COMMAND_LINE.of_seed(seed) { String::new() } else { own.arguments() }
    }
}

/// ` --horizon H`, or nothing for a horizon left to a pilot run.
fn horizon_argument(horizon: Option<u64>) -> String {
    horizon.map(|h| format!(" --horizon {h}")).unwrap_or_default()
}

/// Random seeds whose runs stand in for a pilot that spun.
#[cfg(not(windows))]
const SPARE_PILOTS: u64 = 9;

/// What a pilot run found: the choice points and the contested choice points (more than
/// one thread could run) of its run, each at least 1, and the runs it made.
///
/// PCT's pilot is the guided run (no preemption, no fault); delay bounding's is its own
/// schedule without delays ([`DelayStrategy::pilot`]). A pilot that ends in a livelock
/// counted a spin up to the step budget, not the scenario's work (`register_erases_pump`'s
/// guided run spins for 24,110 choice points where its runs that end take about a hundred,
/// and PCT's change points then never fall in the race): its place is taken by the median
/// (by choice points) of random seeds 0..9's runs that do not spin, when any do not.
#[cfg(not(windows))]
struct Pilot {
    choice_points: u64,
    contested_points: u64,
    runs: u64,
}

/// A pilot run by `strategy` ([`Pilot`]).
#[cfg(not(windows))]
fn pilot(scenario: &Arc<Scenario>, variant: Variant, strategy: Box<dyn Strategy>) -> Pilot {
    let run = |strategy: Box<dyn Strategy>| {
        let counter = Arc::new(Mutex::new(ContestedCounter::new(strategy)));
        let spec = RunSpec::new(variant, StrategySpec::Shared(SharedStrategy(counter.clone())));
        let run = try_run(scenario, &spec);
        let contested = counter.lock().contested.max(1);
        run.map_or(((1, 1), false), |run| ((run.steps.max(1), contested), run.verdict == Verdict::Livelock))
    };
    let (first, spun) = run(strategy);
    let ((choice_points, contested_points), runs) = if spun {
        let mut spares: Vec<(u64, u64)> = (0..SPARE_PILOTS)
            .map(|seed| run(StrategySpec::Random { seed }.build()))
            .filter_map(|(counts, spun)| (!spun).then_some(counts))
            .collect();
        spares.sort_unstable();
        (spares.get(spares.len() / 2).copied().unwrap_or(first), 1 + SPARE_PILOTS)
    } else {
        (first, 1)
    };
    Pilot { choice_points, contested_points, runs }
}

/// What one exploration asks for.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Design and mutant.
    pub variant: Variant,
    /// How each seed decides its choice points.
    pub strategy: StrategyFamily,
    /// The first seed.
    pub start_seed: u64,
    /// How many seeds.
    pub seeds: u64,
    /// OS threads to spread seeds over.
    pub jobs: usize,
    /// Stop once a seed fails (every lower seed still runs).
    pub stop_at_first_failure: bool,
    /// The faults each run may inject (usually the scenario's `[faults]`).
    pub faults: FaultBudget,
}

/// What a scenario expects of a variant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Expectation {
    /// Every seed ends with this verdict (the unmodified design).
    Every(Verdict),
    /// The design's own defects: some seed ends with each of these verdicts, every other one
    /// passes.
    Finds(VerdictSet),
    /// Some seed ends with the first verdict (a mutant the scenario catches); the second is
    /// what the unmodified design ends with (`pass`, or `deadlock` for a scenario whose
    /// design wedges by design), which no mutant run counts as a failure.
    Catches(Verdict, Verdict),
    /// Nothing is expected (a mutant the scenario does not claim to catch); the verdict is the
    /// unmodified design's, as for `Catches`.
    Nothing(Verdict),
}

impl Expectation {
    /// What `scenario` expects of `variant`.
    pub fn of(scenario: &Scenario, variant: Variant) -> Expectation {
        match variant.mutant {
            None => match scenario.outcome_on(variant.design) {
                (_, defects) if !defects.is_empty() => Expectation::Finds(defects),
                (verdict, _) => Expectation::Every(verdict),
            },
            // A claim is judged on the mutant's home design only.
            Some(mutant) => {
                let baseline = scenario.outcome_on(variant.design).0;
                match scenario.catches.iter().find(|(m, _)| *m == mutant) {
                    Some((_, verdict)) if mutant.home_design() == variant.design => {
                        Expectation::Catches(*verdict, baseline)
                    }
                    _ => Expectation::Nothing(baseline),
                }
            }
        }
    }

    /// Whether a run with `verdict` counts as a failure (a bug found, or a regression).
    pub fn is_failure(self, verdict: Verdict) -> bool {
        match self {
            Expectation::Every(expected) => verdict != expected,
            Expectation::Finds(_) => verdict != Verdict::Pass,
            Expectation::Catches(_, baseline) | Expectation::Nothing(baseline) => verdict != baseline,
        }
    }

    /// Whether a single run with `verdict` is one the expectation allows.
    pub fn allows(self, verdict: Verdict) -> bool {
        match self {
            Expectation::Every(expected) => verdict == expected,
            Expectation::Finds(defects) => verdict == Verdict::Pass || defects.contains(verdict),
            Expectation::Catches(..) | Expectation::Nothing(_) => true,
        }
    }

    /// How it reads in reports.
    pub fn describe(self) -> String {
        match self {
            Expectation::Every(verdict) => format!("every seed {verdict}"),
            Expectation::Finds(defects) => {
                format!("finds {}", defects.iter().map(Verdict::name).collect::<Vec<_>>().join(" + "))
            }
            Expectation::Catches(verdict, _) => format!("caught as {verdict}"),
            Expectation::Nothing(_) => "nothing".to_string(),
        }
    }
}

/// The first failing seed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Its seed.
    pub seed: u64,
    /// Its verdict.
    pub verdict: Verdict,
    /// Why.
    pub details: Vec<String>,
}

/// The result of an exploration.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// What `--scenario` takes to load it again (its name, or its file's path).
    pub source: String,
    /// Design and mutant.
    pub variant: Variant,
    /// How seeds decided their choice points.
    pub strategy: StrategyFamily,
    /// First seed.
    pub start_seed: u64,
    /// Seeds run.
    pub seeds_run: u64,
    /// Runs per verdict.
    pub verdicts: VerdictCounts,
    /// What the scenario expects.
    pub expected: Expectation,
    /// The lowest failing seed, if any.
    pub first_failure: Option<Failure>,
    /// For a search: how far it got.
    pub search: Option<SearchStats>,
    /// `--faults …` when the runs' fault budget is not the scenario's own (else empty).
    pub fault_arguments: String,
    /// Runs in which a fault was injected, by fault kind and phase (`crash@hook-running`).
    pub faulted: BTreeMap<String, u64>,
    /// What the runs' callbacks met, when coverage was asked for.
    pub coverage: Option<Coverage>,
}

impl Summary {
    /// Whether the exploration went as the scenario expects.
    pub fn meets_expectation(&self) -> bool {
        match self.expected {
            Expectation::Every(_) => self.first_failure.is_none(),
            Expectation::Finds(defects) => {
                self.verdicts.seen().all(|v| self.expected.allows(v))
                    && defects.iter().all(|defect| self.verdicts.count(defect) > 0)
            }
            Expectation::Catches(verdict, _) => self.verdicts.count(verdict) > 0,
            Expectation::Nothing(_) => true,
        }
    }

    /// The command that replays `seed`.
    pub fn replay_command(&self, seed: u64) -> String {
        seed_command("replay", &self.source, self.variant, self.strategy, seed) + &self.fault_arguments
    }

    /// The command that shrinks `seed`'s schedule.
    pub fn shrink_command(&self, seed: u64) -> String {
        seed_command("shrink", &self.source, self.variant, self.strategy, seed) + &self.fault_arguments
    }
}

/// `plughost VERB …` for one seed: the one place a seed's schedule is spelled as a command.
/// `scenario` is what `--scenario` takes (a catalogue name or a file's path).
pub fn seed_command(
    verb: &str,
    scenario: &str,
    variant: Variant,
    strategy: StrategyFamily,
    seed: u64,
) -> String {
    format!(
        "plughost {verb} --scenario {} --seed {seed}{}{}",
        crate::command::shell_word(scenario),
        strategy.seed_arguments(seed),
        variant_arguments(variant)
    )
}

/// `--faults …` selecting `faults` for `scenario`, or nothing when it is the scenario's own.
pub fn fault_arguments(scenario: &Scenario, faults: FaultBudget) -> String {
    if faults == scenario.faults { String::new() } else { format!(" --faults {}", faults.describe()) }
}

/// Tallies the faults of one run by kind and phase (the first word of each).
pub fn tally_faults(faulted: &mut BTreeMap<String, u64>, faults: &[String]) {
    for fault in faults {
        let kind = fault.split_whitespace().next().unwrap_or_default();
        *faulted.entry(kind.to_string()).or_default() += 1;
    }
}

/// The command-line arguments that select `variant` (none for the pump design as it is).
pub fn variant_arguments(variant: Variant) -> String {
    let mut arguments = String::new();
    if variant.design != Design::Pump {
        arguments.push_str(&format!(" --design {}", variant.design));
    }
    if let Some(mutant) = variant.mutant {
        arguments.push_str(&format!(" --mutant {mutant}"));
    }
    arguments
}

#[cfg(not(windows))]
#[derive(Default)]
struct Tally {
    verdicts: VerdictCounts,
    first_failure: Option<Failure>,
    faulted: BTreeMap<String, u64>,
    coverage: Option<Coverage>,
    /// With `stop_at_first_failure`, every run's result waits here until the exploration
    /// ends: only then is the first failure known, and only seeds up to it are counted, so
    /// the counts do not depend on how far the other jobs had run.
    held: Vec<Counted>,
}

/// What one seed's run adds to a tally.
#[cfg(not(windows))]
struct Counted {
    seed: u64,
    verdict: Verdict,
    faults: Vec<String>,
    served: Option<BTreeSet<Served>>,
}

#[cfg(not(windows))]
impl Tally {
    fn count(&mut self, run: Counted) {
        self.verdicts.add(run.verdict);
        tally_faults(&mut self.faulted, &run.faults);
        if let (Some(coverage), Some(served)) = (&mut self.coverage, &run.served) {
            coverage.add(served, &run.faults);
        }
    }

    /// Counts the held runs of seeds up to the first failure (all of them if none failed).
    fn count_held(&mut self) {
        let last = self.first_failure.as_ref().map_or(u64::MAX, |failure| failure.seed);
        let mut held = std::mem::take(&mut self.held);
        held.retain(|run| run.seed <= last);
        held.sort_by_key(|run| run.seed);
        for run in held {
            self.count(run);
        }
    }

    /// Adds another job's tally: counts, held runs, and the lower first failure.
    fn merge(&mut self, other: Tally) {
        self.verdicts.merge(other.verdicts);
        for (fault, runs) in other.faulted {
            *self.faulted.entry(fault).or_default() += runs;
        }
        if let (Some(coverage), Some(other)) = (&mut self.coverage, other.coverage) {
            coverage.merge(other);
        }
        self.held.extend(other.held);
        if let Some(failure) = other.first_failure
            && self.first_failure.as_ref().is_none_or(|f| failure.seed < f.seed)
        {
            self.first_failure = Some(failure);
        }
    }
}

#[cfg(not(windows))]
/// Runs the exploration.
pub fn explore(exploration: &Exploration) -> Summary {
    explore_with_progress(exploration, &|_| {})
}

#[cfg(not(windows))]
/// Runs the exploration, calling `on_seeds(n)` as a job finishes `n` more seeds (from any
/// job's thread; every [`SEEDS_PER_REPORT`] seeds and at the job's end, or after every run
/// of a search).
pub fn explore_with_progress(exploration: &Exploration, on_seeds: &(dyn Fn(u64) + Sync)) -> Summary {
    explore_seeds(exploration, on_seeds, false)
}

#[cfg(not(windows))]
/// Runs the exploration collecting coverage (`crate::coverage`): the summary's `coverage`
/// says which combinations its runs reached, and how often (for a search, its schedules
/// within the bound).
pub fn explore_with_coverage(exploration: &Exploration, on_seeds: &(dyn Fn(u64) + Sync)) -> Summary {
    explore_seeds(exploration, on_seeds, true)
}

/// How many seeds a job runs between two reports of its progress: a report touches what
/// every job shares (a progress bar's counter, its clock), a run of a small scenario takes
/// microseconds.
#[cfg(not(windows))]
pub const SEEDS_PER_REPORT: u64 = 256;

#[cfg(not(windows))]
fn explore_seeds(exploration: &Exploration, on_seeds: &(dyn Fn(u64) + Sync), covered: bool) -> Summary {
    if let StrategyFamily::Dfs(config) = exploration.strategy {
        let plan = crate::search::SearchPlan {
            variant: exploration.variant,
            faults: exploration.faults,
            config,
            max_runs: Some(exploration.seeds),
            coverage: covered,
        };
        return crate::search::search(&exploration.scenario, &plan, &|| on_seeds(1));
    }
    let expected = Expectation::of(&exploration.scenario, exploration.variant);
    let strategy = exploration.strategy.resolved(&exploration.scenario, exploration.variant);
    let exploration = &Exploration { strategy, ..exploration.clone() };
    let coverage =
        covered.then(|| Coverage { faults: fault_labels(exploration.faults), ..Coverage::default() });
    let tally = Mutex::new(Tally { coverage: coverage.clone(), ..Tally::default() });
    let lowest_failure = AtomicU64::new(u64::MAX);
    let jobs = exploration.jobs.max(1) as u64;
    // Each job tallies its own seeds and merges once at its end: no lock per seed. With
    // more than one, each runs its own copy of the scenario (`Scenario::unshared`).
    let work = |job: u64| {
        let scenario =
            if jobs == 1 { exploration.scenario.clone() } else { Arc::new(exploration.scenario.unshared()) };
        let mut own = Tally { coverage: coverage.clone(), ..Tally::default() };
        let stride = Stride { scenario: &scenario, expected, job, jobs };
        run_stride(exploration, &stride, &mut own, &lowest_failure, on_seeds);
        tally.lock().merge(own);
    };
    if jobs == 1 {
        work(0);
    } else {
        run_on_threads(jobs, &work);
    }
    let mut tally = tally.into_inner();
    tally.count_held();
    let seeds_run = match (&tally.first_failure, exploration.stop_at_first_failure) {
        (Some(failure), true) => failure.seed - exploration.start_seed + 1,
        _ => tally.verdicts.total(),
    };
    Summary {
        scenario: exploration.scenario.name.clone(),
        source: exploration.scenario.source.clone(),
        variant: exploration.variant,
        strategy: exploration.strategy,
        start_seed: exploration.start_seed,
        seeds_run,
        verdicts: tally.verdicts,
        expected,
        first_failure: tally.first_failure,
        search: None,
        fault_arguments: fault_arguments(&exploration.scenario, exploration.faults),
        faulted: tally.faulted,
        coverage: tally.coverage,
    }
}

#[cfg(not(windows))]
#[expect(
    clippy::disallowed_methods,
    reason = "--jobs spreads whole simulations over OS threads; none runs inside a simulation"
)]
fn run_on_threads(jobs: u64, work: &(dyn Fn(u64) + Sync)) {
    std::thread::scope(|scope| {
        for job in 0..jobs {
            scope.spawn(move || work(job));
        }
    });
}

/// One job's share of an exploration: seeds `job`, `job + jobs`, … from the start seed, run
/// on `scenario` (the job's own copy when there are several).
#[cfg(not(windows))]
struct Stride<'a> {
    scenario: &'a Arc<Scenario>,
    expected: Expectation,
    job: u64,
    jobs: u64,
}

#[cfg(not(windows))]
fn run_stride(
    exploration: &Exploration,
    stride: &Stride<'_>,
    tally: &mut Tally,
    lowest_failure: &AtomicU64,
    on_seeds: &(dyn Fn(u64) + Sync),
) {
    let Stride { scenario, expected, job, jobs } = *stride;
    let end = exploration.start_seed + exploration.seeds;
    let mut seed = exploration.start_seed + job;
    let mut unreported = 0;
    while seed < end {
        if exploration.stop_at_first_failure && seed > lowest_failure.load(Ordering::Relaxed) {
            break;
        }
        let mut spec = RunSpec::new(exploration.variant, exploration.strategy.spec(seed))
            .with_faults(exploration.faults);
        spec.coverage = tally.coverage.is_some();
        let run = try_run(scenario, &spec).expect("a seeded strategy never stops a run");
        let failed = expected.is_failure(run.verdict);
        let counted = Counted { seed, verdict: run.verdict, faults: run.faults, served: run.served };
        if exploration.stop_at_first_failure {
            tally.held.push(counted);
        } else {
            tally.count(counted);
        }
        if failed && tally.first_failure.as_ref().is_none_or(|f| seed < f.seed) {
            lowest_failure.fetch_min(seed, Ordering::Relaxed);
            tally.first_failure = Some(Failure { seed, verdict: run.verdict, details: run.details });
        }
        unreported += 1;
        if unreported == SEEDS_PER_REPORT {
            on_seeds(unreported);
            unreported = 0;
        }
        seed += jobs;
    }
    on_seeds(unreported);
}
