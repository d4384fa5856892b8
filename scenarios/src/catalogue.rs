//! The scenario catalogue shipped with the tool: the files under `scenarios/catalogue/`,
//! embedded at build time so `plughost` runs from anywhere, plus loading of scenario files
//! given by path.

use std::path::Path;
use std::sync::Arc;

use crate::parse::{ScenarioError, parse};
use crate::scenario::Scenario;

/// Every catalogue scenario: its name and its file's text. First the tests of spec §8 outside
/// WSLC (in the spec's order), then a host crash and a host hang inside each WSL hook, then
/// the races and defects the model exposes beyond them, then the WSLC path's scenarios, with a
/// host crash and a host hang inside each WSLC hook.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("success", include_str!("../catalogue/success.toml")),
    (
        "custom_kernel_overridden_by_policy",
        include_str!("../catalogue/custom_kernel_overridden_by_policy.toml"),
    ),
    ("duplicated_plugin", include_str!("../catalogue/duplicated_plugin.toml")),
    ("custom_kernel", include_str!("../catalogue/custom_kernel.toml")),
    ("custom_kernel_command_line", include_str!("../catalogue/custom_kernel_command_line.toml")),
    ("distro_id_stays_the_same", include_str!("../catalogue/distro_id_stays_the_same.toml")),
    ("init_pid_is_different", include_str!("../catalogue/init_pid_is_different.toml")),
    ("plugin_update_required", include_str!("../catalogue/plugin_update_required.toml")),
    ("api_errors", include_str!("../catalogue/api_errors.toml")),
    ("success_wsl1", include_str!("../catalogue/success_wsl1.toml")),
    ("load_failure_fatal_wsl2", include_str!("../catalogue/load_failure_fatal_wsl2.toml")),
    ("load_failure_non_fatal_wsl1", include_str!("../catalogue/load_failure_non_fatal_wsl1.toml")),
    ("vm_start_failure", include_str!("../catalogue/vm_start_failure.toml")),
    (
        "vm_start_failure_with_plugin_error_twice",
        include_str!("../catalogue/vm_start_failure_with_plugin_error_twice.toml"),
    ),
    ("vm_stop_failure", include_str!("../catalogue/vm_stop_failure.toml")),
    ("distribution_start_failure", include_str!("../catalogue/distribution_start_failure.toml")),
    ("distribution_stop_failure", include_str!("../catalogue/distribution_stop_failure.toml")),
    ("error_message_start_vm", include_str!("../catalogue/error_message_start_vm.toml")),
    ("error_message_start_distro", include_str!("../catalogue/error_message_start_distro.toml")),
    ("register_success", include_str!("../catalogue/register_success.toml")),
    ("import_inplace_success", include_str!("../catalogue/import_inplace_success.toml")),
    ("register_unregister_fail", include_str!("../catalogue/register_unregister_fail.toml")),
    ("execute_distro_command", include_str!("../catalogue/execute_distro_command.toml")),
    ("plugin_token", include_str!("../catalogue/plugin_token.toml")),
    ("host_crash_is_fatal", include_str!("../catalogue/host_crash_is_fatal.toml")),
    ("concurrent_callbacks", include_str!("../catalogue/concurrent_callbacks.toml")),
    ("async_api_call_from_worker", include_str!("../catalogue/async_api_call_from_worker.toml")),
    (
        "callbacks_during_termination_do_not_crash",
        include_str!("../catalogue/callbacks_during_termination_do_not_crash.toml"),
    ),
    ("invalid_plugin_signature", include_str!("../catalogue/invalid_plugin_signature.toml")),
    (
        "host_crash_in_distribution_started",
        include_str!("../catalogue/host_crash_in_distribution_started.toml"),
    ),
    ("host_crash_in_vm_stopping", include_str!("../catalogue/host_crash_in_vm_stopping.toml")),
    (
        "host_crash_in_distribution_stopping",
        include_str!("../catalogue/host_crash_in_distribution_stopping.toml"),
    ),
    (
        "host_crash_in_distribution_registered",
        include_str!("../catalogue/host_crash_in_distribution_registered.toml"),
    ),
    (
        "host_crash_in_distribution_unregistered",
        include_str!("../catalogue/host_crash_in_distribution_unregistered.toml"),
    ),
    ("host_hang_in_vm_started", include_str!("../catalogue/host_hang_in_vm_started.toml")),
    ("host_hang_in_vm_stopping", include_str!("../catalogue/host_hang_in_vm_stopping.toml")),
    (
        "host_hang_in_distribution_started",
        include_str!("../catalogue/host_hang_in_distribution_started.toml"),
    ),
    (
        "host_hang_in_distribution_stopping",
        include_str!("../catalogue/host_hang_in_distribution_stopping.toml"),
    ),
    (
        "host_hang_in_distribution_registered",
        include_str!("../catalogue/host_hang_in_distribution_registered.toml"),
    ),
    (
        "host_hang_in_distribution_unregistered",
        include_str!("../catalogue/host_hang_in_distribution_unregistered.toml"),
    ),
    ("pre_registration_race", include_str!("../catalogue/pre_registration_race.toml")),
    ("pump_kernel", include_str!("../catalogue/pump_kernel.toml")),
    ("register_during_start", include_str!("../catalogue/register_during_start.toml")),
    ("register_erases_pump", include_str!("../catalogue/register_erases_pump.toml")),
    ("callback_from_vm_stopping", include_str!("../catalogue/callback_from_vm_stopping.toml")),
    ("host_teardown_races_a_callback", include_str!("../catalogue/host_teardown_races_a_callback.toml")),
    ("two_sessions_share_a_host", include_str!("../catalogue/two_sessions_share_a_host.toml")),
    ("vm_idle_timeout", include_str!("../catalogue/vm_idle_timeout.toml")),
    ("distro_exit_during_shutdown", include_str!("../catalogue/distro_exit_during_shutdown.toml")),
    ("live_plugin_returns_crash_code", include_str!("../catalogue/live_plugin_returns_crash_code.toml")),
    (
        "live_plugin_returns_call_rejected",
        include_str!("../catalogue/live_plugin_returns_call_rejected.toml"),
    ),
    ("teardown_hook_returns_crash_code", include_str!("../catalogue/teardown_hook_returns_crash_code.toml")),
    ("wslc_success", include_str!("../catalogue/wslc_success.toml")),
    ("wslc_pull_image_notification", include_str!("../catalogue/wslc_pull_image_notification.toml")),
    ("wslc_session_rejected", include_str!("../catalogue/wslc_session_rejected.toml")),
    ("wslc_container_rejected", include_str!("../catalogue/wslc_container_rejected.toml")),
    ("parallel_wslc_with_callbacks", include_str!("../catalogue/parallel_wslc_with_callbacks.toml")),
    ("wslc_async_callback_post_return", include_str!("../catalogue/wslc_async_callback_post_return.toml")),
    (
        "host_crash_in_wslc_session_created",
        include_str!("../catalogue/host_crash_in_wslc_session_created.toml"),
    ),
    (
        "host_crash_in_wslc_session_stopping",
        include_str!("../catalogue/host_crash_in_wslc_session_stopping.toml"),
    ),
    (
        "host_crash_in_wslc_container_started",
        include_str!("../catalogue/host_crash_in_wslc_container_started.toml"),
    ),
    (
        "host_crash_in_wslc_container_stopping",
        include_str!("../catalogue/host_crash_in_wslc_container_stopping.toml"),
    ),
    ("host_crash_in_wslc_image_created", include_str!("../catalogue/host_crash_in_wslc_image_created.toml")),
    ("host_crash_in_wslc_image_deleted", include_str!("../catalogue/host_crash_in_wslc_image_deleted.toml")),
    (
        "host_hang_in_wslc_session_created",
        include_str!("../catalogue/host_hang_in_wslc_session_created.toml"),
    ),
    (
        "host_hang_in_wslc_session_stopping",
        include_str!("../catalogue/host_hang_in_wslc_session_stopping.toml"),
    ),
    (
        "host_hang_in_wslc_container_started",
        include_str!("../catalogue/host_hang_in_wslc_container_started.toml"),
    ),
    (
        "host_hang_in_wslc_container_stopping",
        include_str!("../catalogue/host_hang_in_wslc_container_stopping.toml"),
    ),
    ("host_hang_in_wslc_image_created", include_str!("../catalogue/host_hang_in_wslc_image_created.toml")),
    ("host_hang_in_wslc_image_deleted", include_str!("../catalogue/host_hang_in_wslc_image_deleted.toml")),
    ("wslc_crash_at_any_phase", include_str!("../catalogue/wslc_crash_at_any_phase.toml")),
    ("crash_at_any_phase", include_str!("../catalogue/crash_at_any_phase.toml")),
];

