//! Full-packet known answers, byte for byte, from libsrtp's `srtp_driver.c`
//! `srtp_validate*()` (tests/data/srtp/srtp-libsrtp-packet-vectors.md) and
//! the RFC-derived packets of tests/data/srtp/srtp-vectors.md.

use std::collections::HashMap;

use voipsec::srtp::{Error, Policy, Profile, SrtpContext};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// `### section` -> (`name` -> hex bytes), from the libsrtp vector file.
fn libsrtp_vectors() -> HashMap<String, HashMap<String, Vec<u8>>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srtp/srtp-libsrtp-packet-vectors.md"
    );
    let text = std::fs::read_to_string(path).expect("vector file");
    let mut out: HashMap<String, HashMap<String, Vec<u8>>> = HashMap::new();
    let mut section = String::from("global");
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            section = if h.starts_with("Global") {
                "global".into()
            } else {
                h.trim().trim_end_matches("()").to_string()
            };
            continue;
        }
        // - `name` = `hex`
        let Some(rest) = line.strip_prefix("- `") else {
            continue;
        };
        let Some((name, value)) = rest.split_once("` = `") else {
            continue;
        };
        let value = value.trim_end_matches('`');
        if value.chars().all(|c| c.is_ascii_hexdigit()) {
            out.entry(section.clone())
                .or_default()
                .insert(name.to_string(), hex(value));
        }
    }
    out
}

/// Protects `plain` with a fresh outbound context and compares with
/// `cipher`, then unprotects `cipher` with a fresh inbound context.
fn check_rtp(tx: &mut SrtpContext, rx: &mut SrtpContext, plain: &[u8], cipher: &[u8]) {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + tx.rtp_overhead(), 0);
    let n = tx.protect_rtp(&mut buf, plain.len()).expect("protect");
    assert_eq!(
        hex_of(&buf[..n]),
        hex_of(cipher),
        "SRTP bytes for {:?}",
        tx.profile()
    );
    let mut pkt = cipher.to_vec();
    let m = rx.unprotect_rtp(&mut pkt).expect("unprotect");
    assert_eq!(&pkt[..m], plain);
    // The same packet again is a replay.
    let mut again = cipher.to_vec();
    assert!(matches!(
        rx.unprotect_rtp(&mut again),
        Err(Error::Replayed { .. })
    ));
}

fn check_rtcp(tx: &mut SrtpContext, rx: &mut SrtpContext, plain: &[u8], cipher: &[u8]) {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + tx.rtcp_overhead(), 0);
    let n = tx
        .protect_rtcp(&mut buf, plain.len())
        .expect("protect_rtcp");
    assert_eq!(
        hex_of(&buf[..n]),
        hex_of(cipher),
        "SRTCP bytes for {:?}",
        tx.profile()
    );
    let mut pkt = cipher.to_vec();
    let m = rx.unprotect_rtcp(&mut pkt).expect("unprotect_rtcp");
    assert_eq!(&pkt[..m], plain);
    let mut again = cipher.to_vec();
    assert!(matches!(
        rx.unprotect_rtcp(&mut again),
        Err(Error::Replayed { .. })
    ));
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn pair(profile: Profile, key_salt: &[u8]) -> (SrtpContext, SrtpContext) {
    let (k, s) = key_salt.split_at(profile.master_key_len());
    let s = &s[..profile.master_salt_len()];
    (
        SrtpContext::new(profile, k, s, Policy::outbound()).expect("tx"),
        SrtpContext::new(profile, k, s, Policy::inbound()).expect("rx"),
    )
}

#[test]
fn libsrtp_validate_packets() {
    let v = libsrtp_vectors();
    let g = &v["global"];
    // (section, profile, key name, plaintext/ciphertext names)
    let cases = [
        (
            "srtp_validate",
            Profile::Aes128CmHmacSha1_80,
            g["test_key"].clone(),
            "srtp_plaintext_ref",
            "srtp_ciphertext",
            "rtcp_plaintext_ref",
            "srtcp_ciphertext",
        ),
        (
            "srtp_validate_null_sha1_80",
            Profile::NullHmacSha1_80,
            g["test_key"].clone(),
            "srtp_plaintext_ref",
            "srtp_ciphertext",
            "rtcp_plaintext_ref",
            "srtcp_ciphertext",
        ),
        (
            "srtp_validate_gcm",
            Profile::AeadAes128Gcm,
            g["test_key_gcm"].clone(),
            "rtp_plaintext_ref",
            "srtp_ciphertext",
            "rtcp_plaintext_ref",
            "srtcp_ciphertext",
        ),
    ];
    for (section, profile, key, p, c, rp, rc) in cases {
        let s = &v[section];
        let (mut tx, mut rx) = pair(profile, &key);
        check_rtp(&mut tx, &mut rx, &s[p], &s[c]);
        check_rtcp(&mut tx, &mut rx, &s[rp], &s[rc]);
    }
    for (section, profile, key) in [
        (
            "srtp_validate_aes_192",
            Profile::Aes192CmHmacSha1_80,
            "aes_192_test_key",
        ),
        (
            "srtp_validate_aes_256",
            Profile::Aes256CmHmacSha1_80,
            "aes_256_test_key",
        ),
    ] {
        let s = &v[section];
        let (mut tx, mut rx) = pair(profile, &s[key]);
        check_rtp(
            &mut tx,
            &mut rx,
            &s["srtp_plaintext_ref"],
            &s["srtp_ciphertext"],
        );
    }
}

