//! Running one simulation: the kernel, the root thread, the kernel's executor until the
//! run has an outcome, and the teardown that leaves nothing behind (so memory stays flat
//! over millions of runs).
//!
//! A run is a pure function of its [`RunConfig`] and the root future: every decision that
//! matters comes from the strategy, and the clock is the kernel's. The result carries the
//! decision list that replays the run without the seed.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use plughost_model::event::EventSink;

use crate::decision::Decision;
use crate::faults::FaultBudget;
use crate::kernel::{Budget, Kernel};
use crate::outcome::Outcome;
use crate::platform::SimPlatform;
use crate::sink::{Deaf, RunSink};
use crate::strategy::StrategySpec;
use crate::trace;

/// What a run needs besides its root future.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Who decides the choice points.
    pub strategy: StrategySpec,
    /// When a run that has not ended counts as a livelock.
    pub budget: Budget,
    /// Where the run ends.
    pub ends: Ends,
    /// Which faults the strategy may inject (`faults`).
    pub faults: FaultBudget,
}

/// Where a run ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Ends {
    /// When every thread finished, or it deadlocked, livelocked, panicked or lost the service.
    #[default]
    Completion,
    /// Also at the first event after which the sink reports a violation
    /// (`EventSink::violated`): shrinking shows a failure up to where it happened.
    FirstViolation,
}

impl Ends {
    /// The name in decision-list headers.
    pub fn name(self) -> &'static str {
        match self {
            Ends::Completion => "completion",
            Ends::FirstViolation => "first-violation",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Ends> {
        [Ends::Completion, Ends::FirstViolation].into_iter().find(|e| e.name() == text)
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// How the kernel saw the run end.
    pub outcome: Outcome,
    /// The decisions taken at choice points with more than one option.
    pub decisions: Vec<Decision>,
    /// Choice points passed.
    pub steps: u64,
    /// Schedule decisions that preempted a thread that could have continued.
    pub preemptions: u32,
    /// For each decision, the option a guided run would have taken there past its prefix
    /// (`strategy::guided_continuation`): what shrinking lowers a decision to.
    pub continuations: Vec<u32>,
    /// The faults injected, as `fault (where)`, in order.
    pub faults: Vec<String>,
    /// Virtual time at the end.
    pub virtual_time: Duration,
}

thread_local! {
    static IN_SIMULATION: Cell<bool> = const { Cell::new(false) };
}

/// Makes panics inside simulations silent (they become a `panic` outcome with the message);
/// panics elsewhere still reach the previous hook. Call once, early, from a binary.
pub fn install_quiet_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !IN_SIMULATION.with(Cell::get) {
            previous(info);
        }
    }));
}

/// Runs `root` as the service's first thread (`svc/main`) until every thread finished, the
/// run deadlocked, a budget ran out, the model panicked or the service died.
pub fn run<F, Fut>(config: &RunConfig, sink: Arc<dyn EventSink>, root: F) -> RunReport
where
    F: FnOnce(SimPlatform) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with_sink(config, Box::new(sink), root).0
}

/// Runs `root` as [`run`] does, delivering to `sink`, which the run owns while it lasts
/// and hands back with its report (boxed: a sink that keeps a run's oracles is large, and it
/// is only ever moved by its pointer).
pub fn run_with_sink<S, F, Fut>(config: &RunConfig, sink: Box<S>, root: F) -> (RunReport, Box<S>)
where
    S: RunSink,
    F: FnOnce(SimPlatform) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let kernel = Kernel::new(config.strategy.build(), config.budget, sink, trace::enabled());
    {
        let mut state = kernel.state();
        state.halt_on_violation = config.ends == Ends::FirstViolation;
        state.faults = config.faults;
    }
    let service = kernel.state().add_process("svc".to_string(), None);
    let root_thread =
        kernel.spawn_thread(service, "main", None, Box::pin(root(SimPlatform::new(kernel.clone()))));
    kernel.state().start(root_thread);
    IN_SIMULATION.with(|flag| flag.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| kernel.run_until_end()));
    let outcome = match result {
        Ok(()) => kernel.state().outcome.clone().expect("a run that ended has an outcome"),
        Err(payload) => Outcome::Panic(plughost_model::platform::panic_message(payload.as_ref())),
    };
    let _ = panic::catch_unwind(AssertUnwindSafe(|| kernel.drop_tasks()));
    IN_SIMULATION.with(|flag| flag.set(false));
    let report = kernel.teardown(outcome);
    let mut state = kernel.end();
    let sink: Box<dyn RunSink> = std::mem::replace(&mut state.sink, Box::new(Deaf));
    let sink: Box<dyn Any> = sink;
    drop(state);
    let sink =
        sink.downcast::<S>().unwrap_or_else(|_| unreachable!("the run's sink is the one it was given"));
    (report, sink)
}

impl Kernel {
    /// Breaks every reference cycle through the kernel (wakers, host objects) and returns
    /// the run's report. Drops happen outside any borrow of the state.
    fn teardown(&self, outcome: Outcome) -> RunReport {
        let (wakers, hosts, report) = {
            let mut state = self.state();
            state.remember_sizes();
            state.running = None;
            if state.outcome.is_none() {
                state.outcome = Some(outcome.clone());
            }
            let wakers: Vec<_> = state.threads.iter_mut().filter_map(|t| t.waker.take()).collect();
            let hosts: Vec<_> = state.processes.iter_mut().filter_map(|p| p.host.take()).collect();
            let report = RunReport {
                outcome,
                decisions: std::mem::take(&mut state.decisions),
                steps: state.steps,
                preemptions: state.preemptions,
                continuations: std::mem::take(&mut state.continuations),
                faults: std::mem::take(&mut state.injected),
                virtual_time: state.clock,
            };
            (wakers, hosts, report)
        };
        drop(wakers);
        drop(hosts);
        report
    }
}
