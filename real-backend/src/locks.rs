//! Real locks: a recursive timed mutex, an SRW lock and a plain mutex on
//! `parking_lot::Mutex` + `Condvar`, with the owner (logical thread) and recursion depth
//! kept for `held_by_current_thread`, re-entry checks and the watchdog's report.
//!
//! Re-entering a non-recursive lock panics (a model bug), as in the simulator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use plughost_model::fact::{Blocker, Fact, LockId, LockMode};
use plughost_model::platform::{LockGuard, PlainMutex, RecursiveMutex, SrwLock, ThreadId};

use crate::facts::FactOut;
use crate::platform::ProcessCore;
use crate::threads::{self, Activity, ThreadTable};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Exclusive,
    Shared,
}

#[derive(Default)]
struct Holders {
    owner: Option<ThreadId>,
    depth: u32,
    shared: Vec<ThreadId>,
}

impl Holders {
    /// Takes the lock for `me` in `mode` if it is free to (re-entry by the owner included).
    fn try_take(&mut self, me: ThreadId, mode: Mode) -> bool {
        let free = match mode {
            Mode::Exclusive => self.owner.is_none_or(|o| o == me) && self.shared.is_empty(),
            Mode::Shared => self.owner.is_none(),
        };
        if free {
            match mode {
                Mode::Exclusive => {
                    self.owner = Some(me);
                    self.depth += 1;
                }
                Mode::Shared => self.shared.push(me),
            }
        }
        free
    }
}

/// One lock.
pub struct LockCore {
    id: LockId,
    name: String,
    /// Only a recursive mutex may be re-entered by its owner.
    recursive: bool,
    holders: Mutex<Holders>,
    released: Condvar,
    threads: Arc<ThreadTable>,
    facts: Arc<FactOut>,
}

impl LockCore {
    /// A free lock of `core`'s process.
    pub(crate) fn new(name: String, recursive: bool, core: &ProcessCore) -> Arc<LockCore> {
        let id = core.facts.lock_id();
        core.facts.emit(Fact::LockCreated { lock: id, name: name.clone() });
        Arc::new(LockCore {
            id,
            name,
            recursive,
            holders: Mutex::new(Holders::default()),
            released: Condvar::new(),
            threads: core.threads.clone(),
            facts: core.facts.clone(),
        })
    }

    fn acquire(self: &Arc<Self>, mode: Mode, timeout: Option<Duration>) -> Option<RealGuard> {
        let me = threads::current();
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut holders = self.holders.lock();
        let reentry = holders.owner == Some(me) || holders.shared.contains(&me);
        if reentry && !self.recursive {
            panic!("{} re-entered by the thread holding it (it is not recursive)", self.name);
        }
        let mut waited = false;
        let acquired = loop {
            if holders.try_take(me, mode) {
                let mode = match mode {
                    Mode::Exclusive => LockMode::Exclusive,
                    Mode::Shared => LockMode::Shared,
                };
                let timed = timeout.is_some();
                self.facts.emit(Fact::LockAcquired { thread: me, lock: self.id, mode, timed });
                break true;
            }
            if !waited {
                let timed = timeout.is_some();
                self.facts.emit(Fact::Blocked { thread: me, on: Blocker::Lock(self.id), timed });
            }
            // The holder can change while this thread waits, so the report is renewed.
            self.threads.set(me, self.waiting(&holders, timeout));
            waited = true;
            match deadline {
                None => self.released.wait(&mut holders),
                Some(deadline) => {
                    if self.released.wait_until(&mut holders, deadline).timed_out() {
                        break false;
                    }
                }
            }
        };
        if waited {
            self.threads.set(me, Activity::Running);
        }
        acquired.then(|| RealGuard { lock: self.clone(), thread: me, mode })
    }

    /// What a thread waiting for this lock is doing, for the watchdog's report.
    fn waiting(&self, holders: &Holders, timeout: Option<Duration>) -> Activity {
        let holder = holders.owner.map_or_else(|| "shared holders".to_string(), |o| self.threads.name(o));
        let waiting = format!("waits for lock {} held by {holder}", self.name);
        match timeout {
            Some(timeout) => Activity::Retrying(format!("{waiting} (timed acquire of {timeout:?})")),
            None => Activity::Blocked(waiting),
        }
    }

    fn release(&self, thread: ThreadId, mode: Mode) {
        let mut holders = self.holders.lock();
        match mode {
            Mode::Exclusive => {
                holders.depth -= 1;
                if holders.depth == 0 {
                    holders.owner = None;
                }
            }
            Mode::Shared => holders.shared.retain(|&t| t != thread),
        }
        self.facts.emit(Fact::LockReleased { thread, lock: self.id });
        self.released.notify_all();
    }

    fn owned_by_current(&self) -> bool {
        threads::try_current().is_some_and(|me| self.holders.lock().owner == Some(me))
    }
}

/// A held real lock; dropping it releases the lock.
pub struct RealGuard {
    lock: Arc<LockCore>,
    thread: ThreadId,
    mode: Mode,
}

impl LockGuard for RealGuard {
    async fn unlock(self) {
        // Dropping releases.
    }
}

impl Drop for RealGuard {
    fn drop(&mut self) {
        self.lock.release(self.thread, self.mode);
    }
}

/// A real recursive timed mutex.
pub struct RealRecursiveMutex(pub(crate) Arc<LockCore>);
/// A real SRW lock.
pub struct RealSrwLock(pub(crate) Arc<LockCore>);
/// A real plain mutex.
pub struct RealMutex(pub(crate) Arc<LockCore>);

impl RecursiveMutex for RealRecursiveMutex {
    type Guard = RealGuard;

    async fn lock(&self) -> RealGuard {
        self.0.acquire(Mode::Exclusive, None).expect("an untimed acquire succeeds")
    }

    async fn try_lock_for(&self, timeout: Duration) -> Option<RealGuard> {
        self.0.acquire(Mode::Exclusive, Some(timeout))
    }

    fn held_by_current_thread(&self) -> bool {
        self.0.owned_by_current()
    }
}

impl SrwLock for RealSrwLock {
    type Guard = RealGuard;

    async fn lock_shared(&self) -> RealGuard {
        self.0.acquire(Mode::Shared, None).expect("an untimed acquire succeeds")
    }

    async fn lock_exclusive(&self) -> RealGuard {
        self.0.acquire(Mode::Exclusive, None).expect("an untimed acquire succeeds")
    }
}

impl PlainMutex for RealMutex {
    type Guard = RealGuard;

    async fn lock(&self) -> RealGuard {
        self.0.acquire(Mode::Exclusive, None).expect("an untimed acquire succeeds")
    }
}
