//! The `plughost` binary as the integration tests run it: a command's output, its standard
//! streams as text, and temporary files it reads or writes (removed when dropped). It only
//! runs the binary; what the output must say is each test's business.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `plughost` with `args` and waits for it.
pub fn plughost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plughost")).args(args).output().expect("the binary runs")
}

/// What a command printed on its standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a command printed on its standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A file in the temporary folder, removed when dropped.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// `plughost-<tag>-<process id>.<extension>` in the temporary folder (not created).
    pub fn new(tag: &str, extension: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("plughost-{tag}-{}.{extension}", std::process::id())))
    }

    /// The file's path.
    pub fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
