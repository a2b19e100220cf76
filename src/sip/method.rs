//! SIP request methods.

use core::fmt;

/// A request method. Methods are case-sensitive (RFC 3261 §7.1): `invite`
/// is an extension method, not INVITE.
///
/// ```
/// use voipsec::sip::Method;
/// assert_eq!(Method::from_token("INVITE"), Method::Invite);
/// assert_eq!(Method::from_token("RE%47IST%45R"), Method::Extension("RE%47IST%45R"));
/// assert_eq!(Method::Prack.as_str(), "PRACK");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// RFC 3261.
    Invite,
    /// RFC 3261.
    Ack,
    /// RFC 3261.
    Bye,
    /// RFC 3261.
    Cancel,
    /// RFC 3261.
    Register,
    /// RFC 3261.
    Options,
    /// RFC 3262.
    Prack,
    /// RFC 3265 / 6665.
    Subscribe,
    /// RFC 3265 / 6665.
    Notify,
    /// RFC 3311.
    Update,
    /// RFC 3428.
    Message,
    /// RFC 3515.
    Refer,
    /// RFC 3903.
    Publish,
    /// RFC 6086.
    Info,
    /// Any other token.
    Extension(&'a str),
}

impl<'a> Method<'a> {
    /// Classifies a method token (the caller has checked it is a token).
    pub fn from_token(s: &'a str) -> Method<'a> {
        match s.as_bytes() {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"PRACK" => Method::Prack,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"UPDATE" => Method::Update,
            b"MESSAGE" => Method::Message,
            b"REFER" => Method::Refer,
            b"PUBLISH" => Method::Publish,
            b"INFO" => Method::Info,
            _ => Method::Extension(s),
        }
    }

    /// The method as it appears on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Update => "UPDATE",
            Method::Message => "MESSAGE",
            Method::Refer => "REFER",
            Method::Publish => "PUBLISH",
            Method::Info => "INFO",
            Method::Extension(s) => s,
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
