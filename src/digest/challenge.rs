//! `WWW-Authenticate` / `Proxy-Authenticate` challenges (RFC 7616 §3.3,
//! RFC 8760 §2.3).

use core::fmt;

use super::Algorithm;

/// Which challenge header to send: 401 for a registrar or UAS, 407 for a
/// proxy (RFC 3261 §22.2, §22.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// `401 Unauthorized` + `WWW-Authenticate`, answered with `Authorization`.
    WwwAuthenticate,
    /// `407 Proxy Authentication Required` + `Proxy-Authenticate`, answered
    /// with `Proxy-Authorization`.
    ProxyAuthenticate,
}

impl ChallengeKind {
    /// The challenge header name.
    pub const fn header_name(self) -> &'static str {
        match self {
            ChallengeKind::WwwAuthenticate => "WWW-Authenticate",
            ChallengeKind::ProxyAuthenticate => "Proxy-Authenticate",
        }
    }

    /// The header name the client answers with.
    pub const fn credentials_header_name(self) -> &'static str {
        match self {
            ChallengeKind::WwwAuthenticate => "Authorization",
            ChallengeKind::ProxyAuthenticate => "Proxy-Authorization",
        }
    }

    /// The SIP status code carrying the challenge.
    pub const fn status_code(self) -> u16 {
        match self {
            ChallengeKind::WwwAuthenticate => 401,
            ChallengeKind::ProxyAuthenticate => 407,
        }
    }

    /// The default reason phrase for [`status_code`](Self::status_code).
    pub const fn reason_phrase(self) -> &'static str {
        match self {
            ChallengeKind::WwwAuthenticate => "Unauthorized",
            ChallengeKind::ProxyAuthenticate => "Proxy Authentication Required",
        }
    }
}

/// Which quality-of-protection values are offered and accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QopPolicy {
    /// `qop=auth`.
    pub auth: bool,
    /// `qop=auth-int` (the response also covers the body).
    pub auth_int: bool,
    /// Credentials without qop (RFC 2069 compatibility). Without `nc` such
    /// a nonce can be tracked only once, so each is accepted for one
    /// request.
    pub none: bool,
}

impl Default for QopPolicy {
    /// `auth` only: what every SIP client supports.
    fn default() -> Self {
        QopPolicy {
            auth: true,
            auth_int: false,
            none: false,
        }
    }
}

impl QopPolicy {
    /// The `qop="..."` list offered in challenges, or `None` when only
    /// RFC 2069 credentials are accepted.
    pub const fn offered(self) -> Option<&'static str> {
        match (self.auth, self.auth_int) {
            (true, true) => Some("auth,auth-int"),
            (true, false) => Some("auth"),
            (false, true) => Some("auth-int"),
            (false, false) => None,
        }
    }
}

/// One challenge; `Display` writes the header value.
///
/// ```
/// use voipsec::digest::{Algorithm, Challenge, QopPolicy};
/// let c = Challenge {
///     realm: "sip.example.test",
///     nonce: "abc",
///     algorithm: Algorithm::Sha256,
///     qop: QopPolicy::default(),
///     stale: true,
///     userhash: false,
///     opaque: None,
/// };
/// assert_eq!(
///     c.to_string(),
///     r#"Digest realm="sip.example.test", nonce="abc", algorithm=SHA-256, qop="auth", stale=true"#
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// The protection space.
    pub realm: &'a str,
    /// The server nonce.
    pub nonce: &'a str,
    /// The algorithm of this challenge (one challenge per algorithm).
    pub algorithm: Algorithm,
    /// qop values offered.
    pub qop: QopPolicy,
    /// The previous request failed only because its nonce expired
    /// (RFC 7616 §3.3): the client retries without asking its user.
    pub stale: bool,
    /// Ask for the RFC 7616 §3.4.4 userhash.
    pub userhash: bool,
    /// An opaque value the client returns unchanged.
    pub opaque: Option<&'a str>,
}

/// Writes `s` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1).
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for part in s.split_inclusive(['"', '\\']) {
        match part.char_indices().last() {
            Some((i, c @ ('"' | '\\'))) => {
                f.write_str(part.get(..i).unwrap_or(""))?;
                write!(f, "\\{c}")?;
            }
            _ => f.write_str(part)?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest realm=")?;
        write_quoted(f, self.realm)?;
        f.write_str(", nonce=")?;
        write_quoted(f, self.nonce)?;
        if let Some(opaque) = self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, opaque)?;
        }
        write!(f, ", algorithm={}", self.algorithm)?;
        if let Some(qop) = self.qop.offered() {
            write!(f, ", qop=\"{qop}\"")?;
        }
        if self.stale {
            f.write_str(", stale=true")?;
        }
        if self.userhash {
            f.write_str(", userhash=true")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_is_escaped() {
        let c = Challenge {
            realm: r#"a"b\c"#,
            nonce: "n",
            algorithm: Algorithm::Md5,
            qop: QopPolicy {
                auth: true,
                auth_int: true,
                none: false,
            },
            stale: false,
            userhash: true,
            opaque: Some("o"),
        };
        assert_eq!(
            c.to_string(),
            r#"Digest realm="a\"b\\c", nonce="n", opaque="o", algorithm=MD5, qop="auth,auth-int", userhash=true"#
        );
    }
}
