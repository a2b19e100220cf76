//! Sanity checks: the policy an SBC or proxy applies to a message that
//! parsed, each failure a typed reason with the SIP status code to answer
//! with (at least what Kamailio's `sanity` module checks, and more).
//!
//! ```
//! use voipsec::sip::{Message, sanity::{Reason, Sanity}};
//! let raw = b"OPTIONS tel:+1-555 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
//! From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\n\r\n";
//! let msg = Message::parse(raw).unwrap();
//! let rejection = Sanity::default().check(&msg).unwrap_err();
//! assert_eq!(rejection.status, 483);
//! assert_eq!(rejection.reason, Reason::TooManyHops);
//! ```

use core::fmt;

use super::error::SipError;
use super::header::{CONTROL, HeaderName, SPACE_BEFORE_COLON};
use super::message::Message;
use super::method::Method;
use super::uri::Scheme;
use super::validate::{Observed, is_bad_address};

/// Why a message was refused. [`Rejection::status`] carries the status code.
///
/// # Example
///
/// ```
/// use voipsec::sip::{Message, sanity::{Reason, Sanity}};
///
/// let raw = b"BYE sip:bob@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
/// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:bob@example.com>\r\n\
/// Call-ID: a84b4c76e66710\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n\r\n";
/// let msg = Message::parse(raw)?;
/// let rejection = Sanity::default().check(&msg).unwrap_err();
/// assert_eq!(rejection.reason, Reason::MissingToTag); // BYE is in-dialog only
/// assert_eq!(rejection.reason.to_string(), "in-dialog request without To tag");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The grammar check ([`Message::validate`]) failed.
    Grammar(SipError),
    /// Request-URI scheme other than sip, sips, tel (416, RFC 3261 §8.2.2.1).
    UnsupportedUriScheme,
    /// A header RFC 3261 §8.1.1 makes mandatory is missing (400).
    MissingHeader(&'static str),
    /// A single-valued header appears more than once (400): two parsers
    /// picking different copies is the classic smuggling hole.
    DuplicateHeader(&'static str),
    /// Max-Forwards is 0 (483, RFC 3261 §16.3 step 3).
    TooManyHops,
    /// A body without Content-Type (400, RFC 3261 §20.15).
    BodyWithoutContentType,
    /// Content-Length absent where the profile requires it (streams, 400).
    MissingContentLength,
    /// An option tag in Proxy-Require / Require is not supported (420, RFC
    /// 3261 §8.2.2.3); [`Rejection::detail`] names the first one.
    BadExtension,
    /// Content-Type not in the accepted list (415).
    UnsupportedMediaType,
    /// Top Via branch without the RFC 3261 `z9hG4bK` cookie (400).
    MissingBranchCookie,
    /// In-dialog-only method (BYE, ACK, PRACK, UPDATE, INFO, NOTIFY)
    /// without a To tag (400).
    MissingToTag,
    /// Out-of-dialog-only method (REGISTER, PUBLISH) with a To tag (400,
    /// RFC 3261 §8.1.1.2).
    UnexpectedToTag,
    /// A control character (NUL, CR, LF, DEL, C0 other than HT) in a
    /// header value outside a quoted-pair (400).
    ControlCharacter {
        /// Offset of the byte.
        offset: usize,
    },
    /// White space between a header name and its colon (400; legal in
    /// RFC 3261 but a classic parser-disagreement vector, off by default).
    SpaceBeforeColon {
        /// Offset of the header line.
        offset: usize,
    },
    /// A Via sent-by or received address that is broadcast or unspecified
    /// (400; RFC 4475 §3.3.10: never forward a response there).
    BadViaAddress,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Grammar(e) => write!(f, "{e}"),
            Reason::UnsupportedUriScheme => f.write_str("unsupported Request-URI scheme"),
            Reason::MissingHeader(h) => write!(f, "missing {h} header"),
            Reason::DuplicateHeader(h) => write!(f, "{h} header appears more than once"),
            Reason::TooManyHops => f.write_str("Max-Forwards is 0"),
            Reason::BodyWithoutContentType => f.write_str("body without Content-Type"),
            Reason::MissingContentLength => f.write_str("missing Content-Length"),
            Reason::BadExtension => f.write_str("unsupported option tag required"),
            Reason::UnsupportedMediaType => f.write_str("unsupported Content-Type"),
            Reason::MissingBranchCookie => f.write_str("top Via branch lacks the z9hG4bK cookie"),
            Reason::MissingToTag => f.write_str("in-dialog request without To tag"),
            Reason::UnexpectedToTag => f.write_str("out-of-dialog request with To tag"),
            Reason::ControlCharacter { offset } => write!(f, "control character at byte {offset}"),
            Reason::SpaceBeforeColon { offset } => {
                write!(f, "white space before colon at byte {offset}")
            }
            Reason::BadViaAddress => f.write_str("broadcast or unspecified Via address"),
        }
    }
}

