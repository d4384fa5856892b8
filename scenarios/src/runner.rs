//! Running a scenario once in the simulator: the observer, the driver, the run, the verdict.

use std::sync::Arc;
use std::time::Duration;

use plughost_model::design::Variant;
use plughost_sim::{RunConfig, StrategySpec};

use crate::driver::drive;
use crate::observer::{Observer, ViolationMark};
use crate::scenario::Scenario;
use crate::verdict::Verdict;

/// One simulated run, judged.
#[derive(Clone, Debug)]
pub struct SimRun {
    /// The verdict.
    pub verdict: Verdict,
    /// Why (empty for a pass).
    pub details: Vec<String>,
    /// The decision list that replays the run.
    pub decisions: Vec<u32>,
    /// Choice points passed.
    pub steps: u64,
    /// Virtual time at the end.
    pub virtual_time: Duration,
    /// The canonical trace, when requested.
    pub trace: Option<String>,
    /// Where each violated invariant was violated in the trace (traced runs only).
    pub marks: Vec<ViolationMark>,
}

/// Runs `scenario` once under `variant`, deciding choice points with `strategy`.
pub fn run_sim(
    scenario: &Arc<Scenario>,
    variant: Variant,
    strategy: StrategySpec,
    record_trace: bool,
) -> SimRun {
    let observer = Arc::new(if record_trace {
        Observer::keeping_event_texts(scenario.clone())
    } else {
        Observer::new(scenario.clone())
    });
    let config = RunConfig { strategy, budget: scenario.explore.budget };
    let root_scenario = scenario.clone();
    let go = || {
        plughost_sim::run(&config, observer.clone(), move |platform| drive(platform, root_scenario, variant))
    };
    let (report, trace) = plughost_sim::trace::record_if(record_trace, go);
    let judgement = observer.judge(&report.outcome);
    let marks = trace.as_deref().map_or_else(Vec::new, |trace| observer.marks(trace));
    SimRun {
        verdict: judgement.verdict,
        details: judgement.details,
        decisions: report.decisions,
        steps: report.steps,
        virtual_time: report.virtual_time,
        trace,
        marks,
    }
}
