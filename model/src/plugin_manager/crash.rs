//! Crash classification and the fatal-error latch (spec §2 outcome rules, §5.2, §5.3).
//!
//! Owns `IsHostCrash` (purely by value), `LatchHostCrash` (telemetry once per plugin, first
//! crash wins, load errors never replaced), `ThrowHostCrash`, `ThrowIfFatalPluginError` and
//! `ThrowIfPluginError`, with the user-visible messages of spec §2.

use std::sync::atomic::Ordering;

use super::{PluginManager, PluginSlot};
use crate::design::Mutant;
use crate::event::{ModelEvent, UserError};
use crate::hresult::{
    CO_E_OBJNOTCONNECTED, E_ILLEGAL_STATE_CHANGE, HResult, RPC_E_DISCONNECTED, RPC_E_SERVER_DIED,
    RPC_E_SERVER_DIED_DNE, RPC_S_CALL_FAILED, RPC_S_CALL_FAILED_DNE, RPC_S_SERVER_UNAVAILABLE,
    WSL_E_PLUGIN_REQUIRES_UPDATE,
};
use crate::platform::{LockGuard, Platform, SrwLock};
use crate::wire::HostReply;

/// `IsHostCrash`: exactly the seven values of §5.2. `RPC_E_CALL_REJECTED` is not one.
pub fn is_host_crash(hr: HResult) -> bool {
    matches!(
        hr,
        RPC_E_DISCONNECTED
            | RPC_E_SERVER_DIED
            | RPC_E_SERVER_DIED_DNE
            | CO_E_OBJNOTCONNECTED
            | RPC_S_SERVER_UNAVAILABLE
            | RPC_S_CALL_FAILED
            | RPC_S_CALL_FAILED_DNE
    )
}

/// `MessageFatalPluginError`.
pub(crate) fn fatal_plugin_error(plugin: &str) -> String {
    format!("A fatal error was returned by plugin '{plugin}'")
}

fn fatal_plugin_error_with_message(plugin: &str, message: &str) -> String {
    format!("A fatal error was returned by plugin '{plugin}'. Error message: '{message}'")
}

fn plugin_requires_update(plugin: &str) -> String {
    format!("The plugin '{plugin}' requires a newer version of WSL. Please run: wsl.exe --update")
}

/// `ThrowIfPluginError` for a start hook's reply.
pub(crate) fn throw_if_plugin_error(reply: &HostReply, plugin: &str) -> Result<(), UserError> {
    let message = reply.error_message.as_deref().filter(|text| !text.is_empty());
    if reply.hr.failed() {
        let text = match message {
            Some(text) => fatal_plugin_error_with_message(plugin, text),
            None => fatal_plugin_error(plugin),
        };
        return Err(UserError { hr: reply.hr, message: Some(text) });
    }
    match message {
        // Success with a message: an internal error, not a plugin-named one.
        Some(_) => Err(UserError::hr(E_ILLEGAL_STATE_CHANGE)),
        None => Ok(()),
    }
}

impl<P: Platform> PluginManager<P> {
    /// `LatchHostCrash`.
    pub(super) async fn latch_host_crash(&self, slot: &PluginSlot<P>, hr: HResult) {
        if !slot.crash_telemetry_fired.swap(true, Ordering::Relaxed) {
            self.platform.emit(ModelEvent::CrashTelemetry { plugin: slot.name.clone() });
        }
        let guard = self.error_lock.lock_exclusive().await;
        let recorded = !self.variant.has(Mutant::NoCrashLatch) && {
            let mut error = self.plugin_error.lock();
            let empty = error.is_none();
            if empty {
                *error = Some((slot.name.clone(), hr));
            }
            empty
        };
        self.platform.emit(ModelEvent::CrashLatched { plugin: slot.name.clone(), hr, recorded });
        guard.unlock().await;
    }

    /// `ThrowHostCrash`: latch, then the plugin-named fatal error carrying the crash HRESULT.
    pub(super) async fn throw_host_crash(&self, slot: &PluginSlot<P>, hr: HResult) -> UserError {
        self.latch_host_crash(slot, hr).await;
        UserError { hr, message: Some(fatal_plugin_error(&slot.name)) }
    }

    /// `ThrowIfFatalPluginError`: called by `_CreateVm` before creating a VM; also activates.
    pub async fn throw_if_fatal_plugin_error(&self) -> Result<(), UserError> {
        self.ensure_initialized().await;
        let guard = self.error_lock.lock_shared().await;
        let error = self.plugin_error.lock().clone();
        // Emitted under the lock, so no latch can be recorded between the read and the event.
        self.platform.emit(ModelEvent::FatalErrorChecked { error: error.clone() });
        guard.unlock().await;
        match error {
            None => Ok(()),
            Some((plugin, WSL_E_PLUGIN_REQUIRES_UPDATE)) => Err(UserError {
                hr: WSL_E_PLUGIN_REQUIRES_UPDATE,
                message: Some(plugin_requires_update(&plugin)),
            }),
            Some((plugin, hr)) => Err(UserError { hr, message: Some(fatal_plugin_error(&plugin)) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hresult::{E_ACCESSDENIED, E_FAIL, RPC_E_CALL_REJECTED, S_OK};

    #[test]
    fn crash_set_is_exactly_the_seven_transport_codes() {
        let crashes = [
            RPC_E_DISCONNECTED,
            RPC_E_SERVER_DIED,
            RPC_E_SERVER_DIED_DNE,
            CO_E_OBJNOTCONNECTED,
            RPC_S_SERVER_UNAVAILABLE,
            RPC_S_CALL_FAILED,
            RPC_S_CALL_FAILED_DNE,
        ];
        assert!(crashes.into_iter().all(is_host_crash));
        assert!(!is_host_crash(RPC_E_CALL_REJECTED));
        assert!(!is_host_crash(E_FAIL) && !is_host_crash(S_OK) && !is_host_crash(E_ACCESSDENIED));
    }

    #[test]
    fn plugin_errors_map_to_the_spec_messages() {
        let failed = HostReply { hr: E_ACCESSDENIED, error_message: None };
        let error = throw_if_plugin_error(&failed, "TestPlugin").unwrap_err();
        assert_eq!(error.message.as_deref(), Some("A fatal error was returned by plugin 'TestPlugin'"));
        let with_text = HostReply { hr: E_FAIL, error_message: Some("boom".into()) };
        let error = throw_if_plugin_error(&with_text, "TestPlugin").unwrap_err();
        assert_eq!(
            error.message.as_deref(),
            Some("A fatal error was returned by plugin 'TestPlugin'. Error message: 'boom'")
        );
        let success_with_text = HostReply { hr: S_OK, error_message: Some("boom".into()) };
        assert_eq!(
            throw_if_plugin_error(&success_with_text, "P").unwrap_err(),
            UserError::hr(E_ILLEGAL_STATE_CHANGE)
        );
        assert_eq!(throw_if_plugin_error(&HostReply::hr(S_OK), "P"), Ok(()));
    }
}
