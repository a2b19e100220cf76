//! The Via header (RFC 3261 §20.42, §18.2.1; RFC 3581 rport; RFC 5118
//! §4.5 IPv6 received).

use super::error::SipError;
use super::lexical::{self, HOSTNAME, TOKEN, skip_lws};
use super::params::{Param, Params, check_header_params};
use super::uri::{Host, check_ipv6_text, parse_port};

fn err(offset: usize, reason: &'static str) -> SipError {
    SipError::InvalidHeader {
        name: "Via",
        offset,
        reason,
    }
}

/// One Via entry (`sent-protocol sent-by *(;via-params)`).
///
/// ```
/// use voipsec::sip::{Host, Via};
/// let v = Via::parse("SIP / 2.0 / UDP [2001:db8::9:1]:5060;received=2001:db8::9:255;rport=1234;branch=z9hG4bKx").unwrap();
/// assert_eq!(v.transport(), "UDP");
/// assert_eq!(v.host(), Host::Ipv6("2001:db8::9:1"));
/// assert_eq!(v.port(), Some(5060));
/// assert_eq!(v.branch(), Some("z9hG4bKx"));
/// assert_eq!(v.received(), Some(Host::Ipv6("2001:db8::9:255")));
/// assert_eq!(v.rport(), Some(Some(1234)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    protocol: &'a str,
    version: &'a str,
    transport: &'a str,
    host: Host<'a>,
    port: Option<u16>,
    params: Params<'a>,
    branch: Option<&'a str>,
    /// The raw value of the first `received` parameter, captured in the
    /// parse's one pass over the parameters.
    received: Option<Option<&'a str>>,
}

/// Parses `token` at `i` (after LWS); returns it and the index after it.
fn token_at(s: &str, i: usize) -> Option<(&str, usize)> {
    let i = skip_lws(s.as_bytes(), i);
    let n = lexical::run(s.as_bytes(), i, &TOKEN);
    if n == 0 {
        return None;
    }
    Some((s.get(i..i + n)?, i + n))
}

/// Expects `SWS sep SWS` at `i`; returns the index after it.
fn separator(b: &[u8], i: usize, sep: u8) -> Option<usize> {
    let i = skip_lws(b, i);
    (b.get(i) == Some(&sep)).then_some(i + 1)
}

impl<'a> Via<'a> {
    /// Parses one Via value (one element of the comma list). Offsets in
    /// errors are relative to `s`.
    pub fn parse(s: &'a str) -> Result<Via<'a>, SipError> {
        let b = s.as_bytes();
        let (protocol, i) =
            token_at(s, 0).ok_or_else(|| err(skip_lws(b, 0), "missing protocol name"))?;
        let i = separator(b, i, b'/').ok_or_else(|| err(i, "expected '/'"))?;
        let (version, i) = token_at(s, i).ok_or_else(|| err(i, "missing protocol version"))?;
        let i = separator(b, i, b'/').ok_or_else(|| err(i, "expected '/'"))?;
        let (transport, i) = token_at(s, i).ok_or_else(|| err(i, "missing transport"))?;
        let h = skip_lws(b, i);
        if h == i {
            return Err(err(i, "expected white space before sent-by"));
        }
        let host_len = if b.get(h) == Some(&b'[') {
            memchr::memchr(b']', b.get(h..).unwrap_or_default())
                .map(|e| e + 1)
                .ok_or_else(|| err(h, "unterminated IPv6 reference"))?
        } else {
            lexical::run(b, h, &HOSTNAME)
        };
        let host = Host::parse(s.get(h..h + host_len).unwrap_or(""))
            .map_err(|k| err(h + k, "invalid sent-by host"))?;
        let mut i = h + host_len;
        let mut port = None;
        if let Some(p) = separator(b, i, b':') {
            let p = skip_lws(b, p);
            let n = lexical::run(b, p, &lexical::DIGIT);
            port = Some(
                b.get(p..p + n)
                    .and_then(parse_port)
                    .ok_or_else(|| err(p, "invalid sent-by port"))?,
            );
            i = p + n;
        }
        let i = skip_lws(b, i);
        let mut branch = None;
        let mut received = None;
        let params = match b.get(i) {
            None => Params::default(),
            Some(b';') => {
                let raw = s.get(i + 1..).unwrap_or("");
                check_header_params(raw, |p| {
                    if branch.is_none() && p.name.eq_ignore_ascii_case("branch") {
                        branch = p.value;
                    }
                    if received.is_none() && p.name.eq_ignore_ascii_case("received") {
                        received = Some(p.value);
                    }
                    check_via_param(p)
                })
                .map_err(|(k, why)| err(i + 1 + k, why))?;
                Params::new(raw)
            }
            Some(_) => return Err(err(i, "unexpected text after sent-by")),
        };
        Ok(Via {
            protocol,
            version,
            transport,
            host,
            port,
            params,
            branch,
            received,
        })
    }

    /// Protocol name (`SIP`).
    pub fn protocol(&self) -> &'a str {
        self.protocol
    }

