//! What crosses the process boundary between the service and a plugin host: hook calls
//! out (`IWslPluginHost`), plugin callbacks in (`IWslPluginHostCallback`), and their replies.
//!
//! Owns the message shapes and the per-hook facts of spec §2.1 (fatal or not, message-
//! carrying or not). It never performs a call: the platform's transport moves these values.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

use crate::design::Variant;
use crate::hresult::HResult;
use crate::ids::{Name, SessionCookie};
use crate::script::PluginScript;

/// The twelve hooks of spec §2.1: six WSL hooks, then six WSLC hooks.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum HookKind {
    /// `OnVMStarted`.
    VmStarted,
    /// `OnVMStopping`.
    VmStopping,
    /// `OnDistributionStarted`.
    DistributionStarted,
    /// `OnDistributionStopping`.
    DistributionStopping,
    /// `OnDistributionRegistered`.
    DistributionRegistered,
    /// `OnDistributionUnregistered`.
    DistributionUnregistered,
    /// `OnWslcSessionCreated` (the plugin's `OnSessionCreated`, a veto).
    WslcSessionCreated,
    /// `OnWslcSessionStopping`.
    WslcSessionStopping,
    /// `OnWslcContainerStarted` (a veto).
    WslcContainerStarted,
    /// `OnWslcContainerStopping`.
    WslcContainerStopping,
    /// `OnWslcImageCreated`.
    WslcImageCreated,
    /// `OnWslcImageDeleted`.
    WslcImageDeleted,
}

impl HookKind {
    /// Start and veto hooks are fatal: a failure aborts the operation (spec §2
    /// "Veto/start hooks").
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            HookKind::VmStarted
                | HookKind::DistributionStarted
                | HookKind::WslcSessionCreated
                | HookKind::WslcContainerStarted
        )
    }

    /// WSLC hooks: called directly on the notifying thread, no pump, no latch gate (§2.1, §6).
    pub fn is_wslc(self) -> bool {
        matches!(
            self,
            HookKind::WslcSessionCreated
                | HookKind::WslcSessionStopping
                | HookKind::WslcContainerStarted
                | HookKind::WslcContainerStopping
                | HookKind::WslcImageCreated
                | HookKind::WslcImageDeleted
        )
    }

    /// Hooks whose `PluginError` text is returned to the service (spec §2.2).
    pub fn carries_message(self) -> bool {
        self.is_fatal()
    }

    /// The `IWslPluginHost` method name.
    pub fn method(self) -> &'static str {
        match self {
            HookKind::VmStarted => "OnVMStarted",
            HookKind::VmStopping => "OnVMStopping",
            HookKind::DistributionStarted => "OnDistributionStarted",
            HookKind::DistributionStopping => "OnDistributionStopping",
            HookKind::DistributionRegistered => "OnDistributionRegistered",
            HookKind::DistributionUnregistered => "OnDistributionUnregistered",
            HookKind::WslcSessionCreated => "OnWslcSessionCreated",
            HookKind::WslcSessionStopping => "OnWslcSessionStopping",
            HookKind::WslcContainerStarted => "OnWslcContainerStarted",
            HookKind::WslcContainerStopping => "OnWslcContainerStopping",
            HookKind::WslcImageCreated => "OnWslcImageCreated",
            HookKind::WslcImageDeleted => "OnWslcImageDeleted",
        }
    }
}

impl fmt::Display for HookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.method())
    }
}

/// What a distribution hook tells the plugin (`WSLDistributionInformation`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DistroInfo {
    /// The distribution's name.
    pub name: Name,
    /// Stands in for the distribution GUID: stable across restarts.
    pub id: u32,
    /// The init process id; differs on every start (0 for offline hooks).
    pub init_pid: u32,
}

/// What a WSLC hook tells the plugin besides the session id (`WSLCSessionInformation` and
/// the container or image).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct WslcInfo {
    /// The session's display name.
    pub name: Name,
    /// The container or image, for the four container and image hooks.
    pub object: Option<Name>,
}

/// One outbound hook call with its arguments.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct HookCall {
    /// Which hook.
    pub kind: HookKind,
    /// The session the hook is about: the WSL session's cookie, or the WSLC session's id.
    pub session: SessionCookie,
    /// The user the session's `UserToken` resolves to in the host; `None` when the hook
    /// carries no usable token (none while no VM runs, §9.15).
    pub user: Option<Name>,
    /// `WSLVmCreationSettings::CustomConfigurationFlags`, for `OnVMStarted` only.
    pub vm_flags: Option<u32>,
    /// The distribution, for the four distribution hooks.
    pub distro: Option<DistroInfo>,
    /// The WSLC session's name and object, for the six WSLC hooks.
    pub wslc: Option<WslcInfo>,
}

/// A hook's reply: the plugin's HRESULT and, for message-carrying hooks, its `PluginError` text.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct HostReply {
    /// Returned verbatim from the plugin, or from host-side validation.
    pub hr: HResult,
    /// The `[out] ErrorMessage`.
    pub error_message: Option<String>,
}

