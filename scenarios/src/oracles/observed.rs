//! What the platform observed so far, as the oracles need it: processes and the plugin each
//! hosts, threads with their process, parent, the call they serve and the client step they
//! belong to, the locks each thread holds, and every cross-process call with its outcome.
//!
//! Built only from platform facts and the driver's step events; it never reads a model
//! event's opinion of itself (which lock it holds, where its work ran). Oracles query it.
//! Each lock is classified once, when the platform reports its creation, by the spec's names
//! ([`super::spec`]): whether it is a session's instance lock, whether it is a leaf lock.

use std::collections::BTreeMap;

use plughost_model::event::ModelEvent;
use plughost_model::fact::{CallId, CallOutcome, CallRequest, Fact, LockId, ProcessId};
use plughost_model::hresult::HResult;
use plughost_model::ids::{Name, SessionCookie};
use plughost_model::platform::ThreadId;

use super::sorted::SortedMap;
use super::spec::{is_instance_lock, is_instance_lock_of, is_leaf_lock};

#[derive(Debug, Default)]
struct ThreadView {
    /// Its name, in [`Observed::names`].
    name: NameSpan,
    process: Option<ProcessId>,
    parent: Option<ThreadId>,
    serves: Option<CallId>,
    alive: bool,
    /// The client step this thread is running, while it runs one.
    step: Option<u32>,
}

/// A lock: its name, and what the spec's names make of it.
#[derive(Debug, Clone, Copy)]
struct LockView {
    name: NameSpan,
    /// A session's `m_instanceLock` ([`is_instance_lock`]).
    instance: bool,
    /// A lock never held while waiting ([`is_leaf_lock`]).
    leaf: bool,
}

/// Where a name lies in [`Observed::names`] (every name of a run in one buffer: a run
/// names a few dozen threads and locks, and the names are read only to explain a violation).
#[derive(Debug, Clone, Copy, Default)]
struct NameSpan {
    start: u32,
    len: u32,
}

#[derive(Debug)]
struct ProcessView {
    plugin: Option<Name>,
    alive: bool,
}

/// One cross-process call.
#[derive(Debug)]
pub struct CallView {
    /// The calling thread.
    pub caller: ThreadId,
    /// The process called.
    pub target: ProcessId,
    /// What it asked for.
    pub request: CallRequest,
    /// How it ended, once it did.
    pub outcome: Option<CallOutcome>,
}

/// A table keyed by a platform's small, dense ids (a vector), with a map for the rare large
/// id (a host thread as the real service numbers it).
#[derive(Debug)]
struct Dense<V> {
    dense: Vec<Option<V>>,
    sparse: BTreeMap<u64, V>,
}

/// Ids below this are kept in the vector.
const DENSE_LIMIT: u64 = 1 << 16;

impl<V> Dense<V> {
    /// An empty table with room for ids below `room` (no regrowth while a run's few ids
    /// arrive one by one).
    fn with_room(room: usize) -> Self {
        Dense { dense: Vec::with_capacity(room), sparse: BTreeMap::new() }
    }

