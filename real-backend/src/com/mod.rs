//! The COM transport (Windows): every plugin host is `plughost-host` run by COM as the
//! local server of a registered class, activated with `CoCreateInstance(CLSCTX_LOCAL_SERVER)`
//! — the shape of WSL's service and `wslpluginhost.exe` (spec §1.1, §5.1).
//!
//! - `service`: the service's end — registering the run's class, activating a host,
//!   `Attach` (the callback object, the job to join), calls as COM calls whose failing
//!   HRESULTs are COM's own, callbacks served on COM's RPC threads;
//! - `host`: the host's end — serving the class, joining the service's job before any plugin
//!   code runs, hook calls on COM's RPC threads, callbacks through the service's object.
//!
//! Payloads are the model's wire types encoded with postcard, inside the IDL's byte arrays
//! (`plughost-win32`'s `idl/plughost.idl`); the unsafe COM plumbing is all in that crate.
//! Like the pipe's, this end of the service distrusts its hosts: a payload that does not
//! decode, or a plugin event on behalf of another plugin, is a protocol error, and the host
//! is killed and treated as crashed.
//!
//! Wine differs from Windows in two ways this transport meets, handled here: a class whose
//! server was killed cannot be activated again for up to a minute (every run therefore
//! registers a class of its own, `ComClass::PerRun`), and a killed process reports exit code
//! 0 (nothing here reads exit codes: a host's death is its process handle being signalled,
//! and the calls that fail).

mod host;
mod service;

use std::path::Path;

pub use plughost_win32::com::registry::Scope;
use plughost_win32::com::{Guid, registry};

pub(crate) use host::serve_host;
pub(crate) use service::{ComHost, ComRun, Registration};

/// `plughost com register`: the interfaces, the type library (written beside `program`) and
/// the well-known host class, served by `program args… --com-server CLSID`, in `scope`.
/// Returns what was registered, for people.
pub fn register(program: &Path, args: &[String], scope: Scope) -> Result<String, String> {
    let library = program.with_file_name("plughost.tlb");
    registry::write_type_library(&library).map_err(|e| format!("cannot write {}: {e}", library.display()))?;
    registry::register_interfaces(scope, &library).map_err(|e| e.to_string())?;
    let class = Guid::REGISTERED_HOST;
    let command = service::server_command(program, args, class);
    registry::register_class(scope, class, &command).map_err(|e| e.to_string())?;
    Ok(format!("registered class {class} ({command}), its interfaces and {}", library.display()))
}

/// `plughost com unregister`: removes what [`register`] registered in `scope`.
pub fn unregister(scope: Scope) -> Result<String, String> {
    let class = Guid::REGISTERED_HOST;
    registry::unregister_class(scope, class).map_err(|e| e.to_string())?;
    registry::unregister_interfaces(scope).map_err(|e| e.to_string())?;
    Ok(format!("unregistered class {class}, its interfaces and the type library"))
}
