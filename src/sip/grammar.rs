//! Check-only recognisers for the header grammars [`Message::validate`]
//! checks (RFC 3261 §25.1, RFC 3966, RFC 5118): one forward pass over each
//! value's bytes, no typed value built, no element re-tokenised.
//!
//! Each recogniser accepts exactly the language of the typed parser it
//! mirrors (`Uri::parse`, `Host::parse`, `NameAddr::parse`, `Via::parse`,
//! `CSeq::parse`, `ContentType::parse`, the parameter checks) applied the
//! way `validate` applies it (every comma-separated element of a list
//! header, each trimmed, none empty). `validate` runs these first; only a
//! rejected message takes the typed walk, which names the error and its
//! offset. Debug builds run both on every call and assert the same
//! verdict and observations (so every test and fuzz run compares them);
//! `tests/sip_sanity_grammar.rs` also holds validate to the typed
//! accessors over the torture and fuzz corpora and their mutations.
//!
//! Recognisers take the value and a start index and return the index just
//! past what they consumed (`None`: not in the language). A list element
//! ends where the next byte, after LWS, is `,` or the end of the value:
//! everything an accepted element consumed is outside any `,` a
//! comma-split would cut at, because the only places a `,` is accepted are
//! inside quoted strings and `<...>`, which that split skips too.
//!
//! [`Message::validate`]: super::Message::validate

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::swar::array_at;

use super::lexical::{
    self, CharClass, GEN_VALUE, HNV, HOSTNAME, PARAM, PASSWORD, TOKEN, URIC, USER, eq_ic, is_lws,
    is_word_ic_at, quoted_end, skip_lws,
};

/// The scheme of a recognised URI (`Other` when it is none of the three).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemeKind {
    Sip,
    Sips,
    Tel,
    Other,
}

/// What a recognised host is, for the broadcast/unspecified check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    Name,
    Ipv4(Ipv4Addr),
    /// An IPv6 reference or address (text, brackets removed).
    Ipv6,
}

#[inline]
fn at(b: &[u8], i: usize) -> Option<u8> {
    b.get(i).copied()
}

/// Length of the run of `class` bytes at `i`.
#[inline(always)]
fn run(b: &[u8], i: usize, class: &CharClass) -> usize {
    lexical::run(b, i, class)
}

/// Length of the run at `i` of `class` bytes and `%HH` escapes (what
/// `check_escaped` accepts).
#[inline]
fn escaped_run(b: &[u8], i: usize, class: &CharClass) -> usize {
    let mut k = i;
    loop {
        k += run(b, k, class);
        let escape = at(b, k) == Some(b'%')
            && at(b, k + 1).is_some_and(|c| c.is_ascii_hexdigit())
            && at(b, k + 2).is_some_and(|c| c.is_ascii_hexdigit());
        if !escape {
            return k - i;
        }
        k += 3;
    }
}

/// `check_escaped` of the whole of `s`.
#[inline]
fn all_escaped(s: &[u8], class: &CharClass) -> bool {
    escaped_run(s, 0, class) == s.len()
}

/// `name == word` ignoring ASCII case, for a `word` of lower-case letters
/// (the parameter names the recognisers look for): the name's bytes in
/// one little-endian word, folded with `| 0x20` (exact on letters: only a
/// letter's own upper case folds onto it) and compared once, instead of a
/// byte-by-byte case-insensitive loop (about 7 instructions a byte).
#[inline(always)]
fn is_name<const N: usize>(name: &[u8], word: &[u8; N]) -> bool {
    const { assert!(N <= 8) };
    let Ok(name) = <&[u8; N]>::try_from(name) else {
        return false;
    };
    debug_assert!(word.iter().all(u8::is_ascii_lowercase));
    // Assembled byte by byte, `got` cost 72 instructions per message: two
    // overlapping loads (the first and the last four bytes, or two when
    // shorter) cover every length from 2 to 8 in two compares.
    if N >= 4 {
        let w4 = |s: &[u8], lo: usize| array_at::<4>(s, lo).map_or(0, u32::from_le_bytes);
        w4(name, 0) | 0x2020_2020 == w4(word, 0)
            && w4(name, N.saturating_sub(4)) | 0x2020_2020 == w4(word, N.saturating_sub(4))
    } else if N >= 2 {
        let w2 = |s: &[u8], lo: usize| array_at::<2>(s, lo).map_or(0, u16::from_le_bytes);
        w2(name, 0) | 0x2020 == w2(word, 0)
            && w2(name, N.saturating_sub(2)) | 0x2020 == w2(word, N.saturating_sub(2))
    } else {
        name.iter().zip(word).all(|(&c, &w)| c | 0x20 == w)
    }
}

