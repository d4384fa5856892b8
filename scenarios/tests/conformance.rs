//! Conformance: one body per scenario with a simulator arm and a real arm (OS threads and
//! real plugin-host processes). Both arms run the same scenario file, the same driver and
//! the same oracles. The real arm checks what real runs can promise: the pump design passes
//! (or, for a scenario documenting a defect of the design, hits that defect; or, for a
//! scenario whose design wedges by design, wedges as expected), and the mutants the scenario
//! lists under `[real] catches` are caught on every run (end otherwise than the design).
//! Each body also runs the rival designs: in the simulator against their `[design.<name>]`
//! expectations, and for real where they are expected to pass.

use std::path::PathBuf;
use std::time::Duration;

use plughost_real::RealConfig;
use plughost_scenarios::explore::Expectation;
use plughost_scenarios::real_runner::run_real;
use plughost_scenarios::verdict::Verdict;

use plughost_model::design::{Design, Variant};

use crate::util::{failure_text, scenario, sweep, sweep_variant, variant};

/// Simulated seeds per scenario (a scenario that documents a defect of the design gets more,
/// so the sweep finds it).
const SIM_SEEDS: u64 = 100;
const SIM_SEEDS_FOR_DEFECTS: u64 = 600;
/// Real runs per scenario here (CI adds `plughost real --iterations 200`).
const REAL_ITERATIONS: u32 = 3;

/// Hosts are this test build's `plughost host`.
pub fn real_config(watchdog: Duration) -> RealConfig {
    RealConfig::new(PathBuf::from(env!("CARGO_BIN_EXE_plughost")), vec!["host".to_string()], watchdog)
        .expect("a real configuration")
}

fn conformance(name: &str) {
    let scenario = scenario(name);
    let seeds = if scenario.expect.defects.is_empty() { SIM_SEEDS } else { SIM_SEEDS_FOR_DEFECTS };
    let summary = sweep(&scenario, None, 0, seeds, false);
    assert!(summary.meets_expectation(), "sim arm, {name}: {}", failure_text(&summary));

    // A scenario that documents a defect of the design (spec §9) may hit it for real too.
    let expected = Expectation::of(&scenario, variant(None));
    let config = real_config(scenario.real.watchdog.unwrap_or(Duration::from_secs(30)));
    for iteration in 0..REAL_ITERATIONS {
        let run = run_real(&scenario, variant(None), &config, false);
        assert!(
            expected.allows(run.verdict),
            "real arm, {name}, run {iteration}: {:?} {:?}",
            run.details,
            run.errors
        );
        assert!(run.errors.is_empty(), "real arm, {name}: {:?}", run.errors);
    }

    let short =
        real_config(scenario.real.watchdog.map_or(Duration::from_secs(3), |w| w.min(Duration::from_secs(3))));
    for &mutant in &scenario.real.catches {
        let run = run_real(&scenario, variant(Some(mutant)), &short, false);
        assert_ne!(run.verdict, scenario.expect.verdict, "real arm, {name}: {mutant} was not caught");
    }
    other_designs(name);
}

/// The rival designs: the simulator meets each one's expectation; one real run of each
/// design expected to pass passes (a design expected to hang would cost a watchdog period
/// per run: `plughost real --design` covers those).
fn other_designs(name: &str) {
    let scenario = scenario(name);
    for design in [Design::CallbackLock, Design::InProcess] {
        let variant = Variant { design, mutant: None };
        let summary = sweep_variant(&scenario, variant, SIM_SEEDS);
        assert!(summary.meets_expectation(), "sim arm, {name} on {design}: {}", failure_text(&summary));
        if Expectation::of(&scenario, variant) == Expectation::Every(Verdict::Pass) {
            let run = run_real(&scenario, variant, &real_config(Duration::from_secs(30)), false);
            assert_eq!(
                run.verdict,
                Verdict::Pass,
                "real arm, {name} on {design}: {:?} {:?}",
                run.details,
                run.errors
            );
        }
    }
}

