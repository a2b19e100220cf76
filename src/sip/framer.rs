//! Message framing on stream transports (TCP, TLS, WebSocket payloads
//! excepted): RFC 3261 §18.3 (Content-Length mandatory) and RFC 5626
//! §3.5.1 (CRLF keep-alives).

use bytes::{Bytes, BytesMut};

use super::error::SipError;
use super::limits::Limits;
use super::message::{Framing, Message};

/// What the framer found at the head of its buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// One complete message (headers and exactly Content-Length body
    /// bytes), ready for [`Message::parse_stream`].
    Message(Bytes),
    /// An RFC 5626 keep-alive "ping" (CRLF CRLF): answer with
    /// [`Framer::PONG`].
    KeepAlive,
}

/// Splits a byte stream into SIP messages.
///
/// The framer never holds more than [`Limits::max_message_size`] bytes:
/// [`Framer::push`] refuses more, and a header section or Content-Length
/// that cannot fit is an error as soon as it is seen. After any error the
/// stream cannot be re-synchronised: close the connection (RFC 4475
/// §3.1.2.3).
///
/// ```
/// use voipsec::sip::{Frame, Framer, Limits, Message};
/// let mut framer = Framer::new(Limits::default());
/// framer.push(b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhi").unwrap();
/// assert_eq!(framer.next_frame().unwrap(), Some(Frame::KeepAlive));
/// let Some(Frame::Message(bytes)) = framer.next_frame().unwrap() else { panic!() };
/// let msg = Message::parse_stream(&bytes, &Limits::default()).unwrap();
/// assert_eq!(msg.body(), b"hi");
/// assert_eq!(framer.next_frame().unwrap(), None);
/// ```
#[derive(Debug)]
pub struct Framer {
    buf: BytesMut,
    limits: Limits,
    /// Where to resume looking for the end of the headers.
    scanned: usize,
}

impl Framer {
    /// The RFC 5626 keep-alive "pong" to send back for [`Frame::KeepAlive`].
    pub const PONG: &'static [u8] = b"\r\n";

    /// A framer with an empty buffer.
    pub fn new(limits: Limits) -> Self {
        Framer {
            buf: BytesMut::new(),
            limits,
            scanned: 0,
        }
    }

    /// How many more bytes [`Framer::push`] accepts now (read at most this
    /// much from the socket).
    pub fn remaining_capacity(&self) -> usize {
        self.limits.max_message_size.saturating_sub(self.buf.len())
    }

    /// Bytes buffered and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends received bytes; refuses to buffer past the message limit.
    pub fn push(&mut self, data: &[u8]) -> Result<(), SipError> {
        let size = self.buf.len().saturating_add(data.len());
        if size > self.limits.max_message_size {
            return Err(SipError::MessageTooLarge {
                size,
                limit: self.limits.max_message_size,
            });
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// Returns the next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SipError> {
        loop {
            if self.buf.starts_with(b"\r\n\r\n") {
                let _ = self.buf.split_to(4);
                self.scanned = 0;
                return Ok(Some(Frame::KeepAlive));
            }
            // A lone CRLF before a start line is a pong or padding
            // (RFC 3261 §7.5: ignore it); "\r\n" alone may be half a ping.
            if self.buf.starts_with(b"\r\n") && self.buf.len() >= 4 {
                let _ = self.buf.split_to(2);
                self.scanned = 0;
                continue;
            }
            if self.buf.starts_with(b"\r\n") || self.buf.as_ref() == b"\r" {
                return Ok(None);
            }
            break;
        }
        let from = self.scanned.saturating_sub(3);
        let Some(end) = memchr::memmem::find(self.buf.get(from..).unwrap_or_default(), b"\r\n\r\n")
            .map(|i| from + i + 4)
        else {
            self.scanned = self.buf.len();
            if self.buf.len() >= self.limits.max_message_size {
                return Err(SipError::MessageTooLarge {
                    size: self.buf.len(),
                    limit: self.limits.max_message_size,
                });
            }
            return Ok(None);
        };
        let head = self.buf.get(..end).unwrap_or_default();
        let parsed = Message::parse_framed(head, &self.limits, Framing::HeadersOnly)?;
        let body = parsed
            .content_length()
            .ok_or(SipError::MissingContentLength)?;
        let total = end.saturating_add(body);
        if total > self.limits.max_message_size {
            return Err(SipError::MessageTooLarge {
                size: total,
                limit: self.limits.max_message_size,
            });
        }
        if self.buf.len() < total {
            self.scanned = end.saturating_sub(4);
            return Ok(None);
        }
        self.scanned = 0;
        Ok(Some(Frame::Message(self.buf.split_to(total).freeze())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn frames_byte_by_byte_and_pipelined() {
        let mut f = Framer::new(Limits::default());
        let mut frames = Vec::new();
        let stream = [MSG, b"\r\n\r\n", MSG].concat();
        for b in &stream {
            f.push(&[*b]).unwrap();
            while let Some(frame) = f.next_frame().unwrap() {
                frames.push(frame);
            }
        }
        assert_eq!(
            frames,
            vec![
                Frame::Message(Bytes::from_static(MSG)),
                Frame::KeepAlive,
                Frame::Message(Bytes::from_static(MSG))
            ]
        );
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn rejects_missing_and_oversized_content_length() {
        let mut f = Framer::new(Limits::default());
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n")
            .unwrap();
        assert_eq!(f.next_frame(), Err(SipError::MissingContentLength));
        let mut g = Framer::new(Limits::default());
        g.push(b"OPTIONS sip:a@b SIP/2.0\r\nl: 65536\r\n\r\n")
            .unwrap();
        assert!(matches!(
            g.next_frame(),
            Err(SipError::InvalidContentLength { .. } | SipError::MessageTooLarge { .. })
        ));
        let mut h = Framer::new(Limits {
            max_message_size: 64,
            ..Limits::default()
        });
        assert!(h.push(&[b'A'; 65]).is_err());
        h.push(&[b'A'; 64]).unwrap();
        assert!(matches!(
            h.next_frame(),
            Err(SipError::MessageTooLarge { .. })
        ));
    }
}
