//! I-8 (a host crash in a start hook fails the operation with the plugin-named fatal error
//! carrying the crash HRESULT), the start-hook rules of §2 (`ThrowIfPluginError`: a failure
//! is fatal with the plugin-named message, with the plugin's text when it set one; success
//! with a message is `E_ILLEGAL_STATE_CHANGE`; the first failing plugin stops the loop), and
//! I-10 (the first runtime crash, or the last load failure, becomes the fatal error every
//! later VM creation reports and never changes; no VM is created after it; plugin-returned
//! errors never latch; crash telemetry at most once per plugin; no host is activated twice).
//!
//! The judge computes what each step must return from the hook calls the platform saw its
//! threads make and how they ended, classifies crashes by value with its own copy of
//! §5.2's set, and compares with what the client got.

use plughost_model::event::{ModelEvent, UserError};
use plughost_model::fact::{CallId, CallOutcome, CallRequest, Fact};
use plughost_model::hresult::HResult;
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_model::wire::HookKind;

use super::interest::{EventKind, FactKind, Interest};
use super::observed::Observed;
use super::sorted::{SortedMap, SortedSet};
use super::spec::{
    E_ILLEGAL_STATE_CHANGE, fatal_message, fatal_message_with, is_crash, is_fatal, is_wslc_operation,
    latched_message,
};
use super::{Findings, Judge};

#[derive(Debug)]
struct HookCall {
    hook: HookKind,
    plugin: Name,
    step: Option<u32>,
    /// The caller and the threads that started it.
    lineage: Vec<ThreadId>,
}

/// What a step must end with, and why.
#[derive(Debug)]
struct Required {
    error: UserError,
    invariant: &'static str,
    why: String,
}

#[derive(Debug, Default)]
struct StepFacts {
    /// The client call (`start-distro`, `wslc-create-session`, …).
    op: &'static str,
    required: Option<Required>,
    failed_hooks: SortedSet<HookKind>,
    teardown_failures: Vec<(Name, HookKind, HResult)>,
}

/// The fatal error every later VM creation must report (§5.3): settled after the fan-out
/// that first saw a crash ended; `candidates` are the crashes seen until then (concurrent
/// fan-outs may race to latch), `pinned` the one clients were shown.
#[derive(Debug, Default)]
struct Gate {
    /// The last plugin that failed to load, with its HRESULT when the platform saw one (a
    /// host that died before answering `Initialize` failed with whatever its activation got).
    load_failure: Option<(Name, Option<HResult>)>,
    candidates: Vec<(Name, HResult)>,
    settled: bool,
    pinned: Option<(Name, HResult)>,
}

impl Gate {
    /// No latch, no candidates (keeping the candidates' room).
    fn reset(&mut self) {
        let Gate { load_failure, candidates, settled, pinned } = self;
        *load_failure = None;
        candidates.clear();
        *settled = false;
        *pinned = None;
    }

    fn is_set(&self) -> bool {
        self.load_failure.is_some() || self.settled
    }

    /// Whether a client error for `plugin` with `hr` is the fatal error.
    fn allows(&self, plugin: &str, hr: HResult) -> bool {
        match (&self.load_failure, &self.pinned) {
            (Some((load, load_hr)), _) => **load == *plugin && load_hr.is_none_or(|h| h == hr),
            (None, Some((pinned, pinned_hr))) => **pinned == *plugin && *pinned_hr == hr,
            (None, None) => self.candidates.iter().any(|(p, h)| **p == *plugin && *h == hr),
        }
    }

    fn describe(&self) -> String {
        match (&self.load_failure, &self.pinned, self.candidates.first()) {
            (Some((plugin, Some(hr))), _, _) => format!("the latched error is {plugin}'s load failure {hr}"),
            (Some((plugin, None)), _, _) => format!("the latched error is {plugin}'s failed activation"),
            (None, Some((plugin, hr)), _) | (None, None, Some((plugin, hr))) => {
                format!("the latched error is {plugin} {hr}")
            }
            (None, None, None) => "no host crash or load failure was latched".to_string(),
        }
    }
}

/// I-8, I-10 and §2's start-hook rules.
#[derive(Debug, Default)]
pub struct FatalJudge {
    calls: SortedMap<CallId, HookCall>,
    steps: SortedMap<u32, StepFacts>,
    gate: Gate,
    /// Crashes seen by fan-outs still in progress, with the caller's lineage.
    unsettled: Vec<(Vec<ThreadId>, (Name, HResult))>,
    telemetry: SortedSet<Name>,
    activated: SortedSet<Name>,
    /// Threads holding a session's instance lock, with whether the fatal error was latched
    /// when they took it (outermost acquisition). `_CreateVm` checks the latch under that
    /// lock (§5.3), so a VM whose creating thread took the lock before the latch was set
    /// passed the check legally, even if its `OnVMStarted` is sent after the latch.
    /// (A few threads at most: a list.)
    latched_at_lock: Vec<(ThreadId, bool)>,
}

