//! The real platform: the model's platform seam on OS threads, real locks and the wall
//! clock, with every plugin in its own `plughost-host` process reached over a pipe.
//!
//! - [`run`]: one scenario end to end, with a wall-clock watchdog;
//! - [`RealPlatform`]: the seam ([`threads`], [`locks`], [`events`], `host_link`, `host`);
//! - [`facts`]: what the platform observed, for the oracles;
//! - [`protocol`]: the framed, versioned wire protocol and its checks;
//! - [`lifetime`]: hosts never outlive the service;
//! - [`host`]: the host process's `main`.
//!
//! This crate must never depend on the simulator: what it shares with it is the model.

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

pub use platform::RealPlatform;
pub use run::{RealConfig, RealOutcome, RealReport, run};
