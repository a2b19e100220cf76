//! The hot path allocates nothing: parsing credentials and verifying them
//! (MD5 and SHA-256, nonce check, nc store, credential lookup) are counted
//! by a global allocator that tallies every allocation in this binary.

mod digest_support;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

use digest_support::Client;
use voipsec::digest::{
    Algorithm, Credentials, DigestConfig, DigestRequest, InMemoryCredentials, InMemoryNonceCounts,
    NonceSecret, Verdict, Verifier,
};

#[test]
fn parse_and_verify_allocate_nothing() {
    let realm = "sip.example.test";
    let mut users = InMemoryCredentials::new();
    users.insert_password(b"alice", realm.as_bytes(), b"s3cret");
    let mut config = DigestConfig::new(realm);
    config.algorithms = vec![Algorithm::Sha256, Algorithm::Md5, Algorithm::Sha512_256Sess];
    config.qop.auth_int = true;
    let v = Verifier::new(
        config,
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::new(256),
    );
    let req = DigestRequest {
        method: b"REGISTER",
        uri: b"sip:example.com",
        body: b"",
        client: None,
    };

    // Prepare every header first: building them allocates.
    let mut headers = Vec::new();
    for alg in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256Sess] {
        let nonce = v.issue_nonce(None, 1_000);
        let client = Client::new("alice", "s3cret", realm, alg);
        for nc in 1..=20 {
            headers.push((alg, client.authorization(&nonce, nc, "REGISTER", b"")));
        }
    }
    let mut wrong = Client::new("alice", "guess", realm, Algorithm::Md5);
    wrong.qop = Some("auth-int");
    let wrong = wrong.authorization(&v.issue_nonce(None, 1_000), 1, "REGISTER", b"");

    let (allocations, authenticated) = allocations_during(|| {
        let mut authenticated = 0;
        for (alg, header) in &headers {
            let creds = Credentials::parse(header.as_bytes()).expect("parses");
            assert!(creds.username().is_some());
            assert_eq!(
                v.verify(header.as_bytes(), &req, 1_001),
                Verdict::Authenticated { algorithm: *alg }
            );
            authenticated += 1;
        }
        assert_eq!(
            v.verify(wrong.as_bytes(), &req, 1_001),
            Verdict::WrongResponse
        );
        authenticated
    });
    assert_eq!(authenticated, 60);
    assert_eq!(allocations, 0, "allocations on the verify path");
}
