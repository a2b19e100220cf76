//! Cheap accessors for the fields a proxy reads on every packet: the top
//! Via branch, the From and To tags, the Request-URI and To users, and the
//! plain forms of CSeq and Call-ID.
//!
//! The typed accessors ([`Message::top_via`], [`Message::from`],
//! [`Message::request_uri`]) check the whole grammar of their header; these
//! scan only the bytes that lead to the one value they return, and check
//! that value's own grammar (RFC 3261 §25.1: `branch` and `tag` are
//! tokens, the user part is `user` with `%HH` escapes). They never hand out
//! bytes the grammar forbids in that value, but they do not vouch for the
//! rest of the header: run [`Message::validate`] before trusting a message
//! from the network. On a message that `validate` accepts they return the
//! same value as the typed accessors, except that a `tag` sent as a quoted
//! string (legal for a generic parameter, not for `tag-param`) is an error
//! here.

use core::ops::Range;

use super::error::SipError;
use super::fields::CSeq;
use super::header::{Header, HeaderName};
use super::lexical::{self, TOKEN, USER, check_escaped, is_token_str, quoted_end, skip_lws};
use super::message::Message;
use super::method::Method;
use crate::swar::{self, array_at, same_bytes};

fn err(name: &'static str, offset: usize, reason: &'static str) -> SipError {
    SipError::InvalidHeader {
        name,
        offset,
        reason,
    }
}

/// Offset of the first `;` or `,` at or after `i` outside quoted strings,
/// `None` at the end of `b` (or in an unterminated quote).
#[inline]
fn next_separator(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i = lexical::find_any3(b, i, b';', b',', b'"')?;
        match b.get(i)? {
            b'"' => i = quoted_end(b, i)?,
            _ => return Some(i),
        }
    }
}

/// The value of the first header parameter called `name` (lowercase
/// letters) in `b[i..]`, where `b[i]` is the `;` opening the parameters;
/// the scan stops at the `,` that ends a list element. The value must be
/// a token (the grammar of `branch` and `tag`); its range in `b` is
/// returned. `b` is the value of a `header` field at message offset
/// `at`: errors carry message offsets.
#[inline]
fn token_param<const N: usize>(
    b: &[u8],
    i: usize,
    name: &[u8; N],
    header: HeaderName,
    at: usize,
) -> Result<Option<Range<usize>>, SipError> {
    let Some(eq) = param_equals(b, i, name, header, at)? else {
        return Ok(None);
    };
    let v = skip_lws(b, eq + 1);
    let vlen = lexical::run_long(b, v, &TOKEN);
    let after = skip_lws(b, v + vlen);
    if vlen == 0 || !matches!(b.get(after), None | Some(b';' | b',')) {
        return Err(err(
            header.as_str(),
            at + v,
            "parameter value is not a token",
        ));
    }
    Ok(Some(v..v + vlen))
}

