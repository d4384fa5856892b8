//! The platform seam: every primitive the model uses to touch threads, locks, time,
//! processes and the wire, shaped like the Windows/COM primitives the real service uses.
//!
//! Owns the traits only. The simulator (`plughost-sim`) and the real backend implement
//! them; model code is generic over [`Platform`] and must reach the world through nothing
//! else — no OS thread, clock, socket, process or randomness (DESIGN §2).
//!
//! Rules every implementation keeps:
//! - every `async` operation is one scheduling point: the simulator may switch threads
//!   before it takes effect, and the model awaits exactly one operation at a time (no
//!   `select!`, no `join!`), so the real backend can block inside each one;
//! - dropping a lock guard releases the lock without a scheduling point; model code
//!   calls [`LockGuard::unlock`] where the release is part of the protocol;
//! - recursive mutexes count recursion per owner thread; SRW locks and plain mutexes are
//!   not recursive, and re-entering one is a model bug the platform reports.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::event::ModelEvent;
use crate::hresult::HResult;
use crate::ids::{Name, PluginIndex};
use crate::wire::{CallbackReply, CallbackRequest, HostReply, HostRequest};

/// A logical thread's identity, stable within one run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ThreadId(pub u32);

/// How an event resets after releasing a waiter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reset {
    /// Releases one waiter and resets itself (`EventOptions::None`).
    Auto,
    /// Stays signalled until reset (`EventOptions::ManualReset`).
    Manual,
}

/// A boxed future, for the few dynamically dispatched entry points (inbound calls).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The world as the model sees it. One value per process; clones share it.
pub trait Platform: Clone + Send + Sync + 'static {
    /// A joinable logical thread.
    type Thread: Send + Sync + 'static;
    /// `std::recursive_timed_mutex`.
    type RecursiveMutex: RecursiveMutex;
    /// `wil::srwlock`.
    type SrwLock: SrwLock;
    /// `std::mutex`.
    type Mutex: PlainMutex;
    /// A Win32 event.
    type Event: Event;
    /// The service's end of one plugin host (the COM proxy).
    type HostLink: HostLink;
    /// A host's end of its service (the callback proxy).
    type ServiceLink: ServiceLink;

    /// Starts a named logical thread in the calling process.
    fn spawn<F>(&self, name: String, body: F) -> impl Future<Output = Self::Thread> + Send
    where
        F: Future<Output = ()> + Send + 'static;
    /// Waits until `thread` has finished.
    fn join(&self, thread: &Self::Thread) -> impl Future<Output = ()> + Send;
    /// The identity of a started thread.
    fn thread_id(thread: &Self::Thread) -> ThreadId;
    /// The calling logical thread.
    fn current_thread(&self) -> ThreadId;

    /// Creates a recursive timed mutex; `name` appears in traces and deadlock reports.
    fn recursive_mutex(&self, name: String) -> Self::RecursiveMutex;
    /// Creates an SRW lock.
    fn srw_lock(&self, name: String) -> Self::SrwLock;
    /// Creates a plain mutex.
    fn mutex(&self, name: String) -> Self::Mutex;
    /// Creates a non-signalled event.
    fn event(&self, name: String, reset: Reset) -> Self::Event;
    /// `WaitForMultipleObjects(.., FALSE, INFINITE)`: waits until one event is signalled and
    /// returns the lowest signalled index, consuming that event if it is auto-reset.
    fn wait_any(&self, events: &[&Self::Event]) -> impl Future<Output = usize> + Send;

    /// Time since the run began (virtual in simulation).
    fn now(&self) -> Duration;
    /// Sleeps the calling thread.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// `CoCreateInstance` of a fresh plugin host process for one plugin. Inbound callbacks
    /// from that host are served by `callbacks`, each on a fresh service thread.
    fn activate_host(
        &self,
        plugin: PluginIndex,
        name: Name,
        callbacks: Arc<dyn CallbackServer>,
    ) -> impl Future<Output = Result<Self::HostLink, HResult>> + Send;
    /// `TerminateProcess(GetCurrentProcess())`: the calling process dies; the returned future
    /// never completes in it.
    fn terminate_current_process(&self) -> impl Future<Output = ()> + Send;

    /// Records a model event in the trace and hands it to the oracles.
    fn emit(&self, event: ModelEvent);
}