impl HostReply {
    /// A reply with no message.
    pub fn hr(hr: HResult) -> HostReply {
        HostReply { hr, error_message: None }
    }
}

/// A call from the service to a host.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum HostRequest {
    /// `IWslPluginHost::Initialize`: load the plugin (here, its script) and run its entry point.
    Initialize {
        /// The plugin's registry value name.
        name: Name,
        /// The plugin's behaviour.
        script: Arc<PluginScript>,
        /// The design the host's code follows (a mutant may live in the host).
        variant: Variant,
    },
    /// One `On…` hook.
    Hook(HookCall),
    /// The service's last reference goes (`PluginManager::Shutdown` revokes the GIT cookie):
    /// the host object's destructor runs.
    Release,
}

impl HostRequest {
    /// The `IWslPluginHost` method name.
    pub fn method(&self) -> &'static str {
        match self {
            HostRequest::Initialize { .. } => "Initialize",
            HostRequest::Hook(call) => call.kind.method(),
            HostRequest::Release => "Release",
        }
    }
}

/// The plugin API calls that reach the service (spec §3.1 WSL, §3.3 WSLC).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum ApiCall {
    /// `MountFolder`.
    MountFolder {
        /// Windows source folder.
        windows_path: Name,
        /// Mount point in the root namespace.
        linux_path: Name,
        /// Read-only mount.
        read_only: bool,
        /// Mount name.
        name: Name,
    },
    /// `ExecuteBinary` in the root namespace.
    ExecuteBinary {
        /// The binary.
        path: Name,
        /// Its arguments (argv\[1..\]).
        args: Vec<Name>,
    },
    /// `ExecuteBinaryInDistribution`.
    ExecuteBinaryInDistribution {
        /// Stands in for the distribution GUID.
        distro: u32,
        /// The binary.
        path: Name,
        /// Its arguments.
        args: Vec<Name>,
    },
    /// `WSLCMountFolder`.
    WslcMountFolder {
        /// Windows source folder.
        windows_path: Name,
        /// Mount point in the session.
        mountpoint: Name,
        /// Read-only mount.
        read_only: bool,
    },
    /// `WSLCUnmountFolder`.
    WslcUnmountFolder {
        /// Mount point in the session.
        mountpoint: Name,
    },
    /// `WSLCCreateProcess`.
    WslcCreateProcess {
        /// The executable.
        executable: Name,
        /// Its arguments.
        args: Vec<Name>,
    },
}

impl ApiCall {
    /// The plugin API name.
    pub fn method(&self) -> &'static str {
        match self {
            ApiCall::MountFolder { .. } => "MountFolder",
            ApiCall::ExecuteBinary { .. } => "ExecuteBinary",
            ApiCall::ExecuteBinaryInDistribution { .. } => "ExecuteBinaryInDistribution",
            ApiCall::WslcMountFolder { .. } => "WSLCMountFolder",
            ApiCall::WslcUnmountFolder { .. } => "WSLCUnmountFolder",
            ApiCall::WslcCreateProcess { .. } => "WSLCCreateProcess",
        }
    }

    /// WSLC calls name a WSLC session id and never go through the pump (§3.3).
    pub fn is_wslc(&self) -> bool {
        matches!(
            self,
            ApiCall::WslcMountFolder { .. }
                | ApiCall::WslcUnmountFolder { .. }
                | ApiCall::WslcCreateProcess { .. }
        )
    }
}

/// A callback from a host to the service.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallbackRequest {
    /// The `SessionId` the plugin passed; nothing checks it belongs to the caller (spec §3).
    pub session: SessionCookie,
    /// The API call.
    pub api: ApiCall,
}

impl CallbackRequest {
    /// How traces and thread reports name the call: the API and the session it names.
    pub fn label(&self) -> String {
        let method = self.api.method();
        let mut label = String::with_capacity(method.len() + 32);
        label.push_str(method);
        label.push_str(" (");
        self.session.push_name(&mut label, self.api.is_wslc());
        label.push(')');
        label
    }
}

/// A callback's reply.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallbackReply {
    /// The service's HRESULT.
    pub hr: HResult,
    /// What a launched process printed (stands in for the returned socket).
    pub output: Option<String>,
    /// `WSLCCreateProcess`'s `Errno`.
    pub errno: Option<i32>,
}

impl CallbackReply {
    /// A reply without output.
    pub fn hr(hr: HResult) -> CallbackReply {
        CallbackReply { hr, output: None, errno: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_is_labelled_by_its_api_and_the_session_it_names() {
        let request = |api| CallbackRequest { session: SessionCookie(12), api };
        let run = ApiCall::ExecuteBinary { path: "/bin/true".into(), args: Vec::new() };
        assert_eq!(request(run).label(), "ExecuteBinary (session#12)");
        let unmount = ApiCall::WslcUnmountFolder { mountpoint: "/mnt/x".into() };
        assert_eq!(request(unmount).label(), "WSLCUnmountFolder (wslc#12)");
    }
}
