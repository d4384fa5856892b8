//! The plugin host process (`plughost-host`, like `wslpluginhost.exe`): one per plugin,
//! connected to its service by its standard input and output (no listening socket: nothing
//! but its service can reach it).
//!
//! It runs the model's `PluginHost` on the real platform: every call from the service is
//! served on a fresh thread (`H-n`), the plugin's threads are real threads, and its
//! callbacks go to the service with ids of their own, concurrently. Its model events (the
//! plugin's log) and, when asked, its trace lines travel to the service. When its input
//! ends (the service is gone) it exits at once.
//!
//! `--hostile MODE` makes it break the protocol on purpose (for the service's tests):
//! `garbage`, `oversized`, `unknown-call`. Two more flags switch off one
//! of the two ways a host dies with its service, so a test can prove each on its own:
//! `--ignore-end-of-input` (keep running when the pipe from the service closes) and
//! `--no-parent-death` (do not ask for the parent-death signal).

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Stdout, Write};
use std::process::ExitCode;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};
use plughost_model::event::{EventSink, ModelEvent, PluginEvent};
use plughost_model::fact::Fact;
use plughost_model::hresult::{HResult, RPC_S_CALL_FAILED};
use plughost_model::ids::Name;
use plughost_model::platform::{ServiceLink, ThreadId};
use plughost_model::plugin_host::PluginHost;
use plughost_model::wire::{CallbackReply, CallbackRequest};

use crate::platform::{ProcessCore, RealPlatform, Role, TraceOut};
use crate::protocol::{MAX_FRAME_BYTES, Message, PROTOCOL_VERSION, ReadError, read_frame, write_frame};
use crate::threads::{self, Activity};
use crate::transport::Uplink;

/// Ways a host can misbehave on purpose.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Hostility {
    /// Bytes that are not a frame.
    Garbage,
    /// A frame header announcing more than the size cap.
    Oversized,
    /// A reply to a call the service never made.
    UnknownCall,
}

impl Hostility {
    fn parse(text: &str) -> Option<Hostility> {
        match text {
            "garbage" => Some(Hostility::Garbage),
            "oversized" => Some(Hostility::Oversized),
            "unknown-call" => Some(Hostility::UnknownCall),
            _ => None,
        }
    }
}

struct Pending {
    next_id: u64,
    replies: BTreeMap<u64, Option<CallbackReply>>,
}

/// The host's end of its service.
pub struct ServiceConnection {
    out: Mutex<BufWriter<Stdout>>,
    pending: Mutex<Pending>,
    replied: Condvar,
}

impl ServiceConnection {
    fn new() -> Arc<ServiceConnection> {
        Arc::new(ServiceConnection {
            out: Mutex::new(BufWriter::new(std::io::stdout())),
            pending: Mutex::new(Pending { next_id: 1, replies: BTreeMap::new() }),
            replied: Condvar::new(),
        })
    }

    /// Sends a message; if the service is gone, so is this process.
    fn send(&self, message: &Message) {
        if write_frame(&mut *self.out.lock(), message).is_err() {
            std::process::exit(0);
        }
    }

    fn send_raw(&self, bytes: &[u8]) {
        let mut out = self.out.lock();
        let _ = out.write_all(bytes).and_then(|()| out.flush());
    }

    fn call(&self, thread: ThreadId, request: CallbackRequest) -> CallbackReply {
        let id = {
            let mut pending = self.pending.lock();
            let id = pending.next_id;
            pending.next_id += 1;
            pending.replies.insert(id, None);
            id
        };
        self.send(&Message::Callback { id, thread: thread.0, request });
        let mut pending = self.pending.lock();
        loop {
            if let Some(Some(_)) = pending.replies.get(&id) {
                return pending.replies.remove(&id).flatten().expect("just checked");
            }
            self.replied.wait(&mut pending);
        }
    }

    fn complete(&self, id: u64, reply: CallbackReply) {
        if let Some(slot) = self.pending.lock().replies.get_mut(&id) {
            *slot = Some(reply);
        }
        self.replied.notify_all();
    }
}

