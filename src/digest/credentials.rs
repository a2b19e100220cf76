//! Zero-copy parser for `Authorization` / `Proxy-Authorization` header
//! values (RFC 3261 §25.1 `credentials`, RFC 7616 §3.4).
//!
//! The parser borrows every value from the input and never allocates. It
//! accepts parameters in any order, tokens or quoted strings for every
//! value (real clients quote `qop` and `algorithm` although the grammar says
//! token), ignores unknown parameters (up to a limit) and refuses a header in
//! which a known parameter appears twice: two `response=` values are either
//! a bug or an attempt to make two implementations disagree.

use core::fmt;

use super::DigestError;
use crate::swar::{bytes_below, bytes_equal, splat};

/// Longest username (after unescaping / RFC 8187 decoding) the verifier
/// handles, in bytes.
pub const MAX_USERNAME_LEN: usize = 256;

/// Hard ceiling on the header length, above any [`ParseLimits::max_len`]:
/// [`Credentials`] records value positions as 32-bit offsets, which keeps
/// it at ~120 bytes (returned by value on every parse) instead of ~220.
const MAX_HEADER_LEN: usize = u32::MAX as usize;

/// Bounds the parser enforces on hostile input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Longest header value accepted, in bytes. Values longer than
    /// `u32::MAX` bytes (4 GiB) are refused whatever this says: parsed
    /// credentials keep value positions as 32-bit offsets.
    pub max_len: usize,
    /// Most parameters accepted (known and unknown together).
    pub max_params: usize,
}

impl Default for ParseLimits {
    /// 4 KiB and 32 parameters: a real Authorization is ~300 bytes and has
    /// at most 12 parameters.
    fn default() -> Self {
        ParseLimits {
            max_len: 4096,
            max_params: 32,
        }
    }
}

/// One parameter value, borrowed from the header.
///
/// For a quoted string, [`raw`](Self::raw) is the text between the quotes
/// with its backslash escapes still in place; [`chunks`](Self::chunks)
/// yields the unescaped value in pieces without copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamValue<'a> {
    raw: &'a [u8],
    offset: usize,
    quoted: bool,
    escaped: bool,
}

impl<'a> ParamValue<'a> {
    /// The value as written (without surrounding quotes, escapes kept).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Byte offset of the value in the header value.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Whether the value was a quoted-string.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// The value itself when it contains no escapes (the usual case).
    pub fn unescaped(&self) -> Option<&'a [u8]> {
        (!self.escaped).then_some(self.raw)
    }

    /// The unescaped value as consecutive slices of the input (a quoted-pair
    /// `\x` stands for `x`, RFC 3261 §25.1).
    pub fn chunks(&self) -> Chunks<'a> {
        Chunks {
            rest: self.raw,
            escaped: self.escaped,
            first: true,
        }
    }

    /// Length of the unescaped value.
    pub fn len(&self) -> usize {
        self.chunks().map(<[u8]>::len).sum()
    }

    /// Whether the unescaped value is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Whether the unescaped value equals `other`, byte for byte.
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        let mut rest = other;
        for chunk in self.chunks() {
            match rest.split_at_checked(chunk.len()) {
                Some((head, tail)) if head == chunk => rest = tail,
                _ => return false,
            }
        }
        rest.is_empty()
    }

    /// Copies the unescaped value into `buf` and returns it, or `None` when
    /// it does not fit. Borrows the input directly when there is nothing to
    /// unescape.
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]>
    where
        'a: 'b,
    {
        if !self.escaped {
            return Some(self.raw);
        }
        let mut len = 0usize;
        for chunk in self.chunks() {
            let end = len.checked_add(chunk.len())?;
            buf.get_mut(len..end)?.copy_from_slice(chunk);
            len = end;
        }
        buf.get(..len)
    }
}

/// Iterator over the unescaped pieces of a [`ParamValue`].
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    rest: &'a [u8],
    escaped: bool,
    first: bool,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        if !self.escaped {
            let all = self.rest;
            self.rest = &[];
            return Some(all);
        }
        // After the first chunk, `rest` starts right after a backslash: its
        // first byte is the escaped character and is never itself an escape.
        let search_from = usize::from(!self.first);
        self.first = false;
        let tail = self.rest.get(search_from..).unwrap_or(&[]);
        let end = match memchr::memchr(b'\\', tail) {
            Some(pos) => search_from + pos,
            None => self.rest.len(),
        };
        let (chunk, rest) = self.rest.split_at(end.min(self.rest.len()));
        // Skip the backslash introducing the next quoted-pair.
        self.rest = rest.get(1..).unwrap_or(&[]);
        Some(chunk)
    }
}

