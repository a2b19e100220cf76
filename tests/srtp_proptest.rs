//! Property tests: round trips for every profile, any single flipped bit is
//! rejected without changing state, arbitrary bytes never panic.

use proptest::prelude::*;
use voipsec::srtp::{Policy, Profile, SrtpContext};

fn profile() -> impl Strategy<Value = Profile> {
    (0..Profile::ALL.len()).prop_map(|i| Profile::ALL[i])
}

/// An RTP packet: CSRC count, optional extension, payload.
fn rtp_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..16,
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..3).prop_map(|w| w.len())),
        any::<u16>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..400),
        any::<u8>(),
    )
        .prop_map(|(cc, ext_words, seq, ssrc, payload, pt)| {
            let mut p = vec![0x80 | cc | if ext_words.is_some() { 0x10 } else { 0 }, pt];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&[1, 2, 3, 4]);
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend(std::iter::repeat_n(0xcc, 4 * usize::from(cc)));
            if let Some(w) = ext_words {
                p.extend_from_slice(&[0x10, 0x00, 0, w as u8]);
                p.extend(std::iter::repeat_n(0xee, 4 * w));
            }
            p.extend_from_slice(&payload);
            p
        })
}

fn contexts(profile: Profile, mki: bool, encrypt_rtcp: bool) -> (SrtpContext, SrtpContext) {
    let k = &[0x42; 32][..profile.master_key_len()];
    let s = &[0x24; 14][..profile.master_salt_len()];
    let make = |mut p: Policy| {
        p.encrypt_rtcp = encrypt_rtcp;
        if mki {
            SrtpContext::new_with_mki(profile, &[7, 7], k, s, p).unwrap()
        } else {
            SrtpContext::new(profile, k, s, p).unwrap()
        }
    };
    (make(Policy::outbound()), make(Policy::inbound()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn rtp_round_trip(profile in profile(), pkt in rtp_packet(), roc in any::<u32>(), mki in any::<bool>()) {
        let (mut tx, mut rx) = contexts(profile, mki, true);
        let ssrc = u32::from_be_bytes([pkt[8], pkt[9], pkt[10], pkt[11]]);
        let roc = roc >> 1; // leave room to advance
        tx.set_roc(ssrc, roc).unwrap();
        rx.set_roc(ssrc, roc).unwrap();
        let mut buf = pkt.clone();
        buf.resize(pkt.len() + tx.rtp_overhead(), 0);
        let n = tx.protect_rtp(&mut buf, pkt.len()).unwrap();
        prop_assert_eq!(n, pkt.len() + tx.rtp_overhead());
        let m = rx.unprotect_rtp(&mut buf[..n]).unwrap();
        prop_assert_eq!(&buf[..m], &pkt[..]);
        prop_assert_eq!(rx.roc(ssrc), Some(roc));
    }

    #[test]
    fn rtcp_round_trip(profile in profile(), body in proptest::collection::vec(any::<u8>(), 8..300), encrypt in any::<bool>(), mki in any::<bool>()) {
        let (mut tx, mut rx) = contexts(profile, mki, encrypt);
        let mut pkt = body.clone();
        pkt[0] = 0x80 | (pkt[0] & 0x3f);
        let mut buf = pkt.clone();
        buf.resize(pkt.len() + tx.rtcp_overhead(), 0);
        let n = tx.protect_rtcp(&mut buf, pkt.len()).unwrap();
        let m = rx.unprotect_rtcp(&mut buf[..n]).unwrap();
        prop_assert_eq!(&buf[..m], &pkt[..]);
    }

    #[test]
    fn one_flipped_bit_is_rejected(profile in profile(), pkt in rtp_packet(), bit in any::<prop::sample::Index>(), rtcp in any::<bool>()) {
        let (mut tx, mut rx) = contexts(profile, false, true);
        let mut pkt = pkt;
        if rtcp {
            pkt[1] = 200;
        }
        let mut buf = pkt.clone();
        buf.resize(pkt.len() + 40, 0);
        let n = if rtcp { tx.protect_rtcp(&mut buf, pkt.len()) } else { tx.protect_rtp(&mut buf, pkt.len()) }.unwrap();
        let good = buf[..n].to_vec();
        let bit = bit.index(n * 8);
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let r = if rtcp { rx.unprotect_rtcp(&mut bad) } else { rx.unprotect_rtp(&mut bad) };
        prop_assert!(r.is_err(), "bit {} accepted", bit);
        prop_assert_eq!(rx.stream_count(), 0);
        // The genuine packet still passes: nothing moved.
        let mut ok = good.clone();
        let m = if rtcp { rx.unprotect_rtcp(&mut ok) } else { rx.unprotect_rtp(&mut ok) }.unwrap();
        prop_assert_eq!(&ok[..m], &pkt[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(profile in profile(), data in proptest::collection::vec(any::<u8>(), 0..200), mki in any::<bool>()) {
        let (_, mut rx) = contexts(profile, mki, true);
        let mut a = data.clone();
        let _ = rx.unprotect_rtp(&mut a);
        let mut b = data.clone();
        let _ = rx.unprotect_rtcp(&mut b);
        prop_assert_eq!(rx.stream_count(), 0);
        let (mut tx, _) = contexts(profile, mki, true);
        let mut c = data.clone();
        let len = c.len();
        c.resize(len + 40, 0);
        let _ = tx.protect_rtp(&mut c, len);
        let _ = tx.protect_rtcp(&mut c, len);
        let _ = tx.protect_rtp(&mut c, len + 41);
    }
}
