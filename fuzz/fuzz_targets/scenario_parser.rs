//! Fuzz target `scenario_parser`: the check is `bodies::scenario_parser` (`fuzz/bodies.rs`).
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::scenario_parser(data));
