//! The kernel's state and its central scheduling loop: which thread runs, which are
//! runnable or blocked and on what, the virtual clock and its timers, and how a run ends.
//!
//! Invariants: at most one thread is `running`, and it is runnable; a blocked thread is on
//! exactly the waiter lists its [`Wait`] names and has a timer iff it has a deadline;
//! time moves only in [`State::advance_clock`], to the earliest deadline. Nothing here
//! awaits: async operations live in `kernel::mod` and the platform handles.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::task::Waker;
use std::time::Duration;

use crate::sink::RunSink;
use plughost_model::fact::{self, Blocker, Fact};
use plughost_model::platform::{BoxFuture, ThreadId};

use super::objects::{EventState, LockState};
use super::processes::{CallResult, CallState, ProcessState};
use crate::budget::Budget;
use crate::decision::{Decision, DecisionKind};
use crate::faults::{Fault, FaultBudget, Phase};
use crate::footprint::{Actor, Footprint, Object, StepRecord};
use crate::outcome::Outcome;
use crate::strategy::{ChoicePoint, Strategy, ValuePoint, guided_continuation};
use crate::waitfor;

/// A finished run's emptied tables, kept for the next run on the same OS thread (runs of
/// one scenario come in thousands and are much alike: their tables are allocated once).
/// Capacity only: never behaviour.
#[derive(Default)]
struct Tables {
    threads: Vec<ThreadSlot>,
    runnable: Vec<ThreadId>,
    locks: Vec<LockState>,
    events: Vec<EventState>,
    processes: Vec<ProcessState>,
    calls: Vec<CallState>,
}

thread_local! {
    /// The last run's emptied tables on this OS thread.
    static SPARE_TABLES: RefCell<Option<Tables>> = const { RefCell::new(None) };
    /// The last run's number of decisions on this OS thread (its decision lists leave with
    /// the run's report, so only their size is kept).
    static LAST_DECISIONS: Cell<usize> = const { Cell::new(0) };
}

/// Index into [`State::locks`].
pub(crate) type LockId = usize;
/// Index into [`State::events`].
pub(crate) type EventId = usize;
/// Index into [`State::processes`].
pub(crate) type ProcessId = usize;
/// Index into [`State::calls`].
pub(crate) type CallId = usize;

/// What a blocked thread waits for.
#[derive(Clone, Debug)]
pub(crate) enum Wait {
    Lock(LockId),
    Events(Vec<EventId>),
    Join(ThreadId),
    Call(CallId),
    Sleep,
    /// Forever: a call the fault plan made hang.
    Hung,
}

/// Why a blocked thread became runnable again.
#[derive(Debug)]
pub(crate) enum Wake {
    /// The lock was released: try again.
    Retry,
    TimedOut,
    Signalled(usize),
    Joined,
    Reply(CallResult),
}

#[derive(Debug)]
pub(crate) enum ThreadState {
    Runnable,
    Blocked { wait: Wait, deadline: Option<Duration> },
    Finished,
    Killed,
}

pub(crate) struct ThreadSlot {
    pub name: String,
    /// The length of the name it was started with (`name` may add `#n` to it).
    base_len: usize,
    pub process: ProcessId,
    pub state: ThreadState,
    pub waker: Option<Waker>,
    pub wake: Option<Wake>,
    pub joiners: Vec<ThreadId>,
    /// Timed waits of this thread that expired (the 25 ms spin shows up here).
    pub timeouts: u32,
    /// The inbound call this thread serves, if it is an RPC thread.
    pub serves: Option<CallId>,
    /// The thread's future, while it is not being polled (`kernel::tasks`).
    pub task: Option<BoxFuture<()>>,
}

enum Pick {
    Thread(ThreadId),
    AdvanceClock,
    Nothing,
    /// The strategy stopped the run.
    Stopped,
}

/// The step being recorded, when the strategy wants footprints.
struct Recorder {
    actor: Option<Actor>,
    footprint: Footprint,
    decided_inside: bool,
}