#[test]
fn libsrtp_validate_mki() {
    let v = libsrtp_vectors();
    let g = &v["global"];
    let s = &v["srtp_validate_mki"];
    let profile = Profile::Aes128CmHmacSha1_80;
    let mk = |key: &[u8], policy: Policy| {
        let mut ctx =
            SrtpContext::new_with_mki(profile, &g["test_mki_id"], &key[..16], &key[16..30], policy)
                .unwrap();
        let alt = &g["test_alt_key"];
        ctx.add_master_key(&g["test_mki_id_2"], &alt[..16], &alt[16..30])
            .unwrap();
        ctx
    };
    let (mut tx, mut rx) = (
        mk(&g["test_key"], Policy::outbound()),
        mk(&g["test_key"], Policy::inbound()),
    );
    check_rtp(
        &mut tx,
        &mut rx,
        &s["srtp_plaintext_ref"],
        &s["srtp_ciphertext"],
    );
    check_rtcp(
        &mut tx,
        &mut rx,
        &s["rtcp_plaintext_ref"],
        &s["srtcp_ciphertext"],
    );

    // The second key is selected by its MKI on receive.
    tx.set_active_mki(&g["test_mki_id_2"]).unwrap();
    let plain = &s["srtp_plaintext_ref"];
    let mut buf = plain.clone();
    buf[3] ^= 1; // next sequence number
    let len = buf.len();
    buf.resize(len + tx.rtp_overhead(), 0);
    let n = tx.protect_rtp(&mut buf, len).unwrap();
    assert_eq!(&buf[n - 14..n - 10], &g["test_mki_id_2"][..]);
    assert_eq!(rx.unprotect_rtp(&mut buf[..n]).unwrap(), len);
    // An unknown MKI is its own error.
    let mut bad = s["srtp_ciphertext"].clone();
    let at = bad.len() - 14;
    bad[at] ^= 0xff;
    assert_eq!(rx.unprotect_rtp(&mut bad), Err(Error::UnknownMki));
}

/// The RFC-derived full packets of srtp-vectors.md (§2 with MKI, §3 AES-192
/// with SSRC 0, §4 GCM with the KDF, §6 NULL).
#[test]
fn rfc_full_packets() {
    let key = hex("E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6");
    let rtp = hex("800f1234decafbadcafebabeabababababababababababababababab");
    let rtcp = hex("81c8000bcafebabeabababababababababababababababab");
    let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_80, &key);
    check_rtp(
        &mut tx,
        &mut rx,
        &rtp,
        &hex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb"),
    );
    check_rtcp(
        &mut tx,
        &mut rx,
        &rtcp,
        &hex("81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798"),
    );

    let (mut tx, mut rx) = pair(
        Profile::AeadAes128Gcm,
        &hex("000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab"),
    );
    check_rtp(
        &mut tx,
        &mut rx,
        &rtp,
        &hex(
            "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392",
        ),
    );
    check_rtcp(
        &mut tx,
        &mut rx,
        &rtcp,
        &hex(
            "81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025c52c6fbea2b3b446ea31123ba88ce61e80000001",
        ),
    );

    let (mut tx, mut rx) = pair(
        Profile::Aes192CmHmacSha1_80,
        &hex("73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1 c8522f3acd4ce86d5add78edbb11"),
    );
    check_rtp(
        &mut tx,
        &mut rx,
        &hex("800f0000decafbad00000000abababababababababababababababab"),
        &hex("800f0000decafbad00000000d98865552f2762c3ef37f837acfdb7122d6bc4dc84c76f74aea5"),
    );
}

/// Profiles without a published packet vector (the `_32` variants, NULL_32,
/// AES-256-GCM with KDF) are covered by the libsrtp interop tests; here
/// their tag lengths and round trips.
#[test]
fn every_profile_round_trips_with_expected_overhead() {
    for profile in Profile::ALL {
        let key_salt: Vec<u8> = (0..46u8).collect();
        let (mut tx, mut rx) = pair(profile, &key_salt);
        let rtp = hex(
            "920f1238decafbadcafebabe0001e2400000b26ebede000151000200abababababababababababababababab",
        );
        let mut buf = rtp.clone();
        buf.resize(rtp.len() + 64, 0);
        let n = tx.protect_rtp(&mut buf, rtp.len()).unwrap();
        assert_eq!(n, rtp.len() + profile.rtp_tag_len());
        // Header, CSRCs and extension stay in the clear.
        assert_eq!(&buf[..24], &rtp[..24]);
        assert_eq!(&buf[24..28], &rtp[24..28]); // extension header
        assert_eq!(rx.unprotect_rtp(&mut buf[..n]).unwrap(), rtp.len());
        assert_eq!(&buf[..rtp.len()], &rtp[..]);
    }
}
