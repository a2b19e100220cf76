//! Every policy decision, taken through the engine on real SIP messages and
//! real digest verification (public API only).

use std::net::IpAddr;
use std::time::Duration;

use md5::{Digest, Md5};
use voipsec::digest::{
    Algorithm, DigestConfig, InMemoryCredentials, InMemoryNonceCounts, NonceSecret, Verdict,
    Verifier,
};
use voipsec::guard::{
    Action, Decision, Engine, EngineConfig, Event, EventSink, GuardConfig, GuardError,
    JsonLinesSink, Rule, Unread,
};
use voipsec::sip::Message;

const REALM: &str = "guard.test";
const WALL: u64 = 1_700_000_000_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn engine_with(text: &str) -> Engine<JsonLinesSink<Vec<u8>>> {
    Engine::new(
        EngineConfig::parse(text).unwrap(),
        JsonLinesSink::new(Vec::new()),
    )
    .unwrap()
}

fn engine() -> Engine<JsonLinesSink<Vec<u8>>> {
    engine_with("")
}

fn events(engine: Engine<JsonLinesSink<Vec<u8>>>) -> Vec<String> {
    String::from_utf8(engine.into_sink().into_inner())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn verifier() -> Verifier<InMemoryCredentials, InMemoryNonceCounts> {
    let mut users = InMemoryCredentials::new();
    users.insert_password(b"alice", REALM.as_bytes(), b"s3cret");
    users.insert_password(b"bob", REALM.as_bytes(), b"hunter2");
    let mut config = DigestConfig::new(REALM);
    config.algorithms = vec![Algorithm::Md5];
    Verifier::new(
        config,
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::default(),
    )
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Authorization value a client computes (RFC 7616 §3.4.1, qop=auth).
fn authorization(
    verifier: &Verifier<InMemoryCredentials, InMemoryNonceCounts>,
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
) -> String {
    let nonce = verifier.issue_nonce(None, WALL / 1000);
    let ha1 = Algorithm::Md5.ha1(user.as_bytes(), REALM.as_bytes(), password.as_bytes());
    let ha2 = hex(&Md5::digest(format!("{method}:{uri}").as_bytes()));
    let response = hex(&Md5::digest(
        format!("{}:{nonce}:00000001:0a4f113b:auth:{ha2}", ha1.as_str()).as_bytes(),
    ));
    format!(
        "Digest username=\"{user}\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", algorithm=MD5"
    )
}

fn register(user: &str, auth: Option<&str>, agent: &str) -> Vec<u8> {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "REGISTER sip:{REALM} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg1\r\n\
         From: <sip:{user}@{REALM}>;tag=a1\r\n\
         To: <sip:{user}@{REALM}>\r\n\
         Call-ID: reg-{user}@192.0.2.10\r\n\
         CSeq: 2 REGISTER\r\n\
         Contact: <sip:{user}@192.0.2.10:5060>\r\n\
         Max-Forwards: 70\r\n\
         Expires: 3600\r\n\
         User-Agent: {agent}\r\n\
         {auth}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn invite(from: &str, to: &str, to_tag: Option<&str>, auth: Option<&str>) -> Vec<u8> {
    let auth = auth
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "INVITE sip:{to}@{REALM} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1\r\n\
         From: <sip:{from}@{REALM}>;tag=b2\r\n\
         To: <sip:{to}@{REALM}>{tag}\r\n\
         Call-ID: inv-{from}@192.0.2.10\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:{from}@192.0.2.10:5060>\r\n\
         Max-Forwards: 70\r\n\
         User-Agent: Yealink SIP-T46S\r\n\
         {auth}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn options(to: &str, agent: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:{to}@{REALM} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-opt\r\n\
         From: <sip:probe@{REALM}>;tag=c3\r\n\
         To: <sip:{to}@{REALM}>\r\n\
         Call-ID: opt-{to}@198.51.100.7\r\n\
         CSeq: 1 OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         User-Agent: {agent}\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn decide(
    engine: &mut Engine<JsonLinesSink<Vec<u8>>>,
    src: &str,
    msg: &[u8],
    now: u64,
) -> Decision {
    engine.on_datagram(ip(src), msg, now, WALL + now).decision
}

#[test]
fn credentialed_register_and_in_dialog_invite_pass_silently() {
    let mut engine = engine();
    let v = verifier();
    let auth = authorization(&v, "alice", "s3cret", "REGISTER", &format!("sip:{REALM}"));
    let msg = register("alice", Some(&auth), "Yealink SIP-T46S");
    let seen = engine.on_datagram(ip("192.0.2.10"), &msg, 10, WALL);
    assert_eq!(seen.decision, Decision::ALLOW);
    let parsed = seen.message.unwrap();
    let auth = engine.authenticate(ip("192.0.2.10"), &parsed, &v, 10, WALL);
    assert!(auth.verdict.unwrap().is_authenticated(), "{auth:?}");
    assert_eq!(auth.account(), Some("alice"));
    assert_eq!(auth.decision, Decision::ALLOW);
    let reinvite = invite("alice", "bob", Some("x9"), None);
    assert_eq!(
        decide(&mut engine, "192.0.2.10", &reinvite, 20),
        Decision::ALLOW
    );
    // A response from a client passes the source checks only.
    let response = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-x\r\n\
From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: r@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(
        decide(&mut engine, "192.0.2.10", response, 30),
        Decision::ALLOW
    );
    assert!(events(engine).is_empty(), "the allow path writes no events");
}

#[test]
fn register_and_initial_invite_without_credentials_are_challenged() {
    let mut engine = engine();
    for msg in [
        register("alice", None, "Linphone/5.2"),
        invite("alice", "2125550100", None, None),
    ] {
        let d = decide(&mut engine, "192.0.2.10", &msg, 5);
        assert_eq!(
            (d.action, d.reason.rule),
            (Action::Challenge, Rule::AuthRequired)
        );
    }
    // With the PBX authenticating, the guard does not challenge.
    let mut open = engine_with("auth.challenge = false");
    let d = decide(&mut open, "192.0.2.10", &register("alice", None, "x"), 5);
    assert_eq!(d, Decision::ALLOW);
    let lines = events(engine);
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("\"rule\":\"auth.challenge\",\"action\":\"challenge\""));
    assert!(lines[0].contains("\"account\":\"alice\""));
}

#[test]
fn scanner_user_agent_is_banned_and_later_traffic_dropped_unread() {
    let mut engine = engine();
    let d = decide(
        &mut engine,
        "198.51.100.7",
        &options("100", "friendly-scanner"),
        1,
    );
    assert_eq!(d.reason.rule, Rule::ScannerUserAgent);
    assert_eq!(
        d.action,
        Action::Block {
            duration: Duration::from_secs(3600)
        }
    );
    let d = decide(&mut engine, "198.51.100.7", &options("100", "Yealink"), 2);
    assert_eq!(d.reason.rule, Rule::ActiveBlock);
    assert!(matches!(d.action, Action::Block { duration } if duration < Duration::from_secs(3600)));
    assert!(engine.blocked_for(ip("198.51.100.7"), 3).is_some());
    // Another source is not affected.
    assert_eq!(
        decide(&mut engine, "198.51.100.8", &options("100", "Yealink"), 4),
        Decision::ALLOW
    );
    // Drop-only configuration: no ban.
    let mut drop_only = engine_with("scanner.block_for = 0s");
    let d = decide(
        &mut drop_only,
        "198.51.100.7",
        &options("100", "sipvicious"),
        1,
    );
    assert_eq!(d.action, Action::DropSilently);
    assert!(drop_only.blocked_for(ip("198.51.100.7"), 2).is_none());
    let lines = events(engine);
    assert!(lines[0].contains("\"subject\":\"friendly-scanner\""));
    assert!(lines[0].contains("\"action\":\"block\",\"block_ms\":3600000"));
}

#[test]
fn extension_enumeration_and_options_sweeps_are_blocked() {
    let mut engine = engine_with("scanner.distinct_users = 5\nscanner.options_requests = 1000");
    let mut last = Decision::ALLOW;
    for (n, ext) in ["100", "101", "102", "103", "104"].iter().enumerate() {
        assert_eq!(last, Decision::ALLOW);
        last = decide(
            &mut engine,
            "203.0.113.50",
            &options(ext, "Linphone"),
            n as u64,
        );
    }
    assert_eq!(last.reason.rule, Rule::ExtensionEnumeration);
    assert_eq!((last.reason.observed, last.reason.limit), (5, 5));
    assert!(matches!(last.action, Action::Block { .. }));

    let mut engine = engine_with("scanner.options_requests = 3");
    let sweep: Vec<Decision> = (0..3)
        .map(|n| decide(&mut engine, "203.0.113.51", &options("100", "Linphone"), n))
        .collect();
    assert_eq!(sweep[1], Decision::ALLOW);
    assert_eq!(sweep[2].reason.rule, Rule::OptionsSweep);
}

#[test]
fn many_failure_responses_to_one_source_block_it() {
    let mut engine = engine_with("scanner.failure_responses = 3");
    let src = ip("203.0.113.60");
    assert_eq!(engine.on_response(src, 200, 1, WALL), Decision::ALLOW);
    assert_eq!(engine.on_response(src, 404, 2, WALL), Decision::ALLOW);
    assert_eq!(engine.on_response(src, 404, 3, WALL), Decision::ALLOW);
    let d = engine.on_response(src, 401, 4, WALL);
    assert_eq!(d.reason.rule, Rule::FailureResponses);
    assert!(matches!(d.action, Action::Block { .. }));
}

#[test]
fn request_flood_is_throttled_with_retry_after() {
    let mut engine =
        engine_with("flood.requests_per_second = 5\nflood.burst = 5\nflood.retry_after = 7s");
    let msg = options("100", "Yealink");
    let decisions: Vec<Decision> = (0..6)
        .map(|_| decide(&mut engine, "192.0.2.20", &msg, 1_000))
        .collect();
    assert!(
        decisions[..5].iter().all(|d| *d == Decision::ALLOW),
        "{decisions:?}"
    );
    assert_eq!(decisions[5].reason.rule, Rule::RequestFlood);
    assert_eq!(
        decisions[5].action,
        Action::Throttle {
            retry_after: Duration::from_secs(7)
        }
    );
    // Another source keeps its own budget; the flooder recovers with time.
    assert_eq!(
        decide(&mut engine, "192.0.2.21", &msg, 1_000),
        Decision::ALLOW
    );
    assert_eq!(
        decide(&mut engine, "192.0.2.20", &msg, 2_000),
        Decision::ALLOW
    );
}

#[test]
fn malformed_messages_are_dropped_then_the_source_blocked() {
    let mut engine =
        engine_with("flood.malformed = 3\nflood.malformed_window = 10s\nban.base = 30s");
    let src = "192.0.2.30";
    let bad: &[&[u8]] = &[
        b"INVITE sip:bob@x SIP/2.0\nVia: bare-lf\r\n\r\n",
        b"OPTIONS  sip:a@b SIP/2.0\r\n\r\n",
        b"\x00\x01\x02",
    ];
    for (n, datagram) in bad.iter().enumerate() {
        let seen = engine.on_datagram(ip(src), datagram, n as u64, WALL);
        assert!(seen.message.is_err());
        assert_eq!(seen.decision.action, Action::DropSilently);
        assert_eq!(seen.decision.reason.rule, Rule::MalformedFlood);
        assert_eq!(seen.decision.reason.observed, n as u64 + 1);
    }
    // The validator counts too (CSeq method differs from the request's).
    let invalid =
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n";
    assert!(Message::parse(invalid).is_ok());
    let d = decide(&mut engine, src, invalid, 4);
    assert_eq!(
        (d.reason.rule, d.action),
        (
            Rule::MalformedFlood,
            Action::Block {
                duration: Duration::from_secs(30)
            }
        )
    );
    let d = decide(&mut engine, src, &options("1", "x"), 5);
    assert_eq!(d.reason.rule, Rule::ActiveBlock);
    // Sanity failures (here Max-Forwards 0, RFC 3261 §16.3: 483) count too,
    // and say which status a UAS would answer.
    let mut engine2 = engine_with("flood.malformed = 5");
    let hops = String::from_utf8(options("100", "Yealink"))
        .unwrap()
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    let seen = engine2.on_datagram(ip(src), hops.as_bytes(), 1, WALL);
    match seen.message {
        Err(Unread::Sanity(rejection)) => assert_eq!(rejection.status, 483),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.decision.reason.rule, Rule::MalformedFlood);
    let twice = String::from_utf8(options("100", "Yealink"))
        .unwrap()
        .replace(
            "CSeq: 1 OPTIONS\r\n",
            "CSeq: 1 OPTIONS\r\nCSeq: 2 OPTIONS\r\n",
        );
    let seen = engine2.on_datagram(ip(src), twice.as_bytes(), 2, WALL);
    assert!(
        matches!(seen.message, Err(Unread::Sanity(_))),
        "{:?}",
        seen.message
    );
    assert!(matches!(
        engine2.on_datagram(ip(src), b"\r\n", 3, WALL).message,
        Err(Unread::Parse(_))
    ));
    // on_malformed (for callers running their own parser) counts the same way.
    let mut engine = engine_with("flood.malformed = 1");
    assert_eq!(
        engine.on_malformed(ip(src), 0, WALL).action,
        Action::DropSilently
    );
    assert!(matches!(
        engine.on_malformed(ip(src), 1, WALL).action,
        Action::Block { .. }
    ));
}

#[test]
fn acl_scoped_deny_rejects_and_default_deny_drops() {
    let text = "acl.default = deny\n\
                acl allow 192.0.2.0/24\n\
                acl allow 203.0.113.0/24 account trunk\n\
                acl deny 192.0.2.128/25 account admin\n";
    let mut engine = engine_with(text);
    let reg_admin = register("admin", None, "Yealink");
    let d = decide(&mut engine, "192.0.2.200", &reg_admin, 1);
    assert_eq!((d.action, d.reason.rule), (Action::Reject, Rule::Acl));
    let d = decide(&mut engine, "192.0.2.5", &reg_admin, 2);
    assert_eq!(
        d.action,
        Action::Challenge,
        "allowed range reaches the challenge"
    );
    let d = decide(
        &mut engine,
        "198.51.100.1",
        &register("alice", None, "x"),
        3,
    );
    assert_eq!((d.action, d.reason.rule), (Action::DropSilently, Rule::Acl));
    // The digest username is the account when credentials are present.
    let v = verifier();
    let auth = authorization(&v, "trunk", "x", "INVITE", "sip:1@guard.test");
    let d = decide(
        &mut engine,
        "203.0.113.9",
        &invite("someone", "1", None, Some(&auth)),
        4,
    );
    assert_eq!(d, Decision::ALLOW);
}

#[test]
fn password_guessing_is_banned_escalating_while_the_real_user_logs_in() {
    let mut engine = engine_with("bruteforce.source_failures = 4\nban.base = 10s\nban.max = 1h");
    let v = verifier();
    let guesser = ip("198.51.100.99");
    let uri = format!("sip:{REALM}");
    let mut decisions = Vec::new();
    for n in 0..4u64 {
        let auth = authorization(&v, "alice", &format!("guess{n}"), "REGISTER", &uri);
        let msg = register("alice", Some(&auth), "Zoiper");
        let seen = engine.on_datagram(guesser, &msg, n * 100, WALL);
        assert_eq!(seen.decision, Decision::ALLOW);
        let message = seen.message.unwrap();
        let result = engine.authenticate(guesser, &message, &v, n * 100, WALL);
        assert_eq!(result.verdict, Some(Verdict::WrongResponse));
        assert_eq!(result.user.as_deref(), Some("alice"));
        decisions.push(result.decision);
    }
    assert!(
        decisions[..3]
            .iter()
            .all(|d| d.action == Action::Challenge && d.reason.rule == Rule::AuthRequired)
    );
    assert_eq!(decisions[3].reason.rule, Rule::BruteForceSource);
    assert_eq!(
        decisions[3].action,
        Action::Block {
            duration: Duration::from_secs(10)
        }
    );
    assert_eq!(
        decide(
            &mut engine,
            "198.51.100.99",
            &register("alice", None, "x"),
            500
        )
        .reason
        .rule,
        Rule::ActiveBlock
    );

    // Alice on her own address is not affected.
    let auth = authorization(&v, "alice", "s3cret", "REGISTER", &uri);
    let msg = register("alice", Some(&auth), "Yealink");
    let seen = engine.on_datagram(ip("192.0.2.10"), &msg, 600, WALL);
    assert_eq!(seen.decision, Decision::ALLOW);
    let result = engine.authenticate(ip("192.0.2.10"), &seen.message.unwrap(), &v, 600, WALL);
    assert_eq!(result.account(), Some("alice"));

    // Back after the ban, one more failure earns a longer ban.
    let auth = authorization(&v, "alice", "guess9", "REGISTER", &uri);
    let msg = register("alice", Some(&auth), "Zoiper");
    let now = 10_500;
    let message = engine
        .on_datagram(guesser, &msg, now, WALL)
        .message
        .unwrap();
    let result = engine.authenticate(guesser, &message, &v, now, WALL);
    assert_eq!(
        result.decision.action,
        Action::Block {
            duration: Duration::from_secs(20)
        }
    );
}

#[test]
fn distributed_attack_on_one_user_is_throttled_not_blocked() {
    let mut engine = engine_with("bruteforce.user_failures = 3\nbruteforce.source_failures = 10");
    let mut last = Decision::ALLOW;
    for n in 1..=3u8 {
        last = engine.on_auth(
            IpAddr::from([198, 51, 100, n]),
            "bob",
            &Verdict::WrongResponse,
            1,
            WALL,
        );
    }
    assert_eq!(last.reason.rule, Rule::BruteForceUser);
    assert!(matches!(last.action, Action::Throttle { .. }));
    assert!(engine.blocked_for(ip("198.51.100.3"), 2).is_none());
}

#[test]
fn other_verdicts_challenge_reject_or_throttle() {
    let mut engine = engine();
    let src = ip("192.0.2.40");
    let d = engine.on_auth(src, "alice", &Verdict::StaleNonce, 1, WALL);
    assert_eq!(
        (d.action, d.reason.text),
        (Action::Challenge, "stale nonce")
    );
    let d = engine.on_auth(src, "alice", &Verdict::InvalidNonce, 1, WALL);
    assert_eq!(d.action, Action::Challenge);
    let d = engine.on_auth(src, "alice", &Verdict::ReplayedNonceCount, 1, WALL);
    assert_eq!(d.action, Action::Reject);
    let v = verifier();
    // No credentials at all: challenge, no verdict.
    let msg = register("alice", None, "x");
    let message = Message::parse(&msg).unwrap();
    let result = engine.authenticate(src, &message, &v, 1, WALL);
    assert_eq!(
        (result.verdict, result.decision.action),
        (None, Action::Challenge)
    );
    // Not digest.
    let basic = register("alice", Some("Basic YWxpY2U6czNjcmV0"), "x");
    let message = Message::parse(&basic).unwrap();
    let result = engine.authenticate(src, &message, &v, 1, WALL);
    assert_eq!(result.verdict, Some(Verdict::UnsupportedScheme));
    assert_eq!(result.decision.action, Action::Challenge);
    assert_eq!(result.account(), None);
}

#[test]
fn premium_destination_rejected_international_alerted_with_permit() {
    let mut engine = engine();
    let src = ip("192.0.2.10");
    let premium = engine.on_call_start(src, "alice", "+1 900 555 0100", 1, WALL);
    assert_eq!(premium.decision.action, Action::Reject);
    assert_eq!(premium.decision.reason.rule, Rule::FraudDestination);
    assert!(premium.permit.is_none());
    let abroad = engine.on_call_start(src, "alice", "011 44 20 7946 0018", 2, WALL);
    assert_eq!(abroad.decision.action, Action::Alert);
    assert!(abroad.permit.is_some());
    let local = engine.on_call_start(src, "alice", "2125550100", 3, WALL);
    assert_eq!(local.decision, Decision::ALLOW);
    let emergency = engine.on_call_start(src, "alice", "911", 4, WALL);
    assert_eq!(emergency.decision, Decision::ALLOW);
    let lines = events(engine);
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("\"subject\":\"+1 900 555 0100\""));
    assert!(lines[0].contains("\"reason\":\"premium-rate destination\""));
    assert!(lines[1].contains("\"action\":\"alert\""));
}