pub(crate) struct State {
    pub threads: Vec<ThreadSlot>,
    pub running: Option<ThreadId>,
    /// Runnable threads, sorted by id (the order options are offered in).
    runnable: Vec<ThreadId>,
    pub clock: Duration,
    timers: BTreeSet<(Duration, ThreadId)>,
    pub locks: Vec<LockState>,
    pub events: Vec<EventState>,
    pub processes: Vec<ProcessState>,
    pub calls: Vec<CallState>,
    strategy: Box<dyn Strategy>,
    pub decisions: Vec<Decision>,
    /// Schedule decisions that switched away from a thread that could have continued (or
    /// let the clock run ahead of it).
    pub preemptions: u32,
    /// For each decision, the option a guided run's continuation would have taken there.
    pub continuations: Vec<u32>,
    /// What is left of the run's fault budget.
    pub faults: FaultBudget,
    /// The faults injected so far, as `fault (where)`.
    pub injected: Vec<String>,
    recorder: Option<Recorder>,
    pub steps: u64,
    budget: Budget,
    pub outcome: Option<Outcome>,
    /// Futures of threads killed during the step being polled, dropped by the executor
    /// after the poll (outside the lock).
    pub doomed: Vec<BoxFuture<()>>,
    pub sink: Box<dyn RunSink>,
    pub tracing: bool,
    /// The run's number on its OS thread (`Kernel`'s handles carry it).
    pub run: u64,
    /// End the run at the first choice point after the sink reports a violation.
    pub halt_on_violation: bool,
}

impl State {
    pub fn new(
        run: u64,
        strategy: Box<dyn Strategy>,
        budget: Budget,
        sink: Box<dyn RunSink>,
        tracing: bool,
    ) -> State {
        let recorder = strategy.records_steps().then(|| Recorder {
            actor: None,
            footprint: Footprint::default(),
            decided_inside: false,
        });
        let decisions = LAST_DECISIONS.with(Cell::get);
        let tables = SPARE_TABLES.try_with(RefCell::take).ok().flatten().unwrap_or_default();
        State {
            recorder,
            preemptions: 0,
            continuations: Vec::with_capacity(decisions),
            faults: FaultBudget::NONE,
            injected: Vec::new(),
            threads: tables.threads,
            running: None,
            runnable: tables.runnable,
            clock: Duration::ZERO,
            timers: BTreeSet::new(),
            locks: tables.locks,
            events: tables.events,
            processes: tables.processes,
            calls: tables.calls,
            strategy,
            decisions: Vec::with_capacity(decisions),
            steps: 0,
            budget,
            outcome: None,
            doomed: Vec::new(),
            sink,
            tracing,
            run,
            halt_on_violation: false,
        }
    }

    /// Remembers this run's number of decisions, so the next run on this OS thread
    /// allocates its decision lists once.
    pub fn remember_sizes(&self) {
        LAST_DECISIONS.with(|last| last.set(self.decisions.len()));
    }

    /// The running thread. Only running code calls this.
    pub fn current(&self) -> ThreadId {
        self.running.expect("a platform operation outside any simulated thread")
    }

    /// Writes a trace line attributed to `thread`, built only when recording.
    pub fn trace_as(&self, thread: ThreadId, text: impl FnOnce(&State) -> String) {
        if self.tracing {
            crate::trace::line(self.clock, self.thread_name(thread), format_args!("{}", text(self)));
        }
    }

    pub fn thread_name(&self, thread: ThreadId) -> &str {
        &self.threads[thread.0 as usize].name
    }

    pub fn thread(&mut self, thread: ThreadId) -> &mut ThreadSlot {
        &mut self.threads[thread.0 as usize]
    }

    /// Hands a platform fact to the sink, stamped with the current time.
    pub fn fact(&mut self, fact: &Fact) {
        self.sink.fact(self.clock, fact);
    }

    /// Delivers a fact that owns nothing (ids and flags only: a lock taken or released, a
    /// wait, a thread's end, a process's death), which then needs no drop: most of a run's
    /// facts, each of which would otherwise pass through the drop code of every variant.
    pub fn plain_fact(&mut self, fact: Fact) {
        debug_assert!(matches!(
            fact,
            Fact::LockAcquired { .. }
                | Fact::LockReleased { .. }
                | Fact::Blocked { .. }
                | Fact::ThreadEnded { .. }
                | Fact::ProcessDied { .. }
        ));
        self.sink.fact(self.clock, &std::mem::ManuallyDrop::new(fact));
    }

