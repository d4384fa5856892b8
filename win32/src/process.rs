//! Processes and job objects: the service's kill-on-close job that every host joins, handles
//! on host processes (to watch and kill them), and ending the calling process at once.

#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_void};
use std::os::windows::io::AsRawHandle;
use std::time::Duration;

use windows::Win32::Foundation::{DUPLICATE_SAME_ACCESS, DuplicateHandle, HANDLE, WAIT_OBJECT_0};
use windows::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation, SetInformationJobObject,
};
use windows::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentProcessId, OpenProcess, PROCESS_DUP_HANDLE,
    PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE, PROCESS_TERMINATE, TerminateProcess,
    WaitForSingleObject,
};
use windows_core::{PCWSTR, s, w};

use crate::Error;
use crate::handle::Handle;

/// The calling process's id.
pub fn current_process_id() -> u32 {
    // SAFETY: no arguments, no preconditions.
    unsafe { GetCurrentProcessId() }
}

/// `TerminateProcess(GetCurrentProcess(), code)`: the process ends at once, with no
/// destructor, no flushing and no unwinding, as a crashing plugin host does.
pub fn terminate_current_process(code: u32) -> ! {
    // SAFETY: the pseudo-handle of the calling process is always valid.
    let _ = unsafe { TerminateProcess(current_process(), code) };
    // TerminateProcess on oneself does not return; if it ever did, abort.
    std::process::abort()
}

/// The calling process's pseudo-handle (never closed, always valid).
fn current_process() -> HANDLE {
    // SAFETY: no arguments, no preconditions.
    unsafe { GetCurrentProcess() }
}

/// A job object that kills every process in it when its last handle closes.
pub struct Job {
    handle: Handle,
}

impl Job {
    /// A new, unnamed job with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`.
    pub fn kill_on_close() -> Result<Job, Error> {
        // SAFETY: default security, no name: no pointers are passed.
        let raw = unsafe { CreateJobObjectW(None, PCWSTR::null()) }
            .map_err(|e| Error::of("CreateJobObjectW", e))?;
        // SAFETY: `raw` was just created and is owned by nothing else.
        let job = Job { handle: unsafe { Handle::own(raw) } };
        let mut limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        let size = size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32;
        let info = (&raw const limits).cast::<c_void>();
        // SAFETY: `info` points to a live structure of `size` bytes of the class named.
        unsafe { SetInformationJobObject(job.handle.raw(), JobObjectExtendedLimitInformation, info, size) }
            .map_err(|e| Error::of("SetInformationJobObject", e))?;
        Ok(job)
    }

    /// The handle's value in this process, for another process to duplicate
    /// ([`join_job_of`]).
    pub fn handle_value(&self) -> u32 {
        self.handle.raw().0 as usize as u32
    }

    /// Puts a started child process in the job.
    pub fn assign(&self, child: &impl AsRawHandle) -> Result<(), Error> {
        let process = HANDLE(child.as_raw_handle());
        // SAFETY: both handles are open: the job's is owned, the child's is borrowed.
        unsafe { AssignProcessToJobObject(self.handle.raw(), process) }
            .map_err(|e| Error::of("AssignProcessToJobObject", e))
    }
}

/// Puts the calling process in the job whose handle is `job` in process `owner_pid` (the
/// service): duplicates the handle into this process, joins, and closes the copy, so that
/// the job still dies with its owner's last handle.
pub fn join_job_of(owner_pid: u32, job: u32) -> Result<(), Error> {
    // SAFETY: no pointers; the kernel checks the pid and the access.
    let raw = unsafe { OpenProcess(PROCESS_DUP_HANDLE, false, owner_pid) }
        .map_err(|e| Error::of("OpenProcess", e))?;
    // SAFETY: `raw` was just opened and is owned by nothing else.
    let owner = unsafe { Handle::own(raw) };
    let mut copy = HANDLE::default();
    let source = HANDLE(job as usize as *mut c_void);
    let me = current_process();
    // SAFETY: the owner's handle is open; the kernel validates `source` in that process;
    // `copy` is a live out-slot; the current-process pseudo-handle is always valid.
    unsafe { DuplicateHandle(owner.raw(), source, me, &mut copy, 0, false, DUPLICATE_SAME_ACCESS) }
        .map_err(|e| Error::of("DuplicateHandle", e))?;
    // SAFETY: `copy` was just duplicated into this process and is owned by nothing else.
    let copy = unsafe { Handle::own(copy) };
    // SAFETY: the job handle is open and the pseudo-handle is always valid.
    unsafe { AssignProcessToJobObject(copy.raw(), me) }.map_err(|e| Error::of("AssignProcessToJobObject", e))
}

/// A handle on another process: to watch it end and to kill it.
pub struct Process {
    handle: Handle,
    id: u32,
}

