//! The plugin host process (`wslpluginhost.exe`, spec §1.1, §2.2, §3.2, §5.1): one plugin
//! per process, hooks serialised by the host's hook lock, `PluginError` checked against the
//! hook thread, API stubs forwarding callbacks to the service.
//!
//! Owns the host-side state (`g_pluginHost`, `m_hookLock`, `g_hookThreadId`, the pending
//! error message). It never touches service state: everything it knows of the service
//! arrives as a [`HostRequest`] or leaves through the [`ServiceLink`].
//!
//! Simplifications: SID marshalling and its `E_INVALIDARG` checks, the `E_POINTER` check
//! of a null `ErrorMessage`, the `E_INVALIDARG` check of a null `PluginError` message
//! (scripts never pass nulls) and job assignment are absent (a host is always in the job);
//! the user token arrives as the user it resolves to (or none). The signature check stands
//! for an official build's. A stub called after the host object is gone, or after a failed
//! entry point cleared `g_pluginHost`, returns `E_UNEXPECTED` as in P769. A stub already past
//! that load when the destructor runs uses the freed object: without PR 40120's `g_hostLock`
//! (the pump design, or the `no-host-stub-lock` mutant) the host process dies when that stub
//! returns — the use-after-free of §9.10, modelled as its likeliest outcome.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::design::{Design, Mutant, Variant};
use crate::hresult::{
    E_ILLEGAL_METHOD_CALL, E_ILLEGAL_STATE_CHANGE, E_UNEXPECTED, HResult, S_OK, TRUST_E_NOSIGNATURE,
};
use crate::ids::{Name, SessionCookie};
use crate::platform::{CallbackServer, LockGuard, PlainMutex, Platform, ServiceLink, SrwLock, ThreadId};
use crate::plugin::{Plugin, PluginApi};
use crate::script::PluginScript;
use crate::scripted_plugin::ScriptedPlugin;
use crate::wire::{ApiCall, CallbackReply, CallbackRequest, HookCall, HostReply, HostRequest};

/// The plugin a host runs.
type HostedPlugin<P> = ScriptedPlugin<P, HostApi<P>>;

struct HostState<P: Platform> {
    initialized: bool,
    /// `~PluginHost` ran: `g_pluginHost` is null and `m_callback` is gone.
    destroyed: bool,
    variant: Variant,
    plugin: Option<Arc<HostedPlugin<P>>>,
    /// Threads running a hook, with the message `PluginError` set there. A host runs one
    /// hook at a time (`g_hookThreadId`); in-process, hooks of several sessions can run at
    /// once and the check is per thread (`thread_local`), with the same results (§3.2).
    hooks: BTreeMap<ThreadId, Option<String>>,
}

/// How a host reaches its service.
pub enum ServiceEnd<P: Platform> {
    /// Through the transport: the host is a process of its own.
    Remote(P::ServiceLink),
    /// Directly, on the calling thread: the plugin runs inside the service (the in-process
    /// design, spec Appendix A).
    InProcess(Arc<dyn CallbackServer>),
}

impl<P: Platform> ServiceEnd<P> {
    /// Whether the plugin runs in a host process of its own.
    fn is_remote(&self) -> bool {
        matches!(self, ServiceEnd::Remote(_))
    }
}

/// One host process's `PluginHost` object (or, in the in-process design, the service's
/// loaded plugin DLL).
pub struct PluginHost<P: Platform> {
    platform: P,
    link: ServiceEnd<P>,
    hook_lock: P::Mutex,
    /// `g_hostLock` (the callback-lock design, §7): every API stub holds it shared for the
    /// whole call, the destructor takes it exclusive.
    stub_lock: P::SrwLock,
    state: Mutex<HostState<P>>,
    this: Weak<Self>,
}

impl<P: Platform> PluginHost<P> {
    /// A freshly activated, uninitialised host whose callbacks go through `link`.
    pub fn new(platform: P, link: P::ServiceLink) -> Arc<Self> {
        Self::with_link(platform, ServiceEnd::Remote(link))
    }

    /// A plugin loaded into the service itself, whose callbacks are plain calls.
    pub fn in_process(platform: P, callbacks: Arc<dyn CallbackServer>) -> Arc<Self> {
        Self::with_link(platform, ServiceEnd::InProcess(callbacks))
    }

    fn with_link(platform: P, link: ServiceEnd<P>) -> Arc<Self> {
        Arc::new_cyclic(|this| PluginHost {
            hook_lock: platform.mutex("hook_lock".to_string()),
            stub_lock: platform.srw_lock("g_hostLock".to_string()),
            platform,
            link,
            state: Mutex::new(HostState {
                initialized: false,
                destroyed: false,
                variant: Variant::PUMP,
                plugin: None,
                hooks: BTreeMap::new(),
            }),
            this: this.clone(),
        })
    }

    /// Serves one call from the service on the calling (host RPC) thread.
    pub async fn serve(&self, request: HostRequest) -> HostReply {
        match request {
            HostRequest::Initialize { name, script, variant } => {
                HostReply::hr(self.initialize(name, script, variant).await)
            }
            HostRequest::Hook(call) => self.dispatch(call).await,
            HostRequest::Release => {
                self.destroy().await;
                HostReply::hr(S_OK)
            }
        }
    }

