//! Win32 synchronisation objects, the platform seam's primitives on Windows:
//!
//! - [`KernelMutex`]: a mutex object (`CreateMutexW`): owned by an OS thread, recursive
//!   (the owner's waits succeed at once and must each be released), timed
//!   (`WaitForSingleObject` with a timeout) — what `std::recursive_timed_mutex` needs;
//! - [`SrwLock`]: `SRWLOCK`, shared or exclusive, never recursive (`wil::srwlock`, and
//!   `std::mutex`, which the MSVC library builds on it);
//! - [`Event`]: `CreateEventW`, manual- or auto-reset; [`wait_any`] is
//!   `WaitForMultipleObjects(.., FALSE, ..)`, which reports the lowest signalled index and
//!   consumes an auto-reset event's signal.
//!
//! Timed waits wait at least their timeout: a wait the system ends early (its timer
//! resolution) is resumed for the rest. A failing wait or release is a broken handle or a
//! release by a thread that does not hold the lock: a bug in the caller, so it panics.

#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use windows::Win32::Foundation::{WAIT_ABANDONED_0, WAIT_EVENT, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows::Win32::System::Threading::{
    AcquireSRWLockExclusive, AcquireSRWLockShared, CreateEventW, CreateMutexW, GetCurrentThreadId, INFINITE,
    ReleaseMutex, ReleaseSRWLockExclusive, ReleaseSRWLockShared, ResetEvent, SRWLOCK, SetEvent,
    TryAcquireSRWLockExclusive, TryAcquireSRWLockShared, WaitForMultipleObjects, WaitForSingleObject,
};
use windows_core::PCWSTR;

use crate::Error;
use crate::handle::Handle;

/// The most objects one `WaitForMultipleObjects` takes (`MAXIMUM_WAIT_OBJECTS`).
pub const MAX_WAIT_OBJECTS: usize = 64;

/// The calling OS thread's id (`GetCurrentThreadId`).
pub fn current_thread_id() -> u32 {
    // SAFETY: no arguments, no preconditions.
    unsafe { GetCurrentThreadId() }
}

/// How a wait on one or more objects ended.
enum Waited {
    /// The object at this index was signalled (or, for a mutex, abandoned by its owner).
    Signalled(usize),
    TimedOut,
}

/// Waits with `wait(milliseconds)` until it reports an object, or until `timeout` (`None`:
/// forever) has fully passed.
fn wait_at_least(timeout: Option<Duration>, count: usize, wait: impl Fn(u32) -> WAIT_EVENT) -> Waited {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let milliseconds = match deadline {
            None => INFINITE,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                // Rounded up, so that a wait never ends before its deadline on its own account.
                u32::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(INFINITE - 1).min(INFINITE - 1)
            }
        };
        let result = wait(milliseconds);
        let index = result.0.wrapping_sub(WAIT_OBJECT_0.0) as usize;
        let abandoned = result.0.wrapping_sub(WAIT_ABANDONED_0.0) as usize;
        if index < count {
            return Waited::Signalled(index);
        }
        if abandoned < count {
            return Waited::Signalled(abandoned);
        }
        if result == WAIT_FAILED {
            panic!("{}", Error::last("WaitForMultipleObjects"));
        }
        assert_eq!(result, WAIT_TIMEOUT, "an unknown wait result 0x{:08X}", result.0);
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Waited::TimedOut;
        }
    }
}

/// A Win32 mutex object: recursive and timed, owned by the OS thread that acquired it.
pub struct KernelMutex {
    handle: Handle,
}

impl KernelMutex {
    /// A new, unowned, unnamed mutex.
    pub fn new() -> Result<KernelMutex, Error> {
        // SAFETY: default security, not initially owned, no name: no pointers are passed.
        let raw =
            unsafe { CreateMutexW(None, false, PCWSTR::null()) }.map_err(|e| Error::of("CreateMutexW", e))?;
        // SAFETY: `raw` was just created and is owned by nothing else.
        Ok(KernelMutex { handle: unsafe { Handle::own(raw) } })
    }

    /// Acquires the mutex (again, if the calling thread owns it), waiting at most `timeout`
    /// (`None`: forever). Returns whether it was acquired; each acquisition is released by
    /// one [`KernelMutex::release`] on this thread. A mutex abandoned by a thread that ended
    /// while owning it is acquired.
    pub fn acquire(&self, timeout: Option<Duration>) -> bool {
        let handle = self.handle.raw();
        // SAFETY: the handle is open for as long as `self` lives.
        let wait = |milliseconds| unsafe { WaitForSingleObject(handle, milliseconds) };
        matches!(wait_at_least(timeout, 1, wait), Waited::Signalled(_))
    }