/// A guard that releases its lock when dropped.
pub trait LockGuard: Send + 'static {
    /// Releases the lock at a scheduling point.
    fn unlock(self) -> impl Future<Output = ()> + Send;
}

/// `std::recursive_timed_mutex`: owner = logical thread, with a recursion count.
pub trait RecursiveMutex: Send + Sync + 'static {
    /// The guard of one acquisition (one recursion level).
    type Guard: LockGuard;
    /// Blocks until acquired.
    fn lock(&self) -> impl Future<Output = Self::Guard> + Send;
    /// Tries to acquire within `timeout` (a timer in the platform's clock).
    fn try_lock_for(&self, timeout: Duration) -> impl Future<Output = Option<Self::Guard>> + Send;
    /// Whether the calling thread owns the mutex.
    fn held_by_current_thread(&self) -> bool;
}

/// `wil::srwlock`: shared or exclusive, never recursive.
pub trait SrwLock: Send + Sync + 'static {
    /// The guard of one acquisition.
    type Guard: LockGuard;
    /// Acquires in shared mode.
    fn lock_shared(&self) -> impl Future<Output = Self::Guard> + Send;
    /// Acquires in exclusive mode.
    fn lock_exclusive(&self) -> impl Future<Output = Self::Guard> + Send;
}

/// `std::mutex`: exclusive, never recursive.
pub trait PlainMutex: Send + Sync + 'static {
    /// The guard of one acquisition.
    type Guard: LockGuard;
    /// Blocks until acquired.
    fn lock(&self) -> impl Future<Output = Self::Guard> + Send;
}

/// A Win32 event object.
pub trait Event: Send + Sync + 'static {
    /// `SetEvent`.
    fn set(&self) -> impl Future<Output = ()> + Send;
    /// `ResetEvent` (a manual-reset event stops being signalled).
    fn reset(&self) -> impl Future<Output = ()> + Send;
    /// Waits without a timeout.
    fn wait(&self) -> impl Future<Output = ()> + Send;
    /// Waits up to `timeout`; `Duration::ZERO` is a non-blocking poll. Returns whether the
    /// event was signalled (consuming it if auto-reset).
    fn wait_timeout(&self, timeout: Duration) -> impl Future<Output = bool> + Send;
    /// Declares which thread is expected to set this event. It changes nothing but what a
    /// deadlock report can say about a thread waiting on it.
    fn expect_signal_from(&self, thread: ThreadId);
}

/// The service's proxy to one plugin host (`IWslPluginHost`).
pub trait HostLink: Send + Sync + 'static {
    /// A blocking cross-process call. `Err` carries the transport's HRESULT: the host died
    /// during the call (`RPC_S_CALL_FAILED`) or was already gone (`RPC_S_SERVER_UNAVAILABLE`).
    fn call(&self, request: HostRequest) -> impl Future<Output = Result<HostReply, HResult>> + Send;
    /// Kills the host process (closing the job object).
    fn kill(&self);
}

/// A host's proxy to the service (`IWslPluginHostCallback`).
pub trait ServiceLink: Send + Sync + 'static {
    /// A blocking cross-process callback, served on a fresh service thread.
    fn call(&self, request: CallbackRequest) -> impl Future<Output = Result<CallbackReply, HResult>> + Send;
}

/// The service's handler for inbound callbacks from one plugin's host.
pub trait CallbackServer: Send + Sync + 'static {
    /// Serves one callback; runs on the fresh service thread the platform created for it.
    fn serve(&self, request: CallbackRequest) -> BoxFuture<CallbackReply>;
}

/// The message of a panic payload: how a platform reports a broken model invariant (the
/// model panics only for those; see ARCHITECTURE.md, "Errors and panics").
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}
