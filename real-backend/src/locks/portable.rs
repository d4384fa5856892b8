//! How locks block outside Windows: the bookkeeping's own `parking_lot` mutex decides who
//! may take a lock, and a condition variable wakes waiters on every release.

use std::time::{Duration, Instant};

use parking_lot::Condvar;
use plughost_model::platform::ThreadId;

use super::{Holders, LockCore, LockKind, Mode};
use crate::threads::Activity;

/// Nothing to keep while holding: the bookkeeping is the lock.
pub(crate) struct Hold;

/// The condition variable released waiters wait on.
pub(crate) struct Blocking {
    released: Condvar,
}

impl Blocking {
    pub(crate) fn new(_kind: LockKind) -> Blocking {
        Blocking { released: Condvar::new() }
    }

    /// Takes the lock for `me`, waiting at most `timeout`.
    pub(crate) fn acquire(
        &self,
        lock: &LockCore,
        me: ThreadId,
        mode: Mode,
        timeout: Option<Duration>,
    ) -> Option<Hold> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut holders = lock.holders.lock();
        let mut waited = false;
        let acquired = loop {
            if is_free_for(&holders, me, mode) {
                holders.take(me, mode);
                lock.acquired(me, mode, timeout);
                break true;
            }
            if !waited {
                lock.blocked(me, timeout);
            }
            // The holder can change while this thread waits, so the report is renewed.
            lock.threads.set(me, lock.waiting(&holders, timeout));
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
        // A timed acquire that gives up stays "retrying" in the watchdog's report: the model
        // retries it, and the moment between two attempts is not progress.
        if waited && acquired {
            lock.threads.set(me, Activity::Running);
        }
        acquired.then_some(Hold)
    }

    /// Releases one holding and wakes the waiters.
    pub(crate) fn release(&self, lock: &LockCore, thread: ThreadId, mode: Mode, _hold: Hold) {
        let mut holders = lock.holders.lock();
        holders.give_back(thread, mode);
        lock.released(thread);
        drop(holders);
        self.released.notify_all();
    }
}

/// Whether `me` may take the lock in `mode` now (re-entry by the owner included).
fn is_free_for(holders: &Holders, me: ThreadId, mode: Mode) -> bool {
    match mode {
        Mode::Exclusive => holders.owner.is_none_or(|o| o == me) && holders.shared.is_empty(),
        Mode::Shared => holders.owner.is_none(),
    }
}