impl Judge for FatalJudge {
    fn reset(&mut self) {
        let FatalJudge { calls, steps, gate, unsettled, telemetry, activated, latched_at_lock } = self;
        calls.clear();
        steps.clear();
        gate.reset();
        unsettled.clear();
        telemetry.clear();
        activated.clear();
        latched_at_lock.clear();
    }

    fn interest(&self) -> Interest {
        use FactKind::*;
        Interest::NONE
            .facts(&[ProcessStarted, ProcessDied, LockAcquired, LockReleased, CallStarted, CallEnded])
            .events(&[
                EventKind::StepBegin,
                EventKind::StepEnd,
                EventKind::FanOutEnd,
                EventKind::CrashTelemetry,
            ])
    }

    fn event(&mut self, _seen: &Observed, thread: ThreadId, event: &ModelEvent, out: &mut Findings) {
        match event {
            ModelEvent::StepBegin { step, op, .. } => self.steps.or_default(*step).op = op,
            ModelEvent::StepEnd { step, result } => self.step_ends(*step, result, out),
            ModelEvent::FanOutEnd { .. } => {
                let (ended, rest) = std::mem::take(&mut self.unsettled)
                    .into_iter()
                    .partition::<Vec<_>, _>(|(lineage, _)| lineage.contains(&thread));
                self.unsettled = rest;
                if !ended.is_empty() {
                    self.gate.candidates.extend(ended.into_iter().map(|(_, crash)| crash));
                    self.gate.settled = true;
                }
            }
            ModelEvent::CrashTelemetry { plugin } if !self.telemetry.insert(plugin.clone()) => {
                out.violate("I-10", format!("PluginHostCrash telemetry fired twice for {plugin}"));
            }
            _ => {}
        }
    }

    fn fact(&mut self, seen: &Observed, fact: &Fact, out: &mut Findings) {
        match fact {
            Fact::ProcessStarted { plugin: Some(plugin), .. } if !self.activated.insert(plugin.clone()) => {
                out.violate("I-10", format!("{plugin}'s host was activated a second time (hosts are activated once and never again after a crash)"));
            }
            Fact::ProcessDied { process } => {
                if let Some(plugin) = seen.plugin_of(*process)
                    && !seen.was_initialized(plugin)
                {
                    self.gate.load_failure = Some((plugin.clone(), None));
                }
            }
            Fact::LockAcquired { thread, lock, .. }
                if seen.is_instance_lock(*lock) && seen.depth(*thread, *lock) == 1 =>
            {
                let latched = self.gate.is_set();
                match self.latched_at_lock.iter_mut().find(|(t, _)| t == thread) {
                    Some((_, at_lock)) => *at_lock = latched,
                    None => self.latched_at_lock.push((*thread, latched)),
                }
            }
            Fact::LockReleased { thread, lock }
                if seen.is_instance_lock(*lock) && seen.depth(*thread, *lock) == 0 =>
            {
                self.latched_at_lock.retain(|(t, _)| t != thread);
            }
            Fact::CallStarted { call, caller, target, request: CallRequest::Hook { hook, .. } } => {
                let plugin = seen.plugin_of(*target).cloned().unwrap_or_else(|| "an unknown plugin".into());
                let step = seen.step_of(*caller);
                let lineage = seen.lineage(*caller).collect::<Vec<_>>();
                self.hook_called(*hook, &plugin, step, &lineage, out);
                self.calls.insert(*call, HookCall { hook: *hook, plugin, step, lineage });
            }
            Fact::CallEnded { call, outcome } => {
                if let Some(hook_call) = self.calls.remove(call) {
                    self.hook_ended(&hook_call, outcome);
                } else if let Some(view) = seen.call(*call)
                    && let CallRequest::Initialize { plugin } = &view.request
                    && outcome.hr().failed()
                {
                    // `emplace`: the last failing plugin's error is the one reported (§9.9).
                    self.gate.load_failure = Some((plugin.clone(), Some(outcome.hr())));
                }
            }
            _ => {}
        }
    }
}

impl FatalJudge {
    fn hook_called(
        &mut self,
        hook: HookKind,
        plugin: &Name,
        step: Option<u32>,
        lineage: &[ThreadId],
        out: &mut Findings,
    ) {
        // The VM was created when its creating thread (the caller or a thread that started
        // it) passed the latch check under the instance lock; without such a thread, now.
        let latched_at_creation = lineage
            .iter()
            .find_map(|thread| {
                self.latched_at_lock.iter().find(|(t, _)| t == thread).map(|(_, at_lock)| *at_lock)
            })
            .unwrap_or_else(|| self.gate.is_set());
        if hook == HookKind::VmStarted && latched_at_creation {
            out.violate(
                "I-10",
                format!("OnVMStarted was sent to {plugin}: a VM was created after the fatal plugin error was latched ({})", self.gate.describe()),
            );
        }
        if let Some(step) = step
            && self.steps.get(&step).is_some_and(|s| s.failed_hooks.contains(&hook))
        {
            out.violate(
                "§2",
                format!("step {step}: {hook} reached {plugin} after an earlier plugin failed it (the first failing plugin stops the loop)"),
            );
        }
    }

