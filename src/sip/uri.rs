//! `sip:`, `sips:` and `tel:` URIs (RFC 3261 §19.1, §25.1; RFC 3966),
//! IPv6 references (RFC 5118), and opaque URIs of other schemes.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::borrow::Cow;

use super::error::SipError;
use super::lexical::{self, HOSTNAME, PASSWORD, URIC, USER, check_escaped};
use super::params::{Params, check_uri_headers, check_uri_params};

/// A URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme<'a> {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:` (RFC 3966)
    Tel,
    /// Any other scheme, as sent (well-formed, RFC 4475 §3.3.4).
    Other(&'a str),
}

/// The host part of a URI or a Via sent-by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A host name, as sent.
    Name(&'a str),
    /// A dotted-quad IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference, without its brackets, as sent. RFC 5118 §4.10
    /// asks implementations to tolerate the ABNF bug form
    /// `2001:db8:::192.0.2.1`, which [`Host::ip`] cannot convert.
    Ipv6(&'a str),
}

impl<'a> Host<'a> {
    /// Parses a host: `[IPv6]`, IPv4 or a host name. `Err` carries the
    /// offset of the bad byte.
    pub(crate) fn parse(s: &'a str) -> Result<Host<'a>, usize> {
        let bytes = s.as_bytes();
        if bytes.first() == Some(&b'[') {
            return match bytes.last() {
                Some(b']') if bytes.len() > 2 => {
                    let inner = s.get(1..s.len() - 1).unwrap_or("");
                    check_ipv6_text(inner)
                        .map(|()| Host::Ipv6(inner))
                        .map_err(|i| i + 1)
                }
                _ => Err(s.len()),
            };
        }
        Self::parse_unbracketed(s)
    }

    /// Parses a host without brackets: IPv4, host name, or (where RFC 5118
    /// §4.5 allows it, a Via `received`) a bare IPv6 address.
    pub(crate) fn parse_unbracketed(s: &'a str) -> Result<Host<'a>, usize> {
        let bytes = s.as_bytes();
        if bytes.is_empty() {
            return Err(0);
        }
        // Validate the characters, then see whether it could be a dotted
        // quad.
        let valid = lexical::run(bytes, 0, &HOSTNAME);
        if valid != bytes.len() {
            return Err(valid);
        }
        // A name usually fails this on its first byte.
        if bytes.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
            return parse_ipv4(bytes).map(Host::Ipv4).ok_or(0);
        }
        Ok(Host::Name(s))
    }

    /// The host as text (IPv6 without brackets).
    pub fn as_str(&self) -> Cow<'a, str> {
        match self {
            Host::Name(s) | Host::Ipv6(s) => Cow::Borrowed(s),
            Host::Ipv4(ip) => Cow::Owned(ip.to_string()),
        }
    }

    /// The address, for IP literals that convert.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Name(_) => None,
            Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
            Host::Ipv6(s) => s.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        }
    }
}

/// Dotted quad, four 1-3 digit octets <= 255, no leading zeros (which some
/// stacks read as octal: refusing them keeps every reader in agreement).
pub(crate) fn parse_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    // Part by part, unrolled: a first digit, then at most two more (none
    // after a leading zero), then the dot (or, after the fourth, the end:
    // a fourth digit or a fifth part is neither). A digit-at-a-time loop
    // with a part counter cost 10 instructions a byte.
    // A dotted quad is 7 to 15 bytes: copied into a fixed buffer padded
    // with a non-digit, every read below is an in-bounds masked index (no
    // length test per byte) and the end reads as the padding.
    if !(7..=15).contains(&b.len()) {
        return None;
    }
    // Two overlapping fixed-size copies (8 bytes, or 4 for the shortest
    // quad) instead of a `memcpy` call of variable length.
    let mut padded = [b'x'; 16];
    let n = b.len();
    if n >= 8 {
        copy_fixed::<8>(&mut padded, b, 0)?;
        copy_fixed::<8>(&mut padded, b, n - 8)?;
    } else {
        copy_fixed::<4>(&mut padded, b, 0)?;
        copy_fixed::<4>(&mut padded, b, n - 4)?;
    }
    let digit = |i: usize| {
        padded
            .get(i & 15)
            .map(|c| c.wrapping_sub(b'0'))
            .filter(|&d| d < 10)
    };
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if padded.get(i & 15) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let first = digit(i)?;
        let mut value = u32::from(first);
        i += 1;
        if let Some(d) = digit(i) {
            if first == 0 {
                return None;
            }
            value = value * 10 + u32::from(d);
            i += 1;
            if let Some(d) = digit(i) {
                value = value * 10 + u32::from(d);
                i += 1;
            }
        }
        *octet = u8::try_from(value).ok()?;
    }
    (i == b.len()).then_some(Ipv4Addr::from(octets))
}

