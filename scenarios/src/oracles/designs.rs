//! The callback rule of the designs other than the pump's, judged where a callback's work
//! begins, from the locks the platform says its thread holds:
//! - PR 40120 (spec §7): a callback runs on its RPC thread under `m_callbackLock` taken
//!   shared and never takes `m_instanceLock`; and no thread takes `m_instanceLock` while it
//!   holds `m_callbackLock` (the order is `m_instanceLock → m_callbackLock`);
//! - the in-process baseline (Appendix A): a callback runs under `m_instanceLock`, taken by
//!   the plugin's own thread (re-entered by the hook's thread).
//!
//! A callback naming a session the service does not have (never created, or already gone)
//! is answered before any lock, with `ERROR_NOT_FOUND` (§3.1) or, in-process,
//! `RPC_E_DISCONNECTED` (Appendix A): a broken rule is held against a callback only once
//! its reply shows it was not one of those.
//!
//! (The pump design's rules, I-1 to I-4 and I-6, are `pump`'s and `locks`'.)

use std::collections::BTreeMap;

use plughost_model::design::Design;
use plughost_model::event::ModelEvent;
use plughost_model::fact::Fact;
use plughost_model::hresult::HResult;
use plughost_model::ids::{CallbackId, SessionCookie};
use plughost_model::platform::ThreadId;

use super::interest::{EventKind, FactKind, Interest};
use super::observed::Observed;
use super::spec::{ERROR_NOT_FOUND, instance_lock};
use super::{Findings, Judge};

/// `RPC_E_DISCONNECTED`: the in-process service's answer to an unknown session (Appendix A).
const RPC_E_DISCONNECTED: HResult = HResult(0x8001_0108);

/// The session's `m_callbackLock`.
fn callback_lock(session: SessionCookie) -> String {
    format!("{session}.callback_lock")
}

/// A design's rule for where callback work runs.
#[derive(Debug)]
pub struct CallbackRule {
    design: Design,
    /// Rules a callback's work broke, held until its reply shows whether it ran at all.
    pending: BTreeMap<CallbackId, Findings>,
}

impl CallbackRule {
    /// The rule of `design` (the pump's is elsewhere).
    pub fn new(design: Design) -> CallbackRule {
        CallbackRule { design, pending: BTreeMap::new() }
    }
}

impl Judge for CallbackRule {
    fn reset(&mut self) {
        let CallbackRule { design: _, pending } = self;
        pending.clear();
    }

    fn interest(&self) -> Interest {
        let interest = Interest::NONE.events(&[EventKind::WorkBegin, EventKind::CallbackReplied]);
        if self.design == Design::CallbackLock { interest.facts(&[FactKind::LockAcquired]) } else { interest }
    }

    fn event(&mut self, seen: &Observed, thread: ThreadId, event: &ModelEvent, out: &mut Findings) {
        match event {
            ModelEvent::WorkBegin { callback, session, .. } => {
                let mut broken = out.held();
                self.work_begins(seen, thread, *callback, *session, &mut broken);
                if !broken.is_empty() {
                    self.pending.insert(*callback, broken);
                }
            }
            ModelEvent::CallbackReplied { callback, hr } => {
                if let Some(broken) = self.pending.remove(callback)
                    && *hr != ERROR_NOT_FOUND
                    && *hr != RPC_E_DISCONNECTED
                {
                    out.adopt(broken);
                }
            }
            _ => {}
        }
    }

    /// PR 40120's lock order, `m_instanceLock → m_callbackLock`: no thread takes a session's
    /// instance lock (first acquisition) while it holds that session's callback lock.
    fn fact(&mut self, seen: &Observed, fact: &Fact, out: &mut Findings) {
        let Fact::LockAcquired { thread, lock, .. } = fact else { return };
        if self.design != Design::CallbackLock || seen.depth(*thread, *lock) != 1 {
            return;
        }
        let name = seen.lock_name(*lock);
        let Some(session) = name.strip_suffix(".instance_lock") else { return };
        let shared = format!("{session}.callback_lock");
        if seen.holds(*thread, &shared) {
            out.violate(
                "§7",
                format!("{} took {name} while holding {shared}: the lock order is m_instanceLock → m_callbackLock", seen.thread_name(*thread)),
            );
        }
    }
}

impl CallbackRule {
    fn work_begins(
        &self,
        seen: &Observed,
        thread: ThreadId,
        callback: CallbackId,
        session: SessionCookie,
        out: &mut Findings,
    ) {
        let (instance, shared) = (instance_lock(session), callback_lock(session));
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
