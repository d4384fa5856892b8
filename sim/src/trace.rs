//! The trace recorder: a `tracing-subscriber` layer that turns the simulator's trace events
//! into one canonical line each.
//!
//! Line format (documented in ARCHITECTURE.md): virtual time in milliseconds with three
//! decimals, right-aligned in 12 columns; the logical thread name (`svc/T-1`, `svc/W-2`,
//! `svc/R-3`, `host:TestPlugin/H-1`, `host:TestPlugin/worker`), left-aligned in 28; the
//! event. Only events with target [`TARGET`] are recorded. Nothing here reads a clock: time
//! is a field of the event.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The target of every trace event the simulator emits.
pub const TARGET: &str = "plughost::trace";

/// Emits one trace event.
pub(crate) fn line(time: Duration, thread: &str, text: fmt::Arguments<'_>) {
    tracing::event!(target: TARGET, Level::INFO, time_ns = time.as_nanos() as u64, thread, "{}", text);
}

/// Whether a trace recorder (or any subscriber interested in the trace) is installed.
pub(crate) fn enabled() -> bool {
    tracing::enabled!(target: TARGET, Level::INFO)
}

/// A duration as a person writes it: `25ms`, `1.5ms`, `30s`.
pub fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros.is_multiple_of(1_000_000) && micros > 0 {
        format!("{}s", micros / 1_000_000)
    } else if micros.is_multiple_of(1000) {
        format!("{}ms", micros / 1000)
    } else {
        format!("{}.{:03}ms", micros / 1000, micros % 1000)
    }
}

/// The time column.
fn time_column(time_ns: u64) -> String {
    let micros = time_ns / 1000;
    format!("{:>8}.{:03}ms", micros / 1000, micros % 1000)
}

/// Collects canonical trace lines.
#[derive(Clone, Default)]
pub struct TraceRecorder {
    text: Arc<Mutex<String>>,
}

impl TraceRecorder {
    /// The recorded lines so far, taken.
    pub fn take(&self) -> String {
        std::mem::take(&mut *self.text.lock())
    }
}

#[derive(Default)]
struct LineVisitor {
    time_ns: u64,
    thread: String,
    message: String,
}

impl Visit for LineVisitor {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "time_ns" {
            self.time_ns = value;
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "thread" {
            self.thread = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for TraceRecorder {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut visitor = LineVisitor::default();
        event.record(&mut visitor);
        let line = format!("{} {:<28} {}\n", time_column(visitor.time_ns), visitor.thread, visitor.message);
        self.text.lock().push_str(&line);
    }
}

/// Runs `f` with a trace recorder installed on this thread; returns its result and the trace.
pub fn record<R>(f: impl FnOnce() -> R) -> (R, String) {
    let recorder = TraceRecorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let result = tracing::subscriber::with_default(subscriber, f);
    (result, recorder.take())
}

/// Runs `f`, recording its trace only when `wanted`.
pub fn record_if<R>(wanted: bool, f: impl FnOnce() -> R) -> (R, Option<String>) {
    if wanted {
        let (result, trace) = record(f);
        (result, Some(trace))
    } else {
        (f(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(25)), "25ms");
        assert_eq!(duration(Duration::from_micros(1500)), "1.500ms");
        assert_eq!(duration(Duration::from_secs(30)), "30s");
        assert_eq!(duration(Duration::ZERO), "0ms");
    }

    #[test]
    fn the_recorder_keeps_only_trace_events_in_canonical_form() {
        let ((), text) = record(|| {
            line(Duration::from_millis(25), "svc/R-1", format_args!("timed out on lock"));
            tracing::info!(target: "elsewhere", "ignored");
        });
        assert_eq!(text, "      25.000ms svc/R-1                      timed out on lock\n");
    }
}
