//! Running a scenario once in the simulator: the observer, the driver, the run, the verdict.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use plughost_model::design::Variant;
use plughost_sim::faults::FaultBudget;
use plughost_sim::{Decision, Ends, Outcome, RunConfig, RunReport, SimPlatform, Stop, StrategySpec};

use crate::coverage::{CoverageSink, Served};
use crate::driver::drive;
use crate::observer::{Observer, ViolationMark};
use crate::scenario::Scenario;
use crate::verdict::Verdict;

/// How to run a scenario once.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Design and mutant.
    pub variant: Variant,
    /// Who decides the choice points.
    pub strategy: StrategySpec,
    /// Where the run ends.
    pub ends: Ends,
    /// Whether to record the canonical trace.
    pub record_trace: bool,
    /// The faults the strategy may inject.
    pub faults: FaultBudget,
    /// Whether to collect what the run's callbacks met (`crate::coverage`).
    pub coverage: bool,
    /// Whether to keep the run's outcome as conformance compares it (`crate::outcome`).
    pub outcome: bool,
}

impl RunSpec {
    /// A run to completion, without a trace.
    pub fn new(variant: Variant, strategy: StrategySpec) -> RunSpec {
        RunSpec {
            variant,
            strategy,
            ends: Ends::Completion,
            record_trace: false,
            faults: FaultBudget::NONE,
            coverage: false,
            outcome: false,
        }
    }

    /// The same run, with `faults` as its fault budget.
    pub fn with_faults(self, faults: FaultBudget) -> RunSpec {
        RunSpec { faults, ..self }
    }

    /// The same run, with its trace.
    pub fn traced(self) -> RunSpec {
        RunSpec { record_trace: true, ..self }
    }

    /// The same run, collecting what its callbacks met.
    pub fn covered(self) -> RunSpec {
        RunSpec { coverage: true, ..self }
    }
}

/// One simulated run, judged.
#[derive(Clone, Debug)]
pub struct SimRun {
    /// The verdict.
    pub verdict: Verdict,
    /// Why (empty for a pass).
    pub details: Vec<String>,
    /// Whether an always-on oracle failed (not only a scenario's own expectation).
    pub oracle_failed: bool,
    /// The decision list that replays the run.
    pub decisions: Vec<Decision>,
    /// Choice points passed.
    pub steps: u64,
    /// Schedule decisions that preempted a thread that could have continued.
    pub preemptions: u32,
    /// For each decision, what a guided run's continuation would have chosen there.
    pub continuations: Vec<u32>,
    /// Virtual time at the end.
    pub virtual_time: Duration,
    /// The faults injected, as `fault (where)`: when any was, the run was judged by the
    /// always-on oracles alone.
    pub faults: Vec<String>,
    /// The canonical trace, when requested.
    pub trace: Option<String>,
    /// Where each violated invariant was violated in the trace (traced runs only).
    pub marks: Vec<ViolationMark>,
    /// What the run's callbacks met (runs that asked for coverage only).
    pub served: Option<BTreeSet<Served>>,
    /// The verdict, step results and plugin logs (runs that asked for their outcome only).
    pub outcome: Option<crate::outcome::RunOutcome>,
}

/// Runs `scenario` once as `spec` says. `Err` when the strategy stopped the run: a decision
/// list that does not fit it (the message names the decision), or a branch the search
/// prunes.
pub fn try_run(scenario: &Arc<Scenario>, spec: &RunSpec) -> Result<SimRun, Stop> {
    let config = RunConfig {
        strategy: spec.strategy.clone(),
        budget: scenario.explore.budget,
        ends: spec.ends,
        faults: spec.faults,
    };
    let (root_scenario, variant) = (scenario.clone(), spec.variant);
    let root = move |platform| drive(platform, root_scenario, variant);
    let (report, trace, observer, served) = if spec.coverage {
        run_covered(scenario, spec, &config, root)
    } else {
        let seen = Observer::seeing(spec.variant.design, spec.record_trace);
        let go = || plughost_sim::run_with_sink(&config, seen, root);
        let ((report, seen), trace) = plughost_sim::trace::record_if(spec.record_trace, go);
        (report, trace, Observer::of_run(scenario.clone(), seen), None)
    };
    if let Outcome::Stopped(stop) = report.outcome {
        return Err(stop);
    }
    let judgement = observer.judge_as(&report.outcome, report.faults.is_empty());
    let marks = trace.as_deref().map_or_else(Vec::new, |trace| observer.marks(trace));
    let outcome = spec.outcome.then(|| observer.outcome(judgement.verdict));
    observer.recycle();
    Ok(SimRun {
        verdict: judgement.verdict,
        details: judgement.details,
        oracle_failed: judgement.oracle_failed,
        decisions: report.decisions,
        steps: report.steps,
        preemptions: report.preemptions,
        continuations: report.continuations,
        virtual_time: report.virtual_time,
        faults: report.faults,
        trace,
        marks,
        served,
        outcome,
    })
}

