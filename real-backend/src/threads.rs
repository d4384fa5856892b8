//! Logical threads on OS threads: naming, the calling thread's identity, joining, and a
//! table of what every thread is doing, for the watchdog's report.
//!
//! A logical thread is a named OS thread that runs its model future to completion with
//! [`block_on`]: every real platform operation blocks inside `poll` and returns `Ready`, so
//! a model future completes in one poll. The table is updated around every blocking wait.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::{Condvar, Mutex};

use crate::facts::FactOut;
use plughost_model::fact::{CallId, Fact, ProcessId};
use plughost_model::ids::UniqueNames;
use plughost_model::platform::ThreadId;

/// Polls `future` once; real operations never return `Pending`.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a real platform operation returned Pending"),
    }
}

/// What a thread is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Running (or about to).
    Running,
    /// Blocked; the text says on what.
    Blocked(String),
    /// In a timed wait it will retry after (a timed acquire, a timed event wait, a sleep).
    Retrying(String),
    /// Finished.
    Finished,
    /// Panicked, with the message.
    Panicked(String),
}

impl Activity {
    /// What the thread is doing, as a watchdog report line says it after the thread's name.
    pub fn describe(&self) -> String {
        match self {
            Activity::Running => "is running".to_string(),
            Activity::Blocked(what) | Activity::Retrying(what) => what.clone(),
            Activity::Finished => "finished".to_string(),
            Activity::Panicked(message) => format!("panicked: {message}"),
        }
    }

    fn is_done(&self) -> bool {
        matches!(self, Activity::Finished | Activity::Panicked(_))
    }
}

struct Entry {
    name: String,
    activity: Activity,
}

/// Every logical thread of one process, by id.
pub struct ThreadTable {
    entries: Mutex<Entries>,
    /// Notified when a thread finishes or panics.
    done: Condvar,
}

#[derive(Default)]
struct Entries {
    by_id: Vec<Entry>,
    names: UniqueNames,
    /// The thread that terminated the service, once one did.
    service_died: Option<String>,
}

thread_local! {
    static CURRENT: std::cell::Cell<Option<ThreadId>> = const { std::cell::Cell::new(None) };
}

/// The calling logical thread.
pub fn current() -> ThreadId {
    CURRENT.with(|c| c.get()).expect("a platform operation outside any logical thread")
}

/// The calling logical thread, if the caller is one.
pub fn try_current() -> Option<ThreadId> {
    CURRENT.with(|c| c.get())
}

impl Default for ThreadTable {
    fn default() -> Self {
        ThreadTable { entries: Mutex::new(Entries::default()), done: Condvar::new() }
    }
}

impl ThreadTable {
    /// Registers a thread named `name` (made unique with `#n`); returns its id and name.
    pub fn add(&self, name: &str) -> (ThreadId, String) {
        let mut entries = self.entries.lock();
        let unique = entries.names.claim(name);
        entries.by_id.push(Entry { name: unique.clone(), activity: Activity::Running });
        (ThreadId(entries.by_id.len() as u32 - 1), unique)
    }

    /// Records what `thread` is doing.
    pub fn set(&self, thread: ThreadId, activity: Activity) {
        let done = activity.is_done();
        self.entries.lock().by_id[thread.0 as usize].activity = activity;
        if done {
            self.done.notify_all();
        }
    }

    /// The name of `thread`.
    pub fn name(&self, thread: ThreadId) -> String {
        self.entries.lock().by_id[thread.0 as usize].name.clone()
    }

    /// Every thread that has not finished, with what it is doing.
    pub fn unfinished(&self) -> Vec<(String, Activity)> {
        let entries = self.entries.lock();
        entries
            .by_id
            .iter()
            .filter(|e| e.activity != Activity::Finished)
            .map(|e| (e.name.clone(), e.activity.clone()))
            .collect()
    }

    /// Whether `thread` finished (or panicked).
    pub fn is_finished(&self, thread: ThreadId) -> bool {
        self.entries.lock().by_id[thread.0 as usize].activity.is_done()
    }

    /// Whether every thread finished.
    pub fn all_finished(&self) -> bool {
        self.entries.lock().by_id.iter().all(|e| e.activity == Activity::Finished)
    }

    /// Whether some unfinished thread is in a timed wait (the run is spinning, not stuck).
    pub fn any_retrying(&self) -> bool {
        self.entries.lock().by_id.iter().any(|e| matches!(e.activity, Activity::Retrying(_)))
    }

    /// Records that `thread` terminated the service process (the in-process design's plugin
    /// crash): the run is over.
    pub fn service_terminated(&self, thread: ThreadId) {
        let mut entries = self.entries.lock();
        let name = entries.by_id[thread.0 as usize].name.clone();
        entries.service_died.get_or_insert(name);
        drop(entries);
        self.done.notify_all();
    }