/// True when `b[i]` is the end of a list element: the end of the value
/// or a `,`.
#[inline]
fn element_end(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), None | Some(b','))
}

/// `Host::parse`: `[IPv6]`, a dotted quad, or a host name.
pub(crate) fn host(s: &[u8]) -> Option<HostKind> {
    match s.first() {
        Some(b'[') => {
            let inner = s.get(1..s.len().checked_sub(1)?)?;
            (s.len() > 2 && s.last() == Some(&b']') && ipv6_text(inner)).then_some(HostKind::Ipv6)
        }
        _ => host_unbracketed(s),
    }
}

/// `Host::parse_unbracketed`: a non-empty run of host-name bytes, a dotted
/// quad when it holds only digits and dots.
fn host_unbracketed(s: &[u8]) -> Option<HostKind> {
    // A dotted quad is all host-name bytes: one parse settles it.
    if s.first().is_some_and(u8::is_ascii_digit)
        && let Some(ip) = super::uri::parse_ipv4(s)
    {
        return Some(HostKind::Ipv4(ip));
    }
    if run(s, 0, &HOSTNAME) == s.len() {
        host_name_run(s)
    } else {
        None
    }
}

/// [`host_unbracketed`] of a run of host-name bytes.
fn host_name_run(s: &[u8]) -> Option<HostKind> {
    // A leading digit or dot: most often a dotted quad, which one parse
    // settles; otherwise it is a name only if some byte is neither.
    match s.first() {
        None => None,
        Some(&c) if c.is_ascii_digit() || c == b'.' => match super::uri::parse_ipv4(s) {
            Some(ip) => Some(HostKind::Ipv4(ip)),
            None => (!s.iter().all(|&c| c.is_ascii_digit() || c == b'.')).then_some(HostKind::Name),
        },
        Some(_) => Some(HostKind::Name),
    }
}

/// `check_ipv6_text`: hex digits, `:` and `.`, a `:`, at most 64 bytes.
fn ipv6_text(s: &[u8]) -> bool {
    s.len() <= 64
        && s.contains(&b':')
        && s.iter()
            .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
}

/// `parse_port`: `1*DIGIT` up to 65535.
fn port(s: &[u8]) -> bool {
    lexical::parse_digits(s).is_some_and(|n| n <= u64::from(u16::MAX))
}

/// The length of the port (`parse_port` of the run of digits) at `i`: its
/// digits scanned and valued in one pass, not a run then a parse.
#[inline]
fn port_at(b: &[u8], i: usize) -> Option<usize> {
    let (n, value) = digits_at(b, i);
    (n > 0 && value <= u64::from(u16::MAX)).then_some(n)
}

/// `sip:` / `sips:` at `i`, in any case: the scheme and where the rest
/// starts. Word compares instead of the colon search, scheme scan and
/// case-insensitive compares: 110 -> 20 instructions per URI. `None` for
/// other schemes.
#[inline]
fn sip_scheme(b: &[u8], i: usize) -> Option<(SchemeKind, usize)> {
    if is_word_ic_at(b, i, b"sip:") {
        Some((SchemeKind::Sip, i + 4))
    } else if is_word_ic_at(b, i, b"sips:") {
        Some((SchemeKind::Sips, i + 5))
    } else {
        None
    }
}

/// `Uri::parse` of the whole of `s`.
pub(crate) fn uri(s: &[u8]) -> Option<SchemeKind> {
    if let Some((kind, rest)) = sip_scheme(s, 0) {
        return (sip_uri_end(s, rest)? == s.len()).then_some(kind);
    }
    let colon = lexical::find_byte(s, 0, b':').filter(|&c| c > 0)?;
    let scheme = s.get(..colon)?;
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let rest = s.get(colon + 1..)?;
    if eq_ic(scheme, b"sip") {
        (sip_uri_end(s, colon + 1)? == s.len()).then_some(SchemeKind::Sip)
    } else if eq_ic(scheme, b"sips") {
        (sip_uri_end(s, colon + 1)? == s.len()).then_some(SchemeKind::Sips)
    } else if eq_ic(scheme, b"tel") {
        tel_uri_rest(rest).then_some(SchemeKind::Tel)
    } else {
        (!rest.is_empty() && all_escaped(rest, &URIC)).then_some(SchemeKind::Other)
    }
}

