//! I-1 (pumped work runs on its pump's notifying thread, during `Run`, under the lock the hook
//! held), I-2 (work runs at most once; queued work runs before `Run` returns; refused work
//! never runs on that pump; a reply implies the work ran), I-3 (`Run` returns with nothing
//! queued, after its worker), I-4 (a session's callbacks run under its instance lock, one at
//! a time), and the §4.4 bound of I-17 (after its worker finished, a pump waits at most
//! once more).
//!
//! Where work ran is read from the platform: the thread that emitted `WorkBegin`, whether
//! that thread is inside some pump's `Run`, and the locks the facts say it holds — never
//! from the work's own account of its routing.

use plughost_model::event::ModelEvent;
use plughost_model::fact::{Fact, LockId};
use plughost_model::hresult::HResult;
use plughost_model::ids::{CallbackId, PumpId, SessionCookie};
use plughost_model::platform::ThreadId;

use super::interest::{EventKind, FactKind, Interest};
use super::observed::Observed;
use super::sorted::{SortedMap, SortedSet};
use super::spec::{ERROR_NOT_FOUND, instance_lock};
use super::{Findings, Judge};

#[derive(Debug)]
struct PumpRun {
    thread: ThreadId,
    running: bool,
    /// The instance locks its notifying thread held when `Run` began.
    held_at_begin: Vec<LockId>,
    /// Threads the notifying thread started during `Run` (its worker).
    children: SortedSet<ThreadId>,
    worker_ended: bool,
    wakes_after_worker: u32,
    active: Option<CallbackId>,
    enqueued: Vec<CallbackId>,
}

#[derive(Debug, Default)]
struct Work {
    session: Option<SessionCookie>,
    runs: u32,
    ended: bool,
    enqueued_on: Option<PumpId>,
    refused_by: Vec<PumpId>,
    /// While running: its thread, whether it must hold the instance lock, whether it did.
    running: Option<(ThreadId, bool, bool)>,
    /// Works of its session that ran at the same time on other threads. Judged when the
    /// later of the two ends: a work the service answered `ERROR_NOT_FOUND` (its session
    /// was gone, §3.1) needed no lock, and that is known only from its result.
    overlapped: Vec<CallbackId>,
    /// Ended with a result other than `ERROR_NOT_FOUND`.
    found: bool,
}

/// I-1 to I-4 and the pump-lifetime bound.
#[derive(Debug, Default)]
pub struct PumpJudge {
    pumps: SortedMap<PumpId, PumpRun>,
    works: SortedMap<CallbackId, Work>,
}

impl Judge for PumpJudge {
    fn reset(&mut self) {
        let PumpJudge { pumps, works } = self;
        pumps.clear();
        works.clear();
    }

    fn interest(&self) -> Interest {
        use EventKind::*;
        Interest::NONE.facts(&[FactKind::ThreadStarted, FactKind::ThreadEnded]).events(&[
            PumpRunBegin,
            PumpRunEnd,
            PumpWoke,
            PumpEnqueued,
            PumpRefused,
            CallbackReceived,
            WorkBegin,
            WorkEnd,
            CallbackReplied,
        ])
    }

    fn event(&mut self, seen: &Observed, thread: ThreadId, event: &ModelEvent, out: &mut Findings) {
        use ModelEvent::*;
        match event {
            PumpRunBegin { pump, .. } => self.run_begins(seen, thread, *pump),
            PumpRunEnd { pump, .. } => self.run_ends(*pump, out),
            PumpWoke { pump, .. } => self.woke(*pump, out),
            PumpEnqueued { pump, callback } => self.enqueued(*pump, *callback, out),
            PumpRefused { pump, callback } => self.works.or_default(*callback).refused_by.push(*pump),
            CallbackReceived { callback, session, .. } => {
                self.works.insert(*callback, Work { session: Some(*session), ..Work::default() });
            }
            WorkBegin { callback, session, .. } => self.work_begins(seen, thread, *callback, *session, out),
            WorkEnd { callback, hr } => self.work_ends(*callback, *hr, out),
            CallbackReplied { callback, hr } if self.works.get(callback).is_none_or(|w| w.runs == 0) => {
                out.violate(
                    "I-2",
                    format!("{callback} replied {hr} without its work having run (§4.3: ran vs stopped is out of band)"),
                );
            }
            _ => {}
        }
    }

