//! Malformed scenario files: every error names the file and the offending field, and no
//! input, however broken, panics the parser.

use plughost_scenarios::catalogue::{self, CATALOGUE};
use plughost_scenarios::parse::parse;
use proptest::prelude::*;

const VALID: &str = r#"
description = "d"
[[plugin]]
name = "P"
on_vm_started = [{ log = "x" }]
[[step]]
start_distro = "Ubuntu"
"#;

/// Parses `text` as `bad.toml` and returns the error's text, which must name the file.
fn error_of(text: &str) -> String {
    let error = parse("bad", "bad.toml", text).expect_err("the file is malformed").to_string();
    assert!(error.starts_with("bad.toml: "), "{error}");
    error
}

fn check(text: &str, fragments: &[&str]) {
    let error = error_of(text);
    for fragment in fragments {
        assert!(error.contains(fragment), "`{fragment}` missing from: {error}");
    }
}

#[test]
fn the_valid_base_parses() {
    parse("ok", "ok.toml", VALID).expect("the base file is valid");
}

#[test]
fn toml_syntax_errors_give_the_line() {
    check("description = \"unterminated", &["line 1"]);
}

#[test]
fn unknown_fields_are_named() {
    check(&format!("{VALID}\nbogus = 1"), &["bogus"]);
    check(&VALID.replace("{ log = \"x\" }", "{ lgo = \"x\" }"), &["lgo"]);
    check(&VALID.replace("{ log = \"x\" }", "{ mount_folder = { windows = 'C:\\x' } }"), &["linux"]);
}

#[test]
fn unknown_hresults_name_the_action() {
    check(
        &VALID.replace("{ log = \"x\" }", "{ return = \"E_BOGUS\" }"),
        &["plugin.P.on_vm_started[0].return", "unknown HRESULT `E_BOGUS`"],
    );
}

#[test]
fn cross_references_inside_a_plugin_are_checked() {
    check(&VALID.replace("{ log = \"x\" }", "{ join = \"ghost\" }"), &["on_vm_started[0].join", "ghost"]);
    check(
        &VALID.replace("{ log = \"x\" }", "{ wait_flag = \"never\" }"),
        &["on_vm_started[0].wait_flag", "never"],
    );
    check(&VALID.replace("{ log = \"x\" }", "{ log = \"{nope}\" }"), &["on_vm_started[0].log", "{nope}"]);
    check(&VALID.replace("{ log = \"x\" }", "{ rendezvous = { name = \"r\", parties = 0 } }"), &["parties"]);
}

#[test]
fn steps_are_checked() {
    check(
        &VALID.replace("start_distro = \"Ubuntu\"", "start_distro = \"Ubuntu\"\nshutdown = true"),
        &["step[0]", "exactly one of"],
    );
    check(
        &VALID.replace("start_distro = \"Ubuntu\"", "start_distro = \"Debian\""),
        &["step[0]", "unknown distribution `Debian`"],
    );
    check(&VALID.replace("start_distro = \"Ubuntu\"", "sleep_ms = 5\nexpect = \"ok\""), &["step[0].expect"]);
    check(
        &VALID.replace("start_distro = \"Ubuntu\"", "expect = \"fine\"\nstart_distro = \"Ubuntu\""),
        &["fine"],
    );
    check(
        &VALID.replace("start_distro = \"Ubuntu\"", "parallel = [{ parallel = [{ shutdown = true }] }]"),
        &["step[0].parallel", "cannot nest"],
    );
    check("description = \"d\"\n[[plugin]]\nname = \"P\"\n", &["step", "at least one"]);
    check("description = \"d\"\n[[step]]\nshutdown = true\n", &["plugin", "at least one"]);
}

#[test]
fn expectations_and_catches_are_checked() {
    check(&format!("{VALID}\n[expect.log]\nNobody = []"), &["expect.log.Nobody", "no [[plugin]]"]);
    check(&format!("{VALID}\n[expect]\nverdict = \"fine\""), &["expect.verdict", "unknown verdict"]);
    check(
        &format!("{VALID}\n[catches]\nno-such-mutant = \"deadlock\""),
        &["catches.no-such-mutant", "unknown mutant"],
    );
    check(&format!("{VALID}\n[catches]\nno-recheck = \"pass\""), &["catches.no-recheck", "not `pass`"]);
    // A wedge: only there may a step hang, and a mutant is caught by something else.
    check(
        &VALID.replace("start_distro = \"Ubuntu\"", "start_distro = \"Ubuntu\"\nexpect = \"hangs\""),
        &["step[0].expect", "whose [expect] verdict is \"deadlock\""],
    );
    check(
        &format!("{VALID}\n[expect]\nverdict = \"deadlock\"\n[catches]\nno-recheck = \"deadlock\""),
        &["catches.no-recheck", "the design itself ends `deadlock`"],
    );
}

