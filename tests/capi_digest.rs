//! The digest and rate-limit C entry points: a full challenge/response
//! exchange with the caller's password or HA1, every refusal reason the
//! caller can cause, concurrent verifications, NULLs and `_free(NULL)`.
#![cfg(feature = "capi")]

use std::ptr;
use voipsec::digest::Algorithm;
use voipsec::ffi::voipsec_status::*;
use voipsec::ffi::*;

const REALM: &str = "sip.example.test";
const URI: &str = "sip:sip.example.test";

struct V(*mut voipsec_digest_verifier);
// The verifier is documented thread-safe; the tests share it across threads.
unsafe impl Send for V {}
unsafe impl Sync for V {}
impl Drop for V {
    fn drop(&mut self) {
        voipsec_digest_verifier_free(self.0);
    }
}

fn verifier(algorithms: voipsec_digest_algorithms) -> V {
    let secret = [7u8; 32];
    let mut out = ptr::null_mut();
    let st = voipsec_digest_verifier_new(
        REALM.as_ptr(),
        REALM.len(),
        secret.as_ptr(),
        secret.len(),
        algorithms,
        &mut out,
    );
    assert_eq!(st, VOIPSEC_OK);
    V(out)
}

fn challenge(v: &V) -> String {
    let mut buf = [0u8; 1024];
    let mut n = 0;
    let st = voipsec_digest_challenge(
        v.0,
        VOIPSEC_DIGEST_WWW_AUTHENTICATE,
        false,
        buf.as_mut_ptr(),
        buf.len(),
        &mut n,
    );
    assert_eq!(st, VOIPSEC_OK);
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn nonce_of(challenge: &str) -> String {
    let start = challenge.find("nonce=\"").unwrap() + 7;
    let end = start + challenge[start..].find('"').unwrap();
    challenge[start..end].to_string()
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a phone sends (RFC 2617 §3.2.2, qop=auth, MD5).
fn authorization(user: &str, password: &str, nonce: &str, nc: u32) -> String {
    use md5::{Digest, Md5};
    let ha1 = Algorithm::Md5.ha1(user.as_bytes(), REALM.as_bytes(), password.as_bytes());
    let ha2 = hex(&Md5::digest(format!("REGISTER:{URI}").as_bytes()));
    let response = hex(&Md5::digest(
        format!("{}:{nonce}:{nc:08x}:0a4f113b:auth:{ha2}", ha1.as_str()).as_bytes(),
    ));
    format!(
        r#"Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="{URI}", response="{response}", qop=auth, nc={nc:08x}, cnonce="0a4f113b", algorithm=MD5"#
    )
}

fn verify(
    v: &V,
    header: &str,
    user: &str,
    kind: voipsec_digest_secret_kind,
    secret: &[u8],
) -> (voipsec_status, voipsec_digest_reason) {
    let mut reason = 999;
    let st = voipsec_digest_verify(
        v.0,
        header.as_ptr(),
        header.len(),
        b"REGISTER".as_ptr(),
        8,
        URI.as_ptr(),
        URI.len(),
        user.as_ptr(),
        user.len(),
        kind,
        secret.as_ptr(),
        secret.len(),
        &mut reason,
    );
    (st, reason)
}

#[test]
fn a_phone_registers_with_password_then_ha1_and_replays_are_refused() {
    let v = verifier(VOIPSEC_DIGEST_MD5);
    let offer = challenge(&v);
    assert!(
        offer.starts_with("WWW-Authenticate: Digest realm=\"sip.example.test\""),
        "{offer}"
    );
    assert!(offer.contains("algorithm=MD5") && offer.ends_with("\r\n"));
    let nonce = nonce_of(&offer);

    let header = authorization("alice", "s3cret", &nonce, 1);
    let mut name = [0u8; 64];
    let mut n = 0;
    assert_eq!(
        voipsec_digest_username(
            header.as_ptr(),
            header.len(),
            name.as_mut_ptr(),
            name.len(),
            &mut n
        ),
        VOIPSEC_OK
    );
    assert_eq!(&name[..n], b"alice");

    let pw = VOIPSEC_DIGEST_SECRET_PASSWORD;
    assert_eq!(
        verify(&v, &header, "alice", pw, b"s3cret"),
        (VOIPSEC_OK, VOIPSEC_DIGEST_REASON_AUTHENTICATED)
    );
    assert_eq!(
        verify(&v, &header, "alice", pw, b"s3cret"),
        (
            VOIPSEC_ERR_AUTH_FAILED,
            VOIPSEC_DIGEST_REASON_REPLAYED_NONCE_COUNT
        )
    );
    let next = authorization("alice", "s3cret", &nonce, 2);
    let ha1 = Algorithm::Md5.ha1(b"alice", REALM.as_bytes(), b"s3cret");
    assert_eq!(
        verify(
            &v,
            &next,
            "alice",
            VOIPSEC_DIGEST_SECRET_HA1,
            ha1.as_str().to_uppercase().as_bytes()
        ),
        (VOIPSEC_OK, VOIPSEC_DIGEST_REASON_AUTHENTICATED)
    );
}

#[test]
fn refusals_carry_their_reason() {
    let v = verifier(0);
    let nonce = nonce_of(&challenge(&v));
    let pw = VOIPSEC_DIGEST_SECRET_PASSWORD;
    let guess = authorization("alice", "guess", &nonce, 1);
    assert_eq!(
        verify(&v, &guess, "alice", pw, b"s3cret"),
        (
            VOIPSEC_ERR_AUTH_FAILED,
            VOIPSEC_DIGEST_REASON_WRONG_RESPONSE
        )
    );
    let header = authorization("mallory", "s3cret", &nonce, 1);
    assert_eq!(
        verify(&v, &header, "alice", pw, b"s3cret"),
        (VOIPSEC_ERR_AUTH_FAILED, VOIPSEC_DIGEST_REASON_UNKNOWN_USER)
    );
    let forged = authorization("alice", "s3cret", "bm90IG91ciBub25jZQ", 1);
    assert_eq!(
        verify(&v, &forged, "alice", pw, b"s3cret"),
        (VOIPSEC_ERR_AUTH_FAILED, VOIPSEC_DIGEST_REASON_INVALID_NONCE)
    );
    assert_eq!(
        verify(&v, "Basic YWxpY2U6cw==", "alice", pw, b"s3cret"),
        (
            VOIPSEC_ERR_AUTH_FAILED,
            VOIPSEC_DIGEST_REASON_UNSUPPORTED_SCHEME
        )
    );
    assert_eq!(
        verify(&v, "Digest username=", "alice", pw, b"s3cret"),
        (VOIPSEC_ERR_AUTH_FAILED, VOIPSEC_DIGEST_REASON_MALFORMED)
    );
    // Bad secrets are argument errors, not verdicts.
    assert_eq!(
        verify(&v, &guess, "alice", VOIPSEC_DIGEST_SECRET_HA1, b"xyz").0,
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        verify(&v, &guess, "alice", 0, b"s3cret").0,
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        verify(&v, &guess, &"u".repeat(300), pw, b"s3cret").0,
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    // Labels.
    // SAFETY: voipsec_digest_reason_str returns a static NUL-terminated string.
    let label = unsafe {
        std::ffi::CStr::from_ptr(voipsec_digest_reason_str(VOIPSEC_DIGEST_REASON_STALE_NONCE))
    };
    assert_eq!(label, c"stale_nonce");
    // SAFETY: as above.
    let label = unsafe { std::ffi::CStr::from_ptr(voipsec_digest_reason_str(12345)) };
    assert_eq!(label, c"unknown");
}

#[test]
fn concurrent_verifications_each_use_their_own_callers_secret() {
    let v = verifier(VOIPSEC_DIGEST_MD5);
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let v = &v;
            s.spawn(move || {
                // Nonce-counts are per nonce: each phone has its own.
                let nonce = &nonce_of(&challenge(v));
                let user = format!("user{t}");
                let password = format!("pw{t}");
                for i in 1..=50 {
                    let header = authorization(&user, &password, nonce, i);
                    let (st, _) = verify(
                        v,
                        &header,
                        &user,
                        VOIPSEC_DIGEST_SECRET_PASSWORD,
                        password.as_bytes(),
                    );
                    assert_eq!(st, VOIPSEC_OK, "{user} nc {i}");
                    let other = format!("pw{}", t + 1);
                    let bad = authorization(&user, &password, nonce, i + 1000);
                    let (st, reason) = verify(
                        v,
                        &bad,
                        &user,
                        VOIPSEC_DIGEST_SECRET_PASSWORD,
                        other.as_bytes(),
                    );
                    assert_eq!(
                        (st, reason),
                        (
                            VOIPSEC_ERR_AUTH_FAILED,
                            VOIPSEC_DIGEST_REASON_WRONG_RESPONSE
                        )
                    );
                }
            });
        }
    });
}

