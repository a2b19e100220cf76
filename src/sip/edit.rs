//! The message editor: writes a changed copy of a parsed message once into
//! a caller's `BytesMut`, copying every unchanged byte as a slice of the
//! original (RFC 3261 §16.6 is what a proxy changes: Request-URI, Via,
//! Record-Route, Max-Forwards).
//!
//! Edits are recorded in an inline array (at most [`MAX_EDITS`]), so
//! editing allocates nothing; writing allocates only if `out` lacks
//! capacity. The normalizer ([`normalize`](super::normalize())) and topology hiding
//! ([`hide_topology`](super::hide_topology)) are modes and users of this
//! one writer.

use core::ops::Range;

use bytes::BytesMut;
use thiserror::Error;

use super::error::SipError;
use super::header::{Header, HeaderName};
use super::lexical::is_token_str;
use super::message::{Message, StartLine};
use super::normalize::{self, NormalizeConfig};

/// Most edits one [`Editor`] records (the inline array's size).
pub const MAX_EDITS: usize = 32;

/// Why an edit or a rewrite could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EditError {
    /// More than [`MAX_EDITS`] edits on one message.
    #[error("more than {limit} edits on one message")]
    TooManyEdits {
        /// The limit.
        limit: usize,
    },
    /// A header index past the last header field.
    #[error("no header field at index {index}")]
    NoSuchHeader {
        /// The index asked for.
        index: usize,
    },
    /// A byte range that is not inside the Request-URI or one header value.
    #[error("range {start}..{end} is not inside the Request-URI or one header value")]
    BadRange {
        /// Start of the range.
        start: usize,
        /// End of the range.
        end: usize,
    },
    /// Two edits change the same bytes or the same field.
    #[error("two edits change the same bytes (at byte {offset})")]
    Conflict {
        /// Where the edits meet.
        offset: usize,
    },
    /// An inserted header name that is not a token (RFC 3261 §25.1).
    #[error("header name is not a token")]
    InvalidName,
    /// A new value holding CR, LF or NUL (or, in the Request-URI, white
    /// space): it would inject a line, the classic header-injection hole.
    #[error("new value holds a forbidden byte at {offset}")]
    InvalidValue {
        /// Offset of the byte in the new value.
        offset: usize,
    },
    /// Max-Forwards reached 0: answer 483 Too Many Hops (RFC 3261 §16.3).
    #[error("Max-Forwards is 0: too many hops")]
    TooManyHops,
    /// The message does not follow the grammar an edit relies on.
    #[error(transparent)]
    Sip(#[from] SipError),
    /// A set to seal is larger than the configured bound.
    #[error("sealed set of {size} bytes exceeds {limit} bytes")]
    SealTooLarge {
        /// Size of the set.
        size: usize,
        /// The bound.
        limit: usize,
    },
    /// A sealed parameter failed to decode or authenticate: forged,
    /// tampered with, from another key or another call.
    #[error("sealed parameter invalid or tampered with")]
    SealInvalid,
}

impl EditError {
    /// The SIP status code to answer a request with when its forwarding
    /// fails for this reason: 483 for [`EditError::TooManyHops`], the
    /// parser's code for a grammar error, 400 for a forged seal, 500 for a
    /// local (configuration or capacity) failure.
    pub fn status_code(&self) -> u16 {
        match self {
            EditError::TooManyHops => 483,
            EditError::Sip(e) => e.status_code(),
            EditError::SealInvalid => 400,
            _ => 500,
        }
    }
}

/// Header fields whose removal is a bit rather than an edit slot, so
/// that stripping many headers (topology hiding) does not use up the
/// edits.
const REMOVED_BITS: usize = 256;

/// Marks a splice of the start line (instead of a header index).
const START_LINE: u32 = u32::MAX;

/// One recorded edit. Offsets are byte offsets into the message.
#[derive(Debug, Clone, Copy)]
enum Edit<'e> {
    /// Nothing (an unused slot of the inline array).
    Empty,
    /// Drop header field `index` (past the [`REMOVED_BITS`] bitset).
    Remove { index: u32 },
    /// Write a new field just before header field `before` (or at the end
    /// of the header section when `before` is the field count).
    Insert {
        before: u32,
        name: &'e str,
        value: &'e [u8],
    },
    /// Replace bytes `start..end` (inside the value of header `field`, or
    /// in the Request-URI) with `with`.
    Splice {
        field: u32,
        start: u32,
        end: u32,
        with: &'e [u8],
    },
    /// Write Max-Forwards field `index` with this value.
    MaxForwards { index: u32, value: u8 },
    /// Replace the body (Content-Length follows).
    Body(&'e [u8]),
}

