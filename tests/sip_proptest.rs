//! Property tests: no panic on any input, generated messages round-trip,
//! compact and long header names are equivalent.

use proptest::prelude::*;
use voipsec::sip::{Contact, Frame, Framer, Host, Limits, Message, Method, Uri};

/// Exercises every accessor; nothing may panic whatever the input.
fn touch_everything(raw: &[u8]) {
    let Ok(msg) = Message::parse(raw) else { return };
    let _ = msg.validate();
    let _ = msg.request_uri().map(|u| {
        (
            u.user_unescaped(),
            u.host().map(|h| h.ip()),
            u.params().iter().count(),
        )
    });
    let _ = msg
        .top_via()
        .map(|v| (v.branch(), v.received(), v.rport(), v.maddr(), v.ttl()));
    for v in msg.vias() {
        let _ = v.map(|v| v.params().iter().count());
    }
    let _ = msg.from().map(|a| (a.display_name(), a.tag()));
    let _ = msg.to().map(|a| (a.display_name(), a.uri().opaque().len()));
    for c in msg.contacts() {
        if let Ok(Contact::Address(a)) = c {
            let _ = a.params().value("expires");
        }
    }
    let _ = msg.routes().count() + msg.record_routes().count();
    let _ = (
        msg.call_id(),
        msg.cseq(),
        msg.max_forwards(),
        msg.expires(),
        msg.content_type(),
        msg.user_agent(),
    );
    for h in msg.headers() {
        let _ = (
            h.name(),
            h.value_str(),
            h.values().count(),
            h.line_range(),
            h.is_folded(),
        );
        assert!(h.value_range().end <= raw.len() && h.line_range().end <= raw.len());
    }
    assert!(msg.body_range().end <= raw.len());
    assert_eq!(msg.body().len(), msg.body_range().len());
}

const SEEDS: &[&[u8]] = &[
    include_bytes!("data/sip-torture/wsinv.sip"),
    include_bytes!("data/sip-torture/intmeth.sip"),
    include_bytes!("data/sip-torture/longreq.sip"),
    include_bytes!("data/sip-torture/ipv6-good.sip"),
    include_bytes!("data/sip/bench-invite.sip"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        touch_everything(&raw);
        let _ = Uri::parse(&String::from_utf8_lossy(&raw));
        let mut framer = Framer::new(Limits { max_message_size: 512, ..Limits::default() });
        if framer.push(&raw).is_ok() {
            while let Ok(Some(Frame::Message(m))) = framer.next_frame() {
                let _ = Message::parse_stream(&m, &Limits::default());
            }
        }
    }

    #[test]
    fn mutated_real_messages_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut raw = SEEDS[seed].to_vec();
        for (at, byte, op) in edits {
            let i = at.index(raw.len() + 1);
            match op {
                0 if i < raw.len() => raw[i] = byte,
                1 => raw.insert(i, byte),
                _ if i < raw.len() => { raw.remove(i); }
                _ => {}
            }
        }
        touch_everything(&raw);
    }
}

#[derive(Debug, Clone)]
struct Generated {
    method: &'static str,
    user: String,
    host: String,
    port: Option<u16>,
    branch: String,
    tag: String,
    display: String,
    call_id: String,
    cseq: u32,
    max_forwards: u8,
    body: Vec<u8>,
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        prop::sample::select(vec![
            "INVITE", "REGISTER", "OPTIONS", "BYE", "MESSAGE", "FOO-BAR",
        ]),
        "[a-z0-9._~+-]{1,16}",
        "([a-z][a-z0-9-]{0,10}\\.){1,3}[a-z]{2,6}",
        proptest::option::of(1u16..),
        "[A-Za-z0-9.!%*_+`'~-]{1,24}",
        "[A-Za-z0-9-]{1,16}",
        "[A-Za-z0-9 ,;:<>@]{0,20}",
        "[A-Za-z0-9.!%*_+-]{1,20}(@[a-z0-9.]{1,12})?",
        any::<u32>(),
        any::<u8>(),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(
                method,
                user,
                host,
                port,
                branch,
                tag,
                display,
                call_id,
                cseq,
                max_forwards,
                body,
            )| Generated {
                method,
                user,
                host,
                port,
                branch: format!("z9hG4bK{branch}"),
                tag,
                display,
                call_id,
                cseq,
                max_forwards,
                body,
            },
        )
}

