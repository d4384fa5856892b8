//! The service side: activating a host (`CoCreateInstance(CLSCTX_LOCAL_SERVER)` of a class
//! whose server is `plughost-host`), its proxy, and the service's callback object, whose
//! methods COM runs on its own RPC threads in the service.

use std::ffi::c_void;
use std::sync::Arc;
use std::time::Duration;

use windows::Win32::Foundation::{E_POINTER, VARIANT_BOOL};
use windows::Win32::System::Com::{CLSCTX_LOCAL_SERVER, CoCreateInstance, CoDisconnectObject, SAFEARRAY};
use windows_core::{BSTR, HRESULT, Interface, implement};

use super::interfaces::{IPlughostCallback1, IPlughostCallback1_Impl, IPlughostHost1};
use super::{E_INVALIDARG, Guid, Hresult, bytes, code};

/// What the service does with its hosts' calls. Each method runs on the COM RPC thread that
/// received the call; calls arrive concurrently.
pub trait CallbackHandler: Send + Sync + 'static {
    /// `Call` from host thread `thread`: one callback's bytes in, the reply's bytes out.
    fn call(&self, thread: u32, request: Vec<u8>) -> Result<Vec<u8>, Hresult>;
    /// `Plugin`: what the plugin observed of itself on host thread `thread`.
    fn plugin(&self, thread: u32, event: Vec<u8>) -> Result<(), Hresult>;
    /// `Trace`: a trace line of a host thread.
    fn trace(&self, thread: String, line: String);
}

#[implement(IPlughostCallback1)]
struct CallbackImpl {
    handler: Arc<dyn CallbackHandler>,
}

fn hresult(code: Hresult) -> HRESULT {
    HRESULT(code as i32)
}

impl IPlughostCallback1_Impl for CallbackImpl_Impl {
    unsafe fn Call(&self, thread: u32, request: *const SAFEARRAY, reply: *mut *mut SAFEARRAY) -> HRESULT {
        if reply.is_null() {
            return E_POINTER;
        }
        let Some(request) = bytes::from_safearray(request) else { return hresult(E_INVALIDARG) };
        let answer = match self.handler.call(thread, request) {
            Ok(answer) => answer,
            Err(code) => return hresult(code),
        };
        let Some(array) = bytes::to_safearray(&answer) else { return hresult(E_INVALIDARG) };
        // SAFETY: checked non-null; the caller takes ownership of the array.
        unsafe { reply.write(array) };
        HRESULT(0)
    }

    unsafe fn Plugin(&self, thread: u32, event: *const SAFEARRAY) -> HRESULT {
        let Some(event) = bytes::from_safearray(event) else { return hresult(E_INVALIDARG) };
        match self.handler.plugin(thread, event) {
            Ok(()) => HRESULT(0),
            Err(code) => hresult(code),
        }
    }

    unsafe fn Trace(&self, thread: *const u16, line: *const u16) -> HRESULT {
        self.handler.trace(bytes::borrowed_text(thread), bytes::borrowed_text(line));
        HRESULT(0)
    }
}

/// The service's callback object for one host. Dropping it disconnects it
/// (`CoDisconnectObject`): the host's later calls fail, and COM drops the references it held
/// for the host.
pub struct CallbackObject {
    object: IPlughostCallback1,
}

// SAFETY: the object is this process's own, free-threaded implementation (its handler is
// Send + Sync and its reference count atomic); COM calls it on any RPC thread anyway.
unsafe impl Send for CallbackObject {}
// SAFETY: as above.
unsafe impl Sync for CallbackObject {}

impl CallbackObject {
    /// A callback object serving `handler`.
    pub fn new(handler: Arc<dyn CallbackHandler>) -> CallbackObject {
        CallbackObject { object: CallbackImpl { handler }.into() }
    }
}

