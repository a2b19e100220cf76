//! SRTP under junk, for `scripts/load-test`: random packets with random
//! SSRCs into an inbound [`SrtpContext`] must not create state.
//!
//! ```text
//! cargo run --release --example load_srtp -- --packets 1000000
//! ```
//!
//! For each profile (AES-CM + HMAC-SHA1-80, AES-128-GCM), one receiving
//! context gets `--packets` junk datagrams (RTP-shaped headers with random
//! SSRC, sequence number and payload; one in ten sent to the SRTCP path),
//! with one legitimate stream's packets interleaved (one per thousand). It
//! checks that no junk packet is accepted, every legitimate packet is, the
//! context tracks exactly the legitimate stream at the end, and the
//! process's resident memory does not grow past warm-up. Then a peer that
//! holds the key sends authenticated packets from `--ssrcs` distinct SSRCs:
//! the context stops at its `max_streams` bound. One JSON line per profile
//! on stdout; exit status 1 if any check fails.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::process::ExitCode;

use voipsec::srtp::{Error, Policy, Profile, SrtpContext};

const USAGE: &str = "usage: load_srtp [--packets N] [--ssrcs N]";

/// Growth of the resident set allowed after warm-up (allocator noise).
const RSS_SLACK_KIB: u64 = 1024;

/// The legitimate stream's SSRC.
const LEGIT_SSRC: u32 = 0x600d_5eed;

/// Resident set size of this process, in KiB (Linux `/proc`).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// An RTP header (RFC 3550 §5.1) and `payload` bytes into `out`.
fn rtp(out: &mut Vec<u8>, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) {
    out.clear();
    out.extend_from_slice(&[0x80, 0x00]);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

struct Outcome {
    junk: u64,
    junk_accepted: u64,
    /// Junk that reached the authentication tag check and failed it (the
    /// rest failed earlier: too short for a tag, not RTP version 2…).
    junk_auth_failed: u64,
    legit: u64,
    legit_failed: u64,
    max_streams_seen: usize,
    streams_after_junk: usize,
    rss_warm_kib: u64,
    rss_end_kib: u64,
    keyed_ssrcs: u64,
    keyed_streams: usize,
    too_many_streams: u64,
    max_streams: usize,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.junk_accepted == 0
            && self.legit_failed == 0
            && self.streams_after_junk == 1
            && self.max_streams_seen <= 1
            && self.rss_end_kib <= self.rss_warm_kib + RSS_SLACK_KIB
            && self.keyed_streams <= self.max_streams
    }
}

