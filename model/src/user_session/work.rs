//! What WSL plugin callbacks do inside a session (spec §3.1, §4.6 step 4): mount a folder,
//! launch a process in the root namespace or in a running distribution, each under
//! `m_instanceLock` (re-entered recursively when pumped onto the notifying thread, or by the
//! hook's own thread in-process) — or, in the callback-lock design, under `m_callbackLock`
//! taken shared and never `m_instanceLock` (§7) — and `TryInvokeUnderInstanceLock`, the
//! direct path's 25 ms try.
//!
//! Owns no state of its own. The model keeps no record of mounts or processes: only the
//! result and a process's output reach the plugin.

use std::time::Duration;

use super::UserSession;
use crate::call_pump::PumpWork;
use crate::design::{Design, Mutant};
use crate::event::WorkSite;
use crate::hresult::{
    E_FAIL, E_NOT_VALID_STATE, ERROR_FILE_NOT_FOUND, HResult, S_OK, WSL_E_VM_MODE_INVALID_STATE,
    WSL_E_WSL2_NEEDED,
};
use crate::ids::Name;
use crate::platform::{LockGuard, Platform, RecursiveMutex, SrwLock};
use crate::wire::{ApiCall, CallbackReply};

impl<P: Platform> UserSession<P> {
    /// Runs one plugin API call's service-side work (the body of the callback lambdas) under
    /// the lock its design takes for it.
    pub async fn run_api(&self, api: &ApiCall) -> CallbackReply {
        let variant = self.plugins.variant();
        if variant.design != Design::CallbackLock || variant.has(Mutant::CallbackLockOrderReversed) {
            return self.locked(|| self.api_work(api)).await;
        }
        // PR 40120: the caller holds `m_callbackLock` shared (`invoke_under_callback_lock`).
        self.api_work(api).await
    }

    /// PR 40120's callback (§7): `work` under `m_callbackLock` taken shared, on the calling
    /// RPC thread, concurrently with the hook and with other callbacks.
    pub async fn invoke_under_callback_lock<W: PumpWork>(&self, work: &W) -> CallbackReply {
        if self.plugins.variant().has(Mutant::CallbackTakesInstanceLock) {
            return self.locked(|| self.shared_callback_lock(|| work.run(WorkSite::Shared))).await;
        }
        self.shared_callback_lock(|| work.run(WorkSite::Shared)).await
    }

    /// `std::shared_lock lock(m_callbackLock)` around the future `body` makes (called once
    /// the lock is held, as [`UserSession::locked`] calls its body).
    async fn shared_callback_lock<T, F: Future<Output = T>>(&self, body: impl FnOnce() -> F) -> T {
        let guard = self.callback_lock.lock_shared().await;
        let result = body().await;
        guard.unlock().await;
        result
    }

    /// The work itself, with whatever lock the caller took.
    async fn api_work(&self, api: &ApiCall) -> CallbackReply {
        match api {
            ApiCall::MountFolder { windows_path, .. } => {
                CallbackReply::hr(self.mount_root_namespace_folder(windows_path))
            }
            ApiCall::ExecuteBinary { path, args } => self.create_linux_process(None, path, args).await,
            ApiCall::ExecuteBinaryInDistribution { distro, path, args } => {
                self.create_linux_process(Some(*distro), path, args).await
            }
            other => unreachable!("{} is a WSLC call, served without a WSL session", other.method()),
        }
    }

    /// `MountRootNamespaceFolder`.
    fn mount_root_namespace_folder(&self, windows_path: &Name) -> HResult {
        if !self.state.lock().vm {
            E_NOT_VALID_STATE
        } else if !self.world.windows_folders.contains(windows_path) {
            ERROR_FILE_NOT_FOUND
        } else {
            S_OK
        }
    }

    /// `CreateLinuxProcess`, in the root namespace or in a running distribution.
    async fn create_linux_process(&self, distro: Option<u32>, path: &Name, args: &[Name]) -> CallbackReply {
        match self.check_process_target(distro, path) {
            Err(hr) => CallbackReply::hr(hr),
            Ok(()) => {
                if !self.world.process_start.is_zero() {
                    self.platform.sleep(self.world.process_start).await;
                }
                CallbackReply { hr: S_OK, output: Some(self.world.output_of(path, args)), errno: None }
            }
        }
    }

    fn check_process_target(&self, distro: Option<u32>, path: &Name) -> Result<(), HResult> {
        let state = self.state.lock();
        if !state.vm {
            return Err(E_NOT_VALID_STATE);
        }
        if let Some(id) = distro {
            if !state.running.contains_key(&id) {
                return Err(WSL_E_VM_MODE_INVALID_STATE);
            }
            if state.wsl1.contains(&id) {
                return Err(WSL_E_WSL2_NEEDED);
            }
        }
        if !self.world.binaries.contains(path) {
            return Err(E_FAIL);
        }
        Ok(())
    }

    /// `TryInvokeUnderInstanceLock` (§4.6 step 4): `None` when the lock stayed busy for `timeout`.
    pub async fn try_invoke_under_instance_lock<W: PumpWork>(
        &self,
        timeout: Duration,
        work: &W,
    ) -> Option<CallbackReply> {
        let guard = self.instance_lock.try_lock_for(timeout).await?;
        let reply = work.run(WorkSite::Direct).await;
        guard.unlock().await;
        Some(reply)
    }

    /// `work` under a blocking acquire of `m_instanceLock`: the in-process design's
    /// callbacks, and the direct path of the `no-timed-acquire` mutant.
    pub async fn invoke_under_instance_lock<W: PumpWork>(&self, work: &W, site: WorkSite) -> CallbackReply {
        self.locked(|| work.run(site)).await
    }
}
