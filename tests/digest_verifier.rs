//! The verifier end to end, with injected time: every Verdict reason, nonce
//! expiry to the second, secret rotation, replay, policy switches.

mod digest_support;

use std::net::IpAddr;

use digest_support::Client;
use voipsec::digest::{
    Algorithm, ChallengeKind, Credentials, DigestConfig, DigestError, DigestRequest,
    InMemoryCredentials, InMemoryNonceCounts, MAX_USERNAME_LEN, NcCheck, NonceCountStore,
    NonceSecret, NonceUse, UriCheck, Verdict, Verifier,
};

const REALM: &str = "sip.example.test";
const T0: u64 = 1_700_000_000;

fn users() -> InMemoryCredentials {
    let mut users = InMemoryCredentials::new();
    users.insert_password(b"alice", REALM.as_bytes(), b"s3cret");
    users.insert_password(b"al\"ice", REALM.as_bytes(), b"quoted");
    users.insert_password(
        "J\u{e4}s\u{f8}n Doe".as_bytes(),
        REALM.as_bytes(),
        b"Secret, or not?",
    );
    users
}

fn config(algorithms: &[Algorithm]) -> DigestConfig {
    let mut c = DigestConfig::new(REALM);
    c.algorithms = algorithms.to_vec();
    c
}

fn verifier(config: DigestConfig) -> Verifier<InMemoryCredentials, InMemoryNonceCounts> {
    Verifier::new(
        config,
        NonceSecret::from_bytes([42; 32]),
        users(),
        InMemoryNonceCounts::new(64),
    )
}

fn request<'a>(method: &'a str, uri: &'a str, body: &'a [u8]) -> DigestRequest<'a> {
    DigestRequest {
        method: method.as_bytes(),
        uri: uri.as_bytes(),
        body,
        client: None,
    }
}

fn alice(algorithm: Algorithm) -> Client {
    Client::new("alice", "s3cret", REALM, algorithm)
}

#[test]
fn every_algorithm_authenticates_and_nc_must_increase() {
    let v = verifier(config(&Algorithm::ALL));
    for algorithm in Algorithm::ALL {
        let nonce = v.issue_nonce(None, T0);
        let client = alice(algorithm);
        let req = request("REGISTER", "sip:example.com", b"");
        let first = client.authorization(&nonce, 1, "REGISTER", b"");
        assert_eq!(
            v.verify(first.as_bytes(), &req, T0),
            Verdict::Authenticated { algorithm }
        );
        assert_eq!(
            v.verify(first.as_bytes(), &req, T0),
            Verdict::ReplayedNonceCount
        );
        let third = client.authorization(&nonce, 3, "REGISTER", b"");
        assert!(v.verify(third.as_bytes(), &req, T0 + 1).is_authenticated());
        let second = client.authorization(&nonce, 2, "REGISTER", b"");
        assert_eq!(
            v.verify(second.as_bytes(), &req, T0 + 1),
            Verdict::ReplayedNonceCount
        );
    }
}

#[test]
fn nonce_expiry_is_exact_and_stale_only_for_right_passwords() {
    let mut c = config(&[Algorithm::Md5]);
    c.nonce_lifetime_secs = 300;
    let v = verifier(c);
    let nonce = v.issue_nonce(None, T0);
    let req = request("REGISTER", "sip:example.com", b"");
    let good = alice(Algorithm::Md5);
    let h = good.authorization(&nonce, 1, "REGISTER", b"");
    let v2 = verifier({
        let mut c = config(&[Algorithm::Md5]);
        c.nonce_lifetime_secs = 300;
        c
    });
    assert!(v.verify(h.as_bytes(), &req, T0 + 300).is_authenticated());
    // One second later the same (fresh-nc) request is stale: stale=true.
    let h2 = good.authorization(&nonce, 2, "REGISTER", b"");
    let verdict = v.verify(h2.as_bytes(), &req, T0 + 301);
    assert_eq!(verdict, Verdict::StaleNonce);
    assert!(verdict.stale());
    // A wrong password on an expired nonce must not earn stale=true.
    let mut bad = good.clone();
    bad.password = "guess".into();
    let hb = bad.authorization(&nonce, 3, "REGISTER", b"");
    assert_eq!(
        v2.verify(hb.as_bytes(), &req, T0 + 301),
        Verdict::WrongResponse
    );
    // Another node with the same secret verifies the nonce statelessly.
    let h3 = good.authorization(&nonce, 1, "REGISTER", b"");
    assert!(v2.verify(h3.as_bytes(), &req, T0 + 10).is_authenticated());
}

