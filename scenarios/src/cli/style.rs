//! Colours on standard output: only when it is a terminal and `NO_COLOR` is unset or empty
//! (no-color.org). Piped output, files and CI logs get plain text, byte for byte.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// Whether standard output gets colours.
pub(super) fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        !no_color && std::io::stdout().is_terminal()
    })
}

fn paint(code: &str, text: &str) -> String {
    if enabled() { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// Bold (headers).
pub(super) fn bold(text: &str) -> String {
    paint("1", text)
}

/// Green (what went as expected).
pub(super) fn good(text: &str) -> String {
    paint("32", text)
}

/// Bold red (what did not).
pub(super) fn bad(text: &str) -> String {
    paint("1;31", text)
}

/// A table row whose last word is its result (`ok` or `FAILED`), that word coloured.
pub(super) fn result_row(row: &str) -> String {
    match row.rsplit_once(' ') {
        Some((rest, "ok")) => format!("{rest} {}", good("ok")),
        Some((rest, "FAILED")) => format!("{rest} {}", bad("FAILED")),
        _ => row.to_string(),
    }
}
