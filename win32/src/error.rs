//! The error of a failed Win32 or COM call: which call, and its HRESULT.

use std::fmt;

/// A Win32 or COM call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The API that failed (`CreateJobObjectW`).
    pub call: &'static str,
    /// Its HRESULT (a Win32 error code is `HRESULT_FROM_WIN32`), as its bit pattern.
    pub hresult: u32,
    /// The system's text for it.
    pub message: String,
}

impl Error {
    pub(crate) fn of(call: &'static str, error: windows_core::Error) -> Error {
        Error { call, hresult: error.code().0 as u32, message: error.message() }
    }

    pub(crate) fn last(call: &'static str) -> Error {
        Error::of(call, windows_core::Error::from_thread())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with 0x{:08X}", self.call, self.hresult)?;
        if !self.message.is_empty() {
            write!(f, " ({})", self.message.trim_end())?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