    /// Releases one acquisition. Panics when the calling thread does not own the mutex.
    pub fn release(&self) {
        // SAFETY: the handle is open; a release by a non-owner fails and is reported.
        if let Err(error) = unsafe { ReleaseMutex(self.handle.raw()) } {
            panic!("{}", Error::of("ReleaseMutex", error));
        }
    }
}

/// How an [`SrwLock`] is held.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SrwMode {
    /// `AcquireSRWLockShared`.
    Shared,
    /// `AcquireSRWLockExclusive`.
    Exclusive,
}

/// A slim reader/writer lock. It lives in its own allocation: an `SRWLOCK` must not move
/// while in use. Its guards keep it alive (`Arc`).
pub struct SrwLock {
    lock: Box<UnsafeCell<SRWLOCK>>,
}

// SAFETY: an SRWLOCK is designed to be used from many threads at once; it is only ever
// touched through the Acquire/Release functions, never read or written directly.
unsafe impl Send for SrwLock {}
// SAFETY: as above.
unsafe impl Sync for SrwLock {}

impl Default for SrwLock {
    fn default() -> Self {
        SrwLock { lock: Box::new(UnsafeCell::new(SRWLOCK::default())) }
    }
}

impl SrwLock {
    /// Blocks until the lock is held in `mode` by the calling thread. Re-acquiring a held
    /// SRW lock deadlocks: the caller checks for it first.
    pub fn acquire(self: &Arc<Self>, mode: SrwMode) -> SrwGuard {
        let lock = self.lock.get();
        match mode {
            // SAFETY: `lock` points to a live, pinned SRWLOCK (boxed, never moved).
            SrwMode::Shared => unsafe { AcquireSRWLockShared(lock) },
            // SAFETY: as above.
            SrwMode::Exclusive => unsafe { AcquireSRWLockExclusive(lock) },
        }
        SrwGuard { lock: self.clone(), mode, thread: current_thread_id() }
    }

    /// Takes the lock in `mode` if that needs no wait.
    pub fn try_acquire(self: &Arc<Self>, mode: SrwMode) -> Option<SrwGuard> {
        let lock = self.lock.get();
        let acquired = match mode {
            // SAFETY: `lock` points to a live, pinned SRWLOCK (boxed, never moved).
            SrwMode::Shared => unsafe { TryAcquireSRWLockShared(lock) },
            // SAFETY: as above.
            SrwMode::Exclusive => unsafe { TryAcquireSRWLockExclusive(lock) },
        };
        acquired.then(|| SrwGuard { lock: self.clone(), mode, thread: current_thread_id() })
    }
}

/// One holding of an [`SrwLock`]; dropping it releases the lock. It must be dropped on the
/// thread that acquired it (an SRW lock is released by its acquirer), which is checked.
pub struct SrwGuard {
    lock: Arc<SrwLock>,
    mode: SrwMode,
    thread: u32,
}

impl Drop for SrwGuard {
    fn drop(&mut self) {
        assert_eq!(
            self.thread,
            current_thread_id(),
            "an SRW lock released by another thread than its acquirer"
        );
        let lock = self.lock.lock.get();
        match self.mode {
            // SAFETY: this thread holds the lock in shared mode (this guard's existence).
            SrwMode::Shared => unsafe { ReleaseSRWLockShared(lock) },
            // SAFETY: this thread holds the lock in exclusive mode (this guard's existence).
            SrwMode::Exclusive => unsafe { ReleaseSRWLockExclusive(lock) },
        }
    }
}

/// A Win32 event object.
pub struct Event {
    handle: Handle,
}

impl Event {
    /// A new, non-signalled, unnamed event; `manual_reset` stays signalled until reset,
    /// otherwise one released waiter resets it.
    pub fn new(manual_reset: bool) -> Result<Event, Error> {
        // SAFETY: default security, no name: no pointers are passed.
        let raw = unsafe { CreateEventW(None, manual_reset, false, PCWSTR::null()) }
            .map_err(|e| Error::of("CreateEventW", e))?;
        // SAFETY: `raw` was just created and is owned by nothing else.
        Ok(Event { handle: unsafe { Handle::own(raw) } })
    }