#[test]
fn concurrent_calls_per_account_are_capped_and_freed_on_drop() {
    let mut engine = engine_with("calls.max_concurrent = 2");
    let src = ip("192.0.2.10");
    let first = engine.on_call_start(src, "alice", "100", 1, WALL);
    let second = engine.on_call_start(src, "alice", "101", 2, WALL);
    assert!(first.permit.is_some() && second.permit.is_some());
    let third = engine.on_call_start(src, "alice", "102", 3, WALL);
    assert_eq!(third.decision.reason.rule, Rule::FraudConcurrentCalls);
    assert_eq!(third.decision.action, Action::Reject);
    assert_eq!(
        (third.decision.reason.observed, third.decision.reason.limit),
        (3, 2)
    );
    // Bob has his own slots.
    assert!(
        engine
            .on_call_start(src, "bob", "100", 4, WALL)
            .permit
            .is_some()
    );
    drop(first);
    assert!(
        engine
            .on_call_start(src, "alice", "103", 5, WALL)
            .permit
            .is_some()
    );
}

#[test]
fn new_call_rate_per_account_is_throttled() {
    let mut engine =
        engine_with("calls.rate = 3\ncalls.rate_window = 10s\ncalls.max_concurrent = 100");
    let src = ip("192.0.2.10");
    let admitted: Vec<_> = (0..3)
        .map(|n| engine.on_call_start(src, "alice", "100", n, WALL))
        .collect();
    assert!(admitted.iter().all(|a| a.permit.is_some()));
    let fourth = engine.on_call_start(src, "alice", "100", 10, WALL);
    assert_eq!(fourth.decision.reason.rule, Rule::FraudCallRate);
    assert!(
        matches!(fourth.decision.action, Action::Throttle { retry_after } if retry_after >= Duration::from_secs(1))
    );
    assert!(
        engine
            .on_call_start(src, "bob", "100", 10, WALL)
            .permit
            .is_some()
    );
    // The window slides: 20 s later alice may call again.
    assert!(
        engine
            .on_call_start(src, "alice", "100", 20_000, WALL)
            .permit
            .is_some()
    );
}