/// After `sip:`/`sips:` at `start`: `[userinfo@]host[:port][;params][?headers]`,
/// recognised where it stands; returns where it ends, at the first byte
/// none of its parts takes. No part takes a `>`, so a URI in `<...>` is
/// recognised in place and must end at the first `>` (the name-addr then
/// needs no search for it), and a whole URI text must end at its end.
fn sip_uri_end(b: &[u8], start: usize) -> Option<usize> {
    // userinfo runs to the first `@`, if any before a `>` (after one, an
    // `@` is not in the URI; a URI text holding `>` is refused either
    // way); user and password exclude `@`, so their runs reach it exactly
    // when userinfo is well formed.
    let host_start = match lexical::find_any3(b, start, b'@', b'>', b'>') {
        Some(at_sign) if at(b, at_sign) == Some(b'@') => {
            let user = escaped_run(b, start, &USER);
            let end = match at(b, start + user) {
                Some(b':') => user + 1 + escaped_run(b, start + user + 1, &PASSWORD),
                _ => user,
            };
            if user == 0 || start + end != at_sign {
                return None;
            }
            at_sign + 1
        }
        _ => start,
    };
    let host_end = if at(b, host_start) == Some(b'[') {
        let close = lexical::find_byte(b, host_start, b']')?;
        host(b.get(host_start..=close)?)?;
        close + 1
    } else {
        // Every byte of the host is a host-name byte; what stops the run
        // (`:`, `;`, `?` or the end) is judged by what follows.
        let n = run(b, host_start, &HOSTNAME);
        host_name_run(b.get(host_start..host_start + n)?)?;
        host_start + n
    };
    let mut i = host_end;
    if at(b, i) == Some(b':') {
        i += 1 + port_at(b, i + 1)?;
    }
    uri_params_headers(b, i)
}

/// After `tel:`: the number (RFC 3966 §3), then parameters.
fn tel_uri_rest(rest: &[u8]) -> bool {
    let end = rest
        .iter()
        .position(|&c| c == b';' || c == b'?')
        .unwrap_or(rest.len());
    let number = rest.get(..end).unwrap_or_default();
    let number_ok = !number.is_empty()
        && number.iter().all(|&c| {
            c.is_ascii_hexdigit()
                || matches!(
                    c,
                    b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#' | b'p' | b'w'
                )
        });
    number_ok && uri_params_headers(rest, end) == Some(rest.len())
}

/// `Uri::finish_params_headers`: `;params` then `?headers` from `i`;
/// returns where they end (`None`: a parameter or header is malformed).
fn uri_params_headers(text: &[u8], mut i: usize) -> Option<usize> {
    // uri-parameters: `;` name [= value], each a non-empty run of
    // paramchars and escapes (`;`, `=` and `?` are none of them).
    while at(text, i) == Some(b';') {
        let name = escaped_run(text, i + 1, &PARAM);
        if name == 0 {
            return None;
        }
        i += 1 + name;
        if at(text, i) == Some(b'=') {
            let value = escaped_run(text, i + 1, &PARAM);
            if value == 0 {
                return None;
            }
            i += 1 + value;
        }
    }
    // headers: `?` hname = [hvalue] *(& hname = [hvalue]).
    if at(text, i) == Some(b'?') {
        loop {
            let name = escaped_run(text, i + 1, &HNV);
            if name == 0 || at(text, i + 1 + name) != Some(b'=') {
                return None;
            }
            i += 2 + name;
            i += escaped_run(text, i, &HNV);
            if at(text, i) != Some(b'&') {
                break;
            }
        }
    }
    Some(i)
}

