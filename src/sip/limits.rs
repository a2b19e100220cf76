//! Bounds on everything hostile input could make large.

/// Parser limits. Every violation is a [`SipError`](super::SipError), never a
/// panic and never an unbounded allocation.
///
/// ```
/// use voipsec::sip::{Limits, Message};
/// let limits = Limits { max_headers: 8, ..Limits::default() };
/// let msg = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n";
/// assert!(Message::parse_with(msg, &limits).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message (headers and body), in bytes. Default 65 536, the
    /// largest UDP datagram; also bounds what the stream framer buffers.
    /// Whatever this limit, the header section must end within the first
    /// 65 535 bytes (the header index stores 16-bit offsets); only a body
    /// may run past it.
    pub max_message_size: usize,
    /// Most header fields (physical header lines, continuations excluded).
    /// Default 128.
    pub max_headers: usize,
    /// Longest physical line, in bytes. Default 8 192.
    pub max_line_length: usize,
    /// Longest Request-URI (and URI checked by `validate`), in bytes.
    /// Default 4 096.
    pub max_uri_length: usize,
    /// Most Via entries (over all Via header fields). Default 70, the
    /// recommended initial Max-Forwards (RFC 3261 §8.1.1.6): a legitimate
    /// message never carries more.
    pub max_vias: usize,
}

impl Limits {
    /// The default limits as a constant.
    pub const DEFAULT: Limits = Limits {
        max_message_size: 65_536,
        max_headers: 128,
        max_line_length: 8_192,
        max_uri_length: 4_096,
        max_vias: 70,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
