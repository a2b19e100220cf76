//! Property tests: the credentials parser never panics and round-trips any
//! parameter values in any order with any spacing; duplicates are always
//! refused; the verifier accepts every correct client and refuses every
//! one-digit change.

mod digest_support;

use digest_support::Client;
use proptest::prelude::*;
use voipsec::digest::{
    Algorithm, Challenge, Credentials, DigestConfig, DigestError, DigestRequest,
    InMemoryCredentials, InMemoryNonceCounts, NonceSecret, QopPolicy, Verdict, Verifier,
};

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Printable ASCII including `"` and `\`, plus some UTF-8.
fn text() -> impl Strategy<Value = String> {
    "[ -~äøé€]{0,40}"
}

fn lws() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just(" "), Just("\t"), Just("  "), Just("\r\n ")]
}

const NAMES: [&str; 5] = ["username", "realm", "nonce", "uri", "response"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parser_never_panics_and_stays_in_bounds(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(creds) = Credentials::parse(&data) {
            for v in [creds.username(), creds.realm(), creds.nonce(), creds.uri(), creds.response()].into_iter().flatten() {
                prop_assert!(v.offset() + v.raw().len() <= data.len());
                prop_assert_eq!(&data[v.offset()..v.offset() + v.raw().len()], v.raw());
            }
        }
    }

    #[test]
    fn digest_prefixed_garbage_never_panics(tail in "[ -~\\t\\r\\n]{0,300}") {
        let value = format!("Digest {tail}");
        let _ = Credentials::parse_str(&value);
    }

    #[test]
    fn round_trip_any_order_any_spacing(
        values in proptest::collection::vec(text(), 5),
        unknown in proptest::collection::vec(("x-[a-z]{1,8}", text()), 0..4),
        order in Just((0..5usize).collect::<Vec<_>>()).prop_shuffle(),
        gaps in proptest::collection::vec(lws(), 4),
        scheme in prop_oneof![Just("Digest"), Just("digest"), Just("DIGEST")],
    ) {
        let mut params: Vec<String> = order
            .iter()
            .map(|&i| format!("{}{}={}{}", NAMES[i], gaps[0], gaps[1], quote(&values[i])))
            .collect();
        for (i, (name, value)) in unknown.iter().enumerate() {
            params.insert(i % (params.len() + 1), format!("{name}={}", quote(value)));
        }
        let sep = format!("{},{}", gaps[2], gaps[3]);
        let header = format!("{scheme} {}", params.join(&sep));
        let creds = Credentials::parse_str(&header).map_err(|e| TestCaseError::fail(format!("{e}: {header}")))?;
        let got = [creds.username(), creds.realm(), creds.nonce(), creds.uri(), creds.response()];
        for (v, expected) in got.iter().zip(&values) {
            let v = v.expect("present");
            prop_assert!(v.eq_bytes(expected.as_bytes()), "{:?} != {:?}", v, expected);
            prop_assert_eq!(v.len(), expected.len());
        }
    }

    #[test]
    fn duplicates_are_always_refused(which in 0..5usize, at in 0..6usize) {
        let mut params: Vec<String> = NAMES.iter().map(|n| format!("{n}=\"v\"")).collect();
        params.insert(at.min(params.len()), format!("{}=\"w\"", NAMES[which].to_uppercase()));
        let header = format!("Digest {}", params.join(", "));
        let refused = matches!(Credentials::parse_str(&header), Err(DigestError::DuplicateParam { .. }));
        prop_assert!(refused);
    }

    #[test]
    fn challenge_realm_round_trips(realm in text()) {
        let challenge = Challenge {
            realm: &realm, nonce: "n", algorithm: Algorithm::Md5, qop: QopPolicy::default(),
            stale: false, userhash: false, opaque: None,
        };
        let reparsed = format!("{challenge}, username=\"u\", uri=\"u\", response=\"r\"");
        let creds = Credentials::parse_str(&reparsed).unwrap();
        prop_assert!(creds.realm().unwrap().eq_bytes(realm.as_bytes()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn verifier_accepts_correct_clients_and_refuses_any_changed_digit(
        user in "[ -~äø]{1,24}",
        password in "[ -~]{0,32}",
        alg in proptest::sample::select(Algorithm::ALL.to_vec()),
        qop in proptest::sample::select(vec![Some("auth"), Some("auth-int"), None]),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        flip in 0..64usize,
    ) {
        let realm = "prop.example";
        let mut users = InMemoryCredentials::new();
        users.insert_password(user.as_bytes(), realm.as_bytes(), password.as_bytes());
        let mut config = DigestConfig::new(realm);
        config.algorithms = Algorithm::ALL.to_vec();
        config.qop = QopPolicy { auth: true, auth_int: true, none: true };
        let v = Verifier::new(config, NonceSecret::generate(), users, InMemoryNonceCounts::new(8));
        let nonce = v.issue_nonce(None, 1_000);
        let mut client = Client::new(&user, &password, realm, alg);
        client.qop = qop;
        let header = client.authorization(&nonce, 1, "INVITE", &body);
        let req = DigestRequest { method: b"INVITE", uri: b"sip:example.com", body: &body, client: None };

        // Change one hex digit of the response first (before the good one
        // consumes the nonce).
        let creds = Credentials::parse_str(&header).unwrap();
        let response = std::str::from_utf8(creds.response().unwrap().raw()).unwrap().to_owned();
        let mut bad = response.clone().into_bytes();
        let i = flip % bad.len();
        bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
        let bad_header = header.replace(&response, std::str::from_utf8(&bad).unwrap());
        prop_assert_eq!(v.verify(bad_header.as_bytes(), &req, 1_001), Verdict::WrongResponse);

        prop_assert_eq!(v.verify(header.as_bytes(), &req, 1_001), Verdict::Authenticated { algorithm: alg });
        prop_assert_eq!(v.verify(header.as_bytes(), &req, 1_002), Verdict::ReplayedNonceCount);
    }
}
