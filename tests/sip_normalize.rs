//! Normalizer properties: the output parses, carries the same fields, and
//! normalizing twice equals normalizing once — on the torture corpus and on
//! mutated messages.

use bytes::BytesMut;
use proptest::prelude::*;
use voipsec::sip::normalize::{Options, capacity_hint, normalize};
use voipsec::sip::{Contact, HeaderName, Message};

fn normalized(raw: &[u8], options: &Options) -> Option<Vec<u8>> {
    let msg = Message::parse(raw).ok()?;
    msg.validate().ok()?;
    let mut out = BytesMut::with_capacity(capacity_hint(&msg));
    normalize(&msg, options, &mut out);
    Some(out.to_vec())
}

/// What must survive normalization.
fn summary(raw: &[u8]) -> Vec<String> {
    let m = Message::parse(raw).expect("normalized output parses");
    m.validate().expect("normalized output validates");
    let mut s = vec![
        format!("{:?}", m.start_line()),
        format!("{:?}", m.call_id()),
        format!("{:?}", m.cseq().map(|c| (c.number, c.method))),
        format!("{:?}", m.from().map(|a| (a.uri().as_str(), a.tag()))),
        format!("{:?}", m.to().map(|a| (a.uri().as_str(), a.tag()))),
        format!("{:?}", m.max_forwards()),
        format!("{:?}", m.body()),
        format!("{:?}", m.content_type().map(|c| (c.media_type, c.subtype))),
    ];
    s.extend(m.vias().map(|v| {
        format!(
            "{:?}",
            v.map(|v| (v.transport(), v.host(), v.port(), v.branch()))
        )
    }));
    s.extend(m.contacts().map(|c| match c {
        Ok(Contact::Address(a)) => {
            let params: Vec<_> = a.params().iter().map(|p| (p.name, p.value)).collect();
            format!("{:?} {} {params:?}", a.display_name(), a.uri().as_str())
        }
        other => format!("{other:?}"),
    }));
    s.extend(
        m.routes()
            .chain(m.record_routes())
            .map(|r| format!("{:?}", r.map(|r| r.uri().as_str()))),
    );
    s
}

fn check(raw: &[u8]) {
    for options in [
        Options::default(),
        Options {
            one_value_per_line: true,
        },
    ] {
        let Some(once) = normalized(raw, &options) else {
            return;
        };
        assert_eq!(
            summary(raw),
            summary(&once),
            "fields changed:\n{}",
            String::from_utf8_lossy(&once)
        );
        let twice = normalized(&once, &options).expect("normalized output is valid");
        assert_eq!(once, twice, "not idempotent");
        let m = Message::parse(&once).unwrap();
        assert!(
            m.headers()
                .all(|h| !h.is_folded() && !h.space_before_colon() && !h.is_compact())
        );
        assert_eq!(m.headers_of(HeaderName::ContentLength).count(), 1);
    }
}

#[test]
fn torture_corpus_normalizes() {
    let dir = format!("{}/tests/data/sip-torture", env!("CARGO_MANIFEST_DIR"));
    let mut normalized_count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sip") {
            let raw = std::fs::read(&path).unwrap();
            check(&raw);
            normalized_count += normalized(&raw, &Options::default()).is_some() as usize;
        }
    }
    assert!(
        normalized_count >= 40,
        "only {normalized_count} torture messages normalized"
    );
}

#[test]
fn folding_compact_names_and_dblreq() {
    let raw = std::fs::read(format!(
        "{}/tests/data/sip-torture/wsinv.sip",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let out = normalized(
        &raw,
        &Options {
            one_value_per_line: true,
        },
    )
    .unwrap();
    let text = String::from_utf8_lossy(&out);
    // Folds become one space; other white space is kept (it is legal).
    assert!(
        text.contains("\r\nTo: sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nVia: SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nVia: SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8\r\nVia: SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239\r\n"), "{text}");
    assert!(text.contains("\r\nSubject:\r\n"));
    assert!(text.contains("\r\nNewFangledHeader: newfangled value continued newfangled value\r\n"));
    // Trailing datagram bytes are not part of the message: they vanish.
    let dbl = std::fs::read(format!(
        "{}/tests/data/sip-torture/dblreq.sip",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let out = normalized(&dbl, &Options::default()).unwrap();
    assert!(out.ends_with(b"Content-Length: 0\r\n\r\n"));
    assert!(!out.windows(6).any(|w| w == b"INVITE"));
}

const SEEDS: &[&[u8]] = &[
    include_bytes!("data/sip-torture/wsinv.sip"),
    include_bytes!("data/sip-torture/longreq.sip"),
    include_bytes!("data/sip-torture/mpart01.sip"),
    include_bytes!("data/sip/bench-invite.sip"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn mutated_messages_normalize_consistently(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b" \t,;:\"<>=\r\nav0".to_vec()), 0u8..3), 1..6),
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
        check(&raw);
    }
}