/// `to[at..at + N] = from[at..at + N]`, `N` known at compile time (a
/// move, not a call).
#[inline(always)]
fn copy_fixed<const N: usize>(to: &mut [u8], from: &[u8], at: usize) -> Option<()> {
    let chunk: [u8; N] = crate::swar::array_at(from, at)?;
    to.get_mut(at..at + N)?.copy_from_slice(&chunk);
    Some(())
}

/// Loose IPv6 text check: hex digits, `:` and `.`, at least one `:`.
/// (Loose on purpose: RFC 5118 §4.10 requires tolerating `:::`.)
pub(crate) fn check_ipv6_text(s: &str) -> Result<(), usize> {
    if let Some(bad) = s
        .bytes()
        .position(|b| !(b.is_ascii_hexdigit() || b == b':' || b == b'.'))
    {
        return Err(bad);
    }
    if !s.contains(':') || s.len() > 64 {
        return Err(0);
    }
    Ok(())
}

/// Parses a port (`1*DIGIT`, at most 65535).
pub(crate) fn parse_port(s: &[u8]) -> Option<u16> {
    lexical::parse_digits(s).and_then(|n| u16::try_from(n).ok())
}

/// A parsed URI, borrowing its text.
///
/// Escapes (`%HH`) are validated but kept: compare user parts with
/// [`Uri::user_unescaped`] (RFC 3261 §19.1.4: `%75ser` equals `user`).
///
/// ```
/// use voipsec::sip::{Host, Scheme, Uri};
/// let uri = Uri::parse("sips:bob:secret@[2001:db8::10]:5061;transport=tls?subject=hi").unwrap();
/// assert_eq!(uri.scheme(), Scheme::Sips);
/// assert_eq!(uri.user(), Some("bob"));
/// assert_eq!(uri.password(), Some("secret"));
/// assert_eq!(uri.host(), Some(Host::Ipv6("2001:db8::10")));
/// assert_eq!(uri.port(), Some(5061));
/// assert_eq!(uri.params().value("transport"), Some("tls"));
/// assert_eq!(uri.headers(), Some("subject=hi"));
/// assert!(Uri::parse("sip:user@2001:db8::10").is_err()); // RFC 5118 §4.2
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    raw: &'a str,
    scheme: Scheme<'a>,
    user: Option<&'a str>,
    password: Option<&'a str>,
    host: Option<Host<'a>>,
    port: Option<u16>,
    params: Params<'a>,
    headers: Option<&'a str>,
    /// Byte range of `host[:port]` in `raw` (0..0 when there is no host).
    host_port: (u32, u32),
}

/// The number of a `tel:` URI (RFC 3966 §3): hex digits (the DTMF
/// digits A-D among them), visual separators, `+`, `*`, `#`, and the pause
/// and wait characters.
pub(crate) fn is_tel_number(number: &str) -> bool {
    !number.is_empty()
        && number.bytes().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(
                    c,
                    b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#' | b'p' | b'w'
                )
        })
}

fn uri_err(offset: usize, reason: &'static str) -> SipError {
    SipError::InvalidUri { offset, reason }
}

