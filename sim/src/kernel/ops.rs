//! The kernel's synchronisation operations: locks, events, sleep, join. Each is one choice
//! point followed by an atomic effect, blocking through [`State::block`] when it must wait.

use std::time::Duration;

use plughost_model::platform::ThreadId;

use super::Kernel;
use super::objects::{LockKind, Mode};
use super::state::{EventId, LockId, State, Wait, Wake};
use crate::footprint::Object;
use crate::trace;

impl Kernel {
    /// Acquires `lock`; with a timeout, gives up (`None`) when the deadline passes.
    pub async fn acquire(&self, lock: LockId, mode: Mode, timeout: Option<Duration>) -> Option<ThreadId> {
        self.choice_point().await;
        let deadline = timeout.map(|timeout| self.now() + timeout);
        loop {
            let me = {
                let mut state = self.state();
                let me = state.current();
                if let Some(depth) = state.try_acquire(lock, me, mode, timeout.is_some()) {
                    drop(state);
                    self.trace(|state| lock_line(state, lock, mode, depth));
                    return Some(me);
                }
                state.trace_as(me, |state| {
                    format!("blocks on {} (held by {})", state.locks[lock].name, holders(state, lock))
                });
                state.wait_for_lock(lock, me, deadline);
                me
            };
            match self.resume(me).await {
                Wake::Retry => continue,
                Wake::TimedOut => {
                    self.trace(|state| format!("timed out on {}", state.locks[lock].name));
                    return None;
                }
                other => unreachable!("a lock waiter woke with {other:?}"),
            }
        }
    }

    /// Releases one level of `thread`'s hold on `lock`.
    pub fn release(&self, lock: LockId, thread: ThreadId, mode: Mode) {
        let mut state = self.state();
        state.release(lock, thread, mode);
        if state.running == Some(thread) && state.tracing {
            let (name, lock_name) = (state.thread_name(thread), &state.locks[lock].name);
            if !trace::fold_unlock(state.clock, name, lock_name) {
                trace::line(state.clock, name, format_args!("unlock {lock_name}"));
            }
        }
    }

    /// Whether the running thread owns `lock` exclusively.
    pub fn owns(&self, lock: LockId) -> bool {
        let mut state = self.state();
        state.touch(Object::Lock(lock as u32));
        state.running.is_some() && state.locks[lock].owner == state.running
    }

    /// `SetEvent`.
    pub async fn set_event(&self, event: EventId) {
        self.choice_point().await;
        self.state().set_event(event);
        self.trace(|state| format!("set {}", state.events[event].name));
    }

    /// `ResetEvent`.
    pub async fn reset_event(&self, event: EventId) {
        self.choice_point().await;
        self.state().events[event].signalled = false;
        self.trace(|state| format!("reset {}", state.events[event].name));
    }

    /// Waits for any of `events` (lowest signalled index wins); `Some(ZERO)` polls, and a
    /// timeout yields `None`.
    pub async fn wait_events(&self, events: &[EventId], timeout: Option<Duration>) -> Option<usize> {
        self.choice_point().await;
        let me = {
            let mut state = self.state();
            let me = state.current();
            if let Some(index) = state.take_signalled(events) {
                drop(state);
                self.trace(|state| wait_line(state, events, Some(index)));
                return Some(index);
            }
            if timeout == Some(Duration::ZERO) {
                drop(state);
                self.trace(|state| wait_line(state, events, None));
                return None;
            }
            let deadline = timeout.map(|timeout| state.clock + timeout);
            state.trace_as(me, |state| format!("waits on {}", event_names(state, events)));
            state.wait_for_events(events.to_vec(), me, deadline);
            me
        };
        let index = match self.resume(me).await {
            Wake::Signalled(index) => Some(index),
            Wake::TimedOut => None,
            other => unreachable!("an event waiter woke with {other:?}"),
        };
        self.trace(|state| wait_line(state, events, index));
        index
    }

    /// Sleeps the running thread.
    pub async fn sleep(&self, duration: Duration) {
        self.choice_point().await;
        if duration.is_zero() {
            return;
        }
        self.trace(|_| format!("sleeps {}", trace::duration(duration)));
        let me = {
            let mut state = self.state();
            let me = state.current();
            let deadline = state.clock + duration;
            state.block(me, Wait::Sleep, Some(deadline));
            me
        };
        let wake = self.resume(me).await;
        debug_assert!(matches!(wake, Wake::TimedOut));
    }

    /// Waits until `thread` finished (or died).
    pub async fn join(&self, thread: ThreadId) {
        self.choice_point().await;
        let me = {
            let mut state = self.state();
            let me = state.current();
            state.touch(Object::Thread(thread.0));
            if state.is_done(thread) {
                None
            } else {
                state.trace_as(me, |state| format!("waits to join {}", state.thread_name(thread)));
                state.thread(thread).joiners.push(me);
                state.block(me, Wait::Join(thread), None);
                Some(me)
            }
        };
        if let Some(me) = me {
            let wake = self.resume(me).await;
            debug_assert!(matches!(wake, Wake::Joined));
        }
        self.trace(|state| format!("joined {}", state.thread_name(thread)));
    }
}

fn holders(state: &State, lock: LockId) -> String {
    let lock = &state.locks[lock];
    match lock.owner {
        Some(owner) => state.thread_name(owner).to_string(),
        None => lock.shared.iter().map(|&t| state.thread_name(t)).collect::<Vec<_>>().join(", "),
    }
}

fn lock_line(state: &State, lock: LockId, mode: Mode, depth: u32) -> String {
    let lock = &state.locks[lock];
    match (lock.kind, mode) {
        (LockKind::Recursive, _) if depth > 1 => format!("lock {} (depth {depth})", lock.name),
        (_, Mode::Shared) => format!("lock {} (shared)", lock.name),
        _ => format!("lock {}", lock.name),
    }
}

fn event_names(state: &State, events: &[EventId]) -> String {
    let names: Vec<&str> = events.iter().map(|&e| state.events[e].name.as_str()).collect();
    if names.len() == 1 { names[0].to_string() } else { format!("[{}]", names.join(", ")) }
}

fn wait_line(state: &State, events: &[EventId], index: Option<usize>) -> String {
    let names = event_names(state, events);
    match (index, events.len()) {
        (Some(_), 1) => format!("waited {names}: signalled"),
        (None, 1) => format!("waited {names}: not signalled"),
        (Some(index), _) => format!("waited {names}: {index}"),
        (None, _) => format!("waited {names}: timed out"),
    }
}
