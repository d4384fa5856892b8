//! Generated scenarios (`plughost generate`): every drawn case is a valid scenario file that
//! uses the whole vocabulary, generation is deterministic, a planted bug is found, shrunk and
//! replayed from the file written for it, and the committed regressions
//! (`scenarios/generated/*.toml`) are replayed as generate explores them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use plughost_model::design::{Design, Mutant, Variant};
use plughost_scenarios::catalogue;
use plughost_scenarios::explore::{Exploration, explore};
use plughost_scenarios::generate::judge::{Class, STRATEGY};
use plughost_scenarios::generate::{
    DefectPolicy, Generation, SEEDS_PER_CASE, SHRINK_SEED_FACTOR, draw, finding_file, generate,
    replay_command,
};
use plughost_scenarios::parse::parse;
use plughost_scenarios::runner::run_sim;
use plughost_scenarios::scenario::ExploreDefaults;
use plughost_scenarios::verdict::Verdict;
use plughost_sim::faults::FaultBudget;

fn generation(seed: u64, cases: u64, mutant: Option<Mutant>) -> Generation {
    Generation {
        seed,
        first_case: 0,
        cases,
        seeds_per_case: SEEDS_PER_CASE,
        variant: Variant { design: mutant.map_or(Design::Pump, Mutant::home_design), mutant },
        defects: DefectPolicy::Ignore,
        shrink_steps: 200,
    }
}

#[test]
fn generate_draws_valid_files_that_use_the_whole_vocabulary() {
    let mut keys = BTreeSet::new();
    for case in 0..400 {
        let text = draw(7, case);
        if let Err(error) = parse("drawn", "drawn.toml", &text) {
            panic!("case {case} is not a valid scenario: {error}\n{text}");
        }
        assert_eq!(text, draw(7, case), "case {case} is drawn the same way twice");
        let value: toml::Value = toml::from_str(&text).expect("TOML");
        collect_keys(&value, &mut keys);
    }
    for key in [
        "on_vm_started",
        "on_distribution_started",
        "on_distribution_stopping",
        "on_vm_stopping",
        "on_distribution_registered",
        "on_distribution_unregistered",
        "on_wslc_session_created",
        "on_wslc_session_stopping",
        "on_wslc_container_started",
        "on_wslc_container_stopping",
        "on_wslc_image_created",
        "on_load",
        "spawn",
        "join",
        "mount_folder",
        "execute_binary",
        "execute_binary_in_distribution",
        "wslc_mount_folder",
        "wslc_create_process",
        "sleep_ms",
        "return",
        "plugin_error",
        "parallel",
        "session",
        "start_vm",
        "start_distro",
        "terminate_distro",
        "shutdown",
        "register_distro",
        "import_in_place",
        "unregister_distro",
        "distro_exits",
        "vm_exits",
        "wslc_create_session",
        "wslc_terminate_session",
        "wslc_start_container",
        "wslc_stop_container",
        "wslc_pull_image",
        "faults",
        "crash",
        "reject",
        "slow",
    ] {
        assert!(keys.contains(key), "no drawn case uses `{key}`");
    }
}

fn collect_keys(value: &toml::Value, keys: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, inner) in table {
                keys.insert(key.clone());
                collect_keys(inner, keys);
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|item| collect_keys(item, keys)),
        toml::Value::String(text) if text == "crash" => {
            keys.insert("crash".to_string());
        }
        _ => {}
    }
}

