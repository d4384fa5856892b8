//! The simulation kernel: one [`State`] per run, shared by every simulated thread,
//! and the async operations the platform handles are made of.
//!
//! Exactly one simulated thread runs at a time. Every operation starts with a choice point
//! ([`Kernel::choice_point`]) where the strategy may hand the processor to another runnable
//! thread or let the clock run to the next timer; then it takes effect atomically. A thread
//! that must wait blocks ([`State::block`]) and resumes when another thread's operation
//! (or the clock) wakes it *and* the strategy picks it. The executor (`tasks`) polls only
//! the running thread's future, so nothing but the strategy orders the threads.
//!
//! A run lives on one OS thread, and its state lives there too (`STATE`): a handle
//! borrows it by taking it out of the thread-local slot and putting it back when the
//! borrow ends ([`StateGuard`]), so no atomic operation is paid per kernel operation (a
//! lock's were a large share of a run's time). Never hold the state across an await, and
//! never drop a future, a waker or a host object while holding it (their destructors may
//! re-enter the kernel): the borrow would find the slot empty and panic.

mod objects;
mod ops;
mod processes;
mod state;
mod tasks;
mod transport;

use std::cell::Cell;
use std::future::poll_fn;
use std::ops::{Deref, DerefMut};
use std::task::Poll;
use std::time::Duration;

use plughost_model::event::ModelEvent;
use plughost_model::platform::{BoxFuture, ThreadId};

pub use crate::budget::Budget;
pub(crate) use objects::{LockKind, Mode};
pub(crate) use state::{CallId, EventId, LockId, ProcessId, State, ThreadState, Wait, Wake};

use crate::footprint::Object;
use crate::sink::RunSink;
use crate::strategy::Strategy;
use crate::trace;

/// A handle to the kernel of one run: the run's number on its OS thread, whose
/// thread-local slot holds the state.
#[derive(Clone)]
pub(crate) struct Kernel {
    run: u64,
}

thread_local! {
    /// The state of the run on this OS thread, while no handle borrows it.
    static STATE: Cell<Option<Box<State>>> = const { Cell::new(None) };
    /// The number the next run on this OS thread takes.
    static NEXT_RUN: Cell<u64> = const { Cell::new(0) };
}

/// A borrow of the run's state; dropping it puts the state back in its slot.
pub(crate) struct StateGuard {
    state: Option<Box<State>>,
}

impl Deref for StateGuard {
    type Target = State;

    fn deref(&self) -> &State {
        self.state.as_deref().expect("a guard holds the state until it is dropped")
    }
}

impl DerefMut for StateGuard {
    fn deref_mut(&mut self) -> &mut State {
        self.state.as_deref_mut().expect("a guard holds the state until it is dropped")
    }
}

impl Drop for StateGuard {
    #[inline]
    fn drop(&mut self) {
        // The slot is empty while a guard holds the state: what it held is `None`, which
        // has nothing to drop (forgetting it keeps a `State`'s destructor out of every
        // guard's).
        let previous = STATE.with(|slot| slot.replace(self.state.take()));
        debug_assert!(previous.is_none(), "two borrows of a run's state at once");
        std::mem::forget(previous);
    }
}

impl Kernel {
    /// Starts a run on this OS thread: its state goes into the thread's slot, which must
    /// be empty (runs on one OS thread never nest).
    pub fn new(strategy: Box<dyn Strategy>, budget: Budget, sink: Box<dyn RunSink>, tracing: bool) -> Kernel {
        let run = NEXT_RUN.with(|next| next.replace(next.get() + 1));
        let state = Box::new(State::new(run, strategy, budget, sink, tracing));
        let previous = STATE.with(|slot| slot.replace(Some(state)));
        assert!(previous.is_none(), "a run started on an OS thread where another had not ended");
        Kernel { run }
    }

    /// Borrows the run's state; panics if it is borrowed already (the kernel re-entered
    /// itself), or if this handle's run ended.
    #[inline]
    pub fn state(&self) -> StateGuard {
        let guard = StateGuard { state: STATE.with(Cell::take) };
        match guard.state.as_deref() {
            Some(state) if state.run == self.run => guard,
            Some(_) => panic!("a kernel handle outlived its run"),
            None => panic!("the kernel's state is borrowed already, or its run ended"),
        }
    }