impl Reason {
    /// The status code an SBC answers with (RFC 3261 §21).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::sip::sanity::Reason;
    ///
    /// assert_eq!(Reason::UnsupportedUriScheme.status(), 416);
    /// assert_eq!(Reason::TooManyHops.status(), 483);
    /// assert_eq!(Reason::BadExtension.status(), 420);
    /// assert_eq!(Reason::UnsupportedMediaType.status(), 415);
    /// assert_eq!(Reason::MissingHeader("Call-ID").status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Reason::Grammar(e) => e.status_code(),
            Reason::UnsupportedUriScheme => 416,
            Reason::TooManyHops => 483,
            Reason::BadExtension => 420,
            Reason::UnsupportedMediaType => 415,
            _ => 400,
        }
    }
}

/// A refused message: status code, reason, and (for 420) the option tag
/// to list in the Unsupported header of the answer.
///
/// # Example
///
/// ```
/// use voipsec::sip::{Message, sanity::{Reason, Sanity}};
///
/// let raw = b"INVITE sip:bob@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
/// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:bob@example.com>\r\n\
/// Call-ID: a84b4c76e66710\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n\
/// Proxy-Require: x-secret-sauce\r\n\r\n";
/// let msg = Message::parse(raw)?;
/// let rejection = Sanity::default().check(&msg).unwrap_err();
/// assert_eq!(rejection.status, 420);
/// assert_eq!(rejection.reason, Reason::BadExtension);
/// assert_eq!(rejection.detail, Some("x-secret-sauce")); // for the Unsupported header
/// assert_eq!(rejection.to_string(), "420 unsupported option tag required (x-secret-sauce)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection<'a> {
    /// Status code to answer with.
    pub status: u16,
    /// Why.
    pub reason: Reason,
    /// For [`Reason::BadExtension`]: the first unsupported option tag.
    pub detail: Option<&'a str>,
}

impl fmt::Display for Rejection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.reason)?;
        if let Some(d) = self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl From<Reason> for Rejection<'_> {
    fn from(reason: Reason) -> Self {
        Rejection {
            status: reason.status(),
            reason,
            detail: None,
        }
    }
}

/// Option tags a typical SBC supports (RFC 3262, 4028, 3891, 3327, 5626, 5627, 4488).
///
/// # Example
///
/// ```
/// use voipsec::sip::{Message, sanity::{DEFAULT_SUPPORTED, Sanity}};
///
/// let raw = b"INVITE sip:bob@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
/// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:bob@example.com>\r\n\
/// Call-ID: a84b4c76e66710\r\nCSeq: 1 INVITE\r\nProxy-Require: timer\r\n\r\n";
/// let msg = Message::parse(raw)?;
/// assert!(DEFAULT_SUPPORTED.contains(&"timer"));
/// assert!(Sanity::default().check(&msg).is_ok());
/// let strict = Sanity { supported: &["100rel"], ..Sanity::default() };
/// assert_eq!(strict.check(&msg).unwrap_err().detail, Some("timer"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_SUPPORTED: &[&str] = &[
    "100rel",
    "timer",
    "replaces",
    "path",
    "outbound",
    "gruu",
    "norefersub",
];

