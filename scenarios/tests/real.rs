//! The real backend against the world: hosts that break the protocol, and a service killed
//! with SIGKILL, whose hosts must not survive it — by the parent-death signal alone, by the
//! end of their input alone, and (the control) not at all with both switched off.

use std::time::Duration;

use plughost_scenarios::real_runner::run_real;
use plughost_scenarios::verdict::Verdict;

use crate::conformance::real_config;
use crate::util::{scenario, variant};

/// Runs `success` with its host misbehaving in `mode`; the service must survive, report a
/// typed error naming the host and what it did, and treat the host as crashed.
fn check_hostile(mode: &str, error: &str) {
    let success = scenario("success");
    let mut config = real_config(Duration::from_secs(10));
    config.hostile.insert("TestPlugin".to_string(), mode.to_string());
    let run = run_real(&success, variant(None), &config, false);
    assert_ne!(run.verdict, Verdict::Deadlock, "the service must not hang: {:?}", run.details);
    assert_ne!(run.verdict, Verdict::Panic, "the service must not panic: {:?}", run.details);
    assert!(
        run.errors.iter().any(|e| e.starts_with("host:TestPlugin broke the protocol: ") && e.contains(error)),
        "{mode}: {:?}",
        run.errors
    );
    // Treated as crashed during activation: the start fails with the plugin-named error.
    assert!(
        run.details.iter().any(|d| d.contains("A fatal error was returned by plugin 'TestPlugin'")),
        "{:?}",
        run.details
    );
}

#[test]
fn a_host_sending_garbage_is_treated_as_crashed() {
    check_hostile("garbage", "malformed frame");
}

#[test]
fn a_host_sending_an_oversized_frame_is_treated_as_crashed() {
    check_hostile("oversized", "frame of 1048577 bytes");
}

#[test]
fn a_host_replying_to_an_unknown_call_is_treated_as_crashed() {
    check_hostile("unknown-call", "reply to unknown call 424242");
}

#[cfg(target_os = "linux")]
#[expect(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a real service and its real hosts are watched in wall-clock time"
)]
mod orphans {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// Direct children of `pid`, from `/proc/*/stat`.
    fn children_of(pid: u32) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&candidate| stat(candidate).is_some_and(|(_, parent)| parent == pid))
            .collect()
    }

    /// A process's state letter and parent, if it exists.
    fn stat(pid: u32) -> Option<(char, u32)> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = &text[text.rfind(')')? + 2..];
        let mut fields = after_name.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let parent = fields.next()?.parse().ok()?;
        Some((state, parent))
    }

    fn alive(pid: u32) -> bool {
        stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
    }

    /// A service (`plughost real`) running a scenario whose first host hangs, with both of
    /// its hosts started; `host_flags` go to each host (through a `$PLUGHOST_HOST` wrapper).
    struct Service {
        process: std::process::Child,
        hosts: Vec<u32>,
        dir: std::path::PathBuf,
    }

    impl Service {
        fn start(name: &str, host_flags: &[&str]) -> Service {
            let dir = std::env::temp_dir().join(format!("plughost-orphans-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a temporary directory");
            let file = dir.join("two_hosts_one_hung.toml");
            std::fs::write(
                &file,
                r#"
                description = "two hosts; the first hangs in OnVMStarted, so the service waits"
                [[plugin]]
                name = "Hung"
                on_vm_started = ["hang"]
                [[plugin]]
                name = "Idle"
                on_vm_started = [{ log = "never reached" }]
                [[step]]
                start_vm = true
                "#,
            )
            .expect("the scenario file is written");
            let mut command = Command::new(env!("CARGO_BIN_EXE_plughost"));
            command
                .args(["real", "--scenario", file.to_str().expect("UTF-8"), "--watchdog-secs", "120"])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if !host_flags.is_empty() {
                let wrapper = dir.join("host");
                let script = format!(
                    "#!/bin/sh\nexec '{}' host {} \"$@\"\n",
                    env!("CARGO_BIN_EXE_plughost"),
                    host_flags.join(" ")
                );
                std::fs::write(&wrapper, script).expect("the wrapper is written");
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
                command.env("PLUGHOST_HOST", &wrapper);
            }
            let process = command.spawn().expect("the service starts");
            let deadline = Instant::now() + Duration::from_secs(20);
            let hosts = loop {
                let hosts = children_of(process.id());
                if hosts.len() == 2 || Instant::now() > deadline {
                    break hosts;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            assert_eq!(hosts.len(), 2, "the service started both hosts");
            // Both hosts said hello: they are past their lifetime set-up.
            std::thread::sleep(Duration::from_millis(300));
            Service { process, hosts, dir }
        }

        /// SIGKILLs the service; the hosts still alive one second later.
        fn kill(mut self) -> Vec<u32> {
            self.process.kill().expect("SIGKILL the service");
            let _ = self.process.wait();
            std::thread::sleep(Duration::from_secs(1));
            let survivors: Vec<u32> = self.hosts.iter().copied().filter(|&pid| alive(pid)).collect();
            for &pid in &survivors {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
            let _ = std::fs::remove_dir_all(&self.dir);
            survivors
        }
    }

    #[test]
    fn no_host_survives_a_sigkilled_service() {
        let survivors = Service::start("both", &[]).kill();
        assert!(survivors.is_empty(), "hosts still alive one second after the service died: {survivors:?}");
    }

    #[test]
    fn the_parent_death_signal_alone_kills_hosts_whose_input_stays_open() {
        let survivors = Service::start("signal", &["--ignore-end-of-input"]).kill();
        assert!(survivors.is_empty(), "hosts ignoring end of input outlived the service: {survivors:?}");
    }

    #[test]
    fn end_of_input_alone_ends_hosts_without_the_parent_death_signal() {
        let survivors = Service::start("input", &["--no-parent-death"]).kill();
        assert!(
            survivors.is_empty(),
            "hosts without the parent-death signal outlived the service: {survivors:?}"
        );
    }

    /// The two tests above can fail: with both mechanisms off, hosts do outlive the service.
    #[test]
    fn with_neither_mechanism_hosts_outlive_the_service() {
        let survivors = Service::start("neither", &["--ignore-end-of-input", "--no-parent-death"]).kill();
        assert_eq!(survivors.len(), 2, "without either mechanism both hosts must survive (then be killed)");
    }
}
