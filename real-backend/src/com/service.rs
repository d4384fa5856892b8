//! The service's end of the COM transport: the run's class registration, activating and
//! attaching a host, calls to it, the callbacks it makes, and watching its process.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use plughost_model::event::{ModelEvent, PluginEvent};
use plughost_model::fact::{Fact, ProcessId};
use plughost_model::hresult::{E_UNEXPECTED, HResult, RPC_S_CALL_FAILED};
use plughost_model::ids::Name;
use plughost_model::platform::CallbackServer;
use plughost_model::wire::{CallbackRequest, HostReply, HostRequest};
use plughost_win32::com::registry::{self, Scope};
use plughost_win32::com::{self, CallbackHandler, CallbackObject, Guid, HostProxy};
use plughost_win32::process::Process;

use crate::facts::remote_thread;
use crate::platform::{ProcessCore, Role};
use crate::protocol::ProtocolError;
use crate::run::{ComClass, RealConfig};
use crate::transport::{self, HostTransport};

/// How long a dead host's process takes to be seen ended after COM failed a call to it.
const DEATH_GRACE: Duration = Duration::from_secs(2);

/// The class a COM run activates its hosts from, and, for a per-run class, how to register
/// a fresh one for a retried activation.
pub(crate) struct ComRun {
    class: Guid,
    fresh: Option<FreshClasses>,
    /// The hosts this run attached, by process id.
    attached: Mutex<BTreeSet<u32>>,
}

/// Registering more classes for a run: its scope, the server's command line, and the
/// classes registered so far (removed with the run's [`Registration`]).
struct FreshClasses {
    scope: Scope,
    program: PathBuf,
    args: Vec<String>,
    registered: Arc<Mutex<Vec<Guid>>>,
}

impl FreshClasses {
    /// Registers a fresh class served by the host program, removed with the run.
    fn register(&self) -> Result<Guid, String> {
        let class = Guid::fresh();
        let command = server_command(&self.program, &self.args, class);
        self.registered.lock().push(class);
        registry::register_class(self.scope, class, &command)
            .map_err(|error| format!("cannot register the run's COM class {class}: {error}"))?;
        Ok(class)
    }
}

/// A run's registrations of its own classes, removed when dropped (after the run's hosts).
pub(crate) struct Registration {
    scope: Scope,
    classes: Arc<Mutex<Vec<Guid>>>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        for &class in self.classes.lock().iter() {
            let _ = registry::unregister_class(self.scope, class);
        }
    }
}

impl ComRun {
    /// Registers what a COM run needs: the interfaces and their type library (beside the
    /// host program), and, for [`ComClass::PerRun`], a fresh class served by the host
    /// program. Failures go to `errors`; the activations then fail with COM's HRESULT.
    ///
    /// Per machine when this process may write there, per user otherwise. Per machine
    /// first because COM ignores per-user classes in elevated processes (CI runners are),
    /// and because Wine 8's `HKEY_CLASSES_ROOT` does not include the per-user classes at
    /// all (measured: activating a per-user class fails with `REGDB_E_CLASSNOTREG`).
    pub(crate) fn register(
        config: &RealConfig,
        class: ComClass,
        errors: &mut Vec<String>,
    ) -> (ComRun, Registration) {
        let library = config.host_program.with_file_name("plughost.tlb");
        if let Err(error) = registry::write_type_library(&library) {
            errors.push(format!("cannot write the type library {}: {error}", library.display()));
        }
        let scope = match registry::register_interfaces(Scope::Machine, &library) {
            Ok(()) => Scope::Machine,
            Err(_) => Scope::User,
        };
        if scope == Scope::User
            && let Err(error) = registry::register_interfaces(Scope::User, &library)
        {
            errors.push(format!("cannot register the COM interfaces: {error}"));
        }
        let classes = Arc::new(Mutex::new(Vec::new()));
        let registration = Registration { scope, classes: classes.clone() };
        let attached = Mutex::new(BTreeSet::new());
        match class {
            ComClass::Registered => {
                (ComRun { class: Guid::REGISTERED_HOST, fresh: None, attached }, registration)
            }
            ComClass::PerRun => {
                let fresh = FreshClasses {
                    scope,
                    program: config.host_program.clone(),
                    args: config.host_args.clone(),
                    registered: classes,
                };
                let class = fresh.register().unwrap_or_else(|error| {
                    errors.push(error);
                    Guid::REGISTERED_HOST
                });
                (ComRun { class, fresh: Some(fresh), attached }, registration)
            }
        }
    }
}

