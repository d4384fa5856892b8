//! One WSL user session (`LxssUserSessionImpl`, spec §1.2, §1.3, §2.1, §3.1, §4.6 step 4):
//! the recursive timed `m_instanceLock`, the utility VM and the running distributions, the
//! threads other than clients that fire hooks (the VM idle timer, the VM's distribution-exit
//! callback, the compute system's exit callback), and the service-side work plugin
//! callbacks ask for.
//!
//! Owns the session state and the lock that guards it. Every entry point takes the lock for
//! its whole operation, as the real methods do; hooks are fired through the plugin manager
//! from inside those sections (except `OnDistributionRegistered` of a tar import, fired after
//! the locked blocks, §2.1). It never talks to a host directly.
//!
//! Submodules: `vm` (`_CreateVm`, `_VmTerminate`, `_VmCheckIdle` and the idle timer, the
//! exit callbacks), `registration` (`RegisterDistribution`, `ImportDistributionInplace`,
//! `UnregisterDistribution`), `work` (what plugin callbacks do, `TryInvokeUnderInstanceLock`).
//!
//! WSL1 instances (`LxssInstance`) start and stop under the lock like WSL2 ones, without a
//! VM (so without the fatal-error gate that activates plugins) and without hooks.
//!
//! Simplifications (absent): `RequestStop` failures (a stop always
//! succeeds, so `OnDistributionStopping` fires once per stop); `wsl --shutdown --force` and
//! the forced VM termination of `ForceAfter30Seconds` (the lock is still tried for 30 s,
//! then taken blocking); `PreventNewInstances`; every instance has a client, so a running
//! instance keeps the VM busy. A VM and its instances never fail to start on their own;
//! distribution ids stand in for GUIDs and order instances as GUIDs do in
//! `m_runningInstances`.

mod registration;
mod vm;
mod work;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use crate::design::Design;
use crate::design::Mutant;
use crate::event::{ModelEvent, UserError};
use crate::hresult::{E_ILLEGAL_STATE_CHANGE, WSL_E_DISTRO_NOT_FOUND};
use crate::ids::{Name, SessionCookie};
use crate::platform::{LockGuard, Platform, RecursiveMutex, Reset, SrwLock};
use crate::plugin_manager::{HookSite, PluginManager};
use crate::wire::DistroInfo;
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

struct SessionState<P: Platform> {
    /// Whether the utility VM exists (the model keeps nothing else about it).
    vm: bool,
    /// Keyed by distribution id, the GUID's stand-in, as `m_runningInstances` is by GUID.
    running: BTreeMap<u32, DistroInfo>,
    registered: BTreeMap<Name, u32>,
    /// Registered distributions that are WSL1 (`LXSS_DISTRO_FLAGS_VM_MODE` clear).
    wsl1: BTreeSet<u32>,
    /// Whose token `m_session.UserToken` holds: set by `_CreateVm`, reset by `_VmTerminate`.
    token: Option<Name>,
    /// The GUID `CoCreateGuid` gives the next instance (only the `distro-id-per-instance`
    /// mutant shows it to plugins).
    next_instance_id: u32,
    /// `m_lockedDistributions`: distributions being imported (the VM is not idle meanwhile).
    converting: BTreeSet<u32>,
    next_distro_id: u32,
    next_init_pid: u32,
    /// The VM's distribution-exit callbacks in flight; its destructor waits for them.
    exit_callbacks: Vec<P::Thread>,
    /// The pending idle-timer callback's cancellation, if one is armed.
    idle_timer: Option<Arc<P::Event>>,
}

/// A user session.
pub struct UserSession<P: Platform> {
    platform: P,
    cookie: SessionCookie,
    instance_lock: P::RecursiveMutex,
    /// `m_callbackLock` (the callback-lock design only, §7): callbacks take it shared, and
    /// the VM's and the instances' mutations take it exclusive under `m_instanceLock`.
    callback_lock: P::SrwLock,
    /// `m_vmTerminating`: set while the VM is torn down, so exit callbacks give up.
    vm_terminating: P::Event,
    state: Mutex<SessionState<P>>,
    plugins: Arc<PluginManager<P>>,
    world: Arc<World>,
    this: Weak<Self>,
}

impl<P: Platform> UserSession<P> {
    /// A session with the world's distributions registered and no VM.
    pub fn new(
        platform: P,
        cookie: SessionCookie,
        plugins: Arc<PluginManager<P>>,
        world: Arc<World>,
    ) -> Arc<Self> {
        let registered: BTreeMap<Name, u32> = world
            .distros
            .iter()
            .chain(&world.wsl1_distros)
            .zip(1..)
            .map(|(name, id)| (name.clone(), id))
            .collect();
        let wsl1 = world.wsl1_distros.iter().filter_map(|name| registered.get(name).copied()).collect();
        Arc::new_cyclic(|this| UserSession {
            instance_lock: platform.recursive_mutex(cookie.member("instance_lock")),
            callback_lock: platform.srw_lock(cookie.member("callback_lock")),
            vm_terminating: platform.event(cookie.member("vm_terminating"), Reset::Manual),
            state: Mutex::new(SessionState {
                vm: false,
                next_distro_id: registered.len() as u32 + 1,
                registered,
                wsl1,
                token: None,
                next_instance_id: 1000,
                running: BTreeMap::new(),
                converting: BTreeSet::new(),
                next_init_pid: 100,
                exit_callbacks: Vec::new(),
                idle_timer: None,
            }),
            platform,
            cookie,
            plugins,
            world,
            this: this.clone(),
        })
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
        HookSite { session: self.cookie, user: self.state.lock().token.clone() }
    }

