//! The service's handle on one plugin: a host process reached through the transport (the
//! two out-of-process designs), or the plugin loaded into the service itself (the
//! in-process design, spec Appendix A), whose hooks are plain calls on the calling thread.
//!
//! Owns only the choice between the two; it never decides when to call.

use std::sync::Arc;

use crate::hresult::HResult;
use crate::platform::{HostLink, Platform};
use crate::plugin_host::PluginHost;
use crate::wire::{HostReply, HostRequest};

/// One loaded plugin, as the plugin manager holds it.
pub(crate) enum HostEnd<P: Platform> {
    /// `IWslPluginHost` of a host process.
    Remote(P::HostLink),
    /// The plugin DLL inside the service.
    InProcess(Arc<PluginHost<P>>),
}

impl<P: Platform> HostEnd<P> {
    /// Calls the plugin: across processes, or on the calling thread.
    pub(crate) async fn call(&self, request: HostRequest) -> Result<HostReply, HResult> {
        match self {
            HostEnd::Remote(link) => link.call(request).await,
            HostEnd::InProcess(host) => Ok(host.serve(request).await),
        }
    }

    /// Ends the host (closing the job); an in-process plugin ends with the service.
    pub(crate) fn kill(&self) {
        if let HostEnd::Remote(link) = self {
            link.kill();
        }
    }
}