/// The `LocalServer32` command line that serves `class`: the host program, its leading
/// arguments, `--com-server CLSID` (COM appends `-Embedding`).
pub(crate) fn server_command(program: &Path, args: &[String], class: Guid) -> String {
    let args: String = args.iter().map(|arg| format!(" {arg}")).collect();
    format!("\"{}\"{args} --com-server {class}", program.display())
}

/// A host's process as the service watches it: its handle once attached, and whether its
/// death was announced (once).
struct Watched {
    id: ProcessId,
    name: String,
    core: Weak<ProcessCore>,
    handle: OnceLock<Process>,
    dead: AtomicBool,
}

impl Watched {
    /// Announces the host's death, once.
    fn note_death(&self) {
        if !self.dead.swap(true, Ordering::SeqCst)
            && let Some(core) = self.core.upgrade()
        {
            core.facts.emit(Fact::ProcessDied { process: self.id });
        }
    }

    fn has_ended(&self) -> bool {
        self.dead.load(Ordering::SeqCst) || self.handle.get().is_some_and(Process::has_ended)
    }

    /// Kills the process (`TerminateProcess`) and announces its death once it ended.
    fn kill(&self) {
        if let Some(handle) = self.handle.get() {
            handle.terminate(1);
            handle.ended_within(DEATH_GRACE);
        }
        self.note_death();
    }

    /// The host broke the protocol: reported, killed, treated as crashed.
    fn broke(&self, error: ProtocolError) {
        if let Some(core) = self.core.upgrade() {
            core.report_error(format!("{} broke the protocol: {error}", self.name));
        }
        self.kill();
    }
}

/// One COM host, from the service's side.
pub(crate) struct ComHost {
    watched: Arc<Watched>,
    proxy: HostProxy,
    callback: Mutex<Option<CallbackObject>>,
}

impl ComHost {
    /// Activates a host for `plugin` from the run's class and attaches it: the callback
    /// object, the service's job, the plugin's name and the host's options.
    pub(crate) fn start(
        core: &Arc<ProcessCore>,
        run: &ComRun,
        plugin: Name,
        callbacks: Arc<dyn CallbackServer>,
    ) -> Result<Arc<dyn HostTransport>, HResult> {
        let Role::Service { config, job, .. } = &core.role else { return Err(E_UNEXPECTED) };
        let name = format!("host:{plugin}");
        let failed = |what: &str, hr: u32| {
            core.report_error(format!("{what} for {name} failed with {}", HResult(hr)));
            HResult(hr)
        };
        let (proxy, class) = activate(core, config, run, &name)
            .map_err(|(class, hr)| failed(&format!("CoCreateInstance({class})"), hr))?;
        let id = core.facts.host_process();
        core.facts.emit(Fact::ProcessStarted { process: id, plugin: Some(plugin.clone()) });
        let watched = Arc::new(Watched {
            id,
            name: name.clone(),
            core: Arc::downgrade(core),
            handle: OnceLock::new(),
            dead: AtomicBool::new(false),
        });
        let handler = Arc::new(FromHost { watched: watched.clone(), plugin: plugin.clone(), callbacks });
        let callback = CallbackObject::new(handler);
        let options = host_options(core, config, &plugin);
        let pid = proxy
            .attach(&callback, std::process::id(), job.0.handle_value(), &plugin, &options)
            .map_err(|hr| failed("Attach", hr))?;
        let handle = Process::open(pid).map_err(|e| failed("OpenProcess", e.hresult))?;
        run.attached.lock().insert(pid);
        remember_host(pid);
        let _ = watched.handle.set(handle);
        watch(watched.clone());
        core.trace_line("-", || format!("activates {name} (pid {pid}, COM class {class})"));
        Ok(Arc::new(ComHost { watched, proxy, callback: Mutex::new(Some(callback)) }))
    }
}

/// `RPC_S_CALL_FAILED_DNE`: the activation's call did not execute.
const RPC_S_CALL_FAILED_DNE: u32 = 0x8007_06BF;

/// Activations tried for one host: the first from the run's class, each retry from a fresh
/// class of its own (the same class when the run uses the registered one).
const ACTIVATION_ATTEMPTS: usize = 3;

/// Every process id a host attached by this process ever had (to tell a reused id).
static HOST_PIDS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Under Wine, a handle on every host this process attached, kept until the process ends.
static KEPT_HOSTS: Mutex<Vec<Process>> = Mutex::new(Vec::new());