/// The parsed parameters of `Digest` credentials, borrowed from the header.
///
/// Presence of the parameters every response needs (`username` or
/// `username*`, `realm`, `nonce`, `uri`, `response`) is checked by
/// [`Credentials::parse`]; the meaning of the values is the verifier's job.
///
/// ```
/// use voipsec::digest::Credentials;
/// let value = br#"Digest username="alice",realm="sip.example.test",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5070",nonce="4a1f0c2b9d7e6f5a3c8b1e0d2f4a6c8e",response="2fa6b4aaad3b8afec4811021241125bd",algorithm=MD5,opaque="op4que""#;
/// let creds = Credentials::parse(value).unwrap();
/// assert!(creds.username().unwrap().eq_bytes(b"alice"));
/// assert_eq!(creds.nc().unwrap().raw(), b"00000001");
/// assert_eq!(creds.nonce_count().unwrap(), Some(1));
/// ```
#[derive(Clone, Copy, Default)]
pub struct Credentials<'a> {
    // Where each known parameter's value lies in `input`, plus three bit
    // sets (bit i for KNOWN[i]) rather than twelve `Option<ParamValue>`:
    // ~120 bytes instead of ~400 to initialise and return per parse, and
    // presence and duplicate checks become mask tests. The accessors build
    // the `ParamValue`s.
    input: &'a [u8],
    spans: [Span; KNOWN.len()],
    present: u16,
    quoted: u16,
    escaped: u16,
}

/// Where a value lies in the header: `input[start..end]`.
#[derive(Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// `input[start..end]` of a header no longer than [`MAX_HEADER_LEN`].
    fn new(start: usize, end: usize) -> Span {
        // Both fit (no truncation): the parser refuses longer headers first.
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    fn start(self) -> usize {
        self.start as usize
    }

    fn end(self) -> usize {
        self.end as usize
    }
}

impl fmt::Debug for Credentials<'_> {
    /// As a struct of the known parameters, each `Option<ParamValue>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Credentials");
        for (index, name) in KNOWN.iter().enumerate() {
            // The field names of the struct this was: `username*` is the
            // one parameter name that is not a Rust identifier.
            let field = if index == USERNAME_EXT {
                "username_ext"
            } else {
                name
            };
            out.field(field, &self.param(index));
        }
        out.finish()
    }
}

impl PartialEq for Credentials<'_> {
    /// Equal when every known parameter's value is (unknown parameters and
    /// the rest of the header do not count).
    fn eq(&self, other: &Self) -> bool {
        (0..KNOWN.len()).all(|index| self.param(index) == other.param(index))
    }
}

impl Eq for Credentials<'_> {}

/// Bit of `KNOWN[index]` in the bit sets; 0 for [`UNKNOWN`].
const fn bit(index: usize) -> u16 {
    if index < KNOWN.len() { 1 << index } else { 0 }
}

/// Index standing for any parameter name not in [`KNOWN`].
const UNKNOWN: usize = KNOWN.len();

const USERNAME: usize = 0;
const USERNAME_EXT: usize = 1;
const REALM: usize = 2;
const NONCE: usize = 3;
const URI: usize = 4;
const RESPONSE: usize = 5;
const ALGORITHM: usize = 6;
const CNONCE: usize = 7;
const OPAQUE: usize = 8;
const QOP: usize = 9;
const NC: usize = 10;
const USERHASH: usize = 11;

/// Known parameter names, in the order of the fields above (and of the
/// index constants).
const KNOWN: [&str; 12] = [
    "username",
    "username*",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "opaque",
    "qop",
    "nc",
    "userhash",
];

