//! Progress bars on standard error (indicatif), drawn only when standard error is a
//! terminal: piped or redirected output, and CI logs, get nothing.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One bar: runs done out of a known total.
pub(super) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` runs, labelled `label`; hidden unless standard error is a terminal.
    pub(super) fn new(total: u64, label: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), draw_target());
        let template = "{prefix:<30} [{bar:30}] {pos}/{len} elapsed {elapsed} eta {eta}";
        bar.set_style(
            ProgressStyle::with_template(template).expect("a valid template").progress_chars("#>-"),
        );
        bar.set_prefix(label.to_string());
        Progress { bar }
    }

    /// A counter of runs without a known total (a search), labelled `label`.
    pub(super) fn counter(label: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(None, draw_target());
        let template = "{prefix:<30} {pos} runs {per_sec}";
        bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
        bar.set_prefix(label.to_string());
        Progress { bar }
    }

    /// One more run done (callable from any thread).
    pub(super) fn tick(&self) {
        self.advance(1);
    }

    /// `runs` more runs done (callable from any thread).
    pub(super) fn advance(&self, runs: u64) {
        self.bar.inc(runs);
    }

    /// Sets the count of runs done.
    pub(super) fn set(&self, done: u64) {
        self.bar.set_position(done);
    }

    /// Removes the bar, leaving the terminal as it was.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn draw_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() }
}
