//! Load-robust companion to `benches/srtp.rs`: interleaves voipsec and the
//! peers in one process and reports the BEST of 300 batches of 200 packets,
//! which filters out time stolen by other processes on a shared machine
//! (criterion's mean does not). Also prints the primitive floors (AES-CTR,
//! SHA-1 compressions) that bound the SHA1_80 cases.
//!
//! `cargo run --profile bench --example srtp_minbench [FILTER]` (only the
//! rows whose name contains FILTER).
use std::time::Instant;
use voipsec::srtp::{Policy, Profile, SrtpContext};

fn best<F: FnMut()>(name: &str, mut f: F) {
    if std::env::args()
        .nth(1)
        .is_some_and(|filter| !name.contains(&filter))
    {
        return;
    }
    let mut best = f64::MAX;
    for _ in 0..300 {
        let s = Instant::now();
        for _ in 0..200 {
            f();
        }
        best = best.min(s.elapsed().as_nanos() as f64 / 200.0);
    }
    println!("{name:40} {best:7.1} ns");
}

fn pkt(payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x60, 0, 1, 0, 0, 0, 160, 0xca, 0xfe, 0xba, 0xbe];
    p.extend((0..payload).map(|i| i as u8));
    p
}

fn main() {
    let key = [7u8; 16];
    for (profile, salt_len) in [
        (Profile::Aes128CmHmacSha1_80, 14usize),
        (Profile::AeadAes128Gcm, 12),
    ] {
        for payload in [160usize, 1200] {
            let salt = vec![9u8; salt_len];
            let p = pkt(payload);
            let mut ctx = SrtpContext::new(profile, &key, &salt, Policy::outbound()).unwrap();
            let mut buf = p.clone();
            buf.resize(p.len() + 16, 0);
            let mut seq = 0u16;
            best(&format!("{profile:?} {payload} voipsec protect"), || {
                seq = seq.wrapping_add(1);
                buf[2..4].copy_from_slice(&seq.to_be_bytes());
                std::hint::black_box(ctx.protect_rtp(&mut buf, p.len()).unwrap());
            });
            // unprotect: ring of 512 protected packets, copy + unprotect
            let mut txu = SrtpContext::new(profile, &key, &salt, Policy::outbound()).unwrap();
            let prot: Vec<Vec<u8>> = (0..512u16)
                .map(|s| {
                    let mut b = p.clone();
                    b[2..4].copy_from_slice(&s.to_be_bytes());
                    let l = b.len();
                    b.resize(l + 16, 0);
                    let n = txu.protect_rtp(&mut b, l).unwrap();
                    b.truncate(n);
                    b
                })
                .collect();
            let mut rxu = SrtpContext::new(profile, &key, &salt, Policy::inbound()).unwrap();
            let mut i = 0usize;
            let mut ub = vec![0u8; p.len() + 16];
            best(&format!("{profile:?} {payload} voipsec unprotect"), || {
                if i == 512 {
                    i = 0;
                    rxu.remove_stream(0xcafebabe);
                }
                let q = &prot[i];
                i += 1;
                ub[..q.len()].copy_from_slice(q);
                std::hint::black_box(rxu.unprotect_rtp(&mut ub[..q.len()]).unwrap());
            });
            let wp = if profile.is_aead() {
                webrtc_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm
            } else {
                webrtc_srtp::protection_profile::ProtectionProfile::Aes128CmHmacSha1_80
            };
            let mut w = webrtc_srtp::context::Context::new(&key, &salt, wp, None, None).unwrap();
            let mut q = p.clone();
            best(&format!("{profile:?} {payload} webrtc protect"), || {
                seq = seq.wrapping_add(1);
                q[2..4].copy_from_slice(&seq.to_be_bytes());
                std::hint::black_box(w.encrypt_rtp(&q).unwrap());
            });
            let rp = if profile.is_aead() {
                rtc_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm
            } else {
                rtc_srtp::protection_profile::ProtectionProfile::Aes128CmHmacSha1_80
            };
            let prov = rtc_srtp::crypto::default_provider().unwrap();
            let mut r = rtc_srtp::context::Context::new(&key, &salt, rp, None, None, prov.crypto())
                .unwrap();
            best(&format!("{profile:?} {payload} rtc protect"), || {
                seq = seq.wrapping_add(1);
                q[2..4].copy_from_slice(&seq.to_be_bytes());
                std::hint::black_box(r.encrypt_rtp(&q).unwrap());
            });
            let mut r2 =
                rtc_srtp::context::Context::new(&key, &salt, rp, None, None, prov.crypto())
                    .unwrap();
            let mut w2 = webrtc_srtp::context::Context::new(&key, &salt, wp, None, None).unwrap();
            best(&format!("{profile:?} {payload} webrtc unprotect"), || {
                i = (i + 1) % 512;
                std::hint::black_box(w2.decrypt_rtp(&prot[i]).unwrap());
            });
            best(&format!("{profile:?} {payload} rtc unprotect"), || {
                i = (i + 1) % 512;
                std::hint::black_box(r2.decrypt_rtp(&prot[i]).unwrap());
            });
            if profile.is_aead() {
                use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
                let k = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
                let (hdr, body) = buf.split_at_mut(12);
                let body = &mut body[..payload];
                best(
                    &format!("  floor: ring AES-128-GCM seal {payload} B"),
                    || {
                        let n = Nonce::assume_unique_for_key([1u8; 12]);
                        let t = k.seal_in_place_separate_tag(n, Aad::from(&hdr[..]), body);
                        let _ = std::hint::black_box(t.unwrap());
                    },
                );
                // Open exactly as the unprotect rows do: copy one of 512
                // whole packets (header || payload || tag, so the same
                // cache footprint) into `ub`, then open its payload in place.
                let sealed: Vec<Vec<u8>> = (0..512u16)
                    .map(|s| {
                        let mut q = p.clone();
                        q[2..4].copy_from_slice(&s.to_be_bytes());
                        let (h, b) = q.split_at_mut(12);
                        let n = Nonce::assume_unique_for_key([1u8; 12]);
                        let tag = k.seal_in_place_separate_tag(n, Aad::from(&h[..]), b);
                        q.extend_from_slice(tag.unwrap().as_ref());
                        q
                    })
                    .collect();
                let mut j = 0usize;
                best(
                    &format!("  floor: ring AES-128-GCM open {payload} B"),
                    || {
                        j = (j + 1) % 512;
                        let q = &sealed[j];
                        ub[..q.len()].copy_from_slice(q);
                        let (h, rest) = ub.split_at_mut(12);
                        let (b, t) = rest.split_at_mut(payload);
                        let tag = Tag::try_from(&t[..16]).unwrap();
                        let n = Nonce::assume_unique_for_key([1u8; 12]);
                        let r = k.open_in_place_separate_tag(n, Aad::from(&h[..]), tag, b, 0..);
                        let _ = std::hint::black_box(r.unwrap());
                    },
                );
            } else {
                let iv = [3u8; 16];
                {
                    use ctr09::cipher::{InnerIvInit as _, KeyInit as _, StreamCipher as _};
                    let a8 = aes08::Aes128::new(&key.into());
                    best(&format!("  floor: AES-128-CTR {payload} B"), || {
                        let mut c = ctr09::Ctr128BE::<&aes08::Aes128>::from_core(
                            ctr09::CtrCore::inner_iv_init(&a8, &iv.into()),
                        );
                        c.apply_keystream(&mut buf[12..12 + payload]);
                        std::hint::black_box(&buf);
                    });
                }
                let nblocks = (payload + 12 + 4 + 9).div_ceil(64) + 1;
                let blocks = vec![[5u8; 64]; nblocks];
                best(&format!("  floor: SHA-1 x{nblocks} blocks (HMAC)"), || {
                    let mut st = [1u32, 2, 3, 4, 5];
                    sha1::block_api::compress(&mut st, &blocks);
                    std::hint::black_box(st);
                });
            }
        }
    }
}
