//! `Message<'a>`: the start line, the header index and the body of one SIP
//! message, borrowed from the input buffer (RFC 3261 §7).

use core::ops::Range;

use super::address::{Contact, NameAddr};
use super::error::SipError;
use super::fields::{self, CSeq, ContentType};
use super::header::{
    CONTROL, FOLDED, Header, HeaderEntry, HeaderIndex, HeaderName, SPACE_BEFORE_COLON,
};
use super::lexical::{self, is_token_str};
use super::limits::Limits;
use super::method::Method;
use super::uri::Uri;
use super::via::Via;
use crate::swar::{bytes_below, bytes_equal, splat};

/// The Request-Line of a request (RFC 3261 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// The method.
    pub method: Method<'a>,
    /// The Request-URI as sent (checked for framing: no white space, a
    /// scheme; its full grammar is checked by [`Message::request_uri`]).
    pub uri: &'a str,
    /// Byte offset of the Request-URI in the message.
    pub uri_offset: usize,
}

/// The Status-Line of a response (RFC 3261 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLine<'a> {
    /// The status code, 100..=699.
    pub code: u16,
    /// The reason phrase as sent (UTF-8 per the RFC, not checked; may be empty).
    pub reason: &'a [u8],
}

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// A request.
    Request(RequestLine<'a>),
    /// A response.
    Response(StatusLine<'a>),
}

/// A parsed SIP message borrowing its input: nothing is copied, and parsing
/// allocates nothing unless the message has more than 32 header fields
/// (then one allocation for the index, bounded by [`Limits::max_headers`]).
///
/// Parsing frames the message (start line, every header line, the body by
/// Content-Length) and indexes the headers in one pass; typed values are
/// decoded when asked for. Run [`Message::validate`] before trusting a
/// message from the network: it checks the grammar of every known header.
///
/// ```
/// use voipsec::sip::{Message, Method};
/// let raw = b"INVITE sip:bob@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
/// Max-Forwards: 70\r\n\
/// To: Bob <sip:bob@example.com>\r\n\
/// From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
/// Call-ID: a84b4c76e66710@pc33.example.com\r\n\
/// CSeq: 314159 INVITE\r\n\
/// Content-Length: 0\r\n\r\n";
/// let msg = Message::parse(raw)?;
/// assert_eq!(msg.method(), Some(Method::Invite));
/// assert_eq!(msg.request_uri()?.user(), Some("bob"));
/// assert_eq!(msg.top_via()?.branch(), Some("z9hG4bK776asdhds"));
/// assert_eq!(msg.from()?.tag(), Some("1928301774"));
/// assert_eq!(msg.call_id()?, "a84b4c76e66710@pc33.example.com");
/// assert_eq!(msg.cseq()?.number, 314159);
/// assert_eq!(msg.content_length(), Some(0));
/// msg.validate()?;
/// # Ok::<(), voipsec::sip::SipError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Message<'a> {
    buf: &'a [u8],
    /// The start line and header section as text when they are UTF-8
    /// (validated once, SIMD): every `&str` handed out is a slice of it.
    head: Option<&'a str>,
    start: StartLine<'a>,
    start_line_end: u32,
    headers: HeaderIndex,
    headers_end: u32,
    body_start: u32,
    body_end: u32,
    content_length: Option<u32>,
    limits: Limits,
}

/// How the end of the message is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// A UDP datagram: the body is Content-Length bytes when present (more
    /// is an error, trailing bytes are ignored, RFC 3261 §18.3), else the
    /// rest of the datagram.
    Datagram,
    /// A stream frame: Content-Length is mandatory and must match exactly.
    Stream,
    /// A header section alone (the framer reading Content-Length).
    HeadersOnly,
}

/// Finds line ends with a word-at-a-time scan for control bytes, so that
/// a stray CR or LF inside a line is caught in the same scan, and the
/// other control bytes a value carries (HT, NUL, DEL...) are noted for
/// the sanity checks instead of being looked for again.
struct LineEnds<'a> {
    buf: &'a [u8],
    max: usize,
}

/// A physical line: where its content ends (at the CR), where the next
/// line starts, and whether a control byte other than the CRLF was seen
/// between the scan start and the CR.
struct Line {
    end: usize,
    next: usize,
    control: bool,
}

