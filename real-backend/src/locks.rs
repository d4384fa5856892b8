//! Real locks: a recursive timed mutex, an SRW lock and a plain mutex on
//! `parking_lot::Mutex` + `Condvar`, with the owner (logical thread) and recursion depth
//! kept for `held_by_current_thread`, re-entry checks and the watchdog's report.
//!
//! Re-entering a non-recursive lock panics (a model bug), as in the simulator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use plughost_model::platform::{LockGuard, PlainMutex, RecursiveMutex, SrwLock, ThreadId};

use crate::threads::{self, Activity, ThreadTable};

/// Which lock kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// `std::recursive_timed_mutex`.
    Recursive,
    /// `wil::srwlock`.
    Srw,
    /// `std::mutex`.
    Plain,
}

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

/// One lock.
pub struct LockCore {
    name: String,
    kind: Kind,
    holders: Mutex<Holders>,
    released: Condvar,
    threads: Arc<ThreadTable>,
}

impl LockCore {
    /// A free lock.
    pub fn new(name: String, kind: Kind, threads: Arc<ThreadTable>) -> Arc<LockCore> {
        Arc::new(LockCore {
            name,
            kind,
            holders: Mutex::new(Holders::default()),
            released: Condvar::new(),
            threads,
        })
    }

    fn acquire(self: &Arc<Self>, mode: Mode, timeout: Option<Duration>) -> Option<RealGuard> {
        let me = threads::current();
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut holders = self.holders.lock();
        let reentry = holders.owner == Some(me) || holders.shared.contains(&me);
        if reentry && self.kind != Kind::Recursive {
            panic!("{} re-entered by the thread holding it (it is not recursive)", self.name);
        }
        loop {
            let free = match mode {
                Mode::Exclusive => holders.owner.is_none_or(|o| o == me) && holders.shared.is_empty(),
                Mode::Shared => holders.owner.is_none(),
            };
            if free {
                match mode {
                    Mode::Exclusive => {
                        holders.owner = Some(me);
                        holders.depth += 1;
                    }
                    Mode::Shared => holders.shared.push(me),
                }
                self.threads.set(me, Activity::Running);
                return Some(RealGuard { lock: self.clone(), thread: me, mode, held: true });
            }
            let holder = holders.owner.map_or_else(|| "shared holders".to_string(), |o| self.threads.name(o));
            let waiting = format!("waits for lock {} held by {holder}", self.name);
            let activity = match timeout {
                Some(timeout) => Activity::Retrying(format!("{waiting} (timed acquire of {timeout:?})")),
                None => Activity::Blocked(waiting),
            };
            self.threads.set(me, activity);
            match deadline {
                None => self.released.wait(&mut holders),
                Some(deadline) => {
                    if self.released.wait_until(&mut holders, deadline).timed_out() {
                        self.threads.set(me, Activity::Running);
                        return None;
                    }
                }
            }
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
    held: bool,
}

impl LockGuard for RealGuard {
    async fn unlock(mut self) {
        self.held = false;
        self.lock.release(self.thread, self.mode);
    }
}

impl Drop for RealGuard {
    fn drop(&mut self) {
        if self.held {
            self.lock.release(self.thread, self.mode);
        }
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
