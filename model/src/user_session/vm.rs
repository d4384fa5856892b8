//! The utility VM of a session (spec §1.2, §2.1): `_CreateVm` with its fatal-error gate and
//! `OnVMStarted`, `_VmTerminate` with `OnVMStopping`, and the threads other than clients
//! that end VMs and instances — the idle timer (`_VmCheckIdle`, `s_VmIdleTerminate`), the
//! VM's distribution-exit callback (its `try_lock` / 100 ms `m_vmTerminating` loop) and the
//! compute system's exit callback (`s_VmTerminated` → `TerminateByClientId`).
//!
//! Owns the VM's lifetime and those threads; never takes any lock but `m_instanceLock`.
//!
//! Simplifications: the threadpool timer is a thread per arming that waits on its own
//! cancellation event for the idle timeout (`SetThreadpoolTimer(NULL)` sets it); a callback
//! that already fired is not cancelled and re-checks idleness under the lock, as the
//! source's does. The compute-system exit callback only stands for an unexpected VM exit.

use std::sync::Arc;
use std::time::Duration;

use super::UserSession;
use crate::design::Mutant;
use crate::event::{ModelEvent, UserError};
use crate::platform::{Event, LockGuard, Platform, RecursiveMutex, Reset};

/// How long the distribution-exit callback waits on `m_vmTerminating` between tries.
const EXIT_CALLBACK_POLL: Duration = Duration::from_millis(100);

impl<P: Platform> UserSession<P> {
    /// `_CreateVm`: the fatal-error gate, the VM, then `OnVMStarted`; a failing hook tears
    /// the VM down (firing `OnVMStopping` to every plugin, I-11) before the error leaves.
    /// Whether or not a VM was created, the idle check runs last.
    pub(super) async fn create_vm(&self) -> Result<(), UserError> {
        if !self.state.lock().vm {
            self.plugins.throw_if_fatal_plugin_error().await?;
            if !self.world.vm_boot.is_zero() {
                self.platform.sleep(self.world.vm_boot).await;
            }
            // `m_session.UserToken`: the user's token, duplicated for plugins.
            self.state.lock().token = Some(self.world.user_of(self.cookie.0));
            // The callback-lock design publishes the VM under `m_callbackLock` exclusive.
            self.mutate(|state| state.vm = true).await;
            self.platform.emit(ModelEvent::VmCreated { session: self.cookie });
            let flags = self.world.kernel.custom_configuration_flags();
            if let Err(error) = self.plugins.on_vm_started(self.site(), flags).await {
                if !self.plugins.variant().has(Mutant::NoVmTerminateOnStartFailure) {
                    self.vm_terminate().await;
                }
                return Err(error);
            }
        }
        self.vm_check_idle().await;
        Ok(())
    }

    /// `_VmTerminate`: cancels the idle timer, `OnVMStopping` only if a VM exists, then the
    /// VM's destructor waits for its exit callbacks (which give up once `m_vmTerminating` is
    /// set) and the VM is gone — in the callback-lock design, reset under `m_callbackLock`
    /// exclusive, which waits for callbacks in flight (§7).
    pub(super) async fn vm_terminate(&self) {
        self.cancel_idle_timer().await;
        let vm = self.state.lock().vm;
        let reset_first = self.plugins.variant().has(Mutant::VmResetBeforeStopping);
        if vm && reset_first {
            self.reset_vm().await;
        }
        if vm {
            self.plugins.on_vm_stopping(self.site()).await;
        }
        self.vm_terminating.set().await;
        let callbacks = std::mem::take(&mut self.state.lock().exit_callbacks);
        for callback in &callbacks {
            self.platform.join(callback).await;
        }
        if vm && !reset_first {
            self.reset_vm().await;
        }
        // The token's lifetime is tied to the VM.
        self.state.lock().token = None;
        self.vm_terminating.reset().await;
    }

    /// `m_utilityVm.reset()`.
    async fn reset_vm(&self) {
        self.mutate(|state| state.vm = false).await;
        self.platform.emit(ModelEvent::VmTerminated { session: self.cookie });
    }