#[test]
fn digest_arguments_are_checked() {
    let mut out = ptr::null_mut();
    let secret = [1u8; 32];
    let new = |realm: &[u8], secret: &[u8], algs, out: *mut *mut voipsec_digest_verifier| {
        voipsec_digest_verifier_new(
            realm.as_ptr(),
            realm.len(),
            secret.as_ptr(),
            secret.len(),
            algs,
            out,
        )
    };
    assert_eq!(
        new(b"r", &secret, 0, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(new(b"", &secret, 0, &mut out), VOIPSEC_ERR_INVALID_ARGUMENT);
    assert_eq!(
        new(b"r", &secret[..31], 0, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        new(b"r", &secret, 8, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        new(b"\xff", &secret, 0, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert!(out.is_null());
    // A random per-process secret.
    assert_eq!(
        voipsec_digest_verifier_new(b"r".as_ptr(), 1, ptr::null(), 0, 0, &mut out),
        VOIPSEC_OK
    );
    let v = V(out);

    let mut buf = [0u8; 16];
    let mut n = 0;
    assert_eq!(
        voipsec_digest_challenge(v.0, 1, false, buf.as_mut_ptr(), buf.len(), &mut n),
        VOIPSEC_ERR_BUFFER_TOO_SMALL
    );
    assert!(n > 16);
    let mut big = vec![0u8; n + 64]; // Proxy-… and stale=true are longer
    assert_eq!(
        voipsec_digest_challenge(v.0, 2, true, big.as_mut_ptr(), big.len(), &mut n),
        VOIPSEC_OK
    );
    let text = String::from_utf8(big[..n].to_vec()).unwrap();
    assert!(
        text.starts_with("Proxy-Authenticate: Digest") && text.contains("stale=true"),
        "{text}"
    );
    assert!(text.contains("SHA-256") && text.contains("MD5"));
    assert_eq!(
        voipsec_digest_challenge(v.0, 3, false, big.as_mut_ptr(), big.len(), &mut n),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        voipsec_digest_challenge(ptr::null(), 1, false, big.as_mut_ptr(), big.len(), &mut n),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_digest_challenge(v.0, 1, false, big.as_mut_ptr(), big.len(), ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );

    let h = br#"Digest username="bob\"by", realm="r", nonce="n", uri="sip:r", response="00000000000000000000000000000000""#;
    assert_eq!(
        voipsec_digest_username(h.as_ptr(), h.len(), buf.as_mut_ptr(), 3, &mut n),
        VOIPSEC_ERR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 6);
    assert_eq!(
        voipsec_digest_username(h.as_ptr(), h.len(), buf.as_mut_ptr(), buf.len(), &mut n),
        VOIPSEC_OK
    );
    assert_eq!(&buf[..n], b"bob\"by");
    let h = br#"Digest username*=UTF-8''b%C3%B6b, realm="r", nonce="n", uri="sip:r", response="00000000000000000000000000000000""#;
    // `username*` is decoded: the name the verifier authenticates.
    assert_eq!(
        voipsec_digest_username(h.as_ptr(), h.len(), buf.as_mut_ptr(), buf.len(), &mut n),
        VOIPSEC_OK
    );
    assert_eq!(&buf[..n], "böb".as_bytes());
    // Credentials without any username do not parse.
    let h =
        br#"Digest realm="r", nonce="n", uri="sip:r", response="00000000000000000000000000000000""#;
    assert_eq!(
        voipsec_digest_username(h.as_ptr(), h.len(), buf.as_mut_ptr(), buf.len(), &mut n),
        VOIPSEC_ERR_PARSE
    );
    assert_eq!(
        voipsec_digest_username(b"x=".as_ptr(), 2, buf.as_mut_ptr(), buf.len(), &mut n),
        VOIPSEC_ERR_PARSE
    );
    let (st, _) = verify(&V(ptr::null_mut()), "Digest", "a", 1, b"p");
    assert_eq!(st, VOIPSEC_ERR_NULL_POINTER);
    voipsec_digest_verifier_free(ptr::null_mut());
}

#[test]
fn rate_limits_per_byte_key_and_per_address() {
    let mut out = ptr::null_mut();
    assert_eq!(voipsec_ratelimit_new(2, 60_000, 1000, &mut out), VOIPSEC_OK);
    let l = out;
    let mut d = voipsec_ratelimit_decision::default();
    for expected in [true, true, false] {
        assert_eq!(
            voipsec_ratelimit_check(l, b"alice".as_ptr(), 5, &mut d),
            VOIPSEC_OK
        );
        assert_eq!(d.allowed, expected);
    }
    assert!(d.retry_after_ms > 0 && d.retry_after_ms <= 60_000);
    assert_eq!(
        voipsec_ratelimit_check(l, b"bob".as_ptr(), 3, &mut d),
        VOIPSEC_OK
    );
    assert!(d.allowed && d.remaining == 1 && d.retry_after_ms == 0);
    // The empty key is a key.
    assert_eq!(
        voipsec_ratelimit_check(l, ptr::null(), 0, &mut d),
        VOIPSEC_OK
    );
    assert!(d.allowed);

    let v4 = [192u8, 0, 2, 1];
    for expected in [true, true, false] {
        assert_eq!(
            voipsec_ratelimit_check_ip(l, v4.as_ptr(), 4, &mut d),
            VOIPSEC_OK
        );
        assert_eq!(d.allowed, expected);
    }
    // IPv6 is limited per /64: two addresses of one /64 share a quota.
    let mut a = [0x20u8, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    assert_eq!(
        voipsec_ratelimit_check_ip(l, a.as_ptr(), 16, &mut d),
        VOIPSEC_OK
    );
    a[15] = 2;
    assert_eq!(
        voipsec_ratelimit_check_ip(l, a.as_ptr(), 16, &mut d),
        VOIPSEC_OK
    );
    assert!(d.allowed);
    a[15] = 3;
    assert_eq!(
        voipsec_ratelimit_check_ip(l, a.as_ptr(), 16, &mut d),
        VOIPSEC_OK
    );
    assert!(!d.allowed);

    assert_eq!(
        voipsec_ratelimit_check_ip(l, v4.as_ptr(), 5, &mut d),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        voipsec_ratelimit_check_ip(l, ptr::null(), 4, &mut d),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_ratelimit_check(l, b"k".as_ptr(), 1, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_ratelimit_check(ptr::null(), b"k".as_ptr(), 1, &mut d),
        VOIPSEC_ERR_NULL_POINTER
    );
    voipsec_ratelimit_free(l);
    voipsec_ratelimit_free(ptr::null_mut());

    assert_eq!(
        voipsec_ratelimit_new(0, 1000, 10, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        voipsec_ratelimit_new(1, 0, 10, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        voipsec_ratelimit_new(1, 1000, 0, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        voipsec_ratelimit_new(1, 1000, 10, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
}
