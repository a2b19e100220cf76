//! `;name=value` parameters, for URIs and for header fields.

use super::lexical::{self, HNV, PARAM, Split, check_escaped, eq_ic, is_token_str, trim_lws};

/// One parameter: a name and an optional value, both raw (URI parameters
/// may carry `%HH` escapes; header parameter values may be quoted
/// strings, quotes included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name as sent.
    pub name: &'a str,
    /// The value as sent, `None` for a flag (`;lr`).
    pub value: Option<&'a str>,
}

/// The parameters of a URI or a header value, iterated lazily. Names
/// compare case-insensitively (RFC 3261 §19.1.4, §7.3.1).
///
/// ```
/// use voipsec::sip::Uri;
/// let uri = Uri::parse("sip:alice@example.com;transport=tcp;lr").unwrap();
/// assert_eq!(uri.params().value("Transport"), Some("tcp"));
/// assert!(uri.params().contains("lr"));
/// assert_eq!(uri.params().iter().count(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    /// Everything after the first `;` (empty when there are no parameters).
    raw: &'a str,
}

impl<'a> Params<'a> {
    pub(crate) fn new(raw: &'a str) -> Self {
        Params { raw }
    }

    /// The raw text after the first `;`.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Iterates the parameters in order (LWS around `;` and `=` removed).
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            split: if self.raw.is_empty() {
                None
            } else {
                Some(Split::new(self.raw, b';'))
            },
        }
    }

    /// The first parameter called `name`.
    pub fn get(&self, name: &str) -> Option<Param<'a>> {
        self.iter()
            .find(|p| eq_ic(p.name.as_bytes(), name.as_bytes()))
    }

    /// The value of the first parameter called `name` (`None` when absent
    /// or a flag).
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(|p| p.value)
    }

    /// True when a parameter called `name` is present (with or without value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl<'a> IntoIterator for Params<'a> {
    type Item = Param<'a>;
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Params`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    split: Option<Split<'a>>,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let (_, part) = self.split.as_mut()?.next()?;
        Some(split_param(part).1)
    }
}

/// Splits `name [= value]`, trimming LWS; returns the offset of the name.
fn split_param(part: &str) -> (usize, Param<'_>) {
    let (lead, part) = trim_lws(part);
    match lexical::find_unquoted(part.as_bytes(), 0, b'=') {
        Some(eq) => {
            let name = trim_lws(part.get(..eq).unwrap_or("")).1;
            let value = trim_lws(part.get(eq + 1..).unwrap_or("")).1;
            (
                lead,
                Param {
                    name,
                    value: Some(value),
                },
            )
        }
        None => (
            lead,
            Param {
                name: part,
                value: None,
            },
        ),
    }
}

/// Checks URI parameters (`uri-parameters`, RFC 3261 §25.1): every name
/// non-empty, names and values `paramchar`s with valid escapes. Returns the
/// offset (in `raw`) of the first bad byte.
pub(crate) fn check_uri_params(raw: &[u8]) -> Result<(), usize> {
    let mut offset = 0;
    for part in raw.split(|&b| b == b';') {
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(eq) => (
                part.get(..eq).unwrap_or_default(),
                Some((eq + 1, part.get(eq + 1..).unwrap_or_default())),
            ),
            None => (part, None),
        };
        if name.is_empty() {
            return Err(offset);
        }
        check_escaped(name, &PARAM).map_err(|i| offset + i)?;
        if let Some((at, value)) = value {
            if value.is_empty() {
                return Err(offset + at);
            }
            check_escaped(value, &PARAM).map_err(|i| offset + at + i)?;
        }
        offset += part.len() + 1;
    }
    Ok(())
}

/// Checks URI headers (`?hname=hvalue&...`). Returns the offset of the
/// first bad byte.
pub(crate) fn check_uri_headers(raw: &[u8]) -> Result<(), usize> {
    let mut offset = 0;
    for part in raw.split(|&b| b == b'&') {
        let Some(eq) = part.iter().position(|&b| b == b'=') else {
            return Err(offset);
        };
        let name = part.get(..eq).unwrap_or_default();
        if name.is_empty() {
            return Err(offset);
        }
        check_escaped(name, &HNV).map_err(|i| offset + i)?;
        let value = part.get(eq + 1..).unwrap_or_default();
        check_escaped(value, &HNV).map_err(|i| offset + eq + 1 + i)?;
        offset += part.len() + 1;
    }
    Ok(())
}

/// Checks header parameters (`generic-param`, RFC 3261 §25.1): `token
/// [EQUAL gen-value]`, gen-value a token, a host (IPv6 references and bare
/// IPv6 addresses included, RFC 5118 §4.5) or a quoted string. Returns the
/// offset (in `raw`) of the first bad parameter and why.
///
/// `visit` sees each well-formed parameter (for typed checks, and so that
/// callers capture what they need in this one pass).
pub(crate) fn check_header_params<'a>(
    raw: &'a str,
    mut visit: impl FnMut(Param<'a>) -> Result<(), &'static str>,
) -> Result<(), (usize, &'static str)> {
    if scan_header_params(raw, &mut visit) {
        return Ok(());
    }
    check_header_params_by_element(raw, visit)
}

