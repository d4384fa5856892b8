//! Standard output for the CLI: a reader that closes the pipe early (`plughost list | head`)
//! ends the program quietly instead of panicking; any other write failure exits with 2.

use std::fmt;
use std::io::{ErrorKind, Write};

/// Writes `text` to standard output.
pub(super) fn write(text: fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_fmt(text).and_then(|()| out.flush()) {
        std::process::exit(if error.kind() == ErrorKind::BrokenPipe { 0 } else { 2 });
    }
}

/// `println!` that survives a closed pipe.
macro_rules! say {
    () => { $crate::cli::output::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that survives a closed pipe.
macro_rules! say_raw {
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!($($arg)*)) };
}
