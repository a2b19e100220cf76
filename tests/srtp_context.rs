//! Context behaviour: replay window, streams created only after
//! authentication, bounds, key lifetime, KDR, directions, BytesMut helpers.

use bytes::BytesMut;
use voipsec::srtp::{Error, Policy, Profile, SdesCrypto, SrtpContext};

const KEY: [u8; 16] = [0x11; 16];
const SALT: [u8; 14] = [0x22; 14];

#[path = "support/rtp.rs"]
mod rtp;
use rtp::{rtcp, rtp};

fn protect(tx: &mut SrtpContext, pkt: &[u8]) -> Vec<u8> {
    let mut b = pkt.to_vec();
    b.resize(pkt.len() + tx.rtp_overhead(), 0);
    let n = tx.protect_rtp(&mut b, pkt.len()).unwrap();
    b.truncate(n);
    b
}

fn unprotect(rx: &mut SrtpContext, pkt: &[u8]) -> Result<Vec<u8>, Error> {
    let mut b = pkt.to_vec();
    let n = rx.unprotect_rtp(&mut b)?;
    b.truncate(n);
    Ok(b)
}

fn pair(profile: Profile, rx_policy: Policy) -> (SrtpContext, SrtpContext) {
    let (k, s) = (
        &[0x11; 32][..profile.master_key_len()],
        &SALT[..profile.master_salt_len()],
    );
    (
        SrtpContext::new(profile, k, s, Policy::outbound()).unwrap(),
        SrtpContext::new(profile, k, s, rx_policy).unwrap(),
    )
}

#[test]
fn replayed_and_too_old_are_distinct_and_auth_failure_never_moves_the_window() {
    for profile in Profile::ALL {
        let (mut tx, mut rx) = pair(profile, Policy::inbound());
        let packets: Vec<Vec<u8>> = (0..300u16)
            .map(|s| protect(&mut tx, &rtp(7, s, 40)))
            .collect();
        assert_eq!(unprotect(&mut rx, &packets[200]).unwrap(), rtp(7, 200, 40));
        assert_eq!(
            unprotect(&mut rx, &packets[200]),
            Err(Error::Replayed { index: 200 })
        );
        assert_eq!(
            unprotect(&mut rx, &packets[72]),
            Err(Error::TooOld { index: 72 })
        );
        assert!(unprotect(&mut rx, &packets[73]).is_ok()); // just inside 128
        // A forged packet far ahead fails and does not advance the window:
        // packet 199 (still inside) remains acceptable afterwards.
        let mut forged = packets[299].clone();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert_eq!(
            unprotect(&mut rx, &forged),
            Err(Error::AuthenticationFailed),
            "{profile:?}"
        );
        assert!(unprotect(&mut rx, &packets[199]).is_ok(), "{profile:?}");
        assert!(unprotect(&mut rx, &packets[299]).is_ok());
    }
}

#[test]
fn large_replay_window() {
    let mut policy = Policy::inbound();
    policy.replay_window = 1024;
    let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_80, policy);
    let packets: Vec<Vec<u8>> = (0..1100u16)
        .map(|s| protect(&mut tx, &rtp(9, s, 10)))
        .collect();
    assert!(unprotect(&mut rx, &packets[1099]).is_ok());
    assert!(unprotect(&mut rx, &packets[100]).is_ok()); // 999 behind: inside
    assert_eq!(
        unprotect(&mut rx, &packets[75]),
        Err(Error::TooOld { index: 75 })
    );
    let mut bad = Policy::inbound();
    bad.replay_window = 0;
    assert!(SrtpContext::new(Profile::Aes128CmHmacSha1_80, &KEY, &SALT, bad).is_err());
}

