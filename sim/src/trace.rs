//! The trace recorder: canonical trace lines, one per event, collected for the thread that
//! asked for them.
//!
//! The simulator runs a whole run on the thread that started it, so its lines go straight
//! into that thread's recorder, with no global state between them (a `tracing` callsite's
//! cached interest is global and can drop events when recorders come and go on other
//! threads). The real backend's lines come from many OS threads and travel as `tracing`
//! events to a layer that writes them into the same recorder.
//!
//! Line format (documented in ARCHITECTURE.md): virtual time in milliseconds with three
//! decimals, right-aligned in 12 columns; the logical thread name (`svc/T-1`, `svc/W-2`,
//! `svc/R-3`, `host:TestPlugin/H-1`, `host:TestPlugin/worker`), left-aligned in 28; the
//! event. Only events with target [`TARGET`] are recorded. Nothing here reads a clock: time
//! is a field of the event.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The target of every trace event the simulator emits.
pub const TARGET: &str = "plughost::trace";

thread_local! {
    /// The recorder of the run on this thread, if its trace is wanted.
    static RECORDING: RefCell<Option<Arc<Mutex<String>>>> = const { RefCell::new(None) };
}

/// Writes one trace line into this thread's recorder.
pub(crate) fn line(time: Duration, thread: &str, text: fmt::Arguments<'_>) {
    RECORDING.with(|recording| {
        if let Some(text_buffer) = recording.borrow().as_ref() {
            let line = format!(
                "{} {:<28} {}
",
                time_column(time.as_nanos() as u64),
                thread,
                text
            );
            text_buffer.lock().push_str(&line);
        }
    });
}

/// Folds `thread`'s release of `lock` into the line before it when that line is the same
/// thread taking the same lock at the same time (`lock X` → `lock and unlock X`, keeping a
/// `(shared)` or `(depth n)`): a critical section with nothing traced inside reads as one
/// line. Returns whether it folded; when not, the caller writes the `unlock` line.
pub(crate) fn fold_unlock(time: Duration, thread: &str, lock: &str) -> bool {
    RECORDING.with(|recording| {
        let recording = recording.borrow();
        let Some(text_buffer) = recording.as_ref() else { return false };
        let mut text = text_buffer.lock();
        let Some(body) = text.strip_suffix('\n') else { return false };
        let start = body.rfind('\n').map_or(0, |at| at + 1);
        let prefix = format!("{} {:<28} ", time_column(time.as_nanos() as u64), thread);
        let Some(taken) = body[start..].strip_prefix(&prefix) else { return false };
        let Some(mode) = taken.strip_prefix("lock ").and_then(|rest| rest.strip_prefix(lock)) else {
            return false;
        };
        let depth = mode.strip_prefix(" (depth ").and_then(|rest| rest.strip_suffix(')'));
        if !(mode.is_empty() || mode == " (shared)" || depth.is_some_and(|d| d.parse::<u32>().is_ok())) {
            return false;
        }
        let folded = format!("{prefix}lock and unlock {lock}{mode}\n");
        text.truncate(start);
        text.push_str(&folded);
        true
    })
}

/// Whether this thread records a trace.
pub(crate) fn enabled() -> bool {
    RECORDING.with(|recording| recording.borrow().is_some())
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

/// Runs `f` with a trace recorder installed on this thread (for simulated runs) and as this
/// thread's `tracing` subscriber (for real runs); returns its result and the trace.
pub fn record<R>(f: impl FnOnce() -> R) -> (R, String) {
    let recorder = TraceRecorder::default();
    let previous = RECORDING.with(|recording| recording.replace(Some(recorder.text.clone())));
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let result = tracing::subscriber::with_default(subscriber, f);
    RECORDING.with(|recording| recording.replace(previous));
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
            tracing::event!(target: TARGET, tracing::Level::INFO, time_ns = 26_000_000u64, thread = "host:P/H-1", "from a real thread");
        });
        assert_eq!(
            text,
            "      25.000ms svc/R-1                      timed out on lock\n      26.000ms host:P/H-1                   from a real thread\n"
        );
        assert!(!enabled(), "the recorder is gone once the run ends");
    }

    #[test]
    fn an_unlock_right_after_its_lock_folds_into_one_line() {
        let ms = Duration::from_millis;
        let ((), text) = record(|| {
            line(ms(1), "svc/a", format_args!("lock l (shared)"));
            assert!(fold_unlock(ms(1), "svc/a", "l"));
            line(ms(1), "svc/a", format_args!("lock l"));
            assert!(!fold_unlock(ms(1), "svc/b", "l"), "another thread's lock");
            assert!(!fold_unlock(ms(1), "svc/a", "l.inner"), "another lock");
            assert!(!fold_unlock(ms(2), "svc/a", "l"), "later");
            line(ms(1), "svc/a", format_args!("lock l2 (depth 2)"));
            assert!(fold_unlock(ms(1), "svc/a", "l2"));
            line(ms(1), "svc/a", format_args!("lock l3"));
            line(ms(1), "svc/a", format_args!("set e"));
            assert!(!fold_unlock(ms(1), "svc/a", "l3"), "something happened inside");
        });
        let events: Vec<&str> = text.lines().map(|l| l.split_at(44).1).collect();
        assert_eq!(
            events,
            ["lock and unlock l (shared)", "lock l", "lock and unlock l2 (depth 2)", "lock l3", "set e"]
        );
        assert!(!fold_unlock(ms(1), "svc/a", "l"), "nothing to fold into without a recorder");
    }
}