#[test]
fn generate_is_deterministic() {
    let first = generate(&generation(3, 30, Some(Mutant::NoDirectPath)), &|| {});
    let again = generate(&generation(3, 30, Some(Mutant::NoDirectPath)), &|| {});
    assert_eq!(first.runs, again.runs);
    assert_eq!(first.failures, again.failures);
    let texts = |report: &plughost_scenarios::generate::Report| {
        report
            .found
            .iter()
            .map(|found| (found.case, found.failed.seed, found.text.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&first), texts(&again));
    assert!(!first.found.is_empty(), "no-direct-path is found in 30 cases");
}

#[test]
fn generate_finds_a_planted_bug_shrinks_it_and_the_file_replays_it() {
    let mutant = Mutant::StoppedReportedAsRan;
    let generation = generation(0, 40, Some(mutant));
    let report = generate(&generation, &|| {});
    assert!(report.invalid.is_empty(), "{:?}", report.invalid);
    assert!(report.failed(&generation), "a finding fails the generation");
    let found =
        report.found.iter().find(|found| found.kind.invariant.as_deref() == Some("I-2")).unwrap_or_else(
            || panic!("stopped-reported-as-ran breaks I-2 in some case: {:?}", report.failures),
        );
    assert_eq!(found.class, Class::Finding);
    assert!(found.lines.1 <= found.lines.0, "shrinking never grows the scenario: {:?}", found.lines);

    let dir = std::env::temp_dir().join(format!("plughost-generate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("found.toml");
    let shown = path.to_str().expect("UTF-8");
    let file = finding_file(found, &generation, shown);
    std::fs::write(&path, &file).expect("written");
    let command = replay_command(found, generation.variant, shown);
    assert!(file.contains(&command), "the file carries its replay command:\n{file}");
    assert!(file.ends_with(&found.text), "the minimal scenario is written verbatim");
    let scenario = catalogue::load(shown).unwrap_or_else(|e| panic!("{e}"));
    let strategy = found.failed.strategy.spec(found.failed.seed);
    let replayed = run_sim(&scenario, generation.variant, strategy, false);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(replayed.verdict, Verdict::Invariant, "{:?}", replayed.details);
    assert_eq!(replayed.details, found.failed.details, "the file's run fails exactly as the shrunk case did");
}

/// Every committed regression is explored as generate explores a shrinking candidate (its
/// seeds — or the file's own `[explore] seeds`, for defects rarer than that — its strategy,
/// its fault plan) and must do what the file declares: pass, find the design defects it
/// declares, and catch each mutant it claims.
#[test]
fn generate_regressions_replay_as_declared() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/generated exists")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "scenarios/generated holds the committed regressions");
    for path in files {
        let scenario = catalogue::load(path.to_str().expect("UTF-8")).unwrap_or_else(|e| panic!("{e}"));
        let mut variants = vec![Variant { design: Design::Pump, mutant: None }];
        variants.extend(
            scenario.catches.iter().map(|(m, _)| Variant { design: m.home_design(), mutant: Some(*m) }),
        );
        for variant in variants {
            let summary = explore_as_generate(&scenario, variant);
            assert!(
                summary.meets_expectation(),
                "{}: {} under {variant:?}: {:?} {:?}",
                path.display(),
                summary.expected.describe(),
                summary.verdicts,
                summary.first_failure
            );
        }
    }
}

fn explore_as_generate(
    scenario: &Arc<plughost_scenarios::scenario::Scenario>,
    variant: Variant,
) -> plughost_scenarios::explore::Summary {
    let faults: FaultBudget = scenario.faults;
    explore(&Exploration {
        scenario: scenario.clone(),
        variant,
        strategy: STRATEGY,
        start_seed: 0,
        seeds: if scenario.explore.seeds == ExploreDefaults::default().seeds {
            SEEDS_PER_CASE * SHRINK_SEED_FACTOR
        } else {
            scenario.explore.seeds
        },
        jobs: 1,
        stop_at_first_failure: false,
        faults,
    })
}

fn plughost(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plughost"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

#[test]
fn generate_prints_a_replay_command_that_runs_as_printed() {
    let dir = std::env::temp_dir().join(format!("plughost generate cli {}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let output = plughost(
        &[
            "generate",
            "--cases",
            "40",
            "--mutant",
            "stopped-reported-as-ran",
            "--defects",
            "ignore",
            "--out",
            "found",
        ],
        &dir,
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "a finding exits 1: {text}");
    let replay = text.lines().find(|l| l.starts_with("plughost replay ")).expect("a replay command");
    assert!(replay.contains("--scenario found/generated-0-"), "{replay}");
    let words: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let replayed = plughost(&words, &dir);
    let refused = plughost(&["generate", "--defects", "maybe"], &dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(String::from_utf8_lossy(&replayed.stdout).contains("verdict: invariant"), "{replayed:?}");
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
}

#[test]
fn generate_notes_a_registration_overlapping_a_step_of_its_session() {
    use plughost_scenarios::generate::shape::{FaultShape, Leaf, Op, Shape, StepShape, registration_overlap};
    let shape = |second_session: u32| Shape {
        plugins: Vec::new(),
        steps: vec![StepShape::Parallel(vec![
            Leaf { op: Op::RegisterDistro(0), session: 1 },
            Leaf { op: Op::StartDistro(0), session: second_session },
        ])],
        faults: FaultShape::default(),
    };
    assert!(registration_overlap(&shape(1)));
    assert!(!registration_overlap(&shape(2)), "another user session's step has its own instance lock");
}

#[test]
fn generate_classes_as_documented_only_what_the_catalogue_declares() {
    use plughost_scenarios::generate::judge::{DOCUMENTED, Kind};
    let kind = |verdict, invariant: Option<&str>| Kind { verdict, invariant: invariant.map(str::to_string) };
    let teardown = kind(Verdict::Invariant, Some("§9.10"));
    assert_eq!(Class::of(&teardown, Design::Pump), Some(Class::Documented("host_teardown_races_a_callback")));
    assert_eq!(
        Class::of(&teardown, Design::CallbackLock),
        Some(Class::Finding),
        "PR 40120 has the stub lock"
    );
    let died = kind(Verdict::ServiceDied, None);
    assert_eq!(Class::of(&died, Design::InProcess), Some(Class::Documented("host_crash_is_fatal")));
    assert_eq!(Class::of(&died, Design::Pump), Some(Class::Finding));
    assert_eq!(Class::of(&kind(Verdict::Invariant, Some("I-2")), Design::Pump), Some(Class::Finding));
    assert_eq!(Class::of(&kind(Verdict::Deadlock, None), Design::Pump), Some(Class::Wedge));
    assert_eq!(Class::of(&kind(Verdict::Pass, None), Design::Pump), None);
    for (design, verdict, _, name) in DOCUMENTED {
        let (every, defects) = catalogue::load(name).unwrap_or_else(|e| panic!("{e}")).outcome_on(design);
        assert!(every == verdict || defects.contains(verdict), "{name} declares {verdict} on {design}");
    }
}

/// The replay command in each committed regression's header, run from the project root as a
/// person pastes it, ends with the verdict the header says.
#[test]
fn generate_regression_headers_replay_as_printed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
    for entry in std::fs::read_dir(root.join("scenarios/generated")).expect("scenarios/generated exists") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let line = |prefix: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("{}: no `{prefix}` line", path.display()))
                .to_string()
        };
        let replay = line("# Replay: plughost ");
        let verdict = line("# Its seed ")
            .split(" ends ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .map(str::to_string);
        let verdict = verdict.unwrap_or_else(|| panic!("{}: the header names no verdict", path.display()));
        let words: Vec<&str> = replay.split_whitespace().collect();
        let output = plughost(&words, root);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}: {replay}: {output:?}", path.display());
        assert!(
            stdout.contains(&format!("verdict: {verdict}")),
            "{}: {replay} did not end {verdict}",
            path.display()
        );
    }
}

#[test]
fn generate_tells_wedges_apart_by_the_calls_their_cycle_waits_on() {
    let report = generate(&generation(0, 10, Some(Mutant::NoPumpRegistration)), &|| {});
    let wedges: Vec<_> = report.failures.keys().filter(|kind| kind.verdict == Verdict::Livelock).collect();
    assert!(!wedges.is_empty(), "no-pump-registration spins a callback: {:?}", report.failures);
    for kind in wedges {
        let calls = kind.invariant.as_deref().unwrap_or_else(|| panic!("{kind:?} names no call"));
        assert!(calls.split('+').any(|call| call.starts_with("On")), "a hook call is in the cycle: {calls}");
    }
}