impl LineEnds<'_> {
    /// For the line starting at `pos`, scanned from `from` (the bytes in
    /// between are known to hold no control byte): its end and the start
    /// of the next line. Lines end with CRLF, nothing else (RFC 3261 §7).
    #[inline(always)]
    fn next_line(&self, pos: usize, from: usize) -> Result<Line, SipError> {
        let mut at = from;
        let mut control = false;
        loop {
            let Some(i) = lexical::find_control(self.buf, at) else {
                if self.buf.len() - pos > self.max {
                    return Err(SipError::LineTooLong {
                        offset: pos,
                        limit: self.max,
                    });
                }
                return Err(SipError::Truncated {
                    offset: self.buf.len(),
                });
            };
            match self.buf.get(i) {
                Some(b'\r' | b'\n') => {
                    if i - pos > self.max {
                        return Err(SipError::LineTooLong {
                            offset: pos,
                            limit: self.max,
                        });
                    }
                    return match (self.buf.get(i), self.buf.get(i + 1)) {
                        (Some(b'\r'), Some(b'\n')) => Ok(Line {
                            end: i,
                            next: i + 2,
                            control,
                        }),
                        (Some(b'\r'), None) => Err(SipError::Truncated {
                            offset: self.buf.len(),
                        }),
                        _ => Err(SipError::BareLineEnding { offset: i }),
                    };
                }
                _ => {
                    control = true;
                    at = i + 1;
                }
            }
        }
    }
}

/// For a line that starts with a known header name directly followed by
/// `:` (`Via:`, `l:`...): the name's length and kind, found eight bytes at
/// a time. `None` sends the line to the byte-wise scan (unknown names,
/// white space before the colon, names longer than 24 bytes, errors).
///
/// The classification is the check: a known name matches only bytes that
/// case-fold (`| 0x20`) onto its letters and `-`, and of the bytes before
/// the first colon only CR (0x0D) could fold onto one of them, and control
/// bytes send the line to the slow path.
#[inline(always)]
fn known_name_before_colon(rest: &[u8]) -> Option<(usize, HeaderName)> {
    // The words read here are the words the name is classified by.
    let mut words = [0u64; 3];
    let mut at = 0;
    while at < 24 {
        let w = u64::from_le_bytes(rest.get(at..at + 8)?.try_into().ok()?);
        if let Some(slot) = words.get_mut(at / 8) {
            *slot = w;
        }
        // Colons and control bytes; the lowest hit is exact (see `swar`).
        let hits = (bytes_equal(w, b':') | bytes_below(w, 0x20)) & splat(0x80);
        if hits != 0 {
            let bit = hits.trailing_zeros();
            if (w >> (bit - 7)) as u8 != b':' {
                return None;
            }
            let len = at + (bit / 8) as usize;
            let kind = HeaderName::from_name_words(len, words);
            return (kind != HeaderName::Other).then_some((len, kind));
        }
        at += 8;
    }
    None
}

/// `offset` (the end of a header line starting at `line`) as an index
/// offset: the header section must end within 64 KiB (the default
/// message limit), so that index entries stay small.
#[inline]
fn index_offset(offset: usize, line: usize) -> Result<u16, SipError> {
    u16::try_from(offset).map_err(|_| SipError::HeaderLine {
        offset: line,
        reason: "header section longer than 64 KiB",
    })
}

/// The common header line, indexed in one tight pass: a known name
/// directly followed by `:`, at most one SP, a value without control
/// bytes or trailing white space, CRLF, within the line limit. `None`
/// sends the line to the general path, which indexes (or rejects) it
/// exactly as it would this one.
#[inline(always)]
fn plain_header_line(buf: &[u8], pos: usize, max_line: usize) -> Option<(HeaderEntry, usize)> {
    let rest = buf.get(pos..)?;
    let (name_len, kind) = known_name_before_colon(rest)?;
    let mut value = name_len + 1;
    if rest.get(value) == Some(&b' ') {
        value += 1;
    }
    if matches!(rest.get(value), Some(b' ')) {
        return None;
    }
    let cr = lexical::find_control(rest, value)?;
    if cr > max_line
        || rest.get(cr) != Some(&b'\r')
        || rest.get(cr + 1) != Some(&b'\n')
        || (cr > value && rest.get(cr - 1) == Some(&b' '))
    {
        return None;
    }
    let next = pos + cr + 2;
    Some((
        HeaderEntry {
            name_start: u16::try_from(pos).ok()?,
            value_start: (pos + value.min(cr)) as u16,
            value_end: (pos + cr) as u16,
            line_end: u16::try_from(next).ok()?,
            name_len: name_len as u16,
            kind,
            flags: 0,
        },
        next,
    ))
}

/// End of `line` (an index into `buf` range `start..end`) with trailing
/// SP/HT removed.
#[inline]
fn trim_end(buf: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && matches!(buf.get(end - 1), Some(b' ' | b'\t')) {
        end -= 1;
    }
    end
}