impl<'a> Credentials<'a> {
    /// Parses a header value with the default [`ParseLimits`].
    ///
    /// # Errors
    /// [`DigestError::NotDigest`] for another auth-scheme, otherwise the
    /// syntax error and its byte offset.
    pub fn parse(value: &'a [u8]) -> Result<Credentials<'a>, DigestError> {
        Credentials::parse_with(value, &ParseLimits::default())
    }

    /// [`parse`](Self::parse) for a `&str` header value.
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn parse_str(value: &'a str) -> Result<Credentials<'a>, DigestError> {
        Credentials::parse(value.as_bytes())
    }

    /// Parses with explicit limits.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), plus [`DigestError::TooLong`] and
    /// [`DigestError::TooManyParams`] when a limit is hit.
    pub fn parse_with(
        value: &'a [u8],
        limits: &ParseLimits,
    ) -> Result<Credentials<'a>, DigestError> {
        let max_len = limits.max_len.min(MAX_HEADER_LEN);
        if value.len() > max_len {
            return Err(DigestError::TooLong {
                len: value.len(),
                max: max_len,
            });
        }
        // The scanner works on plain positions into `input` (no cursor
        // object behind a reference), so the position stays in a register.
        let input = value;
        let mut pos = match digest_then_space(input) {
            Some(after_space) => lws_end(input, after_space),
            None => scheme_then_lws(input)?,
        };

        let mut creds = Credentials {
            input,
            ..Credentials::default()
        };
        let mut count = 0usize;
        loop {
            // Empty list elements (",,") are allowed by the #rule.
            while input.get(pos) == Some(&b',') {
                pos = lws_end(input, pos + 1);
            }
            if pos >= input.len() {
                break;
            }
            let name_start = pos;
            count += 1;
            if count > limits.max_params {
                return Err(DigestError::TooManyParams {
                    max: limits.max_params,
                    offset: name_start,
                });
            }
            let index = if let Some((index, len)) = known_name_before_equals(input, pos) {
                pos += len + 1;
                index
            } else {
                let (known, after_equals) = name_then_equals(input, pos)?;
                pos = after_equals;
                known.unwrap_or(UNKNOWN)
            };
            pos = lws_end(input, pos);
            let value = scan_value(input, pos)?;
            pos = lws_end(input, value.next);
            // Unknown parameters are ignored: no bit, no span.
            let bit = bit(index);
            if creds.present & bit != 0 {
                return Err(DigestError::DuplicateParam {
                    name: KNOWN.get(index).copied().unwrap_or("?"),
                    offset: name_start,
                });
            }
            if let Some(span) = creds.spans.get_mut(index) {
                *span = value.span;
            }
            creds.present |= bit;
            if value.quoted {
                creds.quoted |= bit;
            }
            if value.escaped {
                creds.escaped |= bit;
            }
            match input.get(pos) {
                None => break,
                Some(b',') => pos = lws_end(input, pos + 1),
                Some(_) => return Err(DigestError::ExpectedComma { offset: pos }),
            }
        }

        let both_names = bit(USERNAME) | bit(USERNAME_EXT);
        if creds.present & both_names == both_names {
            // RFC 7616 §3.4: username and username* MUST NOT both be present.
            let offset = creds.spans.get(USERNAME_EXT).map_or(0, |s| s.start());
            return Err(DigestError::DuplicateParam {
                name: "username*",
                offset,
            });
        }
        if creds.present & both_names == 0 {
            return Err(DigestError::MissingParam { name: "username" });
        }
        for index in [REALM, NONCE, URI, RESPONSE] {
            if creds.present & bit(index) == 0 {
                return Err(DigestError::MissingParam {
                    name: KNOWN.get(index).copied().unwrap_or("?"),
                });
            }
        }
        Ok(creds)
    }

    /// `KNOWN[index]`'s value, if present.
    #[inline]
    fn param(&self, index: usize) -> Option<ParamValue<'a>> {
        let bit = bit(index);
        if self.present & bit == 0 {
            return None;
        }
        let span = *self.spans.get(index)?;
        Some(ParamValue {
            raw: self.input.get(span.start()..span.end())?,
            offset: span.start(),
            quoted: self.quoted & bit != 0,
            escaped: self.escaped & bit != 0,
        })
    }