    /// Ends the run: takes its state out of the thread's slot, to be dropped by the caller
    /// outside any borrow.
    pub fn end(&self) -> Box<State> {
        let mut guard = self.state();
        guard.state.take().expect("a guard holds the state until it is dropped")
    }

    /// The running thread.
    pub fn current(&self) -> ThreadId {
        self.state().current()
    }

    /// A scheduling point of the running thread (where the fault plan may crash a host
    /// whose call it serves).
    pub async fn choice_point(&self) {
        let next = {
            let mut state = self.state();
            let me = state.current();
            if state.crashes_while_serving(me) {
                None
            } else if state.reschedule(me) {
                Some(me)
            } else {
                return;
            }
        };
        match next {
            Some(me) => self.wait_turn(me).await,
            None => self.crash_own_process().await,
        }
    }

    /// Resolves when `me` is the running thread; never, once the run has ended.
    pub async fn wait_turn(&self, me: ThreadId) {
        poll_fn(|cx| {
            let mut state = self.state();
            if state.running == Some(me) {
                return Poll::Ready(());
            }
            let slot = state.thread(me);
            if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                slot.waker = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Waits, after `block` was recorded, until woken and scheduled; returns why it woke.
    pub async fn resume(&self, me: ThreadId) -> Wake {
        self.wait_turn(me).await;
        self.state().take_wake(me)
    }

    /// Starts a thread in `process` (no choice point: the caller had one), to serve inbound
    /// call `serves` if there is one.
    pub fn spawn_thread(
        &self,
        process: ProcessId,
        name: &str,
        serves: Option<CallId>,
        body: BoxFuture<()>,
    ) -> ThreadId {
        let mut state = self.state();
        let id = state.add_thread(process, name, serves);
        if let Some(parent) = state.running {
            state.trace_as(parent, |state| format!("spawn {}", state.thread_name(id)));
        }
        state.thread(id).task = Some(body);
        id
    }

    /// Emits a model event: oracles always, the trace when recording.
    pub fn emit(&self, event: ModelEvent) {
        let mut guard = self.state();
        let state = &mut *guard;
        state.touch(Object::Observer);
        let me = state.current();
        state.sink.record(state.clock, me, &event);
        if state.tracing {
            trace::line(state.clock, state.thread_name(me), format_args!("{event}"));
        }
    }

    /// Writes a trace line for the running thread, built (from the state) only when
    /// recording.
    pub fn trace(&self, text: impl FnOnce(&State) -> String) {
        let state = self.state();
        if state.tracing {
            state.trace_as(state.current(), text);
        }
    }

    /// Current virtual time.
    pub fn now(&self) -> Duration {
        self.state().clock
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;
    use crate::sink::Deaf;
    use crate::strategy::StrategySpec;

    fn kernel() -> Kernel {
        let budget =
            Budget { time: Duration::from_secs(1), steps: 100, preemption: Duration::from_millis(1) };
        Kernel::new(StrategySpec::Random { seed: 0 }.build(), budget, Box::new(Deaf), false)
    }

    fn panics(f: impl FnOnce()) -> bool {
        catch_unwind(AssertUnwindSafe(f)).is_err()
    }

    #[test]
    fn a_borrow_of_a_borrowed_state_panics_and_the_state_survives_it() {
        let kernel = kernel();
        let outer = kernel.state();
        assert!(panics(|| drop(kernel.state())));
        drop(outer);
        assert_eq!(kernel.state().clock, Duration::ZERO);
        drop(kernel.end());
    }

    #[test]
    fn a_handle_of_an_ended_run_cannot_reach_the_next_runs_state() {
        let ended = kernel();
        drop(ended.end());
        assert!(panics(|| drop(ended.state())));
        let next = kernel();
        assert!(panics(|| drop(ended.state())));
        assert_eq!(next.state().run, ended.run + 1);
        drop(next.end());
    }
}