impl Uplink for ServiceConnection {
    /// The pipe has no transport failure of its own: if the service is gone, so is the host.
    fn callback(&self, thread: ThreadId, request: CallbackRequest) -> Result<CallbackReply, HResult> {
        Ok(self.call(thread, request))
    }

    fn plugin_event(&self, thread: ThreadId, plugin: &Name, event: PluginEvent) {
        self.send(&Message::Plugin { thread: thread.0, plugin: plugin.clone(), event });
    }

    fn trace(&self, thread: &str, line: String) {
        let thread = thread.split_once('/').map_or(thread, |(_, t)| t).to_string();
        self.send(&Message::Trace { thread, line });
    }
}

/// A host's proxy to its service, over whichever transport reaches it.
pub struct RealServiceLink {
    uplink: Arc<dyn Uplink>,
    core: Arc<ProcessCore>,
}

impl RealServiceLink {
    pub(crate) fn new(uplink: Arc<dyn Uplink>, core: Arc<ProcessCore>) -> RealServiceLink {
        RealServiceLink { uplink, core }
    }
}

impl ServiceLink for RealServiceLink {
    async fn call(&self, request: CallbackRequest) -> Result<CallbackReply, HResult> {
        let me = threads::current();
        let label = request.label();
        self.core.threads.set(me, Activity::Blocked(format!("waits for call {label} to svc")));
        let reply = self.uplink.callback(me, request);
        self.core.threads.set(me, Activity::Running);
        reply
    }
}

/// Forwards what the host's plugin observed to the service.
pub(crate) struct WireSink {
    pub(crate) uplink: Arc<dyn Uplink>,
}

impl EventSink for WireSink {
    fn record(&self, _at: std::time::Duration, thread: ThreadId, event: &ModelEvent) {
        if let Some((plugin, event)) = event.plugin_event() {
            self.uplink.plugin_event(thread, plugin, event);
        }
    }

    /// A host's own facts stay in the host: the service observes a host from outside.
    fn fact(&self, _at: std::time::Duration, _fact: &Fact) {}
}

struct Options {
    plugin: Name,
    service_pid: u32,
    trace: bool,
    hostile: Option<Hostility>,
    /// Exit when the service's pipe closes (off only in lifetime tests).
    exit_on_end_of_input: bool,
    /// Ask for the parent-death signal (off only in lifetime tests).
    parent_death: bool,
}

fn options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut plugin, mut service_pid, mut trace, mut hostile) = (None, None, false, None);
    let (mut exit_on_end_of_input, mut parent_death) = (true, true);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--plugin" => plugin = args.next(),
            "--service-pid" => service_pid = args.next().and_then(|p| p.parse().ok()),
            "--trace" => trace = true,
            "--ignore-end-of-input" => exit_on_end_of_input = false,
            "--no-parent-death" => parent_death = false,
            "--hostile" => {
                let mode = args.next().unwrap_or_default();
                hostile = Some(Hostility::parse(&mode).ok_or(format!("unknown --hostile mode `{mode}`"))?);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Options {
        plugin: plugin.ok_or("--plugin NAME is required")?.into(),
        service_pid: service_pid.ok_or("--service-pid PID is required")?,
        trace,
        hostile,
        exit_on_end_of_input,
        parent_death,
    })
}

/// The host process's `main`. It speaks only the protocol on its standard output.
pub fn main() -> ExitCode {
    main_with(std::env::args().skip(1))
}

/// The host process's `main`, given its arguments (`--plugin NAME --service-pid PID …`).
pub fn main_with(args: impl Iterator<Item = String>) -> ExitCode {
    let args: Vec<String> = args.collect();
    if let Some(at) = args.iter().position(|arg| arg == "--com-server") {
        return com_server(args.get(at + 1).map(String::as_str));
    }
    let options = match options(args.into_iter()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("plughost-host: {message} (this program is started by the plughost service)");
            return ExitCode::from(2);
        }
    };
    if options.parent_death
        && let Err(message) = crate::lifetime::die_with_parent(options.service_pid)
    {
        eprintln!("plughost-host: {message}");
        return ExitCode::from(1);
    }
    let connection = ServiceConnection::new();
    connection.send(&Message::Hello { pid: std::process::id() });
    let (core, host) = host_process(&options.plugin, connection.clone(), options.trace);
    serve(&core, &connection, &host, &options);
    ExitCode::SUCCESS
}

