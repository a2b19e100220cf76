//! SIP parsing: voipsec vs rsip on the same messages in the same group.
//!
//! Work per message: parse, then read the top Via branch, the From tag,
//! Call-ID, CSeq (number and method), Content-Length and the Request-URI
//! user — what a proxy or guard reads on every packet.
//!
//! `cargo bench --bench sip -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsip::prelude::*;

const INVITE: &[u8] = include_bytes!("../tests/data/sip/bench-invite.sip");
const REGISTER: &[u8] = include_bytes!("../tests/data/sip/bench-register.sip");

/// The fields both parsers must produce, reduced to a checksum so that
/// nothing can be optimised away. The hot-field accessors check the grammar
/// of each value they return (not of the rest of its header).
fn voipsec_work(raw: &[u8]) -> usize {
    let msg = voipsec::sip::Message::parse(raw).expect("parse");
    let branch = msg.top_via_branch().expect("via").expect("branch");
    let from_tag = msg.from_tag().expect("from").expect("tag");
    let call_id = msg.call_id().expect("call-id");
    let cseq = msg.cseq().expect("cseq");
    let length = msg.content_length().expect("content-length");
    let user = msg.request_uri_user().expect("ruri").unwrap_or_default();
    branch.len()
        + from_tag.len()
        + call_id.len()
        + cseq.number as usize
        + cseq.method.as_str().len()
        + length
        + user.len()
}

/// The same fields through the typed accessors, which check the whole
/// grammar of Via, From and the Request-URI.
fn voipsec_typed_work(raw: &[u8]) -> usize {
    let msg = voipsec::sip::Message::parse(raw).expect("parse");
    let branch = msg.top_via().expect("via").branch().expect("branch");
    let from_tag = msg.from().expect("from").tag().expect("tag");
    let call_id = msg.call_id().expect("call-id");
    let cseq = msg.cseq().expect("cseq");
    let length = msg.content_length().expect("content-length");
    let ruri = msg.request_uri().expect("ruri");
    let user = ruri.user().unwrap_or_default();
    branch.len()
        + from_tag.len()
        + call_id.len()
        + cseq.number as usize
        + cseq.method.as_str().len()
        + length
        + user.len()
}

fn rsip_work(raw: &[u8]) -> usize {
    let req = rsip::Request::try_from(raw).expect("parse");
    let via = req.via_header().expect("via").typed().expect("typed via");
    let branch = via.branch().expect("branch").to_string();
    let from_tag = req
        .from_header()
        .expect("from")
        .tag()
        .expect("tag")
        .expect("tag")
        .to_string();
    let call_id = req.call_id_header().expect("call-id").value().to_string();
    let cseq = req
        .cseq_header()
        .expect("cseq")
        .typed()
        .expect("typed cseq");
    let length = req
        .headers()
        .iter()
        .find_map(|h| {
            if let rsip::Header::ContentLength(c) = h {
                Some(c)
            } else {
                None
            }
        })
        .expect("content-length")
        .length()
        .expect("length");
    let user = req.uri.user().unwrap_or_default().to_string();
    branch.len()
        + from_tag.len()
        + call_id.len()
        + cseq.seq as usize
        + cseq.method.to_string().len()
        + length as usize
        + user.len()
}