/// Builds a new message from a parsed one: remove, replace, insert,
/// decrement Max-Forwards, replace the body; then [`Editor::write`] writes
/// the result once into a `BytesMut`, copying unchanged bytes as slices.
///
/// Every new name must be a token and no new value may hold CR, LF or NUL,
/// so an edit can never inject a header line. Unchanged bytes are copied
/// as they are: run [`Message::validate`] (and `sanity`) first, or combine
/// the edits with [`Editor::normalized`] to write the canonical form.
///
/// ```
/// use bytes::BytesMut;
/// use voipsec::sip::{Editor, HeaderName, Message};
/// let raw = b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
/// Max-Forwards: 70\r\n\
/// User-Agent: internal-pbx/1.2\r\n\
/// Call-ID: a@b\r\nCSeq: 1 OPTIONS\r\n\r\n";
/// let msg = Message::parse(raw)?;
/// let mut ed = Editor::new(&msg);
/// ed.insert_top(HeaderName::Via, b"SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKp1")?
///   .remove_all(HeaderName::UserAgent)?;
/// assert_eq!(ed.decrement_max_forwards()?, 69);
/// let mut out = BytesMut::with_capacity(512);
/// ed.write(&mut out)?;
/// let fwd = Message::parse(&out)?;
/// assert_eq!(fwd.top_via()?.branch(), Some("z9hG4bKp1"));
/// assert_eq!(fwd.vias().count(), 2);
/// assert_eq!(fwd.max_forwards()?, 69);
/// assert!(fwd.user_agent().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Editor<'m, 'a, 'e> {
    msg: &'m Message<'a>,
    edits: [Edit<'e>; MAX_EDITS],
    len: usize,
    removed: [u64; REMOVED_BITS / 64],
    normalize: Option<NormalizeConfig>,
}

/// `true` when `b` may not appear in a new header value.
fn forbidden_in_value(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0)
}

fn check_value(value: &[u8], forbidden: fn(u8) -> bool) -> Result<(), EditError> {
    match value.iter().position(|&b| forbidden(b)) {
        Some(offset) => Err(EditError::InvalidValue { offset }),
        None => Ok(()),
    }
}

impl<'m, 'a, 'e> Editor<'m, 'a, 'e> {
    /// An editor with no edits: [`Editor::write`] reproduces the message
    /// (its first `Content-Length` bytes of body, for a datagram).
    pub fn new(msg: &'m Message<'a>) -> Self {
        Editor {
            msg,
            edits: [Edit::Empty; MAX_EDITS],
            len: 0,
            removed: [0; REMOVED_BITS / 64],
            normalize: None,
        }
    }

    /// The message being edited.
    pub fn message(&self) -> &'m Message<'a> {
        self.msg
    }

    /// Writes the canonical form ([`normalize`](super::normalize())) with the edits applied.
    pub fn normalized(&mut self, config: NormalizeConfig) -> &mut Self {
        self.normalize = Some(config);
        self
    }

    fn recorded(&self) -> impl Iterator<Item = &Edit<'e>> + '_ {
        self.edits.iter().take(self.len)
    }

    fn push(&mut self, edit: Edit<'e>) -> Result<&mut Self, EditError> {
        let slot = self
            .edits
            .get_mut(self.len)
            .ok_or(EditError::TooManyEdits { limit: MAX_EDITS })?;
        *slot = edit;
        self.len += 1;
        Ok(self)
    }