    /// Protocol version (`2.0`).
    pub fn version(&self) -> &'a str {
        self.version
    }

    /// Transport token as sent (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`... or any
    /// extension, RFC 4475 §3.1.1.10).
    pub fn transport(&self) -> &'a str {
        self.transport
    }

    /// sent-by host.
    pub fn host(&self) -> Host<'a> {
        self.host
    }

    /// sent-by port, if explicit.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// All via-params.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `branch` parameter (transaction id; RFC 3261 §8.1.1.7).
    pub fn branch(&self) -> Option<&'a str> {
        self.branch
    }

    /// The `received` parameter: IPv4, or IPv6 with or without brackets.
    pub fn received(&self) -> Option<Host<'a>> {
        self.received.flatten().and_then(|v| parse_received(v).ok())
    }

    /// `rport` (RFC 3581): `None` absent, `Some(None)` requested (flag),
    /// `Some(Some(port))` filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|p| p.value.and_then(|v| parse_port(v.as_bytes())))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<Host<'a>> {
        self.params.value("maddr").and_then(|v| Host::parse(v).ok())
    }

    /// The `ttl` parameter (0..=255).
    pub fn ttl(&self) -> Option<u8> {
        self.params
            .value("ttl")
            .and_then(|v| lexical::parse_digits(v.as_bytes()))
            .and_then(|n| u8::try_from(n).ok())
    }
}

fn parse_received(v: &str) -> Result<Host<'_>, usize> {
    if v.starts_with('[') || !v.contains(':') {
        Host::parse(v)
    } else {
        // RFC 5118 §4.5: the RFC 3261 ABNF form is a bare IPv6 address.
        check_ipv6_text(v).map(|()| Host::Ipv6(v))
    }
}

/// Typed check of one via-param RFC 3261 §20.42 / RFC 3581 define.
fn check_via_param(p: Param<'_>) -> Result<(), &'static str> {
    let v = p.value.unwrap_or("");
    let ok = match p.name.len() {
        6 if p.name.eq_ignore_ascii_case("branch") => lexical::is_token_str(v.as_bytes()),
        8 if p.name.eq_ignore_ascii_case("received") => parse_received(v).is_ok(),
        5 if p.name.eq_ignore_ascii_case("maddr") => Host::parse(v).is_ok(),
        3 if p.name.eq_ignore_ascii_case("ttl") => {
            lexical::parse_digits(v.as_bytes()).is_some_and(|n| n <= 255)
        }
        5 if p.name.eq_ignore_ascii_case("rport") => {
            p.value.is_none() || parse_port(v.as_bytes()).is_some()
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err("invalid branch, received, maddr, ttl or rport")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_and_spaced_via() {
        let v = Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(
            (v.protocol(), v.version(), v.transport()),
            ("SIP", "2.0", "UDP")
        );
        assert_eq!(v.host(), Host::Ipv4("192.0.2.2".parse().unwrap()));
        assert_eq!(v.branch(), Some("390skdjuw"));
        let w = Via::parse("SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239")
            .unwrap();
        assert_eq!(w.branch(), Some("z9hG4bK30239"));
    }

    #[test]
    fn rejects_empty_params_and_bad_values() {
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(Via::parse("SIP/2.0/UDP h;ttl=300").is_err());
        assert!(Via::parse("SIP/2.0/UDP h;rport=x").is_err());
        assert!(Via::parse("SIP/2.0/UDPh").is_err());
        assert!(Via::parse("").is_err());
        let r = Via::parse("SIP/2.0/UDP h;rport").unwrap();
        assert_eq!(r.rport(), Some(None));
    }
}
