//! Real locks: a recursive timed mutex, an SRW lock and a plain mutex, with the owner
//! (logical thread) and recursion depth kept for `held_by_current_thread`, re-entry checks
//! and the watchdog's report.
//!
//! What blocks is the platform's own primitive, chosen in one place ([`os`]): on Windows,
//! Win32's (a mutex object for the recursive timed mutex, `SRWLOCK` for the SRW lock and the
//! plain mutex, as the MSVC `std::mutex` is); elsewhere a `parking_lot` mutex and condition
//! variable. The bookkeeping here is the same on both, so both report the same owners and
//! emit the same facts (who acquired, blocked on and released which lock), each inside the
//! lock's critical section: a release's fact always precedes the next acquisition's.
//!
//! Re-entering a non-recursive lock panics (a model bug), as in the simulator, before it
//! could deadlock.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plughost_model::fact::{Blocker, Fact, LockId, LockMode};
use plughost_model::platform::{LockGuard, PlainMutex, RecursiveMutex, SrwLock, ThreadId};

use crate::facts::FactOut;
use crate::platform::ProcessCore;
use crate::threads::{self, Activity, ThreadTable};

#[cfg(not(windows))]
#[path = "portable.rs"]
mod os;
#[cfg(windows)]
#[path = "win32.rs"]
mod os;

/// How a lock is held.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Exclusive,
    Shared,
}

/// Which primitive a lock is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LockKind {
    /// `std::recursive_timed_mutex`.
    RecursiveTimed,
    /// `wil::srwlock`.
    Srw,
    /// `std::mutex`.
    Plain,
}

/// Who holds a lock.
#[derive(Default)]
pub(crate) struct Holders {
    pub(crate) owner: Option<ThreadId>,
    pub(crate) depth: u32,
    pub(crate) shared: Vec<ThreadId>,
}

impl Holders {
    /// Records that `me` took the lock in `mode`.
    pub(crate) fn take(&mut self, me: ThreadId, mode: Mode) {
        match mode {
            Mode::Exclusive => {
                self.owner = Some(me);
                self.depth += 1;
            }
            Mode::Shared => self.shared.push(me),
        }
    }

    /// Records that `thread` released one holding in `mode`.
    pub(crate) fn give_back(&mut self, thread: ThreadId, mode: Mode) {
        match mode {
            Mode::Exclusive => {
                self.depth -= 1;
                if self.depth == 0 {
                    self.owner = None;
                }
            }
            Mode::Shared => self.shared.retain(|&t| t != thread),
        }
    }
}

/// One lock.
pub struct LockCore {
    id: LockId,
    name: String,
    kind: LockKind,
    pub(crate) holders: Mutex<Holders>,
    pub(crate) threads: Arc<ThreadTable>,
    facts: Arc<FactOut>,
    os: os::Blocking,
}

impl LockCore {
    /// A free lock of `core`'s process.
    pub(crate) fn new(name: String, kind: LockKind, core: &ProcessCore) -> Arc<LockCore> {
        let id = core.facts.lock_id();
        core.facts.emit(Fact::LockCreated { lock: id, name: name.clone() });
        Arc::new(LockCore {
            id,
            os: os::Blocking::new(kind),
            name,
            kind,
            holders: Mutex::new(Holders::default()),
            threads: core.threads.clone(),
            facts: core.facts.clone(),
        })
    }

    /// The fact that `me` took the lock in `mode` (emitted with the holders locked).
    pub(crate) fn acquired(&self, me: ThreadId, mode: Mode, timeout: Option<Duration>) {
        let mode = match mode {
            Mode::Exclusive => LockMode::Exclusive,
            Mode::Shared => LockMode::Shared,
        };
        self.facts.emit(Fact::LockAcquired { thread: me, lock: self.id, mode, timed: timeout.is_some() });
    }

    /// The fact that `me` blocks on the lock.
    pub(crate) fn blocked(&self, me: ThreadId, timeout: Option<Duration>) {
        self.facts.emit(Fact::Blocked { thread: me, on: Blocker::Lock(self.id), timed: timeout.is_some() });
    }

    /// The fact that `thread` released one holding (emitted with the holders locked).
    pub(crate) fn released(&self, thread: ThreadId) {
        self.facts.emit(Fact::LockReleased { thread, lock: self.id });
    }

    fn acquire(self: &Arc<Self>, mode: Mode, timeout: Option<Duration>) -> Option<RealGuard> {
        let me = threads::current();
        {
            let holders = self.holders.lock();
            let reentry = holders.owner == Some(me) || holders.shared.contains(&me);
            if reentry && self.kind != LockKind::RecursiveTimed {
                panic!("{} re-entered by the thread holding it (it is not recursive)", self.name);
            }
        }
        let hold = self.os.acquire(self, me, mode, timeout)?;
        Some(RealGuard { lock: self.clone(), thread: me, mode, hold: Some(hold) })
    }

    /// What a thread waiting for this lock is doing, for the watchdog's report.
    pub(crate) fn waiting(&self, holders: &Holders, timeout: Option<Duration>) -> Activity {
        let holder = holders.owner.map_or_else(|| "shared holders".to_string(), |o| self.threads.name(o));
        let waiting = format!("waits for lock {} held by {holder}", self.name);
        match timeout {
            Some(timeout) => Activity::Retrying(format!("{waiting} (timed acquire of {timeout:?})")),
            None => Activity::Blocked(waiting),
        }
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
    hold: Option<os::Hold>,
}

impl LockGuard for RealGuard {
    async fn unlock(self) {
        // Dropping releases.
    }
}

impl Drop for RealGuard {
    fn drop(&mut self) {
        if let Some(hold) = self.hold.take() {
            self.lock.os.release(&self.lock, self.thread, self.mode, hold);
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
