//! A scripted plugin's behaviour as data: what it does when loaded and in each hook.
//!
//! Owns the action vocabulary (log, call an API, `PluginError`, resolve the token's user,
//! spawn / join a worker, rendezvous, loop, branch on a flag or on a rendered text, remember a
//! text, sleep, set / wait a flag, return an HRESULT, crash, hang). The scenario
//! parser builds these values; `scripted_plugin` interprets them. Nothing here runs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::hresult::HResult;
use crate::ids::Name;
use crate::wire::HookKind;

/// A sequence of actions, shared cheaply with spawned workers.
pub type Block = Arc<[Action]>;

/// Everything one plugin does: its DLL.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PluginScript {
    /// The DLL's signature does not verify (`TRUST_E_NOSIGNATURE`, §5.1).
    pub unsigned: bool,
    /// The entry point (`WSLPluginAPIV1_EntryPoint`); returning a failure fails the load.
    pub on_load: Block,
    /// Implemented hooks; an absent hook is a null pointer (the host answers `S_OK`).
    pub hooks: BTreeMap<HookKind, Block>,
}

impl PluginScript {
    /// Whether some action of the plugin remembers a text named `name`.
    pub fn remembers(&self, name: &str) -> bool {
        std::iter::once(&self.on_load).chain(self.hooks.values()).any(|block| block_remembers(block, name))
    }
}

fn block_remembers(block: &[Action], name: &str) -> bool {
    block.iter().any(|action| match action {
        Action::Remember { name: remembered, .. } => **remembered == *name,
        Action::Spawn { body, .. } | Action::Repeat { body, .. } | Action::LoopUntilFlag { body, .. } => {
            block_remembers(body, name)
        }
        Action::IfFlag { then, otherwise, .. } | Action::IfMatches { then, otherwise, .. } => {
            block_remembers(then, name) || block_remembers(otherwise, name)
        }
        _ => false,
    })
}

/// A log line with `{placeholder}`s, rendered when the action runs.
///
/// Placeholders: `{hr}`, `{output}` and `{errno}` of the thread's last API call, `{distro}`,
/// `{distro_id}` and `{init_pid}` of the hook's distribution, `{session}` (the WSL cookie or
/// WSLC id), `{user}` (whom the hook's token resolves to), `{vm_flags}` (`OnVMStarted`'s
/// `CustomConfigurationFlags`), `{wslc_session}` and `{object}` (a WSLC hook's session name,
/// and its container or image), `{worker}` (the thread's worker name), `{NAME}` and
/// `{NAME.max}` of a counter, `{NAME}` of a remembered text. `{{` and `}}` are literal braces.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Template(pub String);

/// One step of a plugin thread.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Action {
    /// Appends a line to the plugin's log.
    Log(Template),
    /// Calls the plugin API.
    Call(ApiAction),
    /// `PluginError(message)`; the result becomes the thread's last result.
    PluginError(String),
    /// Resolves the user the hook's token belongs to (`GetTokenInformation`,
    /// `LookupAccountSid`); the result becomes the thread's last result; `Return` ends the
    /// hook with a failure.
    LookupUser(OnError),
    /// Starts `count` worker threads running `body` (named `worker`, or `worker-1`… when
    /// `count > 1`). Workers inherit the hook's session and distribution.
    Spawn { worker: Name, count: u32, body: Block },
    /// Joins every started, not yet joined worker of that name (a no-op when none).
    Join(Name),
    /// Blocks until `parties` threads reached the rendezvous of that name.
    Rendezvous { name: Name, parties: u32 },
    /// Adds `by` to a counter, tracking its high-water mark.
    Add { counter: Name, by: i64 },
    /// Runs `body` `times` times.
    Repeat { times: u32, body: Block },
    /// Runs `body` until `flag` is seen set, then `extra` more times; sleeps `pause` after
    /// each iteration that does not end the loop (the test plugin's wind-down loop, §8 test 32).
    LoopUntilFlag { flag: Name, extra: u32, pause: Duration, body: Block },
    /// Runs `then` if `flag` is set, else `otherwise`.
    IfFlag { flag: Name, then: Block, otherwise: Block },
    /// Renders `text` and `pattern`, and runs `then` if the text matches the pattern (`*`
    /// and `?` wildcards, as expected logs), else `otherwise`.
    IfMatches { text: Template, pattern: Template, then: Block, otherwise: Block },
    /// Renders `value` and keeps it as the plugin-wide text `name` (`{name}` in templates;
    /// empty until remembered).
    Remember { name: Name, value: Template },
    /// Sleeps.
    Sleep(Duration),
    /// Sets a plugin-wide flag (a manual-reset event).
    SetFlag(Name),
    /// Waits until a flag is set.
    WaitFlag(Name),
    /// Returns from the hook (or ends the worker) with this HRESULT.
    Return(HResult),
    /// Terminates the host process (`TerminateProcess(GetCurrentProcess())`).
    Crash,
    /// Blocks this thread forever.
    Hang,
}

/// An API call and what the thread does with its result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiAction {
    /// Which API, with its arguments.
    pub api: ApiTemplate,
    /// The session cookie to pass instead of the hook's (e.g. a bogus one).
    pub session: Option<u32>,
    /// What a failure does.
    pub on_error: OnError,
    /// Counter incremented on success.
    pub count_ok: Option<Name>,
    /// Counter incremented on failure.
    pub count_err: Option<Name>,
}

/// The API of an [`ApiAction`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ApiTemplate {
    /// `MountFolder`.
    MountFolder { windows_path: Name, linux_path: Name, read_only: bool, name: Name },
    /// `ExecuteBinary`.
    ExecuteBinary { path: Name, args: Vec<Name> },
    /// `ExecuteBinaryInDistribution`; `distro` defaults to the hook's distribution.
    ExecuteBinaryInDistribution { distro: Option<Name>, path: Name, args: Vec<Name> },
    /// `WSLCMountFolder` (the session defaults to the hook's WSLC session).
    WslcMountFolder { windows_path: Name, mountpoint: Name, read_only: bool },
    /// `WSLCUnmountFolder`.
    WslcUnmountFolder { mountpoint: Name },
    /// `WSLCCreateProcess`.
    WslcCreateProcess { executable: Name, args: Vec<Name> },
}

/// What an API failure does to the calling thread.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub enum OnError {
    /// Keep going.
    #[default]
    Continue,
    /// Return the failure from the hook (`RETURN_IF_FAILED`).
    Return,
}