    /// The thread that terminated the service, if one did.
    pub fn service_death(&self) -> Option<String> {
        self.entries.lock().service_died.clone()
    }

    /// The first panic, if a thread panicked.
    pub fn panic(&self) -> Option<String> {
        self.entries.lock().by_id.iter().find_map(|e| match &e.activity {
            Activity::Panicked(message) => Some(format!("{}: {message}", e.name)),
            _ => None,
        })
    }

    /// Waits until every thread finished (or one panicked), or `deadline` passes; returns
    /// whether they did.
    pub fn wait_all_done(&self, deadline: std::time::Instant) -> bool {
        let mut entries = self.entries.lock();
        loop {
            if entries.service_died.is_some() || entries.by_id.iter().all(|e| e.activity.is_done()) {
                return true;
            }
            if self.done.wait_until(&mut entries, deadline).timed_out() {
                return false;
            }
        }
    }
}

/// The unwinding payload of a service thread that terminated the service process: not a
/// panic (no model invariant broke), the end of the run.
pub struct ServiceTerminated;

/// A started logical thread.
pub struct RealThread {
    id: ThreadId,
    name: String,
    handle: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl RealThread {
    /// Its id.
    pub fn id(&self) -> ThreadId {
        self.id
    }

    /// Its unique name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits for it; a second join returns at once.
    pub fn join(&self) {
        if let Some(handle) = self.handle.lock().take() {
            let _ = handle.join();
        }
    }
}

/// Where a new thread comes from, for the facts that announce it.
pub struct Origin {
    /// Where its facts go.
    pub facts: Arc<FactOut>,
    /// Its process.
    pub process: ProcessId,
    /// The inbound call it serves, if any.
    pub serves: Option<CallId>,
}

/// Starts `body` on a new OS thread registered in `table` as `name`, with `dispatch` as its
/// tracing dispatcher (a thread does not inherit its parent's). The thread's start is a fact
/// before it runs, its end one before it can be joined.
pub fn spawn<F>(
    table: &Arc<ThreadTable>,
    name: &str,
    dispatch: Option<tracing::Dispatch>,
    origin: Origin,
    body: F,
) -> RealThread
where
    F: Future<Output = ()> + Send + 'static,
{
    let (id, unique) = table.add(name);
    let Origin { facts, process, serves } = origin;
    let started =
        Fact::ThreadStarted { thread: id, name: unique.clone(), process, parent: try_current(), serves };
    facts.emit(started);
    let table = table.clone();
    let handle = std::thread::Builder::new()
        .name(unique.clone())
        .spawn(move || {
            // Every logical thread may call a COM proxy: it joins the multithreaded apartment.
            #[cfg(windows)]
            let _mta = plughost_win32::com::Mta::enter();
            let _ = run_as(&table, id, dispatch, &facts, body);
        })
        .expect("the OS starts a thread");
    RealThread { id, name: unique, handle: Mutex::new(Some(handle)) }
}

/// Runs `body` on the calling OS thread, which some other party started (COM, for a call
/// it received), as a logical thread registered in `table` as `name`: announced, current
/// while it runs, finished (or panicked) after. Returns the body's output or the panic's
/// message.
pub fn adopt<F: Future>(
    table: &Arc<ThreadTable>,
    name: &str,
    dispatch: Option<tracing::Dispatch>,
    origin: Origin,
    body: F,
) -> Result<F::Output, String> {
    let (id, unique) = table.add(name);
    let Origin { facts, process, serves } = origin;
    facts.emit(Fact::ThreadStarted { thread: id, name: unique, process, parent: None, serves });
    let before = CURRENT.with(|c| c.replace(None));
    let output = run_as(table, id, dispatch, &facts, body);
    CURRENT.with(|c| c.set(before));
    output
}

/// Runs `body` as logical thread `id` on the calling OS thread, to its end or its panic.
fn run_as<F: Future>(
    table: &ThreadTable,
    id: ThreadId,
    dispatch: Option<tracing::Dispatch>,
    facts: &FactOut,
    body: F,
) -> Result<F::Output, String> {
    let _dispatch = dispatch.map(|d| tracing::dispatcher::set_default(&d));
    CURRENT.with(|c| c.set(Some(id)));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| block_on(body)));
    let (activity, outcome) = match outcome {
        Ok(output) => (Activity::Finished, Ok(output)),
        // The service terminated itself: the end of the run, not a panic.
        Err(payload) if payload.is::<ServiceTerminated>() => {
            (Activity::Finished, Err("the service terminated".to_string()))
        }
        Err(payload) => {
            let message = plughost_model::platform::panic_message(payload.as_ref());
            (Activity::Panicked(message.clone()), Err(message))
        }
    };
    facts.emit(Fact::ThreadEnded { thread: id });
    table.set(id, activity);
    outcome
}