    /// The username the client claims, as a verifier looks it up and as its
    /// HA1 was computed: `username` unescaped (RFC 3261 §25.1 quoted-pairs),
    /// or `username*` decoded from RFC 8187 `UTF-8''percent-encoded`
    /// (RFC 7616 §3.4.4); with `userhash=true`, the hash. Anything that
    /// keys a policy on the user (an ACL account, brute-force counters)
    /// must use this name, not the raw `username` bytes: `ad\min` and
    /// `username*=UTF-8''ad%6Din` both authenticate as `admin`.
    ///
    /// ```
    /// use voipsec::digest::{Credentials, MAX_USERNAME_LEN};
    /// let creds = Credentials::parse_str(r#"Digest username="ad\min", realm="r", nonce="n", uri="sip:r", response="00""#).unwrap();
    /// let mut buf = [0u8; MAX_USERNAME_LEN];
    /// assert_eq!(creds.claimed_username(&mut buf).unwrap(), b"admin");
    /// ```
    pub fn claimed_username<'b>(
        &self,
        buf: &'b mut [u8; MAX_USERNAME_LEN],
    ) -> Result<&'b [u8], DigestError>
    where
        'a: 'b,
    {
        if let Some(name) = self.username() {
            // `unescape_into` borrows a plain value whatever its length:
            // the bound applies to every spelling of the name alike.
            return name
                .unescape_into(buf)
                .filter(|unescaped| unescaped.len() <= MAX_USERNAME_LEN)
                .ok_or(DigestError::ValueTooLong {
                    name: "username",
                    offset: name.offset(),
                    max: MAX_USERNAME_LEN,
                });
        }
        let ext = self
            .username_ext()
            .ok_or(DigestError::MissingParam { name: "username" })?;
        let invalid = DigestError::InvalidExtValue {
            offset: ext.offset(),
        };
        let raw = ext.unescaped().ok_or(invalid)?;
        // ext-value = charset "'" [ language ] "'" value-chars
        let mut parts = raw.splitn(3, |&c| c == b'\'');
        let charset = parts.next().ok_or(invalid)?;
        let _language = parts.next().ok_or(invalid)?;
        let encoded = parts.next().ok_or(invalid)?;
        if !charset.eq_ignore_ascii_case(b"UTF-8") {
            return Err(invalid);
        }
        let mut len = 0usize;
        let mut i = 0usize;
        while let Some(&c) = encoded.get(i) {
            let byte = if c == b'%' {
                let hi = encoded.get(i + 1).and_then(|&h| char::from(h).to_digit(16));
                let lo = encoded.get(i + 2).and_then(|&l| char::from(l).to_digit(16));
                i += 3;
                match (hi, lo) {
                    (Some(hi), Some(lo)) => u8::try_from(hi * 16 + lo).map_err(|_| invalid)?,
                    _ => return Err(invalid),
                }
            } else {
                i += 1;
                c
            };
            *buf.get_mut(len).ok_or(DigestError::ValueTooLong {
                name: "username*",
                offset: ext.offset(),
                max: MAX_USERNAME_LEN,
            })? = byte;
            len += 1;
        }
        let name = buf.get(..len).ok_or(invalid)?;
        core::str::from_utf8(name).map_err(|_| invalid)?;
        Ok(name)
    }

    /// `username` (or the userhash when `userhash=true`).
    pub fn username(&self) -> Option<ParamValue<'a>> {
        self.param(USERNAME)
    }
    /// `username*`, the RFC 8187 extended form (RFC 7616 §3.4.4).
    pub fn username_ext(&self) -> Option<ParamValue<'a>> {
        self.param(USERNAME_EXT)
    }
    /// `realm`.
    pub fn realm(&self) -> Option<ParamValue<'a>> {
        self.param(REALM)
    }
    /// `nonce`.
    pub fn nonce(&self) -> Option<ParamValue<'a>> {
        self.param(NONCE)
    }
    /// `uri` (the digest-uri, not necessarily the Request-URI).
    pub fn uri(&self) -> Option<ParamValue<'a>> {
        self.param(URI)
    }
    /// `response`.
    pub fn response(&self) -> Option<ParamValue<'a>> {
        self.param(RESPONSE)
    }
    /// `algorithm` as written; absent means MD5 (RFC 7616 §3.3).
    pub fn algorithm(&self) -> Option<ParamValue<'a>> {
        self.param(ALGORITHM)
    }
    /// `cnonce`.
    pub fn cnonce(&self) -> Option<ParamValue<'a>> {
        self.param(CNONCE)
    }
    /// `opaque`.
    pub fn opaque(&self) -> Option<ParamValue<'a>> {
        self.param(OPAQUE)
    }
    /// `qop` as written.
    pub fn qop(&self) -> Option<ParamValue<'a>> {
        self.param(QOP)
    }
    /// `nc` as written.
    pub fn nc(&self) -> Option<ParamValue<'a>> {
        self.param(NC)
    }

    /// Whether `userhash=true` (RFC 7616 §3.4.4), case-insensitively.
    pub fn userhash(&self) -> bool {
        self.param(USERHASH)
            .is_some_and(|v| v.eq_ignore_case(b"true"))
    }

    /// `nc` decoded: exactly 8 hex digits (RFC 7616 §3.4, `8LHEX`).
    ///
    /// # Errors
    /// [`DigestError::InvalidValue`] for anything else.
    pub fn nonce_count(&self) -> Result<Option<u32>, DigestError> {
        let Some(nc) = self.param(NC) else {
            return Ok(None);
        };
        let invalid = DigestError::InvalidValue {
            name: "nc",
            offset: nc.offset,
        };
        if nc.escaped || nc.raw.len() != 8 {
            return Err(invalid);
        }
        let mut n = 0u32;
        for &c in nc.raw {
            let digit = char::from(c).to_digit(16).ok_or(invalid)?;
            n = (n << 4) | digit;
        }
        Ok(Some(n))
    }
}

impl ParamValue<'_> {
    fn eq_ignore_case(&self, other: &[u8]) -> bool {
        !self.escaped && self.raw.eq_ignore_ascii_case(other)
    }
}

/// RFC 3261 §25.1 token characters, as a table (the parser's inner loop).
// Indexing in a const initializer is checked at compile time.
#[allow(clippy::indexing_slicing)]
static TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        c += 1;
    }
    table
};

fn is_token_byte(c: u8) -> bool {
    TOKEN_BYTES.get(usize::from(c)).copied().unwrap_or(false)
}

