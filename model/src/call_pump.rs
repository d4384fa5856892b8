//! `PluginCallPump` (spec §4.2–§4.4): runs one outbound notification on a worker thread
//! while the notifying thread executes the plugin's callbacks, one at a time, in FIFO order.
//!
//! Owns the queue, the stopped flag, the auto-reset "call available" event, the per-`Run`
//! manual-reset "worker done" event and the per-call "done" events. It never decides
//! routing (that is `plugin_manager::routing`) and never holds its own lock across a wait.
//!
//! Simplifications: event creation and thread creation cannot fail here, so the
//! `Invoke` "creation failure reports ran" path and `Run`'s spawn-failure path (spec §9.5)
//! are absent; `WAIT_FAILED` cannot happen, so the fail-fast branch is absent.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::design::{Mutant, Variant};
use crate::event::{ModelEvent, WorkSite};
use crate::hresult::E_FAIL;
use crate::ids::{CallbackId, PumpId};
use crate::platform::{Event, LockGuard, Platform, Reset, SrwLock, ThreadId};
use crate::wire::CallbackReply;

/// Service-side work a pump can run: the lambda `PluginHostCallbackImpl` builds.
pub trait PumpWork: Clone + Send + Sync + 'static {
    /// The callback this work belongs to.
    fn callback(&self) -> CallbackId;
    /// Runs the work at `site`.
    fn run(&self, site: WorkSite) -> impl Future<Output = CallbackReply> + Send;
}

/// One queued call (`PluginCallPump::Call`).
struct Call<P: Platform, W> {
    work: W,
    result: Mutex<Option<CallbackReply>>,
    done: P::Event,
}

/// What `m_lock` guards.
struct Guarded<P: Platform, W> {
    queue: VecDeque<Arc<Call<P, W>>>,
    stopped: bool,
}

/// A pump serving exactly one outbound notification.
pub struct CallPump<P: Platform, W: PumpWork> {
    platform: P,
    id: PumpId,
    /// The notifying thread: the pump's only consumer.
    consumer: ThreadId,
    variant: Variant,
    lock: P::SrwLock,
    guarded: Mutex<Guarded<P, W>>,
    call_available: P::Event,
}

impl<P: Platform, W: PumpWork> CallPump<P, W> {
    /// A fresh, running pump, consumed by the calling thread.
    pub fn new(platform: &P, id: PumpId, variant: Variant) -> CallPump<P, W> {
        CallPump {
            consumer: platform.current_thread(),
            lock: platform.srw_lock(id.member("lock")),
            call_available: platform.event(id.member("call_available"), Reset::Auto),
            guarded: Mutex::new(Guarded { queue: VecDeque::new(), stopped: false }),
            platform: platform.clone(),
            id,
            variant,
        }
    }

    /// This pump's id.
    pub fn id(&self) -> PumpId {
        self.id
    }

    /// `Run` (§4.2): runs `notification` on a fresh worker thread named `worker_name` and
    /// pumps queued calls on the calling thread until the worker finished; returns the
    /// notification's result.
    pub async fn run<F, Fut, T>(&self, worker_name: String, notification: F) -> T
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let worker_done = Arc::new(self.platform.event(self.id.member("worker_done"), Reset::Manual));
        let result: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
        let worker = self
            .platform
            .spawn(
                worker_name,
                notify_then_signal(
                    self.platform.clone(),
                    self.id,
                    notification,
                    result.clone(),
                    worker_done.clone(),
                ),
            )
            .await;
        worker_done.expect_signal_from(P::thread_id(&worker));
        self.pump_until_worker_done(&worker_done).await;
        // The join, not the event, orders the worker's write of the result before this read.
        self.platform.join(&worker).await;
        let (queued, stopped) = {
            let guarded = self.guarded.lock();
            (guarded.queue.len(), guarded.stopped)
        };
        self.platform.emit(ModelEvent::PumpRunEnd { pump: self.id, queued, stopped });
        let output = result.lock().take();
        output.expect("the pump worker stores its result before it finishes")
    }

    /// Step 3 of `Run`: wait, drain, poll "worker done", stop.
    async fn pump_until_worker_done(&self, worker_done: &P::Event) {
        loop {
            let index = self.platform.wait_any(&[&self.call_available, worker_done]).await;
            self.platform.emit(ModelEvent::PumpWoke { pump: self.id, index });
            self.drain_queue().await;
            let finished = if self.variant.has(Mutant::NoWorkerDonePoll) {
                index == 1
            } else {
                // Independent 0 ms poll: the wait reports the lowest signalled index, so a steady
                // stream of calls would otherwise starve "worker done" (§4.4).
                worker_done.wait_timeout(Duration::ZERO).await
            };
            if finished {
                self.stop().await;
                self.drain_queue().await;
                return;
            }
        }
    }

    /// Sets `m_stopped` under `m_lock`, before the final drain (§4.4 first bullet).
    async fn stop(&self) {
        let guard = self.lock.lock_exclusive().await;
        self.guarded.lock().stopped = true;
        self.platform.emit(ModelEvent::PumpStopped { pump: self.id });
        guard.unlock().await;
    }

    /// `DrainQueue`: pops under the lock, runs each call outside it, FIFO.
    async fn drain_queue(&self) {
        loop {
            let guard = self.lock.lock_exclusive().await;
            let call = self.guarded.lock().queue.pop_front();
            guard.unlock().await;
            let Some(call) = call else { return };
            let reply = call.work.run(WorkSite::Pumped(self.id)).await;
            *call.result.lock() = Some(reply);
            call.done.set().await;
        }
    }

    /// `Invoke` (§4.3), on an RPC thread: `None` means the pump had stopped and the work did
    /// not run; `Some` carries the work's result.
    pub async fn invoke(&self, work: W) -> Option<CallbackReply> {
        let callback = work.callback();
        let mut name = self.id.member("cb#");
        crate::ids::push_number(&mut name, callback.0);
        name.push_str(".done");
        let done = self.platform.event(name, Reset::Auto);
        done.expect_signal_from(self.consumer);
        let call = Arc::new(Call { work, result: Mutex::new(None), done });
        let guard = self.lock.lock_exclusive().await;
        if self.guarded.lock().stopped {
            guard.unlock().await;
            self.platform.emit(ModelEvent::PumpRefused { pump: self.id, callback });
            if self.variant.has(Mutant::StoppedReportedAsRan) {
                // Reports "ran": the caller returns its initial `hr = E_FAIL` unexecuted.
                return Some(CallbackReply::hr(E_FAIL));
            }
            return None;
        }
        self.guarded.lock().queue.push_back(call.clone());
        self.platform.emit(ModelEvent::PumpEnqueued { pump: self.id, callback });
        guard.unlock().await;
        self.call_available.set().await;
        call.done.wait().await;
        let reply = call.result.lock().take();
        Some(reply.expect("the pump stores a call's result before signalling done"))
    }
}

/// The worker thread's body: notify, store the result, always signal completion.
async fn notify_then_signal<P, F, Fut, T>(
    platform: P,
    pump: PumpId,
    notification: F,
    result: Arc<Mutex<Option<T>>>,
    worker_done: Arc<P::Event>,
) where
    P: Platform,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let output = notification().await;
    *result.lock() = Some(output);
    worker_done.set().await;
    platform.emit(ModelEvent::PumpWorkerDone { pump });
}
