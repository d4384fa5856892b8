//! Fuzz target `host_messages`: the check is `bodies::host_messages` (`fuzz/bodies.rs`).
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::host_messages(data));
