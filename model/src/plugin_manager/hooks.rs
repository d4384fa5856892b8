//! Hook fan-out (spec §2, §2.1) and `RunHostNotification` (§4.5).
//!
//! Owns the per-hook loops: start hooks stop at the first failing plugin and throw a
//! plugin-named error (a crash is latched first); teardown hooks try every loaded plugin
//! and never fail (a crash is latched, anything else ignored). Every WSL notification runs
//! on a fresh pump registered for its session cookie (overwriting, erased by key); a WSLC
//! notification is a direct call on the notifying thread (the WSLC hooks are in `wslc`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::crash::{is_host_crash, throw_if_plugin_error};
use super::host_end::HostEnd;
use super::{HookSite, PluginManager, PluginSlot, WslPump};
use crate::call_pump::CallPump;
use crate::design::{Design, Mutant};
use crate::event::{ModelEvent, UserError};
use crate::ids::{PumpId, SessionCookie, numbered};
use crate::platform::{LockGuard, Platform, SrwLock};
use crate::wire::{DistroInfo, HookCall, HookKind, HostReply, HostRequest};

impl<P: Platform> PluginManager<P> {
    /// `OnVmStarted` (fatal), with the VM creation settings' `CustomConfigurationFlags`.
    pub async fn on_vm_started(&self, site: HookSite, vm_flags: u32) -> Result<(), UserError> {
        let call = self.hook_call(&site, HookKind::VmStarted, None);
        self.notify_all(HookCall { vm_flags: Some(vm_flags), ..call }).await
    }

    /// `OnDistributionStarted` (fatal).
    pub async fn on_distribution_started(
        &self,
        site: HookSite,
        distro: &DistroInfo,
    ) -> Result<(), UserError> {
        let call = self.hook_call(&site, HookKind::DistributionStarted, Some(distro));
        self.notify_all(call).await
    }

    /// `OnVmStopping`.
    pub async fn on_vm_stopping(&self, site: HookSite) {
        self.teardown(site, HookKind::VmStopping, None).await
    }

    /// `OnDistributionStopping`.
    pub async fn on_distribution_stopping(&self, site: HookSite, distro: &DistroInfo) {
        self.teardown(site, HookKind::DistributionStopping, Some(distro)).await
    }

    /// `OnDistributionRegistered`.
    pub async fn on_distribution_registered(&self, site: HookSite, distro: &DistroInfo) {
        self.teardown(site, HookKind::DistributionRegistered, Some(distro)).await
    }

    /// `OnDistributionUnregistered`.
    pub async fn on_distribution_unregistered(&self, site: HookSite, distro: &DistroInfo) {
        self.teardown(site, HookKind::DistributionUnregistered, Some(distro)).await
    }

    /// A teardown hook: it never fails (a crash is latched, anything else ignored).
    async fn teardown(&self, site: HookSite, kind: HookKind, distro: Option<&DistroInfo>) {
        let call = self.hook_call(&site, kind, distro);
        let result = self.notify_all(call).await;
        debug_assert!(result.is_ok(), "{kind} is not a start hook, so it cannot fail");
    }

    /// The call's arguments: the session, its user token (a handle COM duplicates into the
    /// host, `system_handle(sh_token)`), the distribution.
    fn hook_call(&self, site: &HookSite, kind: HookKind, distro: Option<&DistroInfo>) -> HookCall {
        let user = site.user.clone().filter(|_| !self.variant.has(Mutant::RawTokenHandle));
        HookCall { kind, session: site.session, user, vm_flags: None, distro: distro.cloned(), wslc: None }
    }

    /// Calls `call` on every loaded plugin, between the fan-out events.
    pub(super) async fn notify_all(&self, call: HookCall) -> Result<(), UserError> {
        self.ensure_initialized().await;
        let (kind, session) = (call.kind, call.session);
        self.platform.emit(ModelEvent::FanOutBegin { hook: kind, session });
        let result = self.notify_each(&call).await;
        let failed = result.as_ref().err().map(|error| error.hr);
        self.platform.emit(ModelEvent::FanOutEnd { hook: kind, session, failed });
        result
    }