impl<'a> Uri<'a> {
    /// Parses `s` as a whole URI (no surrounding white space allowed).
    pub fn parse(s: &'a str) -> Result<Uri<'a>, SipError> {
        let bytes = s.as_bytes();
        let colon = match bytes.iter().position(|&b| b == b':') {
            Some(c) if c > 0 => c,
            _ => return Err(uri_err(0, "missing scheme")),
        };
        let scheme_text = s.get(..colon).unwrap_or("");
        let scheme_ok = bytes.first().is_some_and(u8::is_ascii_alphabetic)
            && scheme_text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return Err(uri_err(0, "invalid scheme"));
        }
        let rest = s.get(colon + 1..).unwrap_or("");
        let base = colon + 1;
        let scheme = if scheme_text.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_text.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_text.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            Scheme::Other(scheme_text)
        };
        let mut uri = Uri {
            raw: s,
            scheme,
            user: None,
            password: None,
            host: None,
            port: None,
            params: Params::default(),
            headers: None,
            host_port: (0, 0),
        };
        match scheme {
            Scheme::Sip | Scheme::Sips => uri.parse_sip(rest, base)?,
            Scheme::Tel => uri.parse_tel(rest, base)?,
            Scheme::Other(_) => {
                if rest.is_empty() {
                    return Err(uri_err(base, "empty URI"));
                }
                check_escaped(rest.as_bytes(), &URIC)
                    .map_err(|i| uri_err(base + i, "invalid character"))?;
            }
        }
        Ok(uri)
    }

    fn parse_sip(&mut self, rest: &'a str, base: usize) -> Result<(), SipError> {
        // userinfo can hold none of `@` (RFC 3261 §25.1: user and password
        // exclude it), nor can params or headers, so the first `@` ends it —
        // even when the user part has `;` or `?` (RFC 4475 §3.1.1.9).
        let (hostpart, hbase) = match memchr::memchr(b'@', rest.as_bytes()) {
            Some(at) => {
                let userinfo = rest.get(..at).unwrap_or("");
                // A byte loop: userinfo is short, `str::find` costs a
                // searcher set-up.
                let (user, password) = match userinfo.bytes().position(|b| b == b':') {
                    Some(c) => (
                        userinfo.get(..c).unwrap_or(""),
                        Some((c + 1, userinfo.get(c + 1..).unwrap_or(""))),
                    ),
                    None => (userinfo, None),
                };
                if user.is_empty() {
                    return Err(uri_err(base, "empty user"));
                }
                check_escaped(user.as_bytes(), &USER)
                    .map_err(|i| uri_err(base + i, "invalid user"))?;
                if let Some((pbase, password)) = password {
                    check_escaped(password.as_bytes(), &PASSWORD)
                        .map_err(|i| uri_err(base + pbase + i, "invalid password"))?;
                    self.password = Some(password);
                }
                self.user = Some(user);
                (rest.get(at + 1..).unwrap_or(""), base + at + 1)
            }
            None => (rest, base),
        };
        let hb = hostpart.as_bytes();
        // Host: a bracketed IPv6 reference runs to `]`; anything else to the
        // first `:`, `;` or `?`.
        let host_end = if hb.first() == Some(&b'[') {
            memchr::memchr(b']', hb)
                .map(|i| i + 1)
                .ok_or_else(|| uri_err(hbase, "unterminated IPv6 reference"))?
        } else {
            hb.iter()
                .position(|&b| matches!(b, b':' | b';' | b'?'))
                .unwrap_or(hb.len())
        };
        let host_text = hostpart.get(..host_end).unwrap_or("");
        self.host = Some(Host::parse(host_text).map_err(|i| uri_err(hbase + i, "invalid host"))?);
        let mut i = host_end;
        if hb.get(i) == Some(&b':') {
            let digits = lexical::run(hb, i + 1, &lexical::DIGIT);
            let port = hb.get(i + 1..i + 1 + digits).and_then(parse_port);
            self.port = Some(port.ok_or_else(|| uri_err(hbase + i + 1, "invalid port"))?);
            i += 1 + digits;
        }
        self.host_port = (hbase as u32, (hbase + i) as u32);
        self.finish_params_headers(hostpart, i, hbase)
    }

    /// After the host/number: `;params` then `?headers`, then the end.
    fn finish_params_headers(
        &mut self,
        text: &'a str,
        mut i: usize,
        base: usize,
    ) -> Result<(), SipError> {
        let b = text.as_bytes();
        if b.get(i) == Some(&b';') {
            let end =
                memchr::memchr(b'?', b.get(i..).unwrap_or_default()).map_or(b.len(), |q| i + q);
            let raw = text.get(i + 1..end).unwrap_or("");
            check_uri_params(raw.as_bytes())
                .map_err(|k| uri_err(base + i + 1 + k, "invalid parameter"))?;
            self.params = Params::new(raw);
            i = end;
        }
        if b.get(i) == Some(&b'?') {
            let raw = text.get(i + 1..).unwrap_or("");
            check_uri_headers(raw.as_bytes())
                .map_err(|k| uri_err(base + i + 1 + k, "invalid header"))?;
            self.headers = Some(raw);
            i = b.len();
        }
        if i != b.len() {
            return Err(uri_err(base + i, "unexpected character"));
        }
        Ok(())
    }

    fn parse_tel(&mut self, rest: &'a str, base: usize) -> Result<(), SipError> {
        // RFC 3966 §3: telephone-subscriber = global or local number, then
        // parameters; visual separators and the DTMF/pause digits allowed.
        let b = rest.as_bytes();
        let end = b
            .iter()
            .position(|&c| c == b';' || c == b'?')
            .unwrap_or(b.len());
        let number = rest.get(..end).unwrap_or("");
        if !is_tel_number(number) {
            return Err(uri_err(base, "invalid telephone number"));
        }
        self.user = Some(number);
        self.finish_params_headers(rest, end, base)
    }

    /// The whole URI as sent.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme<'a> {
        self.scheme
    }

    /// The user part, escapes kept (for `tel:`, the number).
    pub fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The user part with `%HH` escapes decoded (bytes: `%00` is legal and
    /// must not truncate, RFC 4475 §3.1.1.4). Borrows when there is nothing
    /// to decode.
    pub fn user_unescaped(&self) -> Option<Cow<'a, [u8]>> {
        self.user.map(unescape)
    }

    /// The password, if the URI carries one (RFC 3261 §19.1.1 deprecates it).
    pub fn password(&self) -> Option<&'a str> {
        self.password
    }

    /// The host (`None` for `tel:` and other schemes).
    pub fn host(&self) -> Option<Host<'a>> {
        self.host
    }

    /// The port, if explicit.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The URI parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// Byte range of `host[:port]` in [`Uri::as_str`] (IPv6 brackets
    /// included), for `sip:`/`sips:` URIs: what a rewriter replaces to
    /// change where the URI points.
    ///
    /// ```
    /// use voipsec::sip::Uri;
    /// let uri = Uri::parse("sip:bob@[2001:db8::1]:5061;lr").unwrap();
    /// assert_eq!(uri.host_port_range().map(|r| &uri.as_str()[r]), Some("[2001:db8::1]:5061"));
    /// ```
    pub fn host_port_range(&self) -> Option<core::ops::Range<usize>> {
        let (start, end) = self.host_port;
        (end > start).then_some(start as usize..end as usize)
    }

    /// The raw `?headers` part (without `?`), if any.
    pub fn headers(&self) -> Option<&'a str> {
        self.headers
    }

    /// Everything after `scheme:` (for other schemes, the opaque part).
    pub fn opaque(&self) -> &'a str {
        self.raw.split_once(':').map_or("", |(_, rest)| rest)
    }
}

