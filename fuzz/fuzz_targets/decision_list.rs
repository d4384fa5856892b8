//! Fuzz target `decision_list`: the check is `bodies::decision_list` (`fuzz/bodies.rs`).
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::decision_list(data));
