//! The real backend against the world: hosts that break the protocol, and a service killed
//! with SIGKILL, whose hosts must not survive it.

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

#[test]
fn a_host_calling_back_for_a_session_it_was_never_told_about_is_treated_as_crashed() {
    check_hostile("foreign-session", "callback for session#4242, which was never announced to this host");
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

    #[test]
    fn no_host_survives_a_sigkilled_service() {
        let dir = std::env::temp_dir().join(format!("plughost-orphans-{}", std::process::id()));
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
        let mut service = Command::new(env!("CARGO_BIN_EXE_plughost"))
            .args(["real", "--scenario", file.to_str().expect("UTF-8"), "--watchdog-secs", "120"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the service starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        let hosts = loop {
            let hosts = children_of(service.id());
            if hosts.len() == 2 || Instant::now() > deadline {
                break hosts;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(hosts.len(), 2, "the service started both hosts");
        service.kill().expect("SIGKILL the service");
        let _ = service.wait();
        std::thread::sleep(Duration::from_secs(1));
        let survivors: Vec<u32> = hosts.iter().copied().filter(|&pid| alive(pid)).collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(survivors.is_empty(), "hosts still alive one second after the service died: {survivors:?}");
    }
}