#[test]
fn secret_rotation_keeps_old_nonces_for_the_grace_period() {
    let v = verifier(config(&[Algorithm::Md5]));
    let old_nonce = v.issue_nonce(None, T0);
    v.rotate_secret(NonceSecret::from_bytes([7; 32]), T0 + 10, 60);
    let new_nonce = v.issue_nonce(None, T0 + 10);
    let req = request("REGISTER", "sip:example.com", b"");
    let c = alice(Algorithm::Md5);
    assert!(
        v.verify(
            c.authorization(&old_nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0 + 70
        )
        .is_authenticated()
    );
    assert_eq!(
        v.verify(
            c.authorization(&old_nonce, 2, "REGISTER", b"").as_bytes(),
            &req,
            T0 + 71
        ),
        Verdict::InvalidNonce
    );
    assert!(
        v.verify(
            c.authorization(&new_nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0 + 71
        )
        .is_authenticated()
    );
}

#[test]
fn forged_foreign_and_address_bound_nonces() {
    let mut c = config(&[Algorithm::Md5]);
    c.bind_client_address = true;
    let v = verifier(c);
    let other = Verifier::new(
        config(&[Algorithm::Md5]),
        NonceSecret::from_bytes([1; 32]),
        users(),
        InMemoryNonceCounts::new(4),
    );
    let client = alice(Algorithm::Md5);
    let a: IpAddr = "192.0.2.10".parse().unwrap();
    let b: IpAddr = "198.51.100.7".parse().unwrap();
    let mut req = request("REGISTER", "sip:example.com", b"");
    req.client = Some(a);
    for nonce in [
        "4a1f0c2b9d7e6f5a3c8b1e0d2f4a6c8e".to_owned(),
        other.issue_nonce(Some(a), T0),
        "A".repeat(30),
    ] {
        assert_eq!(
            v.verify(
                client.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
                &req,
                T0
            ),
            Verdict::InvalidNonce
        );
    }
    let nonce = v.issue_nonce(Some(a), T0);
    let h = client.authorization(&nonce, 1, "REGISTER", b"");
    req.client = Some(b);
    assert_eq!(v.verify(h.as_bytes(), &req, T0), Verdict::InvalidNonce);
    req.client = Some(a);
    assert!(v.verify(h.as_bytes(), &req, T0).is_authenticated());
}

#[test]
fn realm_user_password_and_algorithm_reasons() {
    let v = verifier(config(&[Algorithm::Md5]));
    let nonce = v.issue_nonce(None, T0);
    let req = request("REGISTER", "sip:example.com", b"");
    let mut c = alice(Algorithm::Md5);
    c.realm = "evil.test".into();
    assert_eq!(
        v.verify(
            c.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0
        ),
        Verdict::RealmMismatch
    );
    let mallory = Client::new("mallory", "x", REALM, Algorithm::Md5);
    let verdict = v.verify(
        mallory.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
        &req,
        T0,
    );
    assert_eq!(verdict, Verdict::UnknownUser);
    assert!(verdict.is_credential_failure());
    let mut wrong = alice(Algorithm::Md5);
    wrong.password = "S3cret".into();
    assert_eq!(
        v.verify(
            wrong.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0
        ),
        Verdict::WrongResponse
    );
    // The method is part of HA2: a REGISTER response does not authorize an INVITE.
    let h = alice(Algorithm::Md5).authorization(&nonce, 1, "REGISTER", b"");
    assert_eq!(
        v.verify(h.as_bytes(), &request("INVITE", "sip:example.com", b""), T0),
        Verdict::WrongResponse
    );
    assert_eq!(
        v.verify(
            alice(Algorithm::Sha256)
                .authorization(&nonce, 1, "REGISTER", b"")
                .as_bytes(),
            &req,
            T0
        ),
        Verdict::AlgorithmNotAllowed
    );
    let unknown = h.replace("algorithm=MD5", "algorithm=AKAv1-MD5");
    assert_eq!(
        v.verify(unknown.as_bytes(), &req, T0),
        Verdict::AlgorithmNotAllowed
    );
    // No algorithm parameter means MD5 (RFC 7616 §3.3).
    let mut implicit = alice(Algorithm::Md5);
    implicit.send_algorithm = false;
    assert!(
        v.verify(
            implicit
                .authorization(&nonce, 2, "REGISTER", b"")
                .as_bytes(),
            &req,
            T0
        )
        .is_authenticated()
    );
    // Upper-case hex in the response is accepted.
    let h = alice(Algorithm::Md5).authorization(&nonce, 3, "REGISTER", b"");
    let creds = Credentials::parse_str(&h).unwrap();
    let resp = std::str::from_utf8(creds.response().unwrap().raw())
        .unwrap()
        .to_owned();
    let upper = h.replace(&resp, &resp.to_ascii_uppercase());
    assert!(v.verify(upper.as_bytes(), &req, T0).is_authenticated());
}

#[test]
fn uri_checks_strict_host_only_off() {
    // sipp puts sip:host:port in uri while the INVITE goes to a user@host URI.
    let mut c = alice(Algorithm::Md5);
    c.uri = "sip:127.0.0.1:5070".into();
    let invite = request("INVITE", "sip:+441632960000@127.0.0.1:5070", b"");
    for (check, ok) in [
        (UriCheck::Strict, false),
        (UriCheck::HostOnly, true),
        (UriCheck::Off, true),
    ] {
        let mut cfg = config(&[Algorithm::Md5]);
        cfg.uri_check = check;
        let v = verifier(cfg);
        let nonce = v.issue_nonce(None, T0);
        let verdict = v.verify(
            c.authorization(&nonce, 1, "INVITE", b"").as_bytes(),
            &invite,
            T0,
        );
        assert_eq!(verdict.is_authenticated(), ok, "{check:?}");
        if !ok {
            assert_eq!(verdict, Verdict::UriMismatch);
        }
        let elsewhere = request("INVITE", "sip:+441632960000@203.0.113.9:5070", b"");
        let verdict = v.verify(
            c.authorization(&nonce, 2, "INVITE", b"").as_bytes(),
            &elsewhere,
            T0,
        );
        assert_eq!(
            verdict == Verdict::UriMismatch,
            check != UriCheck::Off,
            "{check:?}"
        );
    }
    let mut cfg = config(&[Algorithm::Md5]);
    cfg.uri_check = UriCheck::Strict;
    let v = verifier(cfg);
    let nonce = v.issue_nonce(None, T0);
    let same = request("REGISTER", "sip:127.0.0.1:5070", b"");
    assert!(
        v.verify(
            c.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &same,
            T0
        )
        .is_authenticated()
    );
}

#[test]
fn qop_policy_auth_int_and_rfc2069() {
    let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
    let mut cfg = config(&[Algorithm::Md5, Algorithm::Sha256]);
    let v = verifier(cfg.clone());
    let nonce = v.issue_nonce(None, T0);
    let req = request("INVITE", "sip:example.com", body);
    let mut int = alice(Algorithm::Sha256);
    int.qop = Some("auth-int");
    assert_eq!(
        v.verify(
            int.authorization(&nonce, 1, "INVITE", body).as_bytes(),
            &req,
            T0
        ),
        Verdict::QopNotAllowed
    );
    let mut none = alice(Algorithm::Md5);
    none.qop = None;
    assert_eq!(
        v.verify(
            none.authorization(&nonce, 1, "INVITE", body).as_bytes(),
            &req,
            T0
        ),
        Verdict::QopNotAllowed
    );

    cfg.qop.auth_int = true;
    cfg.qop.none = true;
    let v = verifier(cfg);
    let nonce = v.issue_nonce(None, T0);
    assert!(
        v.verify(
            int.authorization(&nonce, 1, "INVITE", body).as_bytes(),
            &req,
            T0
        )
        .is_authenticated()
    );
    // auth-int covers the body.
    let tampered = request("INVITE", "sip:example.com", b"v=0\r\n");
    assert_eq!(
        v.verify(
            int.authorization(&nonce, 2, "INVITE", body).as_bytes(),
            &tampered,
            T0
        ),
        Verdict::WrongResponse
    );
    // RFC 2069: no nc, so each nonce authenticates one request.
    let nonce = v.issue_nonce(None, T0);
    let h = none.authorization(&nonce, 1, "INVITE", body);
    assert!(v.verify(h.as_bytes(), &req, T0).is_authenticated());
    assert_eq!(
        v.verify(h.as_bytes(), &req, T0),
        Verdict::ReplayedNonceCount
    );
    // qop without nc/cnonce is malformed.
    let stripped = int
        .authorization(&nonce, 1, "INVITE", body)
        .replace("nc=00000001, ", "");
    assert_eq!(
        v.verify(stripped.as_bytes(), &req, T0),
        Verdict::Malformed(DigestError::MissingParam { name: "nc" })
    );
}

#[test]
fn one_time_nonces() {
    let mut cfg = config(&[Algorithm::Md5]);
    cfg.one_time_nonces = true;
    let v = verifier(cfg);
    let nonce = v.issue_nonce(None, T0);
    let req = request("REGISTER", "sip:example.com", b"");
    let c = alice(Algorithm::Md5);
    assert!(
        v.verify(
            c.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0
        )
        .is_authenticated()
    );
    assert_eq!(
        v.verify(
            c.authorization(&nonce, 2, "REGISTER", b"").as_bytes(),
            &req,
            T0
        ),
        Verdict::StaleNonce
    );
    assert_eq!(
        v.verify(
            c.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0
        ),
        Verdict::ReplayedNonceCount
    );
}

#[test]
fn userhash_username_star_and_escapes() {
    let mut cfg = config(&[Algorithm::Sha512_256, Algorithm::Md5]);
    let v = verifier(cfg.clone());
    let nonce = v.issue_nonce(None, T0);
    let req = request("REGISTER", "sip:example.com", b"");
    let mut jason = Client::new(
        "J\u{e4}s\u{f8}n Doe",
        "Secret, or not?",
        REALM,
        Algorithm::Sha512_256,
    );
    jason.userhash = true;
    assert_eq!(
        v.verify(
            jason.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0
        ),
        Verdict::UserhashNotAllowed
    );
    cfg.userhash = true;
    let v = verifier(cfg);
    let nonce = v.issue_nonce(None, T0);
    assert!(
        v.verify(
            jason.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0
        )
        .is_authenticated()
    );
    let mut challenges = String::new();
    v.write_challenges(
        ChallengeKind::WwwAuthenticate,
        None,
        T0,
        false,
        &mut challenges,
    );
    assert!(challenges.lines().all(|l| l.ends_with("userhash=true")));

    // username* (RFC 7616 §3.4.4, RFC 8187 encoding).
    jason.userhash = false;
    let plain = jason.authorization(&nonce, 2, "REGISTER", b"");
    let ext = plain.replace(
        "username=\"J\u{e4}s\u{f8}n Doe\"",
        "username*=UTF-8''J%C3%A4s%C3%B8n%20Doe",
    );
    assert_ne!(plain, ext);
    assert!(v.verify(ext.as_bytes(), &req, T0).is_authenticated());
    let bad_ext = plain.replace("username=\"J\u{e4}s\u{f8}n Doe\"", "username*=latin1''J%E4");
    assert!(matches!(
        v.verify(bad_ext.as_bytes(), &req, T0),
        Verdict::Malformed(DigestError::InvalidExtValue { .. })
    ));

    // A quoted-pair in the username: HA1 is over the unescaped name.
    let quoted = Client::new("al\"ice", "quoted", REALM, Algorithm::Md5);
    let nonce = v.issue_nonce(None, T0);
    let h = quoted.authorization(&nonce, 1, "REGISTER", b"");
    assert!(h.contains(r#"username="al\"ice""#));
    assert!(v.verify(h.as_bytes(), &req, T0).is_authenticated());
}

/// `MAX_USERNAME_LEN` bounds the claimed name however it is spelled:
/// plain, with quoted-pairs, or RFC 8187 `username*`; one byte more is
/// refused as malformed before any lookup or hashing.
#[test]
fn username_bound_applies_to_every_spelling() {
    let v = verifier(config(&[Algorithm::Md5]));
    let req = request("REGISTER", "sip:example.com", b"");
    let nonce = v.issue_nonce(None, T0);
    let header = |username: &str| {
        format!(
            r#"Digest username="{username}", realm="{REALM}", nonce="{nonce}", uri="sip:example.com", qop=auth, nc=00000001, cnonce="c", response="{}""#,
            "0".repeat(32)
        )
    };
    let at_bound = "a".repeat(MAX_USERNAME_LEN);
    let over = "a".repeat(MAX_USERNAME_LEN + 1);
    // `\\a` unescapes to two bytes.
    let escaped_over = r"\\a".repeat(MAX_USERNAME_LEN / 2 + 1);
    // At the bound: a well-formed request for an unknown user.
    assert_eq!(
        v.verify(header(&at_bound).as_bytes(), &req, T0),
        Verdict::UnknownUser
    );
    for name in [&over, &escaped_over] {
        let h = header(name);
        let creds = Credentials::parse_str(&h).unwrap();
        let mut buf = [0u8; MAX_USERNAME_LEN];
        assert!(matches!(
            creds.claimed_username(&mut buf),
            Err(DigestError::ValueTooLong { .. })
        ));
        assert!(matches!(
            v.verify(h.as_bytes(), &req, T0),
            Verdict::Malformed(DigestError::ValueTooLong { .. })
        ));
    }
    let ext_over = header("x").replace(
        r#"username="x""#,
        &format!("username*=UTF-8''{}", "%61".repeat(MAX_USERNAME_LEN + 1)),
    );
    assert!(matches!(
        v.verify(ext_over.as_bytes(), &req, T0),
        Verdict::Malformed(DigestError::ValueTooLong { .. })
    ));
}

#[test]
fn stored_ha1_per_algorithm() {
    let mut users = InMemoryCredentials::new();
    let ha1 = Algorithm::Sha256.ha1(b"carol", REALM.as_bytes(), b"pw");
    users.insert_ha1(b"carol", REALM.as_bytes(), Algorithm::Sha256, ha1);
    let v = Verifier::new(
        config(&[Algorithm::Sha256, Algorithm::Sha256Sess, Algorithm::Md5]),
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::new(8),
    );
    let req = request("REGISTER", "sip:example.com", b"");
    for (alg, ok) in [
        (Algorithm::Sha256, true),
        (Algorithm::Sha256Sess, true),
        (Algorithm::Md5, false),
    ] {
        let c = Client::new("carol", "pw", REALM, alg);
        let nonce = v.issue_nonce(None, T0);
        let verdict = v.verify(
            c.authorization(&nonce, 1, "REGISTER", b"").as_bytes(),
            &req,
            T0,
        );
        assert_eq!(verdict.is_authenticated(), ok, "{alg}");
    }
}

struct DownStore;
impl NonceCountStore for DownStore {
    fn check_and_record(&self, _: &NonceUse) -> Result<NcCheck, DigestError> {
        Err(DigestError::Store { reason: "down" })
    }
}

#[test]
fn stores_behind_arc_and_box_dyn() {
    use std::sync::Arc;
    use voipsec::digest::CredentialStore;
    let shared: Arc<dyn CredentialStore> = Arc::new(users());
    let counts: Box<dyn NonceCountStore> = Box::new(InMemoryNonceCounts::new(8));
    let v = Verifier::new(
        config(&[Algorithm::Md5]),
        NonceSecret::generate(),
        Arc::clone(&shared),
        counts,
    );
    let nonce = v.issue_nonce(None, T0);
    let h = alice(Algorithm::Md5).authorization(&nonce, 1, "REGISTER", b"");
    let req = request("REGISTER", "sip:example.com", b"");
    assert!(v.verify(h.as_bytes(), &req, T0).is_authenticated());
    assert_eq!(
        v.verify(h.as_bytes(), &req, T0),
        Verdict::ReplayedNonceCount
    );
}

#[test]
fn store_failure_fails_closed() {
    let v = Verifier::new(
        config(&[Algorithm::Md5]),
        NonceSecret::generate(),
        users(),
        DownStore,
    );
    let nonce = v.issue_nonce(None, T0);
    let h = alice(Algorithm::Md5).authorization(&nonce, 1, "REGISTER", b"");
    let verdict = v.verify(
        h.as_bytes(),
        &request("REGISTER", "sip:example.com", b""),
        T0,
    );
    assert_eq!(
        verdict,
        Verdict::StoreUnavailable(DigestError::Store { reason: "down" })
    );
    assert!(!verdict.is_authenticated());
}

#[test]
fn duplicates_and_garbage_are_malformed() {
    let v = verifier(config(&[Algorithm::Md5]));
    let nonce = v.issue_nonce(None, T0);
    let req = request("REGISTER", "sip:example.com", b"");
    let h = alice(Algorithm::Md5).authorization(&nonce, 1, "REGISTER", b"");
    let dup = format!("{h}, response=\"00000000000000000000000000000000\"");
    assert!(matches!(
        v.verify(dup.as_bytes(), &req, T0),
        Verdict::Malformed(DigestError::DuplicateParam {
            name: "response",
            ..
        })
    ));
    let dup_case = format!("{h}, REALM=\"{REALM}\"");
    assert!(matches!(
        v.verify(dup_case.as_bytes(), &req, T0),
        Verdict::Malformed(DigestError::DuplicateParam { name: "realm", .. })
    ));
    let bad_nc = h.replace("nc=00000001", "nc=1");
    assert!(matches!(
        v.verify(bad_nc.as_bytes(), &req, T0),
        Verdict::Malformed(DigestError::InvalidValue { name: "nc", .. })
    ));
    // Unknown parameters are ignored.
    let extra = format!("{h}, x-vendor=\"whatever\", auts=abc");
    assert!(v.verify(extra.as_bytes(), &req, T0).is_authenticated());
}

#[test]
fn challenges_sha256_first_then_md5_and_their_nonce_verifies() {
    let v = verifier(DigestConfig::new(REALM));
    let mut out = String::new();
    v.write_challenges(ChallengeKind::ProxyAuthenticate, None, T0, true, &mut out);
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("Proxy-Authenticate: Digest realm=\"sip.example.test\", nonce=\"")
    );
    assert!(lines[0].contains("algorithm=SHA-256, qop=\"auth\", stale=true"));
    assert!(lines[1].contains("algorithm=MD5, qop=\"auth\", stale=true"));
    let nonce = lines[1]
        .split("nonce=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(lines[0].contains(nonce), "one nonce for every algorithm");
    let h = alice(Algorithm::Md5).authorization(nonce, 1, "INVITE", b"");
    assert!(
        v.verify(
            h.as_bytes(),
            &request("INVITE", "sip:example.com", b""),
            T0 + 1
        )
        .is_authenticated()
    );
    assert_eq!(ChallengeKind::ProxyAuthenticate.status_code(), 407);
    assert_eq!(
        ChallengeKind::WwwAuthenticate.credentials_header_name(),
        "Authorization"
    );
}

#[test]
fn debug_output_never_contains_secrets() {
    let v = verifier(config(&[Algorithm::Md5]));
    let dbg = format!(
        "{v:?} {:?} {:?}",
        NonceSecret::from_bytes([0xAB; 32]),
        Algorithm::Md5.ha1(b"a", b"b", b"c")
    );
    assert!(
        !dbg.contains("s3cret") && !dbg.contains("171") && !dbg.to_lowercase().contains("abab")
    );
    assert!(dbg.contains("redacted"));
}