/// Header parameters after a `;` at `i - 1`: `token [= gen-value]` with
/// LWS around, separated by `;`. `visit` sees each name, raw value and
/// whether that value is a token (unquoted, without the `:`, `[` and `]` a
/// gen-value adds), and may refuse it. Returns where the list ends (at the element's end or at
/// the first byte that is neither a parameter nor `;`).
#[inline]
fn header_params(
    b: &[u8],
    mut i: usize,
    mut visit: impl FnMut(&[u8], Option<&[u8]>, bool) -> bool,
) -> Option<usize> {
    loop {
        i = skip_lws(b, i);
        let n = run(b, i, &TOKEN);
        if n == 0 {
            return None;
        }
        let name = b.get(i..i + n)?;
        i = skip_lws(b, i + n);
        let (mut value, mut token) = (None, false);
        if at(b, i) == Some(b'=') {
            let v = skip_lws(b, i + 1);
            let end = if at(b, v) == Some(b'"') {
                quoted_end(b, v)?
            } else {
                // The token run, continued as a gen-value only at a byte
                // the gen-value adds: the same end as one gen-value run,
                // and whether it is a token comes free (a branch check
                // made a second pass over the value for it).
                let t = run(b, v, &TOKEN);
                let m = match at(b, v + t) {
                    Some(b':' | b'[' | b']') => t + run(b, v + t, &GEN_VALUE),
                    _ => {
                        token = t > 0;
                        t
                    }
                };
                if m == 0 {
                    return None;
                }
                v + m
            };
            value = Some(b.get(v..end)?);
            i = skip_lws(b, end);
        }
        if !visit(name, value, token) {
            return None;
        }
        if at(b, i) == Some(b';') {
            i += 1;
        } else {
            return Some(i);
        }
    }
}

/// Optional `;params` after an element's main part at `i` (LWS before
/// `;` allowed): returns the element's end, which must be `,` or the end.
#[inline]
fn trailing_params(
    b: &[u8],
    i: usize,
    visit: impl FnMut(&[u8], Option<&[u8]>, bool) -> bool,
) -> Option<usize> {
    let i = skip_lws(b, i);
    let end = match at(b, i) {
        Some(b';') => header_params(b, i + 1, visit)?,
        _ => i,
    };
    element_end(b, end).then_some(end)
}

/// A comma-separated list: every element non-empty (after LWS) and
/// accepted by `element`, which starts at a non-LWS byte and returns its
/// end. An empty value is an empty list.
#[inline]
pub(crate) fn list(b: &[u8], mut element: impl FnMut(&[u8], usize) -> Option<usize>) -> bool {
    if b.is_empty() {
        return true;
    }
    let mut i = 0;
    loop {
        i = skip_lws(b, i);
        if element_end(b, i) {
            return false;
        }
        let Some(end) = element(b, i) else {
            return false;
        };
        match at(b, end) {
            None => return true,
            Some(b',') => i = end + 1,
            Some(_) => return false,
        }
    }
}

/// One whole value: `element` at its start, then nothing but the end.
#[inline]
pub(crate) fn single(b: &[u8], element: impl FnOnce(&[u8], usize) -> Option<usize>) -> bool {
    let i = skip_lws(b, 0);
    i < b.len() && element(b, i).is_some_and(|end| end == b.len())
}

/// What a recognised name-addr told: its end, whether `<>` enclosed the
/// URI, and whether a `tag` parameter carries a value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AddressSeen {
    pub(crate) end: usize,
    pub(crate) bracketed: bool,
    pub(crate) tag: bool,
}

/// `NameAddr::parse` of the element at `i` (a non-LWS byte); `visit` sees
/// the header parameters.
#[inline]
pub(crate) fn name_addr(
    b: &[u8],
    start: usize,
    mut visit: impl FnMut(&[u8], Option<&[u8]>, bool) -> bool,
) -> Option<AddressSeen> {
    let lt = match at(b, start)? {
        b'"' => {
            let lt = skip_lws(b, quoted_end(b, start)?);
            (at(b, lt) == Some(b'<')).then_some(lt)?
        }
        _ => {
            // A display name of tokens and LWS up to `<`, or the scheme of
            // an addr-spec (no LWS) up to `:`.
            let (mut k, mut spaced) = (start, false);
            while let Some(c) = at(b, k) {
                if TOKEN.contains(c) {
                } else if is_lws(c) {
                    spaced = true;
                } else {
                    break;
                }
                k += 1;
            }
            match at(b, k) {
                Some(b'<') => k,
                Some(b':') if !spaced => return addr_spec(b, start, visit),
                _ => return None,
            }
        }
    };
    let gt = match sip_scheme(b, lt + 1) {
        // Recognised in place: it must end at the `>`, the first one
        // after `<` since no part of the URI holds one (one pass instead
        // of a search for `>`, then the URI's own for `@`, then its runs).
        Some((_, rest)) => {
            let end = sip_uri_end(b, rest)?;
            (at(b, end) == Some(b'>')).then_some(end)?
        }
        None => {
            let gt = lexical::find_byte(b, lt + 1, b'>')?;
            let text = b.get(lt + 1..gt)?;
            // RFC 4475 §3.1.2.14: `< sip:x@y >` is not a name-addr (a
            // URI recognised in place neither starts nor ends with LWS).
            if text.first().is_some_and(|&c| is_lws(c)) || text.last().is_some_and(|&c| is_lws(c)) {
                return None;
            }
            uri(text)?;
            gt
        }
    };
    let mut tag = false;
    let end = trailing_params(b, gt + 1, |name, value, token| {
        tag |= value.is_some() && is_name(name, b"tag");
        visit(name, value, token)
    })?;
    Some(AddressSeen {
        end,
        bracketed: true,
        tag,
    })
}

