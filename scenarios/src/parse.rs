//! From TOML text to a checked [`Scenario`]: syntax errors come from the TOML parser (with
//! line, column and the offending key); everything else is checked here and reported with
//! the file and the path of the offending field (`plugin.TestPlugin.on_vm_started[2].join`).
//!
//! Checks: every action and step is well formed; HRESULTs, mutants and verdicts are known
//! names; a joined worker is spawned and a waited flag is set somewhere in the same plugin;
//! log placeholders name something that exists; steps name known distributions; expected
//! logs name declared plugins. A scenario that passes these checks cannot panic the runner.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use plughost_model::design::{Design, Mutant};
use plughost_model::hresult::HResult;
use plughost_model::ids::Name;
use plughost_model::plugin_manager::PluginRegistration;
use plughost_model::script::{Action, ApiAction, ApiTemplate, Block, OnError, PluginScript, Template};
use plughost_model::wire::HookKind;
use plughost_model::world::{KernelConfig, World};
use plughost_sim::Budget;
use plughost_sim::faults::{FaultBudget, Phase};

use crate::format::{
    ActionFile, DesignFile, ExecFile, ExpectFile, MountFile, OnErrorFile, PluginFile, ResultFile,
    ScenarioFile, StepFile, WorldFile, hook_key,
};
use crate::scenario::{
    DesignExpectation, Expectations, ExpectedHr, ExpectedResult, ExploreDefaults, LogExpectation,
    RealExpectations, Scenario, Step, StepAction, WslcEvent,
};
use crate::verdict::{Verdict, VerdictSet};

/// A scenario file that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or catalogue entry) it came from.
    pub file: String,
    /// The offending field's path, when the problem is in one field.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {field}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Parses and checks scenario `name` from `text`; `file` names the source in errors.
pub fn parse(name: &str, file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let raw: ScenarioFile = toml::from_str(text).map_err(|e| ScenarioError {
        file: file.to_string(),
        field: None,
        message: e.to_string().trim_end().to_string(),
    })?;
    Checker { file }.scenario(name, text, raw)
}

struct Checker<'a> {
    file: &'a str,
}

/// The names steps may use: distributions, and WSLC sessions created by earlier steps.
struct Known {
    distros: BTreeSet<String>,
    wslc: BTreeSet<String>,
}

