//! The example messages of RFC 3261 §24 (registration and session setup
//! through two proxies), parsed and validated, with their values checked.

use voipsec::sip::{Contact, HeaderName, Host, Message, Method, Scheme};

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

/// RFC 3261 §24.1 F1.
const REGISTER_F1: &str = "REGISTER sip:registrar.biloxi.com SIP/2.0
Via: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7
Max-Forwards: 70
To: Bob <sip:bob@biloxi.com>
From: Bob <sip:bob@biloxi.com>;tag=456248
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
Contact: <sip:bob@192.0.2.4>
Expires: 7200
Content-Length: 0

";

/// RFC 3261 §24.2 F1. The RFC prints Content-Length 142; the body below
/// is 145 bytes with CRLF line ends, so the value is recomputed.
const INVITE_F1: &str = "INVITE sip:bob@biloxi.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8
Max-Forwards: 70
To: Bob <sip:bob@biloxi.com>
From: Alice <sip:alice@atlanta.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.com>
Content-Type: application/sdp
Content-Length: 145

v=0
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.com
s=-
c=IN IP4 pc33.atlanta.com
t=0 0
m=audio 3456 RTP/AVP 0
a=rtpmap:0 PCMU/8000
";

/// RFC 3261 §24.2 F8 (180 Ringing relayed by atlanta.com to Alice).
const RINGING_F8: &str = "SIP/2.0 180 Ringing
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1
Record-Route: <sip:ss2.biloxi.example.com;lr>,
 <sip:ss1.atlanta.example.com;lr>
To: Bob <sip:bob@biloxi.example.com>;tag=314159
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl
Call-ID: 3848276298220188511@atlanta.example.com
Contact: <sip:bob@client.biloxi.example.com;transport=tcp>
CSeq: 2 INVITE
Content-Length: 0

";

/// RFC 3261 §24.2 F13 (BYE through the proxies).
const BYE_F13: &str = "BYE sip:alice@client.atlanta.example.com SIP/2.0
Via: SIP/2.0/TCP ss2.biloxi.example.com:5060;branch=z9hG4bK721e4.1
Via: SIP/2.0/TCP client.biloxi.example.com:5060;branch=z9hG4bKnashds7;received=192.0.2.222
Max-Forwards: 69
Route: <sip:ss1.atlanta.example.com;lr>
From: Bob <sip:bob@biloxi.example.com>;tag=314159
To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl
Call-ID: 3848276298220188511@atlanta.example.com
CSeq: 1 BYE
Content-Length: 0

";

/// RFC 3261 §24.2 F11 (ACK).
const ACK_F11: &str = "ACK sip:bob@client.biloxi.example.com SIP/2.0
Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b76
Max-Forwards: 70
Route: <sip:ss1.atlanta.example.com;lr>,
 <sip:ss2.biloxi.example.com;lr>
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl
To: Bob <sip:bob@biloxi.example.com>;tag=314159
Call-ID: 3848276298220188511@atlanta.example.com
CSeq: 2 ACK
Content-Length: 0

";

#[test]
fn register_f1() {
    let raw = crlf(REGISTER_F1);
    let m = Message::parse(&raw).unwrap();
    m.validate().unwrap();
    assert_eq!(m.method(), Some(Method::Register));
    assert_eq!(
        m.request_uri().unwrap().host(),
        Some(Host::Name("registrar.biloxi.com"))
    );
    let via = m.top_via().unwrap();
    assert_eq!(
        (via.host(), via.port(), via.branch()),
        (
            Host::Name("bobspc.biloxi.com"),
            Some(5060),
            Some("z9hG4bKnashds7")
        )
    );
    assert_eq!(m.to().unwrap().display_name().unwrap(), "Bob");
    assert_eq!(m.to().unwrap().tag(), None);
    assert_eq!(m.from().unwrap().tag(), Some("456248"));
    assert_eq!(m.expires().unwrap(), 7200);
    let Some(Ok(Contact::Address(c))) = m.contacts().next() else {
        panic!()
    };
    assert_eq!(
        c.uri().host(),
        Some(Host::Ipv4("192.0.2.4".parse().unwrap()))
    );
    assert_eq!(m.cseq().unwrap().number, 1826);
}

#[test]
fn invite_f1_with_sdp() {
    let raw = crlf(INVITE_F1);
    let m = Message::parse(&raw).unwrap();
    m.validate().unwrap();
    assert_eq!(m.body().len(), 145);
    assert!(m.body().starts_with(b"v=0\r\no=alice"));
    assert_eq!(m.body_range().end, raw.len());
    assert_eq!(m.request_uri().unwrap().scheme(), Scheme::Sip);
    assert_eq!(m.call_id().unwrap(), "a84b4c76e66710");
    assert_eq!(m.max_forwards().unwrap(), 70);
    assert!(m.content_type().unwrap().is("application", "sdp"));
}

#[test]
fn ringing_f8_with_folded_record_route() {
    let raw = crlf(RINGING_F8);
    let m = Message::parse(&raw).unwrap();
    m.validate().unwrap();
    assert_eq!(m.status_line().unwrap().code, 180);
    assert_eq!(m.status_line().unwrap().reason, b"Ringing");
    assert_eq!(
        m.top_via().unwrap().received(),
        Some(Host::Ipv4("192.0.2.1".parse().unwrap()))
    );
    let rr: Vec<_> = m
        .record_routes()
        .map(|r| r.unwrap().uri().host().unwrap())
        .collect();
    assert_eq!(
        rr,
        [
            Host::Name("ss2.biloxi.example.com"),
            Host::Name("ss1.atlanta.example.com")
        ]
    );
    assert!(m.header(HeaderName::RecordRoute).unwrap().is_folded());
    assert_eq!(m.to().unwrap().tag(), Some("314159"));
    let Some(Ok(Contact::Address(c))) = m.contacts().next() else {
        panic!()
    };
    assert_eq!(c.uri().params().value("transport"), Some("tcp"));
}

#[test]
fn bye_f13_and_ack_f11() {
    let raw = crlf(BYE_F13);
    let m = Message::parse(&raw).unwrap();
    m.validate().unwrap();
    let vias: Vec<_> = m.vias().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 2);
    assert_eq!(
        vias[1].received(),
        Some(Host::Ipv4("192.0.2.222".parse().unwrap()))
    );
    assert_eq!(m.max_forwards().unwrap(), 69);
    assert!(
        m.routes()
            .next()
            .unwrap()
            .unwrap()
            .uri()
            .params()
            .contains("lr")
    );
    let raw = crlf(ACK_F11);
    let m = Message::parse(&raw).unwrap();
    m.validate().unwrap();
    assert_eq!(m.cseq().unwrap().method, Method::Ack);
    assert_eq!(m.routes().count(), 2);
}
