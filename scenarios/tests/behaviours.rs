//! Small behaviours of the model that are not tests of spec §8 (those are catalogue
//! scenarios), one small scenario each, over a sweep of seeds: what a plugin sees and what
//! the client sees must not depend on the schedule.

use std::sync::Arc;

use plughost_scenarios::parse::parse;

use crate::util::{failure_text, sweep};

const SEEDS: u64 = 40;

/// Parses `text` (a whole scenario) and asserts it meets its expectations for every seed.
fn check(name: &str, text: &str) {
    let scenario = Arc::new(parse(name, &format!("{name}.toml"), text).unwrap_or_else(|e| panic!("{e}")));
    let summary = sweep(&scenario, None, 0, SEEDS, false);
    assert!(summary.meets_expectation(), "{name}: {}", failure_text(&summary));
}

#[test]
fn success_with_an_error_message_is_an_internal_error() {
    // §2 ThrowIfPluginError: SUCCEEDED(hr) with a message → E_ILLEGAL_STATE_CHANGE, no user message.
    check(
        "success_with_message",
        r#"
        description = "d"
        [[plugin]]
        name = "TestPlugin"
        on_vm_started = [{ plugin_error = "oops" }]
        [[step]]
        start_distro = "Ubuntu"
        expect = { hr = "E_ILLEGAL_STATE_CHANGE" }
        "#,
    );
}

#[test]
fn a_hung_hook_wedges_the_session_and_is_reported_as_a_deadlock() {
    // §9.3: a hang is not a crash; nothing bounds an outbound call.
    check(
        "hung_hook",
        r#"
        description = "d"
        [[plugin]]
        name = "TestPlugin"
        on_vm_started = ["hang"]
        [[step]]
        start_vm = true
        expect = "hangs"
        [expect]
        verdict = "deadlock"
        "#,
    );
}

#[test]
fn parallel_client_steps_serialise_on_the_instance_lock() {
    // Two clients at once: both succeed, the VM starts once.
    check(
        "parallel_starts",
        r#"
        description = "d"
        [world]
        distros = ["Ubuntu", "Debian"]
        [[plugin]]
        name = "TestPlugin"
        on_vm_started = [{ log = "VM created" }]
        on_distribution_started = [{ log = "started {distro}" }]
        [[step]]
        parallel = [{ start_distro = "Ubuntu" }, { start_distro = "Debian" }]
        [expect.log_unordered]
        TestPlugin = ["VM created", "started Ubuntu", "started Debian"]
        "#,
    );
}
