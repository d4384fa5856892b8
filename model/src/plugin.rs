//! The plugin-facing contract: the hook table a plugin fills in and the API table it calls
//! (`WSLPluginHooksV1` / `WSLPluginAPIV1`, spec §3.0).
//!
//! Owns the two traits. The host implements [`PluginApi`] with stubs that forward to the
//! service; `scripted_plugin` implements [`Plugin`]. Neither trait knows about processes.

use std::future::Future;

use crate::hresult::HResult;
use crate::ids::SessionCookie;
use crate::wire::{ApiCall, CallbackReply, HookCall, HookKind};

/// What a plugin DLL exports: its entry point and its hooks.
pub trait Plugin: Send + Sync + 'static {
    /// `WSLPluginAPIV1_EntryPoint`: runs once in `Initialize`; a failure fails the load.
    fn entry_point(&self) -> impl Future<Output = HResult> + Send;
    /// Whether the plugin set this hook's pointer.
    fn implements(&self, hook: HookKind) -> bool;
    /// Runs one hook on the calling (hook) thread.
    fn hook(&self, call: &HookCall) -> impl Future<Output = HResult> + Send;
}

/// The API table a plugin calls, from any of its threads.
pub trait PluginApi: Send + Sync + 'static {
    /// `MountFolder` / `ExecuteBinary` / `ExecuteBinaryInDistribution`.
    fn call(&self, session: SessionCookie, api: ApiCall) -> impl Future<Output = CallbackReply> + Send;
    /// `PluginError`: host-local, valid only on the hook thread during a hook (spec §3.2).
    fn plugin_error(&self, message: String) -> HResult;
}
