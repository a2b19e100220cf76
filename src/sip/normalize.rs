//! The canonical form of a message (so that two parsers can never disagree
//! about it): long header names in canonical case, `Name: value` with one
//! space, folded lines unfolded, trailing white space removed, optionally
//! one value per line for list headers, Content-Length recomputed; header
//! order and body bytes preserved.
//!
//! ```
//! use bytes::BytesMut;
//! use voipsec::sip::{Message, normalize::{Options, normalize}};
//! let raw = b"OPTIONS sip:a@b SIP/2.0\r\nv : SIP/2.0/UDP h;branch=z9hG4bK1\r\ni:x\r\nSubject: a\r\n  b \r\n\r\n";
//! let mut out = BytesMut::with_capacity(256);
//! normalize(&Message::parse(raw).unwrap(), &Options::default(), &mut out);
//! assert_eq!(&out[..], &b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\nSubject: a b\r\nContent-Length: 0\r\n\r\n"[..]);
//! ```

use bytes::BufMut;
/// The output buffer type, re-exported so callers need no direct `bytes`
/// dependency.
pub use bytes::BytesMut;

use super::header::{Header, HeaderName};
use super::message::{Message, StartLine};

/// Normalizer options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Write each value of a list header (Via, Contact, Route...) on its
    /// own line.
    pub one_value_per_line: bool,
}

/// Writes the canonical form of `msg` into `out`. Allocates nothing beyond
/// growing `out` when its capacity is short. Run it on messages that passed
/// [`Message::validate`]: it rewrites framing, not grammar.
pub fn normalize(msg: &Message<'_>, options: &Options, out: &mut BytesMut) {
    match msg.start_line() {
        StartLine::Request(r) => {
            out.put_slice(r.method.as_str().as_bytes());
            out.put_u8(b' ');
            out.put_slice(r.uri.as_bytes());
            out.put_slice(b" SIP/2.0\r\n");
        }
        StartLine::Response(s) => {
            out.put_slice(b"SIP/2.0 ");
            put_decimal(out, u64::from(s.code));
            out.put_u8(b' ');
            out.put_slice(s.reason);
            out.put_slice(b"\r\n");
        }
    }
    let body = msg.body();
    let mut wrote_length = false;
    for h in msg.headers() {
        if h.kind() == HeaderName::ContentLength {
            if !wrote_length {
                put_content_length(out, body.len());
                wrote_length = true;
            }
            continue;
        }
        let name = match h.kind() {
            HeaderName::Other => h.name(),
            kind => kind.as_str(),
        };
        if options.one_value_per_line && h.kind().is_list() && h.value_str().is_some() {
            // Empty list elements carry nothing; dropping them is what
            // makes the output a fixed point.
            for value in h.values().filter(|v| !v.is_empty()) {
                put_field(out, name, value.as_bytes());
            }
        } else {
            put_field(out, name, h.value());
        }
    }
    if !wrote_length {
        put_content_length(out, body.len());
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
}

fn put_content_length(out: &mut BytesMut, n: usize) {
    out.put_slice(b"Content-Length: ");
    put_decimal(out, n as u64);
    out.put_slice(b"\r\n");
}

fn put_decimal(out: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.put_slice(digits.get(i..).unwrap_or_default());
}

/// `Name: value CRLF`, the value unfolded: each CRLF with the white space
/// around it becomes one space (RFC 3261 §7.3.1: folding is equivalent to
/// one SP).
fn put_field(out: &mut BytesMut, name: &str, value: &[u8]) {
    out.put_slice(name.as_bytes());
    out.put_u8(b':');
    if !value.is_empty() {
        out.put_u8(b' ');
        let mut rest = value;
        while let Some(cr) = memchr::memchr(b'\r', rest) {
            let (line, tail) = rest.split_at(cr);
            out.put_slice(trim_trailing(line));
            let tail = tail.get(2..).unwrap_or_default();
            let ws = tail
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
            rest = tail.get(ws..).unwrap_or_default();
            out.put_u8(b' ');
        }
        out.put_slice(rest);
    }
    out.put_slice(b"\r\n");
}

fn trim_trailing(s: &[u8]) -> &[u8] {
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    s.get(..end).unwrap_or_default()
}

/// Bytes [`normalize`] writes at most with default [`Options`] (a capacity
/// hint: reserve it and normalizing allocates nothing).
pub fn capacity_hint(msg: &Message<'_>) -> usize {
    // Long names are at most 16 bytes longer than compact ones; the
    // recomputed Content-Length line is at most 40 bytes.
    msg.as_bytes().len()
        + 40
        + msg
            .headers()
            .map(|h: Header<'_>| if h.is_compact() { 20 } else { 4 })
            .sum::<usize>()
}