/// The checks, each on or off. [`Sanity::default`] is the proxy/SBC
/// profile: everything on except the RFC 3261 branch cookie (RFC 2543
/// peers and the RFC 4475 `valid` messages `wsinv`/`longreq` lack it),
/// Require (a UAS concern), white space before colon (legal), a required
/// Content-Length (set it for streams; the framer already enforces it),
/// required Max-Forwards (a proxy adds one, RFC 3261 §16.6 step 3) and the
/// Content-Type allow-list.
///
/// # Example
///
/// ```
/// use voipsec::sip::{Message, sanity::{Reason, Sanity}};
///
/// let raw = b"MESSAGE sip:bob@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
/// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:bob@example.com>\r\n\
/// Call-ID: a84b4c76e66710\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/html\r\n\
/// Content-Length: 5\r\n\r\nhello";
/// let msg = Message::parse(raw)?;
/// assert!(Sanity::default().check(&msg).is_ok()); // any Content-Type by default
/// let accepted: &[&str] = &["text/plain", "application/sdp"];
/// let strict = Sanity { content_types: Some(accepted), ..Sanity::default() };
/// let rejection = strict.check(&msg).unwrap_err();
/// assert_eq!((rejection.status, rejection.reason), (415, Reason::UnsupportedMediaType));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sanity<'c> {
    /// Run [`Message::validate`] (grammar, CSeq method and range, scalars).
    pub grammar: bool,
    /// Request-URI scheme is sip, sips or tel (416).
    pub request_uri_scheme: bool,
    /// To, From, CSeq, Call-ID and Via present (RFC 3261 §8.1.1).
    pub mandatory_headers: bool,
    /// Max-Forwards present in requests.
    pub require_max_forwards: bool,
    /// Max-Forwards 0 is refused with 483.
    pub hop_limit: bool,
    /// From, To, Call-ID, CSeq, Max-Forwards, Content-Length, Content-Type
    /// at most once.
    pub single_valued: bool,
    /// A body needs a Content-Type.
    pub body_needs_content_type: bool,
    /// Content-Length must be present.
    pub require_content_length: bool,
    /// Check Proxy-Require against `supported` (420).
    pub proxy_require: bool,
    /// Check Require against `supported` (420).
    pub require: bool,
    /// Supported option tags.
    pub supported: &'c [&'c str],
    /// Accepted `type/subtype` values; `None` accepts any (415 otherwise).
    pub content_types: Option<&'c [&'c str]>,
    /// Top Via branch starts with `z9hG4bK`.
    pub branch_cookie: bool,
    /// To-tag rules for in-dialog-only and out-of-dialog-only methods.
    pub to_tag: bool,
    /// No control characters in header values (outside quoted-pairs).
    pub control_characters: bool,
    /// No white space before a header colon.
    pub space_before_colon: bool,
    /// No broadcast or unspecified Via sent-by / received address.
    pub via_addresses: bool,
}

impl Default for Sanity<'_> {
    fn default() -> Self {
        Sanity {
            grammar: true,
            request_uri_scheme: true,
            mandatory_headers: true,
            require_max_forwards: false,
            hop_limit: true,
            single_valued: true,
            body_needs_content_type: true,
            require_content_length: false,
            proxy_require: true,
            require: false,
            supported: DEFAULT_SUPPORTED,
            content_types: None,
            branch_cookie: false,
            to_tag: true,
            control_characters: true,
            space_before_colon: false,
            via_addresses: true,
        }
    }
}

const SINGLE_VALUED: [HeaderName; 7] = [
    HeaderName::From,
    HeaderName::To,
    HeaderName::CallId,
    HeaderName::CSeq,
    HeaderName::MaxForwards,
    HeaderName::ContentLength,
    HeaderName::ContentType,
];

const MANDATORY: [HeaderName; 5] = [
    HeaderName::To,
    HeaderName::From,
    HeaderName::CSeq,
    HeaderName::CallId,
    HeaderName::Via,
];

/// The bit of `kind` in the per-kind words of [`Sanity::check`]
/// (`Other` included: 62 kinds fit in 64 bits).
#[inline(always)]
const fn kind_bit(kind: HeaderName) -> u64 {
    1 << (kind as u32 % 64)
}

/// The bits of `kinds`.
// Only ever evaluated at compile time (the constants below).
#[allow(clippy::indexing_slicing)]
const fn kinds_mask(kinds: &[HeaderName]) -> u64 {
    let mut mask = 0;
    let mut i = 0;
    while i < kinds.len() {
        mask |= kind_bit(kinds[i]);
        i += 1;
    }
    mask
}