#[test]
fn probing_then_burst_is_alerted_then_refused() {
    let mut engine = engine_with("fraud.distinct_destinations = 3\nfraud.burst_calls = 2");
    let src = ip("192.0.2.10");
    let mut now = 0;
    let mut ended = Decision::ALLOW;
    for number in ["2125550101", "2125550102", "2125550103"] {
        assert!(
            engine
                .on_call_start(src, "mallory", number, now, WALL)
                .permit
                .is_some()
        );
        ended = engine.on_call_ended(
            src,
            "mallory",
            number,
            Duration::from_secs(2),
            now + 2_000,
            WALL,
        );
        now += 5_000;
    }
    assert_eq!(
        (ended.action, ended.reason.rule),
        (Action::Alert, Rule::FraudProbing)
    );
    let long_call = engine.on_call_ended(
        src,
        "mallory",
        "2125550104",
        Duration::from_secs(600),
        now,
        WALL,
    );
    assert_eq!(long_call, Decision::ALLOW);
    assert!(
        engine
            .on_call_start(src, "mallory", "2125550105", now + 1, WALL)
            .permit
            .is_some()
    );
    let burst = engine.on_call_start(src, "mallory", "2125550106", now + 2, WALL);
    assert_eq!(
        (burst.decision.action, burst.decision.reason.rule),
        (Action::Reject, Rule::FraudBurst)
    );
}

