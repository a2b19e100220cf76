//! The rate-limiting error enum.

/// Errors from configuring limiters, building keys and reaching Redis.
/// Checks themselves never fail: a refusal is a [`Decision`](super::Decision).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A limiter parameter is out of range; `what` names it and the range.
    #[error("invalid rate-limit configuration: {what}")]
    InvalidConfig {
        /// The parameter and its valid range.
        what: &'static str,
    },
    /// A dial string holds a byte that is neither a digit, `*`, `#`, a
    /// leading `+` nor a visual separator (RFC 3966 §5.1.1).
    #[error("invalid byte {byte:#04x} in dial string at offset {offset}")]
    InvalidDialString {
        /// Byte offset of the offending byte.
        offset: usize,
        /// The offending byte.
        byte: u8,
    },
    /// The Redis backend failed (connection, timeout, script or reply).
    #[cfg(feature = "redis")]
    #[error("redis backend: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis answered with a reply the script never produces.
    #[cfg(feature = "redis")]
    #[error("unexpected reply from the redis rate-limit script")]
    UnexpectedReply,
}