/// Notes that a host with process id `pid` was attached. Under Wine, also keeps a handle on
/// its process for as long as this process lives, so that its id is never given to a later
/// host: Wine names a multithreaded apartment's OXID after its process id alone
/// (`pid << 32 | 0xcafe`), and an activation whose server got a dead host's id fails with
/// `RPC_S_CALL_FAILED_DNE` about a second in (measured: each such failure's server had an
/// earlier host's id). A process id is freed only when the last handle on it closes.
/// Windows' OXID resolver allocates OXIDs apart from process ids: this is for Wine alone.
fn remember_host(pid: u32) {
    HOST_PIDS.lock().insert(pid);
    if *UNDER_WINE.get_or_init(|| plughost_win32::process::wine_version().is_some())
        && let Ok(process) = Process::open(pid)
    {
        KEPT_HOSTS.lock().push(process);
    }
}

/// Whether this process runs under Wine.
static UNDER_WINE: OnceLock<bool> = OnceLock::new();

/// `CoCreateInstance` of the run's class, retried from a fresh class when it failed with
/// `RPC_S_CALL_FAILED_DNE`: COM says the activation never executed, so no host code ran
/// and no plugin was loaded; retrying cannot hide anything a scenario asserts (a host's
/// load failures and crashes happen after activation, in `Attach` and the calls). Wine's
/// RPC service fails some activations so, about a second in (measured: 6 of 75 in a
/// catalogue sweep). Each retry is recorded in the run's report and trace, with the server
/// processes this service started that are running unattached (the failed activation's,
/// if one was started: it exits unactivated after its guard) and whether their process id
/// is one an earlier host of this process had. Returns the proxy and the class it came
/// from, or the last class tried and COM's HRESULT.
fn activate(
    core: &ProcessCore,
    config: &RealConfig,
    run: &ComRun,
    name: &str,
) -> Result<(HostProxy, Guid), (Guid, u32)> {
    let mut class = run.class;
    for attempt in 1.. {
        let began = Instant::now();
        match HostProxy::activate(class) {
            Ok(proxy) => return Ok((proxy, class)),
            Err(RPC_S_CALL_FAILED_DNE) if attempt < ACTIVATION_ATTEMPTS => {
                let next = match &run.fresh {
                    Some(fresh) => fresh.register().map_err(|error| {
                        core.report_error(error);
                        (class, RPC_S_CALL_FAILED_DNE)
                    })?,
                    None => class,
                };
                let note = format!(
                    "CoCreateInstance({class}) for {name} failed with {} after {} ms (attempt {attempt} of \
                     {ACTIVATION_ATTEMPTS}); {}; retrying from class {next}",
                    HResult(RPC_S_CALL_FAILED_DNE),
                    began.elapsed().as_millis(),
                    unattached_servers(config, run),
                );
                core.record_activation_retry(note);
                class = next;
            }
            Err(hr) => return Err((class, hr)),
        }
    }
    unreachable!("the loop returns by its last attempt")
}

/// The host-program processes this service started that run unattached to this run, and
/// whether each has the process id of an earlier host of this process (for people reading
/// why an activation failed).
fn unattached_servers(config: &RealConfig, run: &ComRun) -> String {
    let exe = config.host_program.file_name().map(|name| name.to_string_lossy().to_lowercase());
    let children = match plughost_win32::process::child_processes() {
        Ok(children) => children,
        Err(error) => return format!("cannot list this process's children: {error}"),
    };
    let attached = run.attached.lock().clone();
    let earlier = HOST_PIDS.lock().clone();
    let servers: Vec<String> = children
        .iter()
        .filter(|child| Some(child.exe.to_lowercase()) == exe && !attached.contains(&child.id))
        .map(|child| {
            let reused = if earlier.contains(&child.id) { ", an earlier host's id" } else { "" };
            format!("pid {}{reused}", child.id)
        })
        .collect();
    if servers.is_empty() {
        "no unattached server process of this service is running".to_string()
    } else {
        format!("unattached server processes of this service: {}", servers.join(", "))
    }
}

/// What the host is told besides its plugin: `trace` when the service traces, and a
/// `hostile=MODE` a test asked for.
fn host_options(core: &ProcessCore, config: &RealConfig, plugin: &Name) -> String {
    let mut options = Vec::new();
    if !matches!(core.trace, crate::platform::TraceOut::Off) {
        options.push("trace".to_string());
    }
    if let Some(mode) = config.hostile.get(plugin.as_str()) {
        options.push(format!("hostile={mode}"));
    }
    options.join(" ")
}

