//! The fuzz targets' committed corpus, replayed: every input of `fuzz/corpus/TARGET` through
//! the same check the target runs under libFuzzer (`fuzz/bodies.rs`). Fuzzing itself is
//! `fuzz/run TARGET SECONDS`; this only keeps what it found (and the crashes it fixed) from
//! coming back.

use std::path::Path;

#[path = "../../fuzz/bodies.rs"]
mod bodies;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        let data = std::fs::read(&path).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target} panics on {}", path.display());
        inputs += 1;
    }
    assert!(inputs >= 5, "{target}'s corpus has only {inputs} inputs");
}

#[test]
fn frame_decoder_corpus() {
    replay("frame_decoder", bodies::frame_decoder);
}

#[test]
fn host_messages_corpus() {
    replay("host_messages", bodies::host_messages);
}

#[test]
fn decision_list_corpus() {
    replay("decision_list", bodies::decision_list);
}

#[test]
fn scenario_parser_corpus() {
    replay("scenario_parser", bodies::scenario_parser);
}
