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
//! entry point cleared `g_pluginHost`, returns `E_UNEXPECTED` as in P769, with no
//! use-after-free model (§9.10).

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::design::{Mutant, Variant};
use crate::hresult::{
    E_ILLEGAL_METHOD_CALL, E_ILLEGAL_STATE_CHANGE, E_UNEXPECTED, HResult, S_OK, TRUST_E_NOSIGNATURE,
};
use crate::ids::{Name, SessionCookie};
use crate::platform::{LockGuard, PlainMutex, Platform, ServiceLink, ThreadId};
use crate::plugin::{Plugin, PluginApi};
use crate::script::PluginScript;
use crate::scripted_plugin::ScriptedPlugin;
use crate::wire::{ApiCall, CallbackReply, CallbackRequest, HookCall, HostReply, HostRequest};

/// The plugin a host runs.
type HostedPlugin<P> = ScriptedPlugin<P, HostApi<P>>;

struct HostState<P: Platform> {
    initialized: bool,
    variant: Variant,
    plugin: Option<Arc<HostedPlugin<P>>>,
    hook_thread: Option<ThreadId>,
    error_message: Option<String>,
}

/// One host process's `PluginHost` object.
pub struct PluginHost<P: Platform> {
    platform: P,
    link: P::ServiceLink,
    hook_lock: P::Mutex,
    state: Mutex<HostState<P>>,
    this: Weak<Self>,
}

impl<P: Platform> PluginHost<P> {
    /// A freshly activated, uninitialised host whose callbacks go through `link`.
    pub fn new(platform: P, link: P::ServiceLink) -> Arc<Self> {
        Arc::new_cyclic(|this| PluginHost {
            hook_lock: platform.mutex("hook_lock".to_string()),
            platform,
            link,
            state: Mutex::new(HostState {
                initialized: false,
                variant: Variant::PUMP,
                plugin: None,
                hook_thread: None,
                error_message: None,
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
        let serialised = !variant.has(Mutant::NoHookLock);
        let guard = if serialised { Some(self.hook_lock.lock().await) } else { None };
        {
            let mut state = self.state.lock();
            state.hook_thread = Some(self.platform.current_thread());
            state.error_message = None;
        }
        let hr = plugin.hook(&call).await;
        let message = {
            let mut state = self.state.lock();
            state.hook_thread = None;
            state.error_message.take()
        };
        if let Some(guard) = guard {
            guard.unlock().await;
        }
        let dropped = variant.has(Mutant::PluginErrorTextDropped);
        HostReply { hr, error_message: message.filter(|_| call.kind.carries_message() && !dropped) }
    }

    /// `PluginError` (spec §3.2), in the order of the real checks.
    fn plugin_error(&self, message: String) -> HResult {
        let mut state = self.state.lock();
        if state.plugin.is_none() || state.hook_thread != Some(self.platform.current_thread()) {
            return E_ILLEGAL_METHOD_CALL;
        }
        if state.error_message.is_some() {
            return E_ILLEGAL_STATE_CHANGE;
        }
        state.error_message = Some(message);
        S_OK
    }
}

/// The host's API table: stubs that load `g_pluginHost` and forward to the service.
pub struct HostApi<P: Platform> {
    host: Weak<PluginHost<P>>,
}

impl<P: Platform> PluginApi for HostApi<P> {
    async fn call(&self, session: SessionCookie, api: ApiCall) -> CallbackReply {
        // `g_pluginHost`: gone with the host object, and cleared by a failed entry point.
        let Some(host) = self.host.upgrade().filter(|host| host.state.lock().plugin.is_some()) else {
            return CallbackReply::hr(E_UNEXPECTED);
        };
        match host.link.call(CallbackRequest { session, api }).await {
            Ok(reply) => reply,
            Err(transport) => CallbackReply::hr(transport),
        }
    }

    fn plugin_error(&self, message: String) -> HResult {
        match self.host.upgrade() {
            Some(host) => host.plugin_error(message),
            None => E_ILLEGAL_METHOD_CALL,
        }
    }
}
