//! The Redis nonce-count store (feature `redis`): two verifier nodes with
//! the same nonce secret share replay state. Needs `VOIPSEC_REDIS_URL`
//! (scripts/test-all starts a server); FAILS when it is unset or unreachable.
#![cfg(feature = "redis")]

mod digest_support;

use std::time::Duration;

use digest_support::Client;
use voipsec::digest::{
    Algorithm, DigestConfig, DigestRequest, InMemoryCredentials, NONCE_TAG_LEN, NcCheck,
    NonceCountStore, NonceSecret, NonceUse, RedisNonceCounts, Verdict, Verifier,
};

fn redis_url() -> String {
    std::env::var("VOIPSEC_REDIS_URL")
        .expect("VOIPSEC_REDIS_URL must point at a running redis-server for --features redis")
}

/// A key prefix unique to this run so parallel runs do not collide.
fn prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("voipsec-test:{test}:{}:{nanos}:", std::process::id())
}

fn store(prefix: &str) -> RedisNonceCounts {
    RedisNonceCounts::connect(&redis_url(), prefix, Duration::from_secs(2))
        .expect("redis reachable at VOIPSEC_REDIS_URL")
}

#[test]
fn check_and_record_semantics() {
    let p = prefix("semantics");
    let s = store(&p);
    let mut u = NonceUse {
        tag: [3; NONCE_TAG_LEN],
        nc: 1,
        issued_at: 0,
        expires_at: 60,
        now: 1,
        one_time: false,
    };
    assert_eq!(s.check_and_record(&u).unwrap(), NcCheck::Fresh);
    assert_eq!(s.check_and_record(&u).unwrap(), NcCheck::Replayed);
    u.nc = 5;
    assert_eq!(s.check_and_record(&u).unwrap(), NcCheck::Fresh);
    u.nc = 4;
    assert_eq!(s.check_and_record(&u).unwrap(), NcCheck::Replayed);
    let mut once = NonceUse {
        tag: [4; NONCE_TAG_LEN],
        one_time: true,
        ..u
    };
    once.nc = 1;
    assert_eq!(s.check_and_record(&once).unwrap(), NcCheck::Fresh);
    once.nc = 2;
    assert_eq!(s.check_and_record(&once).unwrap(), NcCheck::Exhausted);
}

#[test]
fn two_nodes_share_replay_state() {
    let realm = "sip.example.test";
    let secret = [5u8; 32];
    let p = prefix("nodes");
    let node = |_: u8| {
        let mut users = InMemoryCredentials::new();
        users.insert_password(b"alice", realm.as_bytes(), b"s3cret");
        let mut config = DigestConfig::new(realm);
        config.algorithms = vec![Algorithm::Md5];
        Verifier::new(config, NonceSecret::from_bytes(secret), users, store(&p))
    };
    let (a, b) = (node(1), node(2));
    let now = voipsec::digest::unix_now();
    let nonce = a.issue_nonce(None, now);
    let client = Client::new("alice", "s3cret", realm, Algorithm::Md5);
    let header = client.authorization(&nonce, 1, "REGISTER", b"");
    let req = DigestRequest {
        method: b"REGISTER",
        uri: b"sip:example.com",
        body: b"",
        client: None,
    };
    assert!(a.verify(header.as_bytes(), &req, now).is_authenticated());
    assert_eq!(
        b.verify(header.as_bytes(), &req, now),
        Verdict::ReplayedNonceCount
    );
    let next = client.authorization(&nonce, 2, "REGISTER", b"");
    assert!(b.verify(next.as_bytes(), &req, now).is_authenticated());
}

#[test]
fn unreachable_redis_is_an_error_not_a_pass() {
    let err = RedisNonceCounts::connect("redis://127.0.0.1:1/", "x:", Duration::from_millis(200));
    assert!(err.is_err());
}
