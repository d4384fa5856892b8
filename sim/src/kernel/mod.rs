//! The simulation kernel: one [`State`] behind one lock, shared by every simulated thread,
//! and the async operations the platform handles are made of.
//!
//! Exactly one simulated thread runs at a time. Every operation starts with a choice point
//! ([`Kernel::choice_point`]) where the strategy may hand the processor to another runnable
//! thread or let the clock run to the next timer; then it takes effect atomically. A thread
//! that must wait blocks ([`State::block`]) and resumes when another thread's operation
//! (or the clock) wakes it *and* the strategy picks it. The executor (`tasks`) polls only
//! the running thread's future, so nothing but the strategy orders the threads.
//!
//! Never hold the state lock across an await, and never drop a future, a waker or a host
//! object while holding it (their destructors may re-enter the kernel).

mod objects;
mod ops;
mod processes;
mod state;
mod tasks;
mod transport;

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::platform::{BoxFuture, ThreadId};

pub use crate::budget::Budget;
pub(crate) use objects::{LockKind, Mode};
pub(crate) use state::{CallId, EventId, LockId, ProcessId, State, ThreadState, Wait, Wake};

use crate::footprint::Object;
use crate::strategy::Strategy;
use crate::trace;

/// A handle to the kernel of one run.
#[derive(Clone)]
pub(crate) struct Kernel(Arc<Shared>);

/// What every handle of one run shares: the state, and whether the run is traced (fixed
/// for the run, so an untraced run's trace calls cost no lock).
struct Shared {
    state: Mutex<State>,
    tracing: bool,
}

impl Kernel {
    pub fn new(
        strategy: Box<dyn Strategy>,
        budget: Budget,
        sink: Arc<dyn EventSink>,
        tracing: bool,
    ) -> Kernel {
        Kernel(Arc::new(Shared { state: Mutex::new(State::new(strategy, budget, sink, tracing)), tracing }))
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock()
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
        let mut state = self.state();
        state.touch(Object::Observer);
        let me = state.current();
        state.sink.record(state.clock, me, &event);
        if state.tracing {
            trace::line(state.clock, state.thread_name(me), format_args!("{event}"));
        }
    }

    /// Writes a trace line for the running thread, built (from the locked state) only when
    /// recording.
    pub fn trace(&self, text: impl FnOnce(&State) -> String) {
        if self.0.tracing {
            let state = self.state();
            state.trace_as(state.current(), text);
        }
    }

    /// Current virtual time.
    pub fn now(&self) -> Duration {
        self.state().clock
    }
}