/// The addr-spec form: the URI runs to `;`, LWS or the element's end and
/// may hold neither `,` nor `?` (RFC 3261 §20: "MUST be enclosed").
fn addr_spec(
    b: &[u8],
    start: usize,
    mut visit: impl FnMut(&[u8], Option<&[u8]>, bool) -> bool,
) -> Option<AddressSeen> {
    let mut end = start;
    while let Some(c) = at(b, end) {
        if c == b';' || c == b',' || is_lws(c) {
            break;
        }
        if c == b'?' {
            return None;
        }
        end += 1;
    }
    uri(b.get(start..end)?)?;
    let mut tag = false;
    let end = trailing_params(b, end, |name, value, token| {
        tag |= value.is_some() && is_name(name, b"tag");
        visit(name, value, token)
    })?;
    Some(AddressSeen {
        end,
        bracketed: false,
        tag,
    })
}

/// `Contact::parse` of one element: `*` or a name-addr whose `expires`
/// (the first one) is a 32-bit number.
pub(crate) fn contact(b: &[u8], start: usize) -> Option<usize> {
    if at(b, start) == Some(b'*') {
        let end = skip_lws(b, start + 1);
        if element_end(b, end) {
            return Some(end);
        }
    }
    let mut expires_seen = false;
    let seen = name_addr(b, start, |name, value, _| {
        if expires_seen || !is_name(name, b"expires") {
            return true;
        }
        expires_seen = true;
        number(value.unwrap_or_default(), u64::from(u32::MAX)).is_some()
    })?;
    Some(seen.end)
}

/// A route entry (`rec-route`, `route-param`): a name-addr with `<>`.
pub(crate) fn route(b: &[u8], start: usize) -> Option<usize> {
    name_addr(b, start, |_, _, _| true)
        .filter(|a| a.bracketed)
        .map(|a| a.end)
}

/// What a recognised Via entry told: broadcast or unspecified sent-by or
/// (first) received address.
pub(crate) fn via(b: &[u8], start: usize, bad_address: &mut bool) -> Option<usize> {
    let token = |i: usize| {
        let i = skip_lws(b, i);
        let n = run(b, i, &TOKEN);
        (n > 0).then_some(i + n)
    };
    let slash = |i: usize| {
        let i = skip_lws(b, i);
        (at(b, i) == Some(b'/')).then_some(i + 1)
    };
    // `SIP/2.0/` (letters in any case, no LWS) is how nearly every
    // sent-protocol starts: one word compare instead of two token runs
    // and two slash tests (the same positions either way).
    let i = if is_word_ic_at(b, start, b"sip/2.0/") {
        token(start + 8)?
    } else {
        token(slash(token(slash(token(start)?)?)?)?)?
    };
    let h = skip_lws(b, i);
    if h == i {
        return None;
    }
    let (host_len, kind) = if at(b, h) == Some(b'[') {
        let len = memchr::memchr(b']', b.get(h..)?)? + 1;
        (len, host(b.get(h..h + len)?)?)
    } else {
        let len = run(b, h, &HOSTNAME);
        (len, host_name_run(b.get(h..h + len)?)?)
    };
    let host_text = b.get(h..h + host_len)?;
    *bad_address |= is_bad(host_text, kind);
    let mut i = h + host_len;
    let colon = skip_lws(b, i);
    if at(b, colon) == Some(b':') {
        let p = skip_lws(b, colon + 1);
        i = p + port_at(b, p)?;
    }
    let i = branch_first(b, i).unwrap_or(i);
    let mut received_seen = false;
    trailing_params(b, i, |name, value, token| {
        let v = value.unwrap_or_default();
        match name.len() {
            6 if is_name(name, b"branch") => token,
            8 if is_name(name, b"received") => match received(v) {
                Some(kind) => {
                    if !received_seen {
                        received_seen = true;
                        *bad_address |= is_bad(v, kind);
                    }
                    true
                }
                None => false,
            },
            5 if is_name(name, b"maddr") => host(v).is_some(),
            3 if is_name(name, b"ttl") => lexical::parse_digits(v).is_some_and(|n| n <= 255),
            5 if is_name(name, b"rport") => value.is_none() || port(v),
            _ => true,
        }
    })
}

