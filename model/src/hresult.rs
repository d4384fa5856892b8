//! HRESULT values the model produces or classifies, with their Windows names.
//!
//! Owns the numeric values (spec §3.1, §5.2 and the WSL headers) and their textual form
//! (`NAME` or `0xXXXXXXXX`) used in traces and scenario files. It never decides what a value
//! means for the service: crash classification lives in `plugin_manager::crash`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Windows `HRESULT`, kept as its unsigned bit pattern.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct HResult(pub u32);

/// `HRESULT_FROM_WIN32`: maps a Win32 error code into the `FACILITY_WIN32` space.
const fn from_win32(code: u32) -> HResult {
    HResult(0x8007_0000 | (code & 0xFFFF))
}

impl HResult {
    /// True for failure codes (severity bit set), as `FAILED(hr)`.
    pub const fn failed(self) -> bool {
        self.0 & 0x8000_0000 != 0
    }

    /// True for success codes, as `SUCCEEDED(hr)`.
    pub const fn succeeded(self) -> bool {
        !self.failed()
    }

    /// The Windows name of a known value.
    pub fn name(self) -> Option<&'static str> {
        KNOWN.iter().find(|(_, value)| *value == self).map(|(name, _)| *name)
    }

    /// Parses a Windows name (`RPC_S_CALL_FAILED`) or a hexadecimal value (`0x800706BE`).
    pub fn parse(text: &str) -> Option<HResult> {
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            return u32::from_str_radix(hex, 16).ok().map(HResult);
        }
        KNOWN.iter().find(|(name, _)| *name == text).map(|(_, value)| *value)
    }
}

impl fmt::Display for HResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:08X}", self.0),
        }
    }
}

/// `S_OK`.
pub const S_OK: HResult = HResult(0);
/// `E_FAIL`.
pub const E_FAIL: HResult = HResult(0x8000_4005);
/// `E_UNEXPECTED`.
pub const E_UNEXPECTED: HResult = HResult(0x8000_FFFF);
/// `E_INVALIDARG`.
pub const E_INVALIDARG: HResult = HResult(0x8007_0057);
/// `E_POINTER`.
pub const E_POINTER: HResult = HResult(0x8000_4003);
/// `E_ABORT`.
pub const E_ABORT: HResult = HResult(0x8000_4004);
/// `E_ACCESSDENIED`.
pub const E_ACCESSDENIED: HResult = HResult(0x8007_0005);
/// `E_ILLEGAL_STATE_CHANGE`.
pub const E_ILLEGAL_STATE_CHANGE: HResult = HResult(0x8000_000D);
/// `E_ILLEGAL_METHOD_CALL`.
pub const E_ILLEGAL_METHOD_CALL: HResult = HResult(0x8000_000E);
/// `E_NOT_VALID_STATE` = `HRESULT_FROM_WIN32(ERROR_INVALID_STATE)`.
pub const E_NOT_VALID_STATE: HResult = from_win32(5023);
/// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`.
pub const ERROR_FILE_NOT_FOUND: HResult = from_win32(2);
/// `HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)`.
pub const ERROR_PATH_NOT_FOUND: HResult = from_win32(3);
/// `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`: the service's "session not found" (spec §3.1).
pub const ERROR_NOT_FOUND: HResult = from_win32(1168);
/// `HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)`.
pub const ERROR_ALREADY_EXISTS: HResult = from_win32(183);
/// `HRESULT_FROM_WIN32(ERROR_TIMEOUT)`.
pub const ERROR_TIMEOUT: HResult = from_win32(1460);
/// `RPC_E_CALL_REJECTED`: a busy server, deliberately not a crash (spec §5.2).
pub const RPC_E_CALL_REJECTED: HResult = HResult(0x8001_0001);
/// `RPC_E_SERVER_DIED`.
pub const RPC_E_SERVER_DIED: HResult = HResult(0x8001_0007);
/// `RPC_E_SERVER_DIED_DNE`.
pub const RPC_E_SERVER_DIED_DNE: HResult = HResult(0x8001_0012);
/// `RPC_E_DISCONNECTED`.
pub const RPC_E_DISCONNECTED: HResult = HResult(0x8001_0108);
/// `CO_E_OBJNOTCONNECTED`.
pub const CO_E_OBJNOTCONNECTED: HResult = HResult(0x8004_01FD);
/// `HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)`: a call to a host that is already gone.
pub const RPC_S_SERVER_UNAVAILABLE: HResult = from_win32(1722);
/// `HRESULT_FROM_WIN32(RPC_S_CALL_FAILED)`: a call in flight when its host died.
pub const RPC_S_CALL_FAILED: HResult = from_win32(1726);
/// `HRESULT_FROM_WIN32(RPC_S_CALL_FAILED_DNE)`.
pub const RPC_S_CALL_FAILED_DNE: HResult = from_win32(1727);
/// `WSL_E_DISTRO_NOT_FOUND`.
pub const WSL_E_DISTRO_NOT_FOUND: HResult = HResult(0x8004_0302);
/// `WSL_E_VM_MODE_INVALID_STATE`: the distribution is not running (spec §3.1).
pub const WSL_E_VM_MODE_INVALID_STATE: HResult = HResult(0x8004_0313);
/// `WSL_E_WSL2_NEEDED`.
pub const WSL_E_WSL2_NEEDED: HResult = HResult(0x8004_031C);
/// `WSL_E_PLUGIN_REQUIRES_UPDATE`.
pub const WSL_E_PLUGIN_REQUIRES_UPDATE: HResult = HResult(0x8004_032A);
/// `WSLC_E_SESSION_NOT_FOUND`.
pub const WSLC_E_SESSION_NOT_FOUND: HResult = HResult(0x8004_060F);
/// `CO_E_SERVER_EXEC_FAILURE`: the host process could not be started.
pub const CO_E_SERVER_EXEC_FAILURE: HResult = HResult(0x8008_0005);
/// `TRUST_E_NOSIGNATURE`.
pub const TRUST_E_NOSIGNATURE: HResult = HResult(0x800B_0100);
/// `HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)`: a handle that means nothing in this process.
pub const ERROR_INVALID_HANDLE: HResult = from_win32(6);

