//! Borrowed byte strings handed to C.

/// A borrowed byte string: `len` bytes at `ptr`, not NUL-terminated (print
/// it with `printf("%.*s", (int)s.len, (const char *)s.ptr)`). `ptr` may be
/// NULL only when `len` is 0. Who owns the bytes, and for how long they stay
/// valid, is stated by the function that returns the slice.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct voipsec_slice {
    /// First byte.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

impl voipsec_slice {
    /// The empty slice (NULL, 0).
    pub const EMPTY: voipsec_slice = voipsec_slice {
        ptr: std::ptr::null(),
        len: 0,
    };
}

impl From<&[u8]> for voipsec_slice {
    fn from(bytes: &[u8]) -> Self {
        voipsec_slice {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
}

impl From<&str> for voipsec_slice {
    fn from(text: &str) -> Self {
        text.as_bytes().into()
    }
}