    /// `_VmIsIdle`: a VM, nothing being imported, no running instance (every instance has a
    /// client here).
    fn vm_is_idle(&self) -> bool {
        let state = self.state.lock();
        state.vm && state.converting.is_empty() && state.running.is_empty()
    }

    /// `_VmCheckIdle`: arms the idle timer when the VM is idle (and a timeout is set), else
    /// cancels it.
    pub(super) async fn vm_check_idle(&self) {
        match self.world.vm_idle_timeout {
            Some(timeout) if self.vm_is_idle() => self.arm_idle_timer(timeout).await,
            _ => self.cancel_idle_timer().await,
        }
    }

    /// `SetThreadpoolTimer(due)`: replaces any pending callback with one due after `timeout`.
    async fn arm_idle_timer(&self, timeout: Duration) {
        self.cancel_idle_timer().await;
        let cancel = Arc::new(self.platform.event(self.cookie.member("idle_timer"), Reset::Manual));
        self.state.lock().idle_timer = Some(cancel.clone());
        let session = self.arc();
        self.platform
            .spawn("idle-timer".to_string(), async move {
                if !cancel.wait_timeout(timeout).await {
                    session.vm_idle_terminate().await;
                }
            })
            .await;
    }

    /// `SetThreadpoolTimer(NULL)`: a pending callback never fires.
    async fn cancel_idle_timer(&self) {
        let pending = self.state.lock().idle_timer.take();
        if let Some(cancel) = pending {
            cancel.set().await;
        }
    }

    /// `_VmIdleTerminate`, on the timer's thread.
    async fn vm_idle_terminate(&self) {
        let guard = self.instance_lock.lock().await;
        let recheck = !self.plugins.variant().has(Mutant::IdleTerminateWithoutRecheck);
        if self.vm_is_idle() || (!recheck && self.state.lock().vm) {
            self.vm_terminate().await;
        }
        guard.unlock().await;
    }

    /// The distribution's init exited on its own: the VM calls back on a thread of its own,
    /// which tries the lock and gives up once the VM is being torn down (a no-op without a VM).
    pub async fn distribution_exited(&self, distro: &crate::ids::Name) {
        if !self.state.lock().vm {
            return;
        }
        let (session, distro) = (self.arc(), distro.clone());
        let callback = self
            .platform
            .spawn("vm-callback".to_string(), async move { session.exit_callback(&distro).await })
            .await;
        self.state.lock().exit_callbacks.push(callback);
    }

    /// The distribution-exit callback's body: `try_lock`, else wait up to 100 ms on
    /// `m_vmTerminating` and give up if it is set; then `TerminateByClientIdLockHeld`.
    async fn exit_callback(&self, distro: &crate::ids::Name) {
        let guard = if self.plugins.variant().has(Mutant::ExitCallbackBlocks) {
            self.instance_lock.lock().await
        } else {
            match self.try_lock_until_vm_terminating().await {
                Some(guard) => guard,
                None => return,
            }
        };
        let id = self.state.lock().registered.get(distro).copied();
        if let Some(id) = id {
            self.terminate_instance(id).await;
        }
        guard.unlock().await;
    }

    /// `try_lock`, else wait up to 100 ms on `m_vmTerminating`; `None` once it is set.
    async fn try_lock_until_vm_terminating(&self) -> Option<<P::RecursiveMutex as RecursiveMutex>::Guard> {
        loop {
            if let Some(guard) = self.instance_lock.try_lock_for(Duration::ZERO).await {
                return Some(guard);
            }
            if self.vm_terminating.wait_timeout(EXIT_CALLBACK_POLL).await {
                return None;
            }
        }
    }

    /// The VM exited unexpectedly: the compute system calls back on a thread of its own,
    /// which terminates every instance and the VM (`TerminateByClientId(WILDCARD)`).
    pub async fn vm_exited(&self) {
        if !self.state.lock().vm {
            return;
        }
        let session = self.arc();
        self.platform
            .spawn("vm-exit".to_string(), async move {
                let guard = session.instance_lock.lock().await;
                loop {
                    let first = session.state.lock().running.keys().next().copied();
                    let Some(id) = first else { break };
                    session.terminate_instance(id).await;
                }
                session.vm_terminate().await;
                guard.unlock().await;
            })
            .await;
    }
}
