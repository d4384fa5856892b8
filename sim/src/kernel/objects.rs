//! Simulated synchronisation objects: lock and event state, with owner and waiter
//! bookkeeping for the wait-for graph.
//!
//! Semantics: a released lock wakes all its waiters, who race for it again when the
//! strategy runs them (no hand-off, as with Windows locks); a recursive mutex counts
//! recursion per owner; re-entering an SRW lock or a plain mutex panics (a model bug). An
//! event satisfies waiters at the moment it is set, like the Windows kernel: an auto-reset
//! event releases its oldest waiter and stays reset, a manual-reset event releases all.

use plughost_model::fact::{self, Fact, LockMode};
use plughost_model::platform::{Reset, ThreadId};

use super::state::{EventId, LockId, State, Wait, Wake};
use crate::footprint::Object;

/// The three lock kinds of the seam.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LockKind {
    Recursive,
    Srw,
    Plain,
}

/// How a lock is held.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Exclusive,
    Shared,
}

pub(crate) struct LockState {
    pub name: String,
    pub kind: LockKind,
    pub owner: Option<ThreadId>,
    pub depth: u32,
    pub shared: Vec<ThreadId>,
    pub waiters: Vec<ThreadId>,
}

pub(crate) struct EventState {
    pub name: String,
    pub reset: Reset,
    pub signalled: bool,
    /// Blocked waiters, oldest first.
    pub waiters: Vec<ThreadId>,
    /// Who is expected to set it, for deadlock reports.
    pub signaller: Option<ThreadId>,
}

impl State {
    pub fn add_lock(&mut self, name: String, kind: LockKind) -> LockId {
        let id = self.locks.len();
        // The fact borrows the name for the sink's call; the lock keeps it (no copy).
        let created = Fact::LockCreated { lock: fact::LockId(id as u32), name };
        self.fact(&created);
        let Fact::LockCreated { name, .. } = created else { unreachable!("built above") };
        self.locks.push(LockState {
            name,
            kind,
            owner: None,
            depth: 0,
            shared: Vec::new(),
            waiters: Vec::new(),
        });
        id
    }

    pub fn add_event(&mut self, name: String, reset: Reset) -> EventId {
        self.events.push(EventState { name, reset, signalled: false, waiters: Vec::new(), signaller: None });
        self.events.len() - 1
    }

    /// Takes `lock` for `me` if it can (`timed`: the acquisition has a timeout); returns the
    /// recursion depth reached.
    pub fn try_acquire(&mut self, lock: LockId, me: ThreadId, mode: Mode, timed: bool) -> Option<u32> {
        self.touch(Object::Lock(lock as u32));
        let state = &mut self.locks[lock];
        let reentry = state.owner == Some(me) || state.shared.contains(&me);
        if reentry && state.kind != LockKind::Recursive {
            panic!("{} re-entered by the thread holding it (it is not recursive)", state.name);
        }
        match mode {
            Mode::Exclusive if state.owner == Some(me) => state.depth += 1,
            Mode::Exclusive if state.owner.is_none() && state.shared.is_empty() => {
                state.owner = Some(me);
                state.depth = 1;
            }
            Mode::Shared if state.owner.is_none() => state.shared.push(me),
            _ => return None,
        }
        let depth = state.depth.max(1);
        let mode = match mode {
            Mode::Exclusive => LockMode::Exclusive,
            Mode::Shared => LockMode::Shared,
        };
        self.plain_fact(Fact::LockAcquired { thread: me, lock: fact::LockId(lock as u32), mode, timed });
        Some(depth)
    }

    /// Releases one level of `thread`'s hold; a lock that becomes free wakes its waiters.
    /// A killed thread's guards are dropped with its future, after the step that killed it:
    /// that release belongs to no step's footprint (the kill touched everything).
    pub fn release(&mut self, lock: LockId, thread: ThreadId, mode: Mode) {
        if !self.is_done(thread) {
            self.touch(Object::Lock(lock as u32));
        }
        let state = &mut self.locks[lock];
        match mode {
            Mode::Exclusive => {
                if state.owner != Some(thread) {
                    return; // the holder's process died and took the lock with it
                }
                state.depth -= 1;
                if state.depth == 0 {
                    state.owner = None;
                }
            }
            Mode::Shared => {
                let before = state.shared.len();
                state.shared.retain(|&t| t != thread);
                if state.shared.len() == before {
                    return; // likewise
                }
            }
        }
        self.plain_fact(Fact::LockReleased { thread, lock: fact::LockId(lock as u32) });
        let state = &self.locks[lock];
        if state.owner.is_none() && (state.shared.is_empty() || mode == Mode::Shared) {
            for waiter in std::mem::take(&mut self.locks[lock].waiters) {
                self.unblock(waiter, Wake::Retry);
            }
        }
    }

    /// Blocks the running thread until `lock` is released (or `deadline` passes).
    pub fn wait_for_lock(&mut self, lock: LockId, me: ThreadId, deadline: Option<std::time::Duration>) {
        self.locks[lock].waiters.push(me);
        self.block(me, Wait::Lock(lock), deadline);
    }

    /// `SetEvent`.
    pub fn set_event(&mut self, event: EventId) {
        self.touch(Object::Event(event as u32));
        let state = &mut self.events[event];
        match state.reset {
            Reset::Auto => match state.waiters.first().copied() {
                Some(waiter) => self.satisfy(waiter, event),
                None => state.signalled = true,
            },
            Reset::Manual => {
                state.signalled = true;
                for waiter in std::mem::take(&mut state.waiters) {
                    self.satisfy(waiter, event);
                }
            }
        }
    }

    /// Consumes the lowest signalled event of `events`, as a satisfied wait would.
    pub fn take_signalled(&mut self, events: &[EventId]) -> Option<usize> {
        for &event in events {
            self.touch(Object::Event(event as u32));
        }
        let index = events.iter().position(|&e| self.events[e].signalled)?;
        let state = &mut self.events[events[index]];
        if state.reset == Reset::Auto {
            state.signalled = false;
        }
        Some(index)
    }

    /// Blocks the running thread on `events` (until one is set, or `deadline` passes).
    pub fn wait_for_events(
        &mut self,
        events: Vec<EventId>,
        me: ThreadId,
        deadline: Option<std::time::Duration>,
    ) {
        for &event in &events {
            self.events[event].waiters.push(me);
        }
        self.block(me, Wait::Events(events), deadline);
    }

    fn satisfy(&mut self, waiter: ThreadId, event: EventId) {
        let ThreadState::Blocked { wait: Wait::Events(events), .. } = &self.threads[waiter.0 as usize].state
        else {
            unreachable!("an event waiter is blocked on events");
        };
        let index = events.iter().position(|&e| e == event).expect("a waiter waits on its event");
        self.unblock(waiter, Wake::Signalled(index));
    }
}

use super::state::ThreadState;