/// `SIP/2.0` (case-insensitive, RFC 3261 §7.1); another `SIP/x.y` is
/// [`SipError::UnsupportedVersion`]; anything else malformed.
fn check_version(v: &[u8], offset: usize) -> Result<(), SipError> {
    // One word compare; only the letters are case-folded (`| 0x20` would
    // also map control bytes onto `/`, `2`, `.` and `0`).
    if let Ok(&[a, b, c, d, e, f, g]) = <&[u8; 7]>::try_from(v) {
        let w = u64::from_le_bytes([a, b, c, d, e, f, g, 0]) | 0x0020_2020;
        if w == u64::from_le_bytes(*b"sip/2.0\0") {
            return Ok(());
        }
    }
    let looks_like_version = v.len() > 4
        && v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
        && v.get(4..)
            .is_some_and(|r| !r.is_empty() && r.iter().all(|&c| c.is_ascii_digit() || c == b'.'));
    if looks_like_version {
        Err(SipError::UnsupportedVersion { offset })
    } else {
        Err(SipError::StartLine {
            offset,
            reason: "malformed SIP-Version",
        })
    }
}

/// A start line whose grammar is checked, waiting for its text: the
/// method and Request-URI are taken as slices of the message head once
/// that is known to be UTF-8 (one validation for the whole head).
enum PendingStart<'a> {
    Request {
        /// End of the method (the first SP).
        method_end: usize,
        /// End of the Request-URI (the second SP).
        uri_end: usize,
    },
    Response(StatusLine<'a>),
}

impl<'a> PendingStart<'a> {
    /// The start line, its text sliced from `head` (the message head as
    /// UTF-8) or, when the head is not UTF-8, converted on its own.
    fn finish(self, buf: &'a [u8], head: Option<&'a str>) -> Result<StartLine<'a>, SipError> {
        let (method_end, uri_end) = match self {
            PendingStart::Response(s) => return Ok(StartLine::Response(s)),
            PendingStart::Request {
                method_end,
                uri_end,
            } => (method_end, uri_end),
        };
        // Method and Request-URI were checked to be ASCII: neither
        // conversion can fail.
        let text = match head {
            Some(head) => head.get(..uri_end),
            None => buf
                .get(..uri_end)
                .and_then(|t| core::str::from_utf8(t).ok()),
        }
        .ok_or(SipError::InvalidMethod { offset: 0 })?;
        let method = text
            .get(..method_end)
            .ok_or(SipError::InvalidMethod { offset: 0 })?;
        let uri_start = method_end + 1;
        let uri = text.get(uri_start..).ok_or(SipError::InvalidUri {
            offset: uri_start,
            reason: "not ASCII",
        })?;
        Ok(StartLine::Request(RequestLine {
            method: Method::from_token(method),
            uri,
            uri_offset: uri_start,
        }))
    }
}

fn parse_start_line<'a>(
    buf: &'a [u8],
    end: usize,
    limits: &Limits,
) -> Result<PendingStart<'a>, SipError> {
    let line = buf.get(..end).unwrap_or_default();
    if line.len() >= 4
        && line
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let sp = lexical::find_byte(line, 0, b' ').ok_or(SipError::StartLine {
            offset: 0,
            reason: "missing status code",
        })?;
        check_version(line.get(..sp).unwrap_or_default(), 0)?;
        let code_start = sp + 1;
        let digits = lexical::run(line, code_start, &lexical::DIGIT);
        let code = line
            .get(code_start..code_start + digits)
            .filter(|d| d.len() == 3)
            .and_then(lexical::parse_digits)
            .filter(|c| (100..=699).contains(c))
            .ok_or(SipError::InvalidStatusCode { offset: code_start })?;
        let after = code_start + digits;
        let reason = match line.get(after) {
            None => &[][..],
            Some(b' ') => line.get(after + 1..).unwrap_or_default(),
            Some(_) => return Err(SipError::InvalidStatusCode { offset: code_start }),
        };
        return Ok(PendingStart::Response(StatusLine {
            code: code as u16,
            reason,
        }));
    }
    // Request-Line = Method SP Request-URI SP SIP-Version: exactly two
    // single spaces (RFC 3261 §7.1; RFC 4475 §3.1.2.8-10 — the tolerant
    // readings are how a proxy ends up forwarding what its PBX reads
    // differently).
    let sp1 = lexical::find_byte(line, 0, b' ').ok_or(SipError::StartLine {
        offset: 0,
        reason: "not a Request-Line",
    })?;
    let method_bytes = line.get(..sp1).unwrap_or_default();
    if !is_token_str(method_bytes) {
        return Err(SipError::InvalidMethod { offset: 0 });
    }
    let uri_start = sp1 + 1;
    let sp2 = lexical::find_byte(line, uri_start, b' ').ok_or(SipError::StartLine {
        offset: uri_start,
        reason: "missing SIP-Version",
    })?;
    let uri_bytes = line.get(uri_start..sp2).unwrap_or_default();
    if uri_bytes.is_empty() {
        return Err(SipError::StartLine {
            offset: uri_start,
            reason: "extra white space",
        });
    }
    if uri_bytes.len() > limits.max_uri_length {
        return Err(SipError::UriTooLong {
            offset: uri_start,
            limit: limits.max_uri_length,
        });
    }
    if let Some(i) = lexical::find_invisible(uri_bytes) {
        return Err(SipError::InvalidUri {
            offset: uri_start + i,
            reason: "invalid character in Request-URI",
        });
    }
    let scheme_ok =
        uri_bytes.first().is_some_and(u8::is_ascii_alphabetic) && uri_bytes.contains(&b':');
    if !scheme_ok {
        return Err(SipError::InvalidUri {
            offset: uri_start,
            reason: "Request-URI without scheme",
        });
    }
    check_version(line.get(sp2 + 1..).unwrap_or_default(), sp2 + 1)?;
    Ok(PendingStart::Request {
        method_end: sp1,
        uri_end: sp2,
    })
}