/// `--com-server CLSID`: be the COM local server of that class (Windows), as COM starts it
/// (it appends `-Embedding`, which is ignored).
fn com_server(class: Option<&str>) -> ExitCode {
    #[cfg(windows)]
    return crate::com::serve_host(class);
    #[cfg(not(windows))]
    {
        eprintln!("plughost-host: --com-server {} needs Windows", class.unwrap_or("CLSID"));
        ExitCode::from(2)
    }
}

/// The host process's platform and `PluginHost` for `plugin`, reaching its service by
/// `uplink` (and sending it trace lines when `trace`).
pub(crate) fn host_process(
    plugin: &Name,
    uplink: Arc<dyn Uplink>,
    trace: bool,
) -> (Arc<ProcessCore>, Arc<PluginHost<RealPlatform>>) {
    let trace = if trace { TraceOut::Wire(uplink.clone()) } else { TraceOut::Off };
    let sink = Arc::new(WireSink { uplink: uplink.clone() });
    let core = ProcessCore::new(format!("host:{plugin}"), sink, trace, Role::Host);
    let platform = RealPlatform { core: core.clone() };
    let host = PluginHost::new(platform, RealServiceLink::new(uplink, core.clone()));
    (core, host)
}

/// Reads the service's messages until its end of the pipe closes, then exits (or, with
/// `--ignore-end-of-input`, waits to be killed).
fn serve(
    core: &Arc<ProcessCore>,
    connection: &Arc<ServiceConnection>,
    host: &Arc<PluginHost<RealPlatform>>,
    options: &Options,
) {
    let hostile = options.hostile;
    let mut input = BufReader::new(std::io::stdin());
    loop {
        let message = match read_frame(&mut input) {
            Ok(message) => message,
            Err(ReadError::Closed | ReadError::Io(_) | ReadError::Protocol(_)) => {
                if !options.exit_on_end_of_input {
                    loop {
                        std::thread::park();
                    }
                }
                std::process::exit(0)
            }
        };
        match message {
            Message::HostCall { id, request } => {
                if let Some(hostility) = hostile {
                    misbehave(connection, hostility);
                }
                let (host, connection) = (host.clone(), connection.clone());
                core.spawn_rpc_thread(None, async move {
                    let reply = host.serve(request).await;
                    connection.send(&Message::HostReturn { id, reply });
                });
            }
            Message::CallbackReturn { id, reply } => connection.complete(id, reply),
            Message::Quiesce { id } => {
                let (core, connection) = (core.clone(), connection.clone());
                std::thread::spawn(move || {
                    core.threads
                        .wait_all_done(std::time::Instant::now() + std::time::Duration::from_secs(3600));
                    connection.send(&Message::Quiescent { id });
                });
            }
            Message::DumpThreads { id } => {
                let threads = core.threads.unfinished().into_iter().map(|(n, a)| (n, a.describe())).collect();
                connection.send(&Message::Threads { id, threads });
            }
            _ => std::process::exit(3),
        }
    }
}

/// Breaks the protocol once, before serving the first call.
fn misbehave(connection: &ServiceConnection, hostility: Hostility) {
    match hostility {
        Hostility::Garbage => connection.send_raw(&[5, 0, 0, 0, PROTOCOL_VERSION, 0xde, 0xad, 0xbe, 0xef]),
        Hostility::Oversized => connection.send_raw(&((MAX_FRAME_BYTES as u32) + 1).to_le_bytes()),
        Hostility::UnknownCall => connection.send(&Message::HostReturn {
            id: 424_242,
            reply: plughost_model::wire::HostReply::hr(RPC_S_CALL_FAILED),
        }),
    }
}
