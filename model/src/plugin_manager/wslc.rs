//! The plugin manager's WSLC side (spec §2.1, §3.3, §6.3): the six WSLC hooks, the session
//! reference map that resolves WSLC callbacks, and those callbacks' service-side work.
//!
//! Owns `m_wslcSessionRefs` under `m_wslcSessionRefLock`, a plain mutex held only for the
//! map access (never across `OpenSession` or a call). WSLC hooks go through the same fan-out
//! as WSL hooks but call the host on the notifying thread, with no pump; nothing on this path
//! consults the fatal-error latch (§9.8). WSLC callbacks never touch `m_instanceLock` or the
//! pump.
//!
//! Simplifications: `AcquireHostProxy` always succeeds while a plugin is loaded (the spec's
//! non-crash proxy failure without a plugin-named message, §9.6, is absent); the session
//! information's token and SID are not modelled.

use std::sync::Arc;

use super::PluginManager;
use crate::design::Mutant;
use crate::event::{ModelEvent, UserError};
use crate::hresult::ERROR_NOT_FOUND;
use crate::ids::{Name, SessionCookie};
use crate::platform::{LockGuard, PlainMutex, Platform};
use crate::wire::{ApiCall, CallbackReply, HookCall, HookKind, WslcInfo};
use crate::wslc::WslcSession;

/// What a WSLC hook is about: the session, and the container or image for the other four.
#[derive(Clone, Debug)]
pub struct WslcSubject {
    /// The WSLC session id.
    pub id: u32,
    /// Its display name.
    pub name: Name,
    /// The container or image.
    pub object: Option<Name>,
}

impl<P: Platform> PluginManager<P> {
    async fn wslc_fan_out(&self, kind: HookKind, subject: &WslcSubject) -> Result<(), UserError> {
        if kind.is_fatal() && self.variant.has(Mutant::WslcGatedByLatch) {
            self.throw_if_fatal_plugin_error().await?;
        }
        let session = SessionCookie(subject.id);
        let wslc = WslcInfo { name: subject.name.clone(), object: subject.object.clone() };
        let call = HookCall { kind, session, user: None, vm_flags: None, distro: None, wslc: Some(wslc) };
        self.notify_all(call).await
    }

    /// `OnWslcSessionCreated` (a veto).
    pub async fn on_wslc_session_created(&self, subject: &WslcSubject) -> Result<(), UserError> {
        self.wslc_fan_out(HookKind::WslcSessionCreated, subject).await
    }

    /// `OnWslcContainerStarted` (a veto).
    pub async fn on_wslc_container_started(&self, subject: &WslcSubject) -> Result<(), UserError> {
        self.wslc_fan_out(HookKind::WslcContainerStarted, subject).await
    }

    /// One of the four WSLC hooks that never fail: session stopping, container stopping,
    /// image created, image deleted.
    pub async fn on_wslc_event(&self, kind: HookKind, subject: &WslcSubject) {
        debug_assert!(kind.is_wslc() && !kind.is_fatal());
        let result = self.wslc_fan_out(kind, subject).await;
        debug_assert!(result.is_ok(), "{kind} is not a veto hook, so it cannot fail");
    }

    /// `RegisterWslcSession`: the session resolves by id from now on.
    pub async fn register_wslc_session(&self, session: Arc<WslcSession>) {
        let guard = self.wslc_ref_lock.lock().await;
        self.wslc_refs.lock().insert(session.id(), session);
        guard.unlock().await;
    }

    /// `UnregisterWslcSession`.
    pub async fn unregister_wslc_session(&self, id: u32) {
        let guard = self.wslc_ref_lock.lock().await;
        self.wslc_refs.lock().remove(&id);
        guard.unlock().await;
    }

    /// `ResolveWslcSession`: the reference is copied out under the lock; opening it (the
    /// weak reference) happens outside it. `None` is `ERROR_NOT_FOUND`.
    async fn resolve_wslc_session(&self, id: u32) -> Option<Arc<WslcSession>> {
        let guard = self.wslc_ref_lock.lock().await;
        let reference = self.wslc_refs.lock().get(&id).cloned();
        guard.unlock().await;
        reference.filter(|session| session.open())
    }

    /// A WSLC callback, on its RPC thread: resolve the session, then ask it.
    pub(super) async fn serve_wslc_callback(&self, session: SessionCookie, api: &ApiCall) -> CallbackReply {
        let resolved = self.resolve_wslc_session(session.0).await;
        self.platform.emit(ModelEvent::WslcResolved { session: session.0, found: resolved.is_some() });
        match resolved {
            None => CallbackReply::hr(ERROR_NOT_FOUND),
            Some(wslc) => wslc.serve(api),
        }
    }
}
