//! I-12 (a WSLC session a plugin vetoed, or that lost its name race, gets exactly one
//! `OnSessionStopping` and is terminated; its reference entry is gone after that hook) and
//! I-13 (every WSLC session gets `OnSessionStopping` at most once per plugin, and resolves
//! by id during it and during `OnSessionCreated`).
//!
//! Judged from the hook and callback calls the platform saw (their session ids and
//! outcomes), the fan-outs' extents, the steps and the service stop, and the per-user
//! session's termination (`WslcSessionTerminated`, an action of the session, not the
//! service's opinion of itself).

use plughost_model::event::ModelEvent;
use plughost_model::fact::{CallId, CallOutcome, CallRequest, Fact};
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_model::wire::HookKind;

use super::interest::{EventKind, FactKind, Interest};
use super::observed::Observed;
use super::sorted::SortedMap;
use super::spec::{ERROR_NOT_FOUND, is_crash, is_wslc_callback};
use super::{Findings, Judge};

#[derive(Debug, Default)]
struct SessionFacts {
    created: bool,
    vetoed: bool,
    terminated: bool,
    /// `OnSessionCreated` is being fanned out.
    creating: bool,
    /// `OnSessionStopping` is being fanned out.
    stopping: bool,
    /// Stopping fan-outs that ended.
    stopped: u32,
    /// After the stopping fan-out, once the thread that ran it is done: the reference is gone.
    unregistered: bool,
    stopping_calls: SortedMap<Name, u32>,
}

/// I-12 and I-13.
#[derive(Debug, Default)]
pub struct WslcJudge {
    sessions: SortedMap<u32, SessionFacts>,
    /// Sessions whose stopping fan-out ended on a thread, until that thread's step ends.
    pending_unregister: SortedMap<ThreadId, Vec<u32>>,
    created_calls: SortedMap<CallId, u32>,
    /// WSLC callbacks in flight: the session id, and whether its reference had to resolve
    /// (or had to be gone) when the call started.
    callbacks: SortedMap<CallId, (u32, Expect)>,
    service_stopped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Resolves,
    Gone,
    Either,
}

impl Judge for WslcJudge {
    fn reset(&mut self) {
        let WslcJudge { sessions, pending_unregister, created_calls, callbacks, service_stopped } = self;
        sessions.clear();
        pending_unregister.clear();
        created_calls.clear();
        callbacks.clear();
        *service_stopped = false;
    }

    fn interest(&self) -> Interest {
        use EventKind::*;
        Interest::NONE.facts(&[FactKind::CallStarted, FactKind::CallEnded]).events(&[
            FanOutBegin,
            FanOutEnd,
            StepEnd,
            ServiceStopped,
            WslcSessionTerminated,
        ])
    }

    fn event(&mut self, _seen: &Observed, thread: ThreadId, event: &ModelEvent, _out: &mut Findings) {
        match event {
            ModelEvent::FanOutBegin { hook, session } => self.fan_out(*hook, session.0, true),
            ModelEvent::FanOutEnd { hook, session, .. } => {
                self.fan_out(*hook, session.0, false);
                if *hook == HookKind::WslcSessionStopping {
                    self.pending_unregister.or_default(thread).push(session.0);
                }
            }
            ModelEvent::StepEnd { .. } => self.unregistered(thread),
            ModelEvent::ServiceStopped => {
                self.service_stopped = true;
                let threads: Vec<ThreadId> = self.pending_unregister.keys().copied().collect();
                threads.into_iter().for_each(|t| self.unregistered(t));
            }
            ModelEvent::WslcSessionTerminated { session } => self.session(*session).terminated = true,
            _ => {}
        }
    }

    fn fact(&mut self, seen: &Observed, fact: &Fact, out: &mut Findings) {
        match fact {
            Fact::CallStarted { call, target, request: CallRequest::Hook { hook, session }, .. } => {
                let plugin = seen.plugin_of(*target).cloned();
                self.hook_called(*call, *hook, session.0, plugin, out);
            }
            Fact::CallStarted { call, request: CallRequest::Callback { api, session }, .. }
                if is_wslc_callback(api) =>
            {
                let facts = self.sessions.get(&session.0);
                let expect = match facts {
                    Some(f) if f.unregistered => Expect::Gone,
                    Some(f) if (f.creating || f.stopping) && !f.terminated => Expect::Resolves,
                    _ => Expect::Either,
                };
                self.callbacks.insert(*call, (session.0, expect));
            }
            Fact::CallEnded { call, outcome } => self.call_ended(*call, outcome, out),
            _ => {}
        }
    }

