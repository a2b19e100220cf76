//! name-addr / addr-spec (From, To, Contact, Route, Record-Route,
//! Refer-To...) with display names and header parameters (RFC 3261 §20.10,
//! §25.1).

use std::borrow::Cow;

use super::error::SipError;
use super::lexical::{self, is_lws, is_token, skip_lws, trim_lws};
use super::params::{Params, check_header_params};
use super::uri::Uri;

fn err(offset: usize, reason: &'static str) -> SipError {
    SipError::InvalidHeader {
        name: "",
        offset,
        reason,
    }
}

/// An address with optional display name and header parameters.
///
/// In `addr-spec` form (no `<>`), everything after the first `;` is a
/// header parameter, never a URI parameter (RFC 3261 §20.10, RFC 4475
/// §3.3.12 vs §3.3.13).
///
/// ```
/// use voipsec::sip::NameAddr;
/// let a = NameAddr::parse(r#""J Rosenberg \"" <sip:jdrosen@example.com>;tag=98asjd8"#).unwrap();
/// assert_eq!(a.display_name().unwrap(), r#"J Rosenberg ""#);
/// assert_eq!(a.uri().user(), Some("jdrosen"));
/// assert_eq!(a.tag(), Some("98asjd8"));
/// let b = NameAddr::parse("sip:+19725552222@gw1.example.net;unknownparam").unwrap();
/// assert!(b.uri().params().is_empty());
/// assert!(b.params().contains("unknownparam"));
/// assert!(NameAddr::parse("< sip:t.watson@example.org >").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display: Option<&'a str>,
    uri: Uri<'a>,
    params: Params<'a>,
    tag: Option<&'a str>,
    bracketed: bool,
}

impl<'a> NameAddr<'a> {
    /// Parses one name-addr or addr-spec with its parameters. Offsets in
    /// errors are relative to `s`.
    pub fn parse(s: &'a str) -> Result<NameAddr<'a>, SipError> {
        let b = s.as_bytes();
        let start = skip_lws(b, 0);
        let (display, lt) = match b.get(start) {
            None => return Err(err(start, "empty address")),
            Some(b'"') => {
                let end = lexical::quoted_end(b, start)
                    .ok_or_else(|| err(start, "unterminated quoted string"))?;
                let lt = skip_lws(b, end);
                if b.get(lt) != Some(&b'<') {
                    return Err(err(lt, "expected '<' after display name"));
                }
                (s.get(start..end), Some(lt))
            }
            Some(_) => {
                let k = start
                    + b.get(start..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|&&c| is_token(c) || is_lws(c))
                        .count();
                match b.get(k) {
                    Some(b'<') => {
                        let name = trim_lws(s.get(start..k).unwrap_or("")).1;
                        (if name.is_empty() { None } else { Some(name) }, Some(k))
                    }
                    Some(b':')
                        if !b
                            .get(start..k)
                            .unwrap_or_default()
                            .iter()
                            .any(|&c| is_lws(c)) =>
                    {
                        (None, None)
                    }
                    _ => return Err(err(k, "invalid display name or address")),
                }
            }
        };
        let (uri, after, bracketed) = match lt {
            Some(lt) => {
                let gt = memchr::memchr(b'>', b.get(lt + 1..).unwrap_or_default())
                    .map(|i| lt + 1 + i)
                    .ok_or_else(|| err(lt, "unterminated '<'"))?;
                let text = s.get(lt + 1..gt).unwrap_or("");
                // RFC 4475 §3.1.2.14: `< sip:x@y >` is not a name-addr.
                let padded = |c: Option<u8>| c.is_some_and(lexical::is_lws);
                if padded(text.bytes().next()) || padded(text.bytes().last()) {
                    return Err(err(lt + 1, "white space inside <...>"));
                }
                (
                    Uri::parse(text).map_err(|e| e.shifted(lt + 1))?,
                    gt + 1,
                    true,
                )
            }
            None => {
                // addr-spec: the URI ends at `;` or LWS; it may not hold `,`
                // or `?` unbracketed (RFC 3261 §20: "MUST be enclosed").
                let end = start
                    + b.get(start..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|&&c| c != b';' && !is_lws(c))
                        .count();
                let text = s.get(start..end).unwrap_or("");
                if let Some(i) = text.bytes().position(|c| c == b',' || c == b'?') {
                    return Err(err(
                        start + i,
                        "',' or '?' in an addr-spec must be enclosed in <>",
                    ));
                }
                (Uri::parse(text).map_err(|e| e.shifted(start))?, end, false)
            }
        };
        let rest = skip_lws(b, after);
        let mut tag = None;
        let params = match b.get(rest) {
            None => Params::default(),
            Some(b';') => {
                let raw = s.get(rest + 1..).unwrap_or("");
                check_header_params(raw, |p| {
                    if tag.is_none() && p.name.eq_ignore_ascii_case("tag") {
                        tag = p.value;
                    }
                    Ok(())
                })
                .map_err(|(i, why)| err(rest + 1 + i, why))?;
                Params::new(raw)
            }
            Some(_) => return Err(err(rest, "unexpected text after address")),
        };
        Ok(NameAddr {
            display,
            uri,
            params,
            tag,
            bracketed,
        })
    }

    /// The display name as sent (quotes included if quoted).
    pub fn display_name_raw(&self) -> Option<&'a str> {
        self.display
    }

    /// The display name with quotes removed and quoted-pairs decoded.
    pub fn display_name(&self) -> Option<Cow<'a, str>> {
        let d = self.display?;
        let Some(inner) = d.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
            return Some(Cow::Borrowed(d));
        };
        if !inner.contains('\\') {
            return Some(Cow::Borrowed(inner));
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                c => out.push(c),
            }
        }
        Some(Cow::Owned(out))
    }

    /// The URI.
    pub fn uri(&self) -> Uri<'a> {
        self.uri
    }

    /// The header parameters (`tag`, `expires`, `q`...).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `tag` parameter (RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&'a str> {
        self.tag
    }

    /// True for the `<...>` (name-addr) form.
    pub fn is_bracketed(&self) -> bool {
        self.bracketed
    }
}

/// One Contact value: `*` (REGISTER removal, RFC 3261 §10.2.2) or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *`
    Wildcard,
    /// A contact address with its parameters (`expires`, `q`...).
    Address(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parses one Contact value.
    pub fn parse(s: &'a str) -> Result<Contact<'a>, SipError> {
        if trim_lws(s).1 == "*" {
            return Ok(Contact::Wildcard);
        }
        NameAddr::parse(s).map(Contact::Address)
    }
}