impl Drop for CallbackObject {
    fn drop(&mut self) {
        // SAFETY: the object is live; disconnecting only severs remote references to it.
        let _ = unsafe { CoDisconnectObject(&*self.object, None) };
    }
}

/// The service's proxy to one host object.
pub struct HostProxy {
    host: IPlughostHost1,
}

// SAFETY: the proxy lives in the multithreaded apartment, whose proxies may be called from
// any thread; a thread outside any apartment gets CO_E_NOTINITIALIZED, an error, not
// undefined behaviour. The reference count is atomic.
unsafe impl Send for HostProxy {}
// SAFETY: as above.
unsafe impl Sync for HostProxy {}

impl HostProxy {
    /// `CoCreateInstance(clsid, CLSCTX_LOCAL_SERVER)`: COM starts a fresh host process. The
    /// calling thread must be in the MTA.
    pub fn activate(clsid: Guid) -> Result<HostProxy, Hresult> {
        // SAFETY: `clsid` lives for the call; no aggregation.
        let host = unsafe { CoCreateInstance::<_, IPlughostHost1>(&clsid.0, None, CLSCTX_LOCAL_SERVER) };
        host.map(|host| HostProxy { host }).map_err(|e| code(&e))
    }

    /// `Attach`: hands the host the callback object, the job to join and its plugin; returns
    /// the host's process id.
    pub fn attach(
        &self,
        callback: &CallbackObject,
        service_pid: u32,
        job: u32,
        plugin: &str,
        options: &str,
    ) -> Result<u32, Hresult> {
        let (plugin, options) = (BSTR::from(plugin), BSTR::from(options));
        let mut host_pid = 0u32;
        let raw: *mut c_void = callback.object.as_raw();
        // SAFETY: the callback object, the strings and the out-slot all live for the call.
        let hr = unsafe {
            self.host.Attach(
                raw,
                service_pid,
                job,
                bytes::in_bstr(&plugin),
                bytes::in_bstr(&options),
                &mut host_pid,
            )
        };
        hr.ok().map(|()| host_pid).map_err(|e| code(&e))
    }

    /// `Call`: the reply's bytes, or the HRESULT COM returned (the host died:
    /// `RPC_S_CALL_FAILED` during the call, `RPC_S_SERVER_UNAVAILABLE` after).
    pub fn call(&self, request: &[u8]) -> Result<Vec<u8>, Hresult> {
        let array = bytes::to_safearray(request).ok_or(E_INVALIDARG)?;
        let mut reply: *mut SAFEARRAY = std::ptr::null_mut();
        // SAFETY: `array` is a live array this side owns; `reply` is a live out-slot.
        let hr = unsafe { self.host.Call(array, &mut reply) };
        bytes::free(array);
        hr.ok().map_err(|e| code(&e))?;
        let answer = bytes::from_safearray(reply);
        bytes::free(reply);
        answer.ok_or(E_INVALIDARG)
    }

    /// `Quiesce`: whether no host thread runs, the host waiting at most `timeout`.
    pub fn quiesce(&self, timeout: Duration) -> Result<bool, Hresult> {
        let milliseconds = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let mut quiet = VARIANT_BOOL(0);
        // SAFETY: `quiet` is a live out-slot.
        let hr = unsafe { self.host.Quiesce(milliseconds, &mut quiet) };
        hr.ok().map(|()| quiet.0 != 0).map_err(|e| code(&e))
    }

    /// `DumpThreads`: the host's unfinished threads, one `name<TAB>what` line each.
    pub fn dump_threads(&self) -> Result<String, Hresult> {
        let mut raw: *const u16 = std::ptr::null();
        // SAFETY: `raw` is a live out-slot.
        let hr = unsafe { self.host.DumpThreads(&mut raw) };
        hr.ok().map_err(|e| code(&e))?;
        // SAFETY: on success `raw` is null or a BSTR the callee allocated for this side.
        let text = unsafe { BSTR::from_raw(raw) };
        Ok(text.to_string())
    }
}
