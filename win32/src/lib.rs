//! Safe wrappers over the Win32 and COM calls the real backend makes on Windows. This is
//! the workspace's only crate with `unsafe` code: every other crate forbids it, and reaches
//! Win32 through the types here.
//!
//! - [`sync`]: a kernel mutex (recursive, timed), an SRW lock, events and
//!   `WaitForMultipleObjects`, the primitives of the platform seam on Windows;
//! - [`process`]: job objects with kill-on-close, process handles, terminating oneself;
//! - [`com`]: the COM transport's interfaces (`idl/plughost.idl`), its local server, its
//!   client, and the registration of its classes.
//!
//! What this crate must never do: decide anything about the model (it moves bytes and
//! HRESULTs; the real backend gives them meaning), or expose a handle or interface pointer
//! whose lifetime a safe caller could get wrong. Each module that calls Win32 allows
//! `unsafe_code` for itself, and every unsafe block carries a `SAFETY:` comment.
//!
//! Everywhere but Windows the crate is empty.

#![cfg(windows)]

pub mod com;
mod error;
mod handle;
pub mod process;
pub mod sync;

pub use error::Error;
