//! How locks block on Windows: on Win32's own objects. The recursive timed mutex is a mutex
//! object (owned by the OS thread, which is the logical thread here; recursive; timed by
//! `WaitForSingleObject`); SRW locks and plain mutexes are `SRWLOCK`s. The bookkeeping is
//! updated after the object is acquired and before it is released, so it never claims an
//! owner the object does not have.

use std::sync::Arc;
use std::time::Duration;

use plughost_model::platform::ThreadId;
use plughost_win32::sync::{KernelMutex, SrwGuard, SrwMode};

use super::{LockCore, LockKind, Mode};
use crate::threads::Activity;

/// What a holding keeps: an SRW lock's guard (released on the acquiring thread), or
/// nothing for the mutex object (released by `ReleaseMutex` on its owner thread).
pub(crate) enum Hold {
    Mutex,
    Srw(SrwGuard),
}

/// The Win32 object a lock blocks on.
pub(crate) enum Blocking {
    Mutex(KernelMutex),
    Srw(Arc<plughost_win32::sync::SrwLock>),
}

impl Blocking {
    pub(crate) fn new(kind: LockKind) -> Blocking {
        match kind {
            LockKind::RecursiveTimed => {
                Blocking::Mutex(KernelMutex::new().unwrap_or_else(|e| panic!("a mutex object: {e}")))
            }
            LockKind::Srw | LockKind::Plain => Blocking::Srw(Arc::default()),
        }
    }

    /// Takes the lock for `me`, waiting at most `timeout` (only the mutex object is timed).
    pub(crate) fn acquire(
        &self,
        lock: &LockCore,
        me: ThreadId,
        mode: Mode,
        timeout: Option<Duration>,
    ) -> Option<Hold> {
        let hold = match self.try_now(mode) {
            Some(hold) => hold,
            None => {
                lock.blocked(me, timeout);
                let waiting = lock.waiting(&lock.holders.lock(), timeout);
                lock.threads.set(me, waiting);
                // A timed acquire that gives up stays "retrying" in the watchdog's report: the
                // model retries it, and the moment between two attempts is not progress.
                let hold = self.wait(mode, timeout)?;
                lock.threads.set(me, Activity::Running);
                hold
            }
        };
        let mut holders = lock.holders.lock();
        holders.take(me, mode);
        lock.acquired(me, mode, timeout);
        Some(hold)
    }

    fn try_now(&self, mode: Mode) -> Option<Hold> {
        match self {
            Blocking::Mutex(mutex) => mutex.acquire(Some(Duration::ZERO)).then_some(Hold::Mutex),
            Blocking::Srw(srw) => srw.try_acquire(srw_mode(mode)).map(Hold::Srw),
        }
    }

    fn wait(&self, mode: Mode, timeout: Option<Duration>) -> Option<Hold> {
        match self {
            Blocking::Mutex(mutex) => mutex.acquire(timeout).then_some(Hold::Mutex),
            Blocking::Srw(srw) => Some(Hold::Srw(srw.acquire(srw_mode(mode)))),
        }
    }

    /// Releases one holding: the bookkeeping and its fact first, then the object.
    pub(crate) fn release(&self, lock: &LockCore, thread: ThreadId, mode: Mode, hold: Hold) {
        let mut holders = lock.holders.lock();
        holders.give_back(thread, mode);
        lock.released(thread);
        drop(holders);
        match (self, hold) {
            (Blocking::Mutex(mutex), Hold::Mutex) => mutex.release(),
            (Blocking::Srw(_), Hold::Srw(guard)) => drop(guard),
            _ => unreachable!("a holding of another kind of lock"),
        }
    }
}

fn srw_mode(mode: Mode) -> SrwMode {
    match mode {
        Mode::Exclusive => SrwMode::Exclusive,
        Mode::Shared => SrwMode::Shared,
    }
}
