//! The message editor: every edit, the bytes it leaves alone, injection
//! refusal, Max-Forwards rules (RFC 3261 §16.6 step 3, §16.3 → 483),
//! conflicting edits, and edits combined with normalization.

use bytes::BytesMut;
use voipsec::sip::{EditError, Editor, HeaderName, MAX_EDITS, Message, NormalizeConfig};

const INVITE: &[u8] = include_bytes!("data/sip/bench-invite.sip");

fn write(ed: &Editor<'_, '_, '_>) -> Vec<u8> {
    let mut out = BytesMut::new();
    let n = ed.write(&mut out).expect("write");
    assert_eq!(n, out.len());
    out.to_vec()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn no_edits_reproduce_the_message_byte_for_byte() {
    let msg = Message::parse(INVITE).unwrap();
    assert_eq!(write(&Editor::new(&msg)), INVITE);
    // A folded, oddly spaced message is copied as it is, not normalized.
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nv : SIP/2.0/UDP h\r\n ;branch=z9hG4bK1  \r\nl: 0\r\n\r\nignored trailing datagram bytes";
    let msg = Message::parse(raw).unwrap();
    assert_eq!(write(&Editor::new(&msg)), &raw[..raw.len() - 31]);
}

#[test]
fn write_appends_to_what_out_holds() {
    let msg = Message::parse(INVITE).unwrap();
    let mut out = BytesMut::from(&b"prefix|"[..]);
    let n = Editor::new(&msg).write(&mut out).unwrap();
    assert_eq!(n, INVITE.len());
    assert_eq!(&out[..7], b"prefix|");
    assert_eq!(&out[7..], INVITE);
}

#[test]
fn proxy_forwarding_edits() {
    let msg = Message::parse(INVITE).unwrap();
    let mut ed = Editor::new(&msg);
    ed.insert_top(
        HeaderName::Via,
        b"SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKsbc1",
    )
    .unwrap()
    .insert_top(HeaderName::RecordRoute, b"<sip:203.0.113.1;lr>")
    .unwrap()
    .remove_all(HeaderName::UserAgent)
    .unwrap()
    .set_request_uri("sip:bob@192.0.2.44:5060")
    .unwrap();
    assert_eq!(ed.decrement_max_forwards().unwrap(), 68);
    let out = write(&ed);
    let fwd = Message::parse(&out).unwrap();
    fwd.validate().unwrap();
    assert_eq!(
        fwd.request_uri().unwrap().as_str(),
        "sip:bob@192.0.2.44:5060"
    );
    let vias: Vec<_> = fwd.vias().map(|v| v.unwrap().branch().unwrap()).collect();
    assert_eq!(
        vias,
        [
            "z9hG4bKsbc1",
            "z9hG4bK74bf9a8c1d",
            "z9hG4bK-524287-1---6c0de5f1"
        ]
    );
    let rr: Vec<_> = fwd
        .record_routes()
        .map(|r| r.unwrap().uri().as_str())
        .collect();
    assert_eq!(
        rr,
        ["sip:203.0.113.1;lr", "sip:198.51.100.7;lr;ftag=9fxced76sl"]
    );
    assert_eq!(fwd.max_forwards().unwrap(), 68);
    assert!(fwd.user_agent().is_none());
    assert_eq!(fwd.body(), msg.body());
    // Everything else is the original bytes.
    let t = text(&out);
    for h in msg
        .headers()
        .filter(|h| !matches!(h.kind(), HeaderName::UserAgent | HeaderName::MaxForwards))
    {
        assert!(t.contains(&text(&INVITE[h.line_range()])), "{}", h.name());
    }
    assert!(t.starts_with(
        "INVITE sip:bob@192.0.2.44:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKsbc1\r\nVia: "
    ));
}

#[test]
fn insert_top_without_existing_fields_goes_first_and_insert_before_end_appends() {
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    let mut ed = Editor::new(&msg);
    ed.insert_top(HeaderName::RecordRoute, b"<sip:p;lr>")
        .unwrap()
        .insert_before(1, "X-Trace", b"")
        .unwrap();
    assert_eq!(
        text(&write(&ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nRecord-Route: <sip:p;lr>\r\nCall-ID: x\r\nX-Trace:\r\n\r\n"
    );
    assert_eq!(
        Editor::new(&msg).insert_before(2, "X", b"y").err(),
        Some(EditError::NoSuchHeader { index: 2 })
    );
    assert_eq!(
        Editor::new(&msg).insert_top(HeaderName::Other, b"y").err(),
        Some(EditError::InvalidName)
    );
}

#[test]
fn replace_and_splice_values() {
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nContact: <sip:u@10.0.0.1:5060>, <sip:v@10.0.0.2>\r\nSubject:  old  \r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    let contact = msg.header(HeaderName::Contact).unwrap();
    let mut values = contact.values();
    let (at2, v2) = {
        values.next_with_offset().unwrap();
        values.next_with_offset().unwrap()
    };
    let mut ed = Editor::new(&msg);
    ed.replace_value(1, b"new subject")
        .unwrap()
        .splice(at2..at2 + v2.len(), b"<sip:v@192.0.2.9>")
        .unwrap();
    assert_eq!(
        text(&write(&ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nContact: <sip:u@10.0.0.1:5060>, <sip:v@192.0.2.9>\r\nSubject:  new subject  \r\n\r\n"
    );
    // Ranges outside any value, reversed, or overlapping are refused.
    let name = contact.name_range();
    assert!(matches!(
        Editor::new(&msg).splice(name, b"x"),
        Err(EditError::BadRange { .. })
    ));
    assert!(matches!(
        Editor::new(&msg).splice(at2 + 3..at2, b"x"),
        Err(EditError::BadRange { .. })
    ));
    let mut ed = Editor::new(&msg);
    ed.splice(at2..at2 + 4, b"x").unwrap();
    assert!(matches!(
        ed.splice(at2 + 2..at2 + 6, b"y"),
        Err(EditError::Conflict { .. })
    ));
    assert!(matches!(
        ed.replace_value(0, b"z"),
        Err(EditError::Conflict { .. })
    ));
}

#[test]
fn new_values_cannot_inject_lines() {
    let msg = Message::parse(INVITE).unwrap();
    let mut ed = Editor::new(&msg);
    for evil in [
        &b"x\r\nVia: SIP/2.0/UDP evil"[..],
        b"x\nVia: y",
        b"x\ry",
        b"nul\0",
    ] {
        assert!(matches!(
            ed.replace_value(0, evil),
            Err(EditError::InvalidValue { .. })
        ));
        assert!(matches!(
            ed.insert_top(HeaderName::Via, evil),
            Err(EditError::InvalidValue { .. })
        ));
    }
    assert!(matches!(
        ed.set_request_uri("sip:a@b SIP/2.0\r\nX: y"),
        Err(EditError::InvalidValue { .. })
    ));
    assert!(matches!(
        ed.set_request_uri("sip:a@b c"),
        Err(EditError::InvalidValue { .. })
    ));
    assert_eq!(
        ed.insert_before(0, "Bad Name", b"v").err(),
        Some(EditError::InvalidName)
    );
    assert_eq!(
        ed.insert_before(0, "", b"v").err(),
        Some(EditError::InvalidName)
    );
    assert_eq!(write(&ed), INVITE, "refused edits leave no trace");
}

#[test]
fn max_forwards_rules() {
    let with = |mf: &str| {
        format!("OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: {mf}\r\nCall-ID: x\r\n\r\n").into_bytes()
    };
    let raw = with("1");
    let msg = Message::parse(&raw).unwrap();
    let mut ed = Editor::new(&msg);
    assert_eq!(ed.decrement_max_forwards().unwrap(), 0);
    assert!(text(&write(&ed)).contains("\r\nMax-Forwards: 0\r\n"));
    // Decrementing twice is refused rather than silently done once.
    assert!(matches!(
        ed.decrement_max_forwards(),
        Err(EditError::Conflict { .. })
    ));

    let raw = with("0");
    let msg = Message::parse(&raw).unwrap();
    let err = Editor::new(&msg).decrement_max_forwards().unwrap_err();
    assert_eq!(err, EditError::TooManyHops);
    assert_eq!(err.status_code(), 483);

    let raw = with("abc");
    let msg = Message::parse(&raw).unwrap();
    let err = Editor::new(&msg).decrement_max_forwards().unwrap_err();
    assert!(matches!(err, EditError::Sip(_)));
    assert_eq!(err.status_code(), 400);

    // Absent: added with 70 (RFC 3261 §16.6 step 3).
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    let mut ed = Editor::new(&msg);
    assert_eq!(ed.decrement_max_forwards().unwrap(), 70);
    let out = write(&ed);
    assert_eq!(Message::parse(&out).unwrap().max_forwards().unwrap(), 70);
}

#[test]
fn replacing_the_body_rewrites_or_adds_content_length() {
    let msg = Message::parse(INVITE).unwrap();
    let sdp = b"v=0\r\no=- 1 1 IN IP4 203.0.113.1\r\n";
    let mut ed = Editor::new(&msg);
    ed.replace_body(sdp).unwrap();
    assert!(matches!(
        ed.replace_body(b"again"),
        Err(EditError::Conflict { .. })
    ));
    let out = write(&ed);
    let m = Message::parse(&out).unwrap();
    assert_eq!(m.body(), sdp);
    assert_eq!(m.content_length(), Some(sdp.len()));
    assert_eq!(
        m.header(HeaderName::ContentLength).unwrap().line_range(),
        m.headers().last().unwrap().line_range(),
        "in place"
    );

    let raw = b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    let mut ed = Editor::new(&msg);
    ed.replace_body(b"hi").unwrap();
    assert_eq!(
        text(&write(&ed)),
        "MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 2\r\n\r\nhi"
    );
}

#[test]
fn removal_by_index_kind_and_name() {
    let raw =
        b"OPTIONS sip:a@b SIP/2.0\r\nX-A: 1\r\nx-a: 2\r\nServer: s\r\nX-B: 3\r\nCall-ID: x\r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    let mut ed = Editor::new(&msg);
    ed.remove_named("X-A")
        .unwrap()
        .remove_all(HeaderName::Server)
        .unwrap()
        .remove(4)
        .unwrap()
        .remove(4)
        .unwrap();
    assert_eq!(
        text(&write(&ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nX-B: 3\r\n\r\n"
    );
    assert_eq!(
        Editor::new(&msg).remove(5).err(),
        Some(EditError::NoSuchHeader { index: 5 })
    );
}

#[test]
fn many_removals_do_not_use_up_edit_slots_but_other_edits_are_bounded() {
    let mut raw = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    for i in 0..100 {
        raw.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    let msg = Message::parse(&raw).unwrap();
    let mut ed = Editor::new(&msg);
    for i in 0..100 {
        ed.remove(i).unwrap();
    }
    assert_eq!(text(&write(&ed)), "OPTIONS sip:a@b SIP/2.0\r\n\r\n");
    let mut ed = Editor::new(&msg);
    for i in 0..MAX_EDITS {
        ed.insert_before(i, "X-New", b"v").unwrap();
    }
    assert_eq!(
        ed.insert_before(0, "X-New", b"v").err(),
        Some(EditError::TooManyEdits { limit: MAX_EDITS })
    );
}

#[test]
fn edits_combine_with_normalization() {
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1,\r\n SIP/2.0/UDP g;branch=z9hG4bK0\r\nMax-Forwards:  10\r\ni: x\r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    let mut ed = Editor::new(&msg);
    ed.normalized(NormalizeConfig {
        one_value_per_line: true,
    })
    .insert_top(HeaderName::Via, b"SIP/2.0/UDP p;branch=z9hG4bK2")
    .unwrap();
    ed.decrement_max_forwards().unwrap();
    assert_eq!(
        text(&write(&ed)),
        "OPTIONS sip:a@b SIP/2.0\r\n\
Via: SIP/2.0/UDP p;branch=z9hG4bK2\r\n\
Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
Via: SIP/2.0/UDP g;branch=z9hG4bK0\r\n\
Max-Forwards: 9\r\n\
Call-ID: x\r\n\
Content-Length: 0\r\n\r\n"
    );
}

#[test]
fn responses_keep_their_status_line() {
    let raw = b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nServer: pbx\r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    let mut ed = Editor::new(&msg);
    ed.remove_all(HeaderName::Server).unwrap();
    assert!(ed.set_request_uri("sip:x@y").is_err());
    assert_eq!(
        text(&write(&ed)),
        "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n"
    );
}