/// A token of 1 to 16 bytes, ASCII-lowercased and packed little-endian
/// into an integer (zero-padded), so that recognising a parameter name is
/// one integer comparison per candidate instead of a byte loop. `None` for
/// empty or longer tokens.
///
/// `| 0x20` lowercases letters; on the other token characters (RFC 3261
/// §25.1) it maps nothing onto a letter or onto `*`, and no token byte packs
/// to zero, so two tokens pack equal exactly when they are equal ignoring
/// ASCII case.
fn pack_lowercase(token: &[u8]) -> Option<u128> {
    if token.is_empty() {
        return None;
    }
    let packed = load_le(token)?;
    let shift = 8 * 16usize.checked_sub(token.len())?;
    let live = u128::MAX
        .checked_shr(u32::try_from(shift).ok()?)
        .unwrap_or(0);
    Some((packed | u128::from_le_bytes([0x20; 16])) & live)
}

/// 1 to 16 bytes as a little-endian integer, read with two overlapping
/// loads (first and last word) rather than copied into a zeroed buffer:
/// the copy goes through `memcpy`, and reading the buffer back as one
/// integer right after stalls on store forwarding (a quarter of the parse
/// time). Overlapping bytes carry the same value, so OR-ing is exact.
#[inline]
fn load_le(bytes: &[u8]) -> Option<u128> {
    fn word<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
        bytes.get(at..at + N)?.try_into().ok()
    }
    let len = bytes.len();
    Some(match len {
        0 => 0,
        1..=3 => {
            let byte = |i: usize| bytes.get(i).map_or(0, |&b| u128::from(b) << (8 * i));
            byte(0) | byte(len / 2) | byte(len - 1)
        }
        4..=7 => {
            let first = u32::from_le_bytes(word(bytes, 0)?);
            let last = u32::from_le_bytes(word(bytes, len - 4)?);
            u128::from(first) | (u128::from(last) << (8 * (len - 4)))
        }
        8..=16 => {
            let first = u64::from_le_bytes(word(bytes, 0)?);
            let last = u64::from_le_bytes(word(bytes, len - 8)?);
            u128::from(first) | (u128::from(last) << (8 * (len - 8)))
        }
        _ => return None,
    })
}

/// [`pack_lowercase`] for the constant names (a loop, as `const fn`s
/// cannot copy slices); `known_names_pack_like_runtime_tokens` checks both
/// agree.
const fn pack_const(name: &[u8]) -> u128 {
    let mut packed = 0u128;
    let mut i = 0;
    while i < name.len() && i < 16 {
        // Bounded by the loop condition; evaluated at compile time.
        #[allow(clippy::indexing_slicing)]
        let byte = name[i] | 0x20;
        packed |= (byte as u128) << (8 * i);
        i += 1;
    }
    packed
}

/// [`pack_const`] of a known name.
const fn packed(name: &str) -> u128 {
    pack_const(name.as_bytes())
}

const PACKED_KNOWN: [u128; 12] = [
    packed(KNOWN[0]),
    packed(KNOWN[1]),
    packed(KNOWN[2]),
    packed(KNOWN[3]),
    packed(KNOWN[4]),
    packed(KNOWN[5]),
    packed(KNOWN[6]),
    packed(KNOWN[7]),
    packed(KNOWN[8]),
    packed(KNOWN[9]),
    packed(KNOWN[10]),
    packed(KNOWN[11]),
];

const PACKED_DIGEST: u128 = packed("digest");

/// Index into [`KNOWN`] of a parameter name (a token), case-insensitively.
fn known_index(name: &[u8]) -> Option<usize> {
    let key = pack_lowercase(name)?;
    PACKED_KNOWN.iter().position(|&k| k == key)
}

/// Bytes that end a run of plain qdtext (RFC 3261 §25.1): the closing
/// quote, a quoted-pair's backslash, and every control byte and DEL. HTAB,
/// CR and LF are among them although a quoted string may hold them (HTAB
/// as is, CR LF as a line fold): the byte-by-byte path decides.
fn ends_plain_qdtext(c: u8) -> bool {
    (c == b'"') | (c == b'\\') | (c < 0x20) | (c == 0x7f)
}

/// The bytes of an 8-byte little-endian word that [`ends_plain_qdtext`],
/// flagged by their high bit (see `crate::swar`; the lowest flag is exact).
///
/// Kept in general-purpose registers on purpose: the SIMD form LLVM makes
/// of the per-byte test needs a store and two reloads to turn its result
/// into an integer, which sits on the critical path of every value and
/// measured slower despite fewer instructions.
#[inline(always)]
fn qdtext_stops(w: u64) -> u64 {
    (bytes_equal(w, b'"') | bytes_equal(w, b'\\') | bytes_equal(w, 0x7f) | bytes_below(w, 0x20))
        & splat(0x80)
}