    /// Adds a runnable thread named `process/name` (made unique with `#n`), started by the
    /// running thread, or to serve inbound call `serves`.
    pub fn add_thread(&mut self, process: ProcessId, name: &str, serves: Option<CallId>) -> ThreadId {
        let (name, base_len) = self.unique_thread_name(process, name);
        let id = ThreadId(self.threads.len() as u32);
        // The fact borrows the name for the sink's call; the slot keeps it (no copy).
        let started = Fact::ThreadStarted {
            thread: id,
            name,
            process: fact::ProcessId(process as u32),
            parent: self.running,
            serves: serves.map(|call| fact::CallId(call as u64)),
        };
        self.fact(&started);
        let Fact::ThreadStarted { name, .. } = started else { unreachable!("built above") };
        self.threads.push(ThreadSlot {
            name,
            base_len,
            process,
            state: ThreadState::Runnable,
            waker: None,
            wake: None,
            joiners: Vec::new(),
            timeouts: 0,
            serves,
            task: None,
        });
        self.runnable.push(id);
        self.touch(Object::Thread(id.0));
        self.touch_memory(process);
        id
    }

    /// `process/name`, as both platforms name threads: the first of its name stays as it
    /// is, later ones become `process/name#2`, `#3`, … (counted over this run's threads).
    /// Returns it with the length of `process/name`.
    fn unique_thread_name(&self, process: ProcessId, name: &str) -> (String, usize) {
        let process_name = &self.processes[process].name;
        let base_len = process_name.len() + 1 + name.len();
        let same = |slot: &&ThreadSlot| {
            slot.base_len == base_len
                && slot.name.as_bytes()[process_name.len()] == b'/'
                && slot.name.starts_with(process_name.as_str())
                && slot.name[process_name.len() + 1..base_len] == *name
        };
        let earlier = self.threads.iter().filter(same).count();
        let mut full = String::with_capacity(base_len + if earlier > 0 { 4 } else { 0 });
        full.push_str(process_name);
        full.push('/');
        full.push_str(name);
        if earlier > 0 {
            full.push('#');
            plughost_model::ids::push_number(&mut full, earlier as u64 + 1);
        }
        (full, base_len)
    }

    /// Gives the processor to the run's first thread.
    pub fn start(&mut self, root: ThreadId) {
        self.running = Some(root);
        self.begin_step(Actor::Thread(root));
    }

    pub fn is_done(&self, thread: ThreadId) -> bool {
        matches!(self.threads[thread.0 as usize].state, ThreadState::Finished | ThreadState::Killed)
    }

    /// Marks `me` blocked and hands the processor to someone else.
    pub fn block(&mut self, me: ThreadId, wait: Wait, deadline: Option<Duration>) {
        let on = match &wait {
            Wait::Lock(lock) => Some(Blocker::Lock(fact::LockId(*lock as u32))),
            Wait::Events(_) => Some(Blocker::Events),
            Wait::Join(thread) => Some(Blocker::Join(*thread)),
            Wait::Call(call) => Some(Blocker::Call(fact::CallId(*call as u64))),
            Wait::Sleep => Some(Blocker::Sleep),
            // A hung host reports nothing more.
            Wait::Hung => None,
        };
        if let Some(on) = on {
            self.plain_fact(Fact::Blocked { thread: me, on, timed: deadline.is_some() });
        }
        if self.recorder.is_some() {
            self.touch_wait(&wait);
        }
        if let Some(deadline) = deadline {
            self.timers.insert((deadline, me));
        }
        self.thread(me).state = ThreadState::Blocked { wait, deadline };
        self.remove_runnable(me);
        self.end_step(false);
        self.dispatch_away();
    }

    fn touch_wait(&mut self, wait: &Wait) {
        match wait {
            Wait::Lock(lock) => self.touch(Object::Lock(*lock as u32)),
            Wait::Events(events) => {
                for &event in events {
                    self.touch(Object::Event(event as u32));
                }
            }
            Wait::Join(thread) => self.touch(Object::Thread(thread.0)),
            Wait::Call(call) => self.touch(Object::Call(*call as u32)),
            Wait::Sleep | Wait::Hung => {}
        }
    }

    /// Makes a blocked thread runnable with `wake`, taking it off every waiter list.
    #[inline]
    pub fn unblock(&mut self, thread: ThreadId, wake: Wake) {
        self.detach(thread);
        self.thread(thread).wake = Some(wake);
        self.insert_runnable(thread);
    }

