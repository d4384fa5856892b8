//! Events on Windows: Win32 event objects; `wait_any` is `WaitForMultipleObjects`, which
//! returns the lowest signalled index and consumes an auto-reset event's signal itself.

use std::sync::Arc;
use std::time::Duration;

use plughost_model::fact::{Blocker, Fact};
use plughost_model::platform::Reset;
use plughost_win32::sync;

use crate::facts::FactOut;
use crate::threads::{self, Activity, ThreadTable};

/// The thread table the events of one process report their waiters to.
pub struct EventHub {
    threads: Arc<ThreadTable>,
    facts: Arc<FactOut>,
}

impl EventHub {
    /// No events yet.
    pub fn new(threads: Arc<ThreadTable>, facts: Arc<FactOut>) -> Arc<EventHub> {
        Arc::new(EventHub { threads, facts })
    }

    /// A new non-signalled event object.
    pub fn add(self: &Arc<Self>, name: String, reset: Reset) -> RealEvent {
        let os = sync::Event::new(reset == Reset::Manual).unwrap_or_else(|e| panic!("an event object: {e}"));
        RealEvent { hub: self.clone(), name, os }
    }

    /// `WaitForMultipleObjects(events, FALSE, timeout)`, reported to the thread table while
    /// it blocks.
    pub(super) fn wait_any(&self, events: &[&RealEvent], timeout: Option<Duration>) -> Option<usize> {
        let objects: Vec<&sync::Event> = events.iter().map(|e| &e.os).collect();
        if let Some(position) = sync::wait_any(&objects, Some(Duration::ZERO)) {
            return Some(position);
        }
        if timeout == Some(Duration::ZERO) {
            return None;
        }
        let me = threads::try_current();
        if let Some(me) = me {
            self.facts.emit(Fact::Blocked { thread: me, on: Blocker::Events, timed: timeout.is_some() });
            let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
            self.threads.set(me, super::waiting(&names, timeout));
        }
        let taken = sync::wait_any(&objects, timeout);
        if let Some(me) = me {
            self.threads.set(me, Activity::Running);
        }
        taken
    }
}

/// One event object.
pub struct RealEvent {
    hub: Arc<EventHub>,
    name: String,
    os: sync::Event,
}

impl RealEvent {
    pub(super) fn hub(&self) -> &Arc<EventHub> {
        &self.hub
    }

    /// `SetEvent`.
    pub(super) fn signal(&self) {
        self.os.set();
    }

    /// `ResetEvent`.
    pub(super) fn clear(&self) {
        self.os.reset();
    }
}
