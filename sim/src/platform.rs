//! [`SimPlatform`]: the model's platform seam implemented on the simulation kernel.
//!
//! Owns the handle types (threads, locks, events, guards, links). Each handle is an index
//! into the kernel's tables plus a kernel handle; each operation is the kernel operation of
//! the same name. Nothing here decides scheduling.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use plughost_model::event::ModelEvent;
use plughost_model::hresult::HResult;
use plughost_model::ids::{Name, PluginIndex};
use plughost_model::platform::{
    BoxFuture, CallbackServer, Event, HostLink, LockGuard, PlainMutex, Platform, RecursiveMutex, Reset,
    ServiceLink, SrwLock, ThreadId,
};
use plughost_model::plugin_host::PluginHost;
use plughost_model::wire::{CallbackReply, CallbackRequest, HostReply, HostRequest};

use crate::kernel::{EventId, Kernel, LockId, LockKind, Mode, ProcessId};

/// The simulated platform. Clones share one run's kernel.
#[derive(Clone)]
pub struct SimPlatform {
    kernel: Kernel,
}

impl SimPlatform {
    pub(crate) fn new(kernel: Kernel) -> SimPlatform {
        SimPlatform { kernel }
    }

    fn lock(&self, name: String, kind: LockKind) -> LockId {
        self.kernel.state().add_lock(name, kind)
    }
}

/// A simulated thread handle.
pub struct SimThread {
    id: ThreadId,
}

/// A held simulated lock; dropping it releases the lock.
pub struct SimGuard {
    kernel: Kernel,
    lock: LockId,
    thread: ThreadId,
    mode: Mode,
    held: bool,
}

impl SimGuard {
    /// Acquires `lock` in `mode`, giving up after `timeout` when there is one.
    async fn acquire(
        kernel: &Kernel,
        lock: LockId,
        mode: Mode,
        timeout: Option<Duration>,
    ) -> Option<SimGuard> {
        let thread = kernel.acquire(lock, mode, timeout).await?;
        Some(SimGuard::held(kernel, lock, thread, mode))
    }

    /// Acquires `lock` in `mode`, however long that takes.
    async fn acquire_untimed(kernel: &Kernel, lock: LockId, mode: Mode) -> SimGuard {
        let thread = kernel.acquire(lock, mode, None).await.expect("an untimed acquire succeeds");
        SimGuard::held(kernel, lock, thread, mode)
    }

    /// The guard of `lock`, which `thread` has just acquired in `mode`.
    fn held(kernel: &Kernel, lock: LockId, thread: ThreadId, mode: Mode) -> SimGuard {
        SimGuard { kernel: kernel.clone(), lock, thread, mode, held: true }
    }
}

impl LockGuard for SimGuard {
    async fn unlock(mut self) {
        self.kernel.choice_point().await;
        self.held = false;
        self.kernel.release(self.lock, self.thread, self.mode);
    }
}

impl Drop for SimGuard {
    fn drop(&mut self) {
        if self.held {
            self.kernel.release(self.lock, self.thread, self.mode);
        }
    }
}

/// `std::recursive_timed_mutex`.
pub struct SimRecursiveMutex {
    kernel: Kernel,
    lock: LockId,
}

impl RecursiveMutex for SimRecursiveMutex {
    type Guard = SimGuard;

    fn lock(&self) -> impl Future<Output = SimGuard> + Send {
        SimGuard::acquire_untimed(&self.kernel, self.lock, Mode::Exclusive)
    }

    fn try_lock_for(&self, timeout: Duration) -> impl Future<Output = Option<SimGuard>> + Send {
        SimGuard::acquire(&self.kernel, self.lock, Mode::Exclusive, Some(timeout))
    }

    fn held_by_current_thread(&self) -> bool {
        self.kernel.owns(self.lock)
    }
}

/// `wil::srwlock`.
pub struct SimSrwLock {
    kernel: Kernel,
    lock: LockId,
}

impl SrwLock for SimSrwLock {
    type Guard = SimGuard;

    fn lock_shared(&self) -> impl Future<Output = SimGuard> + Send {
        SimGuard::acquire_untimed(&self.kernel, self.lock, Mode::Shared)
    }

    fn lock_exclusive(&self) -> impl Future<Output = SimGuard> + Send {
        SimGuard::acquire_untimed(&self.kernel, self.lock, Mode::Exclusive)
    }
}

/// `std::mutex`.
pub struct SimMutex {
    kernel: Kernel,
    lock: LockId,
}

impl PlainMutex for SimMutex {
    type Guard = SimGuard;

    fn lock(&self) -> impl Future<Output = SimGuard> + Send {
        SimGuard::acquire_untimed(&self.kernel, self.lock, Mode::Exclusive)
    }
}

