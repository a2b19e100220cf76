//! Fuzz body: whatever parses normalizes into a message that parses to
//! the same fields (start line, every header's kind and value modulo
//! folding, body), carries none of the non-canonical forms, and
//! normalizes to itself, byte for byte what the editor's normalizing
//! writer produces (the canonical-copy fast path). Topology hiding rides along: hiding yields a
//! message that parses (or an error), and opening whatever seals an input
//! carries never panics.

use voipsec::sip::{
    Editor, HeaderName, Message, NormalizeConfig, TopologyKey, TopologyPolicy, hide_topology,
    normalize, restore_topology,
};

pub fn run(data: &[u8]) {
    for one_value_per_line in [false, true] {
        check(data, NormalizeConfig { one_value_per_line });
    }
    topology(data);
}

fn topology(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let key = TopologyKey::new(&[3; 32]);
    let policy = TopologyPolicy::new("203.0.113.10:5060").expect("a valid address");
    let mut out = Default::default();
    if hide_topology(&msg, &policy, &key, &mut out).is_ok() {
        let hidden = Message::parse(&out).expect("hidden message parses");
        let mut back = Default::default();
        // A request's own seals are not for its own restore (Route only),
        // but whatever happens must be an orderly result.
        let _ = restore_topology(&hidden, &policy, &key, &mut back);
    }
    let mut back = Default::default();
    let _ = restore_topology(&msg, &policy, &key, &mut back);
}

/// One header as the comparison sees it: kind, name (lower case, for
/// unknown headers only) and value with folds replaced by one SP.
type Field = (HeaderName, Vec<u8>, Vec<u8>);

/// `*WSP CRLF 1*WSP` -> SP (RFC 3261 §7.3.1), written independently of
/// the normalizer so that it checks it.
fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\r' {
            while matches!(out.last(), Some(b' ' | b'\t')) {
                out.pop();
            }
            out.push(b' ');
            i += 2;
            while matches!(v.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    out
}

/// The start line (Request-URI without `?headers`, which the canonical
/// form drops) and every header but Content-Length and Date, list
/// headers flattened to their elements.
fn fields(msg: &Message<'_>) -> (Vec<u8>, Vec<Field>) {
    let start = match msg.request_line() {
        Some(r) => {
            let headers = msg.request_uri().ok().and_then(|u| u.headers());
            let keep = r.uri.len() - headers.map_or(0, |h| h.len() + 1);
            [
                r.method.as_str().as_bytes(),
                b" ",
                &r.uri.as_bytes()[..keep],
            ]
            .concat()
        }
        None => {
            let s = msg.status_line().expect("a response");
            [s.code.to_string().as_bytes(), b" ", s.reason].concat()
        }
    };
    let mut out = Vec::new();
    for h in msg.headers() {
        if matches!(h.kind(), HeaderName::ContentLength | HeaderName::Date) {
            continue;
        }
        let name = if h.kind() == HeaderName::Other {
            h.name().to_ascii_lowercase().into_bytes()
        } else {
            Vec::new()
        };
        let elements: Vec<&str> = h.values().collect();
        if h.kind().is_list() && !elements.is_empty() && elements.iter().all(|e| !e.is_empty()) {
            for e in elements {
                out.push((h.kind(), name.clone(), unfold(e.as_bytes())));
            }
        } else {
            out.push((h.kind(), name, unfold(h.value())));
        }
    }
    (start, out)
}

/// Checks the normalizer on `data`; returns false when `data` does not
/// parse (or, for a request, its Request-URI does not).
pub fn check(data: &[u8], config: NormalizeConfig) -> bool {
    let Ok(msg) = Message::parse(data) else {
        return false;
    };
    let mut out = Default::default();
    let result = normalize(&msg, &config, &mut out);
    // The copy of an already canonical message is what the editor's
    // normalizing writer produces.
    let mut by_editor = Default::default();
    let editor = Editor::new(&msg).normalized(config).write(&mut by_editor);
    assert_eq!(result, editor);
    assert_eq!(out, by_editor);
    if let Err(e) = result {
        // The parse indexes the start line; the Request-URI's grammar is
        // checked when it is read, so any bad Request-URI (not only bad
        // `?headers`: e.g. `si(:a@b`, found by the fuzzer) may stop the
        // normalizer.
        let uri_bad = msg.is_request() && msg.request_uri().is_err();
        let limits_hit = matches!(
            e,
            voipsec::sip::EditError::Sip(
                voipsec::sip::SipError::LineTooLong { .. }
                    | voipsec::sip::SipError::TooManyHeaders { .. }
                    | voipsec::sip::SipError::MessageTooLarge { .. }
            )
        );
        assert!(uri_bad || limits_hit, "normalize failed: {e}");
        return false;
    }
    let text: &[u8] = &out;
    let norm = Message::parse(text).unwrap_or_else(|e| {
        panic!(
            "normalized output does not parse: {e}\n{}",
            String::from_utf8_lossy(text)
        )
    });
    assert_eq!(fields(&msg), fields(&norm), "fields changed");
    assert_eq!(msg.body(), norm.body());
    assert_eq!(norm.content_length(), Some(norm.body().len()));
    assert!(norm.headers_of(HeaderName::Date).count() <= msg.headers_of(HeaderName::Date).count());
    for h in norm.headers() {
        assert!(!h.is_folded() && !h.space_before_colon(), "{}", h.name());
        if h.kind() != HeaderName::Other {
            assert_eq!(h.name(), h.kind().as_str());
        }
        let line = &text[h.line_range()];
        let sep = if h.value().is_empty() { ":\r\n" } else { ": " };
        assert!(line[h.name().len()..].starts_with(sep.as_bytes()));
        assert!(!matches!(line[line.len() - 3], b' ' | b'\t') || h.value().is_empty());
    }
    let mut again = Default::default();
    normalize(&norm, &config, &mut again).expect("normalizing the canonical form");
    assert_eq!(text, &again[..], "normalize is not idempotent");
    true
}
