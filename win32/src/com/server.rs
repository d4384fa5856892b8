//! The host side: a plugin host process as a COM local server. It joins the multithreaded
//! apartment, registers a single-use class factory for the class it was started for (each
//! activation starts a fresh process, as WSL's `REGCLS_SINGLEUSE`), hands every call on its
//! one host object to a [`HostHandler`] on the COM RPC thread that received it, and ends
//! when the service releases that object — or when nobody activates it in time (WSL's
//! orphan guard).

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use windows::Win32::Foundation::{
    CLASS_E_NOAGGREGATION, E_POINTER, VARIANT_BOOL, VARIANT_FALSE, VARIANT_TRUE,
};
use windows::Win32::System::Com::{
    CLSCTX_LOCAL_SERVER, CoRegisterClassObject, CoRevokeClassObject, IClassFactory, IClassFactory_Impl,
    REGCLS_SINGLEUSE, SAFEARRAY,
};
use windows_core::{BOOL, BSTR, GUID, HRESULT, IUnknown, Interface, Ref, implement};

use super::interfaces::{IPlughostCallback1, IPlughostHost1, IPlughostHost1_Impl};
use super::{CO_E_SERVER_EXEC_FAILURE, E_INVALIDARG, Guid, Hresult, Mta, bytes, code};
use crate::Error;
use crate::process::current_process_id;
use crate::sync::Event;

/// What a host does with the calls it receives. Each method runs on the COM RPC thread that
/// received the call; calls arrive concurrently.
pub trait HostHandler: Send + Sync + 'static {
    /// `Attach`: before any plugin code runs, the service's callback object, the service's
    /// process and job handle (to join), the plugin's name and the host's options.
    fn attach(
        &self,
        service: ServiceProxy,
        service_pid: u32,
        job: u32,
        plugin: String,
        options: String,
    ) -> Result<(), Hresult>;
    /// `Call`: one request's bytes in, the reply's bytes out.
    fn call(&self, request: Vec<u8>) -> Result<Vec<u8>, Hresult>;
    /// `Quiesce`: whether no host thread runs, waiting at most `timeout` for that.
    fn quiesce(&self, timeout: Duration) -> bool;
    /// `DumpThreads`: every unfinished thread, one `name<TAB>what` line each.
    fn dump_threads(&self) -> String;
}

/// A host's proxy to its service's callback object.
pub struct ServiceProxy {
    service: IPlughostCallback1,
}

// SAFETY: the proxy was unmarshalled into the multithreaded apartment, whose proxies may be
// called from any thread; a thread outside any apartment gets CO_E_NOTINITIALIZED, an error,
// not undefined behaviour. The reference count is atomic.
unsafe impl Send for ServiceProxy {}
// SAFETY: as above; COM serialises nothing on an MTA proxy and needs no exclusive access.
unsafe impl Sync for ServiceProxy {}

impl ServiceProxy {
    /// `Call` from host thread `thread`: the reply's bytes, or the HRESULT COM returned
    /// (the service died: `RPC_S_CALL_FAILED`, `RPC_S_SERVER_UNAVAILABLE`).
    pub fn call(&self, thread: u32, request: &[u8]) -> Result<Vec<u8>, Hresult> {
        let array = bytes::to_safearray(request).ok_or(E_INVALIDARG)?;
        let mut reply: *mut SAFEARRAY = std::ptr::null_mut();
        // SAFETY: `array` is a live array this side owns; `reply` is a live out-slot.
        let hr = unsafe { self.service.Call(thread, array, &mut reply) };
        bytes::free(array);
        hr.ok().map_err(|e| code(&e))?;
        let answer = bytes::from_safearray(reply);
        bytes::free(reply);
        answer.ok_or(E_INVALIDARG)
    }

    /// `Plugin`: what the plugin observed of itself on host thread `thread`.
    pub fn plugin(&self, thread: u32, event: &[u8]) -> Result<(), Hresult> {
        let array = bytes::to_safearray(event).ok_or(E_INVALIDARG)?;
        // SAFETY: `array` is a live array this side owns.
        let hr = unsafe { self.service.Plugin(thread, array) };
        bytes::free(array);
        hr.ok().map_err(|e| code(&e))
    }

    /// `Trace`: a trace line of a host thread.
    pub fn trace(&self, thread: &str, line: &str) -> Result<(), Hresult> {
        let (thread, line) = (BSTR::from(thread), BSTR::from(line));
        // SAFETY: both strings are live BSTRs (or null when empty) for the call.
        let hr = unsafe { self.service.Trace(bytes::in_bstr(&thread), bytes::in_bstr(&line)) };
        hr.ok().map_err(|e| code(&e))
    }
}

/// The one host object of a host process.
#[implement(IPlughostHost1)]
struct HostObject {
    handler: Arc<dyn HostHandler>,
    released: Arc<Event>,
}

impl Drop for HostObject {
    fn drop(&mut self) {
        self.released.set();
    }
}

fn hresult(code: Hresult) -> HRESULT {
    HRESULT(code as i32)
}

