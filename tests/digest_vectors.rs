//! Published and captured digest vectors (tests/data/digest/digest-vectors.md,
//! copied from the shared test data): RFC 2617 §3.5, RFC 7616 §3.9.1 and
//! §3.9.2 (corrected), derived -sess / auth-int / no-qop cases, and the
//! responses sipp 3.6.1 sent on loopback.

use voipsec::digest::{
    Algorithm, Credentials, DigestConfig, DigestError, DigestRequest, HexDigest,
    InMemoryCredentials, InMemoryNonceCounts, NonceSecret, Verdict, Verifier,
};

const VECTORS_MD: &str = include_str!("data/digest/digest-vectors.md");

/// Checks one vector: parses `header`, derives HA1 from the password with
/// the header's algorithm and compares the expected response both as
/// computed and as carried in the header.
fn check(
    header: &str,
    (user, realm, password): (&str, &str, &str),
    method: &str,
    body: &[u8],
    ha1: &str,
    response: &str,
) {
    // Every value asserted here must appear in the vectors file, so the two
    // cannot drift apart.
    assert!(
        VECTORS_MD.contains(response),
        "{response} not in digest-vectors.md"
    );
    let creds = Credentials::parse_str(header).expect("vector parses");
    let algorithm = creds
        .algorithm()
        .map_or(Some(Algorithm::Md5), |a| Algorithm::from_token(a.raw()))
        .expect("known algorithm");
    let base = algorithm.ha1(user.as_bytes(), realm.as_bytes(), password.as_bytes());
    if !algorithm.is_session() {
        assert_eq!(base.as_str(), ha1, "HA1");
    }
    let expected = creds
        .expected_response(&base, method.as_bytes(), body)
        .unwrap();
    assert_eq!(expected.as_str(), response);
    assert!(creds.response().unwrap().eq_bytes(response.as_bytes()));
    assert!(expected.ct_eq(creds.response().unwrap().raw()));
}

#[test]
fn rfc2617_section_3_5() {
    check(
        r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        ("Mufasa", "testrealm@host.com", "Circle Of Life"),
        "GET",
        b"",
        "939e7578ed9e3c518a452acee763bce9",
        "6629fae49393a05397450978507c4ef1",
    );
}

const RFC7616_COMMON: &str = r#"username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

fn rfc7616(algorithm: &str, qop: Option<&str>, response: &str) -> String {
    let qop = qop.map_or(String::new(), |q| format!(", qop={q}"));
    format!("Digest {RFC7616_COMMON}, algorithm={algorithm}{qop}, response=\"{response}\"")
}