/// Decodes `%HH` escapes (invalid escapes are kept literally).
pub fn unescape(s: &str) -> Cow<'_, [u8]> {
    let bytes = s.as_bytes();
    if !bytes.contains(&b'%') {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |k: usize| bytes.get(k).and_then(|c| (*c as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The previous dotted-quad parser, checked digit by digit: the
    /// unrolled one must agree with it on every input.
    fn parse_ipv4_reference(b: &[u8]) -> Option<Ipv4Addr> {
        // One pass: four dot-separated parts of 1..=3 digits, no leading zero,
        // each at most 255.
        let mut octets = [0u8; 4];
        let (mut k, mut value, mut digits) = (0usize, 0u32, 0u32);
        for &c in b {
            if c == b'.' {
                if digits == 0 {
                    return None;
                }
                *octets.get_mut(k)? = u8::try_from(value).ok()?;
                (k, value, digits) = (k + 1, 0, 0);
            } else if c.is_ascii_digit() {
                if digits == 3 || (digits == 1 && value == 0) {
                    return None;
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
            } else {
                return None;
            }
        }
        if digits == 0 || k != 3 {
            return None;
        }
        *octets.get_mut(3)? = u8::try_from(value).ok()?;
        Some(Ipv4Addr::from(octets))
    }

    #[test]
    fn dotted_quad_agrees_with_the_digit_by_digit_parse() {
        let parts = [
            "0", "1", "9", "00", "01", "10", "99", "100", "255", "256", "099", "999", "1000", "",
        ];
        let mut checked = 0;
        for a in parts {
            for b in ["0", "01", "255", "256", ""] {
                for sep in [".", "..", ":", "x"] {
                    for tail in ["", ".", ".0", ".1.2", ".1.2.3"] {
                        let text = format!("{a}{sep}{b}.7.{a}{tail}");
                        let bytes = text.as_bytes();
                        assert_eq!(parse_ipv4(bytes), parse_ipv4_reference(bytes), "{text:?}");
                        checked += 1;
                    }
                }
            }
        }
        for text in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3.256",
            "1.2.3.4 ",
            "1.2.3.-4",
            "",
            "...",
            "1.2.3.4444",
        ] {
            assert_eq!(
                parse_ipv4(text.as_bytes()),
                parse_ipv4_reference(text.as_bytes()),
                "{text:?}"
            );
        }
        assert!(checked > 1000);
        // Every string of up to seven bytes over digits, dot and a stray byte.
        let alphabet = b"0125.9x";
        let mut text = Vec::new();
        for len in 0..=7u32 {
            for mut n in 0..7usize.pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(alphabet[n % 7]);
                    n /= 7;
                }
                assert_eq!(parse_ipv4(&text), parse_ipv4_reference(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn ipv4_matches_the_standard_parser() {
        for s in [
            "0.0.0.0",
            "192.0.2.1",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.04",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4a",
            "1000.1.1.1",
            "10.0.0.10",
            "",
            ".",
        ] {
            assert_eq!(
                parse_ipv4(s.as_bytes()),
                s.parse::<Ipv4Addr>().ok(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn ipv6_port_ambiguity_rfc5118() {
        let a = Uri::parse("sip:[2001:db8::10:5070]").unwrap();
        assert_eq!(a.host(), Some(Host::Ipv6("2001:db8::10:5070")));
        assert_eq!(a.port(), None);
        let b = Uri::parse("sip:[2001:db8::10]:5070").unwrap();
        assert_eq!(b.host(), Some(Host::Ipv6("2001:db8::10")));
        assert_eq!(b.port(), Some(5070));
        assert!(Uri::parse("sip:[2001:db8:::192.0.2.1]").is_ok());
        assert!(Uri::parse("sip:user@2001:db8::10").is_err());
    }

    #[test]
    fn escapes_and_odd_users() {
        let u = Uri::parse("sip:%75se%72@example.com").unwrap();
        assert_eq!(u.user_unescaped().unwrap().as_ref(), b"user");
        let n = Uri::parse("sip:null-%00-null@example.com").unwrap();
        assert_eq!(n.user_unescaped().unwrap().as_ref(), b"null-\0-null");
        assert!(Uri::parse("sip:a%zz@h").is_err());
        let semi = Uri::parse("sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(semi.user(), Some("user;par=u%40example.net"));
        assert!(semi.params().is_empty());
    }

    #[test]
    fn tel_and_other_schemes() {
        let t = Uri::parse("tel:+1-201-555-0123;phone-context=example.com").unwrap();
        assert_eq!(t.scheme(), Scheme::Tel);
        assert_eq!(t.user(), Some("+1-201-555-0123"));
        assert_eq!(t.params().value("phone-context"), Some("example.com"));
        let o = Uri::parse("soap.beep://192.0.2.103:3002").unwrap();
        assert_eq!(o.scheme(), Scheme::Other("soap.beep"));
        assert_eq!(o.opaque(), "//192.0.2.103:3002");
        assert!(Uri::parse("<sip:a@b>").is_err());
        assert!(Uri::parse("sip:a@b c").is_err());
        assert!(Uri::parse("sip:").is_err());
        assert!(Uri::parse("sip:a@b:99999").is_err());
    }
}
