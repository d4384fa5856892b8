//! I-9 (a teardown hook is attempted on every loaded plugin, whatever earlier ones did; that
//! it never fails the operation is judged in `fatal`), §2's fan-out rule for start hooks
//! (one that no plugin failed reached every loaded plugin), and I-11 (a failed `OnVMStarted`
//! is followed by `OnVMStopping` to every loaded plugin before the operation returns).
//!
//! A fan-out's extent is the model's `FanOutBegin`/`FanOutEnd` on the notifying thread;
//! which plugins it reached and how each answered come from the call facts of that thread
//! and of the pump workers it started.

use plughost_model::event::ModelEvent;
use plughost_model::fact::{CallId, CallOutcome, CallRequest, Fact};
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_model::wire::HookKind;

use super::interest::{EventKind, FactKind, Interest};
use super::observed::Observed;
use super::sorted::{SortedMap, SortedSet};
use super::spec::{is_crash, is_fatal};
use super::{Findings, Judge};

#[derive(Debug)]
struct FanOut {
    hook: HookKind,
    reached: SortedSet<Name>,
    failed: bool,
}

/// I-9, I-11 and the start-hook fan-out rule.
#[derive(Debug, Default)]
pub struct TeardownJudge {
    open: SortedMap<ThreadId, FanOut>,
    /// Hook calls in flight, with the notifying thread whose fan-out they belong to.
    calls: SortedMap<CallId, ThreadId>,
    /// Notifying threads whose `OnVMStarted` failed and still owe every plugin `OnVMStopping`.
    mirror_owed: SortedSet<ThreadId>,
}

impl Judge for TeardownJudge {
    fn reset(&mut self) {
        let TeardownJudge { open, calls, mirror_owed } = self;
        open.clear();
        calls.clear();
        mirror_owed.clear();
    }

    fn interest(&self) -> Interest {
        Interest::NONE.facts(&[FactKind::CallStarted, FactKind::CallEnded]).events(&[
            EventKind::FanOutBegin,
            EventKind::FanOutEnd,
            EventKind::StepEnd,
        ])
    }

    fn event(&mut self, seen: &Observed, thread: ThreadId, event: &ModelEvent, out: &mut Findings) {
        match event {
            ModelEvent::FanOutBegin { hook, .. } => {
                self.open.insert(thread, FanOut { hook: *hook, reached: SortedSet::new(), failed: false });
            }
            ModelEvent::FanOutEnd { hook, session, .. } => {
                self.fan_out_ends(seen, thread, *hook, *session, out)
            }
            ModelEvent::StepEnd { step, .. } if self.mirror_owed.remove(&thread) => {
                out.violate(
                    "I-11",
                    format!("step {step}: OnVMStarted failed and the step returned before OnVMStopping reached every loaded plugin"),
                );
            }
            _ => {}
        }
    }

    fn fact(&mut self, seen: &Observed, fact: &Fact, _out: &mut Findings) {
        match fact {
            Fact::CallStarted { call, caller, target, request: CallRequest::Hook { hook, .. } } => {
                let Some(notifier) = seen.lineage(*caller).find(|t| self.open.contains_key(t)) else {
                    return;
                };
                if let Some(fan_out) = self.open.get_mut(&notifier)
                    && fan_out.hook == *hook
                {
                    if let Some(plugin) = seen.plugin_of(*target) {
                        fan_out.reached.insert(plugin.clone());
                    }
                    self.calls.insert(*call, notifier);
                }
            }
            Fact::CallEnded { call, outcome } => {
                let Some(notifier) = self.calls.remove(call) else { return };
                let failed = match outcome {
                    CallOutcome::Failed { .. } => true,
                    CallOutcome::Replied { hr, message } => {
                        hr.failed() || is_crash(*hr) || message.as_ref().is_some_and(|m| !m.is_empty())
                    }
                };
                if let Some(fan_out) = self.open.get_mut(&notifier) {
                    fan_out.failed |= failed;
                }
            }
            _ => {}
        }
    }
}

impl TeardownJudge {
    fn fan_out_ends(
        &mut self,
        seen: &Observed,
        thread: ThreadId,
        hook: HookKind,
        session: plughost_model::ids::SessionCookie,
        out: &mut Findings,
    ) {
        let Some(fan_out) = self.open.remove(&thread) else { return };
        let missed: Vec<String> = seen
            .loaded_plugins()
            .into_iter()
            .filter(|p| !fan_out.reached.contains(p))
            .map(|p| p.to_string())
            .collect();
        if !is_fatal(hook) && !missed.is_empty() {
            out.violate(
                "I-9",
                format!("{hook} on {session} never reached {} (every loaded plugin is attempted, whatever earlier ones did)", missed.join(", ")),
            );
        }
        if is_fatal(hook) && !fan_out.failed && !missed.is_empty() {
            out.violate(
                "§2",
                format!(
                    "{hook} on {session} never reached {} although no plugin failed it",
                    missed.join(", ")
                ),
            );
        }
        if hook == HookKind::VmStarted && fan_out.failed {
            self.mirror_owed.insert(thread);
        }
        if hook == HookKind::VmStopping && missed.is_empty() {
            self.mirror_owed.remove(&thread);
        }
    }
}
