//! The interfaces of `idl/plughost.idl`, declared for Rust. Parameters are their ABI types:
//! `[in] BSTR` is `*const u16` (borrowed, never freed by the callee), `[out, retval] BSTR*`
//! is `*mut *const u16` (allocated by the callee, freed by the caller), `SAFEARRAY`s likewise.

use std::ffi::c_void;

use windows::Win32::Foundation::VARIANT_BOOL;
use windows::Win32::System::Com::SAFEARRAY;
use windows_core::{GUID, HRESULT, IUnknown, IUnknown_Vtbl, interface};

/// The type library's id (`library PlughostLib`).
pub(crate) const LIBID: GUID = GUID::from_u128(0xf0f45d60_292a_4d96_9751_5c8d0f4d892b);

/// The service, as its hosts call it.
#[interface("52e54e05-5a00-4a4e-aa3b-a831d0401ce6")]
pub(crate) unsafe trait IPlughostCallback1: IUnknown {
    pub(crate) fn Call(&self, thread: u32, request: *const SAFEARRAY, reply: *mut *mut SAFEARRAY) -> HRESULT;
    pub(crate) fn Plugin(&self, thread: u32, event: *const SAFEARRAY) -> HRESULT;
    pub(crate) fn Trace(&self, thread: *const u16, line: *const u16) -> HRESULT;
}

/// A plugin host.
#[interface("da7aaf6c-edac-4656-bbc7-9c3404ca7589")]
pub(crate) unsafe trait IPlughostHost1: IUnknown {
    pub(crate) fn Attach(
        &self,
        callback: *mut c_void,
        service_pid: u32,
        job: u32,
        plugin: *const u16,
        options: *const u16,
        host_pid: *mut u32,
    ) -> HRESULT;
    pub(crate) fn Call(&self, request: *const SAFEARRAY, reply: *mut *mut SAFEARRAY) -> HRESULT;
    pub(crate) fn Quiesce(&self, timeout_ms: u32, quiet: *mut VARIANT_BOOL) -> HRESULT;
    pub(crate) fn DumpThreads(&self, threads: *mut *const u16) -> HRESULT;
}

/// The interfaces, with their names, for registration.
pub(crate) const INTERFACES: [(GUID, &str); 2] = [
    (<IPlughostCallback1 as windows_core::Interface>::IID, "IPlughostCallback1"),
    (<IPlughostHost1 as windows_core::Interface>::IID, "IPlughostHost1"),
];
