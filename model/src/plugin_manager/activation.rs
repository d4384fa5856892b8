//! Lazy plugin activation and shutdown (spec §5.1, §5.5 step 6).
//!
//! Owns `EnsureInitialized` (`m_initOnce`: the first caller loads every plugin, others block
//! until it is done) and `Shutdown` (killing every host, as closing the job does). A load
//! failure is recorded as the fatal error and, like `emplace`, the last failure wins (§9.9).
//!
//! Simplifications: registry discovery (`LoadPlugins`: skipping non-`REG_SZ` values,
//! de-duplicating by path) is absent: the scenario's plugins are the registered list, so the
//! same plugin under two names loads twice. The job object is not modelled (hosts die with
//! the service by construction). `Shutdown` neither revokes GIT cookies nor clears
//! `m_plugins`; nothing fires a hook after it.

use std::sync::Arc;

use super::callbacks::CallbackHandler;
use super::{PluginManager, PluginSlot};
use crate::design::Mutant;
use crate::event::ModelEvent;
use crate::hresult::HResult;
use crate::platform::{HostLink, LockGuard, PlainMutex, Platform};
use crate::wire::HostRequest;

impl<P: Platform> PluginManager<P> {
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

    /// `LoadPlugin`: activate a host, then `Initialize` it; on failure the host is released.
    async fn load_plugin(&self, slot: &PluginSlot<P>) -> Result<P::HostLink, HResult> {
        let callbacks = Arc::new(CallbackHandler::new(self.this.clone(), &self.registry, slot.name.clone()));
        let host = self.platform.activate_host(slot.index, slot.name.clone(), callbacks).await?;
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
                host.kill();
            }
        }
    }
}