    /// Takes a blocked thread off its timer and every waiter list; its state becomes
    /// `Runnable`, and the caller decides whether it runs.
    fn detach(&mut self, thread: ThreadId) {
        let slot = &mut self.threads[thread.0 as usize];
        let ThreadState::Blocked { wait, deadline } =
            std::mem::replace(&mut slot.state, ThreadState::Runnable)
        else {
            panic!("unblocking {} which is not blocked", slot.name);
        };
        if let Some(deadline) = deadline {
            self.timers.remove(&(deadline, thread));
        }
        match wait {
            Wait::Lock(lock) => self.locks[lock].waiters.retain(|&t| t != thread),
            Wait::Events(events) => {
                for event in events {
                    self.events[event].waiters.retain(|&t| t != thread);
                }
            }
            Wait::Join(target) => self.thread(target).joiners.retain(|&t| t != thread),
            Wait::Call(_) | Wait::Sleep | Wait::Hung => {}
        }
    }

    /// Takes the reason the running thread was woken.
    pub fn take_wake(&mut self, me: ThreadId) -> Wake {
        self.thread(me).wake.take().expect("a thread resumed without a wake reason")
    }

    /// The running thread finished.
    pub fn exit(&mut self, me: ThreadId) {
        self.retire(me, ThreadState::Finished);
        if self.running == Some(me) {
            self.end_step(false);
            self.dispatch_away();
        }
    }

    /// Removes a thread of a dead process.
    pub fn kill_thread(&mut self, thread: ThreadId) {
        if self.is_done(thread) {
            return;
        }
        if matches!(self.threads[thread.0 as usize].state, ThreadState::Blocked { .. }) {
            self.detach(thread);
        }
        self.retire(thread, ThreadState::Killed);
        if let Some(task) = self.thread(thread).task.take() {
            self.doomed.push(task);
        }
    }

    /// Ends `thread` in state `end` and wakes its joiners.
    fn retire(&mut self, thread: ThreadId, end: ThreadState) {
        self.touch(Object::Thread(thread.0));
        self.thread(thread).state = end;
        self.plain_fact(Fact::ThreadEnded { thread });
        self.remove_runnable(thread);
        for joiner in std::mem::take(&mut self.thread(thread).joiners) {
            self.unblock(joiner, Wake::Joined);
        }
    }

    fn insert_runnable(&mut self, thread: ThreadId) {
        if let Err(at) = self.runnable.binary_search(&thread) {
            self.runnable.insert(at, thread);
        }
    }

    fn remove_runnable(&mut self, thread: ThreadId) {
        if let Ok(at) = self.runnable.binary_search(&thread) {
            self.runnable.remove(at);
        }
    }

    /// A choice point of the running thread `me`: returns whether another thread now runs.
    pub fn reschedule(&mut self, me: ThreadId) -> bool {
        self.end_step(true);
        self.halt_if_violated();
        if self.outcome.is_some() {
            return true;
        }
        self.steps += 1;
        if self.steps > self.budget.steps {
            self.finish(waitfor::step_budget_exhausted(self));
            return true;
        }
        let mut current = Some(me);
        loop {
            match self.pick(current) {
                Pick::Thread(thread) if thread == me => {
                    self.begin_step(Actor::Thread(me));
                    return false;
                }
                Pick::Thread(thread) => {
                    self.grant(thread);
                    return true;
                }
                Pick::AdvanceClock => {
                    if !self.advance_clock() {
                        return true;
                    }
                    // The running thread stood still while time passed: whoever runs next
                    // does not preempt it again.
                    current = None;
                }
                Pick::Stopped => return true,
                Pick::Nothing => unreachable!("the running thread is runnable"),
            }
        }
    }

    /// The running thread cannot continue: run someone else, let time pass, or end the run.
    pub fn dispatch_away(&mut self) {
        self.running = None;
        self.halt_if_violated();
        if self.outcome.is_some() {
            return;
        }
        loop {
            match self.pick(None) {
                Pick::Thread(thread) => return self.grant(thread),
                Pick::AdvanceClock => {
                    if !self.advance_clock() {
                        return;
                    }
                }
                Pick::Nothing => return self.quiesce(),
                Pick::Stopped => return,
            }
        }
    }

    /// Ends the run if it was asked to end at its first violation and the sink has one: at a
    /// choice point, never in the middle of a step.
    fn halt_if_violated(&mut self) {
        if self.halt_on_violation && self.sink.violated() {
            self.finish(Outcome::Halted);
        }
    }