/// A run whose coverage is collected: its events pass through a [`CoverageSink`] in front
/// of the observer, shared with the run.
fn run_covered<Fut: Future<Output = ()> + Send + 'static>(
    scenario: &Arc<Scenario>,
    spec: &RunSpec,
    config: &RunConfig,
    root: impl FnOnce(SimPlatform) -> Fut,
) -> (RunReport, Option<String>, Observer, Option<BTreeSet<Served>>) {
    let seen = Observer::seeing(spec.variant.design, spec.record_trace);
    let observer = Arc::new(Observer::of_run(scenario.clone(), seen));
    let coverage = Arc::new(CoverageSink::new(observer.clone()));
    let go = || plughost_sim::run(config, coverage.clone(), root);
    let (report, trace) = plughost_sim::trace::record_if(spec.record_trace, go);
    let served = coverage.served();
    drop(coverage);
    let observer = Arc::try_unwrap(observer)
        .unwrap_or_else(|_| unreachable!("an ended run and its coverage sink hold no observer"));
    (report, trace, observer, Some(served))
}

/// Runs `scenario` once to completion under `variant` with a seeded strategy (random or
/// PCT, which never stop a run).
pub fn run_sim(
    scenario: &Arc<Scenario>,
    variant: Variant,
    strategy: StrategySpec,
    record_trace: bool,
) -> SimRun {
    let spec = RunSpec { record_trace, ..RunSpec::new(variant, strategy) };
    try_run(scenario, &spec).unwrap_or_else(|stop| panic!("a seeded strategy stopped a run: {stop}"))
}

#[cfg(test)]
mod tests {
    use plughost_model::design::{Design, Variant};

    use super::*;

    /// What one run left: its judgement, where its violations are in its trace, and the trace.
    type Judged = (crate::verdict::Verdict, Vec<String>, bool, Vec<ViolationMark>, Option<String>);

    /// One run: a scenario, a variant, a seed, whether it is traced, where it ends.
    type Case = (Arc<Scenario>, Variant, u64, bool, Ends);

    fn judged((scenario, variant, seed, traced, ends): &Case) -> Judged {
        let spec = RunSpec {
            record_trace: *traced,
            ends: *ends,
            ..RunSpec::new(*variant, StrategySpec::Random { seed: *seed })
        };
        let run = try_run(scenario, &spec).expect("a seeded strategy never stops a run");
        (run.verdict, run.details, run.oracle_failed, run.marks, run.trace)
    }

    /// The observer of a run starts from what the last run on its OS thread saw (its judges'
    /// tables, emptied). A run must be judged exactly as on a thread that ran nothing before:
    /// whatever the runs before it left behind (violations, locks still held and hook calls
    /// still open when a run halted at its first violation or wedged, another design's judges,
    /// a trace's texts) must not reach it.
    #[test]
    fn a_run_is_judged_after_others_exactly_as_on_its_own() {
        let cases = cases();
        let alone: Vec<Judged> = cases
            .iter()
            .map(|case| {
                Observer::forget_spare();
                judged(case)
            })
            .collect();
        let failing = alone.iter().filter(|j| j.2).count();
        assert!(failing > 0, "some of the runs break invariants, so their judges are left holding state");
        Observer::forget_spare();
        for (case, expected) in cases.iter().zip(&alone).rev() {
            let (scenario, variant, seed, _, ends) = case;
            assert_eq!(&judged(case), expected, "{} under {variant:?}, seed {seed}, {ends:?}", scenario.name);
        }
    }

    /// Every table of the observer and its judges is emptied for the next run: after any run
    /// (one that halted at its first violation, or wedged, included), the reset observer
    /// prints field for field as a new one does.
    #[test]
    fn a_reset_observer_reads_as_a_new_one() {
        for case in cases() {
            judged(&case);
            let (reset, new) = Observer::spare_reset_and_new().expect("a run leaves what it saw");
            assert_eq!(reset, new, "after {} under {:?}, seed {}, {:?}", case.0.name, case.1, case.2, case.4);
        }
    }

    /// Runs of every catalogue scenario: the pump, a mutant it catches (to completion and halted
    /// at the first violation) and another design, two seeds each, traced or not in turn.
    fn cases() -> Vec<Case> {
        let scenarios = crate::catalogue::all().expect("the catalogue loads");
        let mut cases: Vec<Case> = Vec::new();
        for (at, scenario) in scenarios.iter().enumerate() {
            let mutant = scenario.catches.first().map(|(mutant, _)| *mutant);
            let design = Design::ALL[at % Design::ALL.len()];
            let caught = Variant { design: mutant.map_or(Design::Pump, |m| m.home_design()), mutant };
            for (variant, ends) in [
                (Variant::PUMP, Ends::Completion),
                (caught, Ends::Completion),
                (caught, Ends::FirstViolation),
                (Variant { design, mutant: None }, Ends::Completion),
            ] {
                for seed in [0, 1] {
                    cases.push((
                        scenario.clone(),
                        variant,
                        seed,
                        (at + seed as usize).is_multiple_of(2),
                        ends,
                    ));
                }
            }
        }
        cases
    }
}
