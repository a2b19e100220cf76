//! The normalizer: exact canonical output, the RFC 4475 / 5118 corpus
//! (every message that parses normalizes to an equivalent, idempotent
//! canonical form; the `invalid-may-tolerate` ones are rejected or lose
//! their defect), and generated messages (proptest).

#[path = "../fuzz/bodies/sip_normalize.rs"]
mod body;

use std::path::PathBuf;

use bytes::BytesMut;
use proptest::prelude::*;
use voipsec::sip::{HeaderName, Limits, Message, NormalizeConfig, SipError, normalize};

const SPLIT: NormalizeConfig = NormalizeConfig {
    one_value_per_line: true,
};

fn normalized(raw: &[u8], config: NormalizeConfig) -> Vec<u8> {
    let msg = Message::parse(raw).expect("parses");
    let mut out = BytesMut::new();
    let n = normalize(&msg, &config, &mut out).expect("normalizes");
    assert_eq!(n, out.len());
    out.to_vec()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn canonical_form_of_a_messy_request() {
    let raw = b"OPTIONS sip:a@example.com sip/2.0\r\n\
v : SIP/2.0/UDP h1;branch=z9hG4bK1 ,SIP/2.0/TCP h2\r\n  ;branch=z9hG4bK2   \r\n\
i:x@y\r\n\
sUBJECT:\r\n\
X-Odd  :  folded\r\n\tvalue \r\n\
cseq:\t7 OPTIONS\r\n\
l: 4\r\n\r\nbodyTRAILING";
    assert_eq!(
        text(&normalized(raw, NormalizeConfig::default())),
        "OPTIONS sip:a@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h1;branch=z9hG4bK1 ,SIP/2.0/TCP h2 ;branch=z9hG4bK2\r\n\
Call-ID: x@y\r\n\
Subject:\r\n\
X-Odd: folded value\r\n\
CSeq: 7 OPTIONS\r\n\
Content-Length: 4\r\n\r\nbody"
    );
    assert_eq!(
        text(&normalized(raw, SPLIT)),
        "OPTIONS sip:a@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n\
Via: SIP/2.0/TCP h2 ;branch=z9hG4bK2\r\n\
Call-ID: x@y\r\n\
Subject:\r\n\
X-Odd: folded value\r\n\
CSeq: 7 OPTIONS\r\n\
Content-Length: 4\r\n\r\nbody"
    );
}

#[test]
fn content_length_is_recomputed_or_added_and_responses_are_rebuilt() {
    let raw = b"sip/2.0 180 \r\nt: <sip:a@b>;tag=1\r\nc: text/plain\r\n\r\nhello";
    assert_eq!(
        text(&normalized(raw, NormalizeConfig::default())),
        "SIP/2.0 180 \r\nTo: <sip:a@b>;tag=1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    );
    let dup = b"SIP/2.0 200 OK\r\nl: 2\r\nContent-Length:  2 \r\n\r\nok";
    assert_eq!(
        text(&normalized(dup, NormalizeConfig::default())),
        "SIP/2.0 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"
    );
}

#[test]
fn list_fields_with_empty_elements_stay_joined() {
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nAllow: INVITE,,ACK\r\nRoute: <sip:p1;lr>,\r\n <sip:p2;lr>\r\n\r\n";
    assert_eq!(
        text(&normalized(raw, SPLIT)),
        "OPTIONS sip:a@b SIP/2.0\r\nAllow: INVITE,,ACK\r\nRoute: <sip:p1;lr>\r\nRoute: <sip:p2;lr>\r\nContent-Length: 0\r\n\r\n"
    );
}

#[test]
fn output_stays_within_the_input_limits() {
    // Unfolding joins lines: the joined line may not exceed the limit the
    // receiver parses with; the normalizer refuses instead.
    let limits = Limits {
        max_line_length: 40,
        ..Limits::DEFAULT
    };
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nSubject: aaaaaaaaaaaaaaaaaaaa\r\n bbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n";
    let msg = Message::parse_with(raw, &limits).unwrap();
    let mut out = BytesMut::from(&b"keep"[..]);
    let err = normalize(&msg, &NormalizeConfig::default(), &mut out).unwrap_err();
    assert!(matches!(
        err,
        voipsec::sip::EditError::Sip(SipError::LineTooLong { limit: 40, .. })
    ));
    assert_eq!(&out[..], b"keep", "nothing written on error");
    // Splitting lists may not exceed max_headers either.
    let limits = Limits {
        max_headers: 3,
        ..Limits::DEFAULT
    };
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nAllow: A, B, C\r\nContent-Length: 0\r\n\r\n";
    let msg = Message::parse_with(raw, &limits).unwrap();
    assert!(normalize(&msg, &SPLIT, &mut BytesMut::new()).is_err());
    assert!(normalize(&msg, &NormalizeConfig::default(), &mut BytesMut::new()).is_ok());
}

fn torture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sip-torture")
        .join(format!("{name}.sip"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every corpus message that parses normalizes to an equivalent,
/// idempotent canonical form (the fuzz body's checks); the valid ones
/// must all get there.
#[test]
fn torture_corpus_normalizes() {
    let manifest = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sip-torture/MANIFEST.tsv"),
    )
    .unwrap();
    let mut normalized_count = 0;
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (name, verdict) = (cols.next().unwrap(), cols.nth(1).unwrap());
        let raw = torture(name);
        for config in [NormalizeConfig::default(), SPLIT] {
            let done = body::check(&raw, config);
            if verdict == "valid" {
                assert!(done, "{name}: a valid message must normalize");
            }
            normalized_count += usize::from(done);
        }
        body::run(&raw);
    }
    assert!(normalized_count > 60, "{normalized_count}");
}

#[test]
fn wsinv_canonical_lines() {
    let out = text(&normalized(&torture("wsinv"), NormalizeConfig::default()));
    assert!(out.starts_with("INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"));
    for line in [
        "To: sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
        "From: \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8",
        "Max-Forwards: 0068",
        "Content-Length: 150",
        "CSeq: 0009 INVITE",
        "Via: SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw",
        "Subject:",
        "Via: SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239",
    ] {
        assert!(out.contains(&format!("\r\n{line}\r\n")), "{line}\n{out}");
    }
    assert!(out.contains("\r\nNewFangledHeader: newfangled value continued newfangled value\r\n"));
    assert!(out.contains("\r\nContact: \"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33\r\n"), "{out}");
    assert!(!out.contains("\r\nv:") && !out.contains("\r\nm:") && !out.contains("\r\ns:"));
}

/// RFC 4475 §3.1.2 `invalid-may-tolerate`: either the parser (or
/// validate) rejects the message, or its canonical form no longer carries
/// the defect.
#[test]
fn tolerated_defects_are_rejected_or_removed() {
    let rejected = |name: &str| match Message::parse(&torture(name)) {
        Err(_) => true,
        Ok(m) => m.validate().is_err(),
    };
    // quotbal (§3.1.2.6), ltgtruri (§3.1.2.7: the brackets are never
    // forwarded), lwsstart (§3.1.2.9), trws (§3.1.2.10), regbadct (§3.1.2.13).
    for name in ["quotbal", "ltgtruri", "lwsstart", "trws", "regbadct"] {
        assert!(rejected(name), "{name}");
    }
    // escruri (§3.1.2.11): the escaped headers are dropped from the Request-URI.
    let raw = torture("escruri");
    let original = Message::parse(&raw).unwrap();
    assert_eq!(
        original.request_uri().unwrap().headers(),
        Some("Route=%3Csip:example.com%3E")
    );
    for config in [NormalizeConfig::default(), SPLIT] {
        let out = normalized(&raw, config);
        let msg = Message::parse(&out).unwrap();
        let ruri = msg.request_uri().unwrap();
        assert_eq!(ruri.as_str(), "sip:user@example.com");
        assert_eq!(ruri.headers(), None);
        msg.validate().unwrap();
        assert!(!text(&out).contains("Route=%3C"));
    }
    // baddate (§3.1.2.12): a Date that is not RFC 1123 GMT is dropped, a good one kept.
    let out = normalized(&torture("baddate"), NormalizeConfig::default());
    assert!(
        Message::parse(&out)
            .unwrap()
            .header(HeaderName::Date)
            .is_none()
    );
    let good = b"OPTIONS sip:a@b SIP/2.0\r\nDate: Sat, 13 Nov 2010 23:29:00 GMT\r\n\r\n";
    let out = normalized(good, NormalizeConfig::default());
    assert_eq!(
        Message::parse(&out)
            .unwrap()
            .header(HeaderName::Date)
            .unwrap()
            .value(),
        b"Sat, 13 Nov 2010 23:29:00 GMT"
    );
}

/// Header names in every spelling the parser accepts.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v".to_string()),
        Just("VIA".to_string()),
        Just("i".to_string()),
        Just("call-id".to_string()),
        Just("m".to_string()),
        Just("Contact".to_string()),
        Just("Route".to_string()),
        Just("Allow".to_string()),
        Just("s".to_string()),
        Just("Subject".to_string()),
        Just("cseq".to_string()),
        Just("X-Custom".to_string()),
        Just("p-asserted-identity".to_string()),
        "[A-Za-z][A-Za-z0-9-]{0,12}",
    ]
}

