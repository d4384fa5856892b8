//! I-16 (after the service stops, no host process survives: closing the job kills every
//! host that reached `Initialize`).
//!
//! Judged from the driver's service-stop events and the platform's process facts. The
//! real backend's own test kills the service process itself and looks for survivors in the
//! operating system; this judge covers the orderly stop in every run.

use plughost_model::event::ModelEvent;
use plughost_model::platform::ThreadId;

use super::interest::{EventKind, Interest};
use super::observed::Observed;
use super::{Findings, Judge};

/// I-16.
#[derive(Debug, Default)]
pub struct LifetimeJudge {
    stopped: bool,
}

impl Judge for LifetimeJudge {
    fn reset(&mut self) {
        let LifetimeJudge { stopped } = self;
        *stopped = false;
    }

    fn interest(&self) -> Interest {
        Interest::NONE.events(&[EventKind::ServiceStopped])
    }

    fn event(&mut self, _seen: &Observed, _thread: ThreadId, event: &ModelEvent, _out: &mut Findings) {
        if let ModelEvent::ServiceStopped = event {
            self.stopped = true;
        }
    }

    fn finish(&mut self, seen: &Observed, out: &mut Findings) {
        if !self.stopped {
            return;
        }
        for (_, plugin) in seen.live_hosts() {
            out.violate("I-16", format!("{plugin}'s host process outlived the service's stop"));
        }
    }
}