/// End of the run of plain qdtext starting at `pos` (see
/// [`ends_plain_qdtext`]).
///
/// Eight bytes at a time with [`qdtext_stops`] (16-byte words cost twice
/// the instructions per word, and most values are short). A call to
/// `memchr2` costs more than this for the 5-40 byte values of a digest
/// header, and needed a second pass for the control bytes. Not
/// `swar::first_marked`: its separate offset and `Option` measured 6-8 ns
/// more per header here (one induction variable in this loop).
#[inline]
fn plain_qdtext_end(input: &[u8], pos: usize) -> usize {
    let mut words = input.get(pos..).unwrap_or(&[]).chunks_exact(8);
    let mut end = pos;
    for word in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let flags = qdtext_stops(u64::from_le_bytes(word));
        if flags != 0 {
            return end + (flags.trailing_zeros() / 8) as usize;
        }
        end += 8;
    }
    // The last 7 bytes of the header, one at a time.
    let tail = words.remainder();
    end + tail.iter().take_while(|&&c| !ends_plain_qdtext(c)).count()
}

/// A known parameter name followed by `=`, as a masked 16-byte pattern.
struct NamePattern {
    /// Lowercase name and `=`, packed little-endian.
    packed: u128,
    /// `0x20` in each letter position: OR-ing it into the input lowercases
    /// exactly the letters and leaves `*` and `=` to match only themselves
    /// (a blanket `| 0x20` would also turn LF into `*` and `\x1d` into `=`).
    fold: u128,
    /// All ones over the name and its `=`.
    live: u128,
    /// Index into [`KNOWN`].
    index: usize,
    /// Length of the name without the `=`.
    len: usize,
}

/// The [`NamePattern`] of `KNOWN[index]` (evaluated at compile time).
const fn name_pattern(index: usize) -> NamePattern {
    // Bounded by the callers' constant indexes; evaluated at compile time.
    #[allow(clippy::indexing_slicing)]
    let name = KNOWN[index].as_bytes();
    let mut packed = 0u128;
    let mut fold = 0u128;
    let mut i = 0;
    while i < name.len() {
        #[allow(clippy::indexing_slicing)]
        let c = name[i];
        packed |= ((c | 0x20) as u128) << (8 * i);
        if c.is_ascii_alphabetic() {
            fold |= 0x20 << (8 * i);
        }
        i += 1;
    }
    packed |= (b'=' as u128) << (8 * name.len());
    NamePattern {
        packed,
        fold,
        live: (1u128 << (8 * (name.len() + 1))) - 1,
        index,
        len: name.len(),
    }
}

/// Known names by their first letter, the commoner first.
static NAMES_U: [NamePattern; 4] = [
    name_pattern(USERNAME),
    name_pattern(URI),
    name_pattern(USERNAME_EXT),
    name_pattern(USERHASH),
];
static NAMES_R: [NamePattern; 2] = [name_pattern(REALM), name_pattern(RESPONSE)];
static NAMES_N: [NamePattern; 2] = [name_pattern(NONCE), name_pattern(NC)];
static NAMES_A: [NamePattern; 1] = [name_pattern(ALGORITHM)];
static NAMES_C: [NamePattern; 1] = [name_pattern(CNONCE)];
static NAMES_O: [NamePattern; 1] = [name_pattern(OPAQUE)];
static NAMES_Q: [NamePattern; 1] = [name_pattern(QOP)];

/// Bytes a known name and its `=` span at most (`algorithm=`, `username*=`),
/// so the fast path also serves a short parameter at the end of the header.
const NAME_WINDOW: usize = 10;

/// The known name at `pos`, immediately followed by `=`, as its index into
/// [`KNOWN`] and its length; `None` when the input does not continue that
/// way or has less than [`NAME_WINDOW`] bytes left (the caller then scans
/// the token, which gives the same answer, only slower).
///
/// The first letter picks at most four candidates and one masked compare
/// per candidate decides. The compare covers the `=`, which is not a token
/// character, so a match is the whole token.
fn known_name_before_equals(input: &[u8], pos: usize) -> Option<(usize, usize)> {
    let window: &[u8; NAME_WINDOW] = input
        .get(pos..pos.checked_add(NAME_WINDOW)?)?
        .try_into()
        .ok()?;
    let (head, tail) = window.split_first_chunk::<8>()?;
    let tail: &[u8; 2] = tail.try_into().ok()?;
    let word = u128::from(u64::from_le_bytes(*head)) | u128::from(u16::from_le_bytes(*tail)) << 64;
    let candidates: &[NamePattern] = match head[0] | 0x20 {
        b'u' => &NAMES_U,
        b'r' => &NAMES_R,
        b'n' => &NAMES_N,
        b'a' => &NAMES_A,
        b'c' => &NAMES_C,
        b'o' => &NAMES_O,
        b'q' => &NAMES_Q,
        _ => return None,
    };
    candidates
        .iter()
        .find(|p| (word | p.fold) & p.live == p.packed)
        .map(|p| (p.index, p.len))
}

