//! Hosts never outlive the service (spec §5.5, the job object's promise).
//!
//! Linux: each host starts in its own process group (so the service can kill the host with
//! everything the plugin started) and asks the kernel to SIGKILL it when its parent dies,
//! then checks the parent did not die before that request. Windows: every host is assigned
//! to one job object created with kill-on-close; closing it (the service exiting, however)
//! kills them all. Elsewhere hosts die when they find their pipe closed.

use std::process::{Child, Command};
use std::sync::mpsc;

use parking_lot::Mutex;

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Starts host processes from one long-lived thread. Linux delivers the parent-death signal
/// when the *thread* that started a child exits, so hosts must not be started by the
/// short-lived threads that activate them; this thread lives as long as the run.
pub struct Spawner {
    requests: Mutex<mpsc::Sender<SpawnRequest>>,
}

impl Spawner {
    /// Starts the spawning thread; it ends when the spawner is dropped.
    pub fn start() -> Spawner {
        let (requests, inbox) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("host-spawner".to_string())
            .spawn(move || {
                for (mut command, reply) in inbox {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("the OS starts a thread");
        Spawner { requests: Mutex::new(requests) }
    }

    /// Starts `command` on the spawning thread.
    pub fn spawn(&self, command: Command) -> std::io::Result<Child> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .lock()
            .send((command, reply))
            .map_err(|_| std::io::Error::other("the spawner is gone"))?;
        answer.recv().map_err(|_| std::io::Error::other("the spawner is gone"))?
    }
}

/// Prepares a host's command line (its own process group on Unix).
pub fn configure_host_command(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// In the host: die with the parent `service_pid`. Returns an error when that cannot be
/// arranged or the parent is already gone.
pub fn die_with_parent(service_pid: u32) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::prctl::set_pdeathsig;
        use nix::sys::signal::Signal;
        set_pdeathsig(Signal::SIGKILL).map_err(|e| format!("cannot request a parent-death signal: {e}"))?;
        let parent = nix::unistd::getppid().as_raw();
        if u32::try_from(parent).ok() != Some(service_pid) {
            return Err(format!("the service (pid {service_pid}) is already gone"));
        }
    }
    let _ = service_pid;
    Ok(())
}

/// Kills a host and everything in its process group.
pub fn kill_host(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Ends the calling process at once, as `TerminateProcess(GetCurrentProcess())` does.
pub fn terminate_self() -> ! {
    #[cfg(unix)]
    {
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
    #[cfg(windows)]
    plughost_win32::process::terminate_current_process(CRASH_EXIT_CODE);
    #[cfg(not(windows))]
    std::process::abort()
}

/// The exit code a host that terminates itself reports on Windows. Nothing reads it: a crash
/// is observed by the service as the HRESULTs of its calls (and Wine reports 0 for a killed
/// process anyway).
#[cfg(windows)]
const CRASH_EXIT_CODE: u32 = 0xDEAD;

/// The service's job object: every host is assigned to it; it kills them all on close.
#[cfg(windows)]
pub struct HostJob(pub(crate) plughost_win32::process::Job);

#[cfg(windows)]
impl std::fmt::Debug for HostJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HostJob({:#x})", self.0.handle_value())
    }
}

#[cfg(windows)]
impl HostJob {
    /// A job with kill-on-close.
    pub fn create() -> Result<HostJob, String> {
        plughost_win32::process::Job::kill_on_close()
            .map(HostJob)
            .map_err(|e| format!("cannot create the job object: {e}"))
    }

    /// Puts a host in the job.
    pub fn assign(&self, child: &std::process::Child) -> Result<(), String> {
        self.0.assign(child).map_err(|e| format!("cannot assign the host to the job: {e}"))
    }
}
