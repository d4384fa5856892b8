//! The always-on oracles: every invariant of spec §8.1 that a run can break, judged from
//! what the platform observed.
//!
//! What a judge may use, and what it may not:
//! - platform facts ([`plughost_model::fact`]): which thread started which, which thread
//!   held which lock when, which calls crossed a process boundary, who served them and how
//!   they ended — the [`observed::Observed`] view;
//! - model events that report an action, stamped by the platform with the thread that did
//!   it: a step began or ended (the driver's), a pump's `Run` began or ended, a callback was
//!   queued, refused, received, its work began or ended, a pump woke, a fan-out began or
//!   ended, telemetry fired, and what a plugin itself saw (entering and leaving its hooks,
//!   `PluginError`'s result, its log);
//! - never a model event's opinion of itself: where it says work ran, whether it says it
//!   holds a lock, whether it says a fan-out failed or a crash was recorded. Those fields
//!   exist for the trace; no judge reads them.
//!
//! Each judge restates its part of the spec ([`spec`]) instead of calling the model.
//! Families: [`pump`] (I-1 to I-4, and the §4.4 bound of I-17), [`locks`] (I-5, I-6),
//! [`fatal`] (I-8, I-10 and the start-hook rules of §2), [`teardown`] (I-9, I-11),
//! [`host`] (I-14, I-15), [`lifetime`] (I-16), [`wslc`] (I-12, I-13). I-7 is the `service-died` verdict and the
//! rest of I-17 the `deadlock` and `livelock` verdicts, both judged from the run's end by
//! the observer.

mod designs;
mod fatal;
mod host;
mod host_teardown;
mod interest;
mod lifetime;
mod locks;
pub mod observed;
mod pump;
mod sorted;
pub mod spec;
mod teardown;
mod wslc;

#[cfg(test)]
mod planted;
#[cfg(test)]
mod unfiltered;

use std::time::Duration;

use plughost_model::design::Design;
use plughost_model::event::ModelEvent;
use plughost_model::fact::Fact;
use plughost_model::platform::ThreadId;

use interest::{EVENT_KINDS, EventKind, FACT_KINDS, FactKind, Interest};
use observed::Observed;

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which invariant (`I-2`, …, or the spec section of a rule §8.1 does not number).
    pub invariant: &'static str,
    /// When it was detected.
    pub at: Duration,
    /// The model event being judged when it was detected: its 1-based ordinal among the
    /// run's model events (none when a platform fact or the run's end revealed it).
    pub event: Option<u64>,
    /// What happened, naming the mechanism.
    pub message: String,
}

/// Where judges record violations, stamped with the time (and the model event) of what they
/// were judging.
#[derive(Debug, Default)]
pub struct Findings {
    now: Duration,
    event: Option<u64>,
    list: Vec<Violation>,
}

impl Findings {
    /// Records a violation of `invariant`.
    pub fn violate(&mut self, invariant: &'static str, message: String) {
        self.list.push(Violation { invariant, at: self.now, event: self.event, message });
    }

    /// An empty list stamped with this one's time and event, for violations a judge holds
    /// until a later fact decides whether they stand.
    fn held(&self) -> Findings {
        Findings { now: self.now, event: self.event, list: Vec::new() }
    }

    /// Nothing found, at time zero (keeping the list's room).
    fn reset(&mut self) {
        let Findings { now, event, list } = self;
        *now = Duration::ZERO;
        *event = None;
        list.clear();
    }

    /// Whether nothing was found.
    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Takes in violations held earlier (with the time and event they were found at).
    fn adopt(&mut self, held: Findings) {
        self.list.extend(held.list);
    }
}

/// One family of checks. A judge sees each fact after the [`Observed`] view took it in, and
/// only the facts and model events of its [`Interest`].
trait Judge: Send + std::fmt::Debug {
    /// The facts and model events this judge takes: every variant its `event` and `fact`
    /// match on.
    fn interest(&self) -> Interest;
    fn event(&mut self, _seen: &Observed, _thread: ThreadId, _event: &ModelEvent, _out: &mut Findings) {}
    fn fact(&mut self, _seen: &Observed, _fact: &Fact, _out: &mut Findings) {}
    fn finish(&mut self, _seen: &Observed, _out: &mut Findings) {}
    /// Forgets the run judged so far, as if just made, keeping the room its tables took:
    /// the next run on this OS thread is judged by the same judge (see `Oracles::reset`).
    /// Name every field (no `..`), so that a field added later cannot be left out.
    fn reset(&mut self);
}