/// The floor issue 2 measures against: index the lines with memchr, with
/// folding and Content-Length, and nothing else — no request-line, name or
/// value syntax, no compact forms, no typed reads. Returns the header count
/// plus the body length (which it checks against Content-Length), or `None`
/// where a real parser would reject. Measured in the same group as the
/// parser, so "within about 3x of the floor" is a ratio from one run.
/// `spans` is the index, reused across calls (no allocation, no clearing).
fn line_index_floor(raw: &[u8], spans: &mut Vec<(u32, u32)>) -> Option<usize> {
    spans.clear();
    let mut content_length = None;
    // One memchr iterator over the message (one setup, not one per line),
    // stopped at the blank line; the request line is not indexed.
    let mut ends = memchr::memchr_iter(b'\n', raw);
    let mut pos = ends.next()? + 1;
    let body_start = loop {
        let end = ends.next()?;
        let line = &raw[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(&first) = line.first() else {
            break end + 1;
        };
        if first == b' ' || first == b'\t' {
            // A continuation line extends the header before it.
            spans.last_mut()?.1 = (pos + line.len()) as u32;
        } else {
            spans.push((pos as u32, (pos + line.len()) as u32));
            // Content-Length (or its compact form `l`) picked by its first
            // byte, so other names cost one compare.
            let name_len = match first | 0x20 {
                b'c' if line.len() > 14 && line[..14].eq_ignore_ascii_case(b"content-length") => 14,
                b'l' => 1,
                _ => 0,
            };
            if name_len > 0 {
                let value = line[name_len..].trim_ascii_start();
                if let Some(value) = value.strip_prefix(b":") {
                    let mut n = 0usize;
                    for &d in value.trim_ascii() {
                        if !d.is_ascii_digit() {
                            return None;
                        }
                        n = n.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
                    }
                    content_length = Some(n);
                }
            }
        }
        pos = end + 1;
    };
    let body = raw.len() - body_start;
    (content_length? == body).then_some(spans.len() + body)
}

fn parse(c: &mut Criterion) {
    assert_eq!(
        voipsec_work(INVITE),
        rsip_work(INVITE),
        "both parsers read the same fields"
    );
    assert_eq!(voipsec_work(REGISTER), rsip_work(REGISTER));
    assert_eq!(voipsec_typed_work(INVITE), rsip_work(INVITE));
    for msg in [INVITE, REGISTER] {
        let parsed = voipsec::sip::Message::parse(msg).expect("parse");
        assert_eq!(
            line_index_floor(msg, &mut Vec::new()),
            Some(parsed.header_count() + parsed.body().len()),
            "the floor indexes the same headers and body as the parser"
        );
    }
    let mut group = c.benchmark_group("sip_parse");
    for (name, msg) in [("invite", INVITE), ("register", REGISTER)] {
        group.throughput(Throughput::Bytes(msg.len() as u64));
        group.bench_function(format!("voipsec/{name}"), |b| {
            b.iter(|| voipsec_work(black_box(msg)))
        });
        group.bench_function(format!("rsip/{name}"), |b| {
            b.iter(|| rsip_work(black_box(msg)))
        });
        let mut spans = Vec::with_capacity(64);
        group.bench_function(format!("floor/{name}"), |b| {
            b.iter(|| line_index_floor(black_box(msg), &mut spans))
        });
    }
    group.bench_function("voipsec/invite-typed", |b| {
        b.iter(|| voipsec_typed_work(black_box(INVITE)))
    });
    group.bench_function("voipsec/invite-validate", |b| {
        b.iter(|| {
            let msg = voipsec::sip::Message::parse(black_box(INVITE)).expect("parse");
            msg.validate().expect("valid");
            msg.header_count()
        })
    });
    group.bench_function("voipsec/invite-parse-only", |b| {
        b.iter(|| {
            voipsec::sip::Message::parse(black_box(INVITE))
                .expect("parse")
                .header_count()
        })
    });
    // Issue 3: sanity + normalize of the same INVITE, against its parse.
    let sanity = voipsec::sip::sanity::Sanity::default();
    let mut out = bytes::BytesMut::with_capacity(4096);
    group.bench_function("voipsec/invite-sanity-normalize", |b| {
        b.iter(|| {
            let msg = voipsec::sip::Message::parse(black_box(INVITE)).expect("parse");
            sanity.check(&msg).expect("sane");
            out.clear();
            voipsec::sip::normalize(&msg, &Default::default(), &mut out).expect("normalize")
        })
    });
    group.finish();
}

criterion_group!(benches, parse);

/// Normalizing the benchmark INVITE (issue 3: sanity + normalize of a
/// message at most 2x its parse), with the parse it is compared with
/// measured in the same group:
/// `cargo bench --bench sip -- sip_normalize --warm-up-time 1 --measurement-time 3`
fn normalize(c: &mut Criterion) {
    use voipsec::sip::{Message, NormalizeConfig, normalize};
    let mut group = c.benchmark_group("sip_normalize");
    group.throughput(Throughput::Bytes(INVITE.len() as u64));
    let config = NormalizeConfig::default();
    let mut out = bytes::BytesMut::with_capacity(4096);
    group.bench_function("parse/invite", |b| {
        b.iter(|| {
            Message::parse(black_box(INVITE))
                .expect("parse")
                .header_count()
        })
    });
    let msg = Message::parse(INVITE).expect("parse");
    group.bench_function("normalize/invite", |b| {
        b.iter(|| {
            out.clear();
            normalize(black_box(&msg), &config, &mut out).expect("normalize")
        })
    });
    group.bench_function("parse+normalize/invite", |b| {
        b.iter(|| {
            out.clear();
            let msg = Message::parse(black_box(INVITE)).expect("parse");
            normalize(&msg, &config, &mut out).expect("normalize")
        })
    });
    group.finish();
}

criterion_group!(normalize_benches, normalize);
criterion_main!(benches, normalize_benches);
