//! Interop with the system libsrtp 2 (`libsrtp2-dev`), linked through FFI.
//! With `--features interop` and the library missing, this fails to link:
//! it never skips.
//!
//! For every profile, with random keys: the same RTP/RTCP packets (random
//! payloads, CSRCs, header extensions, two SSRCs, sequence numbers that wrap
//! the ROC, reordering across the wrap) are protected by voipsec and by
//! libsrtp, the protected bytes must be identical, and each side unprotects
//! what the other protected.
#![cfg(feature = "interop")]

#[path = "support/libsrtp.rs"]
mod libsrtp;

use libsrtp::{
    ERR_AUTH_FAIL, ERR_BAD_MKI, ERR_REPLAY_FAIL, Lib, SSRC_ANY_INBOUND, SSRC_ANY_OUTBOUND,
    SSRC_SPECIFIC, SsrcT,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use voipsec::srtp::{Error, Policy, Profile, SrtpContext};

fn random_key(rng: &mut StdRng, profile: Profile) -> (Vec<u8>, Vec<u8>) {
    let mut k = vec![0u8; profile.master_key_len()];
    let mut s = vec![0u8; profile.master_salt_len()];
    rng.fill(&mut k[..]);
    rng.fill(&mut s[..]);
    (k, s)
}

/// A random RTP packet: CSRCs, maybe a header extension, random payload.
fn random_rtp(rng: &mut StdRng, ssrc: u32, seq: u16) -> Vec<u8> {
    let cc: u8 = rng.random_range(0..4);
    let ext = rng.random_bool(0.5);
    let mut p = vec![
        0x80 | cc | if ext { 0x10 } else { 0 },
        rng.random_range(0..128),
    ];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&rng.random::<u32>().to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    for _ in 0..cc {
        p.extend_from_slice(&rng.random::<u32>().to_be_bytes());
    }
    if ext {
        let words: u16 = rng.random_range(0..4);
        p.extend_from_slice(&[0xbe, 0xde]);
        p.extend_from_slice(&words.to_be_bytes());
        for _ in 0..words * 4 {
            p.push(rng.random());
        }
    }
    let n: usize = rng.random_range(0..300);
    p.extend((0..n).map(|_| rng.random::<u8>()));
    p
}

fn random_rtcp(rng: &mut StdRng, ssrc: u32) -> Vec<u8> {
    let words: u16 = rng.random_range(1..20);
    let mut p = vec![0x81, 200];
    p.extend_from_slice(&words.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    for _ in 0..(words - 1) * 4 {
        p.push(rng.random());
    }
    p
}

fn ours_protect(ctx: &mut SrtpContext, pkt: &[u8], rtcp: bool) -> Vec<u8> {
    let mut buf = pkt.to_vec();
    buf.resize(pkt.len() + 200, 0);
    let n = if rtcp {
        ctx.protect_rtcp(&mut buf, pkt.len())
    } else {
        ctx.protect_rtp(&mut buf, pkt.len())
    };
    buf.truncate(n.unwrap_or_else(|e| panic!("voipsec protect ({:?}): {e}", ctx.profile())));
    buf
}

fn ours_unprotect(ctx: &mut SrtpContext, pkt: &[u8], rtcp: bool) -> Result<Vec<u8>, Error> {
    let mut buf = pkt.to_vec();
    let n = if rtcp {
        ctx.unprotect_rtcp(&mut buf)?
    } else {
        ctx.unprotect_rtp(&mut buf)?
    };
    buf.truncate(n);
    Ok(buf)
}

/// Sequence numbers that wrap the ROC twice, with a late packet from the
/// old ROC right after each wrap (reordering across the wrap) and jumps.
fn sequence() -> Vec<u16> {
    vec![
        65_500, 65_503, 65_533, 0, 65_534, 3, 6, 9_000, 18_000, 27_000, 36_000, 45_000, 54_000,
        63_000, 65_530, 2, 65_531, 65_535, 10, 11,
    ]
}

fn run_profile(profile: Profile, encrypt_rtcp: bool, mki: bool, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let keys = vec![random_key(&mut rng, profile), random_key(&mut rng, profile)];
    let mkis: Vec<Vec<u8>> = if mki {
        vec![vec![1, 2, 3, 4], vec![9, 8, 7, 6]]
    } else {
        Vec::new()
    };
    let used_key = if mki { 1 } else { 0 };

    let mut policy_tx = Policy::outbound();
    let mut policy_rx = Policy::inbound();
    policy_tx.encrypt_rtcp = encrypt_rtcp;
    policy_rx.encrypt_rtcp = encrypt_rtcp;
    // libsrtp 2.5 without OpenSSL's KDF keys the AES-192 KDF as AES-256
    // (see `Policy::libsrtp_aes192_kdf`); RFC 6188 §7.4 is checked in
    // tests/srtp_vectors.rs.
    policy_tx.libsrtp_aes192_kdf = true;
    policy_rx.libsrtp_aes192_kdf = true;
    let make = |policy: Policy| {
        if mki {
            let mut c =
                SrtpContext::new_with_mki(profile, &mkis[0], &keys[0].0, &keys[0].1, policy)
                    .unwrap();
            c.add_master_key(&mkis[1], &keys[1].0, &keys[1].1).unwrap();
            c.set_active_mki(&mkis[1]).unwrap();
            c
        } else {
            SrtpContext::new(profile, &keys[0].0, &keys[0].1, policy).unwrap()
        }
    };
    let (mut our_tx, mut our_rx) = (make(policy_tx), make(policy_rx));
    let any = |kind| SsrcT { kind, value: 0 };
    let lib_tx = Lib::new(profile, &keys, &mkis, any(SSRC_ANY_OUTBOUND), encrypt_rtcp);
    let lib_rx = Lib::new(profile, &keys, &mkis, any(SSRC_ANY_INBOUND), encrypt_rtcp);

    for ssrc in [0x1234_5678u32, 0xdead_beef] {
        for seq in sequence() {
            let rtp = random_rtp(&mut rng, ssrc, seq);
            let ours = ours_protect(&mut our_tx, &rtp, false);
            let theirs = lib_tx.protect(&rtp, used_key).expect("libsrtp protect");
            assert_eq!(
                ours, theirs,
                "{profile:?} SRTP bytes differ at seq {seq}, ssrc {ssrc:#x}"
            );
            assert_eq!(
                lib_rx.unprotect(&ours).expect("libsrtp unprotect"),
                rtp,
                "{profile:?} seq {seq}"
            );
            assert_eq!(
                ours_unprotect(&mut our_rx, &theirs, false).expect("voipsec unprotect"),
                rtp
            );
        }
        assert_eq!(our_rx.roc(ssrc), Some(2), "{profile:?}: two wraps");
        for _ in 0..5 {
            let rtcp = random_rtcp(&mut rng, ssrc);
            let ours = ours_protect(&mut our_tx, &rtcp, true);
            let theirs = lib_tx
                .protect_rtcp(&rtcp, used_key)
                .expect("libsrtp protect_rtcp");
            assert_eq!(
                ours, theirs,
                "{profile:?} SRTCP bytes differ (encrypt {encrypt_rtcp})"
            );
            match lib_rx.unprotect_rtcp(&ours) {
                Ok(plain) => assert_eq!(plain, rtcp),
                // libsrtp 2.5 answers bad_mki for SRTCP with MKI, also for
                // the identical bytes it produced itself (asserted above).
                Err(ERR_BAD_MKI) if mki => {}
                Err(e) => panic!("{profile:?} libsrtp unprotect_rtcp: {e}"),
            }
            assert_eq!(
                ours_unprotect(&mut our_rx, &theirs, true).expect("voipsec unprotect_rtcp"),
                rtcp
            );
        }
    }

    // Both reject a flipped bit and a replay.
    let rtp = random_rtp(&mut rng, 0x1234_5678, 3000);
    let mut ours = ours_protect(&mut our_tx, &rtp, false);
    let at = rng.random_range(0..ours.len());
    ours[at] ^= 1 << rng.random_range(0..8u32);
    assert!(ours_unprotect(&mut our_rx, &ours, false).is_err());
    assert!(lib_rx.unprotect(&ours).is_err());
    ours[at] ^= 0xff;
    ours[at] ^= 0xff;
    let good = lib_tx.protect(&rtp, used_key).unwrap();
    assert_eq!(ours_unprotect(&mut our_rx, &good, false).unwrap(), rtp);
    assert!(matches!(
        ours_unprotect(&mut our_rx, &good, false),
        Err(Error::Replayed { .. })
    ));
    assert_eq!(lib_rx.unprotect(&good), Ok(rtp.clone()));
    assert_eq!(lib_rx.unprotect(&good), Err(ERR_REPLAY_FAIL));
    // A forged packet with a fresh index: libsrtp reports auth failure.
    let mut forged = lib_tx
        .protect(&random_rtp(&mut rng, 0x1234_5678, 3001), used_key)
        .unwrap();
    forged[1] ^= 0x01; // payload type: same index, wrong tag
    assert_eq!(lib_rx.unprotect(&forged), Err(ERR_AUTH_FAIL));
}

fn seed() -> u64 {
    let s = std::env::var("SRTP_INTEROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("SRTP_INTEROP_SEED={s}");
    s
}

#[test]
fn every_profile_matches_libsrtp() {
    let seed = seed();
    for (i, profile) in Profile::ALL.into_iter().enumerate() {
        run_profile(profile, true, false, seed.wrapping_add(i as u64));
    }
}

#[test]
fn unencrypted_srtcp_matches_libsrtp() {
    let seed = seed();
    for (i, profile) in Profile::ALL.into_iter().enumerate() {
        run_profile(profile, false, false, seed.wrapping_add(100 + i as u64));
    }
}

#[test]
fn mki_matches_libsrtp() {
    let seed = seed();
    for (i, profile) in Profile::ALL.into_iter().enumerate() {
        run_profile(profile, true, true, seed.wrapping_add(200 + i as u64));
    }
}

/// Joining late: both sides set the ROC of a stream before its first packet.
#[test]
fn set_roc_matches_libsrtp() {
    let mut rng = StdRng::seed_from_u64(seed());
    let ssrc = 0x0bad_cafe;
    for profile in Profile::ALL {
        let (k, s) = random_key(&mut rng, profile);
        let keys = vec![(k.clone(), s.clone())];
        let specific = SsrcT {
            kind: SSRC_SPECIFIC,
            value: ssrc,
        };
        let lib_tx = Lib::new(profile, &keys, &[], specific, true);
        let lib_rx = Lib::new(profile, &keys, &[], specific, true);
        let roc = rng.random_range(1..u32::MAX / 2);
        assert_eq!(lib_tx.set_roc(ssrc, roc), Ok(()));
        assert_eq!(lib_rx.set_roc(ssrc, roc), Ok(()));
        let (mut ptx, mut prx) = (Policy::outbound(), Policy::inbound());
        ptx.libsrtp_aes192_kdf = true;
        prx.libsrtp_aes192_kdf = true;
        let mut our_tx = SrtpContext::new(profile, &k, &s, ptx).unwrap();
        let mut our_rx = SrtpContext::new(profile, &k, &s, prx).unwrap();
        our_tx.set_roc(ssrc, roc).unwrap();
        our_rx.set_roc(ssrc, roc).unwrap();
        for seq in [100u16, 101, 20_000, 40_000, 65_000, 5, 6] {
            let rtp = random_rtp(&mut rng, ssrc, seq);
            let ours = ours_protect(&mut our_tx, &rtp, false);
            assert_eq!(
                ours,
                lib_tx.protect(&rtp, 0).unwrap(),
                "{profile:?} seq {seq}"
            );
            assert_eq!(lib_rx.unprotect(&ours).unwrap(), rtp);
            assert_eq!(ours_unprotect(&mut our_rx, &ours, false).unwrap(), rtp);
        }
        let lib_roc = lib_rx.roc(ssrc).expect("libsrtp knows the stream");
        assert_eq!(our_rx.roc(ssrc), Some(lib_roc));
        assert_eq!(lib_roc, roc + 1);
    }
}
