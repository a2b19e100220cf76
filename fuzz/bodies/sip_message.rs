//! Fuzz body: parse one datagram, validate it, read every typed field;
//! ranges stay inside the input and framing invariants hold.

use voipsec::sip::{Contact, Message};

pub fn run(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let valid = msg.validate().is_ok();
    assert!(msg.as_bytes().len() <= data.len());
    assert!(msg.body_range().end <= data.len());
    if let Some(n) = msg.content_length() {
        assert_eq!(msg.body().len(), n);
    }
    for h in msg.headers() {
        assert!(h.line_range().start < h.line_range().end && h.line_range().end <= data.len());
        assert!(h.value_range().start <= h.value_range().end);
        assert!(!h.name().is_empty());
        // Text views are slices of the validated head or converted on
        // their own: either way the same as converting the bytes.
        assert_eq!(h.value_str(), core::str::from_utf8(h.value()).ok());
        assert_eq!(h.name().as_bytes(), &data[h.name_range()]);
        for v in h.values() {
            assert_eq!(v.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n')), v);
        }
    }
    let _ = msg.request_uri().map(|u| u.user_unescaped());
    let _ = msg
        .top_via()
        .map(|v| (v.branch(), v.received(), v.rport(), v.ttl()));
    let vias = msg.vias().count();
    assert!(vias <= msg.limits().max_vias);
    let _ = msg.from().map(|a| (a.display_name(), a.tag()));
    let _ = msg.to().map(|a| a.tag());
    for c in msg.contacts() {
        if let Ok(Contact::Address(a)) = c {
            let _ = a.display_name();
        }
    }
    // The in-place CSeq and Call-ID paths agree with the full parses.
    if let (Ok(id), Some(v)) = (msg.call_id(), msg.header(voipsec::sip::HeaderName::CallId)) {
        assert_eq!(
            Some(id),
            v.value_str()
                .map(|s| s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n')))
        );
    }
    if let (Ok(c), Some(v)) = (
        msg.cseq(),
        msg.header(voipsec::sip::HeaderName::CSeq)
            .and_then(|h| h.value_str()),
    ) {
        assert_eq!(Ok(c), voipsec::sip::CSeq::parse(v));
    }
    if let Some(r) = msg.request_line() {
        assert_eq!(
            r.uri.as_bytes(),
            &data[r.uri_offset..r.uri_offset + r.uri.len()]
        );
    }
    let _ = (
        msg.call_id(),
        msg.cseq(),
        msg.max_forwards(),
        msg.expires(),
        msg.content_type(),
    );
    // The hot-field accessors hand out only values whose own grammar
    // holds (tokens, `user`), and agree with the typed accessors wherever
    // both answer.
    let branch = msg.top_via_branch();
    let from_tag = msg.from_tag();
    let to_tag = msg.to_tag();
    let user = msg.request_uri_user();
    for v in [branch, from_tag, to_tag].into_iter().flatten().flatten() {
        assert!(
            !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"\"(),;:<>@[]{}/?=\\".contains(&b)),
            "{v:?}"
        );
    }
    if let Ok(Some(u)) = user {
        assert!(
            !u.is_empty() && u.bytes().all(|b| b.is_ascii_graphic()),
            "{u:?}"
        );
    }
    if let (Ok(b), Ok(via)) = (branch, msg.top_via()) {
        assert_eq!(b, via.branch());
    }
    if let (Ok(t), Ok(from)) = (from_tag, msg.from()) {
        assert_eq!(t, from.tag());
    }
    if let (Ok(t), Ok(to)) = (to_tag, msg.to()) {
        assert_eq!(t, to.tag());
    }
    // The To user: the same as the full parse wherever that accepts To,
    // and only `user`-grammar bytes.
    if let Ok(to) = msg.to() {
        assert_eq!(msg.to_user(), Ok(to.uri().user()));
    }
    if let Ok(Some(u)) = msg.to_user() {
        assert!(
            !u.is_empty() && u.bytes().all(|b| b.is_ascii_graphic()),
            "{u:?}"
        );
    }
    if let (Ok(u), Ok(uri)) = (user, msg.request_uri()) {
        assert_eq!(u, uri.user());
    }
    if valid {
        assert!(msg.top_via().is_err() || branch.is_ok());
        assert!(!msg.is_request() || user.is_ok());
        // A valid request's CSeq method is its method (RFC 3261 §8.1.1.5).
        if let (Some(method), Ok(cseq)) = (msg.method(), msg.cseq()) {
            assert_eq!(method, cseq.method);
        }
        for v in msg.vias() {
            assert!(v.is_ok(), "validate accepted a bad Via");
        }
    }
}
