//! Coverage: for every callback a run served, which hook of its plugin was in flight, which
//! callback it was, the routing path its work took (pumped, direct, direct after a timed-out
//! acquire, no session), the state of its session's pump when it arrived, and the fault the
//! run injected. A sink in front of the observer collects it from the model events; it only
//! reads them, forwards everything, and never influences a run or a verdict.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plughost_model::event::{EventSink, ModelEvent, WorkSite};
use plughost_model::fact::Fact;
use plughost_model::ids::{CallbackId, Name, SessionCookie};
use plughost_model::platform::ThreadId;
use plughost_model::wire::HookKind;

/// The routing paths a callback's work can take in the pump design (spec §4.6), as coverage
/// names them; the rival designs add `callback-lock` (§7) and `in-process` (Appendix A).
pub const PATHS: [&str; 4] = ["pumped", "direct", "direct-after-timeout", "no-session"];
/// The states of a session's pump when a callback arrives.
pub const PUMP_STATES: [&str; 3] = ["no-pump", "pump-running", "pump-stopped"];
/// The fault label of a run without a fault.
pub const NO_FAULT: &str = "no-fault";

/// One callback's combination, without the run's fault.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Served {
    /// The hook of the callback's plugin in flight for its session when it arrived
    /// (`none` outside any hook).
    pub hook: String,
    /// The callback (`MountFolder`, `ExecuteBinaryInDistribution`, …).
    pub callback: &'static str,
    /// One of [`PATHS`].
    pub path: &'static str,
    /// One of [`PUMP_STATES`].
    pub pump: &'static str,
}

/// One combination: a callback served, and the fault of its run.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Combination {
    /// What was served, and how.
    pub served: Served,
    /// The run's fault kind and phase (`crash@hook-running`), or [`NO_FAULT`].
    pub fault: String,
}

impl Combination {
    /// `hook × callback × path × pump state × fault`, as reports print it.
    pub fn describe(&self) -> String {
        let s = &self.served;
        format!("{} × {} × {} × {} × {}", s.hook, s.callback, s.path, s.pump, self.fault)
    }
}

/// A callback on its way: what it met when it arrived.
struct Arrival {
    hook: String,
    callback: &'static str,
    pump: &'static str,
    timed_out: bool,
}

#[derive(Default)]
struct Tracking {
    /// Hooks in flight, by plugin and session.
    hooks: BTreeMap<(Name, SessionCookie), HookKind>,
    /// Each session's pump state.
    pumps: BTreeMap<SessionCookie, &'static str>,
    /// Which session each pump serves.
    pump_sessions: BTreeMap<u64, SessionCookie>,
    /// Callbacks received whose work has not begun.
    arriving: BTreeMap<CallbackId, Arrival>,
    /// What this run served.
    served: BTreeSet<Served>,
}

impl Tracking {
    fn observe(&mut self, event: &ModelEvent) {
        match event {
            ModelEvent::HookCall { hook, plugin, session } => {
                self.hooks.insert((plugin.clone(), *session), *hook);
            }
            ModelEvent::HookReturned { hook, plugin, .. } => {
                self.hooks.retain(|(p, _), h| !(p == plugin && h == hook));
            }
            ModelEvent::PumpRegistered { pump, session } => {
                self.pump_sessions.insert(pump.0, *session);
                self.pumps.insert(*session, "pump-running");
            }
            ModelEvent::PumpStopped { pump } => {
                if let Some(session) = self.pump_sessions.get(&pump.0) {
                    self.pumps.insert(*session, "pump-stopped");
                }
            }
            ModelEvent::PumpUnregistered { session, .. } => {
                self.pumps.remove(session);
            }
            ModelEvent::CallbackReceived { callback, plugin, session, api } => {
                let hook =
                    self.hooks.get(&(plugin.clone(), *session)).map_or("none".to_string(), |h| h.to_string());
                let pump = self.pumps.get(session).copied().unwrap_or("no-pump");
                self.arriving.insert(*callback, Arrival { hook, callback: api, pump, timed_out: false });
            }
            ModelEvent::DirectAcquireTimedOut { callback } => {
                if let Some(arrival) = self.arriving.get_mut(callback) {
                    arrival.timed_out = true;
                }
            }
            ModelEvent::WorkBegin { callback, site, .. } => {
                if let Some(arrival) = self.arriving.remove(callback) {
                    let path = match site {
                        WorkSite::Pumped(_) => "pumped",
                        WorkSite::Direct if arrival.timed_out => "direct-after-timeout",
                        WorkSite::Direct => "direct",
                        WorkSite::NoSession => "no-session",
                        WorkSite::Shared => "callback-lock",
                        WorkSite::Caller => "in-process",
                    };
                    let (hook, callback, pump) = (arrival.hook, arrival.callback, arrival.pump);
                    self.served.insert(Served { hook, callback, path, pump });
                }
            }
            _ => {}
        }
    }
}

/// A sink that collects one run's coverage and forwards every event and fact to `inner`.
pub struct CoverageSink {
    inner: Arc<dyn EventSink>,
    tracking: Mutex<Tracking>,
}

