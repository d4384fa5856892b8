//! Running a scenario once on the real backend: the same driver, observer and oracles as
//! the simulator, on OS threads and real host processes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plughost_model::design::Variant;
use plughost_real::{FailedCall, RealConfig, RealOutcome};
use plughost_sim::{Outcome, Report};

use crate::driver::drive;
use crate::observer::Observer;
use crate::scenario::Scenario;
use crate::verdict::Verdict;

/// One real run, judged.
#[derive(Clone, Debug)]
pub struct RealRun {
    /// The verdict.
    pub verdict: Verdict,
    /// Why (empty for a pass).
    pub details: Vec<String>,
    /// Protocol errors and host failures the service saw.
    pub errors: Vec<String>,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// The trace, when requested.
    pub trace: Option<String>,
    /// How long each host's activation took.
    pub activations: Vec<Duration>,
    /// The calls to hosts the transport failed, with the HRESULTs it returned.
    pub failed_calls: Vec<FailedCall>,
    /// Host activations the transport tried again, and why (COM under Wine).
    pub activation_retries: Vec<String>,
    /// The verdict, step results and plugin logs, as conformance compares them.
    pub outcome: crate::outcome::RunOutcome,
}

/// Where the host executable is: `$PLUGHOST_HOST`, else `plughost-host` beside the running
/// executable (or one directory up, for test binaries), else this executable's hidden `host`
/// command.
pub fn host_command() -> (PathBuf, Vec<String>) {
    if let Some(path) = std::env::var_os("PLUGHOST_HOST") {
        return (PathBuf::from(path), Vec::new());
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("plughost"));
    let name = format!("plughost-host{}", std::env::consts::EXE_SUFFIX);
    let beside = exe.with_file_name(&name);
    if beside.exists() {
        return (beside, Vec::new());
    }
    if let Some(up) = exe.parent().and_then(|dir| dir.parent()).map(|dir| dir.join(&name))
        && up.exists()
    {
        return (up, Vec::new());
    }
    (exe, vec!["host".to_string()])
}

/// The real configuration with `watchdog`, starting hosts with [`host_command`].
pub fn real_config(watchdog: Duration) -> Result<RealConfig, String> {
    let (program, args) = host_command();
    RealConfig::new(program, args, watchdog)
}

/// Runs `scenario` once under `variant` on real threads and processes.
pub fn run_real(
    scenario: &Arc<Scenario>,
    variant: Variant,
    config: &RealConfig,
    record_trace: bool,
) -> RealRun {
    let observer = Arc::new(Observer::new(scenario.clone(), variant.design));
    let root_scenario = scenario.clone();
    let go = || {
        plughost_real::run(config, observer.clone(), move |platform| drive(platform, root_scenario, variant))
    };
    let (report, trace) = plughost_sim::trace::record_if(record_trace, go);
    let outcome = match &report.outcome {
        RealOutcome::Completed => Outcome::Completed,
        RealOutcome::Hung { waited, threads, retrying: false } => Outcome::Deadlock(Report {
            summary: format!(
                "deadlock: the watchdog fired after {:.1} s; unfinished threads:",
                waited.as_secs_f64()
            ),
            lines: threads.clone(),
        }),
        RealOutcome::Hung { waited, threads, retrying: true } => Outcome::Livelock(Report {
            summary: format!(
                "livelock: the watchdog fired after {:.1} s with threads still retrying; unfinished threads:",
                waited.as_secs_f64()
            ),
            lines: threads.clone(),
        }),
        RealOutcome::Panicked(message) => Outcome::Panic(message.clone()),
        RealOutcome::ServiceDied(thread) => Outcome::ServiceDied(format!("svc terminated by {thread}")),
    };
    let judgement = observer.judge(&outcome);
    RealRun {
        outcome: observer.outcome(judgement.verdict),
        verdict: judgement.verdict,
        details: judgement.details,
        errors: report.errors,
        elapsed: report.elapsed,
        trace,
        activations: report.activations,
        failed_calls: report.failed_calls,
        activation_retries: report.activation_retries,
    }
}