/// The Via parameter list's usual opening, `;branch=` and a token value
/// (the name in any case, no LWS), at `i`: where the value ends, for the
/// generic walk to go on from there. One word compare and the value's run
/// instead of the name run, four LWS tests and the name match. `None`
/// (the generic walk from `i`) for anything else; the generic walk
/// refuses a branch value that is not a token, so no refusal here.
#[inline]
fn branch_first(b: &[u8], i: usize) -> Option<usize> {
    if !is_word_ic_at(b, i, b";branch=") {
        return None;
    }
    let t = run(b, i + 8, &TOKEN);
    let after = at(b, i + 8 + t);
    (t > 0 && !matches!(after, Some(b':' | b'[' | b']'))).then_some(i + 8 + t)
}

/// `parse_received`: a host, or (RFC 5118 §4.5) a bare IPv6 address.
fn received(v: &[u8]) -> Option<HostKind> {
    // The colon search word-wise (a byte loop cost 5 instructions a byte).
    if v.first() == Some(&b'[') || lexical::find_byte(v, 0, b':').is_none() {
        host(v)
    } else {
        ipv6_text(v).then_some(HostKind::Ipv6)
    }
}

/// Broadcast or unspecified (`validate::is_bad_address` on the same host).
fn is_bad(text: &[u8], kind: HostKind) -> bool {
    match kind {
        HostKind::Name => false,
        HostKind::Ipv4(v4) => v4 == Ipv4Addr::BROADCAST || v4.is_unspecified(),
        HostKind::Ipv6 => {
            let inner = text
                .strip_prefix(b"[")
                .and_then(|t| t.strip_suffix(b"]"))
                .unwrap_or(text);
            core::str::from_utf8(inner)
                .ok()
                .and_then(|s| s.parse::<Ipv6Addr>().ok())
                .is_some_and(|ip| IpAddr::V6(ip).is_unspecified())
        }
    }
}

/// Above every bound the callers check (ports, Max-Forwards, CSeq,
/// Expires: at most `u32::MAX`).
const OUT_OF_RANGE: u64 = u32::MAX as u64 + 1;

/// The run of digits at `i` and its value, in one pass (`OUT_OF_RANGE`
/// when the value exceeds `u32::MAX`): a run and then a checked parse of
/// it cost twice the loop. Saturating with a `min` (no overflow: the value
/// stays at most `OUT_OF_RANGE`, ten times which fits) is branch-free,
/// where a checked multiply and add tested two flags a digit.
#[inline]
fn digits_at(b: &[u8], i: usize) -> (usize, u64) {
    let mut value = 0u64;
    let mut n = 0;
    while let Some(d) = at(b, i + n)
        .map(|c| c.wrapping_sub(b'0'))
        .filter(|&d| d < 10)
    {
        value = (value * 10 + u64::from(d)).min(OUT_OF_RANGE);
        n += 1;
    }
    (n, value)
}

/// `parse_number`: the whole value (LWS around) is `1*DIGIT` within `max`.
pub(crate) fn number(b: &[u8], max: u64) -> Option<u64> {
    let start = skip_lws(b, 0);
    let (n, value) = digits_at(b, start);
    // A value beyond u32::MAX reads as OUT_OF_RANGE: out of range for
    // every `max` the callers pass.
    debug_assert!(max < OUT_OF_RANGE);
    if n == 0 || skip_lws(b, start + n) != b.len() || value > max {
        return None;
    }
    Some(value)
}