impl CoverageSink {
    /// A sink in front of `inner`.
    pub fn new(inner: Arc<dyn EventSink>) -> CoverageSink {
        CoverageSink { inner, tracking: Mutex::new(Tracking::default()) }
    }

    /// What the run served so far.
    pub fn served(&self) -> BTreeSet<Served> {
        self.tracking.lock().served.clone()
    }
}

impl EventSink for CoverageSink {
    fn record(&self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        self.tracking.lock().observe(event);
        self.inner.record(at, thread, event);
    }

    fn fact(&self, at: Duration, fact: &Fact) {
        self.inner.fact(at, fact);
    }

    fn violated(&self) -> bool {
        self.inner.violated()
    }
}

/// Coverage over many runs.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Every combination some run reached, with how many runs reached it.
    pub reached: BTreeMap<Combination, u64>,
    /// The fault labels the runs could have had ([`NO_FAULT`] and each fault of the plan).
    pub faults: BTreeSet<String>,
}

impl Coverage {
    /// Adds one run: what it served, and its faults (`crash@hook-running of …` texts).
    pub fn add(&mut self, served: &BTreeSet<Served>, faults: &[String]) {
        let fault = faults
            .first()
            .map_or(NO_FAULT.to_string(), |f| f.split_whitespace().next().unwrap_or_default().to_string());
        for s in served {
            *self.reached.entry(Combination { served: s.clone(), fault: fault.clone() }).or_default() += 1;
        }
    }

    /// Merges another tally.
    pub fn merge(&mut self, other: Coverage) {
        for (combination, runs) in other.reached {
            *self.reached.entry(combination).or_default() += runs;
        }
        self.faults.extend(other.faults);
    }

    /// The combinations no run reached: for every (hook, callback) pair some run served,
    /// every path ([`PATHS`] and any other path some run took) × pump state × fault label
    /// not reached. Some are impossible in this scenario (a pumped callback while the
    /// session never had a pump); the list says what was not seen, not what could be.
    pub fn unreached(&self) -> Vec<Combination> {
        let pairs: BTreeSet<(String, &'static str)> =
            self.reached.keys().map(|c| (c.served.hook.clone(), c.served.callback)).collect();
        let mut paths: Vec<&'static str> = PATHS.to_vec();
        for combination in self.reached.keys() {
            if !paths.contains(&combination.served.path) {
                paths.push(combination.served.path);
            }
        }
        let mut missing = Vec::new();
        for (hook, callback) in pairs {
            for &path in &paths {
                for pump in PUMP_STATES {
                    for fault in &self.faults {
                        let combination = Combination {
                            served: Served { hook: hook.clone(), callback, path, pump },
                            fault: fault.clone(),
                        };
                        if !self.reached.contains_key(&combination) {
                            missing.push(combination);
                        }
                    }
                }
            }
        }
        missing
    }
}

/// The fault labels a run under `faults` may have: none, and each kind (and crash phase)
/// the plan allows.
pub fn fault_labels(faults: plughost_sim::faults::FaultBudget) -> BTreeSet<String> {
    use plughost_sim::faults::{Fault, Phase};
    let mut labels = BTreeSet::from([NO_FAULT.to_string()]);
    if faults.total > 0 {
        let crashes = Phase::ALL.into_iter().filter(|p| faults.allows_crash(*p));
        labels.extend(crashes.map(|p| Fault::Crash(p).to_string()));
        for (count, fault) in
            [(faults.hang, Fault::Hang), (faults.reject, Fault::Reject), (faults.slow, Fault::Slow)]
        {
            if count > 0 {
                labels.insert(fault.to_string());
            }
        }
    }
    labels
}

impl Coverage {
    /// The text under a scenario's row: what was reached (with runs), then what was not.
    pub fn to_text(&self) -> String {
        let unreached = self.unreached();
        let mut text = format!(
            "coverage: {} combinations reached, {} of their grid not reached (hook × callback × path × pump × fault)",
            self.reached.len(),
            unreached.len()
        );
        for (combination, runs) in &self.reached {
            text.push_str(&format!("\n  reached  {} ({runs} runs)", combination.describe()));
        }
        for combination in unreached {
            text.push_str(&format!("\n  never    {}", combination.describe()));
        }
        text
    }

    /// The `--json` value: reached combinations with their run counts, and the unreached.
    pub fn to_json(&self) -> serde_json::Value {
        let object = |c: &Combination| {
            serde_json::json!({
                "hook": c.served.hook,
                "callback": c.served.callback,
                "path": c.served.path,
                "pump": c.served.pump,
                "fault": c.fault,
            })
        };
        let reached: Vec<serde_json::Value> = self
            .reached
            .iter()
            .map(|(c, runs)| {
                let mut value = object(c);
                value["runs"] = (*runs).into();
                value
            })
            .collect();
        let unreached: Vec<serde_json::Value> = self.unreached().iter().map(object).collect();
        serde_json::json!({ "reached": reached, "unreached": unreached })
    }
}