impl IPlughostHost1_Impl for HostObject_Impl {
    unsafe fn Attach(
        &self,
        callback: *mut c_void,
        service_pid: u32,
        job: u32,
        plugin: *const u16,
        options: *const u16,
        host_pid: *mut u32,
    ) -> HRESULT {
        // SAFETY: `callback` is null or a live interface pointer for the call's duration.
        let Some(service) = (unsafe { IPlughostCallback1::from_raw_borrowed(&callback) }) else {
            return hresult(E_INVALIDARG);
        };
        if host_pid.is_null() {
            return E_POINTER;
        }
        let service = ServiceProxy { service: service.clone() };
        let (plugin, options) = (bytes::borrowed_text(plugin), bytes::borrowed_text(options));
        match self.handler.attach(service, service_pid, job, plugin, options) {
            Ok(()) => {
                // SAFETY: checked non-null; COM's out-slot lives for the call.
                unsafe { host_pid.write(current_process_id()) };
                HRESULT(0)
            }
            Err(code) => hresult(code),
        }
    }

    unsafe fn Call(&self, request: *const SAFEARRAY, reply: *mut *mut SAFEARRAY) -> HRESULT {
        if reply.is_null() {
            return E_POINTER;
        }
        let Some(request) = bytes::from_safearray(request) else { return hresult(E_INVALIDARG) };
        let answer = match self.handler.call(request) {
            Ok(answer) => answer,
            Err(code) => return hresult(code),
        };
        let Some(array) = bytes::to_safearray(&answer) else { return hresult(E_INVALIDARG) };
        // SAFETY: checked non-null; the caller takes ownership of the array.
        unsafe { reply.write(array) };
        HRESULT(0)
    }

    unsafe fn Quiesce(&self, timeout_ms: u32, quiet: *mut VARIANT_BOOL) -> HRESULT {
        if quiet.is_null() {
            return E_POINTER;
        }
        let answer = self.handler.quiesce(Duration::from_millis(u64::from(timeout_ms)));
        // SAFETY: checked non-null; COM's out-slot lives for the call.
        unsafe { quiet.write(if answer { VARIANT_TRUE } else { VARIANT_FALSE }) };
        HRESULT(0)
    }

    unsafe fn DumpThreads(&self, threads: *mut *const u16) -> HRESULT {
        if threads.is_null() {
            return E_POINTER;
        }
        let text = BSTR::from(self.handler.dump_threads());
        // SAFETY: checked non-null; the caller takes ownership of the string.
        unsafe { threads.write(text.into_raw()) };
        HRESULT(0)
    }
}

/// The class factory: one host object per process, ever.
#[implement(IClassFactory)]
struct Factory {
    handler: Arc<dyn HostHandler>,
    created: Arc<Event>,
    released: Arc<Event>,
    used: AtomicBool,
}

impl IClassFactory_Impl for Factory_Impl {
    fn CreateInstance(
        &self,
        outer: Ref<IUnknown>,
        iid: *const GUID,
        object: *mut *mut c_void,
    ) -> windows_core::Result<()> {
        if !outer.is_null() {
            return Err(CLASS_E_NOAGGREGATION.into());
        }
        if self.used.swap(true, Ordering::SeqCst) {
            return Err(hresult(CO_E_SERVER_EXEC_FAILURE).into());
        }
        let host: IUnknown =
            HostObject { handler: self.handler.clone(), released: self.released.clone() }.into();
        self.created.set();
        // SAFETY: `iid` and `object` are COM's live in and out pointers for this call.
        unsafe { host.query(iid, object) }.ok()
    }

    fn LockServer(&self, _lock: BOOL) -> windows_core::Result<()> {
        Ok(())
    }
}

/// How a local server's life ended.
#[derive(Debug)]
pub enum ServeEnd {
    /// Its host object was created and then released by every client.
    Released,
    /// Nobody activated it within the first-activation timeout.
    NeverActivated,
    /// The class could not be registered.
    Failed(Error),
}

/// Serves class `clsid` with `handler` until the host object is released, or until nobody
/// activated it within `first_activation`. The calling thread stays in the MTA afterwards
/// (never uninitialised): the process is meant to end right after, with proxies that plugin
/// threads may still hold.
pub fn serve(clsid: Guid, handler: Arc<dyn HostHandler>, first_activation: Duration) -> ServeEnd {
    let _mta = ManuallyDrop::new(Mta::enter());
    let (created, released) = match (Event::new(true), Event::new(true)) {
        (Ok(created), Ok(released)) => (Arc::new(created), Arc::new(released)),
        (Err(error), _) | (_, Err(error)) => return ServeEnd::Failed(error),
    };
    let factory: IClassFactory = Factory {
        handler,
        created: created.clone(),
        released: released.clone(),
        used: AtomicBool::new(false),
    }
    .into();
    // SAFETY: `clsid` lives for the call; the factory is a live object COM keeps a reference to.
    let cookie =
        match unsafe { CoRegisterClassObject(&clsid.0, &factory, CLSCTX_LOCAL_SERVER, REGCLS_SINGLEUSE) } {
            Ok(cookie) => cookie,
            Err(error) => return ServeEnd::Failed(Error::of("CoRegisterClassObject", error)),
        };
    let end = if created.wait(Some(first_activation)) {
        released.wait(None);
        ServeEnd::Released
    } else {
        ServeEnd::NeverActivated
    };
    // SAFETY: `cookie` is this registration's, revoked once.
    let _ = unsafe { CoRevokeClassObject(cookie) };
    end
}
