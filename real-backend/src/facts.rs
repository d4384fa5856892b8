//! What the real platform observes, for the oracles: the numbering of locks, calls and host
//! processes, the mapping of a host's threads into the service's thread ids, and the one
//! place facts are stamped and handed to the process's sink.
//!
//! Ordering: a fact about a lock is emitted inside the lock's own critical section, a fact
//! about a thread before that thread runs (or after it stopped), a call's start before the
//! thread that serves it starts: so the sink's order is an order the world could have had.
//! A host's own facts stay in the host (its sink forwards only what its plugin observed);
//! the service observes a host from outside: its process, the calls to and from it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use plughost_model::event::EventSink;
use plughost_model::fact::{CallId, Fact, LockId, ProcessId};
use plughost_model::platform::ThreadId;

/// Stamps and emits one process's facts, and numbers what they name.
pub struct FactOut {
    sink: Arc<dyn EventSink>,
    started: Instant,
    next_lock: AtomicU32,
    next_call: AtomicU64,
    next_host: AtomicU32,
}

impl FactOut {
    /// Facts for a process whose clock started at `started`.
    pub fn new(sink: Arc<dyn EventSink>, started: Instant) -> Arc<FactOut> {
        Arc::new(FactOut {
            sink,
            started,
            next_lock: AtomicU32::new(0),
            next_call: AtomicU64::new(0),
            next_host: AtomicU32::new(1),
        })
    }

    /// Hands `fact` to the sink, stamped with the process's clock.
    pub fn emit(&self, fact: Fact) {
        self.sink.fact(self.started.elapsed(), &fact);
    }

    /// A fresh lock id.
    pub fn lock_id(&self) -> LockId {
        LockId(self.next_lock.fetch_add(1, Ordering::Relaxed))
    }

    /// A fresh call id.
    pub fn call_id(&self) -> CallId {
        CallId(self.next_call.fetch_add(1, Ordering::Relaxed))
    }

    /// A fresh host process id (the service is 0).
    pub fn host_process(&self) -> ProcessId {
        ProcessId(self.next_host.fetch_add(1, Ordering::Relaxed))
    }
}

/// The bit that marks a thread id as a host's thread, seen from the service.
const REMOTE: u32 = 1 << 31;

/// The service-side id of thread `thread` of host process `process`: host threads are
/// numbered by their own process, so the service gives each host a range of its own.
pub fn remote_thread(process: ProcessId, thread: u32) -> ThreadId {
    ThreadId(REMOTE | ((process.0 & 0x7FF) << 20) | (thread & 0xF_FFFF))
}
