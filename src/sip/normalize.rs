//! The canonical form of a message, so that two parsers can never read it
//! differently: written by the [`Editor`]'s writer in normalizing mode.
//!
//! What changes (and why it is safe, RFC 3261 §7.3.1 and §25.1):
//!
//! * compact names become long names, known names get their canonical
//!   case (`v` → `Via`, `cALL-iD` → `Call-ID`); unknown names are kept as
//!   sent (names compare case-insensitively, any case is canonical);
//! * no white space before the colon, exactly one SP after it (none when
//!   the value is empty), no trailing white space;
//! * folded lines are unfolded: each `*WSP CRLF 1*WSP` becomes one SP;
//! * optionally, list headers get one value per field;
//! * Content-Length is recomputed from the body (and added if absent);
//! * the start line is rebuilt with single spaces and `SIP/2.0`;
//! * defects RFC 4475 §3.1.2 lets an element tolerate are removed rather
//!   than forwarded: `?headers` in the Request-URI (§3.1.2.11, never
//!   allowed there by RFC 3261 §19.1.1) and a Date that is not an
//!   RFC 1123 date in GMT (§3.1.2.12, RFC 3261 §20.17) are dropped.
//!
//! Header order and body bytes are preserved.

use bytes::BytesMut;

use super::edit::{Digits, EditError, Editor};
use super::header::{FOLDED, Header, HeaderName, SPACE_BEFORE_COLON};
use super::lexical;
use super::message::{Message, StartLine};
use crate::swar::same_bytes;

/// What the normalizer may change beyond the fixed canonical rules.
///
/// ```
/// use voipsec::sip::NormalizeConfig;
/// let split = NormalizeConfig { one_value_per_line: true, ..NormalizeConfig::default() };
/// assert!(!NormalizeConfig::default().one_value_per_line);
/// # let _ = split;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NormalizeConfig {
    /// Write each value of a list header (Via, Route, Contact, Allow... see
    /// [`HeaderName::is_list`]) as its own field, in order. Fields with an
    /// empty element are left joined.
    pub one_value_per_line: bool,
}

/// Writes the canonical form of `msg` at the end of `out` and returns the
/// number of bytes written; allocates only when `out` lacks capacity.
/// Fails when a request's Request-URI holds a `?` and does not parse, or
/// when the canonical form would break the message's [`Limits`](super::Limits)
/// (an unfolded line too long, too many fields once split).
///
/// Normalizing is idempotent, and the output parses to the same start
/// line, headers (modulo folding and white space) and body.
///
/// ```
/// use bytes::BytesMut;
/// use voipsec::sip::{Message, NormalizeConfig, normalize};
/// let raw = b"INVITE sip:bob@example.com?Route=%3Csip:x%3E sip/2.0\r\n\
/// v : SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1   \r\n\
/// i:a@b\r\n\
/// subject: lunch\r\n  tomorrow\r\n\
/// l: 4\r\n\r\nbody";
/// let msg = Message::parse(raw)?;
/// let mut out = BytesMut::with_capacity(256);
/// normalize(&msg, &NormalizeConfig::default(), &mut out)?;
/// assert_eq!(&out[..], &b"INVITE sip:bob@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
/// Call-ID: a@b\r\n\
/// Subject: lunch tomorrow\r\n\
/// Content-Length: 4\r\n\r\nbody"[..]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize(
    msg: &Message<'_>,
    config: &NormalizeConfig,
    out: &mut BytesMut,
) -> Result<usize, EditError> {
    // Most traffic is already canonical: then the canonical form is the
    // message itself, one copy (every limit held when it parsed, and the
    // bytes are the same).
    if !config.one_value_per_line && is_canonical(msg) {
        let bytes = msg.as_bytes();
        out.extend_from_slice(bytes);
        return Ok(bytes.len());
    }
    Editor::new(msg).normalized(*config).write(out)
}