#[test]
fn junk_packets_never_create_streams_and_streams_are_bounded() {
    let mut policy = Policy::inbound();
    policy.max_streams = 3;
    let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_80, policy);
    for ssrc in 0..1000u32 {
        let mut junk = rtp(ssrc, 1, 50);
        junk.extend_from_slice(&[0u8; 10]);
        assert_eq!(unprotect(&mut rx, &junk), Err(Error::AuthenticationFailed));
        let mut junk_rtcp = rtcp(ssrc);
        junk_rtcp.extend_from_slice(&[0x80, 0, 0, 1]);
        junk_rtcp.extend_from_slice(&[0u8; 10]);
        assert_eq!(
            rx.unprotect_rtcp(&mut junk_rtcp),
            Err(Error::AuthenticationFailed)
        );
    }
    assert_eq!(rx.stream_count(), 0);
    for ssrc in 1..=3 {
        let p = protect(&mut tx, &rtp(ssrc, 5, 10));
        assert!(unprotect(&mut rx, &p).is_ok());
    }
    assert_eq!(rx.stream_count(), 3);
    let p = protect(&mut tx, &rtp(4, 5, 10));
    assert_eq!(unprotect(&mut rx, &p), Err(Error::TooManyStreams(3)));
    assert!(rx.remove_stream(2));
    assert!(!rx.remove_stream(2));
    assert!(unprotect(&mut rx, &p).is_ok());
    assert_eq!(rx.stream_count(), 3);
}

#[test]
fn key_lifetime_is_enforced() {
    let mut ptx = Policy::outbound();
    ptx.rtp_key_lifetime = 5;
    ptx.rtcp_key_lifetime = 2;
    let mut tx = SrtpContext::new(Profile::AeadAes128Gcm, &KEY, &SALT[..12], ptx).unwrap();
    for s in 0..5 {
        protect(&mut tx, &rtp(1, s, 8));
    }
    let mut b = rtp(2, 9, 8);
    b.resize(100, 0);
    assert_eq!(tx.protect_rtp(&mut b, 20), Err(Error::KeyExpired));
    let mut c = rtcp(1);
    let n = c.len();
    c.resize(100, 0);
    assert!(tx.protect_rtcp(&mut c, n).is_ok());
    assert!(tx.protect_rtcp(&mut c, n).is_ok());
    assert_eq!(tx.protect_rtcp(&mut c, n), Err(Error::KeyExpired));
    let mut bad = Policy::outbound();
    bad.rtp_key_lifetime = (1 << 48) + 1;
    assert!(SrtpContext::new(Profile::AeadAes128Gcm, &KEY, &SALT[..12], bad).is_err());
}

#[test]
fn index_space_end_is_key_expired() {
    let (mut tx, _) = pair(Profile::Aes128CmHmacSha1_80, Policy::inbound());
    tx.set_roc(5, u32::MAX).unwrap();
    protect(&mut tx, &rtp(5, 65_000, 4));
    let mut b = rtp(5, 3, 4); // would need ROC 2^32
    b.resize(64, 0);
    assert_eq!(tx.protect_rtp(&mut b, 16), Err(Error::KeyExpired));
}

#[test]
fn protect_refuses_index_reuse_unless_allowed() {
    let (mut tx, _) = pair(Profile::Aes128CmHmacSha1_80, Policy::inbound());
    protect(&mut tx, &rtp(1, 10, 4));
    let mut b = rtp(1, 10, 4);
    b.resize(64, 0);
    assert_eq!(
        tx.protect_rtp(&mut b, 16),
        Err(Error::Replayed { index: 10 })
    );
    let mut p = Policy::outbound();
    p.allow_repeat_tx = true;
    let mut tx = SrtpContext::new(Profile::Aes128CmHmacSha1_80, &KEY, &SALT, p).unwrap();
    let a = protect(&mut tx, &rtp(1, 10, 4));
    assert_eq!(protect(&mut tx, &rtp(1, 10, 4)), a);
}

