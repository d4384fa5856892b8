//! The simulated platform: a deterministic, controlled scheduler that runs the model's
//! service, hosts and plugins as logical threads, one at a time, in virtual time (each
//! thread a future that the kernel's own executor polls only while the thread runs).
//!
//! - [`run`]: one run, from a [`RunConfig`] (strategy + budget) to a [`RunReport`]
//!   (outcome, decision list);
//! - [`SimPlatform`]: the model's platform seam on the simulation kernel;
//! - [`strategy`]: who decides each choice point; decision lists replay a run;
//! - [`Outcome`]: completed, deadlock (with the wait-for cycle), livelock, panic, service died;
//! - [`trace`]: the tracing-subscriber layer that records canonical trace lines;
//! - [`RunSink`]: what a run delivers its model events and platform facts to.
//!
//! This crate must never read a wall clock, start an OS thread or draw ambient randomness,
//! and never depends on the real backend.
//!
//! The simulator is built on Linux and macOS only. On Windows this crate holds just what
//! real runs share with simulated ones — [`Budget`], [`Outcome`], [`strategy`], [`trace`]
//! and [`RunSink`] — and the simulator itself (the kernel, [`run`], the platform) is absent.

// On Windows the kernel that uses some crate-internal helpers (strategy building, trace
// lines) is absent.
#![cfg_attr(windows, allow(dead_code))]

mod budget;
pub mod decision;
pub mod dfs;
pub mod faults;
pub mod footprint;
#[cfg(not(windows))]
mod kernel;
mod outcome;
#[cfg(not(windows))]
mod platform;
#[cfg(not(windows))]
mod run;
mod sink;
pub mod strategy;
pub mod trace;
#[cfg(not(windows))]
mod waitfor;

pub use budget::Budget;
pub use decision::{Decision, DecisionKind};
pub use outcome::{Outcome, Report};
#[cfg(not(windows))]
pub use platform::{
    SimEvent, SimGuard, SimHostLink, SimMutex, SimPlatform, SimRecursiveMutex, SimServiceLink, SimSrwLock,
    SimThread,
};
#[cfg(not(windows))]
pub use run::{Ends, RunConfig, RunReport, install_quiet_panic_hook, run, run_with_sink};
pub use sink::RunSink;
pub use strategy::{Stop, StrategySpec};
