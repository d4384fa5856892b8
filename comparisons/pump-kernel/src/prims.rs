//! The one place that picks the tool: the kernel's locks, condition variables and threads
//! are shuttle's by default and loom's with the `loom` feature. Bookkeeping that only the
//! final checks read uses `std` directly (`std::sync::Mutex`): it is not part of the
//! protocol, so it is not a scheduling point for either tool.

#[cfg(not(feature = "loom"))]
pub use shuttle::{
    sync::{Condvar, Mutex, RwLock},
    thread,
};

#[cfg(feature = "loom")]
pub use loom::{
    sync::{Condvar, Mutex, RwLock},
    thread,
};
