//! The service's end of one plugin host process: starting it, calls to it with their ids,
//! the reader that takes everything the host sends, and what happens when the host dies or
//! misbehaves.
//!
//! The service distrusts the host: every frame is checked (size, version, decoding), every
//! message must be one a host may send, a reply must answer an outstanding call, a log line
//! must be for this host's plugin. A callback's session cookie is not checked: WSL forwards
//! any cookie and the service answers `ERROR_NOT_FOUND` for one it does not know (spec §3,
//! §3.1), so a host naming a session it was never told about is legal.
//! A host that breaks any of these gets a typed [`ProtocolError`] in the run's report and is
//! treated as crashed: killed, its calls in flight failed with `RPC_S_CALL_FAILED`, later
//! calls failed fast with `RPC_S_SERVER_UNAVAILABLE`. The service keeps running.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, BufWriter};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use plughost_model::event::ModelEvent;
use plughost_model::fact::{Fact, ProcessId};
use plughost_model::hresult::{
    CO_E_SERVER_EXEC_FAILURE, HResult, RPC_S_CALL_FAILED, RPC_S_SERVER_UNAVAILABLE,
};
use plughost_model::ids::Name;
use plughost_model::platform::{CallbackServer, HostLink};
use plughost_model::wire::{CallbackRequest, HostReply, HostRequest};

use crate::facts::remote_thread;
use crate::platform::ProcessCore;
use crate::protocol::{
    HostView, Message, ProtocolError, ReadError, check_from_host, read_frame, write_frame,
};
use crate::run::RealConfig;
use crate::transport::{self, HostTransport};

/// How long a started host has to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct LinkState {
    hello: bool,
    alive: bool,
    next_id: u64,
    pending: BTreeMap<u64, Option<Result<HostReply, HResult>>>,
    quiescent: BTreeSet<u64>,
    dumps: BTreeMap<u64, Vec<(String, String)>>,
}

/// One host process, from the service's side.
pub struct HostConnection {
    id: ProcessId,
    plugin: Name,
    process: String,
    core: Weak<ProcessCore>,
    callbacks: Arc<dyn CallbackServer>,
    writer: Mutex<Option<BufWriter<ChildStdin>>>,
    child: Mutex<Child>,
    state: Mutex<LinkState>,
    changed: Condvar,
}

impl HostConnection {
    /// Starts the host process for `plugin` and waits for its hello.
    pub(crate) fn start(
        core: &Arc<ProcessCore>,
        config: &RealConfig,
        spawner: &crate::lifetime::Spawner,
        plugin: Name,
        callbacks: Arc<dyn CallbackServer>,
    ) -> Result<Arc<HostConnection>, HResult> {
        let mut command = Command::new(&config.host_program);
        command
            .args(&config.host_args)
            .arg("--plugin")
            .arg(plugin.as_str())
            .arg("--service-pid")
            .arg(std::process::id().to_string());
        if !matches!(core.trace, crate::platform::TraceOut::Off) {
            command.arg("--trace");
        }
        if let Some(mode) = config.hostile.get(plugin.as_str()) {
            command.arg("--hostile").arg(mode);
        }
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        crate::lifetime::configure_host_command(&mut command);
        let mut child = spawner.spawn(command).map_err(|e| {
            core.report_error(format!(
                "cannot start {} for host:{plugin}: {e}",
                config.host_program.display()
            ));
            CO_E_SERVER_EXEC_FAILURE
        })?;
        core.assign_to_job(&child).map_err(|e| {
            core.report_error(e);
            CO_E_SERVER_EXEC_FAILURE
        })?;
        let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
        let id = core.facts.host_process();
        core.facts.emit(Fact::ProcessStarted { process: id, plugin: Some(plugin.clone()) });
        let connection = Arc::new(HostConnection {
            id,
            process: format!("host:{plugin}"),
            plugin,
            core: Arc::downgrade(core),
            callbacks,
            writer: Mutex::new(stdin.map(BufWriter::new)),
            child: Mutex::new(child),
            state: Mutex::new(LinkState { alive: true, next_id: 1, ..LinkState::default() }),
            changed: Condvar::new(),
        });
        let reader = connection.clone();
        let stdout = stdout.expect("the host's stdout is piped");
        std::thread::Builder::new()
            .name(format!("reader:{}", connection.process))
            .spawn(move || reader.read_all(stdout))
            .map_err(|_| CO_E_SERVER_EXEC_FAILURE)?;
        connection.wait_for_hello(core)?;
        core.trace_line("-", || format!("activates {} (pid {})", connection.process, connection.pid()));
        Ok(connection)
    }

