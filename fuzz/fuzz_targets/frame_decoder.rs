//! Fuzz target `frame_decoder`: the check is `bodies::frame_decoder` (`fuzz/bodies.rs`).
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::frame_decoder(data));
