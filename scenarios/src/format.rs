//! The scenario file format: what a TOML scenario may contain, as serde types.
//!
//! Owns the file's shape and nothing else; unknown fields are errors. `parse` turns these
//! values into a checked [`crate::scenario::Scenario`]. The reference for authors is the
//! catalogue itself (`scenarios/catalogue/*.toml`) and ARCHITECTURE.md.

use std::collections::BTreeMap;

use plughost_model::wire::HookKind;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// A whole file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub description: String,
    #[serde(default)]
    pub spec: Option<String>,
    #[serde(default)]
    pub world: WorldFile,
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<PluginFile>,
    #[serde(default, rename = "step")]
    pub steps: Vec<StepFile>,
    #[serde(default)]
    pub expect: ExpectFile,
    #[serde(default)]
    pub catches: BTreeMap<String, String>,
    #[serde(default)]
    pub explore: ExploreFile,
    #[serde(default = "default_true")]
    pub stop_service: bool,
    #[serde(default)]
    pub real: RealFile,
    /// The fault plan exploration may draw from (absent: none).
    pub faults: Option<FaultsFile>,
    /// `[design.<name>]`: what a design other than the pump does with this scenario.
    #[serde(default)]
    pub design: BTreeMap<String, DesignFile>,
}

/// `[design.<name>]`: a design's verdict or defects where they differ from passing, and why.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct DesignFile {
    pub verdict: Option<String>,
    #[serde(default)]
    pub defects: Vec<String>,
    pub why: String,
}

/// `[faults]`: how many faults of each kind one run may inject, and where a crash may hit.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FaultsFile {
    #[serde(default)]
    pub crash: u32,
    #[serde(default)]
    pub hang: u32,
    #[serde(default)]
    pub reject: u32,
    #[serde(default)]
    pub slow: u32,
    pub total: Option<u32>,
    pub phases: Option<Vec<String>>,
    pub slow_ms: Option<u64>,
}

/// `[real]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RealFile {
    #[serde(default)]
    pub catches: Vec<String>,
    pub note: Option<String>,
    pub watchdog_secs: Option<u64>,
    pub max_runs: Option<u32>,
}

fn default_true() -> bool {
    true
}

/// `[world]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    pub distros: Option<Vec<String>>,
    pub wsl1_distros: Option<Vec<String>>,
    pub windows_folders: Option<Vec<String>>,
    pub binaries: Option<Vec<String>>,
    pub prints: Option<BTreeMap<String, String>>,
    pub users: Option<Vec<String>>,
    #[serde(default)]
    pub custom_kernel: bool,
    #[serde(default)]
    pub custom_kernel_command_line: bool,
    pub allow_custom_kernel: Option<bool>,
    pub allow_custom_kernel_command_line: Option<bool>,
    #[serde(default)]
    pub vm_boot_ms: u64,
    #[serde(default)]
    pub process_start_ms: u64,
    #[serde(default)]
    pub import_ms: u64,
    pub vm_idle_timeout_ms: Option<u64>,
    pub sessions: Option<u32>,
}

/// `[[plugin]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct PluginFile {
    pub name: String,
    pub dll: Option<String>,
    pub signed: Option<bool>,
    #[serde(default)]
    pub on_load: Vec<ActionFile>,
    pub on_vm_started: Option<Vec<ActionFile>>,
    pub on_vm_stopping: Option<Vec<ActionFile>>,
    pub on_distribution_started: Option<Vec<ActionFile>>,
    pub on_distribution_stopping: Option<Vec<ActionFile>>,
    pub on_distribution_registered: Option<Vec<ActionFile>>,
    pub on_distribution_unregistered: Option<Vec<ActionFile>>,
    pub on_wslc_session_created: Option<Vec<ActionFile>>,
    pub on_wslc_session_stopping: Option<Vec<ActionFile>>,
    pub on_wslc_container_started: Option<Vec<ActionFile>>,
    pub on_wslc_container_stopping: Option<Vec<ActionFile>>,
    pub on_wslc_image_created: Option<Vec<ActionFile>>,
    pub on_wslc_image_deleted: Option<Vec<ActionFile>>,
}

