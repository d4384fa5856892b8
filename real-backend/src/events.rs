//! Real Win32-style events: manual- and auto-reset, `wait_timeout`, and `wait_any` that
//! returns the lowest signalled index, all on one `Mutex` + `Condvar` per process (an event
//! set wakes every waiter of the process, who re-check their own events).

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use plughost_model::fact::{Blocker, Fact};
use plughost_model::platform::{Event, Reset, ThreadId};

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
    pub fn wait(&self, events: &[usize], timeout: Option<Duration>) -> Option<usize> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut slots = self.slots.lock();
        if let Some(position) = Self::take_signalled(&mut slots, events) {
            return Some(position);
        }
        if timeout == Some(Duration::ZERO) {
            return None;
        }
        let me: Option<ThreadId> = threads::try_current();
        if let Some(me) = me {
            self.facts.emit(Fact::Blocked { thread: me, on: Blocker::Events, timed: timeout.is_some() });
            self.threads.set(me, Self::waiting(&slots, events, timeout));
        }
        let taken = loop {
            let timed_out = match deadline {
                None => {
                    self.changed.wait(&mut slots);
                    false
                }
                Some(deadline) => self.changed.wait_until(&mut slots, deadline).timed_out(),
            };
            let taken = Self::take_signalled(&mut slots, events);
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

    /// What a thread waiting on `events` is doing, for the watchdog's report.
    fn waiting(slots: &[Slot], events: &[usize], timeout: Option<Duration>) -> Activity {
        let names: Vec<&str> = events.iter().map(|&e| slots[e].name.as_str()).collect();
        let waiting = format!("waits on {}", names.join(" or "));
        match timeout {
            Some(timeout) => Activity::Retrying(format!("{waiting} (for {timeout:?})")),
            None => Activity::Blocked(waiting),
        }
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
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn hub(&self) -> &Arc<EventHub> {
        &self.hub
    }
}

impl Event for RealEvent {
    async fn set(&self) {
        self.hub.set(self.index);
    }

    async fn reset(&self) {
        self.hub.slots.lock()[self.index].signalled = false;
    }

    async fn wait(&self) {
        self.hub.wait(&[self.index], None);
    }

    async fn wait_timeout(&self, timeout: Duration) -> bool {
        self.hub.wait(&[self.index], Some(timeout)).is_some()
    }

    fn expect_signal_from(&self, _thread: ThreadId) {}
}