    fn header(&self, index: usize) -> Result<Header<'a>, EditError> {
        self.msg
            .header_at(index)
            .ok_or(EditError::NoSuchHeader { index })
    }

    fn is_removed(&self, index: u32) -> bool {
        match self.removed.get(index as usize / 64) {
            Some(word) => word & (1 << (index % 64)) != 0,
            None => self
                .recorded()
                .any(|e| matches!(e, Edit::Remove { index: i } if *i == index)),
        }
    }

    /// Removes header field `index` (see [`Message::header_at`]).
    pub fn remove(&mut self, index: usize) -> Result<&mut Self, EditError> {
        self.header(index)?;
        let index = index as u32;
        if self.is_removed(index) {
            return Ok(self);
        }
        match self.removed.get_mut(index as usize / 64) {
            Some(word) => {
                *word |= 1 << (index % 64);
                Ok(self)
            }
            None => self.push(Edit::Remove { index }),
        }
    }

    /// Removes every field of a known kind (long or compact name).
    pub fn remove_all(&mut self, kind: HeaderName) -> Result<&mut Self, EditError> {
        for i in 0..self.msg.header_count() {
            if self.msg.header_at(i).is_some_and(|h| h.kind() == kind) {
                self.remove(i)?;
            }
        }
        Ok(self)
    }

    /// Removes every field with this name (compared as
    /// [`Message::header_named`] does).
    pub fn remove_named(&mut self, name: &str) -> Result<&mut Self, EditError> {
        let kind = HeaderName::from_bytes(name.as_bytes());
        for i in 0..self.msg.header_count() {
            let hit = self.msg.header_at(i).is_some_and(|h| {
                h.kind() == kind
                    && (kind != HeaderName::Other || h.name().eq_ignore_ascii_case(name))
            });
            if hit {
                self.remove(i)?;
            }
        }
        Ok(self)
    }

    /// Replaces the whole value of header field `index`.
    pub fn replace_value(&mut self, index: usize, value: &'e [u8]) -> Result<&mut Self, EditError> {
        let range = self.header(index)?.value_range();
        self.splice(range, value)
    }

    /// Replaces the bytes `range` of the message with `with`. The range
    /// must lie inside one header value or inside the Request-URI (offsets
    /// as given by [`Header::value_range`], [`Values::next_with_offset`](super::Values::next_with_offset),
    /// [`RequestLine::uri_offset`](super::RequestLine)); ranges may not overlap.
    pub fn splice(&mut self, range: Range<usize>, with: &'e [u8]) -> Result<&mut Self, EditError> {
        let (start, end) = (range.start, range.end);
        let bad = EditError::BadRange { start, end };
        if start > end {
            return Err(bad);
        }
        let field = match self.msg.request_line() {
            Some(r) if start >= r.uri_offset && end <= r.uri_offset + r.uri.len() => {
                check_value(with, |b| forbidden_in_value(b) || b == b' ' || b == b'\t')?;
                START_LINE
            }
            _ => {
                check_value(with, forbidden_in_value)?;
                let i = self
                    .msg
                    .headers()
                    .position(|h| {
                        let v = h.value_range();
                        start >= v.start && end <= v.end
                    })
                    .ok_or(bad)?;
                i as u32
            }
        };
        let overlaps = self.recorded().any(|e| match *e {
            Edit::Splice {
                start: s, end: t, ..
            } => (start as u32) < t && s < end as u32 || (start == end && s as usize == start),
            Edit::MaxForwards { index, .. } => index == field,
            _ => false,
        });
        if overlaps {
            return Err(EditError::Conflict { offset: start });
        }
        self.push(Edit::Splice {
            field,
            start: start as u32,
            end: end as u32,
            with,
        })
    }

    /// Replaces the Request-URI (a request only; the new URI may not
    /// hold white space, CR, LF or NUL).
    pub fn set_request_uri(&mut self, uri: &'e str) -> Result<&mut Self, EditError> {
        let r = self.msg.request_line().ok_or(SipError::WrongMessageKind {
            expected: "request",
        })?;
        self.splice(r.uri_offset..r.uri_offset + r.uri.len(), uri.as_bytes())
    }

    /// Inserts a new field `name: value` just before header field `index`
    /// (`index` equal to the field count appends it).
    pub fn insert_before(
        &mut self,
        index: usize,
        name: &'e str,
        value: &'e [u8],
    ) -> Result<&mut Self, EditError> {
        if index > self.msg.header_count() {
            return Err(EditError::NoSuchHeader { index });
        }
        if !is_token_str(name.as_bytes()) {
            return Err(EditError::InvalidName);
        }
        check_value(value, forbidden_in_value)?;
        self.push(Edit::Insert {
            before: index as u32,
            name,
            value,
        })
    }

    /// Inserts a field of `kind` above every existing field of that kind
    /// (RFC 3261 §16.6 steps 4 and 8: Record-Route and Via go on top),
    /// or at the top of the header section when there is none.
    pub fn insert_top(
        &mut self,
        kind: HeaderName,
        value: &'e [u8],
    ) -> Result<&mut Self, EditError> {
        if kind == HeaderName::Other {
            return Err(EditError::InvalidName);
        }
        let at = self
            .msg
            .headers()
            .position(|h| h.kind() == kind)
            .unwrap_or(0);
        self.insert_before(at, kind.as_str(), value)
    }

    /// Decrements Max-Forwards (RFC 3261 §16.6 step 3) and returns the new
    /// value; adds `Max-Forwards: 70` when the message has none. A request
    /// arriving with 0 is [`EditError::TooManyHops`] (answer 483, §16.3).
    pub fn decrement_max_forwards(&mut self) -> Result<u8, EditError> {
        let Some(index) = self
            .msg
            .headers()
            .position(|h| h.kind() == HeaderName::MaxForwards)
        else {
            self.insert_top(HeaderName::MaxForwards, b"70")?;
            return Ok(70);
        };
        let value = self
            .msg
            .max_forwards()?
            .checked_sub(1)
            .ok_or(EditError::TooManyHops)?;
        let index = index as u32;
        let taken = self.recorded().any(|e| match *e {
            Edit::Splice { field, .. } | Edit::MaxForwards { index: field, .. } => field == index,
            _ => false,
        });
        if taken {
            return Err(EditError::Conflict {
                offset: self.header(index as usize)?.value_range().start,
            });
        }
        self.push(Edit::MaxForwards { index, value })?;
        Ok(value)
    }

    /// Replaces the body; Content-Length is rewritten (or added) to match.
    pub fn replace_body(&mut self, body: &'e [u8]) -> Result<&mut Self, EditError> {
        if self.new_body().is_some() {
            return Err(EditError::Conflict {
                offset: self.msg.body_range().start,
            });
        }
        self.push(Edit::Body(body))
    }

    fn new_body(&self) -> Option<&'e [u8]> {
        self.recorded().find_map(|e| match *e {
            Edit::Body(b) => Some(b),
            _ => None,
        })
    }

    /// Upper bound of the output size (so that one reservation suffices).
    fn size_hint(&self) -> usize {
        let extra: usize = self
            .recorded()
            .map(|e| match *e {
                Edit::Insert { name, value, .. } => name.len() + value.len() + 4,
                Edit::Splice { with, .. } => with.len(),
                Edit::Body(b) => b.len() + 32,
                _ => 4,
            })
            .sum();
        // Normalizing may lengthen compact names (at most 19 bytes more
        // each, `Request-Disposition` for `d`) and adds Content-Length.
        let names = if self.normalize.is_some() {
            self.msg.header_count() * 20 + 32
        } else {
            0
        };
        self.msg.as_bytes().len() + extra + names
    }

    /// Writes the edited message at the end of `out` and returns the number
    /// of bytes written. Allocates only when `out` lacks the capacity.
    /// On error `out` is left as it was.
    pub fn write(&self, out: &mut BytesMut) -> Result<usize, EditError> {
        let before = out.len();
        let result = self.write_inner(out);
        match result {
            Ok(()) => Ok(out.len() - before),
            Err(e) => {
                out.truncate(before);
                Err(e)
            }
        }
    }

    fn write_inner(&self, out: &mut BytesMut) -> Result<(), EditError> {
        let limits = self.msg.limits();
        let base = out.len();
        out.reserve(self.size_hint());
        self.write_start_line(out)?;
        let body = self.new_body().unwrap_or(self.msg.body());
        let body_len = Digits::new(body.len());
        let recompute_length = self.normalize.is_some() || self.new_body().is_some();
        let mut has_length = false;
        let mut fields = 0usize;
        let count = self.msg.header_count();
        // Most fields have no edit: skip the scans of the edit list then.
        let has_inserts = self.recorded().any(|e| matches!(e, Edit::Insert { .. }));
        let has_max_forwards = self
            .recorded()
            .any(|e| matches!(e, Edit::MaxForwards { .. }));
        for (i, h) in self.msg.headers().enumerate() {
            let i = i as u32;
            let from = out.len();
            if has_inserts {
                fields += self.write_inserts(i, out);
            }
            if !(self.is_removed(i) || self.normalize.is_some() && normalize::drops(&h)) {
                let value = if h.kind() == HeaderName::ContentLength && recompute_length {
                    has_length = true;
                    Some(body_len)
                } else if !has_max_forwards {
                    None
                } else {
                    self.recorded().find_map(|e| match *e {
                        Edit::MaxForwards { index, value } if index == i => {
                            Some(Digits::new(value.into()))
                        }
                        _ => None,
                    })
                };
                fields += self.write_field(i, &h, value.as_ref().map(Digits::as_bytes), out);
            }
            check_lines(out, from, base, limits.max_line_length)?;
        }
        let from = out.len();
        fields += self.write_inserts(count as u32, out);
        if recompute_length && !has_length {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(body_len.as_bytes());
            out.extend_from_slice(b"\r\n");
            fields += 1;
        }
        check_lines(out, from, base, limits.max_line_length)?;
        if fields > limits.max_headers {
            return Err(SipError::TooManyHeaders {
                limit: limits.max_headers,
            }
            .into());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        let size = out.len() - base;
        if size > limits.max_message_size {
            return Err(SipError::MessageTooLarge {
                size,
                limit: limits.max_message_size,
            }
            .into());
        }
        Ok(())
    }

    fn write_start_line(&self, out: &mut BytesMut) -> Result<(), EditError> {
        let base = out.len();
        // Bytes after the Request-URI on the line (" SIP/2.0" as sent or canonical).
        let mut tail = 0;
        match (self.normalize, self.msg.start_line()) {
            (None, start) => {
                let line = self.msg.start_line_range();
                if let StartLine::Request(r) = start {
                    tail = line.end.saturating_sub(r.uri_offset + r.uri.len());
                }
                self.put_span(line, START_LINE, false, out);
            }
            (Some(_), StartLine::Request(r)) => {
                out.extend_from_slice(r.method.as_str().as_bytes());
                out.extend_from_slice(b" ");
                let end = normalize::request_uri_end(self.msg)?;
                self.put_span(r.uri_offset..end, START_LINE, false, out);
                out.extend_from_slice(b" SIP/2.0");
                tail = 8;
            }
            (Some(_), StartLine::Response(s)) => {
                out.extend_from_slice(b"SIP/2.0 ");
                out.extend_from_slice(Digits::new(s.code.into()).as_bytes());
                out.extend_from_slice(b" ");
                out.extend_from_slice(s.reason);
            }
        }
        let limits = self.msg.limits();
        let len = out.len() - base;
        if let Some(r) = self.msg.request_line() {
            let uri_len = len.saturating_sub(r.uri_offset + tail);
            if uri_len > limits.max_uri_length {
                return Err(SipError::UriTooLong {
                    offset: r.uri_offset,
                    limit: limits.max_uri_length,
                }
                .into());
            }
        }
        out.extend_from_slice(b"\r\n");
        check_lines(out, base, base, limits.max_line_length)
    }

    fn write_inserts(&self, before: u32, out: &mut BytesMut) -> usize {
        let mut fields = 0;
        for e in self.recorded() {
            if let Edit::Insert {
                before: b,
                name,
                value,
            } = *e
                && b == before
            {
                let name = match self.normalize {
                    Some(_) => normalize::canonical_name(name),
                    None => name,
                };
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(if value.is_empty() { b":" } else { b": " });
                out.extend_from_slice(value);
                out.extend_from_slice(b"\r\n");
                fields += 1;
            }
        }
        fields
    }

    /// Writes header field `i`: raw prefix and suffix (or the canonical
    /// name and CRLF when normalizing), the value with its splices, or
    /// `value` instead of it.
    fn write_field(
        &self,
        i: u32,
        h: &Header<'a>,
        value: Option<&[u8]>,
        out: &mut BytesMut,
    ) -> usize {
        let raw = self.msg.as_bytes();
        let line = h.line_range();
        let v = h.value_range();
        let Some(config) = self.normalize else {
            out.extend_from_slice(raw.get(line.start..v.start).unwrap_or_default());
            match value {
                Some(value) => out.extend_from_slice(value),
                None => self.put_span(v.clone(), i, false, out),
            }
            out.extend_from_slice(raw.get(v.end..line.end).unwrap_or_default());
            return 1;
        };
        let name = h.canonical_name();
        if value.is_none() && config.one_value_per_line {
            let n = self.write_split(i, h, name, out);
            if n > 0 {
                return n;
            }
        }
        let empty = value.map_or(v.is_empty() && !self.has_splice(i), <[u8]>::is_empty);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(if empty { b":" } else { b": " });
        match value {
            Some(value) => out.extend_from_slice(value),
            // Only a folded field can hold a CRLF to unfold.
            None => self.put_span(v, i, h.is_folded(), out),
        }
        out.extend_from_slice(b"\r\n");
        1
    }

    /// One field per value for list headers (RFC 3261 §7.3.1 makes the
    /// forms equivalent); returns the number of fields. Declines (returns
    /// 0, writes nothing) when
    /// the field is not a list, holds an empty element, is not UTF-8, or a
    /// splice crosses an element boundary.
    fn write_split(&self, i: u32, h: &Header<'a>, name: &str, out: &mut BytesMut) -> usize {
        if !h.kind().is_list() || h.value_str().is_none() {
            return 0;
        }
        let elements = || {
            let mut values = h.values();
            core::iter::from_fn(move || values.next_with_offset())
        };
        if elements().count() < 2 || elements().any(|(_, v)| v.is_empty()) {
            return 0;
        }
        let contained = self.recorded().all(|e| match *e {
            Edit::Splice {
                field, start, end, ..
            } if field == i => {
                elements().any(|(at, v)| at <= start as usize && end as usize <= at + v.len())
            }
            _ => true,
        });
        if !contained {
            return 0;
        }
        let mut n = 0;
        for (at, v) in elements() {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            self.put_span(at..at + v.len(), i, h.is_folded(), out);
            out.extend_from_slice(b"\r\n");
            n += 1;
        }
        n
    }

    fn has_splice(&self, i: u32) -> bool {
        self.recorded()
            .any(|e| matches!(e, Edit::Splice { field, .. } if *field == i))
    }

    /// Writes the message bytes `range` with the splices of `field` that
    /// lie inside it applied in order, unfolding folded lines if asked.
    fn put_span(&self, range: Range<usize>, field: u32, unfold: bool, out: &mut BytesMut) {
        let raw = self.msg.as_bytes();
        let put = |r: Range<usize>, out: &mut BytesMut| {
            let bytes = raw.get(r).unwrap_or_default();
            if unfold {
                normalize::put_unfolded(bytes, out);
            } else {
                out.extend_from_slice(bytes);
            }
        };
        if self.len == 0 {
            put(range, out);
            return;
        }
        let mut cursor = range.start;
        // Splices in order of (start, recording order), without sorting.
        let mut last: Option<(u32, usize)> = None;
        loop {
            let next = self
                .edits
                .iter()
                .take(self.len)
                .enumerate()
                .filter_map(|(k, e)| match *e {
                    Edit::Splice {
                        field: f,
                        start,
                        end,
                        with,
                    } if f == field
                        && start as usize >= range.start
                        && end as usize <= range.end
                        && last.is_none_or(|l| (start, k) > l) =>
                    {
                        Some(((start, k), end, with))
                    }
                    _ => None,
                })
                .min_by_key(|(key, _, _)| *key);
            let Some(((start, k), end, with)) = next else {
                break;
            };
            put(cursor..start as usize, out);
            out.extend_from_slice(with);
            cursor = end as usize;
            last = Some((start, k));
        }
        put(cursor..range.end, out);
    }
}

