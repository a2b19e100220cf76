//! Parse + verify one `Authorization` header, MD5 and SHA-256, against the
//! peer `rsip` (typed header parse + `DigestGenerator::verify`) in the same
//! criterion group.
//!
//! voipsec's figure includes everything a registrar does per request: the
//! zero-copy parse, realm/algorithm/qop/uri policy, the HMAC-SHA256 nonce
//! check, the credential-store lookup (password, so HA1 is computed), the
//! response hash and constant-time compare, and the nonce-count store
//! update. rsip only parses and recomputes the response (no nonce or replay
//! checks, allocating Strings throughout), so the ratio flatters rsip.

use std::cell::Cell;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rsip::headers::UntypedHeader;
use std::hint::black_box;
use voipsec::digest::{
    Algorithm, Credentials, DigestConfig, DigestRequest, InMemoryCredentials, InMemoryNonceCounts,
    NonceSecret, Verifier,
};

const REALM: &str = "sip.example.test";
const NOW: u64 = 1_700_000_000;

/// Client side (outside the timed region): the header for nonce and nc.
fn header(algorithm: Algorithm, nonce: &str, nc: u32) -> String {
    let draft = |response: &str| {
        format!(
            r#"Digest username="alice",realm="sip.example.test",cnonce="6b8b4567",nc={nc:08x},qop=auth,uri="sip:127.0.0.1:5070",nonce="{nonce}",response="{response}",algorithm={algorithm},opaque="op4que""#
        )
    };
    let placeholder = draft(&"0".repeat(algorithm.hex_len()));
    let creds = Credentials::parse_str(&placeholder).expect("parses");
    let ha1 = algorithm.ha1(b"alice", REALM.as_bytes(), b"s3cret");
    let response = creds
        .expected_response(&ha1, b"REGISTER", b"")
        .expect("response");
    draft(response.as_str())
}

fn bench_algorithm(c: &mut Criterion, algorithm: Algorithm, rsip_algorithm: &str) {
    let mut users = InMemoryCredentials::new();
    users.insert_password(b"alice", REALM.as_bytes(), b"s3cret");
    let mut config = DigestConfig::new(REALM);
    config.algorithms = vec![algorithm];
    let verifier = Verifier::new(
        config,
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::default(),
    );
    let nonce = verifier.issue_nonce(None, NOW);
    let request = DigestRequest {
        method: b"REGISTER",
        uri: b"sip:+441632960000@127.0.0.1:5070",
        body: b"",
        client: None,
    };

    let mut group = c.benchmark_group(format!("digest_verify_{rsip_algorithm}"));
    // Every verify needs a fresh nc (the same one again is a replay):
    // headers are built in the untimed setup.
    let nc = Cell::new(0u32);
    group.bench_function("voipsec_parse_verify", |b| {
        b.iter_batched(
            || {
                nc.set(nc.get() + 1);
                header(algorithm, &nonce, nc.get())
            },
            |h| {
                let verdict = verifier.verify(black_box(h.as_bytes()), &request, NOW);
                assert!(verdict.is_authenticated(), "{verdict}");
                h
            },
            BatchSize::SmallInput,
        );
    });

    let fixed = header(algorithm, &nonce, 1);
    group.bench_function("voipsec_parse_only", |b| {
        b.iter(|| Credentials::parse(black_box(fixed.as_bytes())).map(|c| c.response()))
    });

    // rsip spells the RFC 7616 token `SHA-256` as `SHA256` (its parser
    // refuses the standard spelling); give it the spelling it parses.
    let for_rsip = fixed.replace("algorithm=SHA-256", "algorithm=SHA256");
    let method = rsip::Method::Register;
    group.bench_function("rsip_parse_verify", |b| {
        b.iter(|| {
            let untyped = rsip::headers::Authorization::new(black_box(for_rsip.as_str()));
            let typed =
                rsip::headers::typed::Authorization::try_from(untyped).expect("rsip parses");
            let ok = rsip::services::DigestGenerator::from(&typed, "s3cret", &method)
                .verify(&typed.response);
            assert!(ok);
        })
    });
    group.finish();
}

fn digest(c: &mut Criterion) {
    bench_algorithm(c, Algorithm::Md5, "md5");
    bench_algorithm(c, Algorithm::Sha256, "sha256");
}

criterion_group!(benches, digest);
criterion_main!(benches);