    /// Offers every runnable thread (in id order) and, if the next timer is due within the
    /// preemption bound (or nothing can run), letting the clock run to it; asks the strategy
    /// when there is more than one option. `current` is the thread that could go on running.
    fn pick(&mut self, current: Option<ThreadId>) -> Pick {
        let threads = self.runnable.len();
        let can_advance = self
            .timers
            .first()
            .is_some_and(|&(due, _)| threads == 0 || due <= self.clock + self.budget.preemption);
        let timeout_due = can_advance && self.timer_ends_timed_wait();
        let point =
            ChoicePoint { runnable: &self.runnable, can_advance, timeout_due, step: self.steps, current };
        let options = point.options();
        let choice = match options {
            0 => return Pick::Nothing,
            1 => 0,
            _ => match self.strategy.choose(point) {
                Ok(choice) if choice < options => {
                    self.preemptions += u32::from(point.preempts(choice));
                    self.decisions.push(Decision::schedule(choice as u32, options as u32));
                    self.continuations.push(guided_continuation(point) as u32);
                    choice
                }
                Ok(choice) => panic!("the strategy chose option {choice} of {options}"),
                Err(stop) => {
                    self.finish(Outcome::Stopped(stop));
                    return Pick::Stopped;
                }
            },
        };
        if choice < threads { Pick::Thread(self.runnable[choice]) } else { Pick::AdvanceClock }
    }

    /// Whether the next timer belongs to a timed wait on a lock or events (not a sleep).
    fn timer_ends_timed_wait(&self) -> bool {
        self.timers.first().is_some_and(|&(_, thread)| {
            matches!(
                self.threads[thread.0 as usize].state,
                ThreadState::Blocked { wait: Wait::Lock(_) | Wait::Events(_), .. }
            )
        })
    }

    /// A decision that is not about scheduling (an error code, a fault), taken inside the
    /// running thread's step. With one option there is nothing to decide. If the strategy
    /// stops the run, the run ends and option 0 lets the step finish harmlessly.
    pub fn decide(&mut self, kind: DecisionKind, options: u32) -> usize {
        if options < 2 {
            return 0;
        }
        if self.outcome.is_some() {
            return 0;
        }
        if let Some(recorder) = &mut self.recorder {
            recorder.decided_inside = true;
        }
        match self.strategy.choose_value(ValuePoint { kind, options, step: self.steps }) {
            Ok(choice) if choice < options as usize => {
                self.decisions.push(Decision { kind, index: choice as u32, options });
                self.continuations.push(0);
                choice
            }
            Ok(choice) => panic!("the strategy chose option {choice} of {options}"),
            Err(stop) => {
                self.finish(Outcome::Stopped(stop));
                0
            }
        }
    }

    /// A fault decision among `offered` (option 0 is no fault); the fault taken is spent,
    /// recorded and traced as happening `at`.
    pub fn decide_fault(&mut self, offered: &[Fault], at: &str) -> Option<Fault> {
        if offered.is_empty() {
            return None;
        }
        let choice = self.decide(DecisionKind::Fault, offered.len() as u32 + 1);
        let fault = *offered.get(choice.checked_sub(1)?)?;
        self.faults.spend(fault);
        let what = format!("{fault} {at}");
        if let Some(me) = self.running {
            self.trace_as(me, |_| format!("fault: {what}"));
        }
        self.injected.push(what);
        Some(fault)
    }

    /// Whether the fault plan crashes `thread`'s host now, at a scheduling point of the
    /// call it serves (phase `hook-running`).
    pub fn crashes_while_serving(&mut self, thread: ThreadId) -> bool {
        if !self.faults.allows_crash(Phase::HookRunning) {
            return false;
        }
        let slot = &self.threads[thread.0 as usize];
        let Some(call) = slot.serves.filter(|_| slot.process != super::Kernel::SERVICE) else { return false };
        let at = format!("of {} while {} runs", self.processes[slot.process].name, self.calls[call].label);
        self.decide_fault(&[Fault::Crash(Phase::HookRunning)], &at).is_some()
    }

    /// Notes that the step being recorded touched `object`.
    pub fn touch(&mut self, object: Object) {
        if let Some(recorder) = &mut self.recorder {
            recorder.footprint.touch(object);
        }
    }

