//! One WSL user session (`LxssUserSessionImpl`, spec §1.3, §2.1, §3.1, §4.6 step 4): the
//! recursive timed `m_instanceLock`, the utility VM and the running distributions, and
//! the service-side work plugin callbacks ask for.
//!
//! Owns the session state and the lock that guards it. Every client entry point takes the
//! lock for its whole operation, as the real methods do; hooks are fired through the
//! plugin manager from inside those sections (except `OnDistributionRegistered`, fired
//! after `RegisterDistribution`'s locked block, §2.1). It never talks to a host directly.
//!
//! Simplifications (absent): WSL1; idle timers and the VM-exit callback path
//! (`s_VmTerminated` → `TerminateByClientId` on the HCS thread); `RequestStop` failures;
//! `wsl --shutdown --force` and the forced VM termination of `ForceAfter30Seconds` (the lock
//! is still tried for 30 s, then taken blocking); `PreventNewInstances`; the locked
//! `OnDistributionRegistered` site of `ImportDistributionInplace`; `RegisterDistribution`'s
//! import work between its two locked blocks (one block here). A VM and its instances never
//! fail to start on their own; distribution ids stand in for GUIDs and order instances as
//! GUIDs do in `m_runningInstances`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::call_pump::PumpWork;
use crate::event::{ModelEvent, UserError, WorkSite};
use crate::hresult::{
    E_FAIL, E_NOT_VALID_STATE, ERROR_ALREADY_EXISTS, ERROR_FILE_NOT_FOUND, S_OK, WSL_E_DISTRO_NOT_FOUND,
    WSL_E_VM_MODE_INVALID_STATE,
};
use crate::ids::{Name, SessionCookie};
use crate::platform::{LockGuard, Platform, RecursiveMutex};
use crate::plugin_manager::{HookSite, PluginManager};
use crate::wire::{ApiCall, CallbackReply, DistroInfo};
use crate::world::World;

/// How long `Shutdown(ForceAfter30Seconds)` tries for the lock before forcing.
const SHUTDOWN_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// `ShutdownBehavior`, as far as the model distinguishes it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShutdownBehavior {
    /// `wsl --shutdown`: wait for the instance lock.
    Wait,
    /// Service stop: try the lock for 30 s first.
    ForceAfter30Seconds,
}

struct SessionState {
    /// Whether the utility VM exists (the model keeps nothing else about it).
    vm: bool,
    /// Keyed by distribution id, the GUID's stand-in, as `m_runningInstances` is by GUID.
    running: BTreeMap<u32, DistroInfo>,
    registered: BTreeMap<Name, u32>,
    next_distro_id: u32,
    next_init_pid: u32,
}

/// A user session.
pub struct UserSession<P: Platform> {
    platform: P,
    cookie: SessionCookie,
    instance_lock: P::RecursiveMutex,
    state: Mutex<SessionState>,
    plugins: Arc<PluginManager<P>>,
    world: Arc<World>,
}

impl<P: Platform> UserSession<P> {
    /// A session with the world's distributions registered and no VM.
    pub fn new(
        platform: P,
        cookie: SessionCookie,
        plugins: Arc<PluginManager<P>>,
        world: Arc<World>,
    ) -> Self {
        let registered: BTreeMap<Name, u32> =
            world.distros.iter().zip(1..).map(|(name, id)| (name.clone(), id)).collect();
        UserSession {
            instance_lock: platform.recursive_mutex(format!("{cookie}.instance_lock")),
            state: Mutex::new(SessionState {
                vm: false,
                next_distro_id: registered.len() as u32 + 1,
                registered,
                running: BTreeMap::new(),
                next_init_pid: 100,
            }),
            platform,
            cookie,
            plugins,
            world,
        }
    }

    /// The session's cookie.
    pub fn cookie(&self) -> SessionCookie {
        self.cookie
    }

    /// Whether the calling thread owns `m_instanceLock`.
    pub fn holds_instance_lock(&self) -> bool {
        self.instance_lock.held_by_current_thread()
    }

    fn site(&self) -> HookSite {
        HookSite { session: self.cookie }
    }

