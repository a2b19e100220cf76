//! `Message::validate`: the eager grammar check an edge element runs
//! before trusting a message (RFC 3261 §25, RFC 4475 §3.1.2).

use super::address::{Contact, NameAddr};
use super::error::SipError;
use super::fields::{self, CSeq, ContentType};
use super::grammar::{self, SchemeKind};
use super::header::{Header, HeaderName};
use super::lexical::{self, is_token_str, skip_lws};
use super::message::Message;
use super::uri::{Host, Scheme};
use super::via::Via;

/// What [`Message::validate`] decoded on its way through the message, kept
/// so that `sanity` answers its policy questions from it instead of
/// parsing the same headers a second time. Filled only by a successful
/// validation; each field equals what the typed accessor would return.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Observed<'a> {
    /// The Request-URI scheme ([`Message::request_uri`]).
    pub(crate) scheme: Option<Scheme<'a>>,
    /// Max-Forwards of its first field ([`Message::max_forwards`]).
    pub(crate) max_forwards: Option<u8>,
    /// The first To field carries a tag.
    pub(crate) to_tag: bool,
    /// Some Via sent-by or received address is broadcast or unspecified.
    pub(crate) bad_via_address: bool,
}

/// Broadcast or unspecified: never a place to send a response (RFC 4475
/// §3.3.10).
pub(crate) fn is_bad_address(host: Host<'_>) -> bool {
    use core::net::{IpAddr, Ipv4Addr};
    match host.ip() {
        Some(IpAddr::V4(v4)) => v4 == Ipv4Addr::BROADCAST || v4.is_unspecified(),
        Some(IpAddr::V6(v6)) => v6.is_unspecified(),
        None => false,
    }
}