/// The general parameter-name path: a token of any length, LWS, `=`.
/// Returns the name's index into [`KNOWN`] if it is a known one, and the
/// position after the `=`. Out of line: known names written the usual way
/// take [`known_name_before_equals`] instead.
#[inline(never)]
fn name_then_equals(input: &[u8], start: usize) -> Result<(Option<usize>, usize), DigestError> {
    let name_end = token_end(input, start);
    let name = input.get(start..name_end).unwrap_or(&[]);
    if name.is_empty() {
        return Err(DigestError::ExpectedName { offset: start });
    }
    let pos = lws_end(input, name_end);
    if input.get(pos) != Some(&b'=') {
        return Err(DigestError::ExpectedEquals { offset: pos });
    }
    Ok((known_index(name), pos + 1))
}

/// Position after `Digest ` (any case, one SP) at the very start of the
/// header, how every client writes it; `None` otherwise (then
/// [`scheme_then_lws`] decides).
#[inline]
fn digest_then_space(input: &[u8]) -> Option<usize> {
    const PATTERN: u64 = u64::from_le_bytes(*b"digest \0");
    // 0x20 on the six letters only: the SP must match itself.
    const FOLD: u64 = 0x0000_2020_2020_2020;
    const LIVE: u64 = 0x00ff_ffff_ffff_ffff;
    let head: [u8; 8] = input.get(..8)?.try_into().ok()?;
    ((u64::from_le_bytes(head) | FOLD) & LIVE == PATTERN).then_some(7)
}

/// The general scheme check: optional LWS, the token `Digest` in any case,
/// then LWS or the end of the header. Returns the position after the LWS.
fn scheme_then_lws(input: &[u8]) -> Result<usize, DigestError> {
    let scheme_start = lws_end(input, 0);
    let scheme_end = token_end(input, scheme_start);
    let scheme = input.get(scheme_start..scheme_end).unwrap_or(&[]);
    if pack_lowercase(scheme) != Some(PACKED_DIGEST) {
        return Err(DigestError::NotDigest {
            offset: scheme_start,
        });
    }
    let pos = lws_end(input, scheme_end);
    if pos == scheme_end && pos < input.len() {
        // "Digestusername=..." is not the Digest scheme.
        return Err(DigestError::NotDigest {
            offset: scheme_start,
        });
    }
    Ok(pos)
}

/// Position after the LWS at `pos`: SP/HTAB and line folds (CRLF followed
/// by SP/HTAB, RFC 3261 §25.1 LWS). Inlined test for the common case of no
/// white space at all.
#[inline]
fn lws_end(input: &[u8], pos: usize) -> usize {
    if matches!(input.get(pos), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        lws_end_slow(input, pos)
    } else {
        pos
    }
}

#[inline(never)]
fn lws_end_slow(input: &[u8], mut pos: usize) -> usize {
    loop {
        match input.get(pos) {
            Some(b' ' | b'\t') => pos += 1,
            Some(b'\r')
                if input.get(pos + 1) == Some(&b'\n')
                    && matches!(input.get(pos + 2), Some(b' ' | b'\t')) =>
            {
                pos += 3;
            }
            Some(b'\n') if matches!(input.get(pos + 1), Some(b' ' | b'\t')) => {
                pos += 2;
            }
            _ => return pos,
        }
    }
}

/// End of the token (possibly empty) starting at `pos`.
#[inline]
fn token_end(input: &[u8], pos: usize) -> usize {
    let rest = input.get(pos..).unwrap_or(&[]);
    pos + rest.iter().take_while(|&&c| is_token_byte(c)).count()
}

/// A value as the scanner reads it, before it is stored.
struct ScannedValue {
    span: Span,
    quoted: bool,
    escaped: bool,
    /// Position after the value (after the closing quote).
    next: usize,
}

/// The token or quoted-string value starting at `start`.
#[inline]
fn scan_value(input: &[u8], start: usize) -> Result<ScannedValue, DigestError> {
    if input.get(start) == Some(&b'"') {
        return scan_quoted(input, start);
    }
    let end = token_end(input, start);
    if end == start {
        return Err(DigestError::ExpectedValue { offset: start });
    }
    Ok(ScannedValue {
        span: Span::new(start, end),
        quoted: false,
        escaped: false,
        next: end,
    })
}

/// The quoted-string whose opening quote is at `start` (RFC 3261 §25.1).
///
/// The common case (plain qdtext up to the closing quote) stays here; any
/// escape, fold or error goes to [`scan_quoted_rest`], out of line so the
/// parser's loop keeps its values in registers.
#[inline]
fn scan_quoted(input: &[u8], start: usize) -> Result<ScannedValue, DigestError> {
    let body_start = start + 1;
    let end = plain_qdtext_end(input, body_start);
    if input.get(end) == Some(&b'"') {
        return Ok(ScannedValue {
            span: Span::new(body_start, end),
            quoted: true,
            escaped: false,
            next: end + 1,
        });
    }
    scan_quoted_rest(input, start, end)
}