/// One action: a table with exactly one key naming the action, or a bare `"crash"` / `"hang"`.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionFile {
    Log(String),
    MountFolder(MountFile),
    ExecuteBinary(ExecFile),
    ExecuteBinaryInDistribution(ExecFile),
    WslcMountFolder(WslcMountFile),
    WslcUnmountFolder(WslcUnmountFile),
    WslcCreateProcess(WslcProcessFile),
    PluginError(String),
    LookupUser(LookupUserFile),
    Spawn(SpawnFile),
    Join(String),
    Rendezvous(RendezvousFile),
    Add(AddFile),
    Repeat(RepeatFile),
    Loop(LoopFile),
    IfFlag(IfFlagFile),
    IfMatches(IfMatchesFile),
    Remember(RememberFile),
    SleepMs(u64),
    SetFlag(String),
    WaitFlag(String),
    Return(String),
    Crash,
    Hang,
}

/// What an API call does with its result.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnErrorFile {
    #[default]
    Continue,
    Return,
}

/// `mount_folder = { ... }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct MountFile {
    pub windows: String,
    pub linux: String,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default = "default_mount_name")]
    pub name: String,
    pub session: Option<u32>,
    #[serde(default)]
    pub on_error: OnErrorFile,
    pub count_ok: Option<String>,
    pub count_err: Option<String>,
}

fn default_mount_name() -> String {
    "plugin-mount".to_string()
}

/// `execute_binary = { ... }` and `execute_binary_in_distribution = { ... }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExecFile {
    pub path: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// Only for `execute_binary_in_distribution`; defaults to the hook's distribution.
    pub distro: Option<String>,
    pub session: Option<u32>,
    #[serde(default)]
    pub on_error: OnErrorFile,
    pub count_ok: Option<String>,
    pub count_err: Option<String>,
}

/// `wslc_mount_folder = { windows = '…', mountpoint = "/…" }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct WslcMountFile {
    pub windows: String,
    pub mountpoint: String,
    #[serde(default)]
    pub read_only: bool,
    pub session: Option<u32>,
    #[serde(default)]
    pub on_error: OnErrorFile,
    pub count_ok: Option<String>,
    pub count_err: Option<String>,
}

/// `wslc_unmount_folder = { mountpoint = "/…" }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct WslcUnmountFile {
    pub mountpoint: String,
    pub session: Option<u32>,
    #[serde(default)]
    pub on_error: OnErrorFile,
    pub count_ok: Option<String>,
    pub count_err: Option<String>,
}

/// `wslc_create_process = { executable = "/bin/sh", args = [...] }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct WslcProcessFile {
    pub executable: String,
    #[serde(default)]
    pub args: Vec<String>,
    pub session: Option<u32>,
    #[serde(default)]
    pub on_error: OnErrorFile,
    pub count_ok: Option<String>,
    pub count_err: Option<String>,
}

/// `spawn = { worker = "w", count = 4, do = [...] }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct SpawnFile {
    pub worker: String,
    #[serde(default = "default_one")]
    pub count: u32,
    #[serde(rename = "do")]
    pub body: Vec<ActionFile>,
}

fn default_one() -> u32 {
    1
}

/// `rendezvous = { name = "gate", parties = 4 }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RendezvousFile {
    pub name: String,
    pub parties: u32,
}

/// `add = { counter = "inflight", by = 1 }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct AddFile {
    pub counter: String,
    #[serde(default = "default_by")]
    pub by: i64,
}

fn default_by() -> i64 {
    1
}

/// `repeat = { times = 3, do = [...] }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RepeatFile {
    pub times: u32,
    #[serde(rename = "do")]
    pub body: Vec<ActionFile>,
}

/// `loop = { until_flag = "f", then = 100, pause_ms = 1, do = [...] }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct LoopFile {
    pub until_flag: String,
    #[serde(default)]
    pub then: u32,
    #[serde(default)]
    pub pause_ms: u64,
    #[serde(rename = "do")]
    pub body: Vec<ActionFile>,
}

/// `if_flag = { flag = "f", then = [...], else = [...] }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct IfFlagFile {
    pub flag: String,
    #[serde(default)]
    pub then: Vec<ActionFile>,
    #[serde(default, rename = "else")]
    pub otherwise: Vec<ActionFile>,
}

/// `lookup_user = { on_error = "return" }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct LookupUserFile {
    #[serde(default)]
    pub on_error: OnErrorFile,
}

/// `if_matches = { text = "{vm_flags}", pattern = "1", then = [...], else = [...] }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct IfMatchesFile {
    pub text: String,
    pub pattern: String,
    #[serde(default)]
    pub then: Vec<ActionFile>,
    #[serde(default, rename = "else")]
    pub otherwise: Vec<ActionFile>,
}