#[test]
fn loading_names_what_could_not_be_found() {
    let missing = catalogue::load("no/such/file.toml").expect_err("no such file").to_string();
    assert!(missing.starts_with("no/such/file.toml: cannot read the file"), "{missing}");
    let unknown = catalogue::load("no_such_scenario").expect_err("no such scenario").to_string();
    assert!(unknown.contains("tried the catalogue (success, "), "{unknown}");
    assert!(unknown.contains("the file `no_such_scenario.toml`"), "{unknown}");
}

#[test]
fn the_catalogue_directory_and_the_embedded_list_agree() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("the catalogue directory exists")
        .map(|entry| {
            entry.expect("readable").file_name().to_string_lossy().trim_end_matches(".toml").to_string()
        })
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = CATALOGUE.iter().map(|(name, _)| name.to_string()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics_the_parser(text in ".{0,400}") {
        let _ = parse("fuzz", "fuzz.toml", &text);
    }

    #[test]
    fn corrupted_catalogue_files_never_panic_the_parser(which in 0..CATALOGUE.len(), cut in 0usize..4000, insert in "[ -~]{0,12}") {
        let text = CATALOGUE[which].1;
        let at = text.char_indices().map(|(i, _)| i).nth(cut % text.chars().count()).unwrap_or(0);
        let corrupted = format!("{}{insert}{}", &text[..at], &text[at..]);
        let _ = parse("fuzz", "fuzz.toml", &corrupted);
    }
}

#[test]
fn an_expected_result_may_name_the_host_crash_class_but_nothing_else_unknown() {
    use plughost_scenarios::scenario::{ExpectedHr, ExpectedResult};
    let text = VALID
        .replace("start_distro = \"Ubuntu\"", "start_distro = \"Ubuntu\"\nexpect = { hr = \"host-crash\" }");
    let scenario = parse("ok", "ok.toml", &text).expect("host-crash is a class of results");
    assert_eq!(
        scenario.steps[0].expect,
        Some(ExpectedResult::Err { hr: ExpectedHr::HostCrash, message: None })
    );
    check(
        &text.replace("host-crash", "host-crashes"),
        &["step[0].expect.hr", "unknown HRESULT `host-crashes`"],
    );
}

#[test]
fn a_fault_plan_names_known_kinds_and_phases() {
    let text = format!(
        "{VALID}\n[faults]\ncrash = 2\nphases = [\"hook-running\", \"reply-sent\"]\nslow = 1\nslow_ms = 30\n"
    );
    let scenario = parse("ok", "ok.toml", &text).expect("a valid fault plan");
    assert_eq!(scenario.faults.describe(), "crash=2,slow=1,phases=hook-running+reply-sent,slow_ms=30");
    check(&text.replace("reply-sent", "after-lunch"), &["faults.phases[1]", "unknown phase `after-lunch`"]);
    check(&format!("{VALID}\n[faults]\nexplode = 1\n"), &["explode"]);
}

#[test]
fn a_dll_registered_again_declares_no_code_of_its_own() {
    let twice = format!(
        "{VALID}\n[[plugin]]\nname = \"Q\"\ndll = 'c:\\plugins\\p.dll'\non_load = [{{ log = \"y\" }}]\n"
    );
    check(&twice, &["plugin.Q", "DLL of plugin `P`"]);
    let bare = format!("{VALID}\n[[plugin]]\nname = \"Q\"\ndll = 'C:\\PLUGINS\\P.DLL'\n");
    let scenario = parse("ok", "ok.toml", &bare).expect("a bare second registration is valid");
    assert!(std::sync::Arc::ptr_eq(&scenario.plugins[0].script, &scenario.plugins[1].script));
}

#[test]
fn the_world_and_remembered_texts_are_checked() {
    check(
        &format!("{VALID}\n[world]\nwsl1_distros = [\"Ubuntu\"]\n"),
        &["world.wsl1_distros", "`Ubuntu` is also in distros"],
    );
    check(
        &VALID.replace(
            "{ log = \"x\" }",
            "{ add = { counter = \"n\" } }, { remember = { name = \"n\", value = \"v\" } }, { log = \"{n}\" }",
        ),
        &["both a counter and a remembered text"],
    );
    check(&VALID.replace("{ log = \"x\" }", "{ log = \"{nope}\" }"), &["unknown placeholder `{nope}`"]);
}