#[test]
fn success() {
    conformance("success");
}

#[test]
fn custom_kernel_overridden_by_policy() {
    conformance("custom_kernel_overridden_by_policy");
}

#[test]
fn duplicated_plugin() {
    conformance("duplicated_plugin");
}

#[test]
fn custom_kernel() {
    conformance("custom_kernel");
}

#[test]
fn custom_kernel_command_line() {
    conformance("custom_kernel_command_line");
}

#[test]
fn distro_id_stays_the_same() {
    conformance("distro_id_stays_the_same");
}

#[test]
fn init_pid_is_different() {
    conformance("init_pid_is_different");
}

#[test]
fn plugin_update_required() {
    conformance("plugin_update_required");
}

#[test]
fn api_errors() {
    conformance("api_errors");
}

#[test]
fn success_wsl1() {
    conformance("success_wsl1");
}

#[test]
fn load_failure_fatal_wsl2() {
    conformance("load_failure_fatal_wsl2");
}

#[test]
fn load_failure_non_fatal_wsl1() {
    conformance("load_failure_non_fatal_wsl1");
}

#[test]
fn vm_start_failure() {
    conformance("vm_start_failure");
}

#[test]
fn vm_start_failure_with_plugin_error_twice() {
    conformance("vm_start_failure_with_plugin_error_twice");
}

#[test]
fn vm_stop_failure() {
    conformance("vm_stop_failure");
}

#[test]
fn distribution_start_failure() {
    conformance("distribution_start_failure");
}

#[test]
fn distribution_stop_failure() {
    conformance("distribution_stop_failure");
}

#[test]
fn error_message_start_vm() {
    conformance("error_message_start_vm");
}

#[test]
fn error_message_start_distro() {
    conformance("error_message_start_distro");
}

#[test]
fn register_success() {
    conformance("register_success");
}

#[test]
fn import_inplace_success() {
    conformance("import_inplace_success");
}

#[test]
fn register_unregister_fail() {
    conformance("register_unregister_fail");
}

#[test]
fn execute_distro_command() {
    conformance("execute_distro_command");
}

#[test]
fn plugin_token() {
    conformance("plugin_token");
}

#[test]
fn host_crash_is_fatal() {
    conformance("host_crash_is_fatal");
}

#[test]
fn concurrent_callbacks() {
    conformance("concurrent_callbacks");
}

#[test]
fn async_api_call_from_worker() {
    conformance("async_api_call_from_worker");
}

#[test]
fn callbacks_during_termination_do_not_crash() {
    conformance("callbacks_during_termination_do_not_crash");
}

#[test]
fn invalid_plugin_signature() {
    conformance("invalid_plugin_signature");
}

#[test]
fn host_crash_in_distribution_started() {
    conformance("host_crash_in_distribution_started");
}

#[test]
fn host_crash_in_vm_stopping() {
    conformance("host_crash_in_vm_stopping");
}

#[test]
fn host_crash_in_distribution_stopping() {
    conformance("host_crash_in_distribution_stopping");
}

#[test]
fn host_crash_in_distribution_registered() {
    conformance("host_crash_in_distribution_registered");
}

#[test]
fn host_crash_in_distribution_unregistered() {
    conformance("host_crash_in_distribution_unregistered");
}

#[test]
fn host_hang_in_vm_started() {
    conformance("host_hang_in_vm_started");
}

#[test]
fn host_hang_in_vm_stopping() {
    conformance("host_hang_in_vm_stopping");
}

#[test]
fn host_hang_in_distribution_started() {
    conformance("host_hang_in_distribution_started");
}

#[test]
fn host_hang_in_distribution_stopping() {
    conformance("host_hang_in_distribution_stopping");
}

#[test]
fn host_hang_in_distribution_registered() {
    conformance("host_hang_in_distribution_registered");
}

