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

/// The guard: one engine screening a phone, a scanner, a password guesser
/// and a fraudster; every refusal becomes a JSON line for a SIEM.
fn guard_section() {
    use voipsec::guard::{Engine, EngineConfig, JsonLinesSink, Unread};

    println!("\n== guard ==");
    let config = EngineConfig::parse("bruteforce.source_failures = 3\n").expect("valid config");
    let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new())).expect("valid engine");
    let wall = 1_700_000_000_000;
    let ip = |s: &str| s.parse().expect("address");
    let options = |agent: &str| {
        format!(
            "OPTIONS sip:100@pbx.example SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-1\r\n\
             From: <sip:100@pbx.example>;tag=1\r\nTo: <sip:100@pbx.example>\r\nCall-ID: d1@x\r\n\
             CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nUser-Agent: {agent}\r\n\r\n"
        )
    };
    let phone_options = options("Yealink SIP-T46S");
    let scanner_options = options("friendly-scanner");
    let phone = engine.on_datagram(ip("192.0.2.10"), phone_options.as_bytes(), 1, wall);
    println!("  phone OPTIONS          -> {}", phone.decision);
    let scan = engine.on_datagram(ip("198.51.100.7"), scanner_options.as_bytes(), 2, wall);
    println!("  friendly-scanner       -> {}", scan.decision);
    let again = engine.on_datagram(ip("198.51.100.7"), b"anything", 3, wall);
    println!(
        "  scanner, next datagram -> {} (unread: {})",
        again.decision,
        matches!(again.message, Err(Unread::Refused))
    );
    let challenged = engine.on_datagram(ip("192.0.2.11"), SAMPLE_INVITE, 4, wall);
    println!("  INVITE, no credentials -> {}", challenged.decision);
    for n in 0..3 {
        let guess = engine.on_auth(
            ip("203.0.113.5"),
            "1001",
            &voipsec::digest::Verdict::WrongResponse,
            10 + n,
            wall,
        );
        println!("  wrong password #{}      -> {guess}", n + 1);
    }
    let premium = engine.on_call_start(ip("192.0.2.10"), "alice", "+1 900 555 0100", 20, wall);
    println!("  call to +1 900…        -> {}", premium.decision);
    let abroad = engine.on_call_start(ip("192.0.2.10"), "alice", "011 44 20 7946 0018", 21, wall);
    println!(
        "  call to 011 44…        -> {} (slot held: {})",
        abroad.decision,
        abroad.permit.is_some()
    );
    let events = String::from_utf8(engine.into_sink().into_inner()).unwrap_or_default();
    println!("  {} events for the SIEM, e.g.:", events.lines().count());
    if let Some(line) = events.lines().next() {
        println!("  {line}");
    }
}

/// SRTP: an SDES-keyed call, one packet protected and unprotected, then the
/// attacks an SRTP receiver sees: a flipped bit, a replay, junk from an
/// unknown SSRC (which must not create state).
fn srtp_section() {
    use voipsec::srtp::{Error, Policy, Profile, SdesCrypto};

    println!("\n== srtp ==");
    let offer = SdesCrypto::generate(1, Profile::Aes128CmHmacSha1_80);
    let line = offer.to_string();
    println!("  SDES offer     a=crypto:{}…", &line[..line.len().min(40)]);
    let mut tx = offer.context(Policy::outbound()).expect("sender");
    let mut rx = SdesCrypto::parse(&line)
        .expect("our own attribute parses")
        .context(Policy::inbound())
        .expect("receiver");
    // Two 160-byte voice packets, sequence numbers 1 and 2.
    let packet = |seq: u8| {
        let mut rtp = [0u8; 12 + 160 + 16];
        rtp[..12].copy_from_slice(&[0x80, 0, 0, seq, 0, 0, 0, 160, 0xca, 0xfe, 0xba, 0xbe]);
        rtp[12..172].fill(0x55);
        rtp
    };
    let (mut first, mut second) = (packet(1), packet(2));
    let n = tx.protect_rtp(&mut first, 172).expect("protect");
    tx.protect_rtp(&mut second, 172).expect("protect");
    let wire = first;
    println!("  protected      172 -> {n} bytes (80-bit tag)");
    let plain = rx.unprotect_rtp(&mut first[..n]).expect("authentic packet");
    println!(
        "  unprotected    {plain} bytes, payload intact: {}",
        first[12..plain].iter().all(|&b| b == 0x55)
    );
    let verdict = |r: Result<usize, Error>| match r {
        Ok(n) => format!("accepted ({n} bytes)"),
        Err(e) => format!("rejected: {e}"),
    };
    second[40] ^= 1;
    println!(
        "  one bit flipped  -> {}",
        verdict(rx.unprotect_rtp(&mut second[..n]))
    );
    let mut replay = wire;
    println!(
        "  replayed packet  -> {}",
        verdict(rx.unprotect_rtp(&mut replay[..n]))
    );
    let mut junk = wire;
    junk[8..12].copy_from_slice(&[1, 2, 3, 4]);
    println!(
        "  unknown SSRC     -> {} (streams tracked: {})",
        verdict(rx.unprotect_rtp(&mut junk[..n])),
        rx.stream_count()
    );
}

