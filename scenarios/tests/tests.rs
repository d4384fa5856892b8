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
//! - `generate`: proptest-drawn scenarios: valid files, deterministic, a planted bug found,
//!   shrunk and replayed from its file, committed regressions replayed;
//! - `snapshots`: reviewed canonical traces and the headline deadlock report;
//! - `parser`: malformed scenario files get errors naming the file and the field;
//! - `cli`: the binary as a user runs it: printed commands pasted into a shell, exit statuses,
//!   strict inputs, JSON Lines, shards, JUnit, no colours when piped;
//! - `conformance`: every scenario, simulator arm and real arm (real host processes);
//! - `outcomes`: recorded real runs' outcomes checked against the simulator's (`plughost
//!   conform`), and a planted outcome the simulator never produces reported with both traces;
//! - `reading`: a shrunk failure as a Mermaid diagram, and its HTML report rendered in headless
//!   Chromium;
//! - `real`: hostile hosts, and no host outliving a SIGKILLed service (each of the two
//!   mechanisms alone, and the control with neither);
//! - `docs`: the scenario format reference covers every key of the format types, and the
//!   README's table and failure report are today's output;
//! - `fuzz_corpus`: the fuzz targets' committed corpus replayed through the same checks;
//! - `com`: every scenario with COM plugin hosts, mutants caught, a hostile COM host
//!   (Windows);
//! - `hygiene`: every source file has a module doc.
//!
//! On Windows only `com`, `parser` and `hygiene` build: the others run the simulator, which
//! is built on Linux and macOS only, or test the pipe backend's Linux
//! process lifetime.

#[cfg(not(windows))]
mod binary;
#[cfg(not(windows))]
mod util;

#[cfg(not(windows))]
mod behaviours;
#[cfg(not(windows))]
mod catalogue;
#[cfg(not(windows))]
mod cli;
#[cfg(windows)]
mod com;
#[cfg(not(windows))]
mod conformance;
#[cfg(not(windows))]
mod coverage;
#[cfg(not(windows))]
mod decision_lists;
#[cfg(not(windows))]
mod determinism;
#[cfg(not(windows))]
mod docs;
#[cfg(not(windows))]
mod faults;
#[cfg(not(windows))]
mod fuzz_corpus;
#[cfg(not(windows))]
mod generate;
mod hygiene;
#[cfg(not(windows))]
mod mutants;
#[cfg(not(windows))]
mod outcomes;
mod parser;
#[cfg(not(windows))]
mod reading;
#[cfg(not(windows))]
mod real;
#[cfg(not(windows))]
mod search;
#[cfg(not(windows))]
mod shrinking;
#[cfg(not(windows))]
mod snapshots;
#[cfg(not(windows))]
mod strategies;