impl Process {
    /// Opens process `id` to wait on and terminate it.
    pub fn open(id: u32) -> Result<Process, Error> {
        let access = PROCESS_SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION;
        // SAFETY: no pointers; the kernel checks the pid and the access.
        let raw = unsafe { OpenProcess(access, false, id) }.map_err(|e| Error::of("OpenProcess", e))?;
        // SAFETY: `raw` was just opened and is owned by nothing else.
        Ok(Process { handle: unsafe { Handle::own(raw) }, id })
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Whether it has ended, waiting at most `timeout` for it to.
    pub fn ended_within(&self, timeout: Duration) -> bool {
        let milliseconds = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: the handle is open for as long as `self` lives.
        let result = unsafe { WaitForSingleObject(self.handle.raw(), milliseconds) };
        result == WAIT_OBJECT_0
    }

    /// Whether it has ended.
    pub fn has_ended(&self) -> bool {
        self.ended_within(Duration::ZERO)
    }

    /// `TerminateProcess`; a process that already ended is left alone.
    pub fn terminate(&self, code: u32) {
        // SAFETY: the handle is open and was opened with PROCESS_TERMINATE.
        let _ = unsafe { TerminateProcess(self.handle.raw(), code) };
    }
}

/// A process the calling process started that is still running: its id and executable's
/// file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildProcess {
    /// Its process id.
    pub id: u32,
    /// Its executable's file name (`plughost-host.exe`).
    pub exe: String,
}

/// The running processes whose parent is the calling process (a Toolhelp snapshot).
pub fn child_processes() -> Result<Vec<ChildProcess>, Error> {
    // SAFETY: no pointers; the snapshot handle is returned by value.
    let raw = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) }
        .map_err(|e| Error::of("CreateToolhelp32Snapshot", e))?;
    // SAFETY: `raw` was just opened and is owned by nothing else.
    let snapshot = unsafe { Handle::own(raw) };
    let me = current_process_id();
    let mut entry =
        PROCESSENTRY32W { dwSize: std::mem::size_of::<PROCESSENTRY32W>() as u32, ..Default::default() };
    let mut children = Vec::new();
    // SAFETY: the snapshot is open; `entry` is a live entry with its size set.
    let mut more = unsafe { Process32FirstW(snapshot.raw(), &mut entry) }.is_ok();
    while more {
        if entry.th32ParentProcessID == me {
            let length = entry.szExeFile.iter().position(|&c| c == 0).unwrap_or(entry.szExeFile.len());
            let exe = String::from_utf16_lossy(&entry.szExeFile[..length]);
            children.push(ChildProcess { id: entry.th32ProcessID, exe });
        }
        // SAFETY: as above.
        more = unsafe { Process32NextW(snapshot.raw(), &mut entry) }.is_ok();
    }
    Ok(children)
}

/// Wine's version when running under Wine (`ntdll!wine_get_version`), else `None`.
pub fn wine_version() -> Option<String> {
    // SAFETY: the name is a static, NUL-terminated wide string.
    let ntdll = unsafe { GetModuleHandleW(w!("ntdll.dll")) }.ok()?;
    // SAFETY: the module handle is valid (ntdll is never unloaded); the name is static.
    let function = unsafe { GetProcAddress(ntdll, s!("wine_get_version")) }?;
    // SAFETY: Wine exports `const char *wine_get_version(void)` under this name.
    let get_version: unsafe extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(function) };
    // SAFETY: it takes no arguments and returns a static string.
    let text = unsafe { get_version() };
    // SAFETY: `text` is a static NUL-terminated string owned by Wine (checked for null).
    (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::time::Instant;

    #[test]
    fn closing_a_kill_on_close_job_kills_the_processes_in_it() {
        let job = Job::kill_on_close().expect("a job");
        // `pause` waits for a key on its standard input, which stays open.
        let mut child = Command::new("cmd.exe")
            .args(["/c", "pause"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("cmd.exe starts");
        job.assign(&child).expect("the child joins the job");
        let watched = Process::open(child.id()).expect("the child can be opened");
        assert!(!watched.has_ended());
        drop(job);
        let started = Instant::now();
        assert!(watched.ended_within(Duration::from_secs(10)), "the child outlived its job");
        assert!(started.elapsed() < Duration::from_secs(10));
        let _ = child.wait();
    }

    #[test]
    fn a_process_joins_the_job_of_another_by_its_handle_value() {
        let job = Job::kill_on_close().expect("a job");
        // The owner is this very process: the handle is duplicated from it, as a host does
        // from its service. Joining is all that can be checked without ending the test.
        join_job_of(current_process_id(), job.handle_value()).expect("this process joins the job");
        std::mem::forget(job);
    }
}