    fn get(&self, id: u64) -> Option<&V> {
        if id < DENSE_LIMIT {
            self.dense.get(id as usize).and_then(Option::as_ref)
        } else {
            self.sparse.get(&id)
        }
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut V> {
        if id < DENSE_LIMIT {
            self.dense.get_mut(id as usize).and_then(Option::as_mut)
        } else {
            self.sparse.get_mut(&id)
        }
    }

    fn insert(&mut self, id: u64, value: V) {
        if id < DENSE_LIMIT {
            let at = id as usize;
            if self.dense.len() <= at {
                self.dense.resize_with(at + 1, || None);
            }
            self.dense[at] = Some(value);
        } else {
            self.sparse.insert(id, value);
        }
    }

    /// Empties the table, keeping its room.
    fn clear(&mut self) {
        let Dense { dense, sparse } = self;
        dense.clear();
        sparse.clear();
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.dense.iter_mut().flatten().chain(self.sparse.values_mut())
    }
}

impl<V: Default> Dense<V> {
    fn entry(&mut self, id: u64) -> &mut V {
        if self.get(id).is_none() {
            self.insert(id, V::default());
        }
        self.get_mut(id).expect("just inserted")
    }
}

/// The platform's view of the run so far.
#[derive(Debug)]
pub struct Observed {
    threads: Dense<ThreadView>,
    processes: SortedMap<ProcessId, ProcessView>,
    locks: Dense<LockView>,
    /// Every thread's and lock's name, one after the other.
    names: String,
    /// Locks held, with their recursion depth: each thread's in its acquisition order.
    held: Vec<Held>,
    calls: Dense<CallView>,
    /// Plugins whose host answered `Initialize`, with the answer, in activation order.
    initialized: Vec<(Name, HResult)>,
}

/// One lock a thread holds.
#[derive(Debug)]
struct Held {
    thread: ThreadId,
    lock: LockId,
    depth: u32,
}

/// Room for the names of a run's threads and locks (a few dozen short names).
const NAMES_CAPACITY: usize = 1024;
/// Room for a run's threads, locks and calls, and for the locks held at once (a run of a
/// catalogue scenario has a few dozen at most; more only regrow the table).
const TABLE_ROOM: usize = 32;
const HELD_ROOM: usize = 8;

impl Default for Observed {
    fn default() -> Self {
        Observed {
            threads: Dense::with_room(TABLE_ROOM),
            processes: SortedMap::new(),
            locks: Dense::with_room(TABLE_ROOM),
            names: String::with_capacity(NAMES_CAPACITY),
            held: Vec::with_capacity(HELD_ROOM),
            calls: Dense::with_room(TABLE_ROOM),
            initialized: Vec::new(),
        }
    }
}

impl Observed {
    /// Forgets everything observed, keeping the room the tables took (the next run on this
    /// OS thread is observed in them).
    pub fn reset(&mut self) {
        let Observed { threads, processes, locks, names, held, calls, initialized } = self;
        threads.clear();
        processes.clear();
        locks.clear();
        names.clear();
        held.clear();
        calls.clear();
        initialized.clear();
    }

    /// Takes a fact into the view (before any oracle judges it).
    pub fn apply(&mut self, fact: &Fact) {
        match fact {
            Fact::ProcessStarted { process, plugin } => {
                self.processes.insert(*process, ProcessView { plugin: plugin.clone(), alive: true });
            }
            Fact::ProcessDied { process } => {
                if let Some(view) = self.processes.get_mut(process) {
                    view.alive = false;
                }
                for thread in self.threads.values_mut().filter(|t| t.process == Some(*process)) {
                    thread.alive = false;
                }
                let threads = &self.threads;
                self.held.retain(|h| {
                    threads.get(u64::from(h.thread.0)).is_none_or(|t| t.process != Some(*process))
                });
            }
            Fact::ThreadStarted { thread, name, process, parent, serves } => {
                let view = ThreadView {
                    name: self.name(name),
                    process: Some(*process),
                    parent: *parent,
                    serves: *serves,
                    alive: true,
                    ..ThreadView::default()
                };
                self.threads.insert(u64::from(thread.0), view);
                self.held.retain(|h| h.thread != *thread);
            }
            Fact::ThreadEnded { thread } => {
                self.threads.entry(u64::from(thread.0)).alive = false;
                self.held.retain(|h| h.thread != *thread);
            }
            Fact::LockCreated { lock, name: text } => {
                let (instance, leaf) = (is_instance_lock(text), is_leaf_lock(text));
                let name = self.name(text);
                self.locks.insert(u64::from(lock.0), LockView { name, instance, leaf });
            }
            Fact::LockAcquired { thread, lock, .. } => {
                match self.held.iter_mut().find(|h| h.thread == *thread && h.lock == *lock) {
                    Some(held) => held.depth += 1,
                    None => self.held.push(Held { thread: *thread, lock: *lock, depth: 1 }),
                }
            }
            Fact::LockReleased { thread, lock } => {
                if let Some(at) = self.held.iter().position(|h| h.thread == *thread && h.lock == *lock) {
                    self.held[at].depth -= 1;
                    if self.held[at].depth == 0 {
                        self.held.remove(at);
                    }
                }
            }
            Fact::Blocked { .. } => {}
            Fact::CallStarted { call, caller, target, request } => {
                let view =
                    CallView { caller: *caller, target: *target, request: request.clone(), outcome: None };
                self.calls.insert(call.0, view);
            }
            Fact::CallEnded { call, outcome } => self.call_ended(*call, outcome),
        }
    }

