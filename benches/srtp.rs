//! SRTP protect/unprotect, ns per packet, with the fastest Rust peers
//! (webrtc-srtp 0.17, rtc-srtp 0.21) in the same criterion group.
//!
//! `cargo bench --bench srtp -- --warm-up-time 1 --measurement-time 3`
//!
//! Every implementation gets the same packets. voipsec works in place:
//! protect runs on the buffer that holds the packet (what a sender does).
//! Unprotect starts, for every implementation alike, by copying the next
//! protected packet into a receive buffer: the copy stands in for `recv`,
//! which writes each packet into the receiver's buffer (and voipsec needs
//! fresh ciphertext each round, as it decrypts in place). voipsec then
//! decrypts that buffer in place; the peers take it as a slice and return a
//! freshly allocated copy. Peers run without replay protection (their
//! default); voipsec always checks and updates its replay window.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use voipsec::srtp::{Policy, Profile, SrtpContext};

const SSRC: u32 = 0xcafe_babe;
/// Distinct protected packets cycled through by the unprotect benches.
const RING: usize = 512;

fn master(profile: Profile) -> (Vec<u8>, Vec<u8>) {
    let key: Vec<u8> = (0..profile.master_key_len() as u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let salt: Vec<u8> = (0..profile.master_salt_len() as u8)
        .map(|i| i.wrapping_mul(91).wrapping_add(5))
        .collect();
    (key, salt)
}

fn rtp_packet(seq: u16, payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend((0..payload).map(|i| i as u8));
    p
}

fn peer_profiles(
    profile: Profile,
) -> (
    webrtc_srtp::protection_profile::ProtectionProfile,
    rtc_srtp::protection_profile::ProtectionProfile,
) {
    match profile {
        Profile::AeadAes128Gcm => (
            webrtc_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm,
            rtc_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm,
        ),
        _ => (
            webrtc_srtp::protection_profile::ProtectionProfile::Aes128CmHmacSha1_80,
            rtc_srtp::protection_profile::ProtectionProfile::Aes128CmHmacSha1_80,
        ),
    }
}

fn webrtc_ctx(profile: Profile) -> webrtc_srtp::context::Context {
    let (key, salt) = master(profile);
    webrtc_srtp::context::Context::new(&key, &salt, peer_profiles(profile).0, None, None)
        .expect("webrtc-srtp context")
}

fn rtc_ctx(profile: Profile) -> rtc_srtp::context::Context {
    let (key, salt) = master(profile);
    let provider = rtc_srtp::crypto::default_provider().expect("rtc-crypto provider");
    rtc_srtp::context::Context::new(
        &key,
        &salt,
        peer_profiles(profile).1,
        None,
        None,
        provider.crypto(),
    )
    .expect("rtc-srtp context")
}

fn ours(profile: Profile, policy: Policy) -> SrtpContext {
    let (key, salt) = master(profile);
    SrtpContext::new(profile, &key, &salt, policy).expect("voipsec context")
}

/// The floor issue 4 names for `AES_CM_128_HMAC_SHA1_80`: the two
/// primitives alone, keyed in advance — AES-128-CTR (the same `aes`/`ctr`
/// crates voipsec uses) over the payload, and the SHA-1 compressions
/// HMAC-SHA1 needs once its pads are precomputed (header, payload and ROC
/// with padding, then one outer block). No header parsing, index estimation,
/// replay window, tag compare or stream state: what no SRTP implementation
/// on these crates can go below. `packet` is a 12-byte header and payload.
fn primitive_floor(cipher: &aes08::Aes128, packet: &mut [u8]) -> u32 {
    use ctr09::cipher::{InnerIvInit, StreamCipher};
    let iv = [0x5au8; 16];
    let mut keystream = ctr09::Ctr128BE::<&aes08::Aes128>::from_core(
        ctr09::CtrCore::inner_iv_init(cipher, (&iv).into()),
    );
    keystream.apply_keystream(&mut packet[12..]);
    let mut inner = [
        0x6745_2301u32,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let (blocks, rest) = packet.as_chunks::<64>();
    sha1::block_api::compress(&mut inner, blocks);
    // The tail, the 4-byte ROC and the padding: one block, or two when
    // they do not fit (the length field needs 8 bytes after the 0x80).
    let mut tail = [[0u8; 64]; 2];
    let tail_len = rest.len() + 4;
    tail.as_flattened_mut()[..rest.len()].copy_from_slice(rest);
    tail.as_flattened_mut()[tail_len] = 0x80;
    let tail_blocks = if tail_len + 9 <= 64 { 1 } else { 2 };
    sha1::block_api::compress(&mut inner, &tail[..tail_blocks]);
    let mut outer_block = [0u8; 64];
    for (chunk, word) in outer_block.chunks_exact_mut(4).zip(inner) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    let mut outer = inner;
    sha1::block_api::compress(&mut outer, &[outer_block]);
    outer[0]
}

/// The receive side of the unprotect rows: cycles through the protected
/// packets and copies each into one receive buffer, standing in for `recv`
/// (every implementation, and the floor, pays the same copy).
struct Receiver<'a> {
    ring: &'a [Vec<u8>],
    buf: Vec<u8>,
    next: usize,
}

impl<'a> Receiver<'a> {
    fn new(ring: &'a [Vec<u8>]) -> Self {
        let len = ring.iter().map(Vec::len).max().unwrap_or(0);
        Self {
            ring,
            buf: vec![0; len],
            next: 0,
        }
    }

    /// Copies the next packet into the buffer; returns it, and whether the
    /// ring just started over.
    fn receive(&mut self) -> (&mut [u8], bool) {
        let restarted = self.next == self.ring.len();
        if restarted {
            self.next = 0;
        }
        let packet = &self.ring[self.next];
        self.next += 1;
        let received = &mut self.buf[..packet.len()];
        received.copy_from_slice(packet);
        (received, restarted)
    }
}

fn bench(c: &mut Criterion) {
    for profile in [Profile::Aes128CmHmacSha1_80, Profile::AeadAes128Gcm] {
        for payload in [160usize, 1200] {
            let plain: Vec<Vec<u8>> = (0..RING as u16).map(|s| rtp_packet(s, payload)).collect();
            // Protected once by voipsec; checked equal to both peers' output.
            let mut tx = ours(profile, Policy::outbound());
            let protected: Vec<Vec<u8>> = plain
                .iter()
                .map(|p| {
                    let mut b = p.clone();
                    b.resize(p.len() + 16, 0);
                    let n = tx.protect_rtp(&mut b, p.len()).expect("protect");
                    b.truncate(n);
                    b
                })
                .collect();
            let w = webrtc_ctx(profile)
                .encrypt_rtp(&plain[0])
                .expect("webrtc encrypt");
            let r = rtc_ctx(profile)
                .encrypt_rtp(&plain[0])
                .expect("rtc encrypt");
            assert_eq!(&w[..], &protected[0][..], "webrtc-srtp disagrees");
            assert_eq!(&r[..], &protected[0][..], "rtc-srtp disagrees");

            let name = format!("srtp/{}/{}B", profile.sdes_name(), payload);
            let mut g = c.benchmark_group(name);
            g.throughput(Throughput::Elements(1));

            if profile == Profile::Aes128CmHmacSha1_80 {
                use aes08::cipher::KeyInit;
                let cipher = aes08::Aes128::new(&[0x2bu8; 16].into());
                let mut pkt = plain[0].clone();
                // Beside each direction (the report pairs by id): protect's
                // floor works on the packet in place, as protect does;
                // unprotect's first copies the next protected packet into the
                // receive buffer, as every unprotect row below does, so the
                // two sides of that ratio carry the same harness copy.
                g.bench_function(BenchmarkId::new("protect", "floor"), |b| {
                    b.iter(|| primitive_floor(&cipher, black_box(&mut pkt)))
                });
                let mut rx = Receiver::new(&protected);
                let plain_len = plain[0].len();
                g.bench_function(BenchmarkId::new("unprotect", "floor"), |b| {
                    b.iter(|| {
                        let (packet, _) = rx.receive();
                        primitive_floor(&cipher, black_box(&mut packet[..plain_len]))
                    })
                });
            }

            // ---- protect ----
            {
                let mut ctx = ours(profile, Policy::outbound());
                let base = &plain[0];
                let mut buf = base.clone();
                buf.resize(base.len() + 16, 0);
                let mut seq = 0u16;
                g.bench_function(BenchmarkId::new("protect", "voipsec"), |b| {
                    b.iter(|| {
                        // In place, as the API is meant to be used: the packet
                        // is already in the buffer (last round's ciphertext
                        // costs the same to encrypt as fresh plaintext).
                        seq = seq.wrapping_add(1);
                        buf[2..4].copy_from_slice(&seq.to_be_bytes());
                        black_box(ctx.protect_rtp(&mut buf, base.len()).expect("protect"))
                    })
                });
            }
            {
                let mut ctx = webrtc_ctx(profile);
                let mut pkt = plain[0].clone();
                let mut seq = 0u16;
                g.bench_function(BenchmarkId::new("protect", "webrtc-srtp"), |b| {
                    b.iter(|| {
                        seq = seq.wrapping_add(1);
                        pkt[2..4].copy_from_slice(&seq.to_be_bytes());
                        black_box(ctx.encrypt_rtp(&pkt).expect("encrypt"))
                    })
                });
            }
            {
                let mut ctx = rtc_ctx(profile);
                let mut pkt = plain[0].clone();
                let mut seq = 0u16;
                g.bench_function(BenchmarkId::new("protect", "rtc-srtp"), |b| {
                    b.iter(|| {
                        seq = seq.wrapping_add(1);
                        pkt[2..4].copy_from_slice(&seq.to_be_bytes());
                        black_box(ctx.encrypt_rtp(&pkt).expect("encrypt"))
                    })
                });
            }

            // ---- unprotect ----
            {
                let mut ctx = ours(profile, Policy::inbound());
                let mut rx = Receiver::new(&protected);
                g.bench_function(BenchmarkId::new("unprotect", "voipsec"), |b| {
                    b.iter(|| {
                        let (packet, restarted) = rx.receive();
                        if restarted {
                            // Start the stream over so the ring is not a replay
                            // (one stream creation per RING packets).
                            ctx.remove_stream(SSRC);
                        }
                        black_box(ctx.unprotect_rtp(packet).expect("unprotect"))
                    })
                });
            }
            {
                let mut ctx = webrtc_ctx(profile);
                let mut rx = Receiver::new(&protected);
                g.bench_function(BenchmarkId::new("unprotect", "webrtc-srtp"), |b| {
                    b.iter(|| {
                        let (packet, _) = rx.receive();
                        black_box(ctx.decrypt_rtp(packet).expect("decrypt"))
                    })
                });
            }
            {
                let mut ctx = rtc_ctx(profile);
                let mut rx = Receiver::new(&protected);
                g.bench_function(BenchmarkId::new("unprotect", "rtc-srtp"), |b| {
                    b.iter(|| {
                        let (packet, _) = rx.receive();
                        black_box(ctx.decrypt_rtp(packet).expect("decrypt"))
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
