//! Events outside Windows: every event of a process is a slot under one `parking_lot` mutex,
//! with one condition variable notified whenever an event is set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use plughost_model::fact::{Blocker, Fact};
use plughost_model::platform::{Reset, ThreadId};

use crate::facts::FactOut;
use crate::threads::{self, Activity, ThreadTable};

struct Slot {
    name: String,
    reset: Reset,
    signalled: bool,
}

/// The events of one process.
pub struct EventHub {
    slots: Mutex<Vec<Slot>>,
    changed: Condvar,
    threads: Arc<ThreadTable>,
    facts: Arc<FactOut>,
}

impl EventHub {
    /// No events yet.
    pub fn new(threads: Arc<ThreadTable>, facts: Arc<FactOut>) -> Arc<EventHub> {
        Arc::new(EventHub { slots: Mutex::new(Vec::new()), changed: Condvar::new(), threads, facts })
    }

    /// A new non-signalled event.
    pub fn add(self: &Arc<Self>, name: String, reset: Reset) -> RealEvent {
        let mut slots = self.slots.lock();
        slots.push(Slot { name, reset, signalled: false });
        RealEvent { hub: self.clone(), index: slots.len() - 1 }
    }

    /// Waits until one of `events` is signalled (lowest index wins, auto-reset consumed), or
    /// `timeout` passes (`None`).
    pub(super) fn wait_any(&self, events: &[&RealEvent], timeout: Option<Duration>) -> Option<usize> {
        let indices: Vec<usize> = events.iter().map(|e| e.index).collect();
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut slots = self.slots.lock();
        if let Some(position) = Self::take_signalled(&mut slots, &indices) {
            return Some(position);
        }
        if timeout == Some(Duration::ZERO) {
            return None;
        }
        let me: Option<ThreadId> = threads::try_current();
        if let Some(me) = me {
            self.facts.emit(Fact::Blocked { thread: me, on: Blocker::Events, timed: timeout.is_some() });
            let names: Vec<&str> = indices.iter().map(|&e| slots[e].name.as_str()).collect();
            self.threads.set(me, super::waiting(&names, timeout));
        }
        let taken = loop {
            let timed_out = match deadline {
                None => {
                    self.changed.wait(&mut slots);
                    false
                }
                Some(deadline) => self.changed.wait_until(&mut slots, deadline).timed_out(),
            };
            let taken = Self::take_signalled(&mut slots, &indices);
            if taken.is_some() || timed_out {
                break taken;
            }
        };
        if let Some(me) = me {
            self.threads.set(me, Activity::Running);
        }
        taken
    }

    /// The position in `events` of the lowest signalled one, consuming an auto-reset signal.
    fn take_signalled(slots: &mut [Slot], events: &[usize]) -> Option<usize> {
        let position = events.iter().position(|&e| slots[e].signalled)?;
        let slot = &mut slots[events[position]];
        if slot.reset == Reset::Auto {
            slot.signalled = false;
        }
        Some(position)
    }

    fn set(&self, index: usize) {
        self.slots.lock()[index].signalled = true;
        self.changed.notify_all();
    }
}

/// One event.
pub struct RealEvent {
    hub: Arc<EventHub>,
    index: usize,
}

impl RealEvent {
    pub(super) fn hub(&self) -> &Arc<EventHub> {
        &self.hub
    }

    /// `SetEvent`.
    pub(super) fn signal(&self) {
        self.hub.set(self.index);
    }

    /// `ResetEvent`.
    pub(super) fn clear(&self) {
        self.hub.slots.lock()[self.index].signalled = false;
    }
}