/// Checks that no physical line written since `from` is longer than
/// `max` (the parser's [`Limits::max_line_length`](super::Limits)), so
/// that the output parses under the limits of its input.
fn check_lines(out: &BytesMut, from: usize, base: usize, max: usize) -> Result<(), EditError> {
    let written = out.get(from..).unwrap_or_default();
    if written.len() <= max {
        return Ok(());
    }
    let mut start = 0;
    for end in memchr::memchr_iter(b'\r', written) {
        if end - start > max {
            break;
        }
        start = end + 2;
    }
    if written
        .get(start..)
        .and_then(|rest| memchr::memchr(b'\r', rest))
        .unwrap_or(written.len() - start)
        > max
    {
        return Err(SipError::LineTooLong {
            offset: from - base + start,
            limit: max,
        }
        .into());
    }
    Ok(())
}

/// A number in decimal, on the stack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    pub(crate) fn new(mut n: usize) -> Self {
        let mut buf = [b'0'; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            if let Some(d) = buf.get_mut(start) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || start == 0 {
                break;
            }
        }
        Digits { buf, start }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        assert_eq!(Digits::new(0).as_bytes(), b"0");
        assert_eq!(Digits::new(69).as_bytes(), b"69");
        assert_eq!(
            Digits::new(usize::MAX).as_bytes(),
            usize::MAX.to_string().as_bytes()
        );
    }
}