    fn fact(&mut self, _seen: &Observed, fact: &Fact, _out: &mut Findings) {
        match fact {
            Fact::ThreadStarted { thread, parent: Some(parent), .. } => {
                for run in self.pumps.values_mut().filter(|r| r.running && r.thread == *parent) {
                    run.children.insert(*thread);
                }
            }
            Fact::ThreadEnded { thread } => {
                for run in self.pumps.values_mut().filter(|r| r.running && r.children.contains(thread)) {
                    run.worker_ended = true;
                }
            }
            _ => {}
        }
    }
}

impl PumpJudge {
    fn run_begins(&mut self, seen: &Observed, thread: ThreadId, pump: PumpId) {
        let held_at_begin = seen.held_locks(thread).filter(|&lock| seen.is_instance_lock(lock)).collect();
        let run = PumpRun {
            thread,
            running: true,
            held_at_begin,
            children: SortedSet::new(),
            worker_ended: false,
            wakes_after_worker: 0,
            active: None,
            enqueued: Vec::new(),
        };
        self.pumps.insert(pump, run);
    }

    /// A pump's run; an event for a pump whose `Run` never began is itself a violation.
    fn run(&mut self, pump: PumpId, out: &mut Findings) -> Option<&mut PumpRun> {
        if !self.pumps.contains_key(&pump) {
            out.violate("I-3", format!("an event for {pump} before its Run began"));
        }
        self.pumps.get_mut(&pump)
    }

    fn woke(&mut self, pump: PumpId, out: &mut Findings) {
        let Some(run) = self.run(pump, out) else { return };
        if run.worker_ended {
            run.wakes_after_worker += 1;
            if run.wakes_after_worker == 2 {
                out.violate(
                    "I-17",
                    format!("{pump} kept waiting for calls after its worker finished (the 0 ms WorkerDone poll of §4.4 bounds this to one wait)"),
                );
            }
        }
    }

    fn enqueued(&mut self, pump: PumpId, callback: CallbackId, out: &mut Findings) {
        self.works.or_default(callback).enqueued_on = Some(pump);
        let Some(run) = self.run(pump, out) else { return };
        run.enqueued.push(callback);
        if !run.running {
            out.violate(
                "I-3",
                format!("{callback} was queued on {pump} after its Run returned (m_stopped must stay set)"),
            );
        }
    }

    fn run_ends(&mut self, pump: PumpId, out: &mut Findings) {
        let Some(run) = self.run(pump, out) else { return };
        run.running = false;
        let (worker_done, enqueued) = (run.worker_ended || run.children.is_empty(), run.enqueued.clone());
        if !worker_done {
            out.violate("I-3", format!("{pump}'s Run returned before its worker thread finished"));
        }
        for callback in enqueued {
            if self.works.get(&callback).is_none_or(|w| !w.ended) {
                out.violate(
                    "I-2",
                    format!("{callback} was queued on {pump} but had not run to completion when its Run returned (a stranded caller)"),
                );
            }
        }
    }

    fn work_begins(
        &mut self,
        seen: &Observed,
        thread: ThreadId,
        callback: CallbackId,
        session: SessionCookie,
        out: &mut Findings,
    ) {
        let held = seen.holds_instance_lock_of(thread, session);
        let running_here: Option<PumpId> =
            self.pumps.iter().find(|(_, r)| r.running && r.thread == thread).map(|(p, _)| *p);
        let work = self.works.or_default(callback);
        work.runs += 1;
        if work.runs > 1 {
            out.violate("I-2", format!("{callback}'s work ran {} times", work.runs));
        }
        let (enqueued_on, refused_by) = (work.enqueued_on, work.refused_by.clone());
        let mut needs_lock = true;
        if let Some(pump) = enqueued_on {
            needs_lock =
                self.pumped_work_begins(seen, thread, callback, session, pump, held, &refused_by, out);
        } else if let Some(pump) = running_here {
            out.violate(
                "I-1",
                format!("{callback} ran on {}'s notifying thread without having been queued on it", pump),
            );
        }
        if needs_lock {
            self.overlap(session, thread, callback);
        }
        if let Some(work) = self.works.get_mut(&callback) {
            work.running = Some((thread, needs_lock, held));
        }
    }