#[test]
fn host_hang_in_distribution_unregistered() {
    conformance("host_hang_in_distribution_unregistered");
}

#[test]
fn pre_registration_race() {
    conformance("pre_registration_race");
}

#[test]
fn pump_kernel() {
    conformance("pump_kernel");
}

#[test]
fn register_during_start() {
    conformance("register_during_start");
}

#[test]
fn register_erases_pump() {
    conformance("register_erases_pump");
}

#[test]
fn callback_from_vm_stopping() {
    conformance("callback_from_vm_stopping");
}

#[test]
fn host_teardown_races_a_callback() {
    conformance("host_teardown_races_a_callback");
}

#[test]
fn two_sessions_share_a_host() {
    conformance("two_sessions_share_a_host");
}

#[test]
fn vm_idle_timeout() {
    conformance("vm_idle_timeout");
}

#[test]
fn distro_exit_during_shutdown() {
    conformance("distro_exit_during_shutdown");
}

#[test]
fn wslc_success() {
    conformance("wslc_success");
}

#[test]
fn wslc_pull_image_notification() {
    conformance("wslc_pull_image_notification");
}

#[test]
fn wslc_session_rejected() {
    conformance("wslc_session_rejected");
}

#[test]
fn wslc_container_rejected() {
    conformance("wslc_container_rejected");
}

#[test]
fn parallel_wslc_with_callbacks() {
    conformance("parallel_wslc_with_callbacks");
}

#[test]
fn wslc_async_callback_post_return() {
    conformance("wslc_async_callback_post_return");
}

#[test]
fn host_crash_in_wslc_session_created() {
    conformance("host_crash_in_wslc_session_created");
}

#[test]
fn host_crash_in_wslc_session_stopping() {
    conformance("host_crash_in_wslc_session_stopping");
}

#[test]
fn host_crash_in_wslc_container_started() {
    conformance("host_crash_in_wslc_container_started");
}

#[test]
fn host_crash_in_wslc_container_stopping() {
    conformance("host_crash_in_wslc_container_stopping");
}

#[test]
fn host_crash_in_wslc_image_created() {
    conformance("host_crash_in_wslc_image_created");
}

#[test]
fn host_crash_in_wslc_image_deleted() {
    conformance("host_crash_in_wslc_image_deleted");
}

#[test]
fn host_hang_in_wslc_session_created() {
    conformance("host_hang_in_wslc_session_created");
}

#[test]
fn host_hang_in_wslc_session_stopping() {
    conformance("host_hang_in_wslc_session_stopping");
}

#[test]
fn host_hang_in_wslc_container_started() {
    conformance("host_hang_in_wslc_container_started");
}

#[test]
fn host_hang_in_wslc_container_stopping() {
    conformance("host_hang_in_wslc_container_stopping");
}

#[test]
fn host_hang_in_wslc_image_created() {
    conformance("host_hang_in_wslc_image_created");
}

#[test]
fn host_hang_in_wslc_image_deleted() {
    conformance("host_hang_in_wslc_image_deleted");
}

#[test]
fn wslc_crash_at_any_phase() {
    conformance("wslc_crash_at_any_phase");
}

#[test]
fn live_plugin_returns_crash_code() {
    conformance("live_plugin_returns_crash_code");
}

#[test]
fn live_plugin_returns_call_rejected() {
    conformance("live_plugin_returns_call_rejected");
}

#[test]
fn teardown_hook_returns_crash_code() {
    conformance("teardown_hook_returns_crash_code");
}

#[test]
fn every_catalogue_scenario_has_a_conformance_body() {
    let source = include_str!("conformance.rs");
    for (name, _) in plughost_scenarios::catalogue::CATALOGUE {
        assert!(source.contains(&format!("conformance(\"{name}\")")), "{name} has no conformance body");
    }
}

#[test]
fn crash_at_any_phase() {
    conformance("crash_at_any_phase");
}
