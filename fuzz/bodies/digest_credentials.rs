//! Fuzz body for the digest credentials parser and verifier: any bytes as
//! an `Authorization` header value must parse or fail cleanly, every parsed
//! value must lie inside the input, and verification must never panic.

use std::sync::OnceLock;

use voipsec::digest::{
    Algorithm, Credentials, DigestConfig, DigestRequest, InMemoryCredentials, InMemoryNonceCounts,
    NonceSecret, ParamValue, Verifier,
};

type V = Verifier<InMemoryCredentials, InMemoryNonceCounts>;

fn verifier() -> &'static V {
    static VERIFIER: OnceLock<V> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let mut users = InMemoryCredentials::new();
        users.insert_password(b"alice", b"sip.example.test", b"s3cret");
        let mut config = DigestConfig::new("sip.example.test");
        config.algorithms = Algorithm::ALL.to_vec();
        config.qop.auth_int = true;
        config.qop.none = true;
        config.userhash = true;
        Verifier::new(
            config,
            NonceSecret::from_bytes([9; 32]),
            users,
            InMemoryNonceCounts::new(64),
        )
    })
}

fn check_value(input: &[u8], value: Option<ParamValue<'_>>) {
    let Some(v) = value else { return };
    let end = v.offset() + v.raw().len();
    assert!(end <= input.len(), "value outside the input");
    assert_eq!(input.get(v.offset()..end), Some(v.raw()));
    let mut buf = [0u8; 4096];
    let unescaped = v
        .unescape_into(&mut buf)
        .expect("fits: input is at most 4 KiB");
    assert_eq!(unescaped.len(), v.len());
    assert!(unescaped.len() <= v.raw().len());
    assert!(v.eq_bytes(unescaped));
}

pub fn run(data: &[u8]) {
    if let Ok(creds) = Credentials::parse(data) {
        for value in [
            creds.username(),
            creds.username_ext(),
            creds.realm(),
            creds.nonce(),
            creds.uri(),
            creds.response(),
            creds.algorithm(),
            creds.cnonce(),
            creds.opaque(),
            creds.qop(),
            creds.nc(),
        ] {
            check_value(data, value);
        }
        assert!(creds.realm().is_some() && creds.nonce().is_some() && creds.response().is_some());
        let _ = creds.nonce_count();
        let _ = creds.userhash();
        let ha1 = Algorithm::Md5.ha1(b"alice", b"sip.example.test", b"s3cret");
        let _ = creds.expected_response(&ha1, b"REGISTER", data);
    }
    let request = DigestRequest {
        method: b"REGISTER",
        uri: b"sip:127.0.0.1:5070",
        body: data,
        client: None,
    };
    let verdict = verifier().verify(data, &request, 1_700_000_000);
    // Nothing the fuzzer can produce carries a nonce we issued.
    assert!(!verdict.is_authenticated());
}
