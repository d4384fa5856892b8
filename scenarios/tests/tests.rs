//! The integration tests of plughost, one binary. Table of contents:
//!
//! - `catalogue`: every scenario passes a seed sweep on the pump design;
//! - `behaviours`: small behaviours beyond spec §8's tests, schedule-independent;
//! - `mutants`: every mutant is caught by each scenario that claims it, within 2,000 seeds;
//! - `determinism`: the same seed gives a byte-identical trace, and a decision list replays it;
//! - `shrinking`: shrunk schedules keep their failure, never grow, and replay;
//! - `search`: bounded-exhaustive search with sleep sets: exhausted bounds, mutants found;
//! - `strategies`: PCT's horizon from a pilot run, the random + PCT portfolio;
//! - `coverage`: hook × callback × routing path × pump state × fault, reached and not;
//! - `decision_lists`: decision-list files whose header or decisions do not fit are errors;
//! - `faults`: fault plans as decisions: every phase of every call, mutants caught, replay;
//! - `snapshots`: reviewed canonical traces and the headline deadlock report;
//! - `parser`: malformed scenario files get errors naming the file and the field;
//! - `cli`: the binary as a user runs it: printed commands pasted into a shell, exit statuses,
//!   strict inputs, JSON Lines, shards, JUnit, no colours when piped;
//! - `conformance`: every scenario, simulator arm and real arm (real host processes);
//! - `reading`: a shrunk failure as a Mermaid diagram, and its HTML report rendered in headless
//!   Chromium;
//! - `real`: hostile hosts, and no host outliving a SIGKILLed service (each of the two
//!   mechanisms alone, and the control with neither);
//! - `docs`: the scenario format reference covers every key of the format types, and the
//!   README's table and failure report are today's output;
//! - `fuzz_corpus`: the fuzz targets' committed corpus replayed through the same checks;
//! - `hygiene`: every source file has a module doc.

mod util;

mod behaviours;
mod catalogue;
mod cli;
mod conformance;
mod coverage;
mod decision_lists;
mod determinism;
mod docs;
mod faults;
mod fuzz_corpus;
mod hygiene;
mod mutants;
mod parser;
mod reading;
mod real;
mod search;
mod shrinking;
mod snapshots;
mod strategies;
