//! `PluginHostCallbackImpl` (spec §3.1, §3.3): the service object a host calls back into,
//! and the work each WSL callback asks for (WSLC callbacks go to `wslc`).
//!
//! Owns callback numbering and the work closure: resolve the cookie (`FindSessionByCookie`),
//! then mount or launch under the session's lock. Routing is `routing`'s job; argument
//! validation of null pointers is absent because the model's calls carry no nulls.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use super::PluginManager;
use crate::call_pump::PumpWork;
use crate::design::Design;
use crate::event::{ModelEvent, WorkSite};
use crate::hresult::{ERROR_NOT_FOUND, RPC_E_DISCONNECTED};
use crate::ids::{CallbackId, Name, SessionCookie};
use crate::platform::{BoxFuture, CallbackServer, Platform};
use crate::session_registry::SessionRegistry;
use crate::wire::{ApiCall, CallbackReply, CallbackRequest};

/// The callback object handed to one plugin's host. Like the COM object it stands for, it
/// keeps the service's session table alive for as long as a host can call back.
pub(crate) struct CallbackHandler<P: Platform> {
    manager: Weak<PluginManager<P>>,
    _registry: Option<Arc<SessionRegistry<P>>>,
    plugin: Name,
}

impl<P: Platform> CallbackHandler<P> {
    pub(crate) fn new(
        manager: Weak<PluginManager<P>>,
        registry: &Weak<SessionRegistry<P>>,
        plugin: Name,
    ) -> Self {
        CallbackHandler { manager, _registry: registry.upgrade(), plugin }
    }
}

impl<P: Platform> CallbackServer for CallbackHandler<P> {
    fn serve(&self, request: CallbackRequest) -> BoxFuture<CallbackReply> {
        let manager = self.manager.clone();
        let plugin = self.plugin.clone();
        Box::pin(async move {
            match manager.upgrade() {
                Some(manager) => manager.serve_callback(plugin, request).await,
                // The source's manager is a global that outlives every host; a callback that
                // finds it gone is a late one, and late callbacks get "not found" (§3.1).
                None => CallbackReply::hr(ERROR_NOT_FOUND),
            }
        })
    }
}

impl<P: Platform> PluginManager<P> {
    /// One WSL callback, on its RPC thread.
    async fn serve_callback(&self, plugin: Name, request: CallbackRequest) -> CallbackReply {
        if request.api.is_wslc() {
            return self.serve_wslc_callback(request.session, &request.api).await;
        }
        let callback = CallbackId(self.next_callback.fetch_add(1, Ordering::Relaxed));
        self.platform.emit(ModelEvent::CallbackReceived {
            callback,
            plugin,
            session: request.session,
            api: request.api.method(),
        });
        let work = WslWork {
            callback,
            session: request.session,
            api: request.api,
            registry: self.registry.clone(),
            platform: self.platform.clone(),
        };
        let reply = match self.variant.design {
            Design::Pump => self.invoke_on_wsl_pump(work).await,
            Design::CallbackLock => invoke_under_callback_lock(work).await,
            Design::InProcess => invoke_in_process(work).await,
        };
        self.platform.emit(ModelEvent::CallbackReplied { callback, hr: reply.hr });
        reply
    }
}

/// PR 40120 (§7), on this RPC thread, never under `m_instanceLock`: an unknown session is
/// `ERROR_NOT_FOUND`, as in PR 40769.
async fn invoke_under_callback_lock<P: Platform>(work: WslWork<P>) -> CallbackReply {
    match work.find_session().await {
        None => work.run(WorkSite::NoSession).await,
        Some(session) => session.invoke_under_callback_lock(&work).await,
    }
}

/// In-process (Appendix A), on the plugin's own thread: an unknown session is
/// `RPC_E_DISCONNECTED`; otherwise the work runs under `m_instanceLock`, re-entered by the
/// hook thread and waited for by any other thread, however long it is held.
async fn invoke_in_process<P: Platform>(work: WslWork<P>) -> CallbackReply {
    match work.find_session().await {
        None => CallbackReply::hr(RPC_E_DISCONNECTED),
        Some(session) => session.invoke_under_instance_lock(&work, WorkSite::Caller).await,
    }
}

/// The work of one WSL callback (the lambda passed to `InvokeOnWslPump`).
#[derive(Clone)]
pub struct WslWork<P: Platform> {
    callback: CallbackId,
    session: SessionCookie,
    api: ApiCall,
    registry: Weak<SessionRegistry<P>>,
    platform: P,
}

impl<P: Platform> WslWork<P> {
    /// The cookie the plugin passed.
    pub fn session(&self) -> SessionCookie {
        self.session
    }

    /// `FindSessionByCookie` for the cookie the plugin passed.
    pub async fn find_session(&self) -> Option<Arc<crate::user_session::UserSession<P>>> {
        let registry = self.registry.upgrade()?;
        registry.find(self.session).await
    }
}

impl<P: Platform> PumpWork for WslWork<P> {
    fn callback(&self) -> CallbackId {
        self.callback
    }

    async fn run(&self, site: WorkSite) -> CallbackReply {
        let session = self.find_session().await;
        self.platform.emit(ModelEvent::WorkBegin { callback: self.callback, session: self.session, site });
        let reply = match session {
            None => CallbackReply::hr(ERROR_NOT_FOUND),
            Some(session) => session.run_api(&self.api).await,
        };
        self.platform.emit(ModelEvent::WorkEnd { callback: self.callback, hr: reply.hr });
        reply
    }
}
