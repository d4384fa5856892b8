//! The scenario catalogue shipped with the tool: the files under `scenarios/catalogue/`,
//! embedded at build time so `plughost` runs from anywhere, plus loading of scenario files
//! given by path.

use std::path::Path;
use std::sync::Arc;

use crate::parse::{ScenarioError, parse};
use crate::scenario::Scenario;

/// Every catalogue scenario: its name and its file's text.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("success", include_str!("../catalogue/success.toml")),
    ("host_crash_mid_vm_started", include_str!("../catalogue/host_crash_mid_vm_started.toml")),
    ("callbacks_during_termination", include_str!("../catalogue/callbacks_during_termination.toml")),
    ("pre_registration_race", include_str!("../catalogue/pre_registration_race.toml")),
    ("concurrent_callbacks", include_str!("../catalogue/concurrent_callbacks.toml")),
    ("async_api_call_from_worker", include_str!("../catalogue/async_api_call_from_worker.toml")),
    ("pump_kernel", include_str!("../catalogue/pump_kernel.toml")),
    ("register_during_start", include_str!("../catalogue/register_during_start.toml")),
    ("register_erases_pump", include_str!("../catalogue/register_erases_pump.toml")),
];

/// Every catalogue scenario, parsed.
pub fn all() -> Result<Vec<Arc<Scenario>>, ScenarioError> {
    CATALOGUE.iter().map(|(name, text)| from_catalogue(name, text)).collect()
}

fn from_catalogue(name: &str, text: &str) -> Result<Arc<Scenario>, ScenarioError> {
    parse(name, &format!("scenarios/catalogue/{name}.toml"), text).map(Arc::new)
}

/// A catalogue scenario by name, or a scenario file by path (anything ending in `.toml`).
pub fn load(name_or_path: &str) -> Result<Arc<Scenario>, ScenarioError> {
    if name_or_path.ends_with(".toml") {
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: name_or_path.to_string(),
            field: None,
            message: format!("cannot read the file: {e}"),
        })?;
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or(name_or_path);
        return parse(name, name_or_path, &text).map(Arc::new);
    }
    match CATALOGUE.iter().find(|(name, _)| *name == name_or_path) {
        Some((name, text)) => from_catalogue(name, text),
        None => {
            let names: Vec<&str> = CATALOGUE.iter().map(|(name, _)| *name).collect();
            Err(ScenarioError {
                file: name_or_path.to_string(),
                field: None,
                message: format!(
                    "no such scenario (the catalogue has {}; or give a path to a .toml file)",
                    names.join(", ")
                ),
            })
        }
    }
}