    /// Start hooks stop at the first failing plugin with a plugin-named error; teardown hooks
    /// latch a crash and log and ignore anything else ("Error thrown from plugin").
    async fn notify_each(&self, call: &HookCall) -> Result<(), UserError> {
        let mut first_failure = None;
        for (slot, host) in self.loaded() {
            let reply = self.notify(slot, host, call.clone()).await;
            let crashed = is_host_crash(reply.hr);
            if !call.kind.is_fatal() || (crashed && self.variant.has(Mutant::CrashNotFatalOnStart)) {
                if crashed {
                    self.latch_host_crash(slot, reply.hr).await;
                }
                if reply.hr.failed() && self.variant.has(Mutant::TeardownStopsAtFirstFailure) {
                    break;
                }
                continue;
            }
            let failure = if crashed {
                Some(self.throw_host_crash(slot, reply.hr).await)
            } else {
                self.start_hook_failure(slot, &reply).await
            };
            if let Some(failure) = failure {
                if !self.variant.has(Mutant::StartHookContinuesAfterFailure) {
                    return Err(failure);
                }
                first_failure.get_or_insert(failure);
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    /// `ThrowIfPluginError` for a live plugin's reply to a start hook: never latched (§2.1).
    async fn start_hook_failure(&self, slot: &PluginSlot<P>, reply: &HostReply) -> Option<UserError> {
        let failure = throw_if_plugin_error(reply, &slot.name).err()?;
        if reply.hr.failed() && self.variant.has(Mutant::PluginErrorLatched) {
            self.latch_host_crash(slot, reply.hr).await;
        }
        Some(failure)
    }

    async fn notify(&self, slot: &PluginSlot<P>, host: Arc<HostEnd<P>>, call: HookCall) -> HostReply {
        let kind = call.kind;
        self.platform.emit(ModelEvent::HookCall {
            hook: kind,
            plugin: slot.name.clone(),
            session: call.session,
        });
        let reply = if kind.is_wslc() || self.variant.design != Design::Pump {
            // WSLC hooks, and every hook of the other designs, call the plugin on the
            // notifying thread itself, with no pump (§2, §7, Appendix A).
            host.call(HostRequest::Hook(call)).await.unwrap_or_else(HostReply::hr)
        } else {
            self.run_host_notification(host, call).await
        };
        self.platform.emit(ModelEvent::HookReturned {
            hook: kind,
            plugin: slot.name.clone(),
            hr: reply.hr,
            message: reply.error_message.clone(),
        });
        reply
    }

    /// `RunHostNotification`: a fresh pump, registered for the cookie while the worker calls
    /// the host; unregistered (by key) when `Run` returns.
    async fn run_host_notification(&self, host: Arc<HostEnd<P>>, call: HookCall) -> HostReply {
        let session = call.session;
        let pump: Arc<WslPump<P>> = Arc::new(CallPump::new(
            &self.platform,
            PumpId(self.next_pump.fetch_add(1, Ordering::Relaxed)),
            self.variant,
        ));
        // Announced before it is registered: no callback can reach it before this event.
        self.platform.emit(ModelEvent::PumpRunBegin { pump: pump.id() });
        self.register_wsl_pump(session, &pump).await;
        let reply = pump
            .run(numbered("W-", pump.id().0), move || async move {
                host.call(HostRequest::Hook(call)).await.unwrap_or_else(HostReply::hr)
            })
            .await;
        self.unregister_wsl_pump(session, pump.id()).await;
        reply
    }

    /// `RegisterWslPump`: `map[cookie] = pump`, overwriting.
    async fn register_wsl_pump(&self, session: SessionCookie, pump: &Arc<WslPump<P>>) {
        if self.variant.has(Mutant::NoPumpRegistration) {
            return;
        }
        let guard = self.pump_lock.lock_exclusive().await;
        self.pumps.lock().insert(session, pump.clone());
        self.platform.emit(ModelEvent::PumpRegistered { pump: pump.id(), session });
        guard.unlock().await;
    }

    /// `UnregisterWslPump`: erases by key, whichever pump is there (§9.1 (b)).
    async fn unregister_wsl_pump(&self, session: SessionCookie, pump: PumpId) {
        if self.variant.has(Mutant::NoPumpRegistration) {
            return;
        }
        let guard = self.pump_lock.lock_exclusive().await;
        let erased = self.pumps.lock().remove(&session).map(|erased| erased.id());
        self.platform.emit(ModelEvent::PumpUnregistered { pump, session, erased });
        guard.unlock().await;
    }
}