/// The common case of [`check_header_params`] in one forward pass: true
/// when every parameter is well formed and `visit` accepted it. False at
/// the first thing it does not take as is (then the element walk decides
/// and names the error; `visit` then sees some parameters a second time,
/// which every caller's first-wins capture tolerates). The names and
/// values it visits are the same slices the element walk yields.
fn scan_header_params<'a>(
    raw: &'a str,
    visit: &mut impl FnMut(Param<'a>) -> Result<(), &'static str>,
) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    loop {
        i = lexical::skip_lws(b, i);
        let n = lexical::run(b, i, &lexical::TOKEN);
        let Some(name) = raw.get(i..i + n).filter(|_| n > 0) else {
            return false;
        };
        i = lexical::skip_lws(b, i + n);
        let mut value = None;
        if b.get(i) == Some(&b'=') {
            let v = lexical::skip_lws(b, i + 1);
            let end = if b.get(v) == Some(&b'"') {
                lexical::quoted_end(b, v)
            } else {
                let m = lexical::run(b, v, &lexical::GEN_VALUE);
                (m > 0).then_some(v + m)
            };
            let Some((end, text)) = end.and_then(|e| Some((e, raw.get(v..e)?))) else {
                return false;
            };
            value = Some(text);
            i = lexical::skip_lws(b, end);
        }
        if visit(Param { name, value }).is_err() {
            return false;
        }
        match b.get(i) {
            None => return true,
            Some(b';') => i += 1,
            Some(_) => return false,
        }
    }
}

/// [`check_header_params`] element by element: split on `;`, each
/// element checked on its own, so that an error names its offset.
fn check_header_params_by_element<'a>(
    raw: &'a str,
    mut visit: impl FnMut(Param<'a>) -> Result<(), &'static str>,
) -> Result<(), (usize, &'static str)> {
    for (at, part) in Split::new(raw, b';') {
        let (lead, param) = split_param(part);
        let offset = at + lead;
        if param.name.is_empty() {
            return Err((offset, "empty parameter"));
        }
        if !is_token_str(param.name.as_bytes()) {
            return Err((offset, "parameter name is not a token"));
        }
        if let Some(value) = param.value {
            let bytes = value.as_bytes();
            let ok = match bytes.first() {
                None => false,
                Some(b'"') => lexical::quoted_end(bytes, 0) == Some(bytes.len()),
                Some(_) => bytes
                    .iter()
                    .all(|&b| lexical::is_token(b) || matches!(b, b':' | b'[' | b']')),
            };
            if !ok {
                return Err((offset, "invalid parameter value"));
            }
        }
        visit(param).map_err(|why| (offset, why))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_params_trim_lws_and_folds() {
        let p = Params::new(" tag    = 1918181833n ; q = 0.33 ;\r\n  flag");
        let all: Vec<_> = p.iter().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(p.value("TAG"), Some("1918181833n"));
        assert_eq!(p.value("q"), Some("0.33"));
        assert!(p.contains("flag"));
        assert!(check_header_params(p.as_str(), |_| Ok(())).is_ok());
    }

    #[test]
    fn header_params_reject_empty_elements() {
        assert!(check_header_params(";;", |_| Ok(())).is_err());
        assert!(check_header_params("a=", |_| Ok(())).is_err());
        assert!(check_header_params(r#"a="x;y""#, |_| Ok(())).is_ok());
        assert_eq!(Params::new(r#"a="x;y";b"#).value("a"), Some(r#""x;y""#));
    }

    #[test]
    fn one_pass_scan_agrees_with_the_element_walk() {
        for raw in [
            "",
            "a",
            "a;b",
            "tag=1;x",
            " tag = 1 ; q=0.5 ;\r\n  flag",
            "a;",
            ";a",
            "a;;b",
            "a=",
            "a=\"x;y\";b",
            "a=\"x\" y",
            "a=b=c",
            "received=[2001:db8::1]",
            "a=<b>",
            "a b",
            "a=\"unterminated",
            "branch=z9hG4bK1;rport;received=192.0.2.1",
        ] {
            let mut fast = Vec::new();
            let scanned = scan_header_params(raw, &mut |p| {
                fast.push(p);
                Ok(())
            });
            let mut slow = Vec::new();
            let walked = check_header_params_by_element(raw, |p| {
                slow.push(p);
                Ok(())
            });
            if scanned {
                assert!(walked.is_ok(), "{raw:?}");
                assert_eq!(fast, slow, "{raw:?}");
            }
            assert!(
                scanned || walked.is_err(),
                "{raw:?}: scan declined a valid list"
            );
        }
    }

    #[test]
    fn uri_params_check_escapes() {
        assert!(check_uri_params(b"%6C%72;n%61me=v%61lue%25%34%31").is_ok());
        assert_eq!(check_uri_params(b"a=%zz"), Err(2));
        assert_eq!(check_uri_params(b"a;;b"), Err(2));
    }
}