    fn finish(&mut self, seen: &Observed, out: &mut Findings) {
        if !self.service_stopped {
            return;
        }
        let loaded = seen.loaded_plugins();
        for (id, facts) in &self.sessions {
            if !facts.created {
                continue;
            }
            if facts.stopped != 1 {
                let times = facts.stopped;
                out.violate("I-12", format!("wslc#{id} was created and got {times} OnSessionStopping fan-outs by the service's stop, not exactly one"));
            }
            let missed: Vec<String> = loaded
                .iter()
                .filter(|p| !facts.stopping_calls.contains_key(*p))
                .map(|p| p.to_string())
                .collect();
            if !missed.is_empty() {
                out.violate(
                    "I-12",
                    format!("wslc#{id}'s OnSessionStopping never reached {}", missed.join(", ")),
                );
            }
            if facts.vetoed && !facts.terminated {
                out.violate("I-12", format!("wslc#{id} was vetoed and never terminated"));
            }
        }
    }
}

impl WslcJudge {
    fn session(&mut self, id: u32) -> &mut SessionFacts {
        self.sessions.or_default(id)
    }

    fn fan_out(&mut self, hook: HookKind, id: u32, begins: bool) {
        match hook {
            HookKind::WslcSessionCreated => {
                let facts = self.session(id);
                facts.created = true;
                facts.creating = begins;
            }
            HookKind::WslcSessionStopping => {
                let facts = self.session(id);
                facts.stopping = begins;
                if !begins {
                    facts.stopped += 1;
                }
            }
            _ => {}
        }
    }

    /// Whether `id`'s created or stopping fan-out is running and the session still stands.
    fn in_hook_window(&self, id: u32) -> bool {
        self.sessions.get(&id).is_some_and(|f| (f.creating || f.stopping) && !f.terminated && !f.unregistered)
    }

    fn unregistered(&mut self, thread: ThreadId) {
        for id in self.pending_unregister.remove(&thread).unwrap_or_default() {
            self.session(id).unregistered = true;
        }
    }

    fn hook_called(
        &mut self,
        call: CallId,
        hook: HookKind,
        id: u32,
        plugin: Option<Name>,
        out: &mut Findings,
    ) {
        match hook {
            HookKind::WslcSessionCreated => {
                self.created_calls.insert(call, id);
            }
            HookKind::WslcSessionStopping => {
                let Some(plugin) = plugin else { return };
                let count = self.session(id).stopping_calls.or_default(plugin.clone());
                *count += 1;
                if *count == 2 {
                    out.violate("I-13", format!("OnSessionStopping reached {plugin} twice for wslc#{id} (DispatchSessionStopping fires once per session)"));
                }
            }
            _ => {}
        }
    }

    fn call_ended(&mut self, call: CallId, outcome: &CallOutcome, out: &mut Findings) {
        if let Some(id) = self.created_calls.remove(&call) {
            let failed = match outcome {
                CallOutcome::Failed { .. } => true,
                CallOutcome::Replied { hr, message } => {
                    hr.failed() || is_crash(*hr) || message.as_deref().is_some_and(|m| !m.is_empty())
                }
            };
            if failed {
                self.session(id).vetoed = true;
            }
            return;
        }
        let Some((id, expect)) = self.callbacks.remove(&call) else { return };
        // A call made inside the hook window but answered after it closed (a worker's call
        // racing the hook's end, or one a dying host left in flight, spec §9.14) may have been
        // served after the window: only a call that began and ended inside it must resolve.
        let expect = match expect {
            Expect::Resolves if !self.in_hook_window(id) => Expect::Either,
            other => other,
        };
        let not_found = outcome.hr() == ERROR_NOT_FOUND;
        match expect {
            Expect::Resolves if not_found => out.violate(
                "I-13",
                format!("a WSLC callback for wslc#{id} during its OnSessionCreated or OnSessionStopping got ERROR_NOT_FOUND (the reference must resolve while plugins are told)"),
            ),
            Expect::Gone if !not_found => out.violate(
                "I-12",
                format!("a WSLC callback for wslc#{id} after its OnSessionStopping got {} (the reference entry is removed after that hook)", outcome.hr()),
            ),
            _ => {}
        }
    }
}