    fn hook_ended(&mut self, call: &HookCall, outcome: &CallOutcome) {
        let hr = outcome.hr();
        let message = match outcome {
            CallOutcome::Replied { message, .. } => message.clone().filter(|m| !m.is_empty()),
            CallOutcome::Failed { .. } => None,
        };
        let crash = is_crash(hr);
        if crash && !self.gate.settled {
            self.unsettled.push((call.lineage.clone(), (call.plugin.clone(), hr)));
        }
        let Some(step) = call.step else { return };
        let facts = self.steps.or_default(step);
        let (hook, plugin) = (call.hook, &call.plugin);
        if !is_fatal(hook) {
            if crash || hr.failed() {
                facts.teardown_failures.push((plugin.clone(), hook, hr));
            }
            return;
        }
        let required = if crash {
            Required {
                error: UserError { hr, message: Some(fatal_message(plugin)) },
                invariant: "I-8",
                why: format!(
                    "{plugin}'s {hook} ended with {hr}, a host-crash code (§5.2 classifies by value)"
                ),
            }
        } else if hr.failed() {
            let text = match &message {
                Some(text) => fatal_message_with(plugin, text),
                None => fatal_message(plugin),
            };
            Required {
                error: UserError { hr, message: Some(text) },
                invariant: "§2",
                why: format!("{plugin} failed {hook} with {hr}"),
            }
        } else if message.is_some() {
            Required {
                error: UserError { hr: E_ILLEGAL_STATE_CHANGE, message: None },
                invariant: "I-15",
                why: format!("{plugin} returned {hr} from {hook} with an error message"),
            }
        } else {
            return;
        };
        facts.failed_hooks.insert(hook);
        facts.required.get_or_insert(required);
    }

    fn step_ends(&mut self, step: u32, result: &Result<(), UserError>, out: &mut Findings) {
        let facts = self.steps.remove(&step).unwrap_or_default();
        if let Some(required) = facts.required {
            if result.as_ref().err() != Some(&required.error) {
                let got = crate::expect::show(result);
                out.violate(
                    required.invariant,
                    format!(
                        "step {step}: {}, so the step must fail with {}, but it returned {got}",
                        required.why, required.error
                    ),
                );
            }
            return;
        }
        let Err(error) = result else { return };
        let Some(message) = &error.message else { return };
        if !is_plugin_named(message) {
            return;
        }
        self.explain(step, error, message, &facts, out);
    }

    /// A plugin-named failure no start hook of the step produced must be the latched error.
    fn explain(
        &mut self,
        step: u32,
        error: &UserError,
        message: &str,
        facts: &StepFacts,
        out: &mut Findings,
    ) {
        let teardown = &facts.teardown_failures;
        let named = named_plugin(message);
        if is_wslc_operation(facts.op) {
            out.violate(
                "I-10",
                format!("step {step} ({}) failed with {error}, which no WSLC hook of it returned: the WSLC path is never gated by the fatal-error latch (§9.8)", facts.op),
            );
            return;
        }
        // The thread that saw a crash latches it right after its call failed (§5.3), so
        // until the first such fan-out ends, a concurrent check may already report it.
        let seen_crash = |plugin: &str, hr: HResult| {
            !self.gate.is_set() && self.unsettled.iter().any(|(_, (p, h))| **p == *plugin && *h == hr)
        };
        if let Some(plugin) = named
            && (self.gate.allows(plugin, error.hr) || seen_crash(plugin, error.hr))
            && message == latched_message(plugin, error.hr)
        {
            if self.gate.load_failure.is_none() {
                self.gate.pinned = Some((plugin.into(), error.hr));
            }
            return;
        }
        if let Some((plugin, hook, hr)) = teardown.iter().find(|(_, _, hr)| *hr == error.hr) {
            out.violate(
                "I-9",
                format!("step {step} failed with {error}: {plugin}'s {hook} returned {hr}, and teardown hooks never fail the operation"),
            );
            return;
        }
        let gate = self.gate.describe();
        out.violate(
            "I-10",
            format!("step {step} failed with {error}, which no start hook of the step returned, and {gate} (plugin-returned errors never latch)"),
        );
    }
}

/// Whether a user message names a plugin as the culprit (§2's messages).
fn is_plugin_named(message: &str) -> bool {
    named_plugin(message).is_some()
}

/// The plugin a §2 message names.
fn named_plugin(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("A fatal error was returned by plugin '")
        .or_else(|| message.strip_prefix("The plugin '"))?;
    rest.split_once('\'').map(|(plugin, _)| plugin)
}
