//! The system under test: WSL's out-of-process plugin host design (PR 40769, the threaded
//! callback pump), written against a platform seam so that one body of code runs both
//! under the deterministic simulator and on real threads and processes.
//!
//! Module map, one per real component (spec sections in each module's doc):
//! - [`platform`]: the seam (threads, locks, events, time, transport, trace);
//!   [`fact`]: what a platform observed while running the model (for the oracles);
//!   [`platform_contract`]: the seam's contract as programs both platforms' tests run;
//! - [`service`], [`session_registry`], [`user_session`]: the service and its WSL sessions;
//!   [`wslc`]: the WSLC session manager and the WSLC sessions;
//! - [`plugin_manager`]: activation, hook fan-out, routing, crash latch;
//! - [`call_pump`]: the `PluginCallPump`;
//! - [`plugin_host`]: the host process; [`plugin`], [`script`], [`scripted_plugin`]: plugins;
//! - [`wire`], [`event`], [`hresult`], [`ids`], [`design`], [`world`]: shared vocabulary.
//!
//! This crate must never touch an OS thread, a clock, a socket, a process or randomness:
//! `clippy.toml` bans the std entry points, and everything else goes through [`platform`].

pub mod call_pump;
pub mod design;
pub mod event;
pub mod fact;
pub mod hresult;
pub mod ids;
pub mod platform;
pub mod platform_contract;
pub mod plugin;
pub mod plugin_host;
pub mod plugin_manager;
pub mod script;
pub mod scripted_plugin;
pub mod service;
pub mod session_registry;
pub mod user_session;
pub mod wire;
pub mod world;
pub mod wslc;