/// `CSeq::parse`: `1*DIGIT LWS method` within 32 bits; returns the method.
pub(crate) fn cseq(b: &[u8]) -> Option<&[u8]> {
    let start = skip_lws(b, 0);
    let (n, value) = digits_at(b, start);
    if n == 0 || value > u64::from(u32::MAX) {
        return None;
    }
    let m = skip_lws(b, start + n);
    let k = run(b, m, &TOKEN);
    if m == start + n || k == 0 || skip_lws(b, m + k) != b.len() {
        return None;
    }
    b.get(m..m + k)
}

/// `ContentType::parse`: `type / subtype *(; param)`.
pub(crate) fn content_type(b: &[u8]) -> bool {
    let t = skip_lws(b, 0);
    let tl = run(b, t, &TOKEN);
    let slash = skip_lws(b, t + tl);
    if tl == 0 || at(b, slash) != Some(b'/') {
        return false;
    }
    let st = skip_lws(b, slash + 1);
    let sl = run(b, st, &TOKEN);
    sl > 0 && trailing_params(b, st + sl, |_, _, _| true) == Some(b.len())
}

/// `parse_call_id`: `word ["@" word]` with LWS around.
pub(crate) fn call_id(b: &[u8]) -> bool {
    lexical::call_id_end(b, skip_lws(b, 0)).is_some_and(|end| skip_lws(b, end) == b.len())
}

