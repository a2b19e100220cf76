//! Parse + verify one `Authorization` header, MD5 and SHA-256, against the
//! peer `rsip` (typed header parse + `DigestGenerator::verify`) in the same
//! criterion group.
//!
//! voipsec's figure includes everything a registrar does per request: the
//! zero-copy parse, realm/algorithm/qop/uri policy, the HMAC-SHA256 nonce
//! check, the credential-store lookup, the response hash and constant-time
//! compare, and the nonce-count store update. rsip only parses and
//! recomputes the response (no nonce or replay checks, allocating Strings
//! throughout), so the ratio flatters rsip.
//!
//! `voipsec_parse_verify` uses a store that keeps HA1 = H(user:realm:pass)
//! per algorithm, as production registrars do (RFC 2617 §3.2.2.2, RFC 7616
//! §3.4.2: the server need not know the password; Asterisk `md5_cred`,
//! Kamailio `ha1` columns): one hash fewer per request than
//! `voipsec_parse_verify_password_store`, whose store keeps clear-text
//! passwords.

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

const REQUEST: DigestRequest<'static> = DigestRequest {
    method: b"REGISTER",
    uri: b"sip:+441632960000@127.0.0.1:5070",
    body: b"",
    client: None,
};

/// A verifier of `algorithm` whose store knows alice by HA1 or by password.
fn verifier(
    algorithm: Algorithm,
    store_ha1: bool,
) -> Verifier<InMemoryCredentials, InMemoryNonceCounts> {
    let mut users = InMemoryCredentials::new();
    if store_ha1 {
        let ha1 = algorithm.ha1(b"alice", REALM.as_bytes(), b"s3cret");
        users.insert_ha1(b"alice", REALM.as_bytes(), algorithm, ha1);
    } else {
        users.insert_password(b"alice", REALM.as_bytes(), b"s3cret");
    }
    let mut config = DigestConfig::new(REALM);
    config.algorithms = vec![algorithm];
    Verifier::new(
        config,
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::default(),
    )
}

/// Times `verify` of headers with a fresh nc each (the same one again is a
/// replay): headers are built in the untimed setup.
fn bench_verify(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    algorithm: Algorithm,
    verifier: &Verifier<InMemoryCredentials, InMemoryNonceCounts>,
) {
    let nonce = verifier.issue_nonce(None, NOW);
    let nc = Cell::new(0u32);
    group.bench_function(name, |b| {
        b.iter_batched(
            || {
                nc.set(nc.get() + 1);
                header(algorithm, &nonce, nc.get())
            },
            |h| {
                let verdict = verifier.verify(black_box(h.as_bytes()), &REQUEST, NOW);
                assert!(verdict.is_authenticated(), "{verdict}");
                h
            },
            BatchSize::SmallInput,
        );
    });
}

fn bench_algorithm(c: &mut Criterion, algorithm: Algorithm, rsip_algorithm: &str) {
    let mut group = c.benchmark_group(format!("digest_verify_{rsip_algorithm}"));
    let by_ha1 = verifier(algorithm, true);
    bench_verify(&mut group, "voipsec_parse_verify", algorithm, &by_ha1);
    let by_password = verifier(algorithm, false);
    bench_verify(
        &mut group,
        "voipsec_parse_verify_password_store",
        algorithm,
        &by_password,
    );

    let fixed = header(algorithm, &by_ha1.issue_nonce(None, NOW), 1);
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
