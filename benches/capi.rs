//! The cost of the C boundary: `voipsec_srtp_protect` through the C API
//! (pointer checks, panic guard, direction state) against the Rust call
//! `SrtpContext::protect_rtp`, in the same criterion group. Goal: ≤ 5 %.
//!
//! `cargo bench --features capi --bench capi -- --warm-up-time 1 --measurement-time 3`
//!
//! Both sides do the same work per iteration: write the next sequence number
//! into the packet header, then protect 12 + 160 bytes in place (the payload
//! is whatever the previous iteration left: encryption cost does not depend
//! on it).

use std::hint::black_box;
use std::ptr;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use voipsec::ffi::{
    VOIPSEC_SRTP_AEAD_AES_128_GCM, VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80,
    VOIPSEC_SRTP_MAX_TRAILER_LEN, voipsec_srtp_free, voipsec_srtp_new, voipsec_srtp_profile,
    voipsec_srtp_protect, voipsec_status,
};
use voipsec::srtp::{Policy, Profile, SrtpContext};

const PAYLOAD: usize = 160;
const LEN: usize = 12 + PAYLOAD;

fn packet() -> Vec<u8> {
    let mut p = vec![0x80, 0x00, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe];
    p.extend((0..PAYLOAD).map(|i| i as u8));
    p.resize(LEN + VOIPSEC_SRTP_MAX_TRAILER_LEN, 0);
    p
}

fn protect(c: &mut Criterion) {
    let mut group = c.benchmark_group("capi_srtp_protect_160B");
    group.throughput(Throughput::Elements(1));
    let profiles: [(&str, Profile, voipsec_srtp_profile); 2] = [
        (
            "AES_CM_128_HMAC_SHA1_80",
            Profile::Aes128CmHmacSha1_80,
            VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80,
        ),
        (
            "AEAD_AES_128_GCM",
            Profile::AeadAes128Gcm,
            VOIPSEC_SRTP_AEAD_AES_128_GCM,
        ),
    ];
    for (name, profile, c_profile) in profiles {
        let key: Vec<u8> = (0..profile.master_key_len() as u8).collect();
        let salt: Vec<u8> = (0..profile.master_salt_len() as u8).rev().collect();

        let mut rust = SrtpContext::new(profile, &key, &salt, Policy::outbound()).unwrap();
        let mut buf = packet();
        let mut seq: u16 = 0;
        group.bench_function(BenchmarkId::new("rust", name), |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                buf[2..4].copy_from_slice(&seq.to_be_bytes());
                black_box(rust.protect_rtp(black_box(&mut buf), LEN).unwrap())
            })
        });

        let mut ctx = ptr::null_mut();
        let status = voipsec_srtp_new(
            c_profile,
            key.as_ptr(),
            key.len(),
            salt.as_ptr(),
            salt.len(),
            &mut ctx,
        );
        assert_eq!(status, voipsec_status::VOIPSEC_OK);
        let mut buf = packet();
        let cap = buf.len();
        let mut seq: u16 = 0;
        let mut out_len = 0usize;
        group.bench_function(BenchmarkId::new("c_api", name), |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                buf[2..4].copy_from_slice(&seq.to_be_bytes());
                let status =
                    voipsec_srtp_protect(ctx, black_box(buf.as_mut_ptr()), LEN, cap, &mut out_len);
                debug_assert_eq!(status, voipsec_status::VOIPSEC_OK);
                black_box((status, out_len))
            })
        });
        voipsec_srtp_free(ctx);
    }
    group.finish();
}

criterion_group!(benches, protect);
criterion_main!(benches);