/// A Win32 event.
pub struct SimEvent {
    kernel: Kernel,
    event: EventId,
}

impl Event for SimEvent {
    fn set(&self) -> impl Future<Output = ()> + Send {
        self.kernel.set_event(self.event)
    }

    fn reset(&self) -> impl Future<Output = ()> + Send {
        self.kernel.reset_event(self.event)
    }

    async fn wait(&self) {
        self.kernel.wait_events(&[self.event], None).await;
    }

    async fn wait_timeout(&self, timeout: Duration) -> bool {
        self.kernel.wait_events(&[self.event], Some(timeout)).await.is_some()
    }

    fn expect_signal_from(&self, thread: ThreadId) {
        self.kernel.state().events[self.event].signaller = Some(thread);
    }
}

/// The service's proxy to one host process.
pub struct SimHostLink {
    kernel: Kernel,
    process: ProcessId,
}

impl HostLink for SimHostLink {
    async fn call(&self, request: HostRequest) -> Result<HostReply, HResult> {
        self.kernel.call_host(self.process, request).await
    }

    fn kill(&self) {
        self.kernel.kill_process(self.process);
    }
}

/// A host's proxy to the service.
pub struct SimServiceLink {
    kernel: Kernel,
    callbacks: Arc<dyn CallbackServer>,
}

impl ServiceLink for SimServiceLink {
    async fn call(&self, request: CallbackRequest) -> Result<CallbackReply, HResult> {
        self.kernel.call_service(self.callbacks.clone(), request).await
    }
}

impl Platform for SimPlatform {
    type Thread = SimThread;
    type RecursiveMutex = SimRecursiveMutex;
    type SrwLock = SimSrwLock;
    type Mutex = SimMutex;
    type Event = SimEvent;
    type HostLink = SimHostLink;
    type ServiceLink = SimServiceLink;

    fn spawn<F>(&self, name: String, body: F) -> impl Future<Output = SimThread> + Send
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Boxed now, before the choice point: a thread body can be kilobytes of state, and
        // every layer it passes through on its way to its task would otherwise copy it.
        let body: BoxFuture<()> = Box::pin(body);
        let kernel = self.kernel.clone();
        async move {
            kernel.choice_point().await;
            let process = kernel.current_process();
            SimThread { id: kernel.spawn_thread(process, &name, None, body) }
        }
    }

    async fn join(&self, thread: &SimThread) {
        self.kernel.join(thread.id).await;
    }

    fn thread_id(thread: &SimThread) -> ThreadId {
        thread.id
    }

    fn current_thread(&self) -> ThreadId {
        self.kernel.current()
    }

    fn recursive_mutex(&self, name: String) -> SimRecursiveMutex {
        SimRecursiveMutex { lock: self.lock(name, LockKind::Recursive), kernel: self.kernel.clone() }
    }

    fn srw_lock(&self, name: String) -> SimSrwLock {
        SimSrwLock { lock: self.lock(name, LockKind::Srw), kernel: self.kernel.clone() }
    }

    fn mutex(&self, name: String) -> SimMutex {
        SimMutex { lock: self.lock(name, LockKind::Plain), kernel: self.kernel.clone() }
    }

    fn event(&self, name: String, reset: Reset) -> SimEvent {
        SimEvent { event: self.kernel.state().add_event(name, reset), kernel: self.kernel.clone() }
    }

    async fn wait_any(&self, events: &[&SimEvent]) -> usize {
        let ids: Vec<EventId> = events.iter().map(|e| e.event).collect();
        self.kernel.wait_events(&ids, None).await.expect("an untimed wait returns a signalled index")
    }

    fn now(&self) -> Duration {
        self.kernel.now()
    }

    async fn sleep(&self, duration: Duration) {
        self.kernel.sleep(duration).await;
    }

    async fn activate_host(
        &self,
        _plugin: PluginIndex,
        name: Name,
        callbacks: Arc<dyn CallbackServer>,
    ) -> Result<SimHostLink, HResult> {
        self.kernel.choice_point().await;
        let process = self.kernel.add_host_process(&name);
        let link = SimServiceLink { kernel: self.kernel.clone(), callbacks };
        self.kernel.set_host(process, PluginHost::new(self.clone(), link));
        Ok(SimHostLink { kernel: self.kernel.clone(), process })
    }

    async fn terminate_current_process(&self) {
        self.kernel.choice_point().await;
        self.kernel.kill_process(self.kernel.current_process());
        std::future::pending::<()>().await;
    }

    fn emit(&self, event: ModelEvent) {
        self.kernel.emit(event);
    }
}
