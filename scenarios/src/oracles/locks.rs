//! I-5 (lock hygiene: `m_wslPumpLock`, `m_wslcSessionRefLock`, a pump's `m_lock` and
//! `m_pluginErrorLock` are never held while their thread waits — on another thread, a
//! cross-process call or another lock — and `m_wslcSessionsLock` is never held across a
//! plugin hook) and I-6 (a callback's RPC thread never makes an untimed acquisition of an
//! instance lock before its work was routed: every attempt before routing is a 25 ms try).
//!
//! Judged from lock, wait and call facts alone (which locks are instance or leaf locks: the
//! observed view classifies each by the spec's names when it is created).

use plughost_model::event::ModelEvent;
use plughost_model::fact::{Blocker, CallRequest, Fact, LockId};
use plughost_model::platform::ThreadId;

use super::interest::{EventKind, FactKind, Interest};
use super::observed::Observed;
use super::sorted::SortedSet;
use super::spec::WSLC_SESSIONS_LOCK;
use super::{Findings, Judge};

/// I-5 and I-6.
#[derive(Debug)]
pub struct LockJudge {
    /// RPC threads whose callback work has begun (routing was decided).
    routed: SortedSet<ThreadId>,
    /// Whether I-6 applies (the pump design: routing with a 25 ms try).
    routing: bool,
}

impl LockJudge {
    /// I-5, and I-6 when `routing` (the pump design routes callbacks; PR 40120's never take
    /// the instance lock at all, which its own rule checks).
    pub fn new(routing: bool) -> LockJudge {
        LockJudge { routed: SortedSet::new(), routing }
    }
}

fn describe(seen: &Observed, on: &Blocker) -> String {
    match on {
        Blocker::Lock(lock) => format!("lock {}", seen.lock_name(*lock)),
        Blocker::Events => "an event".to_string(),
        Blocker::Join(thread) => format!("{} to finish", seen.thread_name(*thread)),
        Blocker::Call(_) => "a cross-process call".to_string(),
        Blocker::Sleep => "time (a sleep)".to_string(),
    }
}

impl Judge for LockJudge {
    fn reset(&mut self) {
        let LockJudge { routed, routing: _ } = self;
        routed.clear();
    }

    fn interest(&self) -> Interest {
        Interest::NONE
            .facts(&[FactKind::Blocked, FactKind::LockAcquired, FactKind::CallStarted])
            .events(&[EventKind::WorkBegin])
    }

    fn event(&mut self, _seen: &Observed, thread: ThreadId, event: &ModelEvent, _out: &mut Findings) {
        if let ModelEvent::WorkBegin { .. } = event {
            self.routed.insert(thread);
        }
    }

    fn fact(&mut self, seen: &Observed, fact: &Fact, out: &mut Findings) {
        match fact {
            Fact::Blocked { thread, on, timed } => {
                for name in seen.held_leaf_names(*thread) {
                    let who = seen.thread_name(*thread);
                    out.violate(
                        "I-5",
                        format!("{who} waits for {} while holding {name}", describe(seen, on)),
                    );
                }
                if let Blocker::Lock(lock) = on
                    && !timed
                {
                    self.untimed_attempt(seen, *thread, *lock, out);
                }
            }
            Fact::LockAcquired { thread, lock, timed: false, .. } if seen.depth(*thread, *lock) == 1 => {
                self.untimed_attempt(seen, *thread, *lock, out);
            }
            Fact::CallStarted { caller, request, .. } => {
                for name in seen.held_leaf_names(*caller) {
                    let who = seen.thread_name(*caller);
                    out.violate("I-5", format!("{who} makes a cross-process call while holding {name}"));
                }
                if let CallRequest::Hook { hook, .. } = request
                    && seen.lineage(*caller).any(|t| seen.holds(t, WSLC_SESSIONS_LOCK))
                {
                    out.violate("I-5", format!("{hook} was called while {WSLC_SESSIONS_LOCK} was held"));
                }
            }
            _ => {}
        }
    }
}

impl LockJudge {
    /// I-6: an untimed first acquisition of an instance lock by an RPC thread not yet routed.
    fn untimed_attempt(&self, seen: &Observed, thread: ThreadId, lock: LockId, out: &mut Findings) {
        if self.routing
            && seen.is_instance_lock(lock)
            && seen.is_service_rpc_thread(thread)
            && !self.routed.contains(&thread)
        {
            out.violate(
                "I-6",
                format!(
                    "RPC thread {} made an untimed acquisition of {} before its callback was routed (every attempt must be a 25 ms try)",
                    seen.thread_name(thread),
                    seen.lock_name(lock)
                ),
            );
        }
    }
}
