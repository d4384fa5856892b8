//! Which facts and model events a judge takes: each judge states its interest once, and the
//! oracles hand it only those (a run produces dozens of facts, each of which concerns two or
//! three judges at most).
//!
//! Owns the kind of each fact and model event (a plain index, named after its variant) and
//! the interest sets. It never looks inside a fact or event beyond its variant.

use plughost_model::event::ModelEvent;
use plughost_model::fact::Fact;

/// Declares `$kind`, a plain enum with a variant per listed variant of `$of`, its `of`, and
/// `$count`, how many variants it has: the list is written once.
macro_rules! kinds {
    ($(#[$doc:meta])* $kind:ident of $of:ident, $count:ident: $($variant:ident),+ $(,)?) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum $kind {
            $($variant),+
        }

        impl $kind {
            /// The variant of `value`.
            pub fn of(value: &$of) -> $kind {
                match value {
                    $($of::$variant { .. } => $kind::$variant),+
                }
            }
        }

        /// How many variants there are.
        pub const $count: usize = [$($kind::$variant),+].len();
    };
}

kinds! {
    /// A platform fact's variant.
    FactKind of Fact, FACT_KINDS:
        ProcessStarted, ProcessDied, ThreadStarted, ThreadEnded, LockCreated, LockAcquired,
        LockReleased, Blocked, CallStarted, CallEnded,
}

kinds! {
    /// A model event's variant.
    EventKind of ModelEvent, EVENT_KINDS:
        StepBegin, StepEnd, HostActivated, PluginLoadFailed, FatalErrorChecked, FanOutBegin,
        FanOutEnd, HookCall, HookReturned, CrashLatched, CrashTelemetry, PumpRegistered,
        PumpUnregistered, PumpRunBegin, PumpWoke, PumpWorkerDone, PumpStopped, PumpRunEnd,
        PumpEnqueued, PumpRefused, CallbackReceived, DirectAcquireTimedOut, WorkBegin, WorkEnd,
        CallbackReplied, VmCreated, VmTerminated, DistroStarted, DistroStopped, PluginLog,
        PluginHookEntered, PluginHookLeft, PluginErrorCalled, ServiceStopped, WslcResolved,
        WslcSessionTerminated,
}

// Every kind has its bit in an [`Interest`].
const _: () = assert!(FACT_KINDS <= 16 && EVENT_KINDS <= 64);

/// The facts and model events a judge takes (a bit per kind). A judge is handed nothing
/// else, so every variant its `fact` or `event` matches on must be in its interest.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Interest {
    facts: u16,
    events: u64,
}

impl Interest {
    /// Nothing.
    pub const NONE: Interest = Interest { facts: 0, events: 0 };

    /// This interest and the facts of `kinds`.
    pub const fn facts(mut self, kinds: &[FactKind]) -> Interest {
        let mut at = 0;
        while at < kinds.len() {
            self.facts |= 1 << kinds[at] as u32;
            at += 1;
        }
        self
    }

    /// This interest and the model events of `kinds`.
    pub const fn events(mut self, kinds: &[EventKind]) -> Interest {
        let mut at = 0;
        while at < kinds.len() {
            self.events |= 1 << kinds[at] as u32;
            at += 1;
        }
        self
    }

    /// The fact kinds taken, as indices.
    pub fn fact_kinds(self) -> impl Iterator<Item = usize> {
        bits(u64::from(self.facts))
    }

    /// The model event kinds taken, as indices.
    pub fn event_kinds(self) -> impl Iterator<Item = usize> {
        bits(self.events)
    }
}

/// The indices of the bits set in `set`, lowest first.
pub fn bits(mut set: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if set == 0 {
            return None;
        }
        let at = set.trailing_zeros() as usize;
        set &= set - 1;
        Some(at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interest_holds_exactly_the_kinds_it_was_given() {
        let interest = Interest::NONE
            .facts(&[FactKind::ProcessStarted, FactKind::CallEnded])
            .events(&[EventKind::StepBegin, EventKind::WslcSessionTerminated]);
        assert_eq!(interest.fact_kinds().collect::<Vec<_>>(), vec![0, FACT_KINDS - 1]);
        assert_eq!(interest.event_kinds().collect::<Vec<_>>(), vec![0, EVENT_KINDS - 1]);
        assert_eq!(Interest::NONE.fact_kinds().count(), 0);
    }
}
