//! What every entry point does at the C boundary: catch panics, check
//! pointers and lengths, and move handles in and out of `Box`es.
//!
//! Centralised here so that each `unsafe` pattern is written (and justified)
//! once.

use super::status::voipsec_status;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `body`, turning a panic into `VOIPSEC_ERR_PANIC` so that no unwind
/// ever crosses into C (that would be undefined behaviour).
pub(crate) fn catch(body: impl FnOnce() -> Result<(), voipsec_status>) -> voipsec_status {
    // AssertUnwindSafe: on panic the handle may be left mid-update; the
    // caller is told (VOIPSEC_ERR_PANIC) and the state stays memory-safe.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => voipsec_status::VOIPSEC_OK,
        Ok(Err(status)) => status,
        Err(_) => voipsec_status::VOIPSEC_ERR_PANIC,
    }
}

/// Borrows `len` bytes at `ptr`. NULL is accepted only with `len == 0`.
///
/// # Safety
/// When non-NULL, `ptr` must point to `len` readable bytes that stay valid and
/// unmodified for `'a` (the C caller's contract, stated in the header).
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], voipsec_status> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER)
        };
    }
    if len > isize::MAX as usize {
        return Err(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL, length bounded by isize::MAX, and readable for `len`
    // bytes per this function's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` writable bytes at `ptr` (NULL only with `len == 0`).
///
/// # Safety
/// When non-NULL, `ptr` must point to `len` writable bytes, not aliased by any
/// other live reference, valid for `'a`.
pub(crate) unsafe fn bytes_mut<'a>(
    ptr: *mut u8,
    len: usize,
) -> Result<&'a mut [u8], voipsec_status> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER)
        };
    }
    if len > isize::MAX as usize {
        return Err(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL, bounded, writable and unaliased per the contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Borrows the handle behind `ptr`.
///
/// # Safety
/// When non-NULL, `ptr` must come from this library's `_new` for type `T` and
/// not have been freed; no `&mut` to it may be live.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T) -> Result<&'a T, voipsec_status> {
    // SAFETY: per the contract, a non-NULL `ptr` is a live `Box<T>` allocation.
    unsafe { ptr.as_ref() }.ok_or(voipsec_status::VOIPSEC_ERR_NULL_POINTER)
}

/// Mutably borrows the handle behind `ptr`.
///
/// # Safety
/// As [`handle`], and the caller must not use the handle from another thread
/// at the same time (documented per handle in the header).
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, voipsec_status> {
    // SAFETY: per the contract, a non-NULL `ptr` is a live, unaliased `Box<T>`.
    unsafe { ptr.as_mut() }.ok_or(voipsec_status::VOIPSEC_ERR_NULL_POINTER)
}

/// Writes `value` through the out-pointer `out`.
///
/// # Safety
/// When non-NULL, `out` must be valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> Result<(), voipsec_status> {
    if out.is_null() {
        return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
    }
    // SAFETY: non-NULL and writable per the contract; `write` does not read
    // (or drop) the possibly uninitialised old value.
    unsafe { out.write(value) };
    Ok(())
}

/// Moves `value` to the heap and hands ownership to C through `out`.
///
/// # Safety
/// When non-NULL, `out` must be valid for a write of a pointer.
pub(crate) unsafe fn give<T>(out: *mut *mut T, value: T) -> Result<(), voipsec_status> {
    if out.is_null() {
        return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
    }
    let raw = Box::into_raw(Box::new(value));
    // SAFETY: `out` is non-NULL and writable per the contract.
    unsafe { out.write(raw) };
    Ok(())
}

/// Takes back ownership of a handle from C and drops it; NULL is a no-op.
///
/// # Safety
/// When non-NULL, `ptr` must come from [`give`] for the same `T` and must not
/// be used again by the caller.
unsafe fn take_and_drop<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: `ptr` came from Box::into_raw in `give` and is not used again.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// The body of every `voipsec_*_free`: takes back a handle from C and drops
/// it; NULL is a no-op. A panic in a destructor is caught and swallowed,
/// because a `_free` entry point has no status to report it through and must
/// never unwind into C.
///
/// # Safety
/// As [`take_and_drop`]: when non-NULL, `ptr` must come from [`give`] for the
/// same `T` and must not be used again by the caller.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    let _ = catch(|| {
        // SAFETY: forwarded from this function's own contract.
        unsafe { take_and_drop(ptr) };
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use voipsec_status::*;

    #[test]
    fn a_panic_becomes_a_status_and_errors_pass_through() {
        assert_eq!(catch(|| panic!("bug")), VOIPSEC_ERR_PANIC);
        assert_eq!(catch(|| Err(VOIPSEC_ERR_PARSE)), VOIPSEC_ERR_PARSE);
        assert_eq!(catch(|| Ok(())), VOIPSEC_OK);
    }

    #[test]
    fn null_is_only_an_empty_buffer_and_huge_lengths_are_refused() {
        // SAFETY: NULL is never dereferenced; the lengths are only checked.
        unsafe {
            assert_eq!(bytes(std::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(bytes(std::ptr::null(), 1), Err(VOIPSEC_ERR_NULL_POINTER));
            assert!(bytes_mut(std::ptr::null_mut(), 0).is_ok());
            assert_eq!(
                bytes_mut(std::ptr::null_mut(), 1).err(),
                Some(VOIPSEC_ERR_NULL_POINTER)
            );
            let one = [0u8; 1];
            assert_eq!(
                bytes(one.as_ptr(), usize::MAX),
                Err(VOIPSEC_ERR_INVALID_ARGUMENT)
            );
            assert_eq!(
                handle::<u8>(std::ptr::null()).err(),
                Some(VOIPSEC_ERR_NULL_POINTER)
            );
            assert_eq!(
                write_out::<u8>(std::ptr::null_mut(), 1),
                Err(VOIPSEC_ERR_NULL_POINTER)
            );
            assert_eq!(
                give::<u8>(std::ptr::null_mut(), 1),
                Err(VOIPSEC_ERR_NULL_POINTER)
            );
        }
    }

    #[test]
    fn a_handle_given_to_c_comes_back_and_is_dropped_once() {
        let marker = std::rc::Rc::new(());
        let mut out: *mut std::rc::Rc<()> = std::ptr::null_mut();
        // SAFETY: `out` is a valid out-pointer; the handle is taken back once.
        unsafe {
            assert_eq!(give(&mut out, marker.clone()), Ok(()));
            assert_eq!(std::rc::Rc::strong_count(&marker), 2);
            assert!(handle(out).is_ok());
            take_and_drop(out);
            take_and_drop::<std::rc::Rc<()>>(std::ptr::null_mut());
        }
        assert_eq!(std::rc::Rc::strong_count(&marker), 1);
    }
}
