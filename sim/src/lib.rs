//! The simulated platform: a deterministic, controlled scheduler on madsim that runs the
//! model's service, hosts and plugins as logical threads, one at a time, in virtual time.
//!
//! - [`run`]: one run, from a [`RunConfig`] (strategy + budget) to a [`RunReport`]
//!   (outcome, decision list);
//! - [`SimPlatform`]: the model's platform seam on the simulation kernel;
//! - [`strategy`]: who decides each choice point; decision lists replay a run;
//! - [`Outcome`]: completed, deadlock (with the wait-for cycle), livelock, panic, service died;
//! - [`trace`]: the tracing-subscriber layer that records canonical trace lines.
//!
//! This crate must never read a wall clock, start an OS thread or draw ambient randomness,
//! and never depends on the real backend. madsim only simulates when built with
//! `--cfg madsim`, which the workspace's `.cargo/config.toml` sets.

#[cfg(not(madsim))]
compile_error!(
    "plughost-sim needs madsim's simulation mode: build with RUSTFLAGS=\"--cfg madsim\" (the workspace's .cargo/config.toml sets it)"
);

pub mod decision;
pub mod dfs;
pub mod faults;
pub mod footprint;
mod kernel;
mod outcome;
mod platform;
mod run;
pub mod strategy;
pub mod trace;
mod waitfor;

pub use decision::{Decision, DecisionKind};
pub use kernel::Budget;
pub use outcome::{Outcome, Report};
pub use platform::{
    SimEvent, SimGuard, SimHostLink, SimMutex, SimPlatform, SimRecursiveMutex, SimServiceLink, SimSrwLock,
    SimThread,
};
pub use run::{Ends, RunConfig, RunReport, install_quiet_panic_hook, run};
pub use strategy::{Stop, StrategySpec};