    fn wait_for_hello(&self, core: &ProcessCore) -> Result<(), HResult> {
        let deadline = Instant::now() + HELLO_TIMEOUT;
        let mut state = self.state.lock();
        while !state.hello && state.alive {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        if state.hello && state.alive {
            return Ok(());
        }
        drop(state);
        core.report_error(format!("{} never said hello", self.process));
        self.fail(None);
        Err(CO_E_SERVER_EXEC_FAILURE)
    }

    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().id()
    }

    fn send(&self, message: &Message) -> bool {
        let mut writer = self.writer.lock();
        match writer.as_mut() {
            Some(out) => write_frame(out, message).is_ok(),
            None => false,
        }
    }

    /// Sends a call and waits for its reply; `Err` is the transport's HRESULT.
    fn send_call(&self, request: HostRequest) -> Result<HostReply, HResult> {
        let id = {
            let mut state = self.state.lock();
            if !state.alive {
                return Err(RPC_S_SERVER_UNAVAILABLE);
            }
            let id = state.next_id;
            state.next_id += 1;
            state.pending.insert(id, None);
            id
        };
        if !self.send(&Message::HostCall { id, request }) {
            self.fail(None);
        }
        self.wait_for_reply(id)
    }

    fn wait_for_reply(&self, id: u64) -> Result<HostReply, HResult> {
        let mut state = self.state.lock();
        loop {
            match state.pending.get(&id) {
                Some(Some(_)) => return state.pending.remove(&id).flatten().expect("just checked"),
                Some(None) if !state.alive => {
                    state.pending.remove(&id);
                    return Err(RPC_S_CALL_FAILED);
                }
                Some(None) => self.changed.wait(&mut state),
                None => return Err(RPC_S_CALL_FAILED),
            }
        }
    }

    /// The reader thread: everything the host sends, until it dies or misbehaves.
    fn read_all(self: Arc<Self>, stdout: ChildStdout) {
        let mut input = BufReader::new(stdout);
        loop {
            match read_frame(&mut input) {
                Ok(message) => {
                    if let Err(error) = self.take(message) {
                        return self.fail(Some(error));
                    }
                }
                Err(ReadError::Protocol(error)) => return self.fail(Some(error)),
                Err(ReadError::Closed) | Err(ReadError::Io(_)) => return self.fail(None),
            }
        }
    }

    /// Takes one message from the host: checked first, then acted on.
    fn take(self: &Arc<Self>, message: Message) -> Result<(), ProtocolError> {
        let Some(core) = self.core.upgrade() else { return Ok(()) };
        {
            let state = self.state.lock();
            let view = HostView {
                plugin: &self.plugin,
                hello_seen: state.hello,
                outstanding: &|id| matches!(state.pending.get(&id), Some(None)),
            };
            check_from_host(&message, &view)?;
        }
        match message {
            Message::Hello { .. } => self.state.lock().hello = true,
            Message::HostReturn { id, reply } => {
                if let Some(slot @ None) = self.state.lock().pending.get_mut(&id) {
                    *slot = Some(Ok(reply));
                }
            }
            Message::Callback { id, thread, request } => self.serve_callback(&core, id, thread, request),
            Message::Plugin { thread, plugin, event } => {
                let event = ModelEvent::from_plugin(plugin, event);
                core.sink.record(core.now(), remote_thread(self.id, thread), &event);
            }
            Message::Trace { thread, line } => {
                core.trace_line(&format!("{}/{thread}", self.process), || line)
            }
            Message::Quiescent { id } => {
                self.state.lock().quiescent.insert(id);
            }
            Message::Threads { id, threads } => {
                self.state.lock().dumps.insert(id, threads);
            }
            // Refused by `check_from_host`.
            Message::HostCall { .. }
            | Message::CallbackReturn { .. }
            | Message::Quiesce { .. }
            | Message::DumpThreads { .. } => {}
        }
        self.changed.notify_all();
        Ok(())
    }

