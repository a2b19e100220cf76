//! `cargo run --release --example demo` — what voipsec does, on sample and
//! hostile input. One function per module section; modules append theirs.

use voipsec::sip::{Contact, Frame, Framer, HeaderName, Limits, Message};

const SAMPLE_INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice \\\"A\\\" Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
m: <sip:alice@[2001:db8::33]:5060>\r\n\
User-Agent: demo-phone/1.0\r\n\
Content-Type: application/sdp\r\n\
l: 35\r\n\
\r\n\
v=0\r\n\
s=-\r\n\
m=audio 49170 RTP/AVP 0\r\n";

/// Hostile or broken messages and what each tries.
const HOSTILE: &[(&str, &[u8])] = &[
    (
        "two Content-Lengths (request smuggling)",
        b"OPTIONS sip:pbx@example.com SIP/2.0\r\nContent-Length: 0\r\nContent-Length: 45\r\n\r\nINVITE sip:premium@example.com SIP/2.0\r\n\r\n",
    ),
    ("negative Content-Length", b"INVITE sip:a@example.com SIP/2.0\r\nContent-Length: -999\r\n\r\n"),
    ("Content-Length past the datagram", b"INVITE sip:a@example.com SIP/2.0\r\nl: 9999\r\n\r\nv=0\r\n"),
    ("bare LF line end", b"INVITE sip:a@example.com SIP/2.0\nVia: SIP/2.0/UDP x\r\n\r\n"),
    ("CSeq overflowing 32 bits", b"REGISTER sip:example.com SIP/2.0\r\nCSeq: 36893488147419103232 REGISTER\r\n\r\n"),
    ("CSeq method differs from the request", b"OPTIONS sip:a@example.com SIP/2.0\r\nCSeq: 8 INVITE\r\n\r\n"),
    ("status code 4294967301", b"SIP/2.0 4294967301 better not break the receiver\r\n\r\n"),
    ("spaces inside <...>", b"OPTIONS sip:a@example.org SIP/2.0\r\nTo: \"Watson\" < sip:t.watson@example.org >\r\n\r\n"),
    ("unbracketed IPv6 host", b"REGISTER sip:2001:db8::10 SIP/2.0\r\n\r\n"),
    ("SIP/7.0", b"OPTIONS sip:a@example.org SIP/7.0\r\n\r\n"),
];

fn sip_section() {
    println!("== sip: zero-copy parser ==");
    let msg = Message::parse(SAMPLE_INVITE).expect("the sample parses");
    msg.validate().expect("the sample is valid");
    let ruri = msg.request_uri().expect("Request-URI");
    let via = msg.top_via().expect("Via");
    let from = msg.from().expect("From");
    let cseq = msg.cseq().expect("CSeq");
    println!(
        "sample INVITE ({} bytes, {} header fields)",
        SAMPLE_INVITE.len(),
        msg.header_count()
    );
    println!("  method          {}", msg.method().expect("request"));
    println!(
        "  Request-URI     user={:?} host={:?}",
        ruri.user(),
        ruri.host().map(|h| h.as_str())
    );
    println!(
        "  top Via         {} {} branch={:?} rport={:?}",
        via.transport(),
        via.host().as_str(),
        via.branch(),
        via.rport()
    );
    println!(
        "  From            {:?} tag={:?}",
        from.display_name(),
        from.tag()
    );
    println!("  Call-ID         {}", msg.call_id().expect("Call-ID"));
    println!("  CSeq            {} {}", cseq.number, cseq.method);
    if let Some(Ok(Contact::Address(c))) = msg.contacts().next() {
        let host = c.uri().host().expect("host");
        println!(
            "  Contact (m:)    host={} ip={:?} port={:?}",
            host.as_str(),
            host.ip(),
            c.uri().port()
        );
    }
    println!("  User-Agent      {:?}", msg.user_agent());
    println!(
        "  Content-Length  {:?} (body {} bytes)",
        msg.content_length(),
        msg.body().len()
    );
    let ct = msg.header(HeaderName::ContentType).expect("Content-Type");
    println!(
        "  raw header      {}: {:?} at bytes {:?}",
        ct.name(),
        ct.value_str(),
        ct.value_range()
    );

    println!("hostile messages:");
    for (what, raw) in HOSTILE {
        let verdict = Message::parse(raw).and_then(|m| m.validate());
        match verdict {
            Ok(()) => println!("  ACCEPTED (bug!)  {what}"),
            Err(e) => println!("  rejected {}      {what}: {e}", e.status_code()),
        }
    }

    println!("TCP stream framing:");
    let mut framer = Framer::new(Limits::default());
    let mut stream = b"\r\n\r\n".to_vec();
    stream.extend_from_slice(SAMPLE_INVITE);
    stream.extend_from_slice(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n");
    framer.push(&stream).expect("fits");
    loop {
        match framer.next_frame() {
            Ok(Some(Frame::KeepAlive)) => println!(
                "  keep-alive ping -> answer {:?}",
                String::from_utf8_lossy(Framer::PONG)
            ),
            Ok(Some(Frame::Message(m))) => println!("  message of {} bytes", m.len()),
            Ok(None) => break,
            Err(e) => {
                println!("  stream rejected (close the connection): {e}");
                break;
            }
        }
    }
}

fn main() {
    sip_section();
}
