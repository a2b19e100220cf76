//! Topology hiding: what leaves names no internal host, header filters,
//! the way back through sealed Via / Record-Route / Route, and tamper
//! detection on every byte of a seal.

use bytes::BytesMut;
use voipsec::sip::{
    EditError, HeaderFilter, HeaderName, Message, TopologyKey, TopologyPolicy, hide_topology,
    restore_topology,
};

const PUBLIC: &str = "203.0.113.10:5060";

/// An INVITE from the inside: two internal proxies, internal UA.
const INVITE: &[u8] = b"INVITE sip:bob@example.net SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.1.1.5:5060;branch=z9hG4bKp2;received=10.1.1.5\r\n\
Via: SIP/2.0/TCP pbx.corp.internal;branch=z9hG4bKp1,\r\n SIP/2.0/UDP 10.1.1.2:5060;branch=z9hG4bKua;rport=5060\r\n\
Record-Route: <sip:10.1.1.5;lr>\r\n\
Record-Route: <sip:pbx.corp.internal;lr;transport=tcp>\r\n\
Max-Forwards: 68\r\n\
From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.net>\r\n\
Call-ID: 77abc@example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@10.1.1.2:5060;transport=udp>;expires=60\r\n\
User-Agent: PBX 4.2 (build 17)\r\n\
Server: internal\r\n\
X-Internal-Id: 991\r\n\
P-Asserted-Identity: <sip:alice@corp.internal>\r\n\
Subject: lunch\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\r\nv=0\n";

fn key() -> TopologyKey {
    TopologyKey::new(&[0x5a; 32])
}

fn policy() -> TopologyPolicy<'static> {
    TopologyPolicy::new(PUBLIC).unwrap()
}

fn hide(raw: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    hide_topology(&Message::parse(raw).unwrap(), &policy(), &key(), &mut out).unwrap();
    out.to_vec()
}