#[test]
fn kdr_rekeys_and_round_trips() {
    let mut ptx = Policy::outbound();
    let mut prx = Policy::inbound();
    ptx.kdr = 1 << 4;
    prx.kdr = 1 << 4;
    for profile in Profile::ALL {
        let k = &[0x33; 32][..profile.master_key_len()];
        let s = &SALT[..profile.master_salt_len()];
        let mut tx = SrtpContext::new(profile, k, s, ptx.clone()).unwrap();
        let mut rx = SrtpContext::new(profile, k, s, prx.clone()).unwrap();
        let mut plain0 = SrtpContext::new(profile, k, s, Policy::outbound()).unwrap();
        for seq in 0..100u16 {
            let p = rtp(3, seq, 30);
            let c = protect(&mut tx, &p);
            // r = index / 16: the first 16 packets use r = 0, same as KDR 0.
            let c0 = protect(&mut plain0, &p);
            assert_eq!(c == c0, seq < 16, "{profile:?} seq {seq}");
            assert_eq!(unprotect(&mut rx, &c).unwrap(), p);
            let mut r = rtcp(3);
            let n = r.len();
            r.resize(n + 40, 0);
            let m = tx.protect_rtcp(&mut r, n).unwrap();
            assert_eq!(rx.unprotect_rtcp(&mut r[..m]).unwrap(), n);
        }
    }
    let mut bad = Policy::outbound();
    bad.kdr = 3;
    assert!(SrtpContext::new(Profile::Aes128CmHmacSha1_80, &KEY, &SALT, bad).is_err());
}

#[test]
fn direction_buffer_and_header_errors() {
    let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_80, Policy::inbound());
    let mut b = rtp(1, 1, 10);
    b.resize(64, 0);
    assert_eq!(rx.protect_rtp(&mut b, 22), Err(Error::WrongDirection));
    assert_eq!(tx.unprotect_rtp(&mut b), Err(Error::WrongDirection));
    let mut short = rtp(1, 1, 10);
    assert_eq!(
        tx.protect_rtp(&mut short, 22),
        Err(Error::BufferTooSmall {
            needed: 32,
            capacity: 22
        })
    );
    let mut v1 = rtp(1, 1, 10);
    v1[0] = 0x40;
    v1.resize(64, 0);
    assert_eq!(tx.protect_rtp(&mut v1, 22), Err(Error::BadVersion(1)));
    let mut cc = rtp(1, 1, 10);
    cc[0] = 0x8f; // 15 CSRCs: header longer than the packet
    cc.resize(64, 0);
    assert_eq!(
        tx.protect_rtp(&mut cc, 22),
        Err(Error::Truncated {
            needed: 72,
            len: 22
        })
    );
    assert!(matches!(
        rx.unprotect_rtp(&mut [0x80; 5]),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn bytes_mut_helpers_and_unencrypted_srtcp() {
    let mut ptx = Policy::outbound();
    ptx.encrypt_rtcp = false;
    let (_, mut rx) = pair(Profile::Aes256CmHmacSha1_32, Policy::inbound());
    let mut tx = SrtpContext::new(Profile::Aes256CmHmacSha1_32, &[0x11; 32], &SALT, ptx).unwrap();
    let p = rtp(8, 77, 100);
    let mut b = BytesMut::from(&p[..]);
    tx.protect_rtp_bytes(&mut b).unwrap();
    assert_eq!(b.len(), p.len() + 4);
    rx.unprotect_rtp_bytes(&mut b).unwrap();
    assert_eq!(&b[..], &p[..]);
    let r = rtcp(8);
    let mut b = BytesMut::from(&r[..]);
    tx.protect_rtcp_bytes(&mut b).unwrap();
    assert_eq!(&b[..r.len()], &r[..], "E=0: body in the clear");
    assert_eq!(&b[r.len()..r.len() + 4], &[0, 0, 0, 1]);
    rx.unprotect_rtcp_bytes(&mut b).unwrap();
    assert_eq!(&b[..], &r[..]);
}

#[test]
fn sdes_keyed_contexts_interoperate_and_roc_can_be_read() {
    let offer = SdesCrypto::generate(1, Profile::AeadAes256Gcm);
    let line = format!("a=crypto:{offer}\r\n");
    let answer = SdesCrypto::parse(&line).unwrap();
    let mut tx = offer.context(Policy::outbound()).unwrap();
    let mut rx = answer.context(Policy::inbound()).unwrap();
    for seq in [65_534u16, 65_535, 0, 1] {
        let p = rtp(0xabc, seq, 20);
        assert_eq!(unprotect(&mut rx, &protect(&mut tx, &p)).unwrap(), p);
    }
    assert_eq!(rx.roc(0xabc), Some(1));
    assert_eq!(tx.roc(0xabc), Some(1));
    assert_eq!(rx.roc(0xdef), None);
    assert!(!format!("{tx:?}").contains("key:"));
}
