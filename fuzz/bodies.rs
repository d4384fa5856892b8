//! What each fuzz target checks, as plain functions: the targets in `fuzz_targets/` run them
//! under libFuzzer, and `cargo test` runs them on every file of the committed corpus
//! (`scenarios/tests/fuzz_corpus.rs`). Each must never panic on any input.

use plughost_model::ids::Name;
use plughost_real::protocol::{HostView, Message, check_from_host, read_frame, write_frame};

/// The real backend's frame decoder on arbitrary bytes: every frame in the input, as the
/// service's reader takes them, is a message or a typed error; a decoded message encodes
/// back to a frame that decodes to the same message.
pub fn frame_decoder(data: &[u8]) {
    let mut input = data;
    while let Ok(message) = read_frame(&mut input) {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, &message).expect("a decoded message encodes");
        let again = read_frame(&mut &bytes[..]).expect("an encoded message decodes");
        assert_eq!(format!("{message:?}"), format!("{again:?}"), "the round trip keeps the message");
    }
}

/// The service's validation of what a host sends: each decoded message checked against a
/// host's view (its plugin, whether it said Hello, the calls outstanding), as the service's
/// reader does, until the first refusal.
pub fn host_messages(data: &[u8]) {
    let plugin = Name::from("TestPlugin");
    let mut hello_seen = false;
    let mut input = data;
    while let Ok(message) = read_frame(&mut input) {
        let view = HostView { plugin: &plugin, hello_seen, outstanding: &|id| id % 2 == 1 };
        if check_from_host(&message, &view).is_err() {
            break;
        }
        hello_seen |= matches!(message, Message::Hello { .. });
    }
}

/// The decision-list file reader on arbitrary text: a list with its header, or an error
/// saying where; a file read back from its written form is the same file.
pub fn decision_list(data: &[u8]) {
    use plughost_scenarios::decisions::DecisionFile;
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(file) = DecisionFile::parse(text) {
        let again = DecisionFile::parse(&file.to_text("fuzz")).expect("a written file reads");
        assert_eq!(file, again);
    }
}

/// The scenario parser on arbitrary text: a checked scenario or an error naming the file.
pub fn scenario_parser(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(error) = plughost_scenarios::parse::parse("fuzz", "fuzz.toml", text) {
        assert_eq!(error.file, "fuzz.toml");
    }
}