    /// Keeps `name` in the names buffer.
    fn name(&mut self, name: &str) -> NameSpan {
        let start = u32::try_from(self.names.len()).expect("a run's names fit in 4 GiB");
        self.names.push_str(name);
        NameSpan { start, len: u32::try_from(name.len()).expect("a name fits in 4 GiB") }
    }

    /// The text of a kept name.
    fn text(&self, span: NameSpan) -> &str {
        let start = span.start as usize;
        &self.names[start..start + span.len as usize]
    }

    fn call_ended(&mut self, call: CallId, outcome: &CallOutcome) {
        let Some(view) = self.calls.get_mut(call.0) else { return };
        view.outcome = Some(outcome.clone());
        if let CallRequest::Initialize { plugin } = &view.request {
            self.initialized.push((plugin.clone(), outcome.hr()));
        }
    }

    /// Takes the driver's step boundaries into the view.
    pub fn apply_event(&mut self, thread: ThreadId, event: &ModelEvent) {
        match event {
            ModelEvent::StepBegin { step, .. } => self.threads.entry(u64::from(thread.0)).step = Some(*step),
            ModelEvent::StepEnd { .. } => self.threads.entry(u64::from(thread.0)).step = None,
            _ => {}
        }
    }

    /// A thread's name, as the platform gave it.
    pub fn thread_name(&self, thread: ThreadId) -> String {
        match self.threads.get(u64::from(thread.0)) {
            Some(view) if view.name.len > 0 => self.text(view.name).to_string(),
            _ => format!("thread {}", thread.0),
        }
    }

    /// The name a lock was created with.
    pub fn lock_name(&self, lock: LockId) -> &str {
        self.locks.get(u64::from(lock.0)).map_or("an unnamed lock", |view| self.text(view.name))
    }

    /// Whether `lock` is a session's `m_instanceLock`.
    pub fn is_instance_lock(&self, lock: LockId) -> bool {
        self.locks.get(u64::from(lock.0)).is_some_and(|view| view.instance)
    }

    /// The leaf locks (I-5) `thread` holds, by name.
    pub fn held_leaf_names(&self, thread: ThreadId) -> impl Iterator<Item = &str> {
        let leaf = |h: &&Held| self.locks.get(u64::from(h.lock.0)).is_some_and(|view| view.leaf);
        self.held.iter().filter(move |h| h.thread == thread).filter(leaf).map(|h| self.lock_name(h.lock))
    }

    /// The locks `thread` holds, by name.
    pub fn held_names(&self, thread: ThreadId) -> impl Iterator<Item = &str> {
        self.held.iter().filter(move |h| h.thread == thread).map(|h| self.lock_name(h.lock))
    }

    /// The locks `thread` holds, in acquisition order.
    pub fn held_locks(&self, thread: ThreadId) -> impl Iterator<Item = LockId> + '_ {
        self.held.iter().filter(move |h| h.thread == thread).map(|h| h.lock)
    }

    /// Whether `lock` is `session`'s `m_instanceLock`.
    pub fn is_instance_lock_of(&self, lock: LockId, session: SessionCookie) -> bool {
        self.is_instance_lock(lock) && is_instance_lock_of(self.lock_name(lock), session)
    }

