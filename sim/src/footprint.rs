//! Footprints: what one step of one thread touched, so a partial-order reduction can tell
//! whether two steps commute.
//!
//! A *step* is what a thread does from the moment it is granted the processor until its
//! next choice point, block or exit; letting the clock run is a step of its own. The kernel
//! records a step's footprint only when the strategy asks for it (the depth-first search
//! with sleep sets), so seeded exploration pays nothing.
//!
//! Two steps are *dependent* when their footprints share an object, or either touched
//! [`Object::Global`]. What counts as touching, and why it is enough:
//! - kernel objects: a lock, an event, a thread (spawn, join, exit), a call between
//!   processes — every access to one, read or write, counts, except a killed thread's
//!   releases (its guards drop with its future, after the step that killed it, which
//!   touched everything);
//! - a host process's memory: every step of a host thread, and every step that starts a
//!   thread in a host, touches it: plugins share memory freely (counters, rendezvous,
//!   worker lists) without any lock the kernel sees;
//! - the service's memory is *not* an object: the model guards its state with the locks the
//!   real service uses (which the kernel sees), and its few unguarded values — id counters,
//!   the telemetry flag, the initialisation flag — change only in steps that also emit a
//!   model event;
//! - the observer: every step that emits a model event, since oracles may judge the order
//!   of events of different threads;
//! - [`Object::Global`]: letting the clock run (it wakes timed waiters and moves time that
//!   later steps read) and killing a process.
//!
//! The empirical check that this is enough lives in the tests: on the catalogue, the search
//! with sleep sets finds every failure plain search finds, for every mutant.

use plughost_model::platform::ThreadId;

/// Something a step can touch.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Object {
    /// A kernel lock.
    Lock(u32),
    /// A kernel event.
    Event(u32),
    /// A thread's life (spawn, exit, join).
    Thread(u32),
    /// A call between processes.
    Call(u32),
    /// A host process's memory.
    Memory(u32),
    /// The sink of model events.
    Observer,
    /// Everything.
    Global,
}

/// The objects one step touched, without duplicates.
#[derive(Clone, PartialEq, Eq, Debug, Default, Hash)]
pub struct Footprint(Vec<Object>);

impl Footprint {
    /// Adds `object`.
    pub fn touch(&mut self, object: Object) {
        if !self.0.contains(&object) {
            self.0.push(object);
        }
    }

    /// Whether the two steps may not commute.
    pub fn conflicts(&self, other: &Footprint) -> bool {
        let global = |f: &Footprint| f.0.contains(&Object::Global);
        global(self) || global(other) || self.0.iter().any(|object| other.0.contains(object))
    }

    /// The footprint of letting the clock run.
    pub fn global() -> Footprint {
        Footprint(vec![Object::Global])
    }
}

/// Who took a step.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Actor {
    /// A thread.
    Thread(ThreadId),
    /// The clock, running to the next timer.
    Clock,
}

/// One step, as the kernel saw it.
#[derive(Clone, Debug)]
pub struct StepRecord {
    /// Who took it.
    pub actor: Actor,
    /// What it touched.
    pub footprint: Footprint,
    /// Whether the thread could still run when the step ended (it reached a choice point
    /// rather than blocking, exiting or dying).
    pub runnable_after: bool,
    /// Whether a non-schedule decision (an error code, a fault) was taken inside it: such a
    /// step is not one transition but several, and is never put to sleep.
    pub decided_inside: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_objects_and_global_conflict() {
        let mut a = Footprint::default();
        a.touch(Object::Lock(1));
        a.touch(Object::Lock(1));
        let mut b = Footprint::default();
        b.touch(Object::Event(1));
        assert!(!a.conflicts(&b));
        b.touch(Object::Lock(1));
        assert!(a.conflicts(&b));
        assert!(Footprint::global().conflicts(&Footprint::default()));
    }
}