/// Digest: a challenge, a correct answer, and the failures a guard counts
/// (the client never learns which one it hit).
fn digest_section() {
    use voipsec::digest::{
        ChallengeKind, DigestConfig, DigestRequest, InMemoryCredentials, InMemoryNonceCounts,
        NonceSecret, Verifier, unix_now,
    };

    println!("\n== digest ==");
    let realm = "pbx.example";
    let mut users = InMemoryCredentials::new();
    users.insert_password(b"1001", realm.as_bytes(), b"s3cret");
    let verifier = Verifier::new(
        DigestConfig::new(realm),
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::default(),
    );
    let now = unix_now();
    let mut challenge = String::new();
    verifier.write_challenges(
        ChallengeKind::WwwAuthenticate,
        None,
        now,
        false,
        &mut challenge,
    );
    for line in challenge.lines() {
        let algorithm = line
            .split("algorithm=")
            .nth(1)
            .and_then(|r| r.split(',').next());
        println!(
            "  401 carries    WWW-Authenticate: Digest … algorithm={}",
            algorithm.unwrap_or("MD5")
        );
    }
    let request = DigestRequest {
        method: b"REGISTER",
        uri: b"sip:pbx.example",
        body: b"",
        client: None,
    };
    let nonce = verifier.issue_nonce(None, now);
    let forged = format!(
        "Digest username=\"1001\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"sip:pbx.example\", \
         response=\"00000000000000000000000000000000\", algorithm=MD5, qop=auth, \
         nc=00000001, cnonce=\"0a4f113b\""
    );
    let verdict = verifier.verify(forged.as_bytes(), &request, now);
    println!(
        "  guessed response -> {} (counts as brute force: {})",
        verdict.reason(),
        verdict.is_credential_failure()
    );
    let other_realm = forged.replace(realm, "evil.example");
    println!(
        "  foreign realm    -> {}",
        verifier
            .verify(other_realm.as_bytes(), &request, now)
            .reason()
    );
}

/// Rate limiting: a per-source REGISTER limit under a spray of spoofed
/// addresses stays within its key bound.
fn ratelimit_section() {
    use std::time::Duration;
    use voipsec::ratelimit::{IpLimiter, KeyedConfig, SlidingWindow};

    println!("\n== ratelimit ==");
    let per_source = IpLimiter::new(
        SlidingWindow::new(5, Duration::from_secs(10)).expect("valid window"),
        KeyedConfig::with_max_keys(10_000),
        64,
    )
    .expect("valid limiter");
    let attacker = "203.0.113.9".parse().expect("address");
    for n in 1..=6 {
        let d = per_source.check(attacker);
        println!(
            "  REGISTER #{n} from 203.0.113.9 -> {} (remaining {}, retry after {:?})",
            if d.is_allowed() { "allow" } else { "throttle" },
            d.remaining,
            d.retry_after
        );
    }
    for i in 0..100_000u32 {
        per_source.check(std::net::IpAddr::from(i.to_be_bytes()));
    }
    println!(
        "  after 100,000 spoofed sources: {} keys tracked (bound 10,000); 203.0.113.9 still throttled: {}",
        per_source.stats().0.tracked,
        !per_source.check(attacker).is_allowed()
    );
}

fn main() {
    sip_section();
    srtp_section();
    digest_section();
    ratelimit_section();
    guard_section();
}
