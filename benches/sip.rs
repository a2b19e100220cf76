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

fn parse(c: &mut Criterion) {
    assert_eq!(
        voipsec_work(INVITE),
        rsip_work(INVITE),
        "both parsers read the same fields"
    );
    assert_eq!(voipsec_work(REGISTER), rsip_work(REGISTER));
    assert_eq!(voipsec_typed_work(INVITE), rsip_work(INVITE));
    let mut group = c.benchmark_group("sip_parse");
    for (name, msg) in [("invite", INVITE), ("register", REGISTER)] {
        group.throughput(Throughput::Bytes(msg.len() as u64));
        group.bench_function(format!("voipsec/{name}"), |b| {
            b.iter(|| voipsec_work(black_box(msg)))
        });
        group.bench_function(format!("rsip/{name}"), |b| {
            b.iter(|| rsip_work(black_box(msg)))
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