    /// A callback from host thread `thread` runs on a fresh service thread (a COM RPC
    /// thread's stand-in).
    fn serve_callback(
        self: &Arc<Self>,
        core: &Arc<ProcessCore>,
        id: u64,
        thread: u32,
        request: CallbackRequest,
    ) {
        let (connection, rpc) = (self.clone(), core.clone());
        transport::serve_callback(core, self.id, thread, request, self.callbacks.clone(), |call, served| {
            rpc.spawn_rpc_thread(Some(call), async move {
                let reply = served.await;
                // A reply to a host that died meanwhile is dropped.
                connection.send(&Message::CallbackReturn { id, reply });
            });
        });
    }

    /// The host is gone (crashed, killed) or broke the protocol: it is treated as crashed.
    fn fail(&self, error: Option<ProtocolError>) {
        {
            let mut state = self.state.lock();
            if !state.alive && error.is_none() {
                return;
            }
            let was_alive = std::mem::replace(&mut state.alive, false);
            if was_alive && let Some(core) = self.core.upgrade() {
                core.facts.emit(Fact::ProcessDied { process: self.id });
            }
        }
        if let Some(error) = error
            && let Some(core) = self.core.upgrade()
        {
            core.report_error(format!("{} broke the protocol: {error}", self.process));
        }
        *self.writer.lock() = None;
        crate::lifetime::kill_host(&mut self.child.lock());
        self.changed.notify_all();
    }

    fn kill_now(&self) {
        if self.state.lock().alive
            && let Some(core) = self.core.upgrade()
        {
            core.trace_line("-", || format!("kills {}", self.process));
        }
        self.fail(None);
    }
}

impl HostTransport for HostConnection {
    fn process(&self) -> ProcessId {
        self.id
    }

    fn process_name(&self) -> &str {
        &self.process
    }

    fn exchange(&self, request: HostRequest) -> Result<HostReply, HResult> {
        self.send_call(request)
    }

    fn kill(&self) {
        self.kill_now();
    }

    fn is_alive(&self) -> bool {
        self.state.lock().alive
    }

    fn quiesce(&self, id: u64, deadline: Instant) -> bool {
        if !self.send(&Message::Quiesce { id }) {
            return !self.is_alive();
        }
        let mut state = self.state.lock();
        while state.alive && !state.quiescent.contains(&id) {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                return false;
            }
        }
        true
    }

    fn dump_threads(&self, id: u64, deadline: Instant) -> Vec<(String, String)> {
        if !self.send(&Message::DumpThreads { id }) {
            return Vec::new();
        }
        let mut state = self.state.lock();
        while state.alive && !state.dumps.contains_key(&id) {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        state.dumps.remove(&id).unwrap_or_default()
    }
}

/// The service's proxy to one host, over whichever transport reaches it.
pub struct RealHostLink {
    core: Arc<ProcessCore>,
    transport: Arc<dyn HostTransport>,
}

impl RealHostLink {
    pub(crate) fn new(core: Arc<ProcessCore>, transport: Arc<dyn HostTransport>) -> RealHostLink {
        RealHostLink { core, transport }
    }
}

impl HostLink for RealHostLink {
    async fn call(&self, request: HostRequest) -> Result<HostReply, HResult> {
        transport::call_host(&self.core, &*self.transport, request)
    }

    fn kill(&self) {
        self.transport.kill();
    }
}
