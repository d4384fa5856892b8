//! Registering the COM transport: the host class (its `LocalServer32` command line), the two
//! interfaces (marshalled by the type library marshaller, `ProxyStubClsid32` =
//! `{00020424-0000-0000-C000-000000000046}`), and the type library they name. Per user
//! (`HKEY_CURRENT_USER\Software\Classes`, no elevation) or per machine
//! (`HKEY_LOCAL_MACHINE\Software\Classes`).

use std::path::Path;

use windows::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS, WIN32_ERROR};
use windows::Win32::System::Registry::{
    HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_WRITE, REG_OPTION_NON_VOLATILE, REG_SZ, RegCloseKey,
    RegCreateKeyExW, RegDeleteTreeW, RegSetValueExW,
};
use windows_core::{HSTRING, PCWSTR};

use super::Guid;
use super::interfaces::{INTERFACES, LIBID};
use crate::Error;

/// The type library built from `idl/plughost.idl` (by widl; CI checks it is current).
pub const TYPE_LIBRARY: &[u8] = include_bytes!("../../idl/plughost.tlb");

/// The type library marshaller's class (`PSOAInterface`).
const TYPELIB_MARSHALLER: &str = "{00020424-0000-0000-C000-000000000046}";

/// Where registrations go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    /// `HKEY_CURRENT_USER\Software\Classes`.
    User,
    /// `HKEY_LOCAL_MACHINE\Software\Classes` (needs elevation on Windows).
    Machine,
}

impl Scope {
    fn root(self) -> HKEY {
        match self {
            Scope::User => HKEY_CURRENT_USER,
            Scope::Machine => HKEY_LOCAL_MACHINE,
        }
    }
}

fn failed(call: &'static str, status: WIN32_ERROR) -> Error {
    Error::of(call, windows_core::Error::from(status.to_hresult()))
}

/// An open registry key, closed when dropped.
struct Key(HKEY);

impl Key {
    /// Creates (or opens) `Software\Classes\<path>` under the scope's root.
    fn create(scope: Scope, path: &str) -> Result<Key, Error> {
        let subkey = HSTRING::from(format!("Software\\Classes\\{path}"));
        let mut key = HKEY::default();
        // SAFETY: `subkey` and `key` live for the call; no class, default security.
        let status = unsafe {
            RegCreateKeyExW(
                scope.root(),
                &subkey,
                None,
                PCWSTR::null(),
                REG_OPTION_NON_VOLATILE,
                KEY_WRITE,
                None,
                &mut key,
                None,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(failed("RegCreateKeyExW", status));
        }
        Ok(Key(key))
    }

    /// Sets the string value `name` (`None`: the key's default value).
    fn set(&self, name: Option<&str>, value: &str) -> Result<(), Error> {
        let name = name.map(HSTRING::from);
        let data: Vec<u8> = value.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
        let name = name.as_ref().map_or(PCWSTR::null(), |n| PCWSTR(n.as_ptr()));
        // SAFETY: the key is open; `name` and `data` live for the call.
        let status = unsafe { RegSetValueExW(self.0, name, None, REG_SZ, Some(&data)) };
        if status != ERROR_SUCCESS {
            return Err(failed("RegSetValueExW", status));
        }
        Ok(())
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the key is open and closed once.
        let _ = unsafe { RegCloseKey(self.0) };
    }
}

/// Sets `Software\Classes\<path>`'s default value.
fn set_default(scope: Scope, path: &str, value: &str) -> Result<(), Error> {
    Key::create(scope, path)?.set(None, value)
}

/// Deletes `Software\Classes\<path>` and everything under it; a missing key is fine.
fn delete_tree(scope: Scope, path: &str) -> Result<(), Error> {
    let subkey = HSTRING::from(format!("Software\\Classes\\{path}"));
    // SAFETY: `subkey` lives for the call.
    let status = unsafe { RegDeleteTreeW(scope.root(), &subkey) };
    if status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND {
        return Err(failed("RegDeleteTreeW", status));
    }
    Ok(())
}

/// Registers class `clsid`, served by `command_line` (COM appends `-Embedding`).
pub fn register_class(scope: Scope, clsid: Guid, command_line: &str) -> Result<(), Error> {
    set_default(scope, &format!("CLSID\\{clsid}"), "plughost plugin host")?;
    set_default(scope, &format!("CLSID\\{clsid}\\LocalServer32"), command_line)
}

/// Removes class `clsid`.
pub fn unregister_class(scope: Scope, clsid: Guid) -> Result<(), Error> {
    delete_tree(scope, &format!("CLSID\\{clsid}"))
}

/// Registers both interfaces and the type library at `type_library` (a file holding
/// [`TYPE_LIBRARY`]; see [`write_type_library`]).
pub fn register_interfaces(scope: Scope, type_library: &Path) -> Result<(), Error> {
    let libid = Guid(LIBID);
    let version = format!("TypeLib\\{libid}\\1.0");
    set_default(scope, &version, "plughost COM transport, version 1")?;
    set_default(scope, &format!("{version}\\0\\win64"), &type_library.display().to_string())?;
    set_default(scope, &format!("{version}\\FLAGS"), "0")?;
    let folder = type_library.parent().map(|p| p.display().to_string()).unwrap_or_default();
    set_default(scope, &format!("{version}\\HELPDIR"), &folder)?;
    for (iid, name) in INTERFACES {
        let key = format!("Interface\\{}", Guid(iid));
        set_default(scope, &key, name)?;
        set_default(scope, &format!("{key}\\ProxyStubClsid32"), TYPELIB_MARSHALLER)?;
        let library = Key::create(scope, &format!("{key}\\TypeLib"))?;
        library.set(None, &libid.to_string())?;
        library.set(Some("Version"), "1.0")?;
    }
    Ok(())
}

/// Removes both interfaces and the type library.
pub fn unregister_interfaces(scope: Scope) -> Result<(), Error> {
    for (iid, _) in INTERFACES {
        delete_tree(scope, &format!("Interface\\{}", Guid(iid)))?;
    }
    delete_tree(scope, &format!("TypeLib\\{}", Guid(LIBID)))
}

/// Writes [`TYPE_LIBRARY`] to `path` unless it already holds it.
pub fn write_type_library(path: &Path) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|existing| existing == TYPE_LIBRARY) {
        return Ok(());
    }
    std::fs::write(path, TYPE_LIBRARY)
}
