//! The platform seam's contract as programs: each runs against any [`Platform`] and returns
//! what it observed, and each names the observation a conforming platform gives. The
//! simulator's and the real backend's tests run the same programs, so the two platforms are
//! held to one definition of recursion, timed acquires, shared locking and `wait_any`.
//!
//! Owns these programs and their expected observations only. A program must never assert:
//! it reports, and the caller's test decides, so a broken platform is a test failure with
//! the observation in it rather than a panic inside a platform thread.

use std::sync::Arc;
use std::time::Duration;

use crate::platform::{Event, LockGuard, Platform, RecursiveMutex, Reset, SrwLock};

/// What [`recursive_mutex_reenters_and_times_out`] observes on a conforming platform.
pub const RECURSIVE_MUTEX_OBSERVED: &str =
    "held_while_reentered=true acquired=false waited_at_least_25ms=true held_after_unlock=false";

/// The owner takes a recursive mutex twice; another thread's 25 ms timed acquire gives up
/// after at least 25 ms; the owner's two unlocks release it.
pub async fn recursive_mutex_reenters_and_times_out<P: Platform>(platform: P) -> String {
    let lock = Arc::new(platform.recursive_mutex("l".into()));
    let outer = lock.lock().await;
    let inner = lock.lock().await;
    let held_while_reentered = lock.held_by_current_thread();
    let verdict = Arc::new(parking_lot::Mutex::new(String::new()));
    let (contender, p, out) = (lock.clone(), platform.clone(), verdict.clone());
    let waiter = platform
        .spawn("waiter".into(), async move {
            let started = p.now();
            let acquired = contender.try_lock_for(Duration::from_millis(25)).await.is_some();
            let waited_enough = p.now() - started >= Duration::from_millis(25);
            *out.lock() = format!("acquired={acquired} waited_at_least_25ms={waited_enough}");
        })
        .await;
    platform.join(&waiter).await;
    inner.unlock().await;
    outer.unlock().await;
    let held_after_unlock = lock.held_by_current_thread();
    let waiter_saw = verdict.lock().clone();
    format!("held_while_reentered={held_while_reentered} {waiter_saw} held_after_unlock={held_after_unlock}")
}

/// What [`wait_any_takes_the_lowest_index_and_consumes_auto_reset`] observes on a conforming
/// platform: index 0 first, then 1, and the auto-reset event is no longer signalled.
pub const WAIT_ANY_OBSERVED: &str = "first=0 second=1 polled=false timed=false";

/// Both an auto-reset and a manual-reset event are set; `wait_any` reports the lowest
/// signalled index and consumes the auto-reset signal, so the next `wait_any` reports the
/// manual one and neither a 0 ms poll nor a 5 ms wait finds the auto-reset event set.
pub async fn wait_any_takes_the_lowest_index_and_consumes_auto_reset<P: Platform>(platform: P) -> String {
    let auto = platform.event("auto".into(), Reset::Auto);
    let manual = platform.event("manual".into(), Reset::Manual);
    manual.set().await;
    auto.set().await;
    let first = platform.wait_any(&[&auto, &manual]).await;
    let second = platform.wait_any(&[&auto, &manual]).await;
    let polled = auto.wait_timeout(Duration::ZERO).await;
    let timed = auto.wait_timeout(Duration::from_millis(5)).await;
    format!("first={first} second={second} polled={polled} timed={timed}")
}

/// What [`srw_lock_admits_readers_together_and_a_writer_alone`] observes on a conforming
/// platform.
pub const SRW_LOCK_OBSERVED: &str = "second reader in while the first held; writer in";

/// A second reader gets an SRW lock while the first still holds it; the writer gets it once
/// both have left.
pub async fn srw_lock_admits_readers_together_and_a_writer_alone<P: Platform>(platform: P) -> String {
    let lock = Arc::new(platform.srw_lock("srw".into()));
    let reader = lock.lock_shared().await;
    let (other, seen) = (lock.clone(), Arc::new(parking_lot::Mutex::new(String::new())));
    let out = seen.clone();
    let second_reader = platform
        .spawn("reader".into(), async move {
            let guard = other.lock_shared().await;
            *out.lock() = "second reader in while the first held".to_string();
            guard.unlock().await;
        })
        .await;
    platform.join(&second_reader).await;
    reader.unlock().await;
    let writer = lock.lock_exclusive().await;
    writer.unlock().await;
    let second = seen.lock().clone();
    format!("{second}; writer in")
}