#[test]
fn rfc7616_section_3_9_1_md5_and_sha256() {
    for (alg, ha1, response) in [
        (
            "MD5",
            "3d78807defe7de2157e2b0b6573a855f",
            "8ca523f5e9506fed4657c9700eebdbec",
        ),
        (
            "SHA-256",
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        check(
            &rfc7616(alg, Some("auth"), response),
            ("Mufasa", "http-auth@example.org", "Circle of Life"),
            "GET",
            b"",
            ha1,
            response,
        );
    }
}

#[test]
fn derived_sess_auth_int_no_qop_and_sha512_256() {
    let cases = [
        (
            "SHA-512-256",
            Some("auth"),
            "fb174f5c3c7802721517cae13b98e2b8dae2e0118cb705d94ee29946319204ce",
            "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0",
        ),
        (
            "MD5-sess",
            Some("auth"),
            "2b3d906f52651c3136e1502b3d6f38ee",
            "e783283f46242139c486a698fec7211d",
        ),
        (
            "SHA-256-sess",
            Some("auth"),
            "bca21f4c7d7e8bf70d96361085370c7d219947abc1b8cd628f710917b89bed5b",
            "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7",
        ),
        (
            "MD5",
            None,
            "3d78807defe7de2157e2b0b6573a855f",
            "7b2cc3b30e75b4777ea31027084363fd",
        ),
        (
            "SHA-256",
            Some("auth-int"),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
            "8bdf6f15638e260831e905028de5450562816d093c9bfc5c13d3a46adcdde940",
        ),
    ];
    for (alg, qop, ha1, response) in cases {
        check(
            &rfc7616(alg, qop, response),
            ("Mufasa", "http-auth@example.org", "Circle of Life"),
            "GET",
            b"",
            ha1,
            response,
        );
    }
    // The -sess HA1 column is H(HA1 ":" nonce ":" cnonce): check it directly.
    for (alg, session_ha1) in [
        (Algorithm::Md5Sess, "2b3d906f52651c3136e1502b3d6f38ee"),
        (
            Algorithm::Sha256Sess,
            "bca21f4c7d7e8bf70d96361085370c7d219947abc1b8cd628f710917b89bed5b",
        ),
    ] {
        let base = alg.ha1(b"Mufasa", b"http-auth@example.org", b"Circle of Life");
        let input = format!(
            "{}:7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            base.as_str()
        );
        // userhash(a, b) = H(a ":" b); split the input at its first colon.
        let (a, b) = input.split_once(':').unwrap();
        assert_eq!(
            alg.userhash(a.as_bytes(), b.as_bytes()).as_str(),
            session_ha1
        );
    }
}

/// RFC 7616 §3.9.2 printed its userhash and response computed with SHA-512
/// truncated to 256 bits, which is not SHA-512/256 (FIPS 180-4 gives
/// SHA-512/256 its own initial hash values). `sha2::Sha512_256` is the real
/// one; these are its values, and the RFC's printed ones must NOT come out,
/// so nobody "fixes" the hash back to a truncated SHA-512.
#[test]
fn rfc7616_section_3_9_2_sha512_256_userhash_corrected() {
    let user = "J\u{e4}s\u{f8}n Doe";
    let realm = "api@example.org";
    let userhash = Algorithm::Sha512_256.userhash(user.as_bytes(), realm.as_bytes());
    assert_eq!(
        userhash.as_str(),
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    );
    assert_ne!(
        userhash.as_str(),
        "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec"
    );

    let correct = "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5";
    let rfc_printed = "ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd";
    let header = |response: &str| {
        format!(
            r#"Digest username="{}", realm="api@example.org", uri="/doe.json", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", nc=00000001, cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", qop=auth, response="{response}", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", userhash=true"#,
            userhash.as_str()
        )
    };
    // HA1 uses the real username even with userhash.
    check(
        &header(correct),
        (user, realm, "Secret, or not?"),
        "GET",
        b"",
        "2d3d9f12c9f3d30011259dc5fecee005ae24de40e3e1f61806d03e65f1e6024f",
        correct,
    );
    let printed = header(rfc_printed);
    let creds = Credentials::parse_str(&printed).unwrap();
    assert!(creds.userhash());
    let ha1 = Algorithm::Sha512_256.ha1(user.as_bytes(), realm.as_bytes(), b"Secret, or not?");
    let expected = creds.expected_response(&ha1, b"GET", b"").unwrap();
    assert!(
        !expected.ct_eq(rfc_printed.as_bytes()),
        "the RFC's truncated-SHA-512 response must be rejected"
    );
}

const SIPP_NONCE: &str = "4a1f0c2b9d7e6f5a3c8b1e0d2f4a6c8e";

fn sipp_header(cnonce: Option<&str>, qop: Option<&str>, response: &str) -> String {
    let mut h = String::from(r#"Digest username="alice",realm="sip.example.test","#);
    if let (Some(c), Some(q)) = (cnonce, qop) {
        h.push_str(&format!(r#"cnonce="{c}",nc=00000001,qop={q},"#));
    }
    h.push_str(&format!(
        r#"uri="sip:127.0.0.1:5070",nonce="{SIPP_NONCE}",response="{response}",algorithm=MD5,opaque="op4que""#
    ));
    h
}

#[test]
fn sipp_captured_register_and_invite() {
    let ha1 = Algorithm::Md5.ha1(b"alice", b"sip.example.test", b"s3cret");
    let cases = [
        (
            "REGISTER",
            Some("6b8b4567"),
            Some("auth"),
            "2fa6b4aaad3b8afec4811021241125bd",
        ),
        (
            "INVITE",
            Some("327b23c6"),
            Some("auth"),
            "76ec7c85bf2fc139294ebd217c85a55d",
        ),
        ("REGISTER", None, None, "b2f69ce669c904ff91e9d1fa4a753af2"),
        ("INVITE", None, None, "e35160b5ebbe624669946fb0fcf4ef54"),
        (
            "REGISTER",
            Some("6b8b4567"),
            Some("auth-int"),
            "dfdc4a42b753f45faf09f00956e17116",
        ),
        (
            "INVITE",
            Some("327b23c6"),
            Some("auth-int"),
            "9075945153717544522e341107a2811f",
        ),
    ];
    for (method, cnonce, qop, response) in cases {
        check(
            &sipp_header(cnonce, qop, response),
            ("alice", "sip.example.test", "s3cret"),
            method,
            b"",
            ha1.as_str(),
            response,
        );
    }
    // The exact header text sipp sent, as captured.
    let exact = r#"Digest username="alice",realm="sip.example.test",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5070",nonce="4a1f0c2b9d7e6f5a3c8b1e0d2f4a6c8e",response="2fa6b4aaad3b8afec4811021241125bd",algorithm=MD5,opaque="op4que""#;
    assert!(VECTORS_MD.contains(exact));
    let creds = Credentials::parse_str(exact).unwrap();
    assert_eq!(
        creds
            .expected_response(&ha1, b"REGISTER", b"")
            .unwrap()
            .as_str(),
        "2fa6b4aaad3b8afec4811021241125bd"
    );
}

fn verifier() -> Verifier<InMemoryCredentials, InMemoryNonceCounts> {
    let mut users = InMemoryCredentials::new();
    users.insert_password(b"bob", b"atlanta.example.com", b"pw");
    users.insert_password(b"Alice", b"atlanta.com", b"pw");
    let mut config = DigestConfig::new("atlanta.com");
    config.algorithms = vec![Algorithm::Md5];
    config.qop.none = true;
    Verifier::new(
        config,
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::new(16),
    )
}

/// RFC 3261 §20.7 and §25 / RFC 3665 credentials are syntax examples with
/// 35- and 31-digit "MD5" responses: they parse, and the verifier refuses
/// them on length before anything else.
#[test]
fn rfc3261_examples_parse_but_fail_on_length() {
    let request = DigestRequest {
        method: b"INVITE",
        uri: b"sip:bob@biloxi.com",
        body: b"",
        client: None,
    };
    let section_20_7 = r#"Digest username="Alice", realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", response="7587245234b3434cc3412213e5f113a5432", uri="sip:bob@biloxi.com""#;
    Credentials::parse_str(section_20_7).unwrap();
    assert_eq!(
        verifier().verify(section_20_7.as_bytes(), &request, 0),
        Verdict::Malformed(DigestError::ResponseLength {
            expected: 32,
            found: 35
        })
    );
    let rfc3665 = r#"Digest username="bob", realm="atlanta.example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", uri="sips:ss2.biloxi.example.com", response="dfe56131d1958046689d83306477ecc""#;
    let creds = Credentials::parse_str(rfc3665).unwrap();
    assert!(creds.opaque().unwrap().is_empty());
    // Checked under the example's own realm: the length check comes first.
    let config_realm = {
        let mut users = InMemoryCredentials::new();
        users.insert_password(b"bob", b"atlanta.example.com", b"pw");
        let mut config = DigestConfig::new("atlanta.example.com");
        config.algorithms = vec![Algorithm::Md5];
        Verifier::new(
            config,
            NonceSecret::generate(),
            users,
            InMemoryNonceCounts::new(16),
        )
    };
    let request = DigestRequest {
        method: b"REGISTER",
        uri: b"sips:ss2.biloxi.example.com",
        body: b"",
        client: None,
    };
    assert_eq!(
        config_realm.verify(rfc3665.as_bytes(), &request, 0),
        Verdict::Malformed(DigestError::ResponseLength {
            expected: 32,
            found: 31
        })
    );
    assert!(HexDigest::from_hex(b"dfe56131d1958046689d83306477ecc").is_none());
}

/// RFC 4475 §3.3.7 `regaut01`: an unknown scheme is refused by policy.
#[test]
fn rfc4475_regaut01_unknown_scheme() {
    let value = b"NoOneKnowsThisScheme opaque-data=here";
    assert!(matches!(
        Credentials::parse(value),
        Err(DigestError::NotDigest { offset: 0 })
    ));
    let request = DigestRequest {
        method: b"REGISTER",
        uri: b"sip:example.com",
        body: b"",
        client: None,
    };
    assert_eq!(
        verifier().verify(value, &request, 0),
        Verdict::UnsupportedScheme
    );
}