    /// Whether API stubs hold `g_hostLock` (PR 40120's `ScopedHostRef`; PR 40769 dropped it).
    fn stubs_locked(&self) -> bool {
        let variant = self.state.lock().variant;
        variant.design == Design::CallbackLock && !variant.has(Mutant::NoHostStubLock)
    }

    /// `~PluginHost`: clears `g_pluginHost` — under `g_hostLock` exclusive where stubs hold it
    /// shared, so the destructor waits for every stub in flight.
    async fn destroy(&self) {
        let guard = if self.stubs_locked() { Some(self.stub_lock.lock_exclusive().await) } else { None };
        {
            let mut state = self.state.lock();
            state.destroyed = true;
            state.plugin = None;
        }
        if let Some(guard) = guard {
            guard.unlock().await;
        }
    }

    /// `Initialize`: verify the DLL's signature, publish the host, then run the entry point;
    /// a failing entry point unpublishes it (spec §5.1).
    async fn initialize(&self, name: Name, script: Arc<PluginScript>, variant: Variant) -> HResult {
        let api = Arc::new(HostApi { host: self.this.clone() });
        let unsigned = script.unsigned;
        let plugin = ScriptedPlugin::new(self.platform.clone(), name, script, api);
        {
            let mut state = self.state.lock();
            if state.initialized {
                return E_ILLEGAL_METHOD_CALL;
            }
            state.initialized = true;
            state.variant = variant;
            // Official builds verify the DLL's signature before loading it.
            if unsigned && !variant.has(Mutant::NoSignatureCheck) {
                return TRUST_E_NOSIGNATURE;
            }
            state.plugin = Some(plugin.clone());
        }
        let hr = plugin.entry_point().await;
        if hr.failed() {
            self.state.lock().plugin = None;
        }
        hr
    }

    /// One `On…` method (spec §2.2).
    async fn dispatch(&self, call: HookCall) -> HostReply {
        let Some(plugin) = self.state.lock().plugin.clone() else {
            return HostReply::hr(E_UNEXPECTED);
        };
        if !plugin.implements(call.kind) {
            return HostReply::hr(S_OK);
        }
        let variant = self.state.lock().variant;
        // `m_hookLock` is the host's (§1.3): in-process, nothing serialises a plugin's hooks.
        let serialised = variant.design.out_of_process() && !variant.has(Mutant::NoHookLock);
        let guard = if serialised { Some(self.hook_lock.lock().await) } else { None };
        let me = self.platform.current_thread();
        self.state.lock().hooks.insert(me, None);
        let hr = plugin.hook(&call).await;
        let message = self.state.lock().hooks.remove(&me).flatten();
        if let Some(guard) = guard {
            guard.unlock().await;
        }
        let dropped = variant.has(Mutant::PluginErrorTextDropped);
        HostReply { hr, error_message: message.filter(|_| call.kind.carries_message() && !dropped) }
    }

    /// `PluginError` (spec §3.2), in the order of the real checks.
    fn plugin_error(&self, message: String) -> HResult {
        let me = self.platform.current_thread();
        let mut state = self.state.lock();
        if state.plugin.is_none() {
            return E_ILLEGAL_METHOD_CALL;
        }
        match state.hooks.get_mut(&me) {
            None => E_ILLEGAL_METHOD_CALL,
            Some(Some(_)) => E_ILLEGAL_STATE_CHANGE,
            Some(stored) => {
                *stored = Some(message);
                S_OK
            }
        }
    }
}

/// The host's API table: stubs that load `g_pluginHost` and forward to the service.
pub struct HostApi<P: Platform> {
    host: Weak<PluginHost<P>>,
}

impl<P: Platform> PluginApi for HostApi<P> {
    async fn call(&self, session: SessionCookie, api: ApiCall) -> CallbackReply {
        let Some(host) = self.host.upgrade() else { return CallbackReply::hr(E_UNEXPECTED) };
        let locked = host.stubs_locked();
        let guard = if locked { Some(host.stub_lock.lock_shared().await) } else { None };
        // `g_pluginHost`: cleared by the destructor and by a failed entry point.
        let reply = if host.state.lock().plugin.is_none() {
            CallbackReply::hr(E_UNEXPECTED)
        } else {
            let request = CallbackRequest { session, api };
            match &host.link {
                ServiceEnd::Remote(link) => link.call(request).await.unwrap_or_else(CallbackReply::hr),
                ServiceEnd::InProcess(callbacks) => callbacks.serve(request).await,
            }
        };
        if let Some(guard) = guard {
            guard.unlock().await;
        }
        // Without the lock, the destructor may have run during the call: the stub still holds
        // the object's `m_callback` it loaded before — a use after free (§9.10).
        if !locked && host.link.is_remote() && host.state.lock().destroyed {
            host.platform.terminate_current_process().await;
        }
        reply
    }

    fn plugin_error(&self, message: String) -> HResult {
        match self.host.upgrade() {
            Some(host) => host.plugin_error(message),
            None => E_ILLEGAL_METHOD_CALL,
        }
    }
}