/// [`scan_quoted`] from `pos`, the first byte after the opening quote that
/// is not plain qdtext (and not the closing quote).
#[inline(never)]
fn scan_quoted_rest(
    input: &[u8],
    start: usize,
    mut pos: usize,
) -> Result<ScannedValue, DigestError> {
    let body_start = start + 1;
    let mut escaped = false;
    loop {
        let c = match input.get(pos) {
            Some(b'"') => {
                return Ok(ScannedValue {
                    span: Span::new(body_start, pos),
                    quoted: true,
                    escaped,
                    next: pos + 1,
                });
            }
            Some(&c) => c,
            None => return Err(DigestError::UnterminatedQuote { offset: start }),
        };
        match c {
            b'\\' => {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                match input.get(pos + 1) {
                    None => return Err(DigestError::UnterminatedQuote { offset: start }),
                    Some(b'\r' | b'\n') | Some(0x80..) => {
                        return Err(DigestError::InvalidQuotedByte { offset: pos + 1 });
                    }
                    Some(_) => {
                        escaped = true;
                        pos += 2;
                    }
                }
            }
            b'\r' | b'\n' => {
                let folded = lws_end(input, pos);
                if folded == pos {
                    return Err(DigestError::InvalidQuotedByte { offset: pos });
                }
                pos = folded;
            }
            b'\t' | 0x20..=0x7e | 0x80.. => pos += 1,
            _ => return Err(DigestError::InvalidQuotedByte { offset: pos }),
        }
        // Jump over the plain qdtext; stop at anything that needs a look.
        pos = plain_qdtext_end(input, pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_pack_like_runtime_tokens() {
        for name in KNOWN.iter().chain(&["digest", "x", "sixteen-bytes-ok"]) {
            assert_eq!(
                pack_lowercase(name.as_bytes()),
                Some(packed(name)),
                "{name}"
            );
        }
        assert_eq!(pack_lowercase(b""), None);
        assert_eq!(pack_lowercase(&[b'a'; 17]), None);
        assert_ne!(pack_lowercase(b"nc"), pack_lowercase(b"nc*"));
    }

    #[test]
    fn overlapping_loads_read_every_length_exactly() {
        let bytes: Vec<u8> = (1..=17u8).map(|i| i.wrapping_mul(37)).collect();
        for len in 0..=16 {
            let mut buf = [0u8; 16];
            buf[..len].copy_from_slice(&bytes[..len]);
            assert_eq!(
                load_le(&bytes[..len]),
                Some(u128::from_le_bytes(buf)),
                "{len}"
            );
        }
        assert_eq!(load_le(&bytes), None);
    }

    #[test]
    fn plain_qdtext_end_stops_exactly_where_the_byte_loop_does() {
        let byte_loop = |input: &[u8], pos: usize| {
            pos + input[pos..]
                .iter()
                .take_while(|&&c| !ends_plain_qdtext(c))
                .count()
        };
        // Every byte value at every position of a 40-byte run, behind
        // every possible neighbour class, from every start.
        for filler in [b'a', 0x80, 0xff, b' ', b'~'] {
            for stop_at in 0..40 {
                for c in 0..=255u8 {
                    let mut input = vec![filler; 40];
                    input[stop_at] = c;
                    if stop_at + 1 < 40 {
                        input[stop_at + 1] = 0x00;
                    }
                    for from in [0, 1, 7, stop_at.min(39)] {
                        assert_eq!(
                            plain_qdtext_end(&input, from),
                            byte_loop(&input, from),
                            "{filler} {stop_at} {c} {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn spans_hold_every_position_of_the_longest_accepted_header() {
        let span = Span::new(MAX_HEADER_LEN - 1, MAX_HEADER_LEN);
        assert_eq!(
            (span.start(), span.end()),
            (MAX_HEADER_LEN - 1, MAX_HEADER_LEN)
        );
        // An unbounded max_len still parses ordinary headers.
        let limits = ParseLimits {
            max_len: usize::MAX,
            max_params: 32,
        };
        let creds = Credentials::parse_with(
            br#"Digest username="a", realm="r", nonce="n", uri="u", response="00""#,
            &limits,
        )
        .unwrap();
        assert_eq!(creds.response().unwrap().offset(), 62);
    }

    #[test]
    fn known_index_matches_every_known_name_in_any_case() {
        for (i, name) in KNOWN.iter().enumerate() {
            assert_eq!(known_index(name.as_bytes()), Some(i));
            assert_eq!(known_index(name.to_uppercase().as_bytes()), Some(i));
        }
        assert_eq!(known_index(b"x-vendor"), None);
        assert_eq!(known_index(b""), None);
    }
}