const _: () = assert!((HeaderName::Other as u32) < 64, "a bit per kind");
const SINGLE_VALUED_KINDS: u64 = kinds_mask(&SINGLE_VALUED);
const MANDATORY_KINDS: u64 = kinds_mask(&MANDATORY);

impl<'c> Sanity<'c> {
    /// Every check off (turn on what you need).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::sip::{Message, sanity::{Reason, Sanity}};
    ///
    /// let raw = b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP pc.example.com;branch=1\r\n\
    /// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:bob@example.com>\r\n\
    /// Call-ID: a84b4c76e66710\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\n\r\n";
    /// let msg = Message::parse(raw)?;
    /// assert!(Sanity::none().check(&msg).is_ok());
    /// let cookie_only = Sanity { branch_cookie: true, ..Sanity::none() };
    /// assert_eq!(cookie_only.check(&msg).unwrap_err().reason, Reason::MissingBranchCookie);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn none() -> Self {
        Sanity {
            grammar: false,
            request_uri_scheme: false,
            mandatory_headers: false,
            require_max_forwards: false,
            hop_limit: false,
            single_valued: false,
            body_needs_content_type: false,
            require_content_length: false,
            proxy_require: false,
            require: false,
            supported: &[],
            content_types: None,
            branch_cookie: false,
            to_tag: false,
            control_characters: false,
            space_before_colon: false,
            via_addresses: false,
        }
    }

    /// Runs the enabled checks; the first failure is returned.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::sip::{Message, sanity::{Reason, Sanity}};
    ///
    /// let good = b"REGISTER sip:example.com SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
    /// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:alice@example.com>\r\n\
    /// Call-ID: a84b4c76e66710\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n\r\n";
    /// assert!(Sanity::default().check(&Message::parse(good)?).is_ok());
    ///
    /// // Two Call-IDs: two parsers could pick different ones.
    /// let smuggled = b"REGISTER sip:example.com SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
    /// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:alice@example.com>\r\n\
    /// Call-ID: a84b4c76e66710\r\nCall-ID: other\r\nCSeq: 1 REGISTER\r\n\r\n";
    /// let rejection = Sanity::default().check(&Message::parse(smuggled)?).unwrap_err();
    /// assert!(matches!(rejection.reason, Reason::DuplicateHeader(_)));
    /// assert_eq!(rejection.status, 400);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check<'a>(&self, msg: &Message<'a>) -> Result<(), Rejection<'a>> {
        // With the grammar checked, what validate decoded answers the
        // policy questions below (no header is parsed twice).
        let mut seen = Observed::default();
        let seen = if self.grammar {
            msg.validate_observed(&mut seen)
                .map_err(|e| Rejection::from(Reason::Grammar(e)))?;
            Some(&seen)
        } else {
            None
        };
        // One pass over the index notes which kinds appear and which
        // appear twice (all the checks below need: a bit per kind in two
        // words, kept in registers, where a count per kind in memory cost
        // a load and a store a field) and whether any value may hold a
        // control byte or white space sits before a colon.
        let (mut seen_kinds, mut repeated) = (0u64, 0u64);
        let mut flags = 0;
        for part in msg.header_entries() {
            for e in part {
                let bit = kind_bit(e.kind);
                repeated |= seen_kinds & bit;
                seen_kinds |= bit;
                flags |= e.flags;
            }
        }
        let control = flags & CONTROL != 0;
        let spaced = flags & SPACE_BEFORE_COLON != 0;
        if self.control_characters && control {
            check_control_characters(msg)?;
        }
        if self.space_before_colon
            && spaced
            && let Some(h) = msg.headers().find(|h| h.space_before_colon())
        {
            return Err(Reason::SpaceBeforeColon {
                offset: h.name_range().start,
            }
            .into());
        }
        // How many fields of a kind, saturating at 2.
        let count = |kind: HeaderName| {
            u8::from(seen_kinds & kind_bit(kind) != 0) + u8::from(repeated & kind_bit(kind) != 0)
        };
        // One mask test each; the search for which kind to name runs only
        // on a refusal.
        if self.single_valued
            && repeated & SINGLE_VALUED_KINDS != 0
            && let Some(kind) = SINGLE_VALUED.iter().find(|k| count(**k) > 1)
        {
            return Err(Reason::DuplicateHeader(kind.as_str()).into());
        }
        if self.mandatory_headers
            && seen_kinds & MANDATORY_KINDS != MANDATORY_KINDS
            && let Some(kind) = MANDATORY.iter().find(|k| count(**k) == 0)
        {
            return Err(Reason::MissingHeader(kind.as_str()).into());
        }
        if msg.is_request() {
            self.check_request(msg, seen, &count)?;
        }
        if self.require_content_length && msg.content_length().is_none() {
            return Err(Reason::MissingContentLength.into());
        }
        if self.body_needs_content_type
            && !msg.body().is_empty()
            && count(HeaderName::ContentType) == 0
        {
            return Err(Reason::BodyWithoutContentType.into());
        }
        if let Some(accepted) = self.content_types
            && let Ok(ct) = msg.content_type()
            && !accepted
                .iter()
                .any(|a| a.split_once('/').is_some_and(|(t, s)| ct.is(t, s)))
        {
            return Err(Reason::UnsupportedMediaType.into());
        }
        if self.branch_cookie {
            let ok = msg
                .top_via()
                .ok()
                .and_then(|v| v.branch())
                .is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"));
            if !ok {
                return Err(Reason::MissingBranchCookie.into());
            }
        }
        if self.via_addresses {
            let bad = match seen {
                Some(seen) => seen.bad_via_address,
                None => has_bad_via_address(msg),
            };
            if bad {
                return Err(Reason::BadViaAddress.into());
            }
        }
        Ok(())
    }

    fn check_request<'a>(
        &self,
        msg: &Message<'a>,
        seen: Option<&Observed<'a>>,
        count: &dyn Fn(HeaderName) -> u8,
    ) -> Result<(), Rejection<'a>> {
        let method = msg.method().unwrap_or(Method::Extension(""));
        if self.request_uri_scheme {
            let scheme = match seen.and_then(|s| s.scheme) {
                Some(scheme) => Ok(scheme),
                None => msg.request_uri().map(|u| u.scheme()),
            };
            match scheme {
                Ok(Scheme::Sip | Scheme::Sips | Scheme::Tel) => {}
                Ok(Scheme::Other(_)) => return Err(Reason::UnsupportedUriScheme.into()),
                Err(e) => return Err(Reason::Grammar(e).into()),
            }
        }
        let max_forwards = match seen {
            Some(seen) => seen.max_forwards.ok_or(SipError::MissingHeader {
                name: HeaderName::MaxForwards.as_str(),
            }),
            None => msg.max_forwards(),
        };
        match max_forwards {
            Ok(0) if self.hop_limit => return Err(Reason::TooManyHops.into()),
            Err(SipError::MissingHeader { .. }) if self.require_max_forwards => {
                return Err(Reason::MissingHeader("Max-Forwards").into());
            }
            Err(e @ (SipError::InvalidHeader { .. } | SipError::ValueOutOfRange { .. }))
                if self.hop_limit =>
            {
                return Err(Reason::Grammar(e).into());
            }
            _ => {}
        }
        for (enabled, kind) in [
            (self.proxy_require, HeaderName::ProxyRequire),
            (self.require, HeaderName::Require),
        ] {
            if enabled
                && count(kind) > 0
                && let Some(tag) = msg
                    .values(kind)
                    .find(|t| !self.supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
            {
                return Err(Rejection {
                    status: 420,
                    reason: Reason::BadExtension,
                    detail: Some(tag),
                });
            }
        }
        if self.to_tag {
            let in_dialog_only = matches!(
                method,
                Method::Bye
                    | Method::Ack
                    | Method::Prack
                    | Method::Update
                    | Method::Info
                    | Method::Notify
            );
            let out_of_dialog_only = matches!(method, Method::Register | Method::Publish);
            if in_dialog_only || out_of_dialog_only {
                let has_tag = match seen {
                    Some(seen) => seen.to_tag,
                    None => msg.to().ok().and_then(|t| t.tag()).is_some(),
                };
                if in_dialog_only && !has_tag && count(HeaderName::To) > 0 {
                    return Err(Reason::MissingToTag.into());
                }
                if out_of_dialog_only && has_tag {
                    return Err(Reason::UnexpectedToTag.into());
                }
            }
        }
        Ok(())
    }

    /// The Max-Forwards value to forward with (RFC 3261 §16.6 step 3):
    /// the received value minus one, 70 when absent, 483 at 0.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::sip::{Message, sanity::Sanity};
    ///
    /// let request = |max_forwards: &str| {
    ///     format!(
    ///         "OPTIONS sip:bob@example.com SIP/2.0\r\n\
    ///          Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
    ///          From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:bob@example.com>\r\n\
    ///          Call-ID: a84b4c76e66710\r\nCSeq: 1 OPTIONS\r\n{max_forwards}\r\n"
    ///     )
    /// };
    /// let raw = request("Max-Forwards: 70\r\n");
    /// assert_eq!(Sanity::next_max_forwards(&Message::parse(raw.as_bytes())?), Ok(69));
    /// let raw = request("");
    /// assert_eq!(Sanity::next_max_forwards(&Message::parse(raw.as_bytes())?), Ok(70));
    /// let raw = request("Max-Forwards: 0\r\n");
    /// let msg = Message::parse(raw.as_bytes())?;
    /// assert_eq!(Sanity::next_max_forwards(&msg).unwrap_err().status, 483);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_max_forwards<'a>(msg: &Message<'a>) -> Result<u8, Rejection<'a>> {
        match msg.max_forwards() {
            Ok(0) => Err(Reason::TooManyHops.into()),
            Ok(n) => Ok(n - 1),
            Err(SipError::MissingHeader { .. }) => Ok(70),
            Err(e) => Err(Reason::Grammar(e).into()),
        }
    }

    /// Every Proxy-Require / Require option tag not in `supported`, for the
    /// Unsupported header of a 420 answer.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::sip::{Message, sanity::Sanity};
    ///
    /// let raw = b"INVITE sip:bob@example.com SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK776\r\n\
    /// From: <sip:alice@example.com>;tag=1928\r\nTo: <sip:bob@example.com>\r\n\
    /// Call-ID: a84b4c76e66710\r\nCSeq: 1 INVITE\r\n\
    /// Proxy-Require: x-a\r\nRequire: 100rel, x-b\r\n\r\n";
    /// let msg = Message::parse(raw)?;
    /// let sanity = Sanity::default();
    /// let unsupported: Vec<&str> = sanity.unsupported(&msg).collect();
    /// assert_eq!(unsupported, ["x-a", "x-b"]); // 100rel is supported
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unsupported<'a, 'm>(
        &'m self,
        msg: &'m Message<'a>,
    ) -> impl Iterator<Item = &'a str> + 'm {
        msg.values(HeaderName::ProxyRequire)
            .chain(msg.values(HeaderName::Require))
            .filter(|t| !self.supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
    }
}

