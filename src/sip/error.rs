//! The one error enum of the SIP layer: what was wrong, where, and which SIP
//! status code an element should answer with.

use thiserror::Error;

/// Everything that can go wrong while parsing, validating or framing SIP.
///
/// Offsets are byte offsets into the buffer handed to the parser (for
/// [`Uri::parse`](super::Uri::parse) and the other stand-alone grammar
/// parsers, into the string they were given). The enum holds no heap data,
/// so producing an error never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SipError {
    /// The message is larger than [`Limits::max_message_size`](super::Limits).
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// Size seen (for a stream: buffered or announced so far).
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The input ended before the empty line that closes the header section.
    #[error("message truncated: no end of headers (at byte {offset})")]
    Truncated {
        /// Where the input ended.
        offset: usize,
    },
    /// A CR not followed by LF, or an LF not preceded by CR (RFC 3261 §7:
    /// lines end with CRLF; anything else is how two parsers come to
    /// disagree about where a header ends).
    #[error("bare CR or LF at byte {offset}")]
    BareLineEnding {
        /// Offset of the stray byte.
        offset: usize,
    },
    /// A physical line is longer than [`Limits::max_line_length`](super::Limits).
    #[error("line at byte {offset} exceeds {limit} bytes")]
    LineTooLong {
        /// Start of the line.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Malformed Request-Line or Status-Line (RFC 3261 §7.1, §7.2): element
    /// count, separators, or missing SIP-Version.
    #[error("malformed start line at byte {offset}: {reason}")]
    StartLine {
        /// Offset of the offending byte.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The method is not a token (RFC 3261 §25.1).
    #[error("invalid method at byte {offset}")]
    InvalidMethod {
        /// Offset of the method.
        offset: usize,
    },
    /// A SIP-Version other than `SIP/2.0` (answer 505, RFC 3261 §21.5.7).
    #[error("unsupported SIP version at byte {offset}")]
    UnsupportedVersion {
        /// Offset of the version.
        offset: usize,
    },
    /// A status code that is not three digits in 100..=699 (RFC 3261 §7.2).
    #[error("invalid status code at byte {offset}")]
    InvalidStatusCode {
        /// Offset of the code.
        offset: usize,
    },
    /// A URI longer than [`Limits::max_uri_length`](super::Limits) (answer 414).
    #[error("URI at byte {offset} exceeds {limit} bytes")]
    UriTooLong {
        /// Offset of the URI.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A URI that does not follow RFC 3261 §25.1 / RFC 3966.
    #[error("invalid URI at byte {offset}: {reason}")]
    InvalidUri {
        /// Offset of the offending byte.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// More header fields than [`Limits::max_headers`](super::Limits).
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// More Via entries than [`Limits::max_vias`](super::Limits).
    #[error("more than {limit} Via entries")]
    TooManyVias {
        /// The configured limit.
        limit: usize,
    },
    /// A header line without a token name followed by a colon, or a
    /// continuation line with no header to continue.
    #[error("malformed header line at byte {offset}: {reason}")]
    HeaderLine {
        /// Offset of the offending byte.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// Content-Length that is not `1*DIGIT` (signed, negative, empty,
    /// garbage) or does not fit (RFC 3261 §20.14, RFC 4475 §3.1.2.3).
    #[error("invalid Content-Length at byte {offset}")]
    InvalidContentLength {
        /// Offset of the value.
        offset: usize,
    },
    /// Two Content-Length headers with different values: the framing is
    /// ambiguous (RFC 4475 §3.3.9), the classic smuggling vector.
    #[error("conflicting Content-Length headers at byte {offset}")]
    ConflictingContentLength {
        /// Offset of the second value.
        offset: usize,
    },
    /// Content-Length announces more bytes than the datagram carries
    /// (RFC 3261 §18.3, RFC 4475 §3.1.2.2).
    #[error("Content-Length {declared} exceeds the {available} body bytes available")]
    ContentLengthExceedsBody {
        /// Announced length.
        declared: usize,
        /// Bytes actually present after the headers.
        available: usize,
    },
    /// A stream message without Content-Length (mandatory over TCP/TLS,
    /// RFC 3261 §18.3).
    #[error("Content-Length missing on a stream transport")]
    MissingContentLength,
    /// A header the operation needs is absent.
    #[error("missing {name} header")]
    MissingHeader {
        /// Long name of the header.
        name: &'static str,
    },
    /// The value of a header does not follow its grammar.
    #[error("invalid {name} header at byte {offset}: {reason}")]
    InvalidHeader {
        /// Long name of the header.
        name: &'static str,
        /// Offset of the offending byte.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A numeric header value or parameter out of its range (RFC 4475
    /// §3.1.2.4/§3.1.2.5: CSeq, Max-Forwards, Expires, Retry-After...).
    #[error("{name} value out of range at byte {offset}")]
    ValueOutOfRange {
        /// Header (or `header;param`) the value belongs to.
        name: &'static str,
        /// Offset of the value.
        offset: usize,
    },
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    #[error("CSeq method does not match the request method (at byte {offset})")]
    CSeqMethodMismatch {
        /// Offset of the CSeq method.
        offset: usize,
    },
    /// The operation needs a request but the message is a response (or the
    /// reverse).
    #[error("operation needs a {expected}")]
    WrongMessageKind {
        /// "request" or "response".
        expected: &'static str,
    },
}

impl SipError {
    /// The SIP status code a server should answer with when it rejects a
    /// request for this reason (RFC 3261 §21). Responses that fail to parse
    /// are discarded instead (RFC 3261 §18.1.2).
    pub fn status_code(&self) -> u16 {
        match self {
            SipError::MessageTooLarge { .. } => 513,
            SipError::UnsupportedVersion { .. } => 505,
            SipError::UriTooLong { .. } => 414,
            _ => 400,
        }
    }

    /// Byte offset of the error, when it has one.
    pub fn offset(&self) -> Option<usize> {
        let mut copy = *self;
        copy.offset_mut().map(|offset| *offset)
    }

    /// The same error with its offset moved by `base` bytes: sub-parsers
    /// report offsets into the slice they saw, the message adds where that
    /// slice starts.
    pub(crate) fn shifted(mut self, base: usize) -> Self {
        if let Some(offset) = self.offset_mut() {
            *offset = offset.saturating_add(base);
        }
        self
    }

    /// The offset field of the variants that carry one (the one list both
    /// [`offset`](Self::offset) and `shifted` read).
    fn offset_mut(&mut self) -> Option<&mut usize> {
        match self {
            SipError::Truncated { offset }
            | SipError::BareLineEnding { offset }
            | SipError::LineTooLong { offset, .. }
            | SipError::StartLine { offset, .. }
            | SipError::InvalidMethod { offset }
            | SipError::UnsupportedVersion { offset }
            | SipError::InvalidStatusCode { offset }
            | SipError::UriTooLong { offset, .. }
            | SipError::InvalidUri { offset, .. }
            | SipError::HeaderLine { offset, .. }
            | SipError::InvalidContentLength { offset }
            | SipError::ConflictingContentLength { offset }
            | SipError::InvalidHeader { offset, .. }
            | SipError::ValueOutOfRange { offset, .. }
            | SipError::CSeqMethodMismatch { offset } => Some(offset),
            _ => None,
        }
    }

    /// Re-labels a grammar error found inside a header value as an error of
    /// that header (keeps URI errors as they are: they are more precise).
    pub(crate) fn in_header(self, name: &'static str) -> Self {
        match self {
            SipError::InvalidHeader { offset, reason, .. } => SipError::InvalidHeader {
                name,
                offset,
                reason,
            },
            SipError::ValueOutOfRange { offset, .. } => SipError::ValueOutOfRange { name, offset },
            other => other,
        }
    }
}