/// True when the message is already in the canonical form the [`Editor`]
/// writes: the start line rebuilt as is, every field `Name: value` CRLF
/// with its canonical name, no fold, nothing dropped, and a Content-Length
/// that states the body length.
fn is_canonical(msg: &Message<'_>) -> bool {
    let raw = msg.as_bytes();
    let at = |r: core::ops::Range<usize>| raw.get(r).unwrap_or_default();
    let line_end = msg.start_line_range().end;
    let start_ok = match msg.start_line() {
        StartLine::Request(r) => {
            // The parse took the method as the bytes before the first SP
            // and `Method::from_token` matches them exactly (methods are
            // case-sensitive, RFC 3261 §7.1): `as_str` spells what was
            // sent, so the method and its single SP need no compare.
            let method = r.method.as_str().as_bytes();
            let uri_end = r.uri_offset + r.uri.len();
            r.uri_offset == method.len() + 1
                && !lexical::contains_byte(r.uri.as_bytes(), b'?')
                && at(uri_end..line_end) == b" SIP/2.0"
        }
        StartLine::Response(s) => {
            at(0..8) == b"SIP/2.0 "
                && at(8..11) == Digits::new(s.code.into()).as_bytes()
                && at(11..12) == b" "
                && at(12..line_end) == s.reason
        }
    };
    if !start_ok {
        return false;
    }
    let body_len = msg.body().len();
    let raw_len = raw.len();
    let mut has_length = false;
    // Fields are contiguous (the indexer reads line after line), the first
    // right after the start line: only each field's own layout is checked.
    // The entries are read in plain slice loops, the spelling from a table
    // and compared word-wise in line (through `headers()`, the `as_str`
    // match and a call per field: normalize 1.9k -> 1.2k instructions).
    for part in msg.header_entries() {
        for e in part {
            let name_end = usize::from(e.name_start) + usize::from(e.name_len);
            let value_start = usize::from(e.value_start);
            let value_end = usize::from(e.value_end);
            // `Name: value` CRLF on one line: no white space before the
            // colon (nor a fold) puts the colon at the name's end; the
            // value two bytes on leaves one byte between, which the parse
            // took as SP or HT: it must be SP.
            let laid_out =
                (value_start ^ (name_end + 2)) | (usize::from(e.line_end) ^ (value_end + 2)) == 0
                    && value_end > value_start
                    && value_end <= raw_len
                    && raw.get(name_end + 1) == Some(&b' ')
                    && e.flags & (FOLDED | SPACE_BEFORE_COLON) == 0;
            if !laid_out {
                return false;
            }
            if e.kind != HeaderName::Other
                && !same_bytes(at(usize::from(e.name_start)..name_end), e.kind.long_name())
            {
                return false;
            }
            // The value's bytes are sliced only for the two kinds that
            // read them (sliced for every field, it cost 11 instructions
            // a field).
            if matches!(e.kind, HeaderName::ContentLength | HeaderName::Date) {
                let text = at(value_start..value_end);
                if e.kind == HeaderName::Date {
                    if !is_sip_date(text) {
                        return false;
                    }
                } else if states_length(text, body_len) {
                    has_length = true;
                } else {
                    return false;
                }
            }
        }
    }
    let end = msg.headers_range().end;
    has_length && at(end..end + 2) == b"\r\n" && end + 2 == msg.body_range().start
}

/// True when `text` is `n` in canonical decimal: digits without a leading
/// zero (parsed and compared rather than `n` formatted and compared).
#[inline]
fn states_length(text: &[u8], n: usize) -> bool {
    (text.len() == 1 || text.first() != Some(&b'0'))
        && lexical::parse_digits(text) == Some(n as u64)
}

/// The canonical spelling of a header name: the long name for a known one
/// (compact forms included), the name as sent otherwise.
pub(crate) fn canonical_name(name: &str) -> &str {
    match HeaderName::from_bytes(name.as_bytes()) {
        HeaderName::Other => name,
        known => known.as_str(),
    }
}

/// True for fields the canonical form drops: a Date that is not an RFC
/// 1123 date in GMT (RFC 3261 §20.17; RFC 4475 §3.1.2.12).
pub(crate) fn drops(h: &Header<'_>) -> bool {
    h.kind() == HeaderName::Date && !is_sip_date(h.value())
}

/// Where the canonical Request-URI ends: before `?headers`, which RFC 3261
/// §19.1.1 does not allow in a Request-URI (a proxy must not forward them,
/// RFC 4475 §3.1.2.11).
pub(crate) fn request_uri_end(msg: &Message<'_>) -> Result<usize, EditError> {
    let r = msg
        .request_line()
        .ok_or(super::SipError::WrongMessageKind {
            expected: "request",
        })?;
    let end = r.uri_offset + r.uri.len();
    // The common case has no `?` at all: no need to parse the URI to know
    // there are no headers (a `?` may also sit in the user part).
    if memchr::memchr(b'?', r.uri.as_bytes()).is_none() {
        return Ok(end);
    }
    let uri = msg.request_uri()?;
    Ok(match uri.headers() {
        Some(h) => end - h.len() - 1,
        None => end,
    })
}

/// Appends `bytes` with every fold (`*WSP CRLF 1*WSP`, RFC 3261 §7.3.1)
/// replaced by one SP.
pub(crate) fn put_unfolded(bytes: &[u8], out: &mut BytesMut) {
    unfold(bytes, |b| out.extend_from_slice(b));
}

