//! The callback rule of the designs other than the pump's, judged where a callback's work
//! begins, from the locks the platform says its thread holds:
//! - PR 40120 (spec §7): a callback runs on its RPC thread under `m_callbackLock` taken
//!   shared and never takes `m_instanceLock`;
//! - the in-process baseline (Appendix A): a callback runs under `m_instanceLock`, taken by
//!   the plugin's own thread (re-entered by the hook's thread).
//!
//! (The pump design's rules, I-1 to I-4 and I-6, are `pump`'s and `locks`'.)

use plughost_model::design::Design;
use plughost_model::event::ModelEvent;
use plughost_model::ids::SessionCookie;
use plughost_model::platform::ThreadId;

use super::observed::Observed;
use super::spec::instance_lock;
use super::{Findings, Judge};

/// The session's `m_callbackLock`.
fn callback_lock(session: SessionCookie) -> String {
    format!("{session}.callback_lock")
}

/// A design's rule for where callback work runs.
pub struct CallbackRule {
    design: Design,
}

impl CallbackRule {
    /// The rule of `design` (the pump's is elsewhere).
    pub fn new(design: Design) -> CallbackRule {
        CallbackRule { design }
    }
}

impl Judge for CallbackRule {
    fn event(&mut self, seen: &Observed, thread: ThreadId, event: &ModelEvent, out: &mut Findings) {
        let ModelEvent::WorkBegin { callback, session, .. } = event else { return };
        let (instance, shared) = (instance_lock(*session), callback_lock(*session));
        let who = seen.thread_name(thread);
        match self.design {
            Design::CallbackLock => {
                if seen.holds(thread, &instance) {
                    out.violate(
                        "§7",
                        format!("{callback}'s work on {who} holds {instance}: PR 40120's callbacks never take it (the notifying thread holds it across the hook)"),
                    );
                }
                if !seen.holds(thread, &shared) {
                    out.violate(
                        "§7",
                        format!("{callback}'s work on {who} runs without {shared} held shared (it keeps the VM and the instances from changing under it)"),
                    );
                }
            }
            Design::InProcess if !seen.holds(thread, &instance) => out.violate(
                "A",
                format!("{callback}'s work on {who} runs without {instance} (in-process, a callback takes it, re-entering it on the hook's thread)"),
            ),
            _ => {}
        }
    }
}
