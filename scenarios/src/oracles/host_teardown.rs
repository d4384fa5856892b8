//! Spec §9.10 and §7 (PR 40120's `g_hostLock`): a host object is never destroyed under an API
//! stub that is still using it. The service's `Release` of a host must not complete while a
//! callback the host's stubs started is still in flight, and no stub may start a callback
//! once the host object is gone.
//!
//! Judged from the platform's calls alone: which process each callback's calling thread
//! belongs to, when the service's `Release` of that process began and ended. It never asks
//! the host whether it holds a lock or considers itself destroyed.

use plughost_model::fact::{CallId, CallOutcome, CallRequest, Fact, ProcessId};

use super::interest::{FactKind, Interest};
use super::observed::Observed;
use super::sorted::{SortedMap, SortedSet};
use super::{Findings, Judge};

/// §9.10.
#[derive(Debug, Default)]
pub struct HostTeardownJudge {
    /// Callbacks in flight, by the host process whose stub made them.
    callbacks: SortedMap<CallId, ProcessId>,
    /// `Release` calls in flight, by the host they release.
    releases: SortedMap<CallId, ProcessId>,
    /// Hosts whose `Release` completed: their host object is gone.
    destroyed: SortedSet<ProcessId>,
}

impl Judge for HostTeardownJudge {
    fn reset(&mut self) {
        let HostTeardownJudge { callbacks, releases, destroyed } = self;
        callbacks.clear();
        releases.clear();
        destroyed.clear();
    }

    fn interest(&self) -> Interest {
        Interest::NONE.facts(&[FactKind::CallStarted, FactKind::CallEnded])
    }

    fn fact(&mut self, seen: &Observed, fact: &Fact, out: &mut Findings) {
        match fact {
            Fact::CallStarted { call, caller, request: CallRequest::Callback { api, .. }, .. } => {
                let Some(host) = seen.process_of(*caller) else { return };
                if self.destroyed.contains(&host) {
                    out.violate(
                        "§9.10",
                        format!("{}'s host started {api} after its host object was destroyed (a stub used a freed host)", name(seen, host)),
                    );
                }
                self.callbacks.insert(*call, host);
            }
            Fact::CallStarted { call, target, request: CallRequest::Release, .. } => {
                self.releases.insert(*call, *target);
            }
            Fact::CallEnded { call, outcome } => {
                self.callbacks.remove(call);
                // A `Release` that failed never reached a live host object (the host had died).
                if let Some(host) = self.releases.remove(call)
                    && matches!(outcome, CallOutcome::Replied { .. })
                {
                    self.released(seen, host, out);
                }
            }
            _ => {}
        }
    }
}

impl HostTeardownJudge {
    fn released(&mut self, seen: &Observed, host: ProcessId, out: &mut Findings) {
        self.destroyed.insert(host);
        let in_flight = self.callbacks.values().filter(|&&p| p == host).count();
        if in_flight > 0 {
            out.violate(
                "§9.10",
                format!(
                    "{}'s host object was destroyed with {in_flight} callback(s) of its stubs still in flight (the destructor must wait for every stub)",
                    name(seen, host)
                ),
            );
        }
    }
}

fn name(seen: &Observed, host: ProcessId) -> String {
    seen.plugin_of(host).map_or_else(|| "a plugin".to_string(), ToString::to_string)
}