/// Parses a Content-Length value (`1*DIGIT`, LWS around): signs, negative
/// numbers, garbage and overflow are all errors (RFC 4475 §3.1.2.3).
fn parse_content_length(value: &[u8], offset: usize, limits: &Limits) -> Result<u32, SipError> {
    let start = lexical::skip_lws(value, 0);
    let mut end = value.len();
    while end > start && value.get(end - 1).is_some_and(|&b| lexical::is_lws(b)) {
        end -= 1;
    }
    value
        .get(start..end)
        .and_then(lexical::parse_digits)
        .filter(|&n| n <= limits.max_message_size as u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(SipError::InvalidContentLength {
            offset: offset + start,
        })
}

impl<'a> Message<'a> {
    /// Parses `buf` as one complete UDP datagram with the default
    /// [`Limits`]. The body is framed by Content-Length when present
    /// (announcing more than the datagram holds is an error; bytes after
    /// it are ignored, RFC 3261 §18.3 / RFC 4475 §3.1.1.8); without
    /// Content-Length it is the rest of the datagram.
    pub fn parse(buf: &'a [u8]) -> Result<Message<'a>, SipError> {
        Self::parse_framed(buf, &Limits::DEFAULT, Framing::Datagram)
    }

    /// [`Message::parse`] with explicit limits.
    pub fn parse_with(buf: &'a [u8], limits: &Limits) -> Result<Message<'a>, SipError> {
        Self::parse_framed(buf, limits, Framing::Datagram)
    }

    /// Parses one message from a stream frame (what [`Framer`](super::Framer)
    /// yields): Content-Length is mandatory (RFC 3261 §18.3) and must
    /// cover exactly the bytes after the headers.
    pub fn parse_stream(buf: &'a [u8], limits: &Limits) -> Result<Message<'a>, SipError> {
        Self::parse_framed(buf, limits, Framing::Stream)
    }

    pub(crate) fn parse_framed(
        buf: &'a [u8],
        limits: &Limits,
        framing: Framing,
    ) -> Result<Message<'a>, SipError> {
        let limit = limits.max_message_size.min(u32::MAX as usize);
        if buf.len() > limit {
            return Err(SipError::MessageTooLarge {
                size: buf.len(),
                limit,
            });
        }
        let ends = LineEnds {
            buf,
            max: limits.max_line_length,
        };
        let start = ends.next_line(0, 0)?;
        let mut pos = start.next;
        // Built in place: the header index is filled inside the message,
        // never copied.
        let pending_start = parse_start_line(buf, start.end, limits)?;
        let mut msg = Message {
            buf,
            head: None,
            // Set once the head is validated as text, below.
            start: StartLine::Response(StatusLine {
                code: 0,
                reason: &[],
            }),
            start_line_end: start.end as u32,
            headers: HeaderIndex::new(),
            headers_end: 0,
            body_start: 0,
            body_end: 0,
            content_length: None,
            limits: *limits,
        };
        // The headers that frame or bound the message, checked as they
        // are indexed (their first error is reported once every line is
        // known to be well framed, as a second pass would).
        let mut framing_check = FramingCheck::default();
        let mut framing_folded = false;
        let body_start = loop {
            match buf.get(pos) {
                None => {
                    // The RFC 4475 archive ships `baddn` without the empty
                    // line. In a datagram the body is unambiguous (empty),
                    // so tolerate it; a stream frame must have it.
                    if framing != Framing::Datagram {
                        return Err(SipError::Truncated { offset: pos });
                    }
                    msg.headers_end = pos as u32;
                    break pos;
                }
                Some(b'\r') => {
                    let line = ends.next_line(pos, pos)?;
                    msg.headers_end = pos as u32;
                    break line.next;
                }
                Some(b' ' | b'\t') => {
                    // Continuation of the previous field (RFC 3261 §7.3.1).
                    let text_start = pos + lexical::run(buf, pos, &lexical::SP_HT);
                    let line = ends.next_line(pos, text_start)?;
                    let entry = msg.headers.last_mut().ok_or(SipError::HeaderLine {
                        offset: pos,
                        reason: "continuation line without a header",
                    })?;
                    let line_end = index_offset(line.next, pos)?;
                    let text_end = trim_end(buf, text_start, line.end);
                    if text_end > text_start {
                        if entry.value_start == entry.value_end {
                            entry.value_start = text_start as u16;
                        }
                        entry.value_end = text_end as u16;
                    }
                    // A folded Via or Content-Length was checked on its
                    // first line: check the whole index again after the
                    // loop, on the complete values.
                    framing_folded |=
                        matches!(entry.kind, HeaderName::Via | HeaderName::ContentLength);
                    entry.flags |= FOLDED | if line.control { CONTROL } else { 0 };
                    entry.line_end = line_end;
                    pos = line.next;
                }
                Some(_) => {
                    if let Some((entry, next)) = plain_header_line(buf, pos, limits.max_line_length)
                    {
                        if msg.headers.len() >= limits.max_headers {
                            return Err(SipError::TooManyHeaders {
                                limit: limits.max_headers,
                            });
                        }
                        framing_check.check(buf, &entry, limits);
                        msg.headers.push(entry);
                        pos = next;
                        continue;
                    }
                    // One forward pass: the name, the colon, the value up
                    // to the CR. A known name directly followed by its
                    // colon (nearly every line) is found word-wise and
                    // checked by its classification; anything else takes
                    // the byte-wise token scan.
                    let rest = buf.get(pos..).unwrap_or_default();
                    let (name_len, spaces, kind) = match known_name_before_colon(rest) {
                        Some((len, kind)) => (len, 0, kind),
                        None => {
                            let name_len = lexical::run(rest, 0, &lexical::TOKEN);
                            let spaces = lexical::run(rest, name_len, &lexical::SP_HT);
                            let colon = pos + name_len + spaces;
                            let name_error = if name_len == 0 || name_len > usize::from(u16::MAX) {
                                Some(SipError::HeaderLine {
                                    offset: pos,
                                    reason: "invalid header name",
                                })
                            } else if buf.get(colon) != Some(&b':') {
                                Some(SipError::HeaderLine {
                                    offset: colon,
                                    reason: "expected ':' after header name",
                                })
                            } else {
                                None
                            };
                            if let Some(e) = name_error {
                                // A broken line ending is the first thing wrong.
                                ends.next_line(pos, pos)?;
                                return Err(e);
                            }
                            let name = rest.get(..name_len).unwrap_or_default();
                            (name_len, spaces, HeaderName::from_token(name))
                        }
                    };
                    let colon = pos + name_len + spaces;
                    let value_start = match buf.get(colon + 1) {
                        Some(b' ' | b'\t') => {
                            colon + 2 + lexical::run(buf, colon + 2, &lexical::SP_HT)
                        }
                        _ => colon + 1,
                    };
                    let line = ends.next_line(pos, value_start)?;
                    if msg.headers.len() >= limits.max_headers {
                        return Err(SipError::TooManyHeaders {
                            limit: limits.max_headers,
                        });
                    }
                    let value_end = trim_end(buf, value_start, line.end);
                    let mut flags = if spaces > 0 { SPACE_BEFORE_COLON } else { 0 };
                    if line.control {
                        flags |= CONTROL;
                    }
                    // Every offset of the entry is at most its line end.
                    let line_end = index_offset(line.next, pos)?;
                    let entry = HeaderEntry {
                        name_start: pos as u16,
                        value_start: value_start.min(value_end) as u16,
                        value_end: value_end as u16,
                        line_end,
                        name_len: name_len as u16,
                        kind,
                        flags,
                    };
                    framing_check.check(buf, &entry, limits);
                    msg.headers.push(entry);
                    pos = line.next;
                }
            }
        };

        if framing_folded {
            // Rare: a folded Via or Content-Length. Check the complete
            // values again from the start.
            framing_check = FramingCheck::default();
            let (inline, spilled) = msg.headers.as_slices();
            for entry in inline.iter().chain(spilled) {
                framing_check.check(buf, entry, limits);
            }
        }
        if let Some(e) = framing_check.error {
            return Err(e);
        }
        let content_length = framing_check.content_length;
        let available = buf.len().saturating_sub(body_start);
        let body_end = match (content_length, framing) {
            (_, Framing::HeadersOnly) => body_start,
            (Some((n, _)), _) if n as usize > available => {
                return Err(SipError::ContentLengthExceedsBody {
                    declared: n as usize,
                    available,
                });
            }
            (Some((n, _)), Framing::Datagram) => body_start + n as usize,
            (Some((n, _)), Framing::Stream) if n as usize == available => buf.len(),
            (Some((_, at)), Framing::Stream) => {
                return Err(SipError::InvalidContentLength { offset: at });
            }
            (None, Framing::Datagram) => buf.len(),
            (None, Framing::Stream) => return Err(SipError::MissingContentLength),
        };
        msg.body_start = body_start as u32;
        msg.body_end = body_end as u32;
        msg.content_length = content_length.map(|(n, _)| n);
        // The framer's look at the headers hands out no text.
        if framing != Framing::HeadersOnly {
            msg.head = buf
                .get(..msg.headers_end as usize)
                .and_then(|h| simdutf8::basic::from_utf8(h).ok());
        }
        msg.start = pending_start.finish(buf, msg.head)?;
        Ok(msg)
    }

    /// The message bytes: start line, headers and body (trailing datagram
    /// bytes beyond Content-Length excluded).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf.get(..self.body_end as usize).unwrap_or_default()
    }

    /// The start line.
    pub fn start_line(&self) -> StartLine<'a> {
        self.start
    }

    /// Byte range of the start line, CRLF excluded.
    pub fn start_line_range(&self) -> Range<usize> {
        0..self.start_line_end as usize
    }

    /// The Request-Line, for a request.
    pub fn request_line(&self) -> Option<RequestLine<'a>> {
        match self.start {
            StartLine::Request(r) => Some(r),
            StartLine::Response(_) => None,
        }
    }

    /// The Status-Line, for a response.
    pub fn status_line(&self) -> Option<StatusLine<'a>> {
        match self.start {
            StartLine::Response(s) => Some(s),
            StartLine::Request(_) => None,
        }
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request(_))
    }

    /// The request method (`None` for a response).
    pub fn method(&self) -> Option<Method<'a>> {
        self.request_line().map(|r| r.method)
    }

    /// The status code (`None` for a request).
    pub fn status_code(&self) -> Option<u16> {
        self.status_line().map(|s| s.code)
    }

    /// The parsed Request-URI.
    pub fn request_uri(&self) -> Result<Uri<'a>, SipError> {
        let r = self.request_line().ok_or(SipError::WrongMessageKind {
            expected: "request",
        })?;
        Uri::parse(r.uri).map_err(|e| e.shifted(r.uri_offset))
    }

    /// Every header field in order.
    pub fn headers(&self) -> impl DoubleEndedIterator<Item = Header<'a>> + Clone + '_ {
        let (buf, head) = (self.buf, self.head);
        self.headers.iter().map(move |e| Header::new(buf, head, *e))
    }

    /// Number of header fields (continuation lines not counted).
    pub fn header_count(&self) -> usize {
        self.headers.len()
    }

    /// The `i`-th header field.
    pub fn header_at(&self, i: usize) -> Option<Header<'a>> {
        self.headers
            .get(i)
            .map(|e| Header::new(self.buf, self.head, *e))
    }

    /// The first field of a known kind (long or compact name).
    pub fn header(&self, kind: HeaderName) -> Option<Header<'a>> {
        self.headers
            .first(kind)
            .map(|e| Header::new(self.buf, self.head, *e))
    }

    /// Every field of a known kind, in order.
    pub fn headers_of(&self, kind: HeaderName) -> impl Iterator<Item = Header<'a>> + Clone + '_ {
        let (buf, head) = (self.buf, self.head);
        self.headers
            .iter()
            .filter(move |e| e.kind == kind)
            .map(move |e| Header::new(buf, head, *e))
    }

    /// The first field with this name: case-insensitive, compact forms
    /// equal to their long names (`"i"`, `"call-id"` and `"Call-ID"` all
    /// find Call-ID), any other name compared as is.
    pub fn header_named(&self, name: &str) -> Option<Header<'a>> {
        self.headers_named(name).next()
    }

    /// Every field with this name (see [`Message::header_named`]).
    pub fn headers_named<'m>(
        &'m self,
        name: &'m str,
    ) -> impl Iterator<Item = Header<'a>> + Clone + 'm {
        let kind = HeaderName::from_bytes(name.as_bytes());
        let (buf, head) = (self.buf, self.head);
        self.headers
            .iter()
            .filter(move |e| {
                e.kind == kind
                    && (kind != HeaderName::Other
                        || buf
                            .get(
                                usize::from(e.name_start)
                                    ..usize::from(e.name_start) + usize::from(e.name_len),
                            )
                            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes())))
            })
            .map(move |e| Header::new(buf, head, *e))
    }

    /// The comma-separated values of every field of `kind`, in order
    /// (RFC 3261 §7.3.1: several fields equal one comma-joined field).
    pub fn values(&self, kind: HeaderName) -> impl Iterator<Item = &'a str> + '_ {
        self.headers_of(kind).flat_map(|h| h.values())
    }

    /// Byte range of the header section: from the first header line to
    /// the end of the last (the empty line excluded).
    pub fn headers_range(&self) -> Range<usize> {
        (self.start_line_end as usize + 2).min(self.headers_end as usize)..self.headers_end as usize
    }

    /// The body (Content-Length bytes, or the rest of the datagram).
    pub fn body(&self) -> &'a [u8] {
        self.buf
            .get(self.body_start as usize..self.body_end as usize)
            .unwrap_or_default()
    }

    /// Byte range of the body.
    pub fn body_range(&self) -> Range<usize> {
        self.body_start as usize..self.body_end as usize
    }

    /// The Content-Length value (checked and consistent at parse time).
    pub fn content_length(&self) -> Option<usize> {
        self.content_length.map(|n| n as usize)
    }

    /// The message text at `range` (inside the head): a slice of the
    /// head when it is UTF-8, else converted on its own; `None` when it is
    /// not UTF-8.
    #[inline]
    pub(crate) fn text(&self, range: Range<usize>) -> Option<&'a str> {
        match self.head {
            Some(head) => head.get(range),
            None => self
                .buf
                .get(range)
                .and_then(|b| core::str::from_utf8(b).ok()),
        }
    }

    /// The header index as its inline part and its spilled part, for the
    /// per-field passes that read only the entries (a plain slice loop
    /// costs less per field than the chained [`Message::headers`]).
    #[inline]
    pub(crate) fn header_entries(&self) -> [&[HeaderEntry]; 2] {
        let (inline, spilled) = self.headers.as_slices();
        [inline, spilled]
    }

    /// The value of an entry of this message's index (see [`Header::value`]).
    #[inline]
    pub(crate) fn entry_value(&self, e: &HeaderEntry) -> &'a [u8] {
        self.buf
            .get(usize::from(e.value_start)..usize::from(e.value_end))
            .unwrap_or_default()
    }

    /// An entry of this message's index as a [`Header`].
    #[inline]
    pub(crate) fn entry_header(&self, e: &HeaderEntry) -> Header<'a> {
        Header::new(self.buf, self.head, *e)
    }

    /// Whether the start line and header section were validated as UTF-8
    /// at parse time (then no value inside them needs checking again).
    #[inline]
    pub(crate) fn head_is_utf8(&self) -> bool {
        self.head.is_some()
    }

    /// The limits the message was parsed with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes the first field of `kind` with `parse`, mapping offsets to
    /// the message and naming the header in errors.
    fn typed<T>(
        &self,
        kind: HeaderName,
        parse: impl FnOnce(&'a str) -> Result<T, SipError>,
    ) -> Result<T, SipError> {
        let h = self.header(kind).ok_or(SipError::MissingHeader {
            name: kind.as_str(),
        })?;
        let base = h.value_range().start;
        let value = h.value_str().ok_or(SipError::InvalidHeader {
            name: kind.as_str(),
            offset: base,
            reason: "not UTF-8",
        })?;
        parse(value).map_err(|e| e.shifted(base).in_header(kind.as_str()))
    }

    /// Decodes every comma-separated value of every field of `kind`.
    pub(crate) fn typed_list<T: 'a>(
        &self,
        kind: HeaderName,
        parse: fn(&'a str) -> Result<T, SipError>,
    ) -> impl Iterator<Item = Result<T, SipError>> + '_ {
        self.headers_of(kind).flat_map(move |h| {
            let mut values = h.values();
            core::iter::from_fn(move || values.next_with_offset())
                .map(move |(at, v)| parse(v).map_err(|e| e.shifted(at).in_header(kind.as_str())))
        })
    }

    /// The topmost Via entry (where the response goes, RFC 3261 §18.2.2).
    pub fn top_via(&self) -> Result<Via<'a>, SipError> {
        let first = self
            .header(HeaderName::Via)
            .ok_or(SipError::MissingHeader { name: "Via" })?;
        let mut values = first.values();
        let (at, v) = values.next_with_offset().ok_or(SipError::InvalidHeader {
            name: "Via",
            offset: first.value_range().start,
            reason: "empty",
        })?;
        Via::parse(v).map_err(|e| e.shifted(at))
    }

    /// Every Via entry, top first.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'a>, SipError>> + '_ {
        self.typed_list(HeaderName::Via, Via::parse)
    }

    /// The From address.
    pub fn from(&self) -> Result<NameAddr<'a>, SipError> {
        self.typed(HeaderName::From, NameAddr::parse)
    }

    /// The To address.
    pub fn to(&self) -> Result<NameAddr<'a>, SipError> {
        self.typed(HeaderName::To, NameAddr::parse)
    }

    /// The Refer-To address (RFC 3515).
    pub fn refer_to(&self) -> Result<NameAddr<'a>, SipError> {
        self.typed(HeaderName::ReferTo, NameAddr::parse)
    }

    /// Every Contact value.
    pub fn contacts(&self) -> impl Iterator<Item = Result<Contact<'a>, SipError>> + '_ {
        self.typed_list(HeaderName::Contact, Contact::parse)
    }

    /// Every Route entry, in order.
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, SipError>> + '_ {
        self.typed_list(HeaderName::Route, NameAddr::parse)
    }

    /// Every Record-Route entry, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, SipError>> + '_ {
        self.typed_list(HeaderName::RecordRoute, NameAddr::parse)
    }

    /// The Call-ID (checked to be `word[@word]`).
    pub fn call_id(&self) -> Result<&'a str, SipError> {
        // The plain form is checked in place; anything else (LWS, folding,
        // errors) takes the full parse, which decides.
        match self
            .header(HeaderName::CallId)
            .and_then(|h| super::hot::plain_call_id(&h))
        {
            Some(id) => Ok(id),
            None => self.full_call_id(),
        }
    }

    /// The Call-ID through the full parse: out of line, so that the plain
    /// path does not save the registers the parse needs on every call.
    #[cold]
    #[inline(never)]
    fn full_call_id(&self) -> Result<&'a str, SipError> {
        self.typed(HeaderName::CallId, fields::parse_call_id)
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq<'a>, SipError> {
        // `number SP method` is decoded in place; anything else takes the
        // full parse, which decides.
        match self
            .header(HeaderName::CSeq)
            .and_then(|h| super::hot::plain_cseq(&h, self.method()))
        {
            Some(cseq) => Ok(cseq),
            None => self.full_cseq(),
        }
    }

    /// The CSeq through the full parse (out of line, as [`Self::full_call_id`]).
    #[cold]
    #[inline(never)]
    fn full_cseq(&self) -> Result<CSeq<'a>, SipError> {
        self.typed(HeaderName::CSeq, CSeq::parse)
    }

    /// Max-Forwards, 0..=255 (RFC 3261 §20.22).
    pub fn max_forwards(&self) -> Result<u8, SipError> {
        self.typed(HeaderName::MaxForwards, |v| {
            fields::parse_number(v, "Max-Forwards", 255).map(|n| n as u8)
        })
    }

    /// Expires, in seconds (delta-seconds, 32 bits).
    pub fn expires(&self) -> Result<u32, SipError> {
        self.typed(HeaderName::Expires, |v| {
            fields::parse_number(v, "Expires", u32::MAX.into()).map(|n| n as u32)
        })
    }

    /// The Content-Type.
    pub fn content_type(&self) -> Result<ContentType<'a>, SipError> {
        self.typed(HeaderName::ContentType, ContentType::parse)
    }

    /// The User-Agent text as sent (free text; `None` if absent or not UTF-8).
    pub fn user_agent(&self) -> Option<&'a str> {
        self.header(HeaderName::UserAgent)
            .and_then(|h| h.value_str())
    }
}

