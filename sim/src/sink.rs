//! What a run delivers its model events and platform facts to: a [`RunSink`], owned by the
//! run while it lasts. A run is on one OS thread, so the sink needs no lock of its own (a
//! lock per event and fact was a tenth of a run's time); a sink shared with other threads
//! (an [`EventSink`] behind an `Arc`) is a `RunSink` too.
//!
//! Owns delivery only: it never judges, and never changes the run it is told about.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::fact::Fact;
use plughost_model::platform::ThreadId;

/// Receives one run's model events and platform facts, in the one order the run made them.
pub trait RunSink: Any {
    /// One model event, in emission order.
    fn record(&mut self, at: Duration, thread: ThreadId, event: &ModelEvent);
    /// One platform fact, in the order the platform observed it.
    fn fact(&mut self, at: Duration, fact: &Fact);
    /// Whether a check fed by these events and facts already failed (asked at each choice
    /// point of a run that ends at its first violation).
    fn violated(&self) -> bool;
}

impl RunSink for Arc<dyn EventSink> {
    fn record(&mut self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        (**self).record(at, thread, event);
    }

    fn fact(&mut self, at: Duration, fact: &Fact) {
        (**self).fact(at, fact);
    }

    fn violated(&self) -> bool {
        (**self).violated()
    }
}

/// A sink that takes nothing: what a run's state holds once its sink was handed back (and
/// what the kernel's own tests run with).
pub(crate) struct Deaf;

impl RunSink for Deaf {
    fn record(&mut self, _: Duration, _: ThreadId, _: &ModelEvent) {}
    fn fact(&mut self, _: Duration, _: &Fact) {}
    fn violated(&self) -> bool {
        false
    }
}