    /// `CreateInstance` for a WSL2 distribution: creates the VM if needed, then the instance.
    pub async fn create_instance(&self, distro: &Name) -> Result<(), UserError> {
        let guard = self.instance_lock.lock().await;
        let result = self.create_instance_locked(distro).await;
        guard.unlock().await;
        result
    }

    async fn create_instance_locked(&self, distro: &Name) -> Result<(), UserError> {
        let Some(id) = self.state.lock().registered.get(distro).copied() else {
            return Err(UserError::hr(WSL_E_DISTRO_NOT_FOUND));
        };
        if self.state.lock().running.contains_key(&id) {
            return Ok(());
        }
        self.create_vm().await?;
        let info = {
            let mut state = self.state.lock();
            state.next_init_pid += 1;
            let info = DistroInfo { name: distro.clone(), id, init_pid: state.next_init_pid };
            // Inserted before plugins are notified: they may run a command inside it.
            state.running.insert(id, info.clone());
            info
        };
        self.platform.emit(ModelEvent::DistroStarted { session: self.cookie, distro: distro.clone() });
        if let Err(error) = self.plugins.on_distribution_started(self.site(), &info).await {
            // The instance is erased without `OnDistributionStopping` (§2.1).
            self.state.lock().running.remove(&id);
            self.platform.emit(ModelEvent::DistroStopped { session: self.cookie, distro: distro.clone() });
            return Err(error);
        }
        Ok(())
    }

    /// `_CreateVm`: the fatal-error gate, the VM, then `OnVMStarted`; a failing hook tears
    /// the VM down (firing `OnVMStopping` to every plugin, I-11) before the error leaves.
    async fn create_vm(&self) -> Result<(), UserError> {
        if self.state.lock().vm {
            return Ok(());
        }
        self.plugins.throw_if_fatal_plugin_error().await?;
        if !self.world.vm_boot.is_zero() {
            self.platform.sleep(self.world.vm_boot).await;
        }
        self.state.lock().vm = true;
        self.platform.emit(ModelEvent::VmCreated { session: self.cookie });
        if let Err(error) = self.plugins.on_vm_started(self.site()).await {
            self.vm_terminate().await;
            return Err(error);
        }
        Ok(())
    }

    /// A client operation that needs only the VM (`wsl --mount`, the system distribution):
    /// `_CreateVm` under the lock.
    pub async fn start_vm(&self) -> Result<(), UserError> {
        let guard = self.instance_lock.lock().await;
        let result = self.create_vm().await;
        guard.unlock().await;
        result
    }

    /// `TerminateDistribution`.
    pub async fn terminate_distribution(&self, distro: &Name) -> Result<(), UserError> {
        let guard = self.instance_lock.lock().await;
        // A running instance is keyed by its registration's id.
        let id = self.state.lock().registered.get(distro).copied();
        if let Some(id) = id {
            self.terminate_instance(id).await;
        }
        guard.unlock().await;
        Ok(())
    }

    /// `_TerminateInstanceInternal` with a forced stop, if the instance runs.
    async fn terminate_instance(&self, id: u32) {
        let Some(info) = self.state.lock().running.get(&id).cloned() else { return };
        self.plugins.on_distribution_stopping(self.site(), &info).await;
        self.state.lock().running.remove(&id);
        self.platform.emit(ModelEvent::DistroStopped { session: self.cookie, distro: info.name.clone() });
    }

    /// `Shutdown`: every instance (in id order), then the VM, under the lock.
    pub async fn shutdown(&self, behavior: ShutdownBehavior) -> Result<(), UserError> {
        let guard = match behavior {
            ShutdownBehavior::Wait => self.instance_lock.lock().await,
            ShutdownBehavior::ForceAfter30Seconds => {
                match self.instance_lock.try_lock_for(SHUTDOWN_LOCK_TIMEOUT).await {
                    Some(guard) => guard,
                    None => self.instance_lock.lock().await,
                }
            }
        };
        loop {
            let first = self.state.lock().running.keys().next().copied();
            let Some(id) = first else { break };
            self.terminate_instance(id).await;
        }
        self.vm_terminate().await;
        guard.unlock().await;
        Ok(())
    }