fn restore(raw: &[u8]) -> Result<Vec<u8>, EditError> {
    let mut out = BytesMut::new();
    restore_topology(&Message::parse(raw).unwrap(), &policy(), &key(), &mut out)?;
    Ok(out.to_vec())
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The answer a UAS on the outside sends: the hidden request's Via,
/// Record-Route, From, To, Call-ID and CSeq, with a To tag.
fn response_to(hidden: &[u8]) -> Vec<u8> {
    let msg = Message::parse(hidden).unwrap();
    let mut r = b"SIP/2.0 200 OK\r\n".to_vec();
    for h in msg.headers().filter(|h| {
        matches!(
            h.kind(),
            HeaderName::Via
                | HeaderName::RecordRoute
                | HeaderName::From
                | HeaderName::CallId
                | HeaderName::CSeq
        )
    }) {
        r.extend_from_slice(&hidden[h.line_range()]);
    }
    r.extend_from_slice(b"To: <sip:bob@example.net>;tag=b2\r\nContact: <sip:bob@198.51.100.20>\r\nContent-Length: 0\r\n\r\n");
    r
}

#[test]
fn a_hidden_request_names_no_internal_host() {
    let out = hide(INVITE);
    let msg = Message::parse(&out).unwrap();
    msg.validate().unwrap();
    for internal in ["10.1.1", "corp.internal", "PBX 4.2", "991", "Server:"] {
        assert!(!contains(&out, internal), "{internal} leaked");
    }
    // One Via at the public address with the top branch and transport.
    assert_eq!(msg.vias().count(), 1);
    let via = msg.top_via().unwrap();
    assert_eq!(via.host().as_str(), "203.0.113.10");
    assert_eq!(via.port(), Some(5060));
    assert_eq!(via.transport(), "UDP");
    assert_eq!(via.branch(), Some("z9hG4bKp2"));
    let seal = via.params().value("vsth").unwrap();
    assert!(seal.len() < 400, "bounded: {}", seal.len());
    // One Record-Route at the public address, loose routing.
    let rr: Vec<_> = msg.record_routes().map(Result::unwrap).collect();
    assert_eq!(rr.len(), 1);
    assert!(rr[0].uri().params().contains("lr"));
    assert!(
        rr[0]
            .uri()
            .as_str()
            .starts_with("sip:203.0.113.10:5060;lr;vsth=")
    );
    // Contact points at the public address, user and parameters kept.
    let voipsec::sip::Contact::Address(c) = msg.contacts().next().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(
        c.uri().as_str(),
        "sip:alice@203.0.113.10:5060;transport=udp"
    );
    assert_eq!(c.params().value("expires"), Some("60"));
    // The dialog and the rest are untouched.
    let original = Message::parse(INVITE).unwrap();
    assert_eq!(msg.call_id().unwrap(), original.call_id().unwrap());
    assert_eq!(msg.from().unwrap(), original.from().unwrap());
    assert_eq!(msg.max_forwards().unwrap(), 68);
    assert_eq!(msg.header(HeaderName::Subject).unwrap().value(), b"lunch");
    assert_eq!(msg.body(), b"v=0\n");
}

#[test]
fn the_answer_finds_its_way_back() {
    let hidden = hide(INVITE);
    let back = restore(&response_to(&hidden)).unwrap();
    let msg = Message::parse(&back).unwrap();
    msg.validate().unwrap();
    let vias: Vec<String> = msg
        .vias()
        .map(|v| {
            let v = v.unwrap();
            format!("{} {}", v.host().as_str(), v.branch().unwrap())
        })
        .collect();
    assert_eq!(
        vias,
        [
            "10.1.1.5 z9hG4bKp2",
            "pbx.corp.internal z9hG4bKp1",
            "10.1.1.2 z9hG4bKua"
        ]
    );
    assert_eq!(
        msg.top_via().unwrap().received().unwrap().as_str(),
        "10.1.1.5"
    );
    let rr: Vec<_> = msg
        .record_routes()
        .map(|r| r.unwrap().uri().as_str())
        .collect();
    assert_eq!(
        rr,
        ["sip:10.1.1.5;lr", "sip:pbx.corp.internal;lr;transport=tcp"]
    );
}

#[test]
fn in_dialog_requests_from_outside_get_their_route_set_back() {
    let hidden = hide(INVITE);
    let rr = Message::parse(&hidden)
        .unwrap()
        .header(HeaderName::RecordRoute)
        .unwrap()
        .value()
        .to_vec();
    // The UAS outside uses the Record-Route set as its route set (RFC 3261 §12.1.1).
    let mut bye = b"BYE sip:alice@203.0.113.10:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.20;branch=z9hG4bKbye\r\nRoute: "
        .to_vec();
    bye.extend_from_slice(&rr);
    bye.extend_from_slice(b"\r\nFrom: <sip:bob@example.net>;tag=b2\r\nTo: \"Alice\" <sip:alice@example.com>;tag=a1\r\nCall-ID: 77abc@example.com\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\n\r\n");
    let back = restore(&bye).unwrap();
    let msg = Message::parse(&back).unwrap();
    let routes: Vec<_> = msg.routes().map(|r| r.unwrap().uri().as_str()).collect();
    assert_eq!(
        routes,
        ["sip:10.1.1.5;lr", "sip:pbx.corp.internal;lr;transport=tcp"]
    );
    // The outside Via is left alone in a request.
    assert_eq!(msg.top_via().unwrap().branch(), Some("z9hG4bKbye"));
}

#[test]
fn a_hidden_response_seals_only_the_internal_record_route_entries() {
    // The INVITE came from outside, through the SBC (which record-routed
    // with its public address) to two internal proxies.
    let ok = b"SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKout\r\n\
Record-Route: <sip:10.2.0.9;lr>, <sip:10.2.0.1;lr>\r\n\
Record-Route: <sip:203.0.113.10:5060;lr>, <sip:proxy.carrier.example;lr>\r\n\
From: <sip:carol@carrier.example>;tag=c1\r\nTo: <sip:dave@example.com>;tag=d1\r\n\
Call-ID: out-1@carrier.example\r\nCSeq: 5 INVITE\r\n\
Contact: <sip:dave@10.2.0.50>\r\nServer: Asterisk\r\nContent-Length: 0\r\n\r\n";
    let out = hide(ok);
    assert!(!contains(&out, "10.2.0") && !contains(&out, "Asterisk"));
    let msg = Message::parse(&out).unwrap();
    assert_eq!(
        msg.top_via().unwrap().branch(),
        Some("z9hG4bKout"),
        "Via kept"
    );
    let rr: Vec<String> = msg
        .record_routes()
        .map(|r| r.unwrap().uri().as_str().to_string())
        .collect();
    assert_eq!(rr.len(), 3);
    assert!(rr[0].starts_with("sip:203.0.113.10:5060;lr;vsth="));
    assert_eq!(
        rr[1..],
        ["sip:203.0.113.10:5060;lr", "sip:proxy.carrier.example;lr"]
    );
    // The caller's route set is the reversed list (RFC 3261 §12.1.2); its
    // next request, once the carrier proxy and the SBC's own entry are
    // consumed, carries the sealed entry: restored in the order to use.
    let mut ack = b"ACK sip:dave@203.0.113.10:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKack\r\nRoute: <"
        .to_vec();
    ack.extend_from_slice(rr[0].as_bytes());
    ack.extend_from_slice(b">\r\nFrom: <sip:carol@carrier.example>;tag=c1\r\nTo: <sip:dave@example.com>;tag=d1\r\nCall-ID: out-1@carrier.example\r\nCSeq: 5 ACK\r\n\r\n");
    let back = restore(&ack).unwrap();
    let routes: Vec<String> = Message::parse(&back)
        .unwrap()
        .routes()
        .map(|r| r.unwrap().uri().as_str().to_string())
        .collect();
    assert_eq!(routes, ["sip:10.2.0.1;lr", "sip:10.2.0.9;lr"]);
    // A response-side seal is a route set, never a Record-Route of a response.
    let mut resp =
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nRecord-Route: <".to_vec();
    resp.extend_from_slice(rr[0].as_bytes());
    resp.extend_from_slice(b">\r\nCall-ID: out-1@carrier.example\r\nCSeq: 5 INVITE\r\n\r\n");
    assert_eq!(restore(&resp), Err(EditError::SealInvalid));
}

/// `msg` with the first `old` replaced by `new`.
fn with_seal(msg: &[u8], old: &str, new: &str) -> Vec<u8> {
    let text = String::from_utf8(msg.to_vec()).unwrap();
    text.replacen(old, new, 1).into_bytes()
}

fn via_seal(hidden: &[u8]) -> String {
    Message::parse(hidden)
        .unwrap()
        .top_via()
        .unwrap()
        .params()
        .value("vsth")
        .unwrap()
        .to_string()
}

#[test]
fn any_change_to_a_seal_is_detected() {
    let hidden = hide(INVITE);
    let resp = response_to(&hidden);
    let seal = via_seal(&hidden);
    for i in 0..seal.len() {
        let mut forged = seal.clone().into_bytes();
        // Every position, with a character that changes its bits.
        forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        let tampered = with_seal(&resp, &seal, &forged);
        assert_eq!(
            restore(&tampered),
            Err(EditError::SealInvalid),
            "position {i}"
        );
    }
    // Truncated, extended, emptied-out or non-base64 seals.
    for forged in [
        &seal[..seal.len() - 1],
        &format!("{seal}A"),
        "A",
        "AAAA",
        &seal.replace(|c: char| c.is_ascii_uppercase(), "%"),
    ] {
        assert_eq!(
            restore(&with_seal(&resp, &seal, forged)),
            Err(EditError::SealInvalid),
            "{forged}"
        );
    }
    // Another call cannot reuse the seal.
    let other_call = with_seal(
        &resp,
        "Call-ID: 77abc@example.com",
        "Call-ID: other@example.com",
    );
    assert_eq!(restore(&other_call), Err(EditError::SealInvalid));
    // Another key cannot open it.
    let mut out = BytesMut::new();
    let err = restore_topology(
        &Message::parse(&resp).unwrap(),
        &policy(),
        &TopologyKey::new(&[1; 32]),
        &mut out,
    )
    .unwrap_err();
    assert_eq!(err, EditError::SealInvalid);
    assert_eq!(err.status_code(), 400);
    assert!(out.is_empty());
    // A Via seal is not a Record-Route seal.
    let rr_seal = Message::parse(&hidden)
        .unwrap()
        .record_routes()
        .next()
        .unwrap()
        .unwrap()
        .uri()
        .params()
        .value("vsth")
        .unwrap()
        .to_string();
    let swapped = with_seal(&resp, &seal, &rr_seal);
    assert_eq!(restore(&swapped), Err(EditError::SealInvalid));
}

#[test]
fn filters_deny_and_allow() {
    let deny = TopologyPolicy::new(PUBLIC)
        .unwrap()
        .with_filter(HeaderFilter::Deny(&["subject", "x-*"]));
    let mut out = BytesMut::new();
    hide_topology(&Message::parse(INVITE).unwrap(), &deny, &key(), &mut out).unwrap();
    let msg = Message::parse(&out).unwrap();
    assert!(msg.header(HeaderName::Subject).is_none());
    assert!(msg.header_named("X-Internal-Id").is_none());
    assert!(msg.user_agent().is_some(), "not in this deny-list");

    let allow = TopologyPolicy::new(PUBLIC)
        .unwrap()
        .with_filter(HeaderFilter::Allow(&["Subject"]));
    let mut out = BytesMut::new();
    hide_topology(&Message::parse(INVITE).unwrap(), &allow, &key(), &mut out).unwrap();
    let msg = Message::parse(&out).unwrap();
    let names: Vec<_> = msg.headers().map(|h| h.name()).collect();
    assert_eq!(
        names,
        [
            "Via",
            "Record-Route",
            "Max-Forwards",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Contact",
            "Subject",
            "Content-Type",
            "Content-Length"
        ]
    );
    // Dialog headers survive even a filter that names them.
    assert!(HeaderFilter::Deny(&["*"]).keeps("Call-ID"));
    assert!(HeaderFilter::Deny(&["*"]).keeps("v"));
    assert!(!HeaderFilter::Deny(&["*"]).keeps("Subject"));
    // Compact names match their long names.
    assert!(!HeaderFilter::Deny(&["Subject"]).keeps("s"));
}

#[test]
fn policies_are_checked_and_seals_bounded() {
    assert!(TopologyPolicy::new("").is_err());
    assert!(TopologyPolicy::new("a b").is_err());
    assert!(TopologyPolicy::new("host;lr").is_err());
    assert!(TopologyPolicy::new("user@host").is_err());
    assert!(
        TopologyPolicy::new("2001:db8::1").is_err(),
        "IPv6 needs brackets"
    );
    assert!(TopologyPolicy::new("[2001:db8::1]:5061").is_ok());
    assert!(policy().with_param("a b").is_err());

    let small = policy().with_max_sealed(40);
    let mut out = BytesMut::from(&b"keep"[..]);
    let err =
        hide_topology(&Message::parse(INVITE).unwrap(), &small, &key(), &mut out).unwrap_err();
    assert!(
        matches!(err, EditError::SealTooLarge { limit: 40, .. }),
        "{err}"
    );
    assert_eq!(&out[..], b"keep");
}

#[test]
fn ipv6_public_address_and_custom_parameter() {
    let policy = TopologyPolicy::new("[2001:db8::5]:5061")
        .unwrap()
        .with_param("th")
        .unwrap();
    let mut out = BytesMut::new();
    hide_topology(&Message::parse(INVITE).unwrap(), &policy, &key(), &mut out).unwrap();
    let msg = Message::parse(&out).unwrap();
    msg.validate().unwrap();
    let via = msg.top_via().unwrap();
    assert_eq!(via.host().as_str(), "2001:db8::5");
    assert!(via.params().contains("th"));
    let mut back = BytesMut::new();
    restore_topology(
        &Message::parse(&response_to(&out)).unwrap(),
        &policy,
        &key(),
        &mut back,
    )
    .unwrap();
    assert_eq!(Message::parse(&back).unwrap().vias().count(), 3);
}

#[test]
fn messages_without_seals_pass_restore_unchanged() {
    let plain = b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nCall-ID: x@y\r\nCSeq: 1 INVITE\r\n\r\n";
    assert_eq!(restore(plain).unwrap(), plain);
    let no_call_id = b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\r\n";
    assert!(matches!(restore(no_call_id), Err(EditError::Sip(_))));
}
