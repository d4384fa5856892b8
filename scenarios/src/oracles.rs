//! The always-on oracles: invariants I-1, I-2, I-3, I-4, I-8, I-9, I-10, I-11 and I-17 of
//! spec §8.1, checked incrementally from model events (I-7 and the deadlock half of I-17 are
//! run outcomes, judged by `observer`).
//!
//! Each check is stated the way the spec states it; a violation records the invariant, the
//! virtual time and what happened. Oracles never look at model internals, only at events,
//! so the same checks judge simulated and real runs; the model emits every event an oracle
//! orders against another thread's while holding the lock that orders them.
//!
//! Two checks go beyond the letter of §8.1, and say so in their messages:
//! - I-2 also requires that a callback's reply come from its work having run (§4.3–§4.4: "ran
//!   vs stopped" is out of band, so a reply without execution is a lost callback). The source
//!   breaks this only when `Invoke` cannot create its event, a path the model does not have.
//! - I-17 also checks the pump-lifetime bound of §4.4: after its worker finished, a pump
//!   waits at most once more.
//!
//! I-9's "never fails the operation" half is only as strong as fan-outs are: a teardown
//! fan-out must end without an error and reach every loaded plugin; the operation's own
//! result is checked by the scenario's step expectations.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use plughost_model::event::{ModelEvent, UserError, WorkSite};
use plughost_model::hresult::HResult;
use plughost_model::ids::{CallbackId, Name, PumpId, SessionCookie};
use plughost_model::platform::ThreadId;
use plughost_model::plugin_manager::is_host_crash;
use plughost_model::wire::HookKind;

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which invariant (`I-2`, …).
    pub invariant: &'static str,
    /// When it was detected.
    pub at: Duration,
    /// What happened.
    pub message: String,
}

struct PumpFacts {
    thread: ThreadId,
    holds_lock: bool,
    running: bool,
    worker_done: bool,
    stopped: bool,
    wakes_after_done: u32,
    working: bool,
    enqueued: Vec<CallbackId>,
}

#[derive(Default)]
struct WorkFacts {
    runs: u32,
    refused_by: Vec<PumpId>,
    pumped_on: Option<PumpId>,
}

struct FanOut {
    hook: HookKind,
    attempted: BTreeSet<Name>,
    crash: Option<(Name, HResult)>,
}

#[derive(Default)]
struct StepFacts {
    fatal_crash: Option<(Name, HResult)>,
    mirror_pending: bool,
}

struct ActiveWork {
    callback: CallbackId,
    locked: bool,
}

/// Oracle state for one run.
#[derive(Default)]
pub struct Oracles {
    now: Duration,
    violations: Vec<Violation>,
    pumps: BTreeMap<PumpId, PumpFacts>,
    works: BTreeMap<CallbackId, WorkFacts>,
    active: BTreeMap<SessionCookie, Vec<ActiveWork>>,
    loaded: BTreeSet<Name>,
    crashed: BTreeSet<Name>,
    telemetry: BTreeSet<Name>,
    fatal_error: Option<(Name, HResult)>,
    fan_outs: BTreeMap<ThreadId, FanOut>,
    steps: BTreeMap<ThreadId, StepFacts>,
    last_hook_result: BTreeMap<ThreadId, (Name, HResult)>,
}

/// `MessageFatalPluginError`, as the client must see it after a crash (I-8).
fn fatal_message(plugin: &str) -> String {
    format!("A fatal error was returned by plugin '{plugin}'")
}