    /// The session itself, for the threads it starts.
    fn arc(&self) -> Arc<Self> {
        self.this.upgrade().expect("a session in use is alive")
    }

    /// Runs the future `body` makes with `m_instanceLock` held, as a `lock_guard` block does.
    /// `body` is called once the lock is held: a future handed in would sit in this one's
    /// state twice (as the argument and as the awaited value), and every spawned thread's
    /// future is copied whole when it is boxed.
    async fn locked<T, F: Future<Output = T>>(&self, body: impl FnOnce() -> F) -> T {
        let guard = self.instance_lock.lock().await;
        let result = body().await;
        guard.unlock().await;
        result
    }

    /// Changes the VM or the running instances: in the callback-lock design, with
    /// `m_callbackLock` held exclusive, so no callback sees the change half made (§7).
    async fn mutate<T>(&self, change: impl FnOnce(&mut SessionState<P>) -> T) -> T {
        if self.plugins.variant().design != Design::CallbackLock {
            return change(&mut self.state.lock());
        }
        let guard = self.callback_lock.lock_exclusive().await;
        let result = change(&mut self.state.lock());
        guard.unlock().await;
        result
    }

    /// `CreateInstance` for a WSL2 distribution: creates the VM if needed, then the instance.
    pub async fn create_instance(&self, distro: &Name) -> Result<(), UserError> {
        self.locked(|| self.create_instance_locked(distro)).await
    }

    async fn create_instance_locked(&self, distro: &Name) -> Result<(), UserError> {
        let Some(id) = self.state.lock().registered.get(distro).copied() else {
            return Err(UserError::hr(WSL_E_DISTRO_NOT_FOUND));
        };
        if self.state.lock().running.contains_key(&id) {
            return Ok(());
        }
        // `_EnsureNotLocked`: a distribution being imported cannot start.
        if self.state.lock().converting.contains(&id) {
            return Err(UserError::hr(E_ILLEGAL_STATE_CHANGE));
        }
        let wsl2 = !self.state.lock().wsl1.contains(&id);
        if wsl2 {
            self.create_vm().await?;
        }
        let per_instance_guid = self.plugins.variant().has(Mutant::DistroIdPerInstance);
        let info = self
            .mutate(|state| {
                state.next_init_pid += 1;
                state.next_instance_id += 1;
                let guid = if per_instance_guid { state.next_instance_id } else { id };
                let info = DistroInfo { name: distro.clone(), id: guid, init_pid: state.next_init_pid };
                // Inserted before plugins are notified: they may run a command inside it.
                state.running.insert(id, info.clone());
                info
            })
            .await;
        self.platform.emit(ModelEvent::DistroStarted { session: self.cookie, distro: distro.clone() });
        if !wsl2 {
            return Ok(());
        }
        if let Err(error) = self.plugins.on_distribution_started(self.site(), &info).await {
            // `cleanupOnFailure`: the instance is erased without `OnDistributionStopping` (§2.1).
            if !self.plugins.variant().has(Mutant::StoppingAfterFailedStart) {
                self.mutate(|state| state.running.remove(&id)).await;
                self.platform
                    .emit(ModelEvent::DistroStopped { session: self.cookie, distro: distro.clone() });
            }
            return Err(error);
        }
        Ok(())
    }

    /// A client operation that needs only the VM (`wsl --mount`, the system distribution):
    /// `_CreateVm` under the lock.
    pub async fn start_vm(&self) -> Result<(), UserError> {
        self.locked(|| self.create_vm()).await
    }

    /// `TerminateDistribution`.
    pub async fn terminate_distribution(&self, distro: &Name) -> Result<(), UserError> {
        self.locked(|| async {
            // A running instance is keyed by its registration's id.
            let id = self.state.lock().registered.get(distro).copied();
            if let Some(id) = id {
                if self.plugins.variant().has(Mutant::TerminateKeepsInstance) {
                    self.notify_instance_stopping(id).await;
                } else {
                    self.terminate_instance(id).await;
                }
            }
        })
        .await;
        Ok(())
    }

    /// `_TerminateInstanceInternal` with a forced stop, if the instance runs; an instance
    /// with a client leaves the VM to `_VmCheckIdle`.
    async fn terminate_instance(&self, id: u32) {
        let Some(info) = self.notify_instance_stopping(id).await else { return };
        self.mutate(|state| state.running.remove(&id)).await;
        self.platform.emit(ModelEvent::DistroStopped { session: self.cookie, distro: info.name.clone() });
        self.vm_check_idle().await;
    }

    /// `OnDistributionStopping` for a running WSL2 instance (WSL1 ones have no hook); the
    /// instance, if it runs.
    async fn notify_instance_stopping(&self, id: u32) -> Option<DistroInfo> {
        let info = self.state.lock().running.get(&id).cloned()?;
        if !self.state.lock().wsl1.contains(&id) {
            self.plugins.on_distribution_stopping(self.site(), &info).await;
        }
        Some(info)
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
}
