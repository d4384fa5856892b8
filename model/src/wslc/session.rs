//! A WSLC session as its per-user `wslcsession` process holds it (spec §1.1, §3.3, §6): the
//! object the service's weak reference opens, the folders mounted into it, its containers
//! and images, and what it answers the three WSLC callbacks.
//!
//! Owns that state only. The per-user process is outside the plugin subsystem proper, so it
//! is not a process of its own here: its answers are immediate, and the notifications it
//! sends the service (container and image events) are made by the scenario driver through
//! the session manager. It never calls a plugin.
//!
//! Simplifications: processes are not kept (`WSLCCreateProcess` reports the output the world
//! gives the binary, and a missing executable fails with `E_FAIL`, errno 2); the
//! host-local `WSLCProcess*` calls are absent; the container lock `wslcsession` holds around
//! the container notifications is absent (whether a callback from those hooks needs it is a
//! spec gap, §9.11).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::hresult::{E_FAIL, E_INVALIDARG, ERROR_PATH_NOT_FOUND, HResult, S_OK};
use crate::ids::Name;
use crate::wire::{ApiCall, CallbackReply};
use crate::world::World;

struct State {
    alive: bool,
    mounts: BTreeSet<Name>,
    /// Containers by name: whether running.
    containers: BTreeMap<Name, bool>,
    images: BTreeSet<Name>,
}

/// One WSLC session.
pub struct WslcSession {
    id: u32,
    name: Name,
    world: Arc<World>,
    state: Mutex<State>,
}

impl WslcSession {
    /// A live session.
    pub fn new(id: u32, name: Name, world: Arc<World>) -> Arc<WslcSession> {
        let state = State {
            alive: true,
            mounts: BTreeSet::new(),
            containers: BTreeMap::new(),
            images: BTreeSet::new(),
        };
        Arc::new(WslcSession { id, name, world, state: Mutex::new(state) })
    }

    /// The session id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The display name.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// `IWSLCSessionReference::OpenSession`: whether the weak reference still opens.
    pub fn open(&self) -> bool {
        self.state.lock().alive
    }

    /// `Terminate`: the session is gone; its reference no longer opens.
    pub fn terminate(&self) {
        self.state.lock().alive = false;
    }

    /// Answers one WSLC callback (`MountWindowsFolder`, `UnmountWindowsFolder`,
    /// `CreateRootNamespaceProcess`).
    pub fn serve(&self, api: &ApiCall) -> CallbackReply {
        match api {
            ApiCall::WslcMountFolder { windows_path, mountpoint, .. } => {
                CallbackReply::hr(self.mount(windows_path, mountpoint))
            }
            ApiCall::WslcUnmountFolder { mountpoint } => {
                let removed = self.state.lock().mounts.remove(mountpoint);
                CallbackReply::hr(if removed { S_OK } else { E_INVALIDARG })
            }
            ApiCall::WslcCreateProcess { executable, args } => self.create_process(executable, args),
            other => unreachable!("{} is not a WSLC callback", other.method()),
        }
    }

    fn mount(&self, windows_path: &Name, mountpoint: &Name) -> HResult {
        if !mountpoint.starts_with('/') {
            return E_INVALIDARG;
        }
        if !self.world.windows_folders.contains(windows_path) {
            return ERROR_PATH_NOT_FOUND;
        }
        self.state.lock().mounts.insert(mountpoint.clone());
        S_OK
    }

    fn create_process(&self, executable: &Name, args: &[Name]) -> CallbackReply {
        if !self.world.binaries.contains(executable) {
            // `E_FAIL` with errno 2 (ENOENT) copied back to the plugin (§3.3).
            return CallbackReply { hr: E_FAIL, output: None, errno: Some(2) };
        }
        CallbackReply { hr: S_OK, output: Some(self.world.output_of(executable, args)), errno: Some(0) }
    }

    /// The container starts in the VM (before plugins are told).
    pub fn start_container(&self, container: &Name) {
        self.state.lock().containers.insert(container.clone(), true);
    }

    /// The container stops; returns whether it was running (only then are plugins told).
    pub fn stop_container(&self, container: &Name) -> bool {
        let mut state = self.state.lock();
        state.containers.get_mut(container).map(|running| std::mem::replace(running, false)).unwrap_or(false)
    }

    /// An image arrives (pull or import).
    pub fn add_image(&self, image: &Name) {
        self.state.lock().images.insert(image.clone());
    }

    /// An image is deleted; returns whether it existed.
    pub fn delete_image(&self, image: &Name) -> bool {
        self.state.lock().images.remove(image)
    }
}