#[test]
fn repeated_drops_share_an_event_budget() {
    let mut engine =
        engine_with("events.noisy_per_second = 3\nflood.requests_per_second = 1\nflood.burst = 1");
    let msg = options("100", "Yealink");
    for _ in 0..50 {
        decide(&mut engine, "192.0.2.50", &msg, 1_000);
    }
    assert_eq!(engine.suppressed_events(), 49 - 3);
    let lines = events(engine);
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l.contains("\"rule\":\"flood.requests\""))
    );
}

#[test]
fn ipv6_sources_are_banned_per_prefix() {
    let mut engine = engine();
    let d = decide(
        &mut engine,
        "2001:db8:1:2::1",
        &options("1", "sipcli/v1.8"),
        1,
    );
    assert!(matches!(d.action, Action::Block { .. }));
    let d = decide(
        &mut engine,
        "2001:db8:1:2:ffff::9",
        &options("1", "Yealink"),
        2,
    );
    assert_eq!(d.reason.rule, Rule::ActiveBlock);
    assert_eq!(
        decide(&mut engine, "2001:db8:1:3::1", &options("1", "Yealink"), 3),
        Decision::ALLOW
    );
}

struct FailingSink;

impl EventSink for FailingSink {
    fn record(&mut self, _: &Event<'_>) -> Result<(), GuardError> {
        Err(GuardError::Sink(std::io::Error::other("disk full")))
    }
}