impl Oracles {
    /// The violations found so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    fn violate(&mut self, invariant: &'static str, message: String) {
        self.violations.push(Violation { invariant, at: self.now, message });
    }

    /// Feeds one event.
    pub fn observe(&mut self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        self.now = at;
        use ModelEvent::*;
        match event {
            HostActivated { plugin } => self.host_activated(plugin),
            PluginLoadFailed { plugin, hr } => self.fatal_error = Some((plugin.clone(), *hr)),
            FatalErrorChecked { error } => self.fatal_error_checked(error),
            FanOutBegin { hook, .. } => {
                let fan_out = FanOut { hook: *hook, attempted: BTreeSet::new(), crash: None };
                self.fan_outs.insert(thread, fan_out);
            }
            HookCall { plugin, .. } => {
                if let Some(fan_out) = self.fan_outs.get_mut(&thread) {
                    fan_out.attempted.insert(plugin.clone());
                }
            }
            HookReturned { hook, plugin, hr, .. } => self.hook_returned(thread, *hook, plugin, *hr),
            CrashLatched { plugin, hr, recorded } => self.crash_latched(thread, plugin, *hr, *recorded),
            CrashTelemetry { plugin } if !self.telemetry.insert(plugin.clone()) => {
                self.violate("I-10", format!("PluginHostCrash telemetry fired twice for {plugin}"));
            }
            FanOutEnd { hook, session, failed } => self.fan_out_end(thread, *hook, *session, *failed),
            StepEnd { step, result } => self.step_end(thread, *step, result),
            PumpRunBegin { pump, holds_instance_lock } => {
                self.pump_run_begin(thread, *pump, *holds_instance_lock)
            }
            PumpWoke { pump, .. } => self.pump_woke(*pump),
            PumpWorkerDone { pump } => {
                if let Some(facts) = self.pump(*pump) {
                    facts.worker_done = true;
                }
            }
            PumpStopped { pump } => {
                if let Some(facts) = self.pump(*pump) {
                    facts.stopped = true;
                }
            }
            PumpEnqueued { pump, callback } => self.pump_enqueued(*pump, *callback),
            PumpRefused { pump, callback } => self.works.entry(*callback).or_default().refused_by.push(*pump),
            PumpRunEnd { pump, queued, stopped } => self.pump_run_end(*pump, *queued, *stopped),
            CallbackReceived { callback, .. } => {
                self.works.insert(*callback, WorkFacts::default());
            }
            WorkBegin { callback, session, site, found, holds_instance_lock } => {
                let holds = *holds_instance_lock || !*found;
                self.work_begin(thread, *callback, *session, *site, holds)
            }
            WorkEnd { callback, .. } => self.work_end(*callback),
            CallbackReplied { callback, hr } => self.callback_replied(*callback, *hr),
            _ => {}
        }
    }

    /// A pump's facts; an event for a pump that never began is itself a violation.
    fn pump(&mut self, pump: PumpId) -> Option<&mut PumpFacts> {
        if !self.pumps.contains_key(&pump) {
            self.violate("I-3", format!("an event for {pump} before its Run began"));
        }
        self.pumps.get_mut(&pump)
    }

    fn host_activated(&mut self, plugin: &Name) {
        if self.crashed.contains(plugin) {
            self.violate("I-10", format!("{plugin} was activated again after its host crashed"));
        }
        self.loaded.insert(plugin.clone());
    }

    fn fatal_error_checked(&mut self, error: &Option<(Name, HResult)>) {
        if *error != self.fatal_error {
            let show = |e: &Option<(Name, HResult)>| {
                e.as_ref().map_or("none".to_string(), |(p, hr)| format!("{p} {hr}"))
            };
            let message = format!(
                "ThrowIfFatalPluginError found {}, but the latched error is {}",
                show(error),
                show(&self.fatal_error)
            );
            self.violate("I-10", message);
        }
    }

    fn hook_returned(&mut self, thread: ThreadId, hook: HookKind, plugin: &Name, hr: HResult) {
        self.last_hook_result.insert(thread, (plugin.clone(), hr));
        if !is_host_crash(hr) {
            return;
        }
        self.crashed.insert(plugin.clone());
        if hook.is_fatal()
            && let Some(fan_out) = self.fan_outs.get_mut(&thread)
            && fan_out.crash.is_none()
        {
            fan_out.crash = Some((plugin.clone(), hr));
        }
    }

    fn crash_latched(&mut self, thread: ThreadId, plugin: &Name, hr: HResult, recorded: bool) {
        let observed = self.last_hook_result.get(&thread).is_some_and(|(p, h)| p == plugin && *h == hr);
        if !observed || !is_host_crash(hr) {
            self.violate("I-10", format!("{plugin}'s {hr} was latched without a host crash being observed"));
        }
        match (&self.fatal_error, recorded) {
            (None, true) => self.fatal_error = Some((plugin.clone(), hr)),
            (None, false) => {
                self.violate("I-10", format!("the first host crash ({plugin}, {hr}) was not latched"))
            }
            (Some(first), true) => {
                let message = format!(
                    "a later crash ({plugin}, {hr}) replaced the latched error ({}, {})",
                    first.0, first.1
                );
                self.violate("I-10", message);
            }
            (Some(_), false) => {}
        }
    }

    fn fan_out_end(
        &mut self,
        thread: ThreadId,
        hook: HookKind,
        session: SessionCookie,
        failed: Option<HResult>,
    ) {
        let Some(fan_out) = self.fan_outs.remove(&thread) else { return };
        debug_assert_eq!(fan_out.hook, hook);
        if hook.is_fatal() {
            if let Some((plugin, hr)) = &fan_out.crash {
                if failed != Some(*hr) {
                    let message = format!(
                        "{plugin}'s host crashed ({hr}) in {hook} but the {hook} fan-out did not fail with it"
                    );
                    self.violate("I-8", message);
                }
                self.steps.entry(thread).or_default().fatal_crash = Some((plugin.clone(), *hr));
            }
            if hook == HookKind::VmStarted && failed.is_some() {
                self.steps.entry(thread).or_default().mirror_pending = true;
            }
            return;
        }
        if let Some(hr) = failed {
            self.violate("I-9", format!("teardown hook {hook} failed the operation on {session} with {hr}"));
        }
        let missed: Vec<String> = self.loaded.difference(&fan_out.attempted).map(|p| p.to_string()).collect();
        if !missed.is_empty() {
            self.violate("I-9", format!("{hook} on {session} never reached {}", missed.join(", ")));
        } else if hook == HookKind::VmStopping
            && let Some(step) = self.steps.get_mut(&thread)
        {
            step.mirror_pending = false;
        }
    }

    fn step_end(&mut self, thread: ThreadId, step: u32, result: &Result<(), UserError>) {
        let facts = self.steps.remove(&thread).unwrap_or_default();
        if let Some((plugin, hr)) = facts.fatal_crash {
            let expected = UserError { hr, message: Some(fatal_message(&plugin)) };
            if result.as_ref().err() != Some(&expected) {
                let got = crate::expect::show(result);
                self.violate("I-8", format!("step {step}: {plugin}'s host crashed in a start hook, but the step returned {got} instead of {expected}"));
            }
        }
        if facts.mirror_pending {
            self.violate(
                "I-11",
                format!("step {step}: OnVMStarted failed and OnVMStopping did not reach every loaded plugin"),
            );
        }
    }

    fn pump_run_begin(&mut self, thread: ThreadId, pump: PumpId, holds_lock: bool) {
        let facts = PumpFacts {
            thread,
            holds_lock,
            running: true,
            worker_done: false,
            stopped: false,
            wakes_after_done: 0,
            working: false,
            enqueued: Vec::new(),
        };
        self.pumps.insert(pump, facts);
    }

    fn pump_woke(&mut self, pump: PumpId) {
        let Some(facts) = self.pump(pump) else { return };
        if facts.worker_done {
            facts.wakes_after_done += 1;
            if facts.wakes_after_done == 2 {
                self.violate(
                    "I-17",
                    format!("{pump} kept waiting for calls after its worker finished (spec §4.4 bound)"),
                );
            }
        }
    }

    fn pump_enqueued(&mut self, pump: PumpId, callback: CallbackId) {
        let Some(facts) = self.pump(pump) else { return };
        facts.enqueued.push(callback);
        if facts.stopped {
            self.violate("I-3", format!("{callback} was queued on {pump} after it stopped"));
        }
    }

    fn pump_run_end(&mut self, pump: PumpId, queued: usize, stopped: bool) {
        let Some(facts) = self.pump(pump) else { return };
        facts.running = false;
        let (worker_done, enqueued) = (facts.worker_done, std::mem::take(&mut facts.enqueued));
        if queued != 0 || !stopped {
            self.violate("I-3", format!("{pump} returned with {queued} queued calls, stopped = {stopped}"));
        }
        if !worker_done {
            self.violate("I-3", format!("{pump} returned before its worker finished"));
        }
        for callback in enqueued {
            if self.works.get(&callback).is_none_or(|w| w.runs == 0) {
                self.violate(
                    "I-2",
                    format!("{callback} was queued on {pump} but had not run when the pump returned"),
                );
            }
        }
    }

    fn work_begin(
        &mut self,
        thread: ThreadId,
        callback: CallbackId,
        session: SessionCookie,
        site: WorkSite,
        holds: bool,
    ) {
        let work = self.works.entry(callback).or_default();
        work.runs += 1;
        let (runs, refused_by) = (work.runs, work.refused_by.clone());
        if runs > 1 {
            self.violate("I-2", format!("{callback}'s work ran {runs} times"));
        }
        let locked = match site {
            WorkSite::Pumped(pump) => {
                self.works.entry(callback).or_default().pumped_on = Some(pump);
                self.pumped_work_begins(thread, callback, pump, holds, &refused_by)
            }
            WorkSite::Direct => true,
            WorkSite::NoSession => return,
        };
        let overlapping: Vec<String> = self
            .active
            .get(&session)
            .into_iter()
            .flatten()
            .filter(|other| locked && other.locked)
            .map(|other| other.callback.to_string())
            .collect();
        if !overlapping.is_empty() {
            self.violate(
                "I-4",
                format!("{callback}'s work overlaps {} on {session}", overlapping.join(", ")),
            );
        }
        self.active.entry(session).or_default().push(ActiveWork { callback, locked });
    }

    /// I-1 and the per-pump half of I-4; returns whether the work runs under the lock.
    fn pumped_work_begins(
        &mut self,
        thread: ThreadId,
        callback: CallbackId,
        pump: PumpId,
        holds: bool,
        refused_by: &[PumpId],
    ) -> bool {
        let Some(facts) = self.pump(pump) else { return false };
        let (pump_thread, running, holds_lock, working) =
            (facts.thread, facts.running, facts.holds_lock, facts.working);
        facts.working = true;
        if !running || thread != pump_thread {
            self.violate(
                "I-1",
                format!("{callback} ran on {pump} outside its Run or off its notifying thread"),
            );
        }
        if holds_lock && !holds {
            self.violate("I-1", format!("{callback} ran on {pump} without the instance lock its hook held"));
        }
        if working {
            self.violate("I-4", format!("{callback} ran on {pump} while another pumped call was running"));
        }
        if refused_by.contains(&pump) {
            self.violate("I-2", format!("{callback} ran on {pump} after {pump} refused it"));
        }
        holds_lock
    }

    fn work_end(&mut self, callback: CallbackId) {
        for works in self.active.values_mut() {
            works.retain(|w| w.callback != callback);
        }
        if let Some(facts) =
            self.works.get(&callback).and_then(|w| w.pumped_on).and_then(|p| self.pumps.get_mut(&p))
        {
            facts.working = false;
        }
    }

    fn callback_replied(&mut self, callback: CallbackId, hr: HResult) {
        if self.works.get(&callback).is_none_or(|w| w.runs == 0) {
            self.violate("I-2", format!("{callback} replied {hr} without its work having run (§4.3: ran vs stopped is out of band)"));
        }
    }
}
