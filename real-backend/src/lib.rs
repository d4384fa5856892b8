//! The real platform: the model's platform seam on OS threads, real locks and the wall
//! clock, with every plugin in its own `plughost-host` process reached over a pipe or, on
//! Windows, activated as a COM local server.
//!
//! - [`run`]: one scenario end to end, with a wall-clock watchdog;
//! - [`RealPlatform`]: the seam ([`threads`], [`locks`], [`events`], `transport`, and its
//!   two carriers: the pipe (`host_link`, `host`) and COM (`com`, Windows));
//! - [`facts`]: what the platform observed, for the oracles;
//! - [`protocol`]: the framed, versioned wire protocol and its checks;
//! - [`lifetime`]: hosts never outlive the service;
//! - [`host`]: the host process's `main`.
//!
//! This crate must never depend on the simulator: what it shares with it is the model.

#[cfg(windows)]
pub mod com;
pub mod events;
pub mod facts;
pub mod host;
pub mod host_link;
pub mod lifetime;
pub mod locks;
mod platform;
pub mod protocol;
pub mod run;
pub mod threads;
mod transport;

pub use platform::RealPlatform;
pub use run::{CallPhase, ComClass, FailedCall, RealConfig, RealOutcome, RealReport, Transport, run};
