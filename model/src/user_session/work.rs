//! What WSL plugin callbacks do inside a session (spec §3.1, §4.6 step 4): mount a folder,
//! launch a process in the root namespace or in a running distribution, each under
//! `m_instanceLock` (re-entered recursively when pumped onto the notifying thread), and
//! `TryInvokeUnderInstanceLock`, the direct path's 25 ms try.
//!
//! Owns no state of its own. The model keeps no record of mounts or processes: only the
//! result and a process's output reach the plugin.

use std::time::Duration;

use super::UserSession;
use crate::call_pump::PumpWork;
use crate::event::WorkSite;
use crate::hresult::{
    E_FAIL, E_NOT_VALID_STATE, ERROR_FILE_NOT_FOUND, HResult, S_OK, WSL_E_VM_MODE_INVALID_STATE,
    WSL_E_WSL2_NEEDED,
};
use crate::ids::Name;
use crate::platform::{LockGuard, Platform, RecursiveMutex};
use crate::wire::{ApiCall, CallbackReply};

impl<P: Platform> UserSession<P> {
    /// Runs one plugin API call's service-side work (the body of the callback lambdas).
    pub async fn run_api(&self, api: &ApiCall) -> CallbackReply {
        match api {
            ApiCall::MountFolder { windows_path, .. } => {
                CallbackReply::hr(self.mount_root_namespace_folder(windows_path).await)
            }
            ApiCall::ExecuteBinary { path, args } => self.create_linux_process(None, path, args).await,
            ApiCall::ExecuteBinaryInDistribution { distro, path, args } => {
                self.create_linux_process(Some(*distro), path, args).await
            }
            other => unreachable!("{} is a WSLC call, served without a WSL session", other.method()),
        }
    }

    /// `MountRootNamespaceFolder`: re-locks `m_instanceLock` (recursively on the pump thread).
    async fn mount_root_namespace_folder(&self, windows_path: &Name) -> HResult {
        self.locked(async {
            if !self.state.lock().vm {
                E_NOT_VALID_STATE
            } else if !self.world.windows_folders.contains(windows_path) {
                ERROR_FILE_NOT_FOUND
            } else {
                S_OK
            }
        })
        .await
    }

    /// `CreateLinuxProcess`, in the root namespace or in a running distribution.
    async fn create_linux_process(&self, distro: Option<u32>, path: &Name, args: &[Name]) -> CallbackReply {
        self.locked(async {
            match self.check_process_target(distro, path) {
                Err(hr) => CallbackReply::hr(hr),
                Ok(()) => {
                    if !self.world.process_start.is_zero() {
                        self.platform.sleep(self.world.process_start).await;
                    }
                    CallbackReply { hr: S_OK, output: Some(self.world.output_of(path, args)), errno: None }
                }
            }
        })
        .await
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

    /// The blocking direct path the `no-timed-acquire` mutant uses instead.
    pub async fn invoke_under_instance_lock<W: PumpWork>(&self, work: &W) -> CallbackReply {
        self.locked(work.run(WorkSite::Direct)).await
    }
}
