//! The simulated machine around the service: registered distributions (WSL2 and WSL1),
//! Windows folders, Linux binaries and what they print, the users, the user's `.wslconfig`
//! kernel settings and the machine policies over them, and how long the slow operations take.
//!
//! Owns only configuration; the session (`user_session`) keeps the live VM and instance
//! state. It never models what a VM does beyond what the plugin API can observe.

use std::time::Duration;

use crate::ids::{Name, numbered};

/// What exists outside the service.
#[derive(Clone, Debug)]
pub struct World {
    /// WSL2 distributions registered when the service starts, in registration order.
    pub distros: Vec<Name>,
    /// WSL1 distributions registered after them: they run without a VM and never fire a
    /// hook (spec §2.1 "Other gates").
    pub wsl1_distros: Vec<Name>,
    /// Windows folders that exist (sources `MountFolder` accepts).
    pub windows_folders: Vec<Name>,
    /// Binaries present in the root namespace and in every distribution.
    pub binaries: Vec<Name>,
    /// What a binary prints, when it prints something fixed (`/bin/echo` prints its
    /// arguments; any other binary not listed prints nothing).
    pub prints: Vec<(Name, String)>,
    /// The user of each session, in cookie order (`DOMAIN\name`); a session past the list
    /// is `PLUGHOST\user<N>`.
    pub users: Vec<Name>,
    /// The kernel settings `_GetResultantConfig` reads for the VM (`.wslconfig`, policies).
    pub kernel: KernelConfig,
    /// How long creating the utility VM takes (held under `m_instanceLock`).
    pub vm_boot: Duration,
    /// How long launching a Linux process takes (held under `m_instanceLock`).
    pub process_start: Duration,
    /// How long expanding a distribution's tar takes (`RegisterDistribution`, unlocked).
    pub import_time: Duration,
    /// The VM idle timeout (`vmIdleTimeout`); `None` disables the idle timer, as WSL's plugin
    /// tests do.
    pub vm_idle_timeout: Option<Duration>,
    /// How many user sessions exist (cookies 1 to N).
    pub sessions: u32,
}

/// The user's custom kernel settings (`wsl2.kernel`, `wsl2.kernelCommandLine`) and the
/// machine policies that may override them (`AllowKernelUserSetting`,
/// `AllowKernelCommandLineUserSetting`).
#[derive(Clone, Copy, Debug)]
pub struct KernelConfig {
    /// `.wslconfig` names a custom kernel.
    pub custom_kernel: bool,
    /// `.wslconfig` sets a kernel command line.
    pub custom_command_line: bool,
    /// Policy allows the custom kernel setting (absent policy: allowed).
    pub allow_custom_kernel: bool,
    /// Policy allows the kernel command line setting.
    pub allow_custom_command_line: bool,
}

impl Default for KernelConfig {
    fn default() -> KernelConfig {
        KernelConfig {
            custom_kernel: false,
            custom_command_line: false,
            allow_custom_kernel: true,
            allow_custom_command_line: true,
        }
    }
}

/// `WSLUserConfigurationCustomKernel`.
pub const CUSTOM_KERNEL_FLAG: u32 = 1;
/// `WSLUserConfigurationCustomKernelCommandLine`.
pub const CUSTOM_KERNEL_COMMAND_LINE_FLAG: u32 = 2;

impl KernelConfig {
    /// `WSLVmCreationSettings::CustomConfigurationFlags` as `_CreateVm` computes it: a flag
    /// per setting left non-empty after the policies emptied the ones they disallow.
    pub fn custom_configuration_flags(self) -> u32 {
        let kernel = self.custom_kernel && self.allow_custom_kernel;
        let command_line = self.custom_command_line && self.allow_custom_command_line;
        u32::from(kernel) * CUSTOM_KERNEL_FLAG + u32::from(command_line) * CUSTOM_KERNEL_COMMAND_LINE_FLAG
    }
}

impl Default for World {
    fn default() -> World {
        World {
            distros: vec!["Ubuntu".into()],
            wsl1_distros: Vec::new(),
            windows_folders: vec!["C:\\plugin".into()],
            binaries: ["/bin/true", "/bin/echo", "/bin/cat", "/bin/sh"].into_iter().map(Name::from).collect(),
            prints: Vec::new(),
            users: Vec::new(),
            kernel: KernelConfig::default(),
            vm_boot: Duration::ZERO,
            process_start: Duration::ZERO,
            import_time: Duration::ZERO,
            vm_idle_timeout: None,
            sessions: 1,
        }
    }
}

impl World {
    /// What a binary prints: `/bin/echo` prints its arguments, a binary of `prints` its
    /// text, everything else nothing.
    pub fn output_of(&self, path: &str, args: &[Name]) -> String {
        if path == "/bin/echo" {
            return args.iter().map(|a| a.as_ref()).collect::<Vec<_>>().join(" ");
        }
        self.prints
            .iter()
            .find(|(binary, _)| **binary == *path)
            .map_or_else(String::new, |(_, text)| text.clone())
    }

    /// The user of session `cookie` (from 1).
    pub fn user_of(&self, cookie: u32) -> Name {
        let index = usize::try_from(cookie).ok().and_then(|c| c.checked_sub(1));
        match index.and_then(|i| self.users.get(i)) {
            Some(user) => user.clone(),
            None => numbered("PLUGHOST\\user", u64::from(cookie)).into(),
        }
    }
}
