//! The model against spec §8's tests and §3's error codes, one small scenario each, over a
//! sweep of seeds: what a plugin sees and what the client sees must not depend on the schedule.

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
fn a_plugin_error_with_a_failure_is_fatal_twice_and_never_latched() {
    // §8 test 14 (VmStartFailureWithPluginErrorTwice).
    check(
        "plugin_error_twice",
        r#"
        description = "d"
        [[plugin]]
        name = "TestPlugin"
        on_vm_started = [{ log = "OnVmStarted: E_UNEXPECTED" }, { plugin_error = "Plugin error message" }, { return = "E_UNEXPECTED" }]
        on_vm_stopping = [{ log = "VM Stopping" }]
        [[step]]
        start_distro = "Ubuntu"
        expect = { hr = "E_UNEXPECTED", message = "A fatal error was returned by plugin 'TestPlugin'. Error message: 'Plugin error message'" }
        [[step]]
        start_distro = "Ubuntu"
        expect = { hr = "E_UNEXPECTED", message = "A fatal error was returned by plugin 'TestPlugin'. Error message: 'Plugin error message'" }
        [expect.log]
        TestPlugin = ["OnVmStarted: E_UNEXPECTED", "VM Stopping", "OnVmStarted: E_UNEXPECTED", "VM Stopping"]
        "#,
    );
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
fn a_failing_distribution_start_is_fatal_and_never_stopped() {
    // §8 test 16 (DistributionStartFailure).
    check(
        "distribution_start_failure",
        r#"
        description = "d"
        [[plugin]]
        name = "TestPlugin"
        on_distribution_started = [{ log = "OnDistroStarted: E_UNEXPECTED" }, { return = "E_UNEXPECTED" }]
        on_distribution_stopping = [{ log = "Distribution Stopping" }]
        on_vm_stopping = [{ log = "VM Stopping" }]
        [[step]]
        start_distro = "Ubuntu"
        expect = { hr = "E_UNEXPECTED", message = "A fatal error was returned by plugin 'TestPlugin'" }
        [expect.log]
        TestPlugin = ["OnDistroStarted: E_UNEXPECTED", "VM Stopping"]
        "#,
    );
}

#[test]
fn a_load_failure_blocks_every_vm_start() {
    // §8 test 11 (LoadFailureFatalWSL2): the entry point fails; no hook ever runs.
    check(
        "load_failure",
        r#"
        description = "d"
        [[plugin]]
        name = "TestPlugin"
        on_load = [{ return = "E_UNEXPECTED" }]
        on_vm_started = [{ log = "never" }]
        [[step]]
        start_distro = "Ubuntu"
        expect = { hr = "E_UNEXPECTED", message = "A fatal error was returned by plugin 'TestPlugin'" }
        [[step]]
        start_distro = "Ubuntu"
        expect = { hr = "E_UNEXPECTED", message = "A fatal error was returned by plugin 'TestPlugin'" }
        [expect.log]
        TestPlugin = []
        "#,
    );
}

#[test]
fn a_plugin_that_needs_a_newer_wsl_says_so() {
    // §8 test 8 (PluginUpdateRequired).
    check(
        "requires_update",
        r#"
        description = "d"
        [[plugin]]
        name = "TestPlugin"
        on_load = [{ return = "WSL_E_PLUGIN_REQUIRES_UPDATE" }]
        [[step]]
        start_vm = true
        expect = { hr = "WSL_E_PLUGIN_REQUIRES_UPDATE", message = "The plugin 'TestPlugin' requires a newer version of WSL. Please run: wsl.exe --update" }
        "#,
    );
}

#[test]
fn teardown_and_registration_hook_failures_are_ignored() {
    // §8 tests 15 (VmStopFailure), 17 (DistributionStopFailure), 22 (RegisterUnregisterFail);
    // OnDistributionRegistered fires without the instance lock (§2.1).
    check(
        "teardown_failures",
        r#"
        description = "d"
        [[plugin]]
        name = "TestPlugin"
        on_vm_stopping = [{ log = "OnVmStopping: E_UNEXPECTED" }, { return = "E_UNEXPECTED" }]
        on_distribution_stopping = [{ return = "E_UNEXPECTED" }]
        on_distribution_registered = [{ log = "registered {distro}" }, { return = "E_UNEXPECTED" }]
        on_distribution_unregistered = [{ log = "unregistered {distro}" }, { return = "E_UNEXPECTED" }]
        [[step]]
        register_distro = "Debian"
        [[step]]
        start_distro = "Debian"
        [[step]]
        unregister_distro = "Debian"
        [[step]]
        shutdown = true
        [expect.log]
        TestPlugin = ["registered Debian", "unregistered Debian", "OnVmStopping: E_UNEXPECTED"]
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
