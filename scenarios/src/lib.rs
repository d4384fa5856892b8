//! Scenarios: the files (data), their parser, the oracles, the runner over the simulator,
//! exploration, and the `plughost` CLI.
//!
//! - [`scenario`], [`format`], [`parse`], [`catalogue`]: what a scenario is and how it is read;
//! - [`driver`]: the client side of a run, generic over the platform;
//! - [`oracles`], [`expect`], [`observer`], [`verdict`]: judging a run;
//! - [`outcome`]: a run's outcome (verdict, step results, plugin logs) as conformance
//!   between real runs and the simulator compares it;
//! - [`runner`], [`real_runner`], [`explore`], [`search`], [`shrink`], [`report`],
//!   [`command`], [`cli`], [`memory`]: running in the simulator or for real, many times or
//!   exhaustively, shrinking, and telling;
//! - [`decisions`]: decision-list files and the header that ties a list to its run;
//! - [`generate`]: scenarios drawn with proptest, explored, and shrunk when they fail;
//! - [`diagram`], [`html`]: a run as a sequence diagram (Mermaid, SVG) and as one HTML page.
//!
//! This crate contains no model logic: the service, hosts and plugins are `plughost-model`.
//!
//! On Windows the simulator is not built (it is built on Linux and macOS only): running it
//! (`runner`, `search`, `shrink`, exploring, decision-list files and the commands built on
//! them) is compiled out, and the CLI offers the real backend (`real`, `com`).

pub mod catalogue;
pub mod cli;
pub mod command;
pub mod coverage;
#[cfg(not(windows))]
pub mod decisions;
pub mod diagram;
pub mod driver;
pub mod expect;
pub mod explore;
pub mod format;
#[cfg(not(windows))]
pub mod generate;
pub mod html;
pub mod memory;
pub mod observer;
pub mod oracles;
pub mod outcome;
pub mod parse;
pub mod real_runner;
pub mod report;
#[cfg(not(windows))]
pub mod runner;
pub mod scenario;
#[cfg(not(windows))]
pub mod search;
#[cfg(not(windows))]
pub mod shrink;
pub mod verdict;
