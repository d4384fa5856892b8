//! The host's end of the COM transport: `plughost-host --com-server CLSID`, started by COM
//! as the local server of that class. Its one host object is attached by the service —
//! the service's callback object, the job to join, the plugin — and then serves hook calls,
//! each on the COM RPC thread that received it, as a host thread `H-n`.
//!
//! The host joins the service's kill-on-close job in `Attach`, before any plugin code runs,
//! as PR 40769's `Initialize` does: a failure to join fails `Attach`. It exits when the
//! service releases it, or with status 1 when nobody activates it within a minute (WSL's
//! orphan guard).

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use plughost_model::event::PluginEvent;
use plughost_model::hresult::{E_ILLEGAL_METHOD_CALL, E_UNEXPECTED, HResult};
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_model::plugin_host::PluginHost;
use plughost_model::wire::{CallbackReply, CallbackRequest, HostRequest};
use plughost_win32::com::{self, Guid, HostHandler, ServeEnd, ServiceProxy};

use crate::platform::{ProcessCore, RealPlatform};
use crate::transport::Uplink;

/// How long a started host waits to be activated before it gives up (WSL: 60 s).
const FIRST_ACTIVATION: Duration = Duration::from_secs(60);

/// `plughost-host --com-server CLSID`'s `main`.
pub(crate) fn serve_host(class: Option<&str>) -> ExitCode {
    let Some(class) = class.and_then(Guid::parse) else {
        eprintln!("plughost-host: --com-server needs a class id ({{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}})");
        return ExitCode::from(2);
    };
    match com::serve(class, Arc::new(ComHostHandler::default()), FIRST_ACTIVATION) {
        ServeEnd::Released => ExitCode::SUCCESS,
        ServeEnd::NeverActivated => {
            eprintln!("plughost-host: nobody activated {class} within {} s", FIRST_ACTIVATION.as_secs());
            ExitCode::from(1)
        }
        ServeEnd::Failed(error) => {
            eprintln!("plughost-host: cannot serve {class}: {error}");
            ExitCode::from(1)
        }
    }
}

/// The host's state once attached.
struct Attached {
    core: Arc<ProcessCore>,
    host: Arc<PluginHost<RealPlatform>>,
    /// `hostile=garbage`: reply to calls with bytes that do not decode (for the service's
    /// tests).
    garbage: bool,
}

/// The host object's behaviour.
#[derive(Default)]
struct ComHostHandler {
    attached: OnceLock<Attached>,
}

impl ComHostHandler {
    fn attached(&self) -> Result<&Attached, com::Hresult> {
        self.attached.get().ok_or(E_UNEXPECTED.0)
    }
}

impl HostHandler for ComHostHandler {
    fn attach(
        &self,
        service: ServiceProxy,
        service_pid: u32,
        job: u32,
        plugin: String,
        options: String,
    ) -> Result<(), com::Hresult> {
        if self.attached.get().is_some() {
            return Err(E_ILLEGAL_METHOD_CALL.0);
        }
        // Before any plugin code runs: die with the service.
        plughost_win32::process::join_job_of(service_pid, job).map_err(|e| e.hresult)?;
        let words: Vec<&str> = options.split_whitespace().collect();
        let trace = words.contains(&"trace");
        let garbage = words.contains(&"hostile=garbage");
        let (core, host) =
            crate::host::host_process(&Name::from(plugin), Arc::new(ComUplink { service }), trace);
        self.attached.set(Attached { core, host, garbage }).map_err(|_| E_ILLEGAL_METHOD_CALL.0)
    }

    fn call(&self, request: Vec<u8>) -> Result<Vec<u8>, com::Hresult> {
        let attached = self.attached()?;
        let request = postcard::from_bytes::<HostRequest>(&request).map_err(|_| com::E_INVALIDARG)?;
        if attached.garbage {
            return Ok(vec![0xde, 0xad, 0xbe, 0xef]);
        }
        let reply =
            attached.core.adopt_rpc_thread(None, attached.host.serve(request)).map_err(|_| E_UNEXPECTED.0)?;
        postcard::to_allocvec(&reply).map_err(|_| E_UNEXPECTED.0)
    }

    fn quiesce(&self, timeout: Duration) -> bool {
        self.attached
            .get()
            .is_none_or(|attached| attached.core.threads.wait_all_done(Instant::now() + timeout))
    }

    fn dump_threads(&self) -> String {
        let Some(attached) = self.attached.get() else { return String::new() };
        let threads = attached.core.threads.unfinished();
        threads.into_iter().map(|(name, activity)| format!("{name}\t{}\n", activity.describe())).collect()
    }
}

/// A COM host's way to its service: the service's callback object.
struct ComUplink {
    service: ServiceProxy,
}

impl Uplink for ComUplink {
    fn callback(&self, thread: ThreadId, request: CallbackRequest) -> Result<CallbackReply, HResult> {
        let request = postcard::to_allocvec(&request).map_err(|_| E_UNEXPECTED)?;
        let reply = self.service.call(thread.0, &request).map_err(HResult)?;
        postcard::from_bytes(&reply).map_err(|_| E_UNEXPECTED)
    }

    fn plugin_event(&self, thread: ThreadId, plugin: &Name, event: PluginEvent) {
        if let Ok(bytes) = postcard::to_allocvec(&(plugin, event)) {
            // A service that is gone takes this host with it (the job); nothing to do.
            let _ = self.service.plugin(thread.0, &bytes);
        }
    }

    fn trace(&self, thread: &str, line: String) {
        let thread = thread.split_once('/').map_or(thread, |(_, t)| t);
        let _ = self.service.trace(thread, &line);
    }
}