/// The offset of the `=` of the first header parameter called `name` in
/// `b[i..]` (see [`token_param`]), `None` when there is none.
#[inline(always)]
fn param_equals<const N: usize>(
    b: &[u8],
    mut i: usize,
    name: &[u8; N],
    header: HeaderName,
    at: usize,
) -> Result<Option<usize>, SipError> {
    while b.get(i) == Some(&b';') {
        // `;name=` without LWS, the form senders use, is one word compare.
        if lexical::is_word_ic_at(b, i + 1, name) && b.get(i + 1 + N) == Some(&b'=') {
            return Ok(Some(i + 1 + N));
        }
        let n = skip_lws(b, i + 1);
        // The name must end there (the next byte is no token byte).
        if lexical::is_word_ic_at(b, n, name)
            && !b.get(n + N).is_some_and(|&c| lexical::is_token(c))
        {
            let eq = skip_lws(b, n + N);
            if b.get(eq) != Some(&b'=') {
                return Err(err(header.as_str(), at + eq, "parameter without a value"));
            }
            return Ok(Some(eq));
        }
        // A parameter name holds no separator: the scan may start at it.
        match next_separator(b, n) {
            Some(at) => i = at,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// Where the header parameters of a name-addr / addr-spec value start
/// (the offset of their `;`), or `None` when it has none. The display
/// name may be a quoted string; the URI of a name-addr is skipped to its
/// `>` (its own `;` are URI parameters); an addr-spec's parameters begin
/// at its first `;` (RFC 3261 §20.10).
fn address_params(b: &[u8]) -> Option<usize> {
    let start = skip_lws(b, 0);
    let from = match b.get(start)? {
        b'"' => quoted_end(b, start)?,
        _ => start,
    };
    // After a quoted display name (or none) the `<` comes next but for
    // LWS: tested in place before any scan.
    let lt = skip_lws(b, from);
    let at = match b.get(lt) {
        Some(b'<') => lt,
        _ => lexical::find_any3(b, from, b'<', b';', b';')?,
    };
    if b.get(at) == Some(&b';') {
        return Some(at);
    }
    let gt = lexical::find_byte(b, at, b'>')?;
    let after = skip_lws(b, gt + 1);
    Some(after)
}

/// A CSeq value in its common form, `1*9DIGIT SP method` with nothing
/// around, decoded without validating the whole value as UTF-8 first;
/// `None` for anything else (LWS runs, folding, ten digits or more,
/// errors), which the full parse decides. The method of a request is
/// taken from its Request-Line when the bytes are the same.
#[inline(always)]
pub(super) fn plain_cseq<'a>(h: &Header<'a>, request: Option<Method<'a>>) -> Option<CSeq<'a>> {
    let v = h.value();
    // Nine digits cannot overflow a u32, and a tenth is not the SP looked
    // for after them. The first eight bytes are read at once (a shorter
    // value padded with zero bytes, which are no digits); a ninth digit is
    // added alone.
    let word = array_at::<8>(v, 0).unwrap_or_else(|| {
        let mut padded = [0u8; 8];
        if let Some(head) = padded.get_mut(..v.len()) {
            head.copy_from_slice(v);
        }
        padded
    });
    let (number, digits) = match swar::leading_digits(u64::from_le_bytes(word)) {
        (n, 8) => match v.get(8).map(|b| b.wrapping_sub(b'0')) {
            Some(d) if d <= 9 => (n * 10 + u32::from(d), 9),
            _ => (n, 8),
        },
        short => short,
    };
    if digits == 0 || v.get(digits) != Some(&b' ') {
        return None;
    }
    let m = v.get(digits + 1..)?;
    let method = match request {
        // A known method's name is a token: no need to check it again.
        Some(r) if !matches!(r, Method::Extension(_)) && same_bytes(r.as_str().as_bytes(), m) => r,
        _ if is_token_str(m) => Method::from_token(h.value_str()?.get(digits + 1..)?),
        _ => return None,
    };
    Some(CSeq {
        number,
        method,
        method_offset: digits + 1,
    })
}

/// A Call-ID value `word ["@" word]` (RFC 3261 §20.8) with nothing
/// around it, checked eight bytes at a time; `None` for anything else,
/// which the full parse decides.
#[inline(always)]
pub(super) fn plain_call_id<'a>(h: &Header<'a>) -> Option<&'a str> {
    let v = h.value();
    let ok = lexical::call_id_end(v, 0) == Some(v.len());
    // Word characters are ASCII: the conversion cannot fail.
    ok.then(|| h.value_str()).flatten()
}

impl<'a> Message<'a> {
    /// The raw value of the first field of `kind`, with its offset (only
    /// the bytes returned in the end are checked as text).
    fn hot_value(&self, kind: HeaderName) -> Result<(usize, &'a [u8]), SipError> {
        let h = self.header(kind).ok_or_else(|| SipError::MissingHeader {
            name: kind.as_str(),
        })?;
        Ok((h.value_range().start, h.value()))
    }

    /// The text of a token found at `range` of the value at `at`.
    #[inline(always)]
    fn param_text(
        &self,
        at: usize,
        range: Option<Range<usize>>,
        header: HeaderName,
    ) -> Result<Option<&'a str>, SipError> {
        let Some(r) = range else {
            return Ok(None);
        };
        // A token is ASCII: this cannot fail.
        self.text(at + r.start..at + r.end)
            .map(Some)
            .ok_or_else(|| {
                err(
                    header.as_str(),
                    at + r.start,
                    "parameter value is not a token",
                )
            })
    }

    /// The `branch` parameter of the topmost Via entry (the transaction
    /// id, RFC 3261 §8.1.1.7, §17.2.3), `None` when it has none.
    ///
    /// Only the bytes up to the branch are scanned; the branch itself must
    /// be a token. The same value as `top_via()?.branch()` on a message
    /// that [`Message::validate`] accepts (see the module contract).
    ///
    /// ```
    /// use voipsec::sip::Message;
    /// let msg = Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\n\
    /// v: SIP/2.0/UDP h;rport;BRANCH = z9hG4bK1, SIP/2.0/UDP g;branch=z9hG4bK2\r\n\r\n")?;
    /// assert_eq!(msg.top_via_branch()?, Some("z9hG4bK1"));
    /// let bad = Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=a<b\r\n\r\n")?;
    /// assert!(bad.top_via_branch().is_err());
    /// # Ok::<(), voipsec::sip::SipError>(())
    /// ```
    pub fn top_via_branch(&self) -> Result<Option<&'a str>, SipError> {
        let (at, b) = self.hot_value(HeaderName::Via)?;
        // sent-protocol and sent-by hold no `;`, `,` or `"`: the first
        // separator ends them. They run to a few dozen bytes, where the
        // library's vector scan costs fewer instructions than a word-wise
        // one; a quote (never legal there) takes the quote-aware walk.
        let sep = match memchr::memchr3(b';', b',', b'"', b) {
            Some(i) if b.get(i) == Some(&b'"') => next_separator(b, i),
            found => found,
        };
        match sep {
            Some(i) if b.get(i) == Some(&b';') => self.param_text(
                at,
                token_param(b, i, b"branch", HeaderName::Via, at)?,
                HeaderName::Via,
            ),
            _ => Ok(None),
        }
    }

    /// The `tag` parameter of From (RFC 3261 §19.3), `None` when absent.
    ///
    /// Only the bytes up to the tag are scanned (display name and URI are
    /// skipped, not checked); the tag must be a token. See the module
    /// contract.
    ///
    /// ```
    /// use voipsec::sip::Message;
    /// let msg = Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\n\
    /// f: \"A;tag=no\" <sip:a@b;tag=no>;x=\"y;tag=no\";tag=yes\r\n\r\n")?;
    /// assert_eq!(msg.from_tag()?, Some("yes"));
    /// # Ok::<(), voipsec::sip::SipError>(())
    /// ```
    pub fn from_tag(&self) -> Result<Option<&'a str>, SipError> {
        self.address_tag(HeaderName::From)
    }

    /// The `tag` parameter of To, `None` when absent (an out-of-dialog
    /// request). Same contract as [`Message::from_tag`].
    pub fn to_tag(&self) -> Result<Option<&'a str>, SipError> {
        self.address_tag(HeaderName::To)
    }

    fn address_tag(&self, kind: HeaderName) -> Result<Option<&'a str>, SipError> {
        let (at, b) = self.hot_value(kind)?;
        let Some(i) = address_params(b) else {
            return Ok(None);
        };
        match b.get(i) {
            None => Ok(None),
            Some(b';') => self.param_text(at, token_param(b, i, b"tag", kind, at)?, kind),
            Some(_) => Err(err(kind.as_str(), at + i, "unexpected text after address")),
        }
    }

    /// The user part of the Request-URI (for `tel:`, the number), escapes
    /// kept; `None` when the URI has none (or is of another scheme).
    ///
    /// Only the user part is checked (`user` characters and `%HH`
    /// escapes, RFC 3261 §25.1; RFC 3966 digits for `tel:`), not the host
    /// or parameters: [`Message::request_uri`] parses the whole URI.
    ///
    /// ```
    /// use voipsec::sip::Message;
    /// let msg = Message::parse(b"INVITE sip:bob%20x@example.com;transport=udp SIP/2.0\r\n\r\n")?;
    /// assert_eq!(msg.request_uri_user()?, Some("bob%20x"));
    /// let bad = Message::parse(b"INVITE sip:b%G0b@example.com SIP/2.0\r\n\r\n")?;
    /// assert!(bad.request_uri_user().is_err());
    /// # Ok::<(), voipsec::sip::SipError>(())
    /// ```
    pub fn request_uri_user(&self) -> Result<Option<&'a str>, SipError> {
        let r = self.request_line().ok_or(SipError::WrongMessageKind {
            expected: "request",
        })?;
        uri_user(r.uri, r.uri_offset)
    }

    /// The user part of the To URI (for `tel:`, the number), escapes kept;
    /// `None` when the URI has none (or is of another scheme): the value
    /// `to()?.uri().user()` returns, without parsing the display name,
    /// the rest of the URI or the header parameters.
    ///
    /// Only the bytes that lead to the URI are scanned, and only the user
    /// part is checked (as [`Message::request_uri_user`] does); run
    /// [`Message::validate`] before trusting the rest of the header.
    ///
    /// ```
    /// use voipsec::sip::Message;
    /// let msg = Message::parse(b"INVITE sip:b@h SIP/2.0\r\n\
    /// t: \"Bob <sip:no@h>\" <sip:bob@biloxi.example.com;user=phone>;tag=1\r\n\r\n")?;
    /// assert_eq!(msg.to_user()?, Some("bob"));
    /// let bad = Message::parse(b"INVITE sip:b@h SIP/2.0\r\nTo: <sip:b%G0b@h>\r\n\r\n")?;
    /// assert!(bad.to_user().is_err());
    /// # Ok::<(), voipsec::sip::SipError>(())
    /// ```
    pub fn to_user(&self) -> Result<Option<&'a str>, SipError> {
        let h = self
            .header(HeaderName::To)
            .ok_or(SipError::MissingHeader { name: "To" })?;
        let at = h.value_range().start;
        let value = h.value_str().ok_or(err("To", at, "not UTF-8"))?;
        let b = value.as_bytes();
        let start = skip_lws(b, 0);
        // name-addr: the URI is between `<` and `>`, after a display name
        // (a quoted string, or tokens); addr-spec: the URI runs to `;` or
        // white space (RFC 3261 §20.10), as `NameAddr::parse` reads it.
        let from = match b.get(start) {
            Some(b'"') => {
                quoted_end(b, start).ok_or(err("To", at + start, "unterminated quoted string"))?
            }
            Some(_) => start,
            None => return Err(err("To", at + start, "empty address")),
        };
        let (uri_start, uri_end) = match lexical::find_any3(b, from, b'<', b';', b'<') {
            Some(lt) if b.get(lt) == Some(&b'<') => {
                let gt = lexical::find_byte(b, lt + 1, b'>').ok_or(err(
                    "To",
                    at + lt,
                    "unterminated '<'",
                ))?;
                (lt + 1, gt)
            }
            _ if from != start => {
                return Err(err("To", at + from, "expected '<' after display name"));
            }
            _ => {
                let end = start
                    + b.get(start..)
                        .unwrap_or_default()
                        .iter()
                        .position(|&c| c == b';' || lexical::is_lws(c))
                        .unwrap_or(b.len() - start);
                (start, end)
            }
        };
        let uri = value.get(uri_start..uri_end).unwrap_or("");
        uri_user(uri, at + uri_start)
    }
}

