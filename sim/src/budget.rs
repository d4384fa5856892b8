//! A simulated run's budget: how long it may go on, and how far time may run ahead of
//! runnable threads. Scenario files carry one, so it is defined apart from the kernel (and
//! exists where the kernel does not build: Windows).

use std::time::Duration;

/// How long a run may go on, and how far time may run ahead of runnable threads.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Virtual time after which a run with threads still waiting on timers is a livelock.
    pub time: Duration,
    /// Choice points after which a run is a livelock (threads spinning without time passing).
    pub steps: u64,
    /// The preemption bound: while threads are runnable, the strategy may let the clock run
    /// to the next timer only if it is at most this far away (a runnable thread stalled that
    /// long). With nothing runnable, the clock always runs to the next timer.
    pub preemption: Duration,
}
