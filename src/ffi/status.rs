//! The status codes every C entry point returns.

use std::ffi::c_char;

/// Result of a C API call. `VOIPSEC_OK` (0) is success; every other value
/// names one failure, and [`voipsec_status_str`] describes it.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum voipsec_status {
    /// Success.
    VOIPSEC_OK = 0,
    /// A required pointer argument was NULL.
    VOIPSEC_ERR_NULL_POINTER = 1,
    /// An argument was out of range (length, enum value, key size...).
    VOIPSEC_ERR_INVALID_ARGUMENT = 2,
    /// The caller's output buffer is too small; the needed size was reported.
    VOIPSEC_ERR_BUFFER_TOO_SMALL = 3,
    /// The input could not be parsed.
    VOIPSEC_ERR_PARSE = 4,
    /// The requested item (header, stream...) does not exist.
    VOIPSEC_ERR_NOT_FOUND = 5,
    /// Authentication failed (SRTP tag or digest response).
    VOIPSEC_ERR_AUTH_FAILED = 6,
    /// The packet was already received (replay).
    VOIPSEC_ERR_REPLAY = 7,
    /// The packet is older than the replay window.
    VOIPSEC_ERR_REPLAY_TOO_OLD = 8,
    /// The master key reached its packet lifetime; re-key.
    VOIPSEC_ERR_KEY_EXPIRED = 9,
    /// A configured limit (streams, keys, size) was reached.
    VOIPSEC_ERR_LIMIT = 10,
    /// The message failed a sanity check; see the sanity result for the code.
    VOIPSEC_ERR_REJECTED = 11,
    /// The operation is not valid in the handle's current state.
    VOIPSEC_ERR_STATE = 12,
    /// A panic was caught inside voipsec (a bug: please report it).
    VOIPSEC_ERR_PANIC = 99,
}

impl voipsec_status {
    fn description(self) -> &'static std::ffi::CStr {
        match self {
            Self::VOIPSEC_OK => c"ok",
            Self::VOIPSEC_ERR_NULL_POINTER => c"a required pointer was NULL",
            Self::VOIPSEC_ERR_INVALID_ARGUMENT => c"invalid argument",
            Self::VOIPSEC_ERR_BUFFER_TOO_SMALL => c"output buffer too small",
            Self::VOIPSEC_ERR_PARSE => c"parse error",
            Self::VOIPSEC_ERR_NOT_FOUND => c"not found",
            Self::VOIPSEC_ERR_AUTH_FAILED => c"authentication failed",
            Self::VOIPSEC_ERR_REPLAY => c"replayed packet",
            Self::VOIPSEC_ERR_REPLAY_TOO_OLD => c"packet too old for the replay window",
            Self::VOIPSEC_ERR_KEY_EXPIRED => c"master key lifetime exhausted",
            Self::VOIPSEC_ERR_LIMIT => c"limit reached",
            Self::VOIPSEC_ERR_REJECTED => c"message rejected by sanity checks",
            Self::VOIPSEC_ERR_STATE => c"invalid state for this operation",
            Self::VOIPSEC_ERR_PANIC => c"internal panic caught at the C boundary",
        }
    }
}

/// A static, NUL-terminated English description of `status`. Never NULL; the
/// string lives for the whole program and must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_status_str(status: voipsec_status) -> *const c_char {
    status.description().as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_distinct_description() {
        use voipsec_status::*;
        let all = [
            VOIPSEC_OK,
            VOIPSEC_ERR_NULL_POINTER,
            VOIPSEC_ERR_INVALID_ARGUMENT,
            VOIPSEC_ERR_BUFFER_TOO_SMALL,
            VOIPSEC_ERR_PARSE,
            VOIPSEC_ERR_NOT_FOUND,
            VOIPSEC_ERR_AUTH_FAILED,
            VOIPSEC_ERR_REPLAY,
            VOIPSEC_ERR_REPLAY_TOO_OLD,
            VOIPSEC_ERR_KEY_EXPIRED,
            VOIPSEC_ERR_LIMIT,
            VOIPSEC_ERR_REJECTED,
            VOIPSEC_ERR_STATE,
            VOIPSEC_ERR_PANIC,
        ];
        let texts: std::collections::HashSet<_> = all.iter().map(|s| s.description()).collect();
        assert_eq!(texts.len(), all.len());
        // SAFETY: voipsec_status_str returns a pointer to a static NUL-terminated string.
        let ok = unsafe { std::ffi::CStr::from_ptr(voipsec_status_str(VOIPSEC_OK)) };
        assert_eq!(ok, c"ok");
    }
}