/// Control characters outside quoted-pairs in header values. (Inside a
/// quoted string `\` may escape any octet, RFC 3261 §25.1, which RFC 4475
/// §3.1.1.2 uses for NUL; a raw one is never legal.)
fn check_control_characters<'a>(msg: &Message<'a>) -> Result<(), Rejection<'a>> {
    for h in msg.headers() {
        // The indexer's line scan noted every value holding a control
        // byte (HT included); the exact walk below runs only for those.
        if !h.may_hold_control() {
            continue;
        }
        let base = h.value_range().start;
        let (mut quoted, mut escaped) = (false, false);
        for (i, &b) in h.value().iter().enumerate() {
            if escaped {
                escaped = false;
                continue;
            }
            match b {
                b'"' => quoted = !quoted,
                b'\\' if quoted => escaped = true,
                // CR LF inside a value span only ever come from folding.
                b'\r' | b'\n' | b'\t' => {}
                0..=0x1f | 0x7f => return Err(Reason::ControlCharacter { offset: base + i }.into()),
                _ => {}
            }
        }
    }
    Ok(())
}

fn has_bad_via_address(msg: &Message<'_>) -> bool {
    msg.vias()
        .flatten()
        .any(|via| is_bad_address(via.host()) || via.received().is_some_and(is_bad_address))
}
