//! The cost of the C boundary: `voipsec_srtp_protect` through the C API
//! (pointer checks, panic guard, direction state) against the Rust call
//! `SrtpContext::protect_rtp`, in the same criterion group. Goal: ≤ 5 %.
//!
//! `cargo bench --features capi --bench capi -- --warm-up-time 1 --measurement-time 3`
//!
//! Both sides do the same work per packet: write the next sequence number
//! into the header, then protect 12 + 160 bytes in place (the payload is
//! whatever the previous packet left: encryption cost does not depend on it).
//!
//! The two sides are measured *interleaved*: every sample runs blocks of 64
//! packets through Rust and 64 through the C API, alternately (who goes
//! first alternates too), and each
//! benchmark reports the time of its own blocks only. Both see the same
//! machine load, so on a busy shared machine the ratio still compares the
//! code, where two sequential measurements would mostly compare the load.
//! Compare the medians (`target/criterion/capi_srtp_protect_160B/*/new/
//! estimates.json`): preemptions make the means noisy.

use std::hint::black_box;
use std::ptr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use voipsec::ffi::{
    VOIPSEC_SRTP_AEAD_AES_128_GCM, VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80,
    VOIPSEC_SRTP_MAX_TRAILER_LEN, voipsec_srtp, voipsec_srtp_free, voipsec_srtp_new,
    voipsec_srtp_profile, voipsec_srtp_protect, voipsec_status,
};
use voipsec::srtp::{Policy, Profile, SrtpContext};

const PAYLOAD: usize = 160;
const LEN: usize = 12 + PAYLOAD;
const BLOCK: u64 = 64;

fn packet() -> Vec<u8> {
    let mut p = vec![0x80, 0x00, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe];
    p.extend((0..PAYLOAD).map(|i| i as u8));
    p.resize(LEN + VOIPSEC_SRTP_MAX_TRAILER_LEN, 0);
    p
}

/// One sending context per side, each with its own packet buffer.
struct Pair {
    rust: SrtpContext,
    rust_buf: Vec<u8>,
    rust_seq: u16,
    c: *mut voipsec_srtp,
    c_buf: Vec<u8>,
    c_seq: u16,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Rust,
    CApi,
}

impl Pair {
    fn new(profile: Profile, c_profile: voipsec_srtp_profile) -> Pair {
        let key: Vec<u8> = (0..profile.master_key_len() as u8).collect();
        let salt: Vec<u8> = (0..profile.master_salt_len() as u8).rev().collect();
        let rust = SrtpContext::new(profile, &key, &salt, Policy::outbound()).unwrap();
        let mut c = ptr::null_mut();
        let status = voipsec_srtp_new(
            c_profile,
            key.as_ptr(),
            key.len(),
            salt.as_ptr(),
            salt.len(),
            &mut c,
        );
        assert_eq!(status, voipsec_status::VOIPSEC_OK);
        Pair {
            rust,
            rust_buf: packet(),
            rust_seq: 0,
            c,
            c_buf: packet(),
            c_seq: 0,
        }
    }

    fn rust_block(&mut self, n: u64) {
        for _ in 0..n {
            self.rust_seq = self.rust_seq.wrapping_add(1);
            self.rust_buf[2..4].copy_from_slice(&self.rust_seq.to_be_bytes());
            black_box(
                self.rust
                    .protect_rtp(black_box(&mut self.rust_buf), LEN)
                    .unwrap(),
            );
        }
    }

    fn c_block(&mut self, n: u64) {
        let cap = self.c_buf.len();
        let mut out_len = 0usize;
        for _ in 0..n {
            self.c_seq = self.c_seq.wrapping_add(1);
            self.c_buf[2..4].copy_from_slice(&self.c_seq.to_be_bytes());
            let status = voipsec_srtp_protect(
                self.c,
                black_box(self.c_buf.as_mut_ptr()),
                LEN,
                cap,
                &mut out_len,
            );
            assert!(status == voipsec_status::VOIPSEC_OK);
            black_box(out_len);
        }
    }

    /// Runs `iters` packets on each side, interleaved; returns `side`'s time.
    fn measure(&mut self, iters: u64, side: Side) -> Duration {
        let (mut mine, mut left, mut rust_first) = (Duration::ZERO, iters, true);
        while left > 0 {
            let n = left.min(BLOCK);
            let (rust, c) = if rust_first {
                let rust = self.timed(n, Side::Rust);
                (rust, self.timed(n, Side::CApi))
            } else {
                let c = self.timed(n, Side::CApi);
                (self.timed(n, Side::Rust), c)
            };
            // Alternate who goes first, so neither side always runs on the
            // caches the other just warmed (or cooled).
            rust_first = !rust_first;
            mine += if side == Side::Rust { rust } else { c };
            left -= n;
        }
        mine
    }

    fn timed(&mut self, n: u64, side: Side) -> Duration {
        let start = Instant::now();
        match side {
            Side::Rust => self.rust_block(n),
            Side::CApi => self.c_block(n),
        }
        start.elapsed()
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        voipsec_srtp_free(self.c);
    }
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
        let mut pair = Pair::new(profile, c_profile);
        group.bench_function(BenchmarkId::new("rust", name), |b| {
            b.iter_custom(|iters| pair.measure(iters, Side::Rust))
        });
        group.bench_function(BenchmarkId::new("c_api", name), |b| {
            b.iter_custom(|iters| pair.measure(iters, Side::CApi))
        });
    }
    group.finish();
}

criterion_group!(benches, protect);
criterion_main!(benches);