impl<'a> Message<'a> {
    /// Checks the grammar of the Request-URI and of every known header,
    /// and the cross-field rules a parser can judge alone:
    ///
    /// * To, From, Contact, Route, Record-Route, Refer-To, Referred-By,
    ///   Reply-To: name-addr / addr-spec with valid URIs and parameters;
    /// * Via: every entry (protocol, sent-by, branch/received/rport/
    ///   maddr/ttl), no empty entries or parameters;
    /// * Call-ID, CSeq (number within 32 bits, method equal to the request
    ///   method, RFC 3261 §8.1.1.5), Max-Forwards (0..=255), Expires and
    ///   Contact `expires` (32 bits), Retry-After, Warning codes, Content-Type,
    ///   option-tag lists.
    ///
    /// Policy (mandatory headers, duplicates, schemes, option tags) is
    /// `sanity`'s job, not this one's.
    ///
    /// ```
    /// use voipsec::sip::{Message, SipError};
    /// let raw = b"OPTIONS sip:user@example.com SIP/2.0\r\nCSeq: 8 INVITE\r\n\r\n";
    /// let msg = Message::parse(raw).unwrap(); // framing is fine
    /// assert!(matches!(msg.validate(), Err(SipError::CSeqMethodMismatch { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), SipError> {
        self.validate_observed(&mut Observed::default())
    }

    /// [`Message::validate`], recording in `seen` what sanity needs.
    ///
    /// The check-only recognisers of [`grammar`] decide in one pass over
    /// each value; only a message they refuse takes the typed walk, which
    /// names the error and where it is.
    pub(crate) fn validate_observed(&self, seen: &mut Observed<'a>) -> Result<(), SipError> {
        let recognised = self.recognise(seen);
        // Unit tests and fuzz builds (cargo-fuzz sets `cfg(fuzzing)`) hold
        // the two walks to the same verdict and the same observations; a
        // user's build, debug or release, never carries this assertion (no
        // panic on input, whatever the input). tests/sip_sanity_grammar.rs
        // compares them through the public API on every corpus.
        #[cfg(any(test, fuzzing))]
        {
            let mut typed = Observed::default();
            let verdict = self.validate_typed(&mut typed);
            assert_eq!(recognised, verdict.is_ok(), "{verdict:?}");
            if recognised {
                assert_eq!(*seen, typed);
            }
        }
        if recognised {
            return Ok(());
        }
        *seen = Observed::default();
        self.validate_typed(seen)
    }

    /// The grammar check by the recognisers: true when every checked value
    /// is in its language (exactly when [`Message::validate_typed`]
    /// succeeds), with `seen` filled as that walk fills it.
    fn recognise(&self, seen: &mut Observed<'a>) -> bool {
        let method = match self.request_line() {
            Some(r) => {
                let scheme = match grammar::uri(r.uri.as_bytes()) {
                    Some(SchemeKind::Sip) => Scheme::Sip,
                    Some(SchemeKind::Sips) => Scheme::Sips,
                    Some(SchemeKind::Tel) => Scheme::Tel,
                    Some(SchemeKind::Other) => {
                        Scheme::Other(r.uri.split_once(':').map_or("", |(s, _)| s))
                    }
                    None => return false,
                };
                seen.scheme = Some(scheme);
                Some(r.method.as_str().as_bytes())
            }
            None => None,
        };
        let (mut first_to, mut first_max_forwards) = (true, true);
        // The parse validated the whole head as UTF-8 when it could; only
        // a head that is not needs each checked value tested on its own,
        // in a pass of its own (a test a field in the loop below cost two
        // instructions a field on every message).
        if !self.head_is_utf8() && !self.checked_values_are_utf8() {
            return false;
        }
        // Plain loops over the index entries: the chained `headers()`
        // iterator costs more per field.
        for part in self.header_entries() {
            for e in part {
                let kind = e.kind;
                // Unknown names are not checked: their arm of the match
                // below (one jump table over every kind, where a test for
                // them first cost three instructions a field).
                let v = self.entry_value(e);
                let ok = match kind {
                    HeaderName::Via => {
                        grammar::list(v, |b, i| grammar::via(b, i, &mut seen.bad_via_address))
                    }
                    HeaderName::To => grammar::single(v, |b, i| {
                        let a = grammar::name_addr(b, i, |_, _, _| true)?;
                        if first_to {
                            seen.to_tag = a.tag;
                            first_to = false;
                        }
                        Some(a.end)
                    }),
                    HeaderName::From
                    | HeaderName::ReferTo
                    | HeaderName::ReferredBy
                    | HeaderName::ReplyTo => grammar::single(v, |b, i| {
                        grammar::name_addr(b, i, |_, _, _| true).map(|a| a.end)
                    }),
                    HeaderName::Contact => grammar::list(v, grammar::contact),
                    HeaderName::Route
                    | HeaderName::RecordRoute
                    | HeaderName::Path
                    | HeaderName::ServiceRoute => grammar::list(v, grammar::route),
                    HeaderName::CallId => grammar::call_id(v),
                    HeaderName::CSeq => grammar::cseq(v).is_some_and(|m| {
                        method.is_none_or(|request| crate::swar::same_bytes(m, request))
                    }),
                    HeaderName::MaxForwards => match grammar::number(v, 255) {
                        Some(n) => {
                            if first_max_forwards {
                                seen.max_forwards = u8::try_from(n).ok();
                                first_max_forwards = false;
                            }
                            true
                        }
                        None => false,
                    },
                    HeaderName::Expires | HeaderName::MinExpires => {
                        grammar::number(v, u32::MAX.into()).is_some()
                    }
                    HeaderName::ContentType => grammar::content_type(v),
                    // Rare: the typed checks, on this one field.
                    HeaderName::RetryAfter => self
                        .entry_header(e)
                        .value_str()
                        .is_some_and(|s| fields::check_retry_after(s).is_ok()),
                    HeaderName::Warning => {
                        each(self.entry_header(e), fields::check_warning, "Warning").is_ok()
                    }
                    HeaderName::Require
                    | HeaderName::ProxyRequire
                    | HeaderName::Supported
                    | HeaderName::Unsupported
                    | HeaderName::Allow
                    | HeaderName::AllowEvents => grammar::token_list(v),
                    // Every other kind, listed (an exhaustive match over the
                    // discriminants is one jump table with no range test).
                    HeaderName::Accept
                    | HeaderName::AcceptContact
                    | HeaderName::AcceptEncoding
                    | HeaderName::AcceptLanguage
                    | HeaderName::AlertInfo
                    | HeaderName::AuthenticationInfo
                    | HeaderName::Authorization
                    | HeaderName::CallInfo
                    | HeaderName::ContentDisposition
                    | HeaderName::ContentEncoding
                    | HeaderName::ContentLanguage
                    | HeaderName::ContentLength
                    | HeaderName::Date
                    | HeaderName::ErrorInfo
                    | HeaderName::Event
                    | HeaderName::Identity
                    | HeaderName::IdentityInfo
                    | HeaderName::InReplyTo
                    | HeaderName::MimeVersion
                    | HeaderName::MinSe
                    | HeaderName::Organization
                    | HeaderName::Priority
                    | HeaderName::ProxyAuthenticate
                    | HeaderName::ProxyAuthorization
                    | HeaderName::RAck
                    | HeaderName::Reason
                    | HeaderName::RejectContact
                    | HeaderName::RequestDisposition
                    | HeaderName::RSeq
                    | HeaderName::Server
                    | HeaderName::SessionExpires
                    | HeaderName::Subject
                    | HeaderName::SubscriptionState
                    | HeaderName::Timestamp
                    | HeaderName::UserAgent
                    | HeaderName::WwwAuthenticate
                    | HeaderName::Other => true,
                };
                if !ok {
                    return false;
                }
            }
        }
        true
    }

    /// Every value of a known kind (the values [`Message::recognise`]
    /// checks) is UTF-8, as the typed walk requires.
    fn checked_values_are_utf8(&self) -> bool {
        self.header_entries().iter().all(|part| {
            part.iter().all(|e| {
                let v = self.entry_value(e);
                e.kind == HeaderName::Other || v.is_ascii() || core::str::from_utf8(v).is_ok()
            })
        })
    }

    /// The grammar check by the typed parsers: the reference the
    /// recognisers follow, and the walk that names a refused message's
    /// error.
    pub(crate) fn validate_typed(&self, seen: &mut Observed<'a>) -> Result<(), SipError> {
        if self.is_request() {
            seen.scheme = Some(self.request_uri()?.scheme());
        }
        let (mut first_to, mut first_max_forwards) = (true, true);
        for h in self.headers() {
            if h.kind() == HeaderName::Other {
                continue;
            }
            let name = h.kind().as_str();
            let base = h.value_range().start;
            let value = h.value_str().ok_or(SipError::InvalidHeader {
                name,
                offset: base,
                reason: "not UTF-8",
            })?;
            let at = |e: SipError| e.shifted(base).in_header(name);
            match h.kind() {
                HeaderName::Via => each(
                    h,
                    |v| {
                        let via = Via::parse(v)?;
                        seen.bad_via_address |= is_bad_address(via.host())
                            || via.received().is_some_and(is_bad_address);
                        Ok(())
                    },
                    name,
                )?,
                HeaderName::To => {
                    let to = NameAddr::parse(value).map_err(at)?;
                    if first_to {
                        seen.to_tag = to.tag().is_some();
                        first_to = false;
                    }
                }
                HeaderName::From
                | HeaderName::ReferTo
                | HeaderName::ReferredBy
                | HeaderName::ReplyTo => {
                    NameAddr::parse(value).map_err(at)?;
                }
                HeaderName::Contact => each(h, check_contact, name)?,
                HeaderName::Route
                | HeaderName::RecordRoute
                | HeaderName::Path
                | HeaderName::ServiceRoute => each(h, check_route, name)?,
                HeaderName::CallId => {
                    fields::parse_call_id(value).map_err(at)?;
                }
                HeaderName::CSeq => {
                    let cseq = CSeq::parse(value).map_err(at)?;
                    if let Some(method) = self.method()
                        && cseq.method != method
                    {
                        return Err(SipError::CSeqMethodMismatch {
                            offset: base + cseq.method_offset,
                        });
                    }
                }
                HeaderName::MaxForwards => {
                    let n = fields::parse_number(value, name, 255).map_err(at)?;
                    if first_max_forwards {
                        seen.max_forwards = u8::try_from(n).ok();
                        first_max_forwards = false;
                    }
                }
                HeaderName::Expires | HeaderName::MinExpires => {
                    fields::parse_number(value, name, u32::MAX.into()).map_err(at)?;
                }
                HeaderName::ContentType => {
                    ContentType::parse(value).map_err(at)?;
                }
                HeaderName::RetryAfter => fields::check_retry_after(value).map_err(at)?,
                HeaderName::Warning => each(h, fields::check_warning, name)?,
                HeaderName::Require
                | HeaderName::ProxyRequire
                | HeaderName::Supported
                | HeaderName::Unsupported
                | HeaderName::Allow
                | HeaderName::AllowEvents
                    // The common well-formed list in one pass; anything
                    // else takes the element walk, which names the error.
                    if !is_token_list(h.value()) =>
                {
                    each(h, check_token, name)?
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Runs `check` on every comma-separated value of `h`; an empty element
/// (`a,,b`, RFC 4475 §3.1.2.1) is an error.
fn each<'a>(
    h: Header<'a>,
    mut check: impl FnMut(&'a str) -> Result<(), SipError>,
    name: &'static str,
) -> Result<(), SipError> {
    let mut values = h.values();
    while let Some((at, v)) = values.next_with_offset() {
        if v.is_empty() {
            return Err(SipError::InvalidHeader {
                name,
                offset: at,
                reason: "empty list element",
            });
        }
        check(v).map_err(|e| e.shifted(at).in_header(name))?;
    }
    Ok(())
}

fn check_contact(v: &str) -> Result<(), SipError> {
    if let Contact::Address(a) = Contact::parse(v)?
        && let Some(p) = a.params().get("expires")
    {
        {
            fields::parse_number(p.value.unwrap_or(""), "Contact", u32::MAX.into()).map_err(
                |_| SipError::ValueOutOfRange {
                    name: "Contact",
                    offset: 0,
                },
            )?;
        }
    }
    Ok(())
}

fn check_route(v: &str) -> Result<(), SipError> {
    // rec-route / route-param = name-addr: the brackets are mandatory.
    let a = NameAddr::parse(v)?;
    if a.is_bracketed() {
        Ok(())
    } else {
        Err(SipError::InvalidHeader {
            name: "",
            offset: 0,
            reason: "route entry without <>",
        })
    }
}

/// `[token *(LWS "," LWS token)]` with LWS around (folds included): what
/// [`check_token`] on every element of [`Header::values`] accepts, checked
/// in one pass.
fn is_token_list(v: &[u8]) -> bool {
    let mut i = skip_lws(v, 0);
    if i == v.len() {
        // Empty yields no element; white space alone is one empty element.
        return v.is_empty();
    }
    loop {
        let n = lexical::run(v, i, &lexical::TOKEN);
        if n == 0 {
            return false;
        }
        i = skip_lws(v, i + n);
        match v.get(i) {
            None => return true,
            Some(b',') => i = skip_lws(v, i + 1),
            Some(_) => return false,
        }
    }
}

fn check_token(v: &str) -> Result<(), SipError> {
    if is_token_str(v.as_bytes()) {
        Ok(())
    } else {
        Err(SipError::InvalidHeader {
            name: "",
            offset: 0,
            reason: "not a token",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A head that is not UTF-8 has its checked values tested one by one:
    /// only a known kind's value fails, wherever it stands.
    #[test]
    fn values_outside_utf8() {
        let head = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n";
        for (field, valid) in [
            (&b"X-Junk: \xff\r\n"[..], true),
            (b"Subject: caf\xc3\xa9 \xff\r\n", false),
            (b"Call-ID: y\xff\r\n", false),
            (b"Allow: INVITE\xff\r\n", false),
            (b"To: \"caf\xc3\xa9\" <sip:c@d>\r\nX-Junk: \xff\r\n", true),
        ] {
            for after in [false, true] {
                let mut raw = head.as_bytes().to_vec();
                if after {
                    raw.extend_from_slice(b"Max-Forwards: 70\r\n");
                }
                raw.extend_from_slice(field);
                raw.extend_from_slice(b"CSeq: 1 OPTIONS\r\n\r\n");
                let msg = Message::parse(&raw).unwrap();
                assert!(!msg.head_is_utf8());
                let verdict = msg.validate();
                assert_eq!(verdict.is_ok(), valid, "{field:?}: {verdict:?}");
                if !valid {
                    assert!(matches!(
                        verdict,
                        Err(SipError::InvalidHeader {
                            reason: "not UTF-8",
                            ..
                        })
                    ));
                }
            }
        }
    }

    #[test]
    fn token_list_fast_path_agrees_with_the_element_walk() {
        for value in [
            "",
            "INVITE",
            "INVITE, ACK,BYE",
            "a ,\r\n b",
            "a,",
            ",a",
            "a,,b",
            "a b",
            "\r\n ",
            "a;b",
            "\"a\"",
            "<a>",
            "a, b\r\n",
        ] {
            let raw = format!("OPTIONS sip:a@b SIP/2.0\r\nAllow: {value}\r\n\r\n");
            let Ok(msg) = Message::parse(raw.as_bytes()) else {
                continue;
            };
            let h = msg.header(HeaderName::Allow).unwrap();
            let walk = each(h, check_token, "Allow").is_ok();
            assert_eq!(is_token_list(h.value()), walk, "{value:?}");
        }
    }
}