fn flood(profile: Profile, salt_len: usize, packets: u64, ssrcs: u64) -> Result<Outcome, Error> {
    let key = [0x2b; 16];
    let salt = vec![0x5a; salt_len];
    let mut sender = SrtpContext::new(profile, &key, &salt, Policy::outbound())?;
    let mut receiver = SrtpContext::new(profile, &key, &salt, Policy::inbound())?;
    let max_streams = receiver.policy().max_streams;
    let mut rng = StdRng::seed_from_u64(0x00dd_ba11 ^ packets);
    let mut buf = Vec::with_capacity(2048);
    let mut outcome = Outcome {
        junk: 0,
        junk_accepted: 0,
        junk_auth_failed: 0,
        legit: 0,
        legit_failed: 0,
        max_streams_seen: 0,
        streams_after_junk: 0,
        rss_warm_kib: 0,
        rss_end_kib: 0,
        keyed_ssrcs: 0,
        keyed_streams: 0,
        too_many_streams: 0,
        max_streams,
    };
    let warm_up = (packets / 100).clamp(1, 10_000);
    let mut legit_seq: u16 = 1;
    for n in 0..packets {
        if n == warm_up {
            outcome.rss_warm_kib = rss_kib();
        }
        if n.is_multiple_of(1000) {
            // A legitimate packet, protected by the real sender.
            rtp(
                &mut buf,
                legit_seq,
                u32::from(legit_seq) * 160,
                LEGIT_SSRC,
                &[0xd5; 160],
            );
            legit_seq = legit_seq.wrapping_add(1);
            let len = buf.len();
            buf.resize(len + sender.rtp_overhead(), 0);
            let protected = sender.protect_rtp(&mut buf, len)?;
            buf.truncate(protected);
            outcome.legit += 1;
            if receiver.unprotect_rtp(&mut buf).is_err() {
                outcome.legit_failed += 1;
            }
        }
        let bits = rng.random::<u64>();
        let payload_len = (bits % 220) as usize;
        let mut payload = [0u8; 256];
        for chunk in payload.chunks_mut(8).take(payload_len / 8 + 1) {
            let word = rng.random::<u64>().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        let ssrc = (bits >> 32) as u32;
        rtp(
            &mut buf,
            (bits >> 8) as u16,
            (bits >> 24) as u32,
            ssrc,
            payload.get(..payload_len).unwrap_or(&[]),
        );
        outcome.junk += 1;
        let verdict = if bits.is_multiple_of(10) {
            // SRTCP: a sender report header shape (PT 200) over the junk.
            if let Some(pt) = buf.get_mut(1) {
                *pt = 200;
            }
            receiver.unprotect_rtcp(&mut buf)
        } else {
            receiver.unprotect_rtp(&mut buf)
        };
        match verdict {
            Ok(_) => outcome.junk_accepted += 1,
            Err(Error::AuthenticationFailed) => outcome.junk_auth_failed += 1,
            Err(_) => {}
        }
        outcome.max_streams_seen = outcome.max_streams_seen.max(receiver.stream_count());
    }
    outcome.streams_after_junk = receiver.stream_count();
    outcome.rss_end_kib = rss_kib();
    // A peer holding the key opens stream after stream.
    for ssrc in 0..ssrcs {
        let ssrc = 0x1000_0000 + ssrc as u32;
        let mut tx = SrtpContext::new(profile, &key, &salt, Policy::outbound())?;
        rtp(&mut buf, 1, 160, ssrc, &[0x11; 20]);
        let len = buf.len();
        buf.resize(len + tx.rtp_overhead(), 0);
        let protected = tx.protect_rtp(&mut buf, len)?;
        buf.truncate(protected);
        outcome.keyed_ssrcs += 1;
        if let Err(Error::TooManyStreams(_)) = receiver.unprotect_rtp(&mut buf) {
            outcome.too_many_streams += 1;
        }
    }
    outcome.keyed_streams = receiver.stream_count();
    Ok(outcome)
}

fn run() -> Result<bool, String> {
    let (mut packets, mut ssrcs) = (1_000_000u64, 5_000u64);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: u64 = args
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a number\n{USAGE}"))?;
        match flag.as_str() {
            "--packets" => packets = value,
            "--ssrcs" => ssrcs = value,
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    let mut all_ok = true;
    for (name, profile, salt_len) in [
        ("AES_CM_128_HMAC_SHA1_80", Profile::Aes128CmHmacSha1_80, 14),
        ("AEAD_AES_128_GCM", Profile::AeadAes128Gcm, 12),
    ] {
        let start = std::time::Instant::now();
        let o = flood(profile, salt_len, packets, ssrcs).map_err(|e| format!("{name}: {e}"))?;
        let ok = o.ok();
        all_ok &= ok;
        println!(
            "{{\"profile\":\"{name}\",\"junk\":{},\"junk_accepted\":{},\"junk_auth_failed\":{},\"legit\":{},\
             \"legit_failed\":{},\"max_streams_seen\":{},\"streams_after_junk\":{},\
             \"rss_warm_kib\":{},\"rss_end_kib\":{},\"keyed_ssrcs\":{},\"keyed_streams\":{},\
             \"too_many_streams\":{},\"max_streams\":{},\"elapsed_ms\":{},\"ok\":{ok}}}",
            o.junk,
            o.junk_accepted,
            o.junk_auth_failed,
            o.legit,
            o.legit_failed,
            o.max_streams_seen,
            o.streams_after_junk,
            o.rss_warm_kib,
            o.rss_end_kib,
            o.keyed_ssrcs,
            o.keyed_streams,
            o.too_many_streams,
            o.max_streams,
            start.elapsed().as_millis()
        );
    }
    Ok(all_ok)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load_srtp: {e}");
            ExitCode::FAILURE
        }
    }
}