/// Every step key that names an operation, and whether `raw` sets it.
fn step_keys(raw: &StepFile) -> [(&'static str, bool); 19] {
    [
        ("start_vm", raw.start_vm.is_some()),
        ("start_distro", raw.start_distro.is_some()),
        ("terminate_distro", raw.terminate_distro.is_some()),
        ("shutdown", raw.shutdown.is_some()),
        ("register_distro", raw.register_distro.is_some()),
        ("unregister_distro", raw.unregister_distro.is_some()),
        ("import_in_place", raw.import_in_place.is_some()),
        ("distro_exits", raw.distro_exits.is_some()),
        ("vm_exits", raw.vm_exits.is_some()),
        ("wslc_create_session", raw.wslc_create_session.is_some()),
        ("wslc_open_session", raw.wslc_open_session.is_some()),
        ("wslc_terminate_session", raw.wslc_terminate_session.is_some()),
        ("wslc_start_container", raw.wslc_start_container.is_some()),
        ("wslc_stop_container", raw.wslc_stop_container.is_some()),
        ("wslc_pull_image", raw.wslc_pull_image.is_some()),
        ("wslc_load_image", raw.wslc_load_image.is_some()),
        ("wslc_delete_image", raw.wslc_delete_image.is_some()),
        ("sleep_ms", raw.sleep_ms.is_some()),
        ("parallel", raw.parallel.is_some()),
    ]
}

type Checked<T> = Result<T, ScenarioError>;

/// What one plugin's script declares, for the cross-references checked at its end.
#[derive(Default)]
struct Declared {
    spawned: BTreeSet<String>,
    joined: BTreeMap<String, String>,
    flags_set: BTreeSet<String>,
    flags_waited: BTreeMap<String, String>,
    counters: BTreeSet<String>,
    texts: BTreeMap<String, String>,
    templates: Vec<(String, String)>,
}

impl Checker<'_> {
    fn error(&self, field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError { file: self.file.to_string(), field: Some(field.into()), message: message.into() }
    }

    fn scenario(&self, name: &str, text: &str, raw: ScenarioFile) -> Checked<Scenario> {
        let mut world = self.world(&raw.world)?;
        if raw.plugins.is_empty() {
            return Err(self.error("plugin", "a scenario needs at least one [[plugin]]"));
        }
        let mut plugins = Vec::new();
        for plugin in &raw.plugins {
            if plugins.iter().any(|p: &PluginRegistration| *p.name == *plugin.name) {
                return Err(self.error(format!("plugin.{}", plugin.name), "duplicate plugin name"));
            }
            let registration = self.plugin(plugin, &plugins)?;
            plugins.push(registration);
        }
        let mut names = Known {
            distros: world.distros.iter().chain(&world.wsl1_distros).map(|d| d.to_string()).collect(),
            wslc: BTreeSet::new(),
        };
        let steps = self.steps(&raw.steps, "step", &mut names)?;
        if steps.is_empty() {
            return Err(self.error("step", "a scenario needs at least one [[step]]"));
        }
        world.sessions = self.sessions(raw.world.sessions, &steps)?;
        let expect = self.expectations(&raw.expect, &raw.plugins)?;
        let catches = self.catches(&raw.catches, expect.verdict)?;
        let real = self.real(&raw.real, &catches)?;
        self.hangs_only_in_a_wedge(&steps, &expect)?;
        let designs = self.designs(&raw.design, expect.verdict)?;
        Ok(Scenario {
            name: name.to_string(),
            source: name.to_string(),
            text: Arc::from(text),
            description: raw.description,
            spec: raw.spec,
            world: Arc::new(world),
            plugins,
            steps,
            expect,
            catches,
            explore: self.explore(&raw.explore),
            stop_service: raw.stop_service,
            faults: self.faults(raw.faults.as_ref())?,
            designs,
            real,
        })
    }

    /// A step may be expected to hang only in a scenario that expects the design to wedge.
    fn hangs_only_in_a_wedge(&self, steps: &[Step], expect: &Expectations) -> Checked<()> {
        if expect.verdict == Verdict::Deadlock {
            return Ok(());
        }
        let leaves = steps.iter().enumerate().flat_map(|(index, step)| match &step.action {
            StepAction::Parallel(members) => members
                .iter()
                .enumerate()
                .map(|(member, s)| (format!("step[{index}].parallel[{member}]"), s))
                .collect::<Vec<_>>(),
            _ => vec![(format!("step[{index}]"), step)],
        });
        for (path, step) in leaves {
            if step.expect == Some(ExpectedResult::Hangs) {
                return Err(self.error(
                    format!("{path}.expect"),
                    "a step can hang only in a scenario whose [expect] verdict is \"deadlock\"",
                ));
            }
        }
        Ok(())
    }

    /// The number of user sessions: as declared, or the highest one a step names.
    fn sessions(&self, declared: Option<u32>, steps: &[Step]) -> Checked<u32> {
        let named = steps
            .iter()
            .flat_map(|step| match &step.action {
                StepAction::Parallel(members) => members.iter().map(|m| m.session).collect(),
                _ => vec![step.session],
            })
            .max()
            .unwrap_or(1);
        match declared {
            Some(0) => Err(self.error("world.sessions", "a scenario needs at least one session")),
            Some(declared) if named > declared => Err(self.error(
                "world.sessions",
                format!("a step runs in session {named}, but only {declared} are declared"),
            )),
            Some(declared) => Ok(declared),
            None => Ok(named),
        }
    }

    fn world(&self, raw: &WorldFile) -> Checked<World> {
        let defaults = World::default();
        let names = |list: &Option<Vec<String>>, default: &Vec<Name>| {
            list.as_ref()
                .map_or_else(|| default.clone(), |l| l.iter().map(|s| Name::from(s.as_str())).collect())
        };
        let distros = names(&raw.distros, &defaults.distros);
        let wsl1_distros = names(&raw.wsl1_distros, &defaults.wsl1_distros);
        if let Some(both) = wsl1_distros.iter().find(|d| distros.contains(d)) {
            return Err(self.error(
                "world.wsl1_distros",
                format!("`{both}` is also in distros: a distribution is WSL2 or WSL1, not both"),
            ));
        }
        let kernel = KernelConfig {
            custom_kernel: raw.custom_kernel,
            custom_command_line: raw.custom_kernel_command_line,
            allow_custom_kernel: raw.allow_custom_kernel.unwrap_or(true),
            allow_custom_command_line: raw.allow_custom_kernel_command_line.unwrap_or(true),
        };
        Ok(World {
            distros,
            wsl1_distros,
            windows_folders: names(&raw.windows_folders, &defaults.windows_folders),
            binaries: names(&raw.binaries, &defaults.binaries),
            prints: raw
                .prints
                .iter()
                .flatten()
                .map(|(binary, text)| (binary.as_str().into(), text.clone()))
                .collect(),
            users: names(&raw.users, &defaults.users),
            kernel,
            vm_boot: Duration::from_millis(raw.vm_boot_ms),
            process_start: Duration::from_millis(raw.process_start_ms),
            import_time: Duration::from_millis(raw.import_ms),
            vm_idle_timeout: raw.vm_idle_timeout_ms.map(Duration::from_millis),
            sessions: raw.sessions.unwrap_or(1),
        })
    }

    /// A registration; one whose DLL an earlier one already names runs that DLL's code, so it
    /// declares none of its own.
    fn plugin(&self, raw: &PluginFile, earlier: &[PluginRegistration]) -> Checked<PluginRegistration> {
        if raw.name.is_empty() {
            return Err(self.error("plugin.name", "a plugin name cannot be empty"));
        }
        let base = format!("plugin.{}", raw.name);
        let dll: Name = match &raw.dll {
            Some(path) => path.as_str().into(),
            None => format!("C:\\plugins\\{}.dll", raw.name).into(),
        };
        let same_dll = earlier.iter().find(|p| p.dll.to_lowercase() == dll.to_lowercase());
        if let Some(first) = same_dll {
            let declares_code = !raw.on_load.is_empty()
                || raw.signed.is_some()
                || [
                    &raw.on_vm_started,
                    &raw.on_vm_stopping,
                    &raw.on_distribution_started,
                    &raw.on_distribution_stopping,
                    &raw.on_distribution_registered,
                    &raw.on_distribution_unregistered,
                ]
                .iter()
                .any(|hook| hook.is_some());
            if declares_code {
                return Err(self.error(
                    base,
                    format!("registers the DLL of plugin `{}` again: it runs that DLL's code, so it declares no on_load, hooks or signed of its own", first.name),
                ));
            }
            return Ok(PluginRegistration {
                name: raw.name.as_str().into(),
                dll,
                script: first.script.clone(),
            });
        }
        let mut declared = Declared::default();
        let on_load = self.block(&raw.on_load, &format!("{base}.on_load"), &mut declared)?;
        let mut hooks = BTreeMap::new();
        let sources = [
            (HookKind::VmStarted, &raw.on_vm_started),
            (HookKind::VmStopping, &raw.on_vm_stopping),
            (HookKind::DistributionStarted, &raw.on_distribution_started),
            (HookKind::DistributionStopping, &raw.on_distribution_stopping),
            (HookKind::DistributionRegistered, &raw.on_distribution_registered),
            (HookKind::DistributionUnregistered, &raw.on_distribution_unregistered),
            (HookKind::WslcSessionCreated, &raw.on_wslc_session_created),
            (HookKind::WslcSessionStopping, &raw.on_wslc_session_stopping),
            (HookKind::WslcContainerStarted, &raw.on_wslc_container_started),
            (HookKind::WslcContainerStopping, &raw.on_wslc_container_stopping),
            (HookKind::WslcImageCreated, &raw.on_wslc_image_created),
            (HookKind::WslcImageDeleted, &raw.on_wslc_image_deleted),
        ];
        for (kind, actions) in sources {
            if let Some(actions) = actions {
                let path = format!("{base}.{}", hook_key(kind));
                hooks.insert(kind, self.block(actions, &path, &mut declared)?);
            }
        }
        self.cross_references(&declared)?;
        Ok(PluginRegistration {
            name: raw.name.as_str().into(),
            dll,
            script: Arc::new(PluginScript { unsigned: raw.signed == Some(false), on_load, hooks }),
        })
    }

    fn cross_references(&self, declared: &Declared) -> Checked<()> {
        for (worker, path) in &declared.joined {
            if !declared.spawned.contains(worker) {
                return Err(self
                    .error(path, format!("joins worker `{worker}`, which no action of this plugin spawns")));
            }
        }
        for (flag, path) in &declared.flags_waited {
            if !declared.flags_set.contains(flag) {
                return Err(
                    self.error(path, format!("waits for flag `{flag}`, which no action of this plugin sets"))
                );
            }
        }
        if let Some((both, path)) = declared.texts.iter().find(|(name, _)| declared.counters.contains(*name))
        {
            return Err(self.error(
                path,
                format!("`{both}` is both a counter and a remembered text: give them different names"),
            ));
        }
        let named: BTreeSet<String> =
            declared.counters.iter().chain(declared.texts.keys()).cloned().collect();
        for (template, path) in &declared.templates {
            self.template(template, path, &named)?;
        }
        Ok(())
    }

    fn template(&self, text: &str, path: &str, counters: &BTreeSet<String>) -> Checked<()> {
        const BUILT_IN: [&str; 12] = [
            "hr",
            "output",
            "errno",
            "distro",
            "distro_id",
            "init_pid",
            "session",
            "user",
            "vm_flags",
            "wslc_session",
            "object",
            "worker",
        ];
        let mut unknown = None;
        plughost_model::scripted_plugin::render_template(text, |key, _| {
            let counter = key.strip_suffix(".max").unwrap_or(key);
            if !BUILT_IN.contains(&key) && !counters.contains(counter) && unknown.is_none() {
                unknown = Some(key.to_string());
            }
            true
        });
        match unknown {
            Some(key) => Err(self.error(
                path,
                format!(
                    "unknown placeholder `{{{key}}}` (built-ins: {}; or a counter this plugin counts or a text it remembers)",
                    BUILT_IN.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    fn block(&self, actions: &[ActionFile], path: &str, declared: &mut Declared) -> Checked<Block> {
        let mut block = Vec::with_capacity(actions.len());
        for (index, action) in actions.iter().enumerate() {
            block.push(self.action(action, &format!("{path}[{index}]"), declared)?);
        }
        Ok(block.into())
    }

    fn action(&self, raw: &ActionFile, path: &str, declared: &mut Declared) -> Checked<Action> {
        Ok(match raw {
            ActionFile::Log(text) => {
                declared.templates.push((text.clone(), format!("{path}.log")));
                Action::Log(Template(text.clone()))
            }
            ActionFile::MountFolder(mount) => Action::Call(self.mount(mount, declared)),
            ActionFile::ExecuteBinary(exec) => {
                if exec.distro.is_some() {
                    return Err(self.error(
                        format!("{path}.execute_binary.distro"),
                        "execute_binary runs in the root namespace; use execute_binary_in_distribution",
                    ));
                }
                let api =
                    ApiTemplate::ExecuteBinary { path: exec.path.as_str().into(), args: names(&exec.args) };
                Action::Call(self.api_action(
                    api,
                    exec.session,
                    &exec.on_error,
                    &exec.count_ok,
                    &exec.count_err,
                    declared,
                ))
            }
            ActionFile::ExecuteBinaryInDistribution(exec) => {
                Action::Call(self.exec_in_distro(exec, declared))
            }
            ActionFile::WslcMountFolder(mount) => {
                let api = ApiTemplate::WslcMountFolder {
                    windows_path: mount.windows.as_str().into(),
                    mountpoint: mount.mountpoint.as_str().into(),
                    read_only: mount.read_only,
                };
                Action::Call(self.api_action(
                    api,
                    mount.session,
                    &mount.on_error,
                    &mount.count_ok,
                    &mount.count_err,
                    declared,
                ))
            }
            ActionFile::WslcUnmountFolder(unmount) => {
                let api = ApiTemplate::WslcUnmountFolder { mountpoint: unmount.mountpoint.as_str().into() };
                let (on_error, ok, err) = (&unmount.on_error, &unmount.count_ok, &unmount.count_err);
                Action::Call(self.api_action(api, unmount.session, on_error, ok, err, declared))
            }
            ActionFile::WslcCreateProcess(process) => {
                let api = ApiTemplate::WslcCreateProcess {
                    executable: process.executable.as_str().into(),
                    args: names(&process.args),
                };
                let (on_error, ok, err) = (&process.on_error, &process.count_ok, &process.count_err);
                Action::Call(self.api_action(api, process.session, on_error, ok, err, declared))
            }
            ActionFile::PluginError(message) => Action::PluginError(message.clone()),
            ActionFile::LookupUser(lookup) => Action::LookupUser(on_error(&lookup.on_error)),
            ActionFile::Spawn(spawn) => {
                if spawn.worker.is_empty() || spawn.count == 0 {
                    return Err(self.error(
                        format!("{path}.spawn"),
                        "a spawn needs a worker name and a count of at least 1",
                    ));
                }
                declared.spawned.insert(spawn.worker.clone());
                let body = self.block(&spawn.body, &format!("{path}.spawn.do"), declared)?;
                Action::Spawn { worker: spawn.worker.as_str().into(), count: spawn.count, body }
            }
            ActionFile::Join(worker) => {
                declared.joined.entry(worker.clone()).or_insert_with(|| format!("{path}.join"));
                Action::Join(worker.as_str().into())
            }
            ActionFile::Rendezvous(point) => {
                if point.parties == 0 {
                    return Err(self.error(
                        format!("{path}.rendezvous.parties"),
                        "a rendezvous needs at least one party",
                    ));
                }
                Action::Rendezvous { name: point.name.as_str().into(), parties: point.parties }
            }
            ActionFile::Add(add) => {
                declared.counters.insert(add.counter.clone());
                Action::Add { counter: add.counter.as_str().into(), by: add.by }
            }
            ActionFile::Repeat(repeat) => {
                let body = self.block(&repeat.body, &format!("{path}.repeat.do"), declared)?;
                Action::Repeat { times: repeat.times, body }
            }
            ActionFile::Loop(spec) => {
                declared
                    .flags_waited
                    .entry(spec.until_flag.clone())
                    .or_insert_with(|| format!("{path}.loop.until_flag"));
                let body = self.block(&spec.body, &format!("{path}.loop.do"), declared)?;
                Action::LoopUntilFlag {
                    flag: spec.until_flag.as_str().into(),
                    extra: spec.then,
                    pause: Duration::from_millis(spec.pause_ms),
                    body,
                }
            }
            ActionFile::IfFlag(spec) => Action::IfFlag {
                flag: spec.flag.as_str().into(),
                then: self.block(&spec.then, &format!("{path}.if_flag.then"), declared)?,
                otherwise: self.block(&spec.otherwise, &format!("{path}.if_flag.else"), declared)?,
            },
            ActionFile::IfMatches(spec) => {
                declared.templates.push((spec.text.clone(), format!("{path}.if_matches.text")));
                declared.templates.push((spec.pattern.clone(), format!("{path}.if_matches.pattern")));
                Action::IfMatches {
                    text: Template(spec.text.clone()),
                    pattern: Template(spec.pattern.clone()),
                    then: self.block(&spec.then, &format!("{path}.if_matches.then"), declared)?,
                    otherwise: self.block(&spec.otherwise, &format!("{path}.if_matches.else"), declared)?,
                }
            }
            ActionFile::Remember(spec) => {
                if spec.name.is_empty() {
                    return Err(self.error(format!("{path}.remember.name"), "a remembered text needs a name"));
                }
                declared.texts.entry(spec.name.clone()).or_insert_with(|| format!("{path}.remember.name"));
                declared.templates.push((spec.value.clone(), format!("{path}.remember.value")));
                Action::Remember { name: spec.name.as_str().into(), value: Template(spec.value.clone()) }
            }
            ActionFile::SleepMs(ms) => Action::Sleep(Duration::from_millis(*ms)),
            ActionFile::SetFlag(flag) => {
                declared.flags_set.insert(flag.clone());
                Action::SetFlag(flag.as_str().into())
            }
            ActionFile::WaitFlag(flag) => {
                declared.flags_waited.entry(flag.clone()).or_insert_with(|| format!("{path}.wait_flag"));
                Action::WaitFlag(flag.as_str().into())
            }
            ActionFile::Return(hr) => Action::Return(self.hresult(hr, &format!("{path}.return"))?),
            ActionFile::Crash => Action::Crash,
            ActionFile::Hang => Action::Hang,
        })
    }

    fn mount(&self, mount: &MountFile, declared: &mut Declared) -> ApiAction {
        let api = ApiTemplate::MountFolder {
            windows_path: mount.windows.as_str().into(),
            linux_path: mount.linux.as_str().into(),
            read_only: mount.read_only,
            name: mount.name.as_str().into(),
        };
        self.api_action(api, mount.session, &mount.on_error, &mount.count_ok, &mount.count_err, declared)
    }

    fn exec_in_distro(&self, exec: &ExecFile, declared: &mut Declared) -> ApiAction {
        let api = ApiTemplate::ExecuteBinaryInDistribution {
            distro: exec.distro.as_deref().map(Name::from),
            path: exec.path.as_str().into(),
            args: names(&exec.args),
        };
        self.api_action(api, exec.session, &exec.on_error, &exec.count_ok, &exec.count_err, declared)
    }

    fn api_action(
        &self,
        api: ApiTemplate,
        session: Option<u32>,
        on_error: &OnErrorFile,
        count_ok: &Option<String>,
        count_err: &Option<String>,
        declared: &mut Declared,
    ) -> ApiAction {
        declared.counters.extend(count_ok.iter().chain(count_err.iter()).cloned());
        ApiAction {
            api,
            session,
            on_error: crate::parse::on_error(on_error),
            count_ok: count_ok.as_deref().map(Name::from),
            count_err: count_err.as_deref().map(Name::from),
        }
    }

    fn hresult(&self, text: &str, path: &str) -> Checked<HResult> {
        HResult::parse(text).ok_or_else(|| {
            self.error(
                path,
                format!(
                    "unknown HRESULT `{text}` (a name such as E_FAIL, or hexadecimal such as 0x80004005)"
                ),
            )
        })
    }

    /// An expected HRESULT: a name, a hexadecimal value, or `host-crash` (any of §5.2's).
    fn expected_hr(&self, text: &str, path: &str) -> Checked<ExpectedHr> {
        match text {
            "host-crash" => Ok(ExpectedHr::HostCrash),
            _ => self.hresult(text, path).map(ExpectedHr::Exact),
        }
    }

    fn steps(&self, raw: &[StepFile], path: &str, names: &mut Known) -> Checked<Vec<Step>> {
        let mut steps = Vec::with_capacity(raw.len());
        for (index, step) in raw.iter().enumerate() {
            steps.push(self.step(step, &format!("{path}[{index}]"), names)?);
        }
        Ok(steps)
    }

    fn step(&self, raw: &StepFile, path: &str, names: &mut Known) -> Checked<Step> {
        let action = self.step_action(raw, path, names)?;
        let composite = matches!(action, StepAction::Sleep(_) | StepAction::Parallel(_));
        if composite && raw.session.is_some() {
            return Err(self.error(format!("{path}.session"), "sleep and parallel steps run in no session"));
        }
        if raw.open_existing.is_some() && !matches!(action, StepAction::WslcCreateSession { .. }) {
            return Err(
                self.error(format!("{path}.open_existing"), "only wslc_create_session takes open_existing")
            );
        }
        let session = raw.session.unwrap_or(1);
        if session == 0 {
            return Err(self.error(format!("{path}.session"), "sessions are numbered from 1"));
        }
        let expect = match (&raw.expect, composite) {
            (Some(_), true) => {
                return Err(
                    self.error(format!("{path}.expect"), "sleep and parallel steps have no result to expect")
                );
            }
            (_, true) => None,
            (None, false) => Some(ExpectedResult::Ok),
            (Some(ResultFile::Ok), false) => Some(ExpectedResult::Ok),
            (Some(ResultFile::Hangs), false) => Some(ExpectedResult::Hangs),
            (Some(ResultFile::Any), false) => None,
            (Some(ResultFile::Err { hr, message }), false) => Some(ExpectedResult::Err {
                hr: self.expected_hr(hr, &format!("{path}.expect.hr"))?,
                message: message.clone(),
            }),
        };
        Ok(Step { action, session, expect })
    }

    /// The one operation a step names.
    fn step_action(&self, raw: &StepFile, path: &str, names: &mut Known) -> Checked<StepAction> {
        let keys = step_keys(raw);
        if keys.iter().filter(|(_, set)| *set).count() != 1 {
            let all: Vec<&str> = keys.iter().map(|(key, _)| *key).collect();
            return Err(self.error(path, format!("a step needs exactly one of {}", all.join(", "))));
        }
        let distro = |name: &String, names: &Known| -> Checked<Name> {
            if names.distros.contains(name) {
                Ok(name.as_str().into())
            } else {
                Err(self.error(path, format!("unknown distribution `{name}` (not in [world] distros nor registered by an earlier step)")))
            }
        };
        let wslc = |name: &String, names: &Known| -> Checked<Name> {
            if names.wslc.contains(name) {
                Ok(name.as_str().into())
            } else {
                Err(self.error(path, format!("unknown WSLC session `{name}` (no earlier step creates it)")))
            }
        };
        Ok(if raw.start_vm.is_some() {
            StepAction::StartVm
        } else if let Some(name) = &raw.start_distro {
            StepAction::StartDistro(distro(name, names)?)
        } else if let Some(name) = &raw.terminate_distro {
            StepAction::TerminateDistro(distro(name, names)?)
        } else if raw.shutdown.is_some() {
            StepAction::Shutdown
        } else if let Some(name) = &raw.register_distro {
            names.distros.insert(name.clone());
            StepAction::RegisterDistro(name.as_str().into())
        } else if let Some(name) = &raw.import_in_place {
            names.distros.insert(name.clone());
            StepAction::ImportInPlace(name.as_str().into())
        } else if let Some(name) = &raw.unregister_distro {
            StepAction::UnregisterDistro(distro(name, names)?)
        } else if let Some(name) = &raw.distro_exits {
            StepAction::DistroExits(distro(name, names)?)
        } else if raw.vm_exits.is_some() {
            StepAction::VmExits
        } else if let Some(name) = &raw.wslc_create_session {
            names.wslc.insert(name.clone());
            StepAction::WslcCreateSession {
                name: name.as_str().into(),
                open_existing: raw.open_existing.unwrap_or(false),
            }
        } else if let Some(name) = &raw.wslc_open_session {
            StepAction::WslcOpenSession(wslc(name, names)?)
        } else if let Some(name) = &raw.wslc_terminate_session {
            StepAction::WslcTerminateSession(wslc(name, names)?)
        } else if let Some(ms) = raw.sleep_ms {
            StepAction::Sleep(Duration::from_millis(ms))
        } else if let Some(inner) = &raw.parallel {
            if inner.iter().any(|step| step.parallel.is_some()) {
                return Err(self.error(format!("{path}.parallel"), "parallel steps cannot nest"));
            }
            StepAction::Parallel(self.steps(inner, &format!("{path}.parallel"), names)?)
        } else {
            self.wslc_object_step(raw, path, names)?
        })
    }

    /// A container or image step of a WSLC session.
    fn wslc_object_step(&self, raw: &StepFile, path: &str, names: &Known) -> Checked<StepAction> {
        let (key, file, event, object_key) = [
            ("wslc_start_container", &raw.wslc_start_container, WslcEvent::ContainerStarted, "container"),
            ("wslc_stop_container", &raw.wslc_stop_container, WslcEvent::ContainerStopping, "container"),
            ("wslc_pull_image", &raw.wslc_pull_image, WslcEvent::ImageCreated, "image"),
            ("wslc_load_image", &raw.wslc_load_image, WslcEvent::ImageLoaded, "image"),
            ("wslc_delete_image", &raw.wslc_delete_image, WslcEvent::ImageDeleted, "image"),
        ]
        .into_iter()
        .find_map(|(key, file, event, object_key)| Some((key, file.as_ref()?, event, object_key)))
        .expect("exactly one step key is set");
        let field = format!("{path}.{key}");
        if !names.wslc.contains(&file.wslc_session) {
            let message =
                format!("unknown WSLC session `{}` (no earlier step creates it)", file.wslc_session);
            return Err(self.error(format!("{field}.wslc_session"), message));
        }
        let (wanted, other) = if object_key == "container" {
            (&file.container, &file.image)
        } else {
            (&file.image, &file.container)
        };
        let Some(object) = wanted.as_ref().filter(|_| other.is_none()) else {
            return Err(self.error(field, format!("{key} names exactly a `{object_key}`")));
        };
        Ok(StepAction::Wslc {
            session: file.wslc_session.as_str().into(),
            event,
            object: object.as_str().into(),
        })
    }

    fn expectations(&self, raw: &ExpectFile, plugins: &[PluginFile]) -> Checked<Expectations> {
        let (verdict, defects) = self.outcome(raw.verdict.as_deref(), &raw.defects, "expect")?;
        let mut logs = Vec::new();
        for (table, ordered) in [(&raw.log, true), (&raw.log_unordered, false)] {
            for (plugin, patterns) in table {
                let key = if ordered { "log" } else { "log_unordered" };
                if !plugins.iter().any(|p| p.name == *plugin) {
                    return Err(self.error(format!("expect.{key}.{plugin}"), "no [[plugin]] has this name"));
                }
                if logs.iter().any(|(name, _): &(Name, LogExpectation)| **name == **plugin) {
                    return Err(self.error(
                        format!("expect.{key}.{plugin}"),
                        "a plugin's log is either ordered or unordered",
                    ));
                }
                let expectation = if ordered {
                    LogExpectation::Ordered(patterns.clone())
                } else {
                    LogExpectation::Unordered(patterns.clone())
                };
                logs.push((plugin.as_str().into(), expectation));
            }
        }
        Ok(Expectations { verdict, defects, logs })
    }

    /// A verdict every seed must end with, or the defects some seeds must find (every other
    /// seed passing), from the table at `table`.
    fn outcome(
        &self,
        verdict: Option<&str>,
        defects: &[String],
        table: &str,
    ) -> Checked<(Verdict, VerdictSet)> {
        let verdict = match verdict {
            None => Verdict::Pass,
            Some(name) => self.verdict(name, &format!("{table}.verdict"))?,
        };
        let mut found = VerdictSet::default();
        for (index, name) in defects.iter().enumerate() {
            let path = format!("{table}.defects[{index}]");
            if verdict != Verdict::Pass {
                return Err(self.error(
                    path,
                    "a scenario with defects expects every other seed to pass: drop `verdict`",
                ));
            }
            match self.verdict(name, &path)? {
                Verdict::Pass => return Err(self.error(path, "a defect is a failing verdict, not `pass`")),
                defect => found.insert(defect),
            }
        }
        Ok((verdict, found))
    }

    /// `[design.<name>]` sections: designs other than the pump (whose expectation is
    /// `[expect]`), each saying how it differs from the pump's `inherited` verdict and why.
    fn designs(
        &self,
        raw: &BTreeMap<String, DesignFile>,
        inherited: Verdict,
    ) -> Checked<Vec<(Design, DesignExpectation)>> {
        let mut designs = Vec::new();
        for (name, section) in raw {
            let table = format!("design.{name}");
            let Some(design) = Design::parse(name) else {
                let names: Vec<&str> = Design::ALL.iter().map(|d| d.name()).collect();
                return Err(self.error(table, format!("unknown design (one of {})", names.join(", "))));
            };
            if design == Design::Pump {
                return Err(self.error(table, "the pump design's expectation is [expect]"));
            }
            let (verdict, defects) = self.outcome(section.verdict.as_deref(), &section.defects, &table)?;
            if verdict == inherited && defects.is_empty() {
                return Err(self.error(
                    table,
                    format!("a design not listed already expects every seed to end `{inherited}` (the pump's verdict): drop the section"),
                ));
            }
            if section.why.trim().is_empty() {
                return Err(self.error(format!("{table}.why"), "say in one line why this design differs"));
            }
            designs.push((design, DesignExpectation { verdict, defects, why: section.why.clone() }));
        }
        Ok(designs)
    }

    fn verdict(&self, name: &str, path: &str) -> Checked<Verdict> {
        Verdict::parse(name).ok_or_else(|| {
            let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.name()).collect();
            self.error(path, format!("unknown verdict `{name}` (one of {})", names.join(", ")))
        })
    }

    /// The mutants caught and how: by a verdict other than `design`'s (what the unmodified
    /// design ends with).
    fn catches(&self, raw: &BTreeMap<String, String>, design: Verdict) -> Checked<Vec<(Mutant, Verdict)>> {
        let mut catches = Vec::new();
        for (mutant, verdict) in raw {
            let path = format!("catches.{mutant}");
            let Some(parsed) = Mutant::parse(mutant) else {
                let names: Vec<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
                return Err(self.error(path, format!("unknown mutant (one of {})", names.join(", "))));
            };
            let verdict = self.verdict(verdict, &path)?;
            if verdict == Verdict::Pass {
                return Err(self.error(path, "a mutant is caught by a failing verdict, not `pass`"));
            }
            if verdict == design {
                return Err(self.error(
                    path,
                    format!("the design itself ends `{design}`: a mutant is caught by another verdict"),
                ));
            }
            catches.push((parsed, verdict));
        }
        Ok(catches)
    }

    fn real(
        &self,
        raw: &crate::format::RealFile,
        catches: &[(Mutant, Verdict)],
    ) -> Checked<RealExpectations> {
        let mut mutants = Vec::new();
        for name in &raw.catches {
            let Some(mutant) = Mutant::parse(name) else {
                return Err(self.error("real.catches", format!("unknown mutant `{name}`")));
            };
            if !catches.iter().any(|(m, _)| *m == mutant) {
                return Err(self.error(
                    "real.catches",
                    format!(
                        "`{name}` is not in [catches]: a real run cannot catch what the simulator does not"
                    ),
                ));
            }
            mutants.push(mutant);
        }
        if raw.max_runs == Some(0) || raw.watchdog_secs == Some(0) {
            return Err(self.error("real", "watchdog_secs and max_runs are at least 1"));
        }
        Ok(RealExpectations {
            catches: mutants,
            note: raw.note.clone(),
            watchdog: raw.watchdog_secs.map(Duration::from_secs),
            max_runs: raw.max_runs,
        })
    }

    fn faults(&self, raw: Option<&crate::format::FaultsFile>) -> Checked<FaultBudget> {
        let Some(raw) = raw else { return Ok(FaultBudget::NONE) };
        let mut budget = FaultBudget::new(raw.crash, raw.hang, raw.reject, raw.slow);
        if let Some(total) = raw.total {
            budget.total = total;
        }
        if let Some(names) = &raw.phases {
            let mut phases = Vec::new();
            for (index, name) in names.iter().enumerate() {
                let phase = Phase::parse(name).ok_or_else(|| {
                    let known: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
                    self.error(
                        format!("faults.phases[{index}]"),
                        format!("unknown phase `{name}` (one of {})", known.join(", ")),
                    )
                })?;
                phases.push(phase);
            }
            budget = budget.with_phases(&phases);
        }
        if let Some(ms) = raw.slow_ms {
            budget.slow_by = Duration::from_millis(ms);
        }
        Ok(budget)
    }

    fn explore(&self, raw: &crate::format::ExploreFile) -> ExploreDefaults {
        let defaults = ExploreDefaults::default();
        ExploreDefaults {
            seeds: raw.seeds.unwrap_or(defaults.seeds),
            budget: Budget {
                time: raw.time_budget_ms.map_or(defaults.budget.time, Duration::from_millis),
                steps: raw.step_budget.unwrap_or(defaults.budget.steps),
                preemption: raw.preemption_bound_ms.map_or(defaults.budget.preemption, Duration::from_millis),
            },
        }
    }
}

fn on_error(raw: &OnErrorFile) -> OnError {
    match raw {
        OnErrorFile::Continue => OnError::Continue,
        OnErrorFile::Return => OnError::Return,
    }
}

fn names(list: &[String]) -> Vec<Name> {
    list.iter().map(|s| Name::from(s.as_str())).collect()
}