/// Oracle state for one run.
#[derive(Debug)]
pub struct Oracles {
    /// The design whose invariants the judges check.
    design: Design,
    /// Model events observed so far.
    events: u64,
    seen: Observed,
    findings: Findings,
    judges: Vec<Box<dyn Judge>>,
    /// For each fact kind, the judges that take it (bit `i`: `judges[i]`).
    fact_judges: [u16; FACT_KINDS],
    /// For each model event kind, the judges that take it.
    event_judges: [u16; EVENT_KINDS],
}

impl Oracles {
    /// The judges of `design`'s invariants: spec §8.1's for the pump design; for PR 40120's
    /// callback-lock design the same but its own callback rule (§7) in place of the pump's
    /// I-1 to I-4 and I-6; for the in-process baseline (Appendix A) only what it promises —
    /// callbacks under the instance lock, `PluginError` on the hook thread — since it has no
    /// hosts, no calls between processes and no pump to judge.
    pub fn new(design: Design) -> Oracles {
        let judges: Vec<Box<dyn Judge>> = match design {
            Design::Pump | Design::CallbackLock => {
                let pump = design == Design::Pump;
                let callback_rule: Box<dyn Judge> = if pump {
                    Box::new(pump::PumpJudge::default())
                } else {
                    Box::new(designs::CallbackRule::new(design))
                };
                vec![
                    callback_rule,
                    Box::new(locks::LockJudge::new(pump)),
                    Box::new(fatal::FatalJudge::default()),
                    Box::new(teardown::TeardownJudge::default()),
                    Box::new(host::HostJudge::new(true)),
                    Box::new(lifetime::LifetimeJudge::default()),
                    Box::new(host_teardown::HostTeardownJudge::default()),
                    Box::new(wslc::WslcJudge::default()),
                ]
            }
            Design::InProcess => {
                vec![Box::new(designs::CallbackRule::new(design)), Box::new(host::HostJudge::new(false))]
            }
        };
        assert!(judges.len() <= 16, "a judge set has a bit per judge");
        let (mut fact_judges, mut event_judges) = ([0u16; FACT_KINDS], [0u16; EVENT_KINDS]);
        for (at, judge) in judges.iter().enumerate() {
            let interest = judge.interest();
            interest.fact_kinds().for_each(|kind| fact_judges[kind] |= 1 << at);
            interest.event_kinds().for_each(|kind| event_judges[kind] |= 1 << at);
        }
        Oracles {
            design,
            events: 0,
            seen: Observed::default(),
            findings: Findings::default(),
            judges,
            fact_judges,
            event_judges,
        }
    }

    /// The judges of `design`, each handed every fact and model event whatever its interest
    /// (to check that the interests lose nothing).
    #[cfg(test)]
    fn handing_every_judge_everything(design: Design) -> Oracles {
        let mut oracles = Oracles::new(design);
        let every_judge = u16::MAX >> (16 - oracles.judges.len());
        oracles.fact_judges = [every_judge; FACT_KINDS];
        oracles.event_judges = [every_judge; EVENT_KINDS];
        oracles
    }

    /// The design whose invariants these oracles judge.
    pub fn design(&self) -> Design {
        self.design
    }

    /// Ready for another run, as [`Oracles::new`] made them, without allocating again: every
    /// judge and the observed view forget the run so far but keep the room their tables took.
    /// A run builds a few dozen such tables, and building them afresh for each run was a
    /// measurable share of it.
    pub fn reset(&mut self) {
        let Oracles { design: _, events, seen, findings, judges, fact_judges: _, event_judges: _ } = self;
        *events = 0;
        seen.reset();
        findings.reset();
        for judge in judges {
            judge.reset();
        }
    }

    /// The violations found so far.
    pub fn violations(&self) -> &[Violation] {
        &self.findings.list
    }

    /// Feeds one model event.
    pub fn observe(&mut self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        self.findings.now = at;
        self.events += 1;
        self.findings.event = Some(self.events);
        self.seen.apply_event(thread, event);
        for at in interest::bits(u64::from(self.event_judges[EventKind::of(event) as usize])) {
            self.judges[at].event(&self.seen, thread, event, &mut self.findings);
        }
    }

    /// Feeds one platform fact.
    pub fn fact(&mut self, at: Duration, fact: &Fact) {
        self.findings.now = at;
        self.findings.event = None;
        self.seen.apply(fact);
        for at in interest::bits(u64::from(self.fact_judges[FactKind::of(fact) as usize])) {
            self.judges[at].fact(&self.seen, fact, &mut self.findings);
        }
    }

    /// The run completed: judges check what must hold at its end.
    pub fn finish(&mut self) {
        self.findings.event = None;
        for judge in &mut self.judges {
            judge.finish(&self.seen, &mut self.findings);
        }
    }
}