    /// Notes that the step being recorded touched `process`'s memory (hosts only: see
    /// `footprint`).
    pub fn touch_memory(&mut self, process: ProcessId) {
        if self.recorder.is_some() && process != super::Kernel::SERVICE {
            self.touch(Object::Memory(process as u32));
        }
    }

    fn begin_step(&mut self, actor: Actor) {
        if self.recorder.is_none() {
            return;
        }
        if let Some(recorder) = &mut self.recorder {
            recorder.actor = Some(actor);
            recorder.footprint = Footprint::default();
            recorder.decided_inside = false;
        }
        match actor {
            Actor::Thread(thread) => self.touch_memory(self.threads[thread.0 as usize].process),
            Actor::Clock => self.touch(Object::Global),
        }
    }

    /// Hands the step being recorded to the strategy.
    #[inline]
    pub(super) fn end_step(&mut self, runnable_after: bool) {
        let Some(recorder) = &mut self.recorder else { return };
        let Some(actor) = recorder.actor.take() else { return };
        let record = StepRecord {
            actor,
            footprint: std::mem::take(&mut recorder.footprint),
            runnable_after,
            decided_inside: recorder.decided_inside,
        };
        if self.outcome.is_some() {
            return;
        }
        if let Err(stop) = self.strategy.stepped(&record) {
            self.finish(Outcome::Stopped(stop));
        }
    }

    #[inline]
    fn grant(&mut self, thread: ThreadId) {
        self.running = Some(thread);
        self.begin_step(Actor::Thread(thread));
        if let Some(waker) = self.thread(thread).waker.take() {
            waker.wake();
        }
    }

    /// Moves the clock to the earliest deadline and wakes every thread due then. Returns
    /// false when that would exceed the time budget (the run ends).
    fn advance_clock(&mut self) -> bool {
        self.begin_step(Actor::Clock);
        self.end_step(false);
        if self.outcome.is_some() {
            return false;
        }
        let (deadline, _) = *self.timers.first().expect("advancing the clock without timers");
        if deadline > self.budget.time {
            self.finish(waitfor::time_budget_exhausted(self));
            return false;
        }
        if deadline > self.clock {
            self.clock = deadline;
        }
        while let Some(&(due, thread)) = self.timers.first() {
            if due != deadline {
                break;
            }
            self.timers.pop_first();
            self.thread(thread).timeouts += 1;
            self.unblock(thread, Wake::TimedOut);
        }
        true
    }

    /// Nothing can run and no timer is pending.
    fn quiesce(&mut self) {
        let all_done = (0..self.threads.len()).all(|i| self.is_done(ThreadId(i as u32)));
        let outcome = if all_done { Outcome::Completed } else { waitfor::deadlock(self) };
        self.finish(outcome);
    }

    /// Ends the run (the first outcome wins): the executor stops polling.
    pub fn finish(&mut self, outcome: Outcome) {
        if self.outcome.is_some() {
            return;
        }
        let outcome = match (&outcome, self.strategy.finished()) {
            (Outcome::Stopped(_), _) | (_, Ok(())) => outcome,
            (_, Err(stop)) => Outcome::Stopped(stop),
        };
        self.outcome = Some(outcome);
        self.running = None;
    }

    /// Threads with a pending timer, in id order.
    pub fn timed_waiters(&self) -> Vec<ThreadId> {
        let mut threads: Vec<ThreadId> = self.timers.iter().map(|&(_, t)| t).collect();
        threads.sort();
        threads.dedup();
        threads
    }
}

impl Drop for State {
    /// Empties the tables (dropping what is left in them, outside any lock: the state is
    /// being dropped) and keeps them for the next run on this OS thread.
    fn drop(&mut self) {
        let mut tables = Tables {
            threads: std::mem::take(&mut self.threads),
            runnable: std::mem::take(&mut self.runnable),
            locks: std::mem::take(&mut self.locks),
            events: std::mem::take(&mut self.events),
            processes: std::mem::take(&mut self.processes),
            calls: std::mem::take(&mut self.calls),
        };
        tables.threads.clear();
        tables.runnable.clear();
        tables.locks.clear();
        tables.events.clear();
        tables.processes.clear();
        tables.calls.clear();
        let _ = SPARE_TABLES.try_with(|spare| spare.replace(Some(tables)));
    }
}
