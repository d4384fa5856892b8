//! The judges' interests lose nothing: simulated runs of every catalogue scenario, on every
//! design, with and without each mutant it claims and with its fault budget, are judged
//! twice at once — with the dispatch the interests allow, and with every judge handed every
//! fact and model event — and the two must find the same violations. A judge that starts
//! reading a kind of fact or event its interest does not list is handed nothing of it by the
//! filtered dispatch, and its findings part from the unfiltered ones on some run here.
//!
//! Runs find what the model does; a judge's rarer findings (a host activated twice, a
//! service that never stopped) come from `planted.rs`, whose hand-written streams are judged
//! both ways too. It only compares; what a judge must find is those streams' and the
//! catalogue's business.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use plughost_model::design::{Design, Variant};
use plughost_model::event::{EventSink, ModelEvent};
use plughost_model::fact::Fact;
use plughost_model::platform::ThreadId;
use plughost_sim::{Ends, Outcome, RunConfig, StrategySpec};

use super::{Oracles, Violation};
use crate::driver::drive;
use crate::scenario::Scenario;

/// Seeds each design runs each scenario with: even ones random, odd ones PCT.
const SEEDS: u64 = 4;
/// Seeds a mutant runs each scenario that claims it with, at the most.
const MUTANT_SEEDS: u64 = 40;
/// Failing runs of a mutant after which its seeds stop.
const MUTANT_FAILURES: u32 = 3;

/// Both oracle sets, fed the same run.
struct Twin {
    filtered: Mutex<Oracles>,
    everything: Mutex<Oracles>,
}

impl EventSink for Twin {
    fn record(&self, at: Duration, thread: ThreadId, event: &ModelEvent) {
        self.filtered.lock().unwrap().observe(at, thread, event);
        self.everything.lock().unwrap().observe(at, thread, event);
    }

    fn fact(&self, at: Duration, fact: &Fact) {
        self.filtered.lock().unwrap().fact(at, fact);
        self.everything.lock().unwrap().fact(at, fact);
    }
}

/// The violations of one run judged with filtered dispatch, then handed everything.
fn judged_both_ways(
    scenario: &Arc<Scenario>,
    variant: Variant,
    strategy: StrategySpec,
) -> (Vec<Violation>, Vec<Violation>) {
    let twin = Arc::new(Twin {
        filtered: Mutex::new(Oracles::new(variant.design)),
        everything: Mutex::new(Oracles::handing_every_judge_everything(variant.design)),
    });
    let config = RunConfig {
        strategy,
        budget: scenario.explore.budget,
        ends: Ends::Completion,
        faults: scenario.faults,
    };
    let root = scenario.clone();
    let report = plughost_sim::run(&config, twin.clone(), move |platform| drive(platform, root, variant));
    let mut both = [&twin.filtered, &twin.everything].map(|oracles| {
        let mut oracles = oracles.lock().unwrap();
        if matches!(report.outcome, Outcome::Completed) {
            oracles.finish();
        }
        oracles.violations().to_vec()
    });
    (std::mem::take(&mut both[0]), std::mem::take(&mut both[1]))
}

/// Every design, and every mutant the scenario claims on its home design.
fn variants(scenario: &Scenario) -> Vec<Variant> {
    let plain = Design::ALL.map(|design| Variant { design, mutant: None });
    let mutated = scenario
        .catches
        .iter()
        .map(|&(mutant, _)| Variant { design: mutant.home_design(), mutant: Some(mutant) });
    plain.into_iter().chain(mutated).collect()
}

fn strategy(seed: u64) -> StrategySpec {
    if seed.is_multiple_of(2) {
        StrategySpec::Random { seed }
    } else {
        StrategySpec::Pct { seed, depth: 3, horizon: 200 }
    }
}

#[test]
fn filtered_dispatch_finds_what_judges_handed_everything_find() {
    let (mut runs, mut failing) = (0, 0);
    for scenario in crate::catalogue::all().unwrap() {
        for variant in variants(&scenario) {
            // A mutant's runs go on until a few of them failed (or the seeds ran out).
            let (seeds, enough) =
                if variant.mutant.is_some() { (MUTANT_SEEDS, MUTANT_FAILURES) } else { (SEEDS, 0) };
            let mut failed = 0;
            for seed in 0..seeds {
                if enough > 0 && failed >= enough {
                    break;
                }
                let (filtered, everything) = judged_both_ways(&scenario, variant, strategy(seed));
                assert_eq!(
                    filtered, everything,
                    "{} under {variant:?}, seed {seed}: the filtered dispatch's findings (left) \
                     differ from those of judges handed every fact and event (right)",
                    scenario.name
                );
                runs += 1;
                failed += u32::from(!filtered.is_empty());
            }
            failing += failed;
        }
    }
    // The comparison means something only if judges found things on many of the runs.
    assert!(failing * 20 >= runs, "only {failing} of {runs} runs had a finding");
}
