//! Real Win32-style events: manual- and auto-reset, `wait_timeout`, and `wait_any` that
//! returns the lowest signalled index and consumes an auto-reset signal.
//!
//! The primitive is chosen in one place ([`os`]): on Windows, Win32 event objects and
//! `WaitForMultipleObjects`, which has these semantics natively; elsewhere one `parking_lot`
//! mutex and condition variable per process (an event set wakes every waiter of the
//! process, who re-check their own events). Both keep the watchdog's report of who waits.

use std::time::Duration;

use plughost_model::platform::{Event, ThreadId};

use crate::threads::Activity;

#[cfg(not(windows))]
#[path = "portable.rs"]
mod os;
#[cfg(windows)]
#[path = "win32.rs"]
mod os;

pub use os::{EventHub, RealEvent};

/// What a thread waiting on the events named `names` is doing, for the watchdog's report.
fn waiting(names: &[&str], timeout: Option<Duration>) -> Activity {
    let waiting = format!("waits on {}", names.join(" or "));
    match timeout {
        Some(timeout) => Activity::Retrying(format!("{waiting} (for {timeout:?})")),
        None => Activity::Blocked(waiting),
    }
}

impl RealEvent {
    /// `WaitForMultipleObjects(events, FALSE, timeout)`: the lowest signalled index, or
    /// `None` once `timeout` passed.
    pub(crate) fn wait_any(events: &[&RealEvent], timeout: Option<Duration>) -> Option<usize> {
        let first = events.first().expect("waiting on no events");
        first.hub().wait_any(events, timeout)
    }
}

impl Event for RealEvent {
    async fn set(&self) {
        self.signal();
    }

    async fn reset(&self) {
        self.clear();
    }

    async fn wait(&self) {
        RealEvent::wait_any(&[self], None);
    }

    async fn wait_timeout(&self, timeout: Duration) -> bool {
        RealEvent::wait_any(&[self], Some(timeout)).is_some()
    }

    fn expect_signal_from(&self, _thread: ThreadId) {}
}