/// A value: words, commas, quoted strings, folds and odd white space.
fn value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9.;=@:<>_-]{1,12}",
        Just(",".to_string()),
        Just(" , ".to_string()),
        Just("\"a, b\"".to_string()),
        Just("\r\n ".to_string()),
        Just(" \t\r\n\t ".to_string()),
        Just("  ".to_string()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    let start = prop_oneof![
        Just("INVITE sip:bob@example.com SIP/2.0".to_string()),
        Just("OPTIONS sips:[2001:db8::1]:5061;transport=tls SIP/2.0".to_string()),
        Just("MESSAGE tel:+1-555-0100?subject=x sip/2.0".to_string()),
        Just("SIP/2.0 200 OK".to_string()),
        Just("SIP/2.0 100 ".to_string()),
    ];
    let header = (name(), " {0,2}", "[ \t]{0,3}", value(), "[ \t]{0,2}");
    (
        start,
        prop::collection::vec(header, 0..12),
        prop::collection::vec(any::<u8>(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(start, headers, body, with_length)| {
            let mut m = format!("{start}\r\n").into_bytes();
            for (name, before, after, value, trailing) in headers {
                m.extend_from_slice(
                    format!("{name}{before}:{after}{value}{trailing}\r\n").as_bytes(),
                );
            }
            if with_length {
                m.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
            }
            m.extend_from_slice(b"\r\n");
            m.extend_from_slice(&body);
            m
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The output parses, has the input's fields, and is a fixed point.
    #[test]
    fn normalize_preserves_fields_and_is_idempotent(raw in message(), split in any::<bool>()) {
        let parsed = Message::parse(&raw).is_ok();
        let done = body::check(&raw, NormalizeConfig { one_value_per_line: split });
        prop_assert_eq!(done, parsed);
    }

    /// Whatever the bytes, normalizing never panics and upholds the same
    /// properties when the input parses.
    #[test]
    fn arbitrary_bytes(raw in prop::collection::vec(any::<u8>(), 0..300)) {
        body::run(&raw);
    }
}
