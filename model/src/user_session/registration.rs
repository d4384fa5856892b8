//! Distribution registration (spec §2.1 `OnDistributionRegistered` / `Unregistered`):
//! `RegisterDistribution` of a WSL2 tar, `ImportDistributionInplace` of a VHD, and
//! `UnregisterDistribution`, with the lock blocks the source has.
//!
//! Owns the registration map's changes. The tar import runs `_CreateVm` (so `OnVMStarted`
//! may fire) under the lock in `_RunUtilityVmSetup`, expands the tar without it, marks the
//! distribution installed under it, then fires `OnDistributionRegistered` with no lock held;
//! the in-place import holds the lock throughout and fires the hook under it.
//!
//! Simplifications: the registry, the files, the VHD and the import's own failures are
//! absent (an import never fails but for a fatal plugin error from `_CreateVm`, after which
//! the registration is deleted); a tar import is always WSL2.

use super::UserSession;
use crate::event::UserError;
use crate::hresult::{E_ILLEGAL_STATE_CHANGE, ERROR_ALREADY_EXISTS, WSL_E_DISTRO_NOT_FOUND};
use crate::ids::Name;
use crate::platform::Platform;
use crate::wire::DistroInfo;

impl<P: Platform> UserSession<P> {
    /// `RegisterDistribution` of a WSL2 tar: register and mark converting (locked); create
    /// the VM for the import (locked); expand the tar (unlocked); mark installed (locked);
    /// `OnDistributionRegistered` (unlocked, §2.1 (a)); then `_ConversionComplete` (locked:
    /// no longer converting, idle check) — that last step runs on failure too.
    pub async fn register_distribution(&self, distro: &Name) -> Result<(), UserError> {
        let id = self
            .locked(|| async {
                let id = self.add_registration(distro)?;
                self.state.lock().converting.insert(id);
                Ok(id)
            })
            .await?;
        let result = self.import_tar(distro, id).await;
        self.locked(|| async {
            self.state.lock().converting.remove(&id);
            self.vm_check_idle().await;
        })
        .await;
        result
    }

    async fn import_tar(&self, distro: &Name, id: u32) -> Result<(), UserError> {
        if let Err(error) = self.locked(|| self.create_vm()).await {
            // The cleanup scope exit deletes the registration.
            self.state.lock().registered.remove(distro);
            return Err(error);
        }
        if !self.world.import_time.is_zero() {
            self.platform.sleep(self.world.import_time).await;
        }
        // `_SetDistributionInstalled`: a locked block the model has nothing to write in.
        self.locked(|| async {}).await;
        let info = DistroInfo { name: distro.clone(), id, init_pid: 0 };
        self.plugins.on_distribution_registered(self.site(), &info).await;
        Ok(())
    }

    /// `ImportDistributionInplace`: one locked block that registers, creates the VM for the
    /// import and fires `OnDistributionRegistered` with the lock held (§2.1 (b)).
    pub async fn import_in_place(&self, distro: &Name) -> Result<(), UserError> {
        self.locked(|| async {
            let id = self.add_registration(distro)?;
            if let Err(error) = self.create_vm().await {
                self.state.lock().registered.remove(distro);
                return Err(error);
            }
            let info = DistroInfo { name: distro.clone(), id, init_pid: 0 };
            self.plugins.on_distribution_registered(self.site(), &info).await;
            Ok(())
        })
        .await
    }

    /// Adds `distro` to the registered set (`ERROR_ALREADY_EXISTS` if the name is taken; the
    /// source adds `MessageDistroNameAlreadyExists`, the model reports the code only).
    fn add_registration(&self, distro: &Name) -> Result<u32, UserError> {
        let mut state = self.state.lock();
        if state.registered.contains_key(distro) {
            return Err(UserError::hr(ERROR_ALREADY_EXISTS));
        }
        let id = state.next_distro_id;
        state.next_distro_id += 1;
        state.registered.insert(distro.clone(), id);
        Ok(id)
    }

    /// `UnregisterDistribution`: stops the instance, deletes it, fires the hook under the lock.
    pub async fn unregister_distribution(&self, distro: &Name) -> Result<(), UserError> {
        self.locked(|| async {
            let Some(id) = self.state.lock().registered.get(distro).copied() else {
                return Err(UserError::hr(WSL_E_DISTRO_NOT_FOUND));
            };
            if self.state.lock().converting.contains(&id) {
                return Err(UserError::hr(E_ILLEGAL_STATE_CHANGE));
            }
            self.terminate_instance(id).await;
            self.state.lock().registered.remove(distro);
            let info = DistroInfo { name: distro.clone(), id, init_pid: 0 };
            self.plugins.on_distribution_unregistered(self.site(), &info).await;
            Ok(())
        })
        .await
    }
}