const KNOWN: &[(&str, HResult)] = &[
    ("S_OK", S_OK),
    ("E_FAIL", E_FAIL),
    ("E_UNEXPECTED", E_UNEXPECTED),
    ("E_INVALIDARG", E_INVALIDARG),
    ("E_POINTER", E_POINTER),
    ("E_ABORT", E_ABORT),
    ("E_ACCESSDENIED", E_ACCESSDENIED),
    ("E_ILLEGAL_STATE_CHANGE", E_ILLEGAL_STATE_CHANGE),
    ("E_ILLEGAL_METHOD_CALL", E_ILLEGAL_METHOD_CALL),
    ("E_NOT_VALID_STATE", E_NOT_VALID_STATE),
    ("ERROR_FILE_NOT_FOUND", ERROR_FILE_NOT_FOUND),
    ("ERROR_PATH_NOT_FOUND", ERROR_PATH_NOT_FOUND),
    ("ERROR_NOT_FOUND", ERROR_NOT_FOUND),
    ("ERROR_ALREADY_EXISTS", ERROR_ALREADY_EXISTS),
    ("ERROR_TIMEOUT", ERROR_TIMEOUT),
    ("RPC_E_CALL_REJECTED", RPC_E_CALL_REJECTED),
    ("RPC_E_SERVER_DIED", RPC_E_SERVER_DIED),
    ("RPC_E_SERVER_DIED_DNE", RPC_E_SERVER_DIED_DNE),
    ("RPC_E_DISCONNECTED", RPC_E_DISCONNECTED),
    ("CO_E_OBJNOTCONNECTED", CO_E_OBJNOTCONNECTED),
    ("RPC_S_SERVER_UNAVAILABLE", RPC_S_SERVER_UNAVAILABLE),
    ("RPC_S_CALL_FAILED", RPC_S_CALL_FAILED),
    ("RPC_S_CALL_FAILED_DNE", RPC_S_CALL_FAILED_DNE),
    ("WSL_E_DISTRO_NOT_FOUND", WSL_E_DISTRO_NOT_FOUND),
    ("WSL_E_VM_MODE_INVALID_STATE", WSL_E_VM_MODE_INVALID_STATE),
    ("WSL_E_WSL2_NEEDED", WSL_E_WSL2_NEEDED),
    ("WSL_E_PLUGIN_REQUIRES_UPDATE", WSL_E_PLUGIN_REQUIRES_UPDATE),
    ("WSLC_E_SESSION_NOT_FOUND", WSLC_E_SESSION_NOT_FOUND),
    ("CO_E_SERVER_EXEC_FAILURE", CO_E_SERVER_EXEC_FAILURE),
    ("TRUST_E_NOSIGNATURE", TRUST_E_NOSIGNATURE),
    ("ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win32_mapping_matches_the_values_the_spec_quotes() {
        assert_eq!(RPC_S_SERVER_UNAVAILABLE, HResult(0x8007_06BA));
        assert_eq!(RPC_S_CALL_FAILED, HResult(0x8007_06BE));
        assert_eq!(RPC_S_CALL_FAILED_DNE, HResult(0x8007_06BF));
        assert_eq!(ERROR_NOT_FOUND, HResult(0x8007_0490));
        assert_eq!(E_NOT_VALID_STATE, HResult(0x8007_139F));
    }

    #[test]
    fn names_and_hex_round_trip() {
        assert_eq!(HResult::parse("RPC_S_CALL_FAILED"), Some(RPC_S_CALL_FAILED));
        assert_eq!(HResult::parse("0x800706be"), Some(RPC_S_CALL_FAILED));
        assert_eq!(HResult(0x8000_1234).to_string(), "0x80001234");
        assert_eq!(E_UNEXPECTED.to_string(), "E_UNEXPECTED");
        assert_eq!(HResult::parse("NOT_A_NAME"), None);
        assert!(E_FAIL.failed() && S_OK.succeeded());
    }
}