/// The checks on the headers that frame or bound the message, fed one
/// index entry at a time in order: Content-Length (well formed, no
/// conflicting duplicate) and the number of Via entries. The first error
/// is kept; later entries are then ignored.
#[derive(Default)]
struct FramingCheck {
    /// The first Content-Length and the offset of its value.
    content_length: Option<(u32, usize)>,
    /// Via entries so far.
    vias: usize,
    /// The first error found.
    error: Option<SipError>,
}

impl FramingCheck {
    #[inline(always)]
    fn check(&mut self, buf: &[u8], entry: &HeaderEntry, limits: &Limits) {
        if matches!(entry.kind, HeaderName::ContentLength | HeaderName::Via)
            && self.error.is_none()
            && let Err(e) = self.check_framing_header(buf, entry, limits)
        {
            self.error = Some(e);
        }
    }

    fn check_framing_header(
        &mut self,
        buf: &[u8],
        entry: &HeaderEntry,
        limits: &Limits,
    ) -> Result<(), SipError> {
        let at = usize::from(entry.value_start);
        let value = buf
            .get(at..usize::from(entry.value_end))
            .unwrap_or_default();
        if entry.kind == HeaderName::ContentLength {
            let n = parse_content_length(value, at, limits)?;
            match self.content_length {
                Some((first, _)) if first != n => {
                    return Err(SipError::ConflictingContentLength { offset: at });
                }
                Some(_) => {}
                None => self.content_length = Some((n, at)),
            }
        } else {
            self.vias += 1 + count_list_separators(value);
            if self.vias > limits.max_vias {
                return Err(SipError::TooManyVias {
                    limit: limits.max_vias,
                });
            }
        }
        Ok(())
    }
}

/// Number of commas outside quoted strings and `<>` (list elements - 1).
#[inline]
fn count_list_separators(value: &[u8]) -> usize {
    // Fast path: most Via fields hold one entry (no comma at all).
    if !lexical::contains_byte(value, b',') {
        return 0;
    }
    count_unquoted_commas(value)
}

/// The slow part of [`count_list_separators`], out of line so that the
/// framing check stays small (fewer registers saved per call).
#[cold]
#[inline(never)]
fn count_unquoted_commas(value: &[u8]) -> usize {
    let mut n = 0;
    let mut from = 0;
    while let Some(at) = lexical::find_unquoted(value, from, b',') {
        n += 1;
        from = at + 1;
    }
    n
}