    /// Whether `thread` holds `session`'s instance lock.
    pub fn holds_instance_lock_of(&self, thread: ThreadId, session: SessionCookie) -> bool {
        self.held_locks(thread).any(|lock| self.is_instance_lock_of(lock, session))
    }

    /// Whether `thread` holds the lock named `name`.
    pub fn holds(&self, thread: ThreadId, name: &str) -> bool {
        self.held_names(thread).any(|held| held == name)
    }

    /// The recursion depth at which `thread` holds `lock` (0: not held).
    pub fn depth(&self, thread: ThreadId, lock: LockId) -> u32 {
        self.held.iter().find(|h| h.thread == thread && h.lock == lock).map_or(0, |h| h.depth)
    }

    /// The process `thread` belongs to, if the platform said.
    pub fn process_of(&self, thread: ThreadId) -> Option<ProcessId> {
        self.threads.get(u64::from(thread.0)).and_then(|t| t.process)
    }

    /// The thread that started `thread`.
    pub fn parent_of(&self, thread: ThreadId) -> Option<ThreadId> {
        self.threads.get(u64::from(thread.0)).and_then(|t| t.parent)
    }

    /// Whether `thread` was started by the platform to serve a call into the service (a
    /// COM RPC thread, `R-n`).
    pub fn is_service_rpc_thread(&self, thread: ThreadId) -> bool {
        self.threads
            .get(u64::from(thread.0))
            .is_some_and(|t| t.serves.is_some() && t.process == Some(ProcessId::SERVICE))
    }

    /// The client step `thread` works for: its own, or that of the thread that started it
    /// (a pump worker works for its notifying thread's step).
    pub fn step_of(&self, thread: ThreadId) -> Option<u32> {
        let mut current = Some(thread);
        for _ in 0..64 {
            let view = self.threads.get(u64::from(current?.0))?;
            if view.step.is_some() {
                return view.step;
            }
            current = view.parent;
        }
        None
    }

    /// `thread`, then the thread that started it, and so on (a pump worker, then its
    /// notifying thread, then whoever started that). At most 64 threads: a thread starts
    /// after its parent, so a lineage never loops, and the bound keeps a malformed real-run
    /// fact from making it.
    pub fn lineage(&self, thread: ThreadId) -> impl Iterator<Item = ThreadId> + '_ {
        std::iter::successors(Some(thread), |t| self.parent_of(*t)).take(64)
    }

    /// A call.
    pub fn call(&self, call: CallId) -> Option<&CallView> {
        self.calls.get(call.0)
    }

    /// The plugin hosted by `process`.
    pub fn plugin_of(&self, process: ProcessId) -> Option<&Name> {
        self.processes.get(&process).and_then(|p| p.plugin.as_ref())
    }

    /// Host processes started for `plugin`, in order.
    pub fn hosts_of<'a>(&'a self, plugin: &'a str) -> impl Iterator<Item = ProcessId> + 'a {
        self.processes.iter().filter(move |(_, p)| p.plugin.as_deref() == Some(plugin)).map(|(id, _)| *id)
    }

    /// Host processes still alive.
    pub fn live_hosts(&self) -> impl Iterator<Item = (ProcessId, &Name)> {
        self.processes.iter().filter(|(_, p)| p.alive).filter_map(|(id, p)| Some((*id, p.plugin.as_ref()?)))
    }

    /// Plugins whose host answered `Initialize` with success, in activation order: the
    /// plugins every hook fan-out must reach.
    pub fn loaded_plugins(&self) -> Vec<Name> {
        self.initialized.iter().filter(|(_, hr)| hr.succeeded()).map(|(p, _)| p.clone()).collect()
    }

    /// Whether `plugin`'s host ever answered `Initialize`.
    pub fn was_initialized(&self, plugin: &str) -> bool {
        self.initialized.iter().any(|(p, _)| **p == *plugin)
    }
}