/// Every catalogue scenario, parsed.
pub fn all() -> Result<Vec<Arc<Scenario>>, ScenarioError> {
    CATALOGUE.iter().map(|(name, text)| from_catalogue(name, text)).collect()
}

fn from_catalogue(name: &str, text: &str) -> Result<Arc<Scenario>, ScenarioError> {
    parse(name, &format!("scenarios/catalogue/{name}.toml"), text).map(Arc::new)
}

/// A catalogue scenario by name, or a scenario file by path. A `.toml` argument is a path;
/// any other is a catalogue name, else a file of that name, else that name with `.toml`
/// added; when none exists the error lists what was tried.
pub fn load(name_or_path: &str) -> Result<Arc<Scenario>, ScenarioError> {
    if name_or_path.ends_with(".toml") {
        return from_file(name_or_path);
    }
    if let Some((name, text)) = CATALOGUE.iter().find(|(name, _)| *name == name_or_path) {
        return from_catalogue(name, text);
    }
    if Path::new(name_or_path).is_file() {
        return from_file(name_or_path);
    }
    let with_extension = format!("{name_or_path}.toml");
    if Path::new(&with_extension).is_file() {
        return from_file(&with_extension);
    }
    let names: Vec<&str> = CATALOGUE.iter().map(|(name, _)| *name).collect();
    Err(ScenarioError {
        file: name_or_path.to_string(),
        field: None,
        message: format!(
            "no such scenario: tried the catalogue ({}), the file `{name_or_path}` and the file \
             `{with_extension}` (relative to {})",
            names.join(", "),
            std::env::current_dir()
                .map_or_else(|_| "the working directory".to_string(), |d| d.display().to_string())
        ),
    })
}

/// A scenario file; its printed commands name it by `path`, as given.
fn from_file(path: &str) -> Result<Arc<Scenario>, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.to_string(),
        field: None,
        message: format!("cannot read the file: {e}"),
    })?;
    let name = Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or(path);
    let mut scenario = parse(name, path, &text)?;
    scenario.source = path.to_string();
    Ok(Arc::new(scenario))
}
