//! The one error enum of the digest module.
//!
//! Parse errors carry the byte offset into the header value they were found
//! at, so a log line can point at the offending byte without echoing the
//! (possibly secret-bearing) header itself.

/// Everything that can be wrong with a `Authorization` / `Proxy-Authorization`
/// header value, or with a store the verifier depends on.
///
/// Offsets are byte offsets into the header value given to the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The header value exceeds [`ParseLimits::max_len`](super::ParseLimits).
    #[error("credentials are {len} bytes, over the limit of {max}")]
    TooLong {
        /// Length of the header value.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The auth-scheme is not `Digest` (RFC 3261 §22.4); policy, not syntax.
    #[error("authorization scheme at byte {offset} is not Digest")]
    NotDigest {
        /// Where the scheme starts.
        offset: usize,
    },
    /// A parameter name (token) was expected.
    #[error("expected a parameter name at byte {offset}")]
    ExpectedName {
        /// Where the name should start.
        offset: usize,
    },
    /// `=` was expected after a parameter name.
    #[error("expected '=' at byte {offset}")]
    ExpectedEquals {
        /// Where `=` should be.
        offset: usize,
    },
    /// A token or quoted-string value was expected.
    #[error("expected a parameter value at byte {offset}")]
    ExpectedValue {
        /// Where the value should start.
        offset: usize,
    },
    /// A quoted-string has no closing quote.
    #[error("unterminated quoted string starting at byte {offset}")]
    UnterminatedQuote {
        /// Where the opening quote is.
        offset: usize,
    },
    /// A control byte inside a quoted-string (RFC 3261 §25.1 qdtext).
    #[error("invalid byte in quoted string at byte {offset}")]
    InvalidQuotedByte {
        /// Where the byte is.
        offset: usize,
    },
    /// Parameters must be separated by `,`.
    #[error("expected ',' at byte {offset}")]
    ExpectedComma {
        /// Where the comma should be.
        offset: usize,
    },
    /// A known parameter occurs twice; which copy would win is ambiguous,
    /// so the whole header is refused.
    #[error("duplicate parameter `{name}` at byte {offset}")]
    DuplicateParam {
        /// The parameter name (canonical spelling).
        name: &'static str,
        /// Where the second occurrence starts.
        offset: usize,
    },
    /// More parameters than [`ParseLimits::max_params`](super::ParseLimits).
    #[error("more than {max} parameters (at byte {offset})")]
    TooManyParams {
        /// The configured limit.
        max: usize,
        /// Where the first parameter over the limit starts.
        offset: usize,
    },
    /// A parameter the digest computation needs is absent.
    #[error("missing required parameter `{name}`")]
    MissingParam {
        /// The parameter name.
        name: &'static str,
    },
    /// A parameter's value does not have the syntax its RFC gives it.
    #[error("parameter `{name}` at byte {offset} has an invalid value")]
    InvalidValue {
        /// The parameter name.
        name: &'static str,
        /// Where the value starts.
        offset: usize,
    },
    /// A value is longer than the verifier's working buffers.
    #[error("parameter `{name}` at byte {offset} is longer than {max} bytes")]
    ValueTooLong {
        /// The parameter name.
        name: &'static str,
        /// Where the value starts.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// `response` does not have the number of hex digits the algorithm
    /// produces (e.g. the 35- and 31-digit examples of RFC 3261 §20.7/§25).
    #[error("response has {found} characters, the algorithm produces {expected} hex digits")]
    ResponseLength {
        /// Hex digits the algorithm produces.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// `username*` (RFC 7616 §3.4.4 extended notation) could not be decoded.
    #[error("username* at byte {offset} is not valid RFC 8187 ext-value")]
    InvalidExtValue {
        /// Where the value starts.
        offset: usize,
    },
    /// The nonce-count store could not be reached or answered nonsense.
    #[error("nonce-count store failed: {reason}")]
    Store {
        /// What failed (never contains secrets).
        reason: &'static str,
    },
}