    /// `_VmTerminate`: `OnVMStopping` only if a VM exists, then the VM is gone.
    async fn vm_terminate(&self) {
        if !self.state.lock().vm {
            return;
        }
        self.plugins.on_vm_stopping(self.site()).await;
        self.state.lock().vm = false;
        self.platform.emit(ModelEvent::VmTerminated { session: self.cookie });
    }

    /// `RegisterDistribution`: `OnDistributionRegistered` fires after the locked block (§2.1 (a)).
    pub async fn register_distribution(&self, distro: &Name) -> Result<(), UserError> {
        let guard = self.instance_lock.lock().await;
        let registered = {
            let mut state = self.state.lock();
            if state.registered.contains_key(distro) {
                None
            } else {
                let id = state.next_distro_id;
                state.next_distro_id += 1;
                state.registered.insert(distro.clone(), id);
                Some(id)
            }
        };
        guard.unlock().await;
        // The source adds `MessageDistroNameAlreadyExists`; the model reports the code only.
        let Some(id) = registered else { return Err(UserError::hr(ERROR_ALREADY_EXISTS)) };
        let info = DistroInfo { name: distro.clone(), id, init_pid: 0 };
        self.plugins.on_distribution_registered(self.site(), &info).await;
        Ok(())
    }

    /// `UnregisterDistribution`: stops the instance, deletes it, fires the hook under the lock.
    pub async fn unregister_distribution(&self, distro: &Name) -> Result<(), UserError> {
        let guard = self.instance_lock.lock().await;
        let result = self.unregister_locked(distro).await;
        guard.unlock().await;
        result
    }

    async fn unregister_locked(&self, distro: &Name) -> Result<(), UserError> {
        let Some(id) = self.state.lock().registered.get(distro).copied() else {
            return Err(UserError::hr(WSL_E_DISTRO_NOT_FOUND));
        };
        self.terminate_instance(id).await;
        self.state.lock().registered.remove(distro);
        let info = DistroInfo { name: distro.clone(), id, init_pid: 0 };
        self.plugins.on_distribution_unregistered(self.site(), &info).await;
        Ok(())
    }

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
        }
    }

    /// `MountRootNamespaceFolder`: re-locks `m_instanceLock` (recursively on the pump thread).
    /// The model keeps no record of mounts: only the result reaches the plugin.
    async fn mount_root_namespace_folder(&self, windows_path: &Name) -> crate::hresult::HResult {
        let guard = self.instance_lock.lock().await;
        let hr = if !self.state.lock().vm {
            E_NOT_VALID_STATE
        } else if !self.world.windows_folders.contains(windows_path) {
            ERROR_FILE_NOT_FOUND
        } else {
            S_OK
        };
        guard.unlock().await;
        hr
    }

    /// `CreateLinuxProcess`, in the root namespace or in a running distribution.
    async fn create_linux_process(&self, distro: Option<u32>, path: &Name, args: &[Name]) -> CallbackReply {
        let guard = self.instance_lock.lock().await;
        let checked = self.check_process_target(distro, path);
        let reply = match checked {
            Err(hr) => CallbackReply::hr(hr),
            Ok(()) => {
                if !self.world.process_start.is_zero() {
                    self.platform.sleep(self.world.process_start).await;
                }
                CallbackReply { hr: S_OK, output: Some(self.world.output_of(path, args)) }
            }
        };
        guard.unlock().await;
        reply
    }

    fn check_process_target(&self, distro: Option<u32>, path: &Name) -> Result<(), crate::hresult::HResult> {
        let state = self.state.lock();
        if !state.vm {
            return Err(E_NOT_VALID_STATE);
        }
        if let Some(id) = distro
            && !state.running.contains_key(&id)
        {
            return Err(WSL_E_VM_MODE_INVALID_STATE);
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
        let guard = self.instance_lock.lock().await;
        let reply = work.run(WorkSite::Direct).await;
        guard.unlock().await;
        reply
    }
}