#[test]
fn sink_failures_are_counted_and_decisions_still_returned() {
    let mut engine = Engine::new(GuardConfig::default().into(), FailingSink).unwrap();
    let d = engine
        .on_datagram(
            ip("198.51.100.7"),
            &options("1", "friendly-scanner"),
            1,
            WALL,
        )
        .decision;
    assert_eq!(d.reason.rule, Rule::ScannerUserAgent);
    assert_eq!(engine.sink_errors(), 1);
}

#[test]
fn invalid_configuration_is_refused() {
    let mut config = EngineConfig::default();
    config.calls.max_concurrent = 0;
    assert!(Engine::new(config, JsonLinesSink::new(Vec::new())).is_err());
    let mut config = EngineConfig::default();
    config.guard.flood.requests_per_second = 0;
    assert!(Engine::new(config, JsonLinesSink::new(Vec::new())).is_err());
}

/// The allow path skips parsing credentials when no account an ACL rule
/// names occurs in them (or in the header the account falls back to); the
/// decisions must be those of always parsing.
#[test]
fn acl_account_shortcut_keeps_the_account_semantics() {
    let text = "acl deny 0.0.0.0/0 account admin\n";
    let digest = |user: &str| {
        format!(
            r#"Digest username="{user}", realm="{REALM}", nonce="n", uri="sip:{REALM}", response="0123456789abcdef0123456789abcdef""#
        )
    };
    let denied = (Action::Reject, Rule::Acl);
    let cases: Vec<(Vec<u8>, bool)> = vec![
        // The digest username is the account.
        (register("alice", Some(&digest("admin")), "x"), true),
        // An escaped username is the account it unescapes to: the verifier
        // authenticates `ad\min` as `admin`, so the ACL must see `admin`.
        (register("alice", Some(&digest(r"ad\min")), "x"), true),
        (register("admin", Some(&digest(r"al\ice")), "x"), false),
        // So is an RFC 8187 `username*` (RFC 7616 §3.4.4).
        (
            register(
                "alice",
                Some(&digest("x").replace(r#"username="x""#, "username*=UTF-8''ad%6Din")),
                "x",
            ),
            true,
        ),
        // Credentials name another user: the To user does not matter.
        (register("admin", Some(&digest("alice")), "x"), false),
        // Unparsable credentials: the account falls back to the To user.
        (register("admin", Some("Digest garbage"), "x"), true),
        // No credentials: REGISTER uses To, INVITE uses From.
        (register("admin", None, "x"), true),
        (register("alice", None, "x"), false),
        (invite("admin", "bob", None, None), true),
        (invite("alice", "admin", None, None), false),
        // "admin" only inside another value of the credentials.
        (
            invite(
                "alice",
                "bob",
                None,
                Some(&digest("alice").replace("\"n\"", "\"admin\"")),
            ),
            false,
        ),
    ];
    for (i, (msg, expect_denied)) in cases.iter().enumerate() {
        let mut engine = engine_with(text);
        let d = decide(&mut engine, "198.51.100.7", msg, 1);
        assert_eq!(
            (d.action, d.reason.rule) == denied,
            *expect_denied,
            "case {i}: {d:?}"
        );
    }
}
