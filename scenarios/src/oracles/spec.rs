//! The spec, restated for the judges: the crash set of §5.2, the fatal / non-fatal and
//! message-carrying hooks of §2.1 and §2.2, the user-visible messages of §2, and the names
//! of the locks §8.1 talks about.
//!
//! Written out again on purpose, from the spec's text, never by calling the model: a judge
//! that asked the model what a crash is would share the model's mistakes.

use plughost_model::hresult::HResult;
use plughost_model::ids::SessionCookie;
use plughost_model::wire::HookKind;

/// `IsHostCrash`, §5.2: exactly these seven values.
pub const CRASH_SET: [HResult; 7] = [
    HResult(0x8001_0108), // RPC_E_DISCONNECTED
    HResult(0x8001_0007), // RPC_E_SERVER_DIED
    HResult(0x8001_0012), // RPC_E_SERVER_DIED_DNE
    HResult(0x8004_01FD), // CO_E_OBJNOTCONNECTED
    HResult(0x8007_06BA), // HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)
    HResult(0x8007_06BE), // HRESULT_FROM_WIN32(RPC_S_CALL_FAILED)
    HResult(0x8007_06BF), // HRESULT_FROM_WIN32(RPC_S_CALL_FAILED_DNE)
];

/// Whether WSL treats `hr` as a dead host (by value, whoever produced it).
pub fn is_crash(hr: HResult) -> bool {
    CRASH_SET.contains(&hr)
}

/// `E_ILLEGAL_STATE_CHANGE`: a start hook that succeeded but set an error message (§2).
pub const E_ILLEGAL_STATE_CHANGE: HResult = HResult(0x8000_000D);
/// `E_ILLEGAL_METHOD_CALL`: `PluginError` off the hook thread (§3.2).
pub const E_ILLEGAL_METHOD_CALL: HResult = HResult(0x8000_000E);
/// `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`: a callback whose session is unknown (§3.1).
pub const ERROR_NOT_FOUND: HResult = HResult(0x8007_0490);
/// `WSL_E_PLUGIN_REQUIRES_UPDATE` (§2 "Other gates").
pub const WSL_E_PLUGIN_REQUIRES_UPDATE: HResult = HResult(0x8004_032A);
/// `S_OK`.
pub const S_OK: HResult = HResult(0);

/// Start and veto hooks (§2.1 "Fatal / veto?"): a failure aborts the operation.
pub fn is_fatal(hook: HookKind) -> bool {
    matches!(
        hook,
        HookKind::VmStarted
            | HookKind::DistributionStarted
            | HookKind::WslcSessionCreated
            | HookKind::WslcContainerStarted
    )
}

/// Hooks whose `PluginError` text reaches the user (§2.2): the four with an `[out]
/// ErrorMessage`.
pub fn carries_message(hook: HookKind) -> bool {
    is_fatal(hook)
}

/// The WSLC hooks of §2.1 (by the `IWslPluginHost` method they are).
pub fn is_wslc_hook(hook: HookKind) -> bool {
    matches!(
        hook,
        HookKind::WslcSessionCreated
            | HookKind::WslcSessionStopping
            | HookKind::WslcContainerStarted
            | HookKind::WslcContainerStopping
            | HookKind::WslcImageCreated
            | HookKind::WslcImageDeleted
    )
}

/// The WSLC callbacks of §3.3 (they name a WSLC session id).
pub fn is_wslc_callback(api: &str) -> bool {
    matches!(api, "WSLCMountFolder" | "WSLCUnmountFolder" | "WSLCCreateProcess")
}

/// Client operations that never pass `ThrowIfFatalPluginError` (§9.8: no latch on the WSLC
/// path), by the driver's name for them.
pub fn is_wslc_operation(op: &str) -> bool {
    op.starts_with("wslc-")
}

/// `MessageFatalPluginError`.
pub fn fatal_message(plugin: &str) -> String {
    format!("A fatal error was returned by plugin '{plugin}'")
}

/// `MessageFatalPluginErrorWithMessage`.
pub fn fatal_message_with(plugin: &str, text: &str) -> String {
    format!("A fatal error was returned by plugin '{plugin}'. Error message: '{text}'")
}

/// `MessagePluginRequiresUpdate`.
pub fn requires_update_message(plugin: &str) -> String {
    format!("The plugin '{plugin}' requires a newer version of WSL. Please run: wsl.exe --update")
}

/// The error a client must see for a latched or load-time plugin error (§2 "Other gates").
pub fn latched_message(plugin: &str, hr: HResult) -> String {
    if hr == WSL_E_PLUGIN_REQUIRES_UPDATE { requires_update_message(plugin) } else { fatal_message(plugin) }
}

/// The name of a session's `m_instanceLock`.
pub fn instance_lock(session: SessionCookie) -> String {
    format!("{session}.instance_lock")
}

/// Whether `name` is `session`'s `m_instanceLock` (the name [`instance_lock`] makes), read
/// without building that name.
pub fn is_instance_lock_of(name: &str, session: SessionCookie) -> bool {
    instance_lock_number(name).is_some_and(|number| writes_decimal(number, session.0))
}

/// The session number written in an instance lock's name (`session#N.instance_lock`).
fn instance_lock_number(name: &str) -> Option<&str> {
    name.strip_prefix("session#")?.strip_suffix(".instance_lock")
}

/// Whether `text` is `n` as `Display` writes it: decimal digits, no sign, no leading zero.
fn writes_decimal(text: &str, n: u32) -> bool {
    text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
        && text.parse::<u32>() == Ok(n)
}

/// Whether `name` is some session's `m_instanceLock`.
pub fn is_instance_lock(name: &str) -> bool {
    instance_lock_number(name).is_some()
}

/// I-5: locks never held while waiting on another thread, a COM call or another lock.
pub fn is_leaf_lock(name: &str) -> bool {
    matches!(name, "m_wslPumpLock" | "m_wslcSessionRefLock" | "m_pluginErrorLock")
        || (name.starts_with("pump#") && name.ends_with(".lock"))
}

/// I-5: the lock never held during any plugin hook.
pub const WSLC_SESSIONS_LOCK: &str = "m_wslcSessionsLock";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_lock_is_its_sessions_by_the_name_it_was_made_with_only() {
        for n in [1, 9, 10, 12, 4_294_967_295] {
            let session = SessionCookie(n);
            assert!(is_instance_lock_of(&instance_lock(session), session));
            assert!(!is_instance_lock_of(&instance_lock(SessionCookie(n - 1)), session));
        }
        let one = SessionCookie(1);
        for name in [
            "session#01.instance_lock",
            "session#+1.instance_lock",
            "session#1.instance_lock2",
            "session#1.callback_lock",
            "wslc#1.instance_lock",
            "session#.instance_lock",
            "session#11.instance_lock",
        ] {
            assert!(!is_instance_lock_of(name, one), "{name}");
        }
    }
}
