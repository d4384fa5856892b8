//! The documents say what the tool does: every key of the scenario format types and every
//! mutant's name is in `docs/scenario-format.md`, its worked example parses and passes and
//! catches what it claims, and the README's table header, example row and failure report
//! are what `plughost` prints today.

use std::path::Path;
use std::process::Command;

use plughost_scenarios::report::{NAME_WIDTH, table_header};

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn plughost(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_plughost")).args(args).output().expect("the binary runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `CamelCase` → `snake_case`, as `#[serde(rename_all = "snake_case")]` spells variants.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Every TOML key the format types accept, with the type it belongs to: the fields of each
/// struct (their `rename` when they have one), the variants of each `snake_case` enum, and
/// the keys a hand-written deserializer lists (`&["hr", "message"]`).
fn format_keys(source: &str) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    let mut owner: Option<(String, bool)> = None; // (type, is a snake_case enum)
    let mut rename: Option<String> = None;
    let mut snake_case_next = false;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[serde(") && line.contains("rename_all = \"snake_case\"") {
            snake_case_next = true;
        }
        if let Some(rest) = line.strip_prefix("#[serde(").and_then(|r| r.split("rename = \"").nth(1)) {
            rename = rest.split('"').next().map(str::to_string);
        }
        if let Some(rest) = line.strip_prefix("pub struct ") {
            owner = Some((rest.split([' ', '{']).next().unwrap_or_default().to_string(), false));
            snake_case_next = false;
            continue;
        }
        if let Some(rest) = line.strip_prefix("pub enum ") {
            owner = Some((rest.split([' ', '{']).next().unwrap_or_default().to_string(), snake_case_next));
            snake_case_next = false;
            continue;
        }
        if line == "}" {
            owner = None;
            continue;
        }
        let Some((ty, is_enum)) = &owner else {
            if let Some(list) = line.split("&[").nth(1) {
                for key in list.split('"').skip(1).step_by(2) {
                    keys.push((key.to_string(), "a hand-written deserializer".to_string()));
                }
            }
            continue;
        };
        let field = if *is_enum {
            line.split(['(', ',', ' '])
                .next()
                .filter(|v| v.chars().next().is_some_and(char::is_uppercase))
                .map(snake)
        } else {
            line.strip_prefix("pub ").and_then(|f| f.split(':').next()).map(str::to_string)
        };
        if let Some(field) = field {
            keys.push((rename.take().unwrap_or(field), ty.clone()));
        } else if !line.starts_with("#[") && !line.starts_with("///") {
            rename = None;
        }
    }
    keys
}

#[test]
fn every_key_of_the_format_types_is_in_the_reference() {
    let keys = format_keys(&read("scenarios/src/format.rs"));
    assert!(keys.len() > 70, "the key extractor found only {} keys: {keys:?}", keys.len());
    for expected in ["description", "plugin", "do", "else", "execute_binary_in_distribution", "crash", "hr"] {
        assert!(keys.iter().any(|(key, _)| key == expected), "the extractor misses `{expected}`: {keys:?}");
    }
    let reference = read("docs/scenario-format.md");
    let missing: Vec<String> = keys
        .iter()
        .filter(|(key, _)| {
            !reference.contains(&format!("`{key}`")) && !reference.contains(&format!("`{key} "))
        })
        .map(|(key, ty)| format!("`{key}` (of {ty})"))
        .collect();
    assert!(missing.is_empty(), "docs/scenario-format.md does not document: {}", missing.join(", "));
}

#[test]
fn every_mutant_is_named_in_the_reference() {
    let reference = read("docs/scenario-format.md");
    let missing: Vec<&str> = plughost_model::design::Mutant::ALL
        .iter()
        .map(|mutant| mutant.name())
        .filter(|name| !reference.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "docs/scenario-format.md does not name the mutants {missing:?}");
}

#[test]
fn the_reference_example_parses_passes_and_catches_what_it_claims() {
    let reference = read("docs/scenario-format.md");
    let example = reference
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a worked example in a toml block");
    let dir = std::env::temp_dir().join(format!("plughost-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("example.toml");
    std::fs::write(&file, example).expect("written");
    let output = Command::new(env!("CARGO_BIN_EXE_plughost"))
        .args([
            "matrix",
            "--scenario",
            file.to_str().expect("UTF-8"),
            "--seeds",
            "100",
            "--mutants",
            "--json",
        ])
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "the example passes and its claims hold: {output:?}");
    let cells = String::from_utf8_lossy(&output.stdout).lines().count();
    let pump_mutants = plughost_model::design::Mutant::ALL
        .iter()
        .filter(|m| m.home_design() == plughost_model::design::Design::Pump)
        .count();
    assert_eq!(cells, 1 + pump_mutants);
}

/// The README's fenced blocks.
fn readme_blocks() -> Vec<String> {
    read("README.md")
        .split("```")
        .skip(1)
        .step_by(2)
        .map(|b| b.trim_start_matches("sh").to_string())
        .collect()
}

#[test]
fn the_readme_table_is_what_explore_prints() {
    let blocks = readme_blocks();
    let header = table_header(NAME_WIDTH);
    let table = blocks
        .iter()
        .find(|b| b.contains(&header))
        .unwrap_or_else(|| panic!("the README has no table with today's header:\n{header}"));
    let readme_row: Vec<&str> =
        table.lines().find(|l| l.starts_with("pump_kernel")).expect("a row").split_whitespace().collect();
    let output = plughost(&["explore", "--scenario", "pump_kernel"]);
    let row: Vec<&str> = output.lines().nth(1).expect("a row").split_whitespace().collect();
    let without_rate = |row: &[&str]| -> Vec<String> {
        row.iter().enumerate().filter(|(i, _)| *i != 8).map(|(_, w)| w.to_string()).collect()
    };
    assert_eq!(without_rate(&readme_row), without_rate(&row), "every column but sched/s matches");
}

#[test]
fn the_readme_failure_report_is_what_explore_prints() {
    let blocks = readme_blocks();
    let report = blocks
        .iter()
        .find(|b| b.trim_start().starts_with("plughost replay --scenario pre_registration_race --seed 3"))
        .expect("the README shows a failure report");
    let output = plughost(&[
        "explore",
        "--scenario",
        "pre_registration_race",
        "--mutant",
        "no-timed-acquire",
        "--seeds",
        "6",
        "--stop-on-failure",
    ]);
    for line in report.lines().filter(|l| !l.trim().is_empty()) {
        assert!(output.lines().any(|out| out == line), "README line not printed today: {line}\n{output}");
    }
}