/// `remember = { name = "first_id", value = "{distro_id}" }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RememberFile {
    pub name: String,
    pub value: String,
}

/// `[[step]]`: exactly one operation, and the result it must get.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub start_vm: Option<bool>,
    pub start_distro: Option<String>,
    pub terminate_distro: Option<String>,
    pub shutdown: Option<bool>,
    pub register_distro: Option<String>,
    pub unregister_distro: Option<String>,
    pub import_in_place: Option<String>,
    pub distro_exits: Option<String>,
    pub vm_exits: Option<bool>,
    pub wslc_create_session: Option<String>,
    /// With `wslc_create_session`: open a session of that name if one exists.
    pub open_existing: Option<bool>,
    pub wslc_open_session: Option<String>,
    pub wslc_terminate_session: Option<String>,
    pub wslc_start_container: Option<WslcObjectFile>,
    pub wslc_stop_container: Option<WslcObjectFile>,
    pub wslc_pull_image: Option<WslcObjectFile>,
    pub wslc_load_image: Option<WslcObjectFile>,
    pub wslc_delete_image: Option<WslcObjectFile>,
    pub sleep_ms: Option<u64>,
    pub parallel: Option<Vec<StepFile>>,
    /// The user session the step runs in (1 when absent).
    pub session: Option<u32>,
    pub expect: Option<ResultFile>,
}

/// A WSLC session's container or image: `{ wslc_session = "s", container = "c" }` or
/// `{ wslc_session = "s", image = "i" }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct WslcObjectFile {
    pub wslc_session: String,
    pub container: Option<String>,
    pub image: Option<String>,
}

/// A client-visible result: `"ok"`, `"hangs"`, `"any"` (not checked), or
/// `{ hr = "...", message = "..." }`.
#[derive(Debug)]
pub enum ResultFile {
    Ok,
    Hangs,
    Any,
    Err { hr: String, message: Option<String> },
}

impl<'de> Deserialize<'de> for ResultFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ResultVisitor)
    }
}

struct ResultVisitor;

impl<'de> Visitor<'de> for ResultVisitor {
    type Value = ResultFile;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"ok\", \"hangs\", \"any\" or a table { hr = \"NAME\", message = \"...\" }")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ResultFile, E> {
        match value {
            "ok" => Ok(ResultFile::Ok),
            "hangs" => Ok(ResultFile::Hangs),
            "any" => Ok(ResultFile::Any),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResultFile, A::Error> {
        let (mut hr, mut message) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "hr" => hr = Some(map.next_value::<String>()?),
                "message" => message = Some(map.next_value::<String>()?),
                other => return Err(de::Error::unknown_field(other, &["hr", "message"])),
            }
        }
        let hr = hr.ok_or_else(|| de::Error::missing_field("hr"))?;
        Ok(ResultFile::Err { hr, message })
    }
}

/// `[expect]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    pub verdict: Option<String>,
    /// Defects of the design itself (spec §9) that exploration must find, by verdict.
    #[serde(default)]
    pub defects: Vec<String>,
    #[serde(default)]
    pub log: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub log_unordered: BTreeMap<String, Vec<String>>,
}

/// `[explore]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct ExploreFile {
    pub seeds: Option<u64>,
    pub time_budget_ms: Option<u64>,
    pub step_budget: Option<u64>,
    pub preemption_bound_ms: Option<u64>,
}

/// A hook's key in a plugin's table (`on_vm_started = [...]`): the one place the file names
/// the hooks, for the parser's error paths and for whatever writes scenario files.
pub fn hook_key(kind: HookKind) -> &'static str {
    match kind {
        HookKind::VmStarted => "on_vm_started",
        HookKind::VmStopping => "on_vm_stopping",
        HookKind::DistributionStarted => "on_distribution_started",
        HookKind::DistributionStopping => "on_distribution_stopping",
        HookKind::DistributionRegistered => "on_distribution_registered",
        HookKind::DistributionUnregistered => "on_distribution_unregistered",
        HookKind::WslcSessionCreated => "on_wslc_session_created",
        HookKind::WslcSessionStopping => "on_wslc_session_stopping",
        HookKind::WslcContainerStarted => "on_wslc_container_started",
        HookKind::WslcContainerStopping => "on_wslc_container_stopping",
        HookKind::WslcImageCreated => "on_wslc_image_created",
        HookKind::WslcImageDeleted => "on_wslc_image_deleted",
    }
}
