//! Plugin discovery, lazy activation and shutdown (spec §5.1, §5.5 step 6).
//!
//! Owns `LoadPlugins` (a DLL path already seen under an earlier value name, compared without
//! regard to case, is skipped: the first name wins), what the service's start does with
//! plugins (nothing more: activation is lazy, so WSL1-only use never starts a host),
//! `EnsureInitialized` (`m_initOnce`: the first caller loads every plugin, others block
//! until it is done) and `Shutdown` (killing every host, as closing the job does). A load
//! failure is recorded as the fatal error and, like `emplace`, the last failure wins (§9.9).
//!
//! Simplifications: non-`REG_SZ` values do not exist (every registration has a path). The
//! job object is not modelled (hosts die with the service by construction). `Shutdown`
//! neither revokes GIT cookies nor clears `m_plugins`; nothing fires a hook after it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use parking_lot::Mutex;

use super::callbacks::CallbackHandler;
use super::host_end::HostEnd;
use super::{PluginManager, PluginRegistration, PluginSlot};
use crate::design::{Mutant, Variant};
use crate::event::ModelEvent;
use crate::hresult::HResult;
use crate::ids::PluginIndex;
use crate::platform::{LockGuard, PlainMutex, Platform};
use crate::plugin_host::PluginHost;
use crate::wire::HostRequest;

/// `LoadPlugins`: one slot per registration whose DLL path was not seen before.
pub(super) fn discover<P: Platform>(
    registrations: &[PluginRegistration],
    variant: Variant,
) -> Vec<PluginSlot<P>> {
    let mut seen: Vec<String> = Vec::new();
    let mut slots = Vec::new();
    for registration in registrations {
        let path = registration.dll.to_lowercase();
        if seen.contains(&path) && !variant.has(Mutant::NoPathDedup) {
            continue;
        }
        seen.push(path);
        slots.push(PluginSlot {
            index: PluginIndex(u32::try_from(slots.len()).unwrap_or(u32::MAX)),
            name: registration.name.clone(),
            script: registration.script.clone(),
            host: Mutex::new(None),
            crash_telemetry_fired: AtomicBool::new(false),
        });
    }
    slots
}

impl<P: Platform> PluginManager<P> {
    /// What the service's start does with plugins: nothing beyond discovery, which `new` did;
    /// hosts are activated by the first hook or VM creation (§5.1). The in-process design
    /// loads every DLL here (Appendix A).
    pub async fn service_started(&self) {
        if self.variant.has(Mutant::EagerActivation) || !self.variant.design.out_of_process() {
            self.ensure_initialized().await;
        }
    }

    /// `EnsureInitialized`.
    pub(crate) async fn ensure_initialized(&self) {
        if *self.initialized.lock() {
            return;
        }
        let guard = self.init_lock.lock().await;
        if !*self.initialized.lock() {
            for slot in &self.plugins {
                self.load_and_record(slot).await;
            }
            *self.initialized.lock() = true;
        }
        guard.unlock().await;
    }

    async fn load_and_record(&self, slot: &PluginSlot<P>) {
        match self.load_plugin(slot).await {
            Ok(host) => {
                *slot.host.lock() = Some(Arc::new(host));
                self.platform.emit(ModelEvent::HostActivated { plugin: slot.name.clone() });
            }
            Err(hr) => {
                if !self.variant.has(Mutant::LoadFailureNotFatal) {
                    *self.plugin_error.lock() = Some((slot.name.clone(), hr));
                }
                self.platform.emit(ModelEvent::PluginLoadFailed { plugin: slot.name.clone(), hr });
            }
        }
    }

    /// `LoadPlugin`: activate a host (in-process: load the DLL into the service), then
    /// `Initialize` it; on failure the host is released.
    async fn load_plugin(&self, slot: &PluginSlot<P>) -> Result<HostEnd<P>, HResult> {
        let callbacks = Arc::new(CallbackHandler::new(self.this.clone(), &self.registry, slot.name.clone()));
        let host = if self.variant.design.out_of_process() {
            HostEnd::Remote(self.platform.activate_host(slot.index, slot.name.clone(), callbacks).await?)
        } else {
            HostEnd::InProcess(PluginHost::in_process(self.platform.clone(), callbacks))
        };
        let request = HostRequest::Initialize {
            name: slot.name.clone(),
            script: slot.script.clone(),
            variant: self.variant,
        };
        match host.call(request).await {
            Ok(reply) if reply.hr.succeeded() => Ok(host),
            Ok(reply) => {
                host.kill();
                Err(reply.hr)
            }
            Err(transport) => {
                host.kill();
                Err(transport)
            }
        }
    }

    /// `PluginManager::Shutdown`: the WSLC reference map is drained under its lock, and
    /// every host is killed (job kill-on-close).
    pub async fn shutdown(&self) {
        let guard = self.wslc_ref_lock.lock().await;
        let refs = std::mem::take(&mut *self.wslc_refs.lock());
        guard.unlock().await;
        drop(refs);
        for slot in &self.plugins {
            if let Some(host) = slot.host() {
                // Revoking the GIT cookie releases the host's last reference: its destructor runs.
                if let HostEnd::Remote(_) = host.as_ref() {
                    let _ = host.call(HostRequest::Release).await;
                }
                host.kill();
            }
        }
    }
}
