//! An owned kernel handle, closed when dropped.

#![allow(unsafe_code)]

use windows::Win32::Foundation::{CloseHandle, HANDLE};

/// A kernel object handle this process owns.
pub(crate) struct Handle(HANDLE);

// SAFETY: a kernel handle is a process-wide value, valid on every thread until closed; it
// is closed only by `Drop`, which runs once, after every borrow has ended.
unsafe impl Send for Handle {}
// SAFETY: as above; the kernel serialises concurrent operations on one object.
unsafe impl Sync for Handle {}

impl Handle {
    /// Takes ownership of `raw`.
    ///
    /// # Safety
    /// `raw` is an open handle of this process that nothing else closes.
    pub(crate) unsafe fn own(raw: HANDLE) -> Handle {
        Handle(raw)
    }

    pub(crate) fn raw(&self) -> HANDLE {
        self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle is owned and still open; nothing uses it after this.
        let _ = unsafe { CloseHandle(self.0) };
    }
}