/// `[token *(LWS "," LWS token)]`: an option-tag or method list.
///
/// The language of [`list`] with a token element, walked without its
/// per-element generality: after each token the separator (nearly always
/// `,` or `, `) is tested directly. A table-driven automaton, one load
/// per byte, ran 300 instructions fewer but 40 ns slower: each byte's
/// state waited on the previous load.
pub(crate) fn token_list(b: &[u8]) -> bool {
    if b.is_empty() {
        return true;
    }
    let mut i = skip_lws(b, 0);
    loop {
        let n = run(b, i, &TOKEN);
        if n == 0 {
            // No token where one must start: LWS alone, `,,`, a trailing
            // `,` or a byte outside the grammar.
            return false;
        }
        i += n;
        // `, ` and a token: the usual separator, one compare (the general
        // walk below tested the byte, then LWS twice after the comma).
        if let Some(&[b',', b' ', next]) = b.get(i..i + 3)
            && TOKEN.contains(next)
        {
            i += 2;
            continue;
        }
        let comma = match at(b, i) {
            None => return true,
            Some(b',') => i,
            Some(c) if is_lws(c) => {
                let k = skip_lws(b, i);
                match at(b, k) {
                    None => return true,
                    Some(b',') => k,
                    Some(_) => return false,
                }
            }
            Some(_) => return false,
        };
        i = skip_lws(b, comma + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::uri::{Scheme, Uri};
    use crate::swar::same_bytes;

    /// The token-list automaton accepts exactly what the element-wise
    /// walk it replaced accepts, on every string of up to six bytes over
    /// a token byte, `,`, the LWS bytes and a byte outside the grammar.
    #[test]
    fn token_list_automaton_agrees_with_the_element_walk() {
        let walk = |b: &[u8]| {
            list(b, |b, i| {
                let n = run(b, i, &TOKEN);
                (n > 0).then(|| skip_lws(b, i + n))
            })
        };
        let alphabet = [b'a', b'!', b',', b' ', b'\t', b'\r', b'\n', b';', 0x80];
        let mut text = Vec::new();
        for len in 0..=6u32 {
            for mut code in 0..alphabet.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                assert_eq!(token_list(&text), walk(&text), "{text:?}");
            }
        }
    }

    /// A sip URI recognised in place inside `<...>` agrees with the typed
    /// name-addr parse, with `@`, `>`, `]` and LWS before, inside and
    /// after it, and with fewer than a word's bytes left after `<`.
    #[test]
    fn name_addr_in_place_uri_agrees_with_the_typed_parse() {
        use crate::sip::address::NameAddr;
        let uris = [
            "sip:a@b",
            "sip:b",
            "sip:a",
            "SIPS:a:pw@h:5060;lr?x=1",
            "sip:a:@h",
            "sip:[::1]",
            "sip:[::1>]",
            "sip:a@[::1]:5",
            "sip:a@",
            "sip:@b",
            "sip:a@b@c",
            "sip:1.2.3.4",
            "sip:1.2.3.256",
            "sip:1.2.3",
            "sip:a>b",
            "sip:",
            "sips:",
            "sip:a b",
            " sip:a",
            "sip:a ",
            "tel:+1",
            "sip:a;p=[1]",
            "sip:h:99999",
            "sip:h:",
            "sip:h?",
            "sip:h/x",
        ];
        let tails = [
            "",
            ";tag=x",
            ";tag=\"a@b\"",
            ";p=[::1]",
            "@",
            ">",
            " ;a=b",
            ";x=a@b",
        ];
        for uri in uris {
            for tail in tails {
                for head in ["", "\"A\" ", "A "] {
                    let v = format!("{head}<{uri}>{tail}");
                    let ours = single(v.as_bytes(), |b, i| {
                        name_addr(b, i, |_, _, _| true).map(|a| a.end)
                    });
                    assert_eq!(ours, NameAddr::parse(&v).is_ok(), "{v:?}");
                }
            }
        }
    }

    /// The `;branch=` opening agrees with the typed Via parse on case,
    /// LWS, quoting, gen-value bytes and what follows the value.
    #[test]
    fn via_branch_opening_agrees_with_the_typed_parse() {
        use crate::sip::via::Via;
        let params = [
            ";branch=z9hG4bK1",
            ";BRANCH=z9hG4bK1",
            ";Branch=a;rport",
            ";branch= a",
            ";branch =a",
            ";branch=\"a\"",
            ";branch=a:b",
            ";branch=[::1]",
            ";branch=a]",
            ";branch=",
            ";branch=;rport",
            ";branch=a ;rport",
            ";branch=a;branch=b:c",
            ";branch=a;received=1.2.3.4",
            ";branch=a;received=0.0.0.0",
            ";branchx=a",
            ";branc=a",
            ";bRaNcH=z9hG4bK-1.2_3!%*+`'~",
            ";branch=a b",
            ";branch\x1d=a",
        ];
        for p in params {
            for tail in ["", " ", ",", ";", "@"] {
                let v = format!("SIP/2.0/UDP 192.0.2.1:5060{p}{tail}");
                let mut bad = false;
                let ours = single(v.as_bytes(), |b, i| via(b, i, &mut bad));
                let typed = Via::parse(&v);
                assert_eq!(ours, typed.is_ok(), "{v:?}");
                if let Ok(typed) = typed {
                    let typed_bad = crate::sip::validate::is_bad_address(typed.host())
                        || typed
                            .received()
                            .is_some_and(crate::sip::validate::is_bad_address);
                    assert_eq!(bad, typed_bad, "{v:?}");
                }
            }
        }
    }

    /// The word-wise method compare is `==` on every length around its
    /// word boundaries.
    #[test]
    fn method_compare_is_equality() {
        let methods = [
            "",
            "A",
            "ACK",
            "ACKS",
            "BYE",
            "INFO",
            "INVITE",
            "INVITF",
            "JNVITE",
            "OPTIONS",
            "OPTIONZ",
            "REGISTER",
            "REGISTEX",
            "SUBSCRIBE",
            "SUBSCRIBF",
        ];
        for a in methods {
            for b in methods {
                assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), a == b, "{a} {b}");
            }
        }
    }

    /// The one-word `sip:`/`sips:` test agrees with the typed parser on
    /// case variants, near misses and URIs shorter than a word.
    #[test]
    fn sip_scheme_word_agrees_with_the_typed_parse() {
        for text in [
            "sip:alice@example.com",
            "SIP:alice@example.com",
            "sIpS:alice@example.com",
            "sips:alice@example.com",
            "sip:a@b",
            "sips:a",
            "sip\u{1a}alice@example.com",
            "sip;:alice@example.com",
            "sipx:alice@example.com",
            "sip:",
            "sips:",
            "sip:;x@example.com",
            "tel:+1-555-0100;ext=1",
            "http://example.com/x",
        ] {
            let typed = Uri::parse(text).ok().map(|u| match u.scheme() {
                Scheme::Sip => SchemeKind::Sip,
                Scheme::Sips => SchemeKind::Sips,
                Scheme::Tel => SchemeKind::Tel,
                _ => SchemeKind::Other,
            });
            assert_eq!(uri(text.as_bytes()), typed, "{text:?}");
        }
    }
}
