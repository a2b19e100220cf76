//! Fuzz body: arbitrary bytes as SRTP packets against a fixed key.
//!
//! Byte 0 picks the profile (low nibble, mod 10) and whether the context
//! uses a 4-byte MKI (bit 4); the rest is the packet. The key is libsrtp's
//! `test_key` (`test_key_gcm` for GCM), so libsrtp's validation packets are
//! valid inputs and reach the decrypt path. Invariants: no panic; a
//! successful unprotect returns at most the input length and creates exactly
//! one stream; the same bytes again are rejected (replay); and the bytes as
//! plaintext RTP round-trip through protect/unprotect.

use voipsec::srtp::{Policy, Profile, SrtpContext};

const TEST_KEY: [u8; 30] = [
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
    0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
];
const TEST_KEY_GCM: [u8; 28] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
];
const MKI: [u8; 4] = [0xe1, 0xf9, 0x7a, 0x0d];

/// The context pair the fuzz bodies share; `None` for a wrong key length
/// (cannot happen with the table above).
pub fn contexts(selector: u8) -> Option<(SrtpContext, SrtpContext)> {
    let profile = Profile::ALL[usize::from(selector & 0x0f) % Profile::ALL.len()];
    let (kl, sl) = (profile.master_key_len(), profile.master_salt_len());
    let mut material = [0u8; 46];
    if profile.is_aead() {
        material[..28].copy_from_slice(&TEST_KEY_GCM);
    } else {
        material[..30].copy_from_slice(&TEST_KEY);
        // AES-192/256 master keys extend test_key with a fixed pattern.
        for (i, b) in material[30..].iter_mut().enumerate() {
            *b = i as u8;
        }
    }
    let (key, salt) = (&material[..kl], &material[kl..kl + sl]);
    let make = |policy: Policy| {
        if selector & 0x10 != 0 {
            SrtpContext::new_with_mki(profile, &MKI, key, salt, policy).ok()
        } else {
            SrtpContext::new(profile, key, salt, policy).ok()
        }
    };
    Some((make(Policy::outbound())?, make(Policy::inbound())?))
}

pub fn run(data: &[u8]) {
    let Some((&selector, packet)) = data.split_first() else {
        return;
    };
    let Some((mut tx, mut rx)) = contexts(selector) else {
        return;
    };

    let mut buf = packet.to_vec();
    if let Ok(n) = rx.unprotect_rtp(&mut buf) {
        assert!(n <= packet.len());
        assert_eq!(rx.stream_count(), 1);
        let mut again = packet.to_vec();
        assert!(rx.unprotect_rtp(&mut again).is_err(), "replay accepted");
    } else {
        assert_eq!(rx.stream_count(), 0, "failed packet created a stream");
    }

    // The same bytes as plaintext RTP: protect, then unprotect with a fresh
    // receiver, must give them back.
    let Some((_, mut rx2)) = contexts(selector) else {
        return;
    };
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + tx.rtp_overhead(), 0);
    if let Ok(n) = tx.protect_rtp(&mut buf, packet.len()) {
        let m = rx2
            .unprotect_rtp(&mut buf[..n])
            .expect("own packet must verify");
        assert_eq!(&buf[..m], packet);
    }
}
