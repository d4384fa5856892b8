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

/// The six WSL hooks (spec §2.1).
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
}

impl HookKind {
    /// Start hooks are fatal: a failure aborts the operation (spec §2 "Veto/start hooks").
    pub fn is_fatal(self) -> bool {
        matches!(self, HookKind::VmStarted | HookKind::DistributionStarted)
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

/// One outbound hook call with its arguments.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct HookCall {
    /// Which hook.
    pub kind: HookKind,
    /// The session the hook is about.
    pub session: SessionCookie,
    /// The distribution, for the four distribution hooks.
    pub distro: Option<DistroInfo>,
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
}

impl HostRequest {
    /// The `IWslPluginHost` method name.
    pub fn method(&self) -> &'static str {
        match self {
            HostRequest::Initialize { .. } => "Initialize",
            HostRequest::Hook(call) => call.kind.method(),
        }
    }
}

/// The WSL plugin API calls that reach the service (spec §3.1).
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
}

impl ApiCall {
    /// The plugin API name.
    pub fn method(&self) -> &'static str {
        match self {
            ApiCall::MountFolder { .. } => "MountFolder",
            ApiCall::ExecuteBinary { .. } => "ExecuteBinary",
            ApiCall::ExecuteBinaryInDistribution { .. } => "ExecuteBinaryInDistribution",
        }
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
        format!("{} ({})", self.api.method(), self.session)
    }
}

/// A callback's reply.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CallbackReply {
    /// The service's HRESULT.
    pub hr: HResult,
    /// What a launched process printed (stands in for the returned socket).
    pub output: Option<String>,
}

impl CallbackReply {
    /// A reply without output.
    pub fn hr(hr: HResult) -> CallbackReply {
        CallbackReply { hr, output: None }
    }
}