/// Renders `g`; `names[i]` picks the spelling of each header name.
fn render(g: &Generated, names: [&str; 8]) -> Vec<u8> {
    let port = g.port.map(|p| format!(":{p}")).unwrap_or_default();
    let escaped = g.display.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = format!(
        "{m} sip:{u}@{h}{port} SIP/2.0\r\n{via}: SIP/2.0/UDP {h}{port};branch={b};rport\r\n{from}: \"{d}\" <sip:{u}@{h}>;tag={t}\r\n{to}: <sip:{u}@{h}>\r\n{cid}: {c}\r\n{cseq}: {n} {m}\r\n{mf}: {mf_v}\r\n{ct}: application/octet-stream\r\n{cl}: {len}\r\n\r\n",
        m = g.method,
        u = g.user,
        h = g.host,
        b = g.branch,
        d = escaped,
        t = g.tag,
        c = g.call_id,
        n = g.cseq,
        mf_v = g.max_forwards,
        len = g.body.len(),
        via = names[0],
        from = names[1],
        to = names[2],
        cid = names[3],
        cseq = names[4],
        mf = names[5],
        ct = names[6],
        cl = names[7],
    )
    .into_bytes();
    out.extend_from_slice(&g.body);
    out
}

const LONG: [&str; 8] = [
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Type",
    "Content-Length",
];
const COMPACT: [&str; 8] = ["v", "f", "t", "i", "CSEQ", "max-FORWARDS", "c", "l"];

/// The fields the tests compare, as owned values: method, user, host,
/// port, branch, From tag, display name, Call-ID, CSeq, Max-Forwards, body.
type Fields = (
    String,
    String,
    String,
    Option<u16>,
    String,
    String,
    String,
    String,
    u32,
    u8,
    Vec<u8>,
);

fn fields(raw: &[u8]) -> Fields {
    let m = Message::parse(raw).expect("parse");
    m.validate().expect("validate");
    let ruri = m.request_uri().unwrap();
    let Some(Host::Name(host)) = ruri.host() else {
        panic!("host")
    };
    let from = m.from().unwrap();
    (
        m.method().unwrap().as_str().to_string(),
        ruri.user().unwrap().to_string(),
        host.to_string(),
        ruri.port(),
        m.top_via().unwrap().branch().unwrap().to_string(),
        from.tag().unwrap().to_string(),
        from.display_name().unwrap().into_owned(),
        m.call_id().unwrap().to_string(),
        m.cseq().unwrap().number,
        m.max_forwards().unwrap(),
        m.body().to_vec(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_round_trip(g in generated()) {
        let raw = render(&g, LONG);
        let f = fields(&raw);
        prop_assert_eq!(
            f,
            (g.method.to_string(), g.user.clone(), g.host.clone(), g.port, g.branch.clone(), g.tag.clone(),
             g.display.clone(), g.call_id.clone(), g.cseq, g.max_forwards, g.body.clone())
        );
        let m = Message::parse(&raw).unwrap();
        prop_assert_eq!(m.cseq().unwrap().method, m.method().unwrap());
        prop_assert_eq!(m.method().unwrap() == Method::Invite, g.method == "INVITE");
        // The same bytes through the stream framer, split anywhere.
        let mut framer = Framer::new(Limits::default());
        let (a, b) = raw.split_at(raw.len() / 3);
        framer.push(a).unwrap();
        prop_assert_eq!(framer.next_frame().unwrap(), None);
        framer.push(b).unwrap();
        let Some(Frame::Message(frame)) = framer.next_frame().unwrap() else { panic!("frame") };
        prop_assert_eq!(&frame[..], &raw[..]);
    }

    #[test]
    fn compact_and_long_names_are_equivalent(g in generated(), pick in any::<[bool; 8]>()) {
        let mixed: [&str; 8] = std::array::from_fn(|i| if pick[i] { COMPACT[i] } else { LONG[i] });
        prop_assert_eq!(fields(&render(&g, LONG)), fields(&render(&g, mixed)));
    }
}
