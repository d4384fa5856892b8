//! The simulated machine around the service: registered distributions, Windows folders,
//! Linux binaries, and how long the slow operations take.
//!
//! Owns only configuration; the session (`user_session`) keeps the live VM and instance
//! state. It never models what a VM does beyond what the plugin API can observe.

use std::time::Duration;

use crate::ids::Name;

/// What exists outside the service.
#[derive(Clone, Debug)]
pub struct World {
    /// WSL2 distributions registered when the service starts, in registration order.
    pub distros: Vec<Name>,
    /// Windows folders that exist (sources `MountFolder` accepts).
    pub windows_folders: Vec<Name>,
    /// Binaries present in the root namespace and in every distribution.
    pub binaries: Vec<Name>,
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

impl Default for World {
    fn default() -> World {
        World {
            distros: vec!["Ubuntu".into()],
            windows_folders: vec!["C:\\plugin".into()],
            binaries: ["/bin/true", "/bin/echo", "/bin/cat", "/bin/sh"].into_iter().map(Name::from).collect(),
            vm_boot: Duration::ZERO,
            process_start: Duration::ZERO,
            import_time: Duration::ZERO,
            vm_idle_timeout: None,
            sessions: 1,
        }
    }
}

impl World {
    /// What a binary prints: `/bin/echo` prints its arguments, everything else nothing.
    pub fn output_of(&self, path: &str, args: &[Name]) -> String {
        if path == "/bin/echo" {
            args.iter().map(|a| a.as_ref()).collect::<Vec<_>>().join(" ")
        } else {
            String::new()
        }
    }
}
