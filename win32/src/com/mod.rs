//! The COM transport between the service and its plugin hosts (`idl/plughost.idl`):
//!
//! - [`interfaces`]: `IPlughostHost1` and `IPlughostCallback1` as the IDL declares them;
//! - [`server`]: the host side — `plughost-host.exe` as a COM local server (MTA,
//!   `CoRegisterClassObject` single-use, exits when released) serving a [`HostHandler`];
//! - [`client`]: the service side — activation by `CoCreateInstance(CLSCTX_LOCAL_SERVER)`,
//!   the host's proxy ([`HostProxy`]), and the service's callback object ([`CallbackObject`])
//!   serving a [`CallbackHandler`] on COM's RPC threads;
//! - [`registry`]: registering and unregistering the class, the interfaces and the type
//!   library, per user or per machine.
//!
//! Payloads are bytes (`SAFEARRAY(unsigned char)`) this module never interprets; a failed
//! call's HRESULT is returned exactly as COM gave it ([`Hresult`]).

#![allow(unsafe_code)]
// COM methods keep the IDL's names (`Call`, `Attach`).
#![allow(non_snake_case)]

mod bytes;
pub mod client;
mod interfaces;
pub mod registry;
pub mod server;

use std::fmt;

use windows::Win32::System::Com::{COINIT_MULTITHREADED, CoCreateGuid, CoInitializeEx, CoUninitialize};
use windows_core::GUID;

pub use client::{CallbackHandler, CallbackObject, HostProxy};
pub use server::{HostHandler, ServeEnd, ServiceProxy, serve};

/// An HRESULT, as its bit pattern (`0x800706BE`).
pub type Hresult = u32;

/// `E_INVALIDARG`: arguments that do not decode.
pub const E_INVALIDARG: Hresult = 0x8007_0057;
/// `E_UNEXPECTED`.
pub const E_UNEXPECTED: Hresult = 0x8000_FFFF;
/// `CO_E_SERVER_EXEC_FAILURE`: a second activation of a single-use host process.
pub const CO_E_SERVER_EXEC_FAILURE: Hresult = 0x8008_0005;

/// A COM class or interface id.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Guid(pub(crate) GUID);

impl Guid {
    /// A fresh, unique id (`CoCreateGuid`).
    pub fn fresh() -> Guid {
        // SAFETY: no arguments; the result is returned by value.
        Guid(unsafe { CoCreateGuid() }.expect("CoCreateGuid does not fail"))
    }

    /// Parses `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` (braces optional).
    pub fn parse(text: &str) -> Option<Guid> {
        let bare = text.trim().trim_start_matches('{').trim_end_matches('}');
        let hex: String = bare.chars().filter(|&c| c != '-').collect();
        let groups: Vec<usize> = bare.split('-').map(str::len).collect();
        if groups != [8, 4, 4, 4, 12] || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(&hex, 16).ok().map(|value| Guid(GUID::from_u128(value)))
    }

    /// The well-known class of `plughost com register`.
    pub const REGISTERED_HOST: Guid = Guid(GUID::from_u128(0xcc350db4_4266_4add_ae80_ccdaa4175cca));
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{:?}}}", self.0)
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The calling thread's membership of the multithreaded apartment, for as long as the guard
/// lives. Every thread that touches a proxy enters it (COM's MTA proxies may be used from
/// any thread of the apartment).
pub struct Mta {
    entered: bool,
}

impl Mta {
    /// `CoInitializeEx(COINIT_MULTITHREADED)`. A thread already in the MTA enters again
    /// (counted); a thread in a single-threaded apartment stays there (`RPC_E_CHANGED_MODE`,
    /// tolerated as WSL's `ScopedComInit` does).
    pub fn enter() -> Mta {
        // SAFETY: no pointers; the reserved argument is None as required.
        let hr = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
        Mta { entered: hr.is_ok() }
    }
}

impl Drop for Mta {
    fn drop(&mut self) {
        if self.entered {
            // SAFETY: balances this thread's successful CoInitializeEx.
            unsafe { CoUninitialize() };
        }
    }
}

/// The HRESULT of a COM error, as its bit pattern.
pub(crate) fn code(error: &windows_core::Error) -> Hresult {
    error.code().0 as u32
}

#[cfg(test)]
mod tests {
    use super::Guid;

    #[test]
    fn guids_print_and_parse_in_registry_form() {
        let text = Guid::REGISTERED_HOST.to_string();
        assert_eq!(text, "{CC350DB4-4266-4ADD-AE80-CCDAA4175CCA}");
        assert_eq!(Guid::parse(&text), Some(Guid::REGISTERED_HOST));
        assert_eq!(Guid::parse("cc350db4-4266-4add-ae80-ccdaa4175cca"), Some(Guid::REGISTERED_HOST));
        assert_eq!(Guid::parse("{cc350db4-4266-4add-ae80}"), None);
        assert_ne!(Guid::fresh(), Guid::fresh());
    }
}