/// The user part of `uri` (at message offset `offset`) as `Uri::user`
/// gives it, checked: `user` characters and `%HH` escapes (RFC 3261
/// §25.1), RFC 3966 digits for `tel:`; `None` for a URI without one or of
/// another scheme.
fn uri_user(uri: &str, offset: usize) -> Result<Option<&str>, SipError> {
    let invalid = |at: usize, reason| SipError::InvalidUri {
        offset: offset + at,
        reason,
    };
    let b = uri.as_bytes();
    // `sip:` (any case), the scheme of nearly every Request-URI, is read
    // as one word; a `user` run that stops at `@` is the whole user part
    // (`user` holds neither `@`, `:` nor `%`), so it needs no other check.
    if lexical::is_word_ic_at(b, 0, b"sip:") {
        let rest = uri.get(4..).unwrap_or("");
        let n = lexical::run(rest.as_bytes(), 0, &USER);
        if n > 0
            && rest.as_bytes().get(n) == Some(&b'@')
            && let Some(user) = rest.get(..n)
        {
            return Ok(Some(user));
        }
    }
    let colon = lexical::find_byte(b, 0, b':').ok_or_else(|| invalid(0, "missing scheme"))?;
    let scheme = b.get(..colon).unwrap_or_default();
    let rest = uri.get(colon + 1..).unwrap_or("");
    if scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips") {
        // userinfo excludes `@`, so the first `@` ends it (RFC 4475
        // §3.1.1.9), as in `Uri::parse`.
        let Some(at) = lexical::find_byte(rest.as_bytes(), 0, b'@') else {
            return Ok(None);
        };
        let userinfo = rest.get(..at).unwrap_or("");
        let user = match lexical::find_byte(userinfo.as_bytes(), 0, b':') {
            Some(c) => userinfo.get(..c).unwrap_or(""),
            None => userinfo,
        };
        if user.is_empty() {
            return Err(invalid(colon + 1, "empty user"));
        }
        check_escaped(user.as_bytes(), &USER)
            .map_err(|i| invalid(colon + 1 + i, "invalid user"))?;
        Ok(Some(user))
    } else if scheme.eq_ignore_ascii_case(b"tel") {
        let end = rest
            .bytes()
            .position(|c| c == b';' || c == b'?')
            .unwrap_or(rest.len());
        let number = rest.get(..end).unwrap_or("");
        if !super::uri::is_tel_number(number) {
            return Err(invalid(colon + 1, "invalid telephone number"));
        }
        Ok(Some(number))
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(headers: &str) -> Message<'_> {
        Message::parse(headers.as_bytes()).unwrap()
    }

    #[test]
    fn branch_agrees_with_the_full_via_parse() {
        for via in [
            "SIP/2.0/UDP h;branch=z9hG4bK1",
            "SIP/2.0/UDP h:5060 ; received=1.2.3.4 ; branch = z9hG4bK1 ;rport",
            "SIP/2.0/UDP h;x=\"a;branch=no,\";branch=yes",
            "SIP/2.0/UDP h;rport, SIP/2.0/UDP g;branch=other",
            "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-1",
            "SIP/2.0/UDP h",
            "SIP/2.0/UDP h;branchx=1;BrAnCh=z9hG4bK2",
            "SIP/2.0/UDP h;branc=1;xbranch=2",
            "SIP/2.0/UDP h;branch-x=1;BRANCH=z9hG4bK-x;branch=2",
            "SIP/2.0/UDP h;branch =z9hG4bK3",
            "SIP/2.0/UDP h;bRANCH = z9hG4bK-long-enough-for-two-words ;x",
            "SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239",
        ] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nVia: {via}\r\n\r\n");
            let m = msg(&raw);
            assert_eq!(
                m.top_via_branch().unwrap(),
                m.top_via().unwrap().branch(),
                "{via}"
            );
        }
    }

    #[test]
    fn malformed_branch_values_are_errors() {
        for via in [
            "SIP/2.0/UDP h;branch",
            "SIP/2.0/UDP h;branch=",
            "SIP/2.0/UDP h;branch==x",
            "SIP/2.0/UDP h;branch= ;x",
            "SIP/2.0/UDP h;branch=\"quoted\"",
            "SIP/2.0/UDP h;branch=a b",
            "SIP/2.0/UDP h;branch=a\u{e9}",
        ] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nVia: {via}\r\n\r\n");
            let m = msg(&raw);
            let e = m.top_via_branch().unwrap_err();
            let at = e.offset().unwrap();
            assert!(at >= raw.find("Via:").unwrap() && at <= raw.len(), "{via}");
        }
        let m = msg("OPTIONS sip:a@b SIP/2.0\r\n\r\n");
        assert_eq!(
            m.top_via_branch(),
            Err(SipError::MissingHeader { name: "Via" })
        );
    }

    #[test]
    fn tags_agree_with_the_full_address_parse() {
        for from in [
            "<sip:a@b>;tag=1",
            "\"A <x>; tag=2\" <sip:a@b;tag=no>;tag=3",
            "A B <sip:a@b> ; TAG = 4",
            "sip:a@b;tag=5",
            "sip:a@b",
            "<sip:a@b;tag=no>",
            "<sip:a@b>;x;tag=6;tag=7",
            "<sip:a@b>;tagx=1;Tag=8",
        ] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nFrom: {from}\r\nTo: {from}\r\n\r\n");
            let m = msg(&raw);
            assert_eq!(m.from_tag().unwrap(), m.from().unwrap().tag(), "{from}");
            assert_eq!(m.to_tag().unwrap(), m.to().unwrap().tag(), "{from}");
        }
        for bad in ["<sip:a@b>;tag", "<sip:a@b>;tag=\"q\"", "<sip:a@b> x;tag=1"] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nFrom: {bad}\r\n\r\n");
            assert!(msg(&raw).from_tag().is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_cseq_and_call_id_agree_with_the_full_parse() {
        use crate::sip::fields::parse_call_id;
        for (method, cseq) in [
            ("INVITE", "1 INVITE"),
            ("INVITE", "123456789 INVITE"),
            ("INVITE", "4294967295 INVITE"),
            ("INVITE", "4294967296 INVITE"),
            ("INVITE", "0009 ACK"),
            ("FOO", "7 FOO"),
            ("INVITE", "7 FOO"),
            ("INVITE", "1  INVITE"),
            ("INVITE", "1\r\n INVITE"),
            ("INVITE", "1 IN VITE"),
            ("INVITE", "1 INV\u{e9}"),
            ("INVITE", "x INVITE"),
            ("INVITE", "1"),
            ("INVITE", "1 "),
            ("INVITE", "-1 INVITE"),
            ("INVITE", "999999999 INVITE"),
            ("INVITE", "1234567890 INVITE"),
            ("INVITE", "1 INVITEX"),
            ("INVITE", "1 invite"),
            ("INVITE", "1 INVIT"),
            ("INVITE", "1 INV;TE"),
            ("BYE", "2 BYE"),
            ("BYE", "2 "),
        ] {
            let raw = format!("{method} sip:a@b SIP/2.0\r\nCSeq: {cseq}\r\n\r\n");
            let m = msg(&raw);
            let value = m.header(HeaderName::CSeq).unwrap().value_str().unwrap();
            let full = CSeq::parse(value).ok();
            assert_eq!(m.cseq().ok(), full, "{cseq}");
        }
        for id in [
            "a84b4c76e66710@pc33.example.com",
            "a@b@c",
            "@b",
            "a@",
            "a b",
            "a;b",
            "a\r\n b",
            "x()<>:\\\"/[]?{}-.!%*_+`'~0123456789abcdefghijklmnop@q",
            "a\u{e9}",
        ] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: {id}\r\n\r\n");
            let m = msg(&raw);
            let value = m.header(HeaderName::CallId).unwrap().value_str().unwrap();
            assert_eq!(m.call_id().ok(), parse_call_id(value).ok(), "{id}");
        }
    }

    #[test]
    fn to_user_agrees_with_the_full_address_parse() {
        for to in [
            "<sip:bob@example.com>",
            "\"Bob\" <sip:bob@example.com>;tag=1",
            "\"B <sip:x@y>; ob\" <SIPS:bob:pw@example.com;transport=tls>",
            "Bob Smith <sip:%61lice;x=y?z@example.com>",
            "sip:bob@example.com;tag=2",
            "sip:example.com",
            "<sip:example.com>",
            "<tel:+1-555-0100;phone-context=x>",
            "tel:+1-555-0100;tag=3",
            "<urn:service:sos>",
            "<sip:a@b> ;tag=4",
            "  <sip:a@b>",
        ] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nTo: {to}\r\n\r\n");
            let m = msg(&raw);
            assert_eq!(m.to_user().unwrap(), m.to().unwrap().uri().user(), "{to}");
        }
        for bad in [
            "<sip:@h>",
            "<sip:a%zz@h>",
            "<sip:a\"b@h>",
            "<tel:xyz>",
            "\"open",
            "\"Bob\" sip:a@b",
            "<sip:a@b",
        ] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nTo: {bad}\r\n\r\n");
            let m = msg(&raw);
            assert!(m.to_user().is_err(), "{bad}");
            assert!(m.to().is_err(), "{bad}");
        }
        let none = msg("OPTIONS sip:a@b SIP/2.0\r\n\r\n");
        assert_eq!(none.to_user(), Err(SipError::MissingHeader { name: "To" }));
    }

    #[test]
    fn request_uri_user_agrees_with_the_full_uri_parse() {
        for uri in [
            "sip:bob@example.com",
            "SIP:Bob@example.com",
            "sIp:a;b=c?d&e@example.com",
            "sip:alice:secret@example.com",
            "sip:a@b",
            "sips:bob@example.com",
            "SIPS:bob:pw@example.com;transport=tls",
            "sip:example.com",
            "sip:%61lice;x=y?z@example.com",
            "tel:+1-555-0100;phone-context=x",
            "urn:service:sos",
        ] {
            let raw = format!("OPTIONS {uri} SIP/2.0\r\n\r\n");
            let m = msg(&raw);
            assert_eq!(
                m.request_uri_user().unwrap(),
                m.request_uri().unwrap().user(),
                "{uri}"
            );
        }
        for bad in [
            "sip:@h",
            "sip:a%zz@h",
            "sip:a\"b@h",
            "SIP:a%4@h",
            "sip::pw@h",
            "tel:xyz",
        ] {
            let raw = format!("OPTIONS {bad} SIP/2.0\r\n\r\n");
            assert!(msg(&raw).request_uri_user().is_err(), "{bad}");
        }
        let response = msg("SIP/2.0 200 OK\r\n\r\n");
        assert!(response.request_uri_user().is_err());
    }
}