/// Hands `bytes` to `put` piece by piece, every fold replaced by one SP
/// (a run of folds and blank continuation lines too: it is all LWS).
pub(crate) fn unfold(bytes: &[u8], mut put: impl FnMut(&[u8])) {
    let mut rest = bytes;
    while let Some(cr) = memchr::memchr(b'\r', rest) {
        let line = rest.get(..cr).unwrap_or_default();
        let kept = line
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |i| i + 1);
        put(line.get(..kept).unwrap_or_default());
        put(b" ");
        let mut next = cr + 1;
        while rest
            .get(next)
            .is_some_and(|&b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        {
            next += 1;
        }
        rest = rest.get(next..).unwrap_or_default();
    }
    put(rest);
}

/// `rfc1123-date = wkday "," SP date1 SP time SP "GMT"` (RFC 3261 §25.1),
/// e.g. `Sat, 13 Nov 2010 23:29:00 GMT`.
fn is_sip_date(v: &[u8]) -> bool {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let at = |r: core::ops::Range<usize>| v.get(r).unwrap_or_default();
    let one_of = |s: &[u8], set: &[&[u8]]| set.iter().any(|w| w.eq_ignore_ascii_case(s));
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    v.len() == 29
        && one_of(at(0..3), &DAYS)
        && at(3..5) == b", "
        && digits(at(5..7))
        && at(7..8) == b" "
        && one_of(at(8..11), &MONTHS)
        && at(11..12) == b" "
        && digits(at(12..16))
        && at(16..17) == b" "
        && digits(at(17..19))
        && at(19..20) == b":"
        && digits(at(20..22))
        && at(22..23) == b":"
        && digits(at(23..25))
        && at(25..26) == b" "
        && at(26..29).eq_ignore_ascii_case(b"GMT")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_sip_date(b"Sat, 13 Nov 2010 23:29:00 GMT"));
        assert!(!is_sip_date(b"Fri, 01 Jan 2010 16:00:00 EST"));
        assert!(!is_sip_date(b"Sat, 13 Nov 2010 23:29:00 GMT "));
        assert!(!is_sip_date(b""));
    }

    #[test]
    fn length_statements() {
        assert!(states_length(b"250", 250));
        assert!(states_length(b"0", 0));
        assert!(!states_length(b"0250", 250));
        assert!(!states_length(b"00", 0));
        assert!(!states_length(b"", 0));
        assert!(!states_length(b"25a", 25));
        assert!(!states_length(b"251", 250));
        assert!(states_length(
            b"1234567890123456789",
            1_234_567_890_123_456_789
        ));
        assert!(!states_length(b"99999999999999999999999", 0));
    }

    /// A message one defect away from canonical is rewritten, never
    /// copied: each rule of the canonical check is needed.
    #[test]
    fn one_defect_away_is_rewritten() {
        let canonical = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 2\r\n\r\nhi";
        let msg = Message::parse(canonical.as_bytes()).unwrap();
        assert!(is_canonical(&msg));
        for defect in [
            ("Call-ID: x", "Call-ID:\tx"),
            ("Call-ID: x", "Call-ID:  x"),
            ("Call-ID: x", "Call-ID :x"),
            ("Call-ID: x", "Call-ID : x"),
            ("Call-ID: x", "Call-ID:x"),
            ("Call-ID: x", "Call-ID: x "),
            ("Call-ID: x", "Call-Id: x"),
            ("Call-ID: x", "i: x"),
            ("Call-ID: x", "Call-ID: x\r\n y"),
            ("Length: 2", "Length: 02"),
            ("Length: 2", "Length:  2"),
            ("SIP/2.0\r\n", "sip/2.0\r\n"),
        ] {
            let text = canonical.replacen(defect.0, defect.1, 1);
            let msg = Message::parse(text.as_bytes()).unwrap();
            assert!(!is_canonical(&msg), "{text:?}");
            let mut out = BytesMut::new();
            normalize(&msg, &NormalizeConfig::default(), &mut out).unwrap();
            // The fold becomes one SP inside the value; every other
            // defect is gone without a trace.
            let expected = if defect.1.contains(" y") {
                canonical.replacen("Call-ID: x", "Call-ID: x y", 1)
            } else {
                canonical.to_owned()
            };
            assert_eq!(String::from_utf8_lossy(&out), expected, "{text:?}");
        }
    }

    #[test]
    fn unfolding() {
        let mut out = BytesMut::new();
        put_unfolded(b"a \t\r\n  b\r\n\tc", &mut out);
        assert_eq!(&out[..], b"a b c");
    }
}
