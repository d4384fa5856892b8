//! I-14 (one plugin per host process, and a plugin's hooks never overlap: the host's hook
//! lock serialises them across every session) and I-15 (`PluginError` succeeds only on the
//! hook thread, once per hook; its text leaves the host only from the four hooks that carry
//! a message, and only the text the plugin set).
//!
//! Judged from what the plugin itself saw (entering and leaving its hooks, `PluginError`'s
//! results, on the platform's threads), the process the platform says each thread belongs
//! to, and the replies the service received.

use plughost_model::event::ModelEvent;
use plughost_model::fact::{CallId, CallOutcome, CallRequest, Fact};
use plughost_model::hresult::HResult;
use plughost_model::ids::Name;
use plughost_model::platform::ThreadId;
use plughost_model::wire::HookKind;

use super::interest::{EventKind, FactKind, Interest};
use super::observed::Observed;
use super::sorted::SortedMap;
use super::spec::{E_ILLEGAL_METHOD_CALL, E_ILLEGAL_STATE_CHANGE, S_OK, carries_message};
use super::{Findings, Judge};

#[derive(Debug)]
struct ActiveHook {
    hook: HookKind,
    thread: ThreadId,
    message: Option<String>,
}

/// I-14 and I-15.
#[derive(Debug)]
pub struct HostJudge {
    /// Whether plugins run in hosts of their own (I-14 then applies).
    hosts: bool,
    /// Hooks running, by plugin and thread.
    active: SortedMap<(Name, ThreadId), ActiveHook>,
    /// Texts set by `PluginError` in hooks that returned, not yet seen in a reply.
    set: SortedMap<(Name, HookKind), Vec<String>>,
    calls: SortedMap<CallId, (Name, HookKind)>,
}

impl HostJudge {
    /// I-15, and I-14 when `hosts` (in-process there is no host and no hook lock: hooks of
    /// several sessions may run at once in the service, Appendix A).
    pub fn new(hosts: bool) -> HostJudge {
        HostJudge { hosts, active: SortedMap::new(), set: SortedMap::new(), calls: SortedMap::new() }
    }
}

impl Judge for HostJudge {
    fn reset(&mut self) {
        let HostJudge { hosts: _, active, set, calls } = self;
        active.clear();
        set.clear();
        calls.clear();
    }

    fn interest(&self) -> Interest {
        Interest::NONE.facts(&[FactKind::ProcessDied, FactKind::CallStarted, FactKind::CallEnded]).events(&[
            EventKind::PluginHookEntered,
            EventKind::PluginHookLeft,
            EventKind::PluginErrorCalled,
        ])
    }

    fn event(&mut self, seen: &Observed, thread: ThreadId, event: &ModelEvent, out: &mut Findings) {
        match event {
            ModelEvent::PluginHookEntered { plugin, hook } => self.entered(seen, thread, plugin, *hook, out),
            ModelEvent::PluginHookLeft { plugin, hook, .. } => {
                if let Some(active) = self.active.remove(&(plugin.clone(), thread))
                    && let Some(text) = active.message
                {
                    self.set.or_default((plugin.clone(), *hook)).push(text);
                }
            }
            ModelEvent::PluginErrorCalled { plugin, hr, message } => {
                self.plugin_error(seen, thread, plugin, *hr, message, out)
            }
            _ => {}
        }
    }

    fn fact(&mut self, seen: &Observed, fact: &Fact, out: &mut Findings) {
        match fact {
            Fact::ProcessDied { process } => {
                if let Some(plugin) = seen.plugin_of(*process) {
                    self.active.retain(|(p, _), _| p != plugin);
                }
            }
            Fact::CallStarted { call, target, request: CallRequest::Hook { hook, .. }, .. } => {
                if let Some(plugin) = seen.plugin_of(*target) {
                    self.calls.insert(*call, (plugin.clone(), *hook));
                }
            }
            Fact::CallEnded { call, outcome: CallOutcome::Replied { message, .. } } => {
                if let Some((plugin, hook)) = self.calls.remove(call) {
                    self.reply(&plugin, hook, message.as_deref().filter(|m| !m.is_empty()), out);
                }
            }
            _ => {}
        }
    }
}

impl HostJudge {
    fn entered(
        &mut self,
        seen: &Observed,
        thread: ThreadId,
        plugin: &Name,
        hook: HookKind,
        out: &mut Findings,
    ) {
        if self.hosts
            && let Some(process) = seen.process_of(thread)
            && seen.plugin_of(process) != Some(plugin)
        {
            let host = seen.plugin_of(process).map_or("the service".to_string(), |p| format!("{p}'s host"));
            out.violate("I-14", format!("{plugin}'s {hook} ran in {host} (one plugin per host process)"));
        }
        let running = self.active.iter().find(|((p, _), _)| p == plugin).map(|(_, a)| (a.hook, a.thread));
        self.active.insert((plugin.clone(), thread), ActiveHook { hook, thread, message: None });
        if self.hosts
            && let Some(other) = running
        {
            let other = ActiveHook { hook: other.0, thread: other.1, message: None };
            out.violate(
                "I-14",
                format!(
                    "{plugin}'s {hook} on {} began while its {} on {} was still running (the host's hook lock serialises a plugin's hooks)",
                    seen.thread_name(thread),
                    other.hook,
                    seen.thread_name(other.thread)
                ),
            );
        }
    }

    fn plugin_error(
        &mut self,
        seen: &Observed,
        thread: ThreadId,
        plugin: &Name,
        hr: HResult,
        message: &str,
        out: &mut Findings,
    ) {
        let who = seen.thread_name(thread);
        let Some(active) = self.active.get_mut(&(plugin.clone(), thread)) else {
            if hr != E_ILLEGAL_METHOD_CALL {
                out.violate(
                    "I-15",
                    format!("{plugin}'s PluginError on {who}, which is not running one of its hooks, returned {hr} instead of E_ILLEGAL_METHOD_CALL"),
                );
            }
            return;
        };
        let expected = if active.message.is_some() { E_ILLEGAL_STATE_CHANGE } else { S_OK };
        if hr != expected {
            out.violate(
                "I-15",
                format!("{plugin}'s PluginError on its {} thread returned {hr} instead of {expected} (it succeeds once per hook)", active.hook),
            );
        }
        if hr == S_OK && active.message.is_none() {
            active.message = Some(message.to_string());
        }
    }

    fn reply(&mut self, plugin: &Name, hook: HookKind, message: Option<&str>, out: &mut Findings) {
        let pending = self.set.get_mut(&(plugin.clone(), hook));
        let set = pending.and_then(|texts| (!texts.is_empty()).then(|| texts.remove(0)));
        match (message, set) {
            (Some(text), _) if !carries_message(hook) => out.violate(
                "I-15",
                format!(
                    "{plugin}'s {hook} reply carried the error message '{text}', but {hook} carries none"
                ),
            ),
            (Some(text), Some(set)) if text != set => out.violate(
                "I-15",
                format!("{plugin}'s {hook} reply carried '{text}', but the plugin set '{set}'"),
            ),
            (Some(text), None) => out.violate(
                "I-15",
                format!(
                    "{plugin}'s {hook} reply carried '{text}', which the plugin never set with PluginError"
                ),
            ),
            (None, Some(set)) if carries_message(hook) => out.violate(
                "I-15",
                format!("{plugin} set '{set}' with PluginError in {hook}, and the reply dropped it"),
            ),
            _ => {}
        }
    }
}
