//! `SAFEARRAY(unsigned char)` ↔ bytes, and `BSTR` ↔ text, at the interfaces' edges.

use std::ffi::c_void;
use std::mem::ManuallyDrop;

use windows::Win32::System::Com::SAFEARRAY;
use windows::Win32::System::Ole::{
    SafeArrayAccessData, SafeArrayCreateVector, SafeArrayDestroy, SafeArrayGetLBound, SafeArrayGetUBound,
    SafeArrayUnaccessData,
};
use windows::Win32::System::Variant::VT_UI1;
use windows_core::BSTR;

/// A new one-dimensional byte array holding `bytes`, owned by the caller (COM frees an
/// `[out]` one it hands over; [`free`] frees one that was never handed over).
pub(crate) fn to_safearray(bytes: &[u8]) -> Option<*mut SAFEARRAY> {
    let length = u32::try_from(bytes.len()).ok()?;
    // SAFETY: creates a new array; no pointers are passed.
    let array = unsafe { SafeArrayCreateVector(VT_UI1, 0, length) };
    if array.is_null() {
        return None;
    }
    let mut data: *mut c_void = std::ptr::null_mut();
    // SAFETY: `array` is a live array; `data` is a live out-slot.
    if unsafe { SafeArrayAccessData(array, &mut data) }.is_err() {
        free(array);
        return None;
    }
    // SAFETY: `data` points to `length` bytes of the locked array, which `bytes` does not overlap.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len()) };
    // SAFETY: balances the access above.
    let _ = unsafe { SafeArrayUnaccessData(array) };
    Some(array)
}

/// The bytes of a one-dimensional byte array the caller does not own (`None` for a null or
/// malformed array).
pub(crate) fn from_safearray(array: *const SAFEARRAY) -> Option<Vec<u8>> {
    if array.is_null() {
        return None;
    }
    // SAFETY: `array` is a live array for the duration of the call that received it.
    let lower = unsafe { SafeArrayGetLBound(array, 1) }.ok()?;
    // SAFETY: as above.
    let upper = unsafe { SafeArrayGetUBound(array, 1) }.ok()?;
    let length = usize::try_from(i64::from(upper) - i64::from(lower) + 1).ok()?;
    let mut data: *mut c_void = std::ptr::null_mut();
    // SAFETY: as above; `data` is a live out-slot.
    unsafe { SafeArrayAccessData(array, &mut data) }.ok()?;
    let bytes = if length == 0 {
        Vec::new()
    } else {
        // SAFETY: the locked array holds `length` elements of one byte each at `data`.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), length) }.to_vec()
    };
    // SAFETY: balances the access above.
    let _ = unsafe { SafeArrayUnaccessData(array) };
    Some(bytes)
}

/// Frees an array this side owns.
pub(crate) fn free(array: *mut SAFEARRAY) {
    if !array.is_null() {
        // SAFETY: the caller owns `array` and never uses it again.
        let _ = unsafe { SafeArrayDestroy(array) };
    }
}

/// The text of an `[in] BSTR` the callee does not own (null is empty).
pub(crate) fn borrowed_text(raw: *const u16) -> String {
    // SAFETY: `raw` is null or a live BSTR for the duration of the call; ManuallyDrop keeps
    // it from being freed here.
    let bstr = ManuallyDrop::new(unsafe { BSTR::from_raw(raw) });
    String::from_utf16_lossy(&bstr)
}

/// The pointer to pass as an `[in] BSTR` (null for an empty string, as COM expects).
pub(crate) fn in_bstr(bstr: &BSTR) -> *const u16 {
    if bstr.is_empty() { std::ptr::null() } else { bstr.as_ptr() }
}
