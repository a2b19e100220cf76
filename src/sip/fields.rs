//! Small typed header values: CSeq, Content-Type, numbers, Call-ID, and
//! the grammar checks `validate` runs on Warning and Retry-After.

use super::error::SipError;
use super::lexical::{self, TOKEN, is_token_str, skip_lws, trim_lws};
use super::method::Method;
use super::params::{Params, check_header_params};

fn err(name: &'static str, offset: usize, reason: &'static str) -> SipError {
    SipError::InvalidHeader {
        name,
        offset,
        reason,
    }
}

/// `CSeq: number method` (RFC 3261 §20.16).
///
/// ```
/// use voipsec::sip::{CSeq, Method};
/// let c = CSeq::parse("0009\r\n  INVITE").unwrap();
/// assert_eq!((c.number, c.method), (9, Method::Invite));
/// assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// Sequence number (a 32-bit unsigned integer, RFC 3261 §8.1.1.5).
    pub number: u32,
    /// Method.
    pub method: Method<'a>,
    /// Offset of the method within the parsed value.
    pub method_offset: usize,
}

impl<'a> CSeq<'a> {
    /// Parses a CSeq value. Offsets in errors are relative to `s`.
    pub fn parse(s: &'a str) -> Result<CSeq<'a>, SipError> {
        let b = s.as_bytes();
        let start = skip_lws(b, 0);
        let digits = b
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(err("CSeq", start, "missing sequence number"));
        }
        let number = b
            .get(start..start + digits)
            .and_then(lexical::parse_digits)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(SipError::ValueOutOfRange {
                name: "CSeq",
                offset: start,
            })?;
        let m = skip_lws(b, start + digits);
        if m == start + digits {
            return Err(err("CSeq", m, "expected white space after the number"));
        }
        let (_, method) = trim_lws(s.get(m..).unwrap_or(""));
        if !is_token_str(method.as_bytes()) {
            return Err(err("CSeq", m, "method is not a token"));
        }
        Ok(CSeq {
            number,
            method: Method::from_token(method),
            method_offset: m,
        })
    }
}

/// `Content-Type: type/subtype *(;param)` (RFC 3261 §20.15).
///
/// ```
/// use voipsec::sip::ContentType;
/// let c = ContentType::parse("multipart/signed; protocol=\"application/pkcs7-signature\"").unwrap();
/// assert_eq!((c.media_type, c.subtype), ("multipart", "signed"));
/// assert!(c.is("Multipart", "SIGNED"));
/// assert_eq!(c.params.value("protocol"), Some("\"application/pkcs7-signature\""));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a> {
    /// Top-level type (`application`).
    pub media_type: &'a str,
    /// Subtype (`sdp`).
    pub subtype: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> ContentType<'a> {
    /// Parses a media type. Offsets in errors are relative to `s`.
    pub fn parse(s: &'a str) -> Result<ContentType<'a>, SipError> {
        let b = s.as_bytes();
        let t = skip_lws(b, 0);
        let tl = lexical::run(b, t, &TOKEN);
        let slash = skip_lws(b, t + tl);
        if tl == 0 || b.get(slash) != Some(&b'/') {
            return Err(err("Content-Type", t, "expected type/subtype"));
        }
        let st = skip_lws(b, slash + 1);
        let sl = lexical::run(b, st, &TOKEN);
        if sl == 0 {
            return Err(err("Content-Type", st, "missing subtype"));
        }
        let rest = skip_lws(b, st + sl);
        let params = match b.get(rest) {
            None => Params::default(),
            Some(b';') => {
                let raw = s.get(rest + 1..).unwrap_or("");
                check_header_params(raw, |_| Ok(()))
                    .map_err(|(i, why)| err("Content-Type", rest + 1 + i, why))?;
                Params::new(raw)
            }
            Some(_) => {
                return Err(err(
                    "Content-Type",
                    rest,
                    "unexpected text after media type",
                ));
            }
        };
        Ok(ContentType {
            media_type: s.get(t..t + tl).unwrap_or(""),
            subtype: s.get(st..st + sl).unwrap_or(""),
            params,
        })
    }

    /// Case-insensitive match of type and subtype.
    pub fn is(&self, media_type: &str, subtype: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type)
            && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

/// Parses a whole value that must be `1*DIGIT` within `max`.
pub(crate) fn parse_number(s: &str, name: &'static str, max: u64) -> Result<u64, SipError> {
    let (lead, v) = trim_lws(s);
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return Err(err(name, lead, "not a number"));
    }
    lexical::parse_digits(v.as_bytes())
        .filter(|&n| n <= max)
        .ok_or(SipError::ValueOutOfRange { name, offset: lead })
}

/// Checks `Call-ID: word ["@" word]` (RFC 3261 §25.1); returns the trimmed id.
pub(crate) fn parse_call_id(s: &str) -> Result<&str, SipError> {
    let (lead, v) = trim_lws(s);
    if lexical::call_id_end(v.as_bytes(), 0) == Some(v.len()) {
        Ok(v)
    } else {
        Err(err("Call-ID", lead, "not word[@word]"))
    }
}

/// Checks `Retry-After: delta-seconds [comment] *(;param)` with the number
/// in 32 bits (RFC 3261 §20.33; RFC 4475 §3.1.2.5).
pub(crate) fn check_retry_after(s: &str) -> Result<(), SipError> {
    let b = s.as_bytes();
    let start = skip_lws(b, 0);
    let n = b
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n == 0 {
        return Err(err("Retry-After", start, "not a number"));
    }
    b.get(start..start + n)
        .and_then(lexical::parse_digits)
        .filter(|&v| v <= u64::from(u32::MAX))
        .map(|_| ())
        .ok_or(SipError::ValueOutOfRange {
            name: "Retry-After",
            offset: start,
        })
}

/// Checks one Warning value: `3DIGIT SP agent SP quoted-string`
/// (RFC 3261 §20.43; RFC 4475 §3.1.2.5 sends a four-digit code).
pub(crate) fn check_warning(s: &str) -> Result<(), SipError> {
    let b = s.as_bytes();
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n != 3 || b.get(3) != Some(&b' ') {
        return Err(SipError::ValueOutOfRange {
            name: "Warning",
            offset: 0,
        });
    }
    let agent_end = b.iter().skip(4).position(|&c| c == b' ').map(|p| p + 4);
    let ok = agent_end.is_some_and(|e| {
        e > 4 && b.get(e + 1) == Some(&b'"') && lexical::quoted_end(b, e + 1) == Some(b.len())
    });
    if ok {
        Ok(())
    } else {
        Err(err("Warning", 4, "expected agent and quoted text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ids() {
        assert_eq!(parse_number(" 0068 ", "Max-Forwards", 255), Ok(68));
        assert!(matches!(
            parse_number("300", "Max-Forwards", 255),
            Err(SipError::ValueOutOfRange { .. })
        ));
        assert!(parse_number("-1", "Expires", 10).is_err());
        assert_eq!(parse_call_id(" a@b "), Ok("a@b"));
        assert!(parse_call_id("a b").is_err());
        assert!(parse_call_id("a@").is_err());
        assert!(check_warning(r#"1812 overture "In Progress""#).is_err());
        assert!(
            check_warning(r#"301 isi.edu "Incompatible network address type 'E.164'""#).is_ok()
        );
        assert!(check_retry_after("949302838503028349304023988").is_err());
        assert!(check_retry_after("18000;duration=3600").is_ok());
    }
}