    /// I-1 and the per-pump half of I-4 for work queued on `pump`; returns whether the work
    /// must hold the instance lock (it need not when the hook ran without it, §2.1).
    #[allow(clippy::too_many_arguments)]
    fn pumped_work_begins(
        &mut self,
        seen: &Observed,
        thread: ThreadId,
        callback: CallbackId,
        session: SessionCookie,
        pump: PumpId,
        held: bool,
        refused_by: &[PumpId],
        out: &mut Findings,
    ) -> bool {
        let Some(run) = self.pumps.get_mut(&pump) else { return true };
        if !run.running || run.thread != thread {
            out.violate(
                "I-1",
                format!(
                    "{callback} was queued on {pump} but ran outside its Run or off its notifying thread"
                ),
            );
        }
        let hook_held_lock = run.held_at_begin.iter().any(|&lock| seen.is_instance_lock_of(lock, session));
        if hook_held_lock && !held {
            let lock = instance_lock(session);
            out.violate("I-1", format!("{callback} ran on {pump} without the {lock} its hook held"));
        }
        if let Some(other) = run.active.replace(callback) {
            out.violate("I-4", format!("{callback} ran on {pump} while {other} was still running on it"));
        }
        if refused_by.contains(&pump) {
            out.violate("I-2", format!("{callback} ran on {pump} after {pump} refused it"));
        }
        hook_held_lock
    }

    /// I-4: two callbacks of one session that both need its instance lock never run at once
    /// on different threads. Records the overlap on both; [`Self::overlaps_end`] judges it.
    fn overlap(&mut self, session: SessionCookie, thread: ThreadId, callback: CallbackId) {
        let others: Vec<CallbackId> = self
            .works
            .iter()
            .filter(|(id, w)| **id != callback && w.session == Some(session))
            .filter(|(_, w)| w.running.is_some_and(|(t, needs, _)| t != thread && needs))
            .map(|(id, _)| *id)
            .collect();
        for other in &others {
            if let Some(work) = self.works.get_mut(other) {
                work.overlapped.push(callback);
            }
        }
        if let Some(work) = self.works.get_mut(&callback) {
            work.overlapped.extend(others);
        }
    }

    /// The later of two overlapping works ended: a violation when both were answered with
    /// their session found.
    fn overlaps_end(&self, callback: CallbackId, out: &mut Findings) {
        let Some(work) = self.works.get(&callback).filter(|w| w.found) else { return };
        let others: Vec<String> = work
            .overlapped
            .iter()
            .filter(|other| self.works.get(other).is_some_and(|w| w.ended && w.found))
            .map(ToString::to_string)
            .collect();
        if let (false, Some(session)) = (others.is_empty(), work.session) {
            out.violate(
                "I-4",
                format!("{callback}'s work on {session} overlapped {} on another thread", others.join(", ")),
            );
        }
    }

    fn work_ends(&mut self, callback: CallbackId, hr: HResult, out: &mut Findings) {
        let Some(work) = self.works.get_mut(&callback) else { return };
        work.ended = true;
        work.found = hr != ERROR_NOT_FOUND;
        let running = work.running.take();
        let session = work.session;
        if let Some((_, needs_lock, held)) = running
            && needs_lock
            && !held
            && hr != ERROR_NOT_FOUND
            && let Some(session) = session
        {
            out.violate(
                "I-4",
                format!(
                    "{callback}'s work on {session} ran without holding {} (it returned {hr})",
                    instance_lock(session)
                ),
            );
        }
        self.overlaps_end(callback, out);
        for run in self.pumps.values_mut() {
            if run.active == Some(callback) {
                run.active = None;
            }
        }
    }
}