    /// `SetEvent`.
    pub fn set(&self) {
        // SAFETY: the handle is open for as long as `self` lives.
        if let Err(error) = unsafe { SetEvent(self.handle.raw()) } {
            panic!("{}", Error::of("SetEvent", error));
        }
    }

    /// `ResetEvent`.
    pub fn reset(&self) {
        // SAFETY: the handle is open for as long as `self` lives.
        if let Err(error) = unsafe { ResetEvent(self.handle.raw()) } {
            panic!("{}", Error::of("ResetEvent", error));
        }
    }

    /// Waits until signalled, at most `timeout` (`None`: forever; zero: a poll). Returns
    /// whether it was signalled (consuming the signal if auto-reset).
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        wait_any(&[self], timeout).is_some()
    }
}

/// `WaitForMultipleObjects(events, FALSE, timeout)`: waits until one of `events` is
/// signalled and returns the lowest signalled index (consuming that event's signal if it is
/// auto-reset), or `None` once `timeout` passed. At most [`MAX_WAIT_OBJECTS`] events.
pub fn wait_any(events: &[&Event], timeout: Option<Duration>) -> Option<usize> {
    assert!(
        !events.is_empty() && events.len() <= MAX_WAIT_OBJECTS,
        "WaitForMultipleObjects takes 1 to {MAX_WAIT_OBJECTS} objects, not {}",
        events.len()
    );
    let handles: Vec<_> = events.iter().map(|e| e.handle.raw()).collect();
    // SAFETY: every handle is open: each belongs to an event borrowed for this call.
    let wait = |milliseconds| unsafe { WaitForMultipleObjects(&handles, false, milliseconds) };
    match wait_at_least(timeout, handles.len(), wait) {
        Waited::Signalled(index) => Some(index),
        Waited::TimedOut => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `body` on another OS thread and returns its result.
    fn on_another_thread<T: Send>(body: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|scope| scope.spawn(body).join().expect("the thread ends"))
    }

    #[test]
    fn a_kernel_mutex_is_recursive_for_its_owner_and_times_out_for_others() {
        let mutex = KernelMutex::new().expect("a mutex object");
        assert!(mutex.acquire(None));
        assert!(mutex.acquire(Some(Duration::ZERO)), "the owner re-enters at once");
        let started = Instant::now();
        assert!(!on_another_thread(|| mutex.acquire(Some(Duration::from_millis(30)))));
        assert!(started.elapsed() >= Duration::from_millis(30), "a timed acquire waits its whole timeout");
        mutex.release();
        assert!(!on_another_thread(|| mutex.acquire(Some(Duration::ZERO))), "still held once");
        mutex.release();
        assert!(on_another_thread(|| {
            let acquired = mutex.acquire(Some(Duration::ZERO));
            mutex.release();
            acquired
        }));
    }

    #[test]
    #[should_panic(expected = "ReleaseMutex failed")]
    fn releasing_a_kernel_mutex_one_does_not_own_panics() {
        KernelMutex::new().expect("a mutex object").release();
    }

    #[test]
    fn an_srw_lock_shares_readers_and_excludes_a_writer() {
        let lock = Arc::new(SrwLock::default());
        let reader = lock.acquire(SrwMode::Shared);
        assert!(on_another_thread(|| lock.try_acquire(SrwMode::Shared).is_some()));
        assert!(on_another_thread(|| lock.try_acquire(SrwMode::Exclusive).is_none()));
        drop(reader);
        let writer = lock.acquire(SrwMode::Exclusive);
        assert!(on_another_thread(|| lock.try_acquire(SrwMode::Shared).is_none()));
        drop(writer);
    }

    #[test]
    fn wait_any_reports_the_lowest_signalled_index_and_consumes_only_auto_reset() {
        let auto = Event::new(false).expect("an event");
        let manual = Event::new(true).expect("an event");
        manual.set();
        auto.set();
        assert_eq!(wait_any(&[&manual, &auto], None), Some(0));
        assert_eq!(wait_any(&[&auto, &manual], None), Some(0));
        assert_eq!(wait_any(&[&auto, &manual], None), Some(1), "the auto-reset signal was consumed");
        assert!(!auto.wait(Some(Duration::ZERO)));
        manual.reset();
        let started = Instant::now();
        assert_eq!(wait_any(&[&auto, &manual], Some(Duration::from_millis(20))), None);
        assert!(started.elapsed() >= Duration::from_millis(20));
    }
}