/// Watches the host's process from a thread of its own, and announces its death when its
/// handle is signalled (a crash with no call in flight is seen here).
fn watch(watched: Arc<Watched>) {
    let _ = std::thread::Builder::new().name(format!("watch:{}", watched.name)).spawn(move || {
        if let Some(handle) = watched.handle.get() {
            while !handle.ended_within(Duration::from_secs(3600)) {}
        }
        watched.note_death();
    });
}

impl HostTransport for ComHost {
    fn process(&self) -> ProcessId {
        self.watched.id
    }

    fn process_name(&self) -> &str {
        &self.watched.name
    }

    /// A COM call: its failing HRESULT is whatever COM returned, never made up here.
    fn exchange(&self, request: HostRequest) -> Result<HostReply, HResult> {
        let bytes = postcard::to_allocvec(&request).map_err(|_| E_UNEXPECTED)?;
        match self.proxy.call(&bytes) {
            Err(hr) => {
                // The host's death, when that is why, is a fact before the call's end.
                if let Some(handle) = self.watched.handle.get()
                    && handle.ended_within(DEATH_GRACE)
                {
                    self.watched.note_death();
                }
                Err(HResult(hr))
            }
            Ok(reply) => postcard::from_bytes::<HostReply>(&reply).map_err(|e| {
                self.watched.broke(ProtocolError::Malformed { reason: e.to_string() });
                RPC_S_CALL_FAILED
            }),
        }
    }

    fn kill(&self) {
        if !self.watched.has_ended()
            && let Some(core) = self.watched.core.upgrade()
        {
            core.trace_line("-", || format!("kills {}", self.watched.name));
        }
        self.watched.kill();
        // Late callbacks from it now fail; COM drops the references it held for it.
        self.callback.lock().take();
    }

    fn is_alive(&self) -> bool {
        !self.watched.has_ended()
    }

    fn quiesce(&self, _round: u64, deadline: Instant) -> bool {
        if !self.is_alive() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        self.proxy.quiesce(left).unwrap_or_else(|_| !self.is_alive())
    }

    fn dump_threads(&self, _round: u64, _deadline: Instant) -> Vec<(String, String)> {
        let text = self.proxy.dump_threads().unwrap_or_default();
        text.lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(name, what)| (name.to_string(), what.to_string()))
            .collect()
    }
}

/// The service's callback object's behaviour for one host.
struct FromHost {
    watched: Arc<Watched>,
    plugin: Name,
    callbacks: Arc<dyn CallbackServer>,
}

impl CallbackHandler for FromHost {
    /// A callback runs on the COM RPC thread that received it, as a service thread `R-n`.
    fn call(&self, thread: u32, request: Vec<u8>) -> Result<Vec<u8>, com::Hresult> {
        let core = self.watched.core.upgrade().ok_or(com::E_UNEXPECTED)?;
        let request = postcard::from_bytes::<CallbackRequest>(&request).map_err(|e| {
            self.watched.broke(ProtocolError::Malformed { reason: e.to_string() });
            com::E_INVALIDARG
        })?;
        let (process, callbacks) = (self.watched.id, self.callbacks.clone());
        let reply = transport::serve_callback(&core, process, thread, request, callbacks, |call, served| {
            core.adopt_rpc_thread(Some(call), served)
        });
        let reply = reply.map_err(|_| com::E_UNEXPECTED)?;
        postcard::to_allocvec(&reply).map_err(|_| com::E_UNEXPECTED)
    }

    fn plugin(&self, thread: u32, event: Vec<u8>) -> Result<(), com::Hresult> {
        let core = self.watched.core.upgrade().ok_or(com::E_UNEXPECTED)?;
        let (plugin, event) = postcard::from_bytes::<(Name, PluginEvent)>(&event).map_err(|e| {
            self.watched.broke(ProtocolError::Malformed { reason: e.to_string() });
            com::E_INVALIDARG
        })?;
        if plugin != self.plugin {
            self.watched.broke(ProtocolError::ForeignPlugin { plugin });
            return Err(com::E_INVALIDARG);
        }
        let event = ModelEvent::from_plugin(plugin, event);
        core.sink.record(core.now(), remote_thread(self.watched.id, thread), &event);
        Ok(())
    }

    fn trace(&self, thread: String, line: String) {
        if let Some(core) = self.watched.core.upgrade() {
            core.trace_line(&format!("{}/{thread}", self.watched.name), || line);
        }
    }
}
