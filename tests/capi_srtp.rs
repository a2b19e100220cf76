//! The SRTP C entry points, called as C would call them: NULL pointers,
//! short buffers, invalid profiles, `_free(NULL)`, direction state, the
//! distinct failure statuses, and byte-identity with the Rust API.
#![cfg(feature = "capi")]

use std::ptr;
use voipsec::ffi::*;
use voipsec::srtp::{Policy, Profile, SrtpContext};

const KEY: [u8; 16] = [0x11; 16];
const SALT: [u8; 14] = [0x22; 14];
use voipsec_status::*;

#[path = "support/rtp.rs"]
mod rtp;
use rtp::{rtcp, rtp};

/// Owns a context for the test's duration.
struct Ctx(*mut voipsec_srtp);

impl Drop for Ctx {
    fn drop(&mut self) {
        voipsec_srtp_free(self.0);
    }
}

fn new_ctx(profile: voipsec_srtp_profile, key: &[u8], salt: &[u8]) -> Ctx {
    let mut out = ptr::null_mut();
    let status = voipsec_srtp_new(
        profile,
        key.as_ptr(),
        key.len(),
        salt.as_ptr(),
        salt.len(),
        &mut out,
    );
    assert_eq!(status, VOIPSEC_OK);
    assert!(!out.is_null());
    Ctx(out)
}

type Op = extern "C" fn(*mut voipsec_srtp, *mut u8, usize, usize, *mut usize) -> voipsec_status;

/// Runs `op` on a copy of `pkt` with room for any trailer.
fn run(op: Op, ctx: &Ctx, pkt: &[u8]) -> Result<Vec<u8>, voipsec_status> {
    let mut buf = pkt.to_vec();
    buf.resize(pkt.len() + VOIPSEC_SRTP_MAX_TRAILER_LEN, 0);
    let mut out_len = 0;
    match op(ctx.0, buf.as_mut_ptr(), pkt.len(), buf.len(), &mut out_len) {
        VOIPSEC_OK => {
            buf.truncate(out_len);
            Ok(buf)
        }
        status => Err(status),
    }
}

fn c_profile(p: Profile) -> voipsec_srtp_profile {
    let index = Profile::ALL.iter().position(|q| *q == p).expect("listed");
    VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80 + index as u32
}

#[test]
fn every_profile_round_trips_and_matches_the_rust_api_byte_for_byte() {
    for profile in Profile::ALL {
        let key: Vec<u8> = (0..profile.master_key_len() as u8).collect();
        let salt: Vec<u8> = (100..100 + profile.master_salt_len() as u8).collect();
        let tx = new_ctx(c_profile(profile), &key, &salt);
        let rx = new_ctx(c_profile(profile), &key, &salt);
        let mut rust_tx = SrtpContext::new(profile, &key, &salt, Policy::outbound()).unwrap();
        for seq in [1u16, 2, 3, 65535, 0] {
            let pkt = rtp(0xdead_beef, seq, 160);
            let protected = run(voipsec_srtp_protect, &tx, &pkt).unwrap();
            let mut expected = pkt.clone();
            expected.resize(pkt.len() + rust_tx.rtp_overhead(), 0);
            let n = rust_tx.protect_rtp(&mut expected, pkt.len()).unwrap();
            expected.truncate(n);
            assert_eq!(protected, expected, "{profile:?} seq {seq}");
            assert_eq!(run(voipsec_srtp_unprotect, &rx, &protected).unwrap(), pkt);
        }
        let report = rtcp(0xdead_beef);
        let protected = run(voipsec_srtcp_protect, &tx, &report).unwrap();
        assert_ne!(protected, report);
        assert_eq!(
            run(voipsec_srtcp_unprotect, &rx, &protected).unwrap(),
            report
        );
    }
}

#[test]
fn failures_have_distinct_statuses_and_change_nothing() {
    let tx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    let rx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    let first = run(voipsec_srtp_protect, &tx, &rtp(7, 1000, 20)).unwrap();
    let mut tampered = first.clone();
    tampered[15] ^= 1;
    assert_eq!(
        run(voipsec_srtp_unprotect, &rx, &tampered),
        Err(VOIPSEC_ERR_AUTH_FAILED)
    );
    assert!(run(voipsec_srtp_unprotect, &rx, &first).is_ok());
    assert_eq!(
        run(voipsec_srtp_unprotect, &rx, &first),
        Err(VOIPSEC_ERR_REPLAY)
    );
    // Move the window far ahead, then a packet behind it is too old.
    let ahead = run(voipsec_srtp_protect, &tx, &rtp(7, 1500, 20)).unwrap();
    assert!(run(voipsec_srtp_unprotect, &rx, &ahead).is_ok());
    // (The sender refuses to go back itself; a second sender with the same key can.)
    let tx2 = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    let old = run(voipsec_srtp_protect, &tx2, &rtp(7, 1001, 20)).unwrap();
    assert_eq!(
        run(voipsec_srtp_unprotect, &rx, &old),
        Err(VOIPSEC_ERR_REPLAY_TOO_OLD)
    );
    // Protect refuses to reuse an index (keystream reuse).
    assert_eq!(
        run(voipsec_srtp_protect, &tx, &rtp(7, 1500, 20)),
        Err(VOIPSEC_ERR_REPLAY)
    );
    // Not RTP at all.
    assert_eq!(
        run(voipsec_srtp_protect, &tx, &[0x80, 0]),
        Err(VOIPSEC_ERR_PARSE)
    );
    assert_eq!(
        run(voipsec_srtp_unprotect, &rx, &[0x80; 5]),
        Err(VOIPSEC_ERR_PARSE)
    );
}

#[test]
fn the_key_lifetime_from_sdes_expires_with_its_own_status() {
    let line = b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^1\r\n";
    let mut out = ptr::null_mut();
    assert_eq!(
        voipsec_srtp_new_from_sdes(line.as_ptr(), line.len(), &mut out),
        VOIPSEC_OK
    );
    let tx = Ctx(out);
    assert!(run(voipsec_srtp_protect, &tx, &rtp(1, 1, 10)).is_ok());
    assert!(run(voipsec_srtp_protect, &tx, &rtp(1, 2, 10)).is_ok());
    assert_eq!(
        run(voipsec_srtp_protect, &tx, &rtp(1, 3, 10)),
        Err(VOIPSEC_ERR_KEY_EXPIRED)
    );
}

#[test]
fn sdes_context_interoperates_with_a_key_context_and_bad_lines_are_parse_errors() {
    // inline: base64 of 16 bytes 0x11 then 14 bytes 0x22.
    let line = b"1 AES_CM_128_HMAC_SHA1_32 inline:ERERERERERERERERERERESIiIiIiIiIiIiIiIiIi";
    let mut out = ptr::null_mut();
    assert_eq!(
        voipsec_srtp_new_from_sdes(line.as_ptr(), line.len(), &mut out),
        VOIPSEC_OK
    );
    let tx = Ctx(out);
    let rx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_32, &KEY, &SALT);
    let pkt = rtp(9, 5, 30);
    let protected = run(voipsec_srtp_protect, &tx, &pkt).unwrap();
    assert_eq!(protected.len(), pkt.len() + 4);
    assert_eq!(run(voipsec_srtp_unprotect, &rx, &protected).unwrap(), pkt);

    for bad in [
        &b"1 NO_SUCH_SUITE inline:ERERERERERERERERERERESIiIiIiIiIiIiIiIiIi"[..],
        b"1 AES_CM_128_HMAC_SHA1_80 inline:short",
        b"\xff\xfe",
        b"",
    ] {
        let mut out = ptr::null_mut();
        assert_eq!(
            voipsec_srtp_new_from_sdes(bad.as_ptr(), bad.len(), &mut out),
            VOIPSEC_ERR_PARSE
        );
        assert!(out.is_null(), "no handle on error");
    }
}

#[test]
fn null_pointers_are_reported_never_dereferenced() {
    let mut out = ptr::null_mut();
    let p = VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80;
    assert_eq!(
        voipsec_srtp_new(p, ptr::null(), 16, SALT.as_ptr(), 14, &mut out),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtp_new(p, KEY.as_ptr(), 16, ptr::null(), 14, &mut out),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtp_new(p, KEY.as_ptr(), 16, SALT.as_ptr(), 14, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtp_new_from_sdes(ptr::null(), 5, &mut out),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert!(out.is_null());

    let ctx = new_ctx(p, &KEY, &SALT);
    let mut buf = rtp(1, 1, 10);
    buf.resize(100, 0);
    let mut n = 0;
    assert_eq!(
        voipsec_srtp_protect(ptr::null_mut(), buf.as_mut_ptr(), 22, 100, &mut n),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtp_protect(ctx.0, ptr::null_mut(), 22, 100, &mut n),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtp_protect(ctx.0, buf.as_mut_ptr(), 22, 100, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtcp_unprotect(ptr::null_mut(), buf.as_mut_ptr(), 22, 100, &mut n),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtp_set_roc(ptr::null_mut(), 1, 1),
        VOIPSEC_ERR_NULL_POINTER
    );
    let mut roc = 0;
    assert_eq!(
        voipsec_srtp_get_roc(ptr::null(), 1, &mut roc),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_srtp_get_roc(ctx.0, 1, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    voipsec_srtp_free(ptr::null_mut());
}

#[test]
fn invalid_profiles_and_key_lengths_are_invalid_arguments() {
    let mut out = ptr::null_mut();
    for profile in [0, 11, 0x8000_0000, u32::MAX] {
        assert_eq!(
            voipsec_srtp_new(profile, KEY.as_ptr(), 16, SALT.as_ptr(), 14, &mut out),
            VOIPSEC_ERR_INVALID_ARGUMENT,
            "profile {profile}"
        );
    }
    let p = VOIPSEC_SRTP_AES_256_CM_HMAC_SHA1_80;
    assert_eq!(
        voipsec_srtp_new(p, KEY.as_ptr(), 16, SALT.as_ptr(), 14, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    let gcm = VOIPSEC_SRTP_AEAD_AES_128_GCM;
    assert_eq!(
        voipsec_srtp_new(gcm, KEY.as_ptr(), 16, SALT.as_ptr(), 14, &mut out),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        voipsec_srtp_new(gcm, KEY.as_ptr(), 16, SALT.as_ptr(), 12, &mut out),
        VOIPSEC_OK
    );
    voipsec_srtp_free(out);
}

#[test]
fn a_short_buffer_reports_the_needed_capacity_and_len_above_cap_is_refused() {
    let ctx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    let pkt = rtp(3, 1, 50);
    let mut buf = pkt.clone();
    let mut n = 0;
    assert_eq!(
        voipsec_srtp_protect(ctx.0, buf.as_mut_ptr(), pkt.len(), buf.len(), &mut n),
        VOIPSEC_ERR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, pkt.len() + 10);
    assert_eq!(buf, pkt, "nothing written on error");
    assert_eq!(
        voipsec_srtp_protect(ctx.0, buf.as_mut_ptr(), pkt.len(), pkt.len() - 1, &mut n),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    buf.resize(n, 0);
    assert_eq!(
        voipsec_srtp_protect(ctx.0, buf.as_mut_ptr(), pkt.len(), n, &mut n),
        VOIPSEC_OK
    );
    assert_eq!(n, pkt.len() + 10);
}

#[test]
fn the_first_packet_call_fixes_the_direction() {
    let ctx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    let protected = run(voipsec_srtp_protect, &ctx, &rtp(1, 1, 10)).unwrap();
    assert_eq!(
        run(voipsec_srtp_unprotect, &ctx, &protected),
        Err(VOIPSEC_ERR_STATE)
    );
    assert_eq!(
        run(voipsec_srtcp_unprotect, &ctx, &protected),
        Err(VOIPSEC_ERR_STATE)
    );
    assert!(run(voipsec_srtcp_protect, &ctx, &rtcp(1)).is_ok());

    let rx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    assert!(run(voipsec_srtp_unprotect, &rx, &protected).is_ok());
    assert_eq!(
        run(voipsec_srtp_protect, &rx, &rtp(1, 2, 10)),
        Err(VOIPSEC_ERR_STATE)
    );
}

#[test]
fn roc_set_before_the_first_packet_applies_to_either_direction() {
    let tx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    let rx = new_ctx(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80, &KEY, &SALT);
    let mut roc = 0;
    assert_eq!(
        voipsec_srtp_get_roc(tx.0, 42, &mut roc),
        VOIPSEC_ERR_NOT_FOUND
    );
    assert_eq!(voipsec_srtp_set_roc(tx.0, 42, 7), VOIPSEC_OK);
    assert_eq!(voipsec_srtp_get_roc(tx.0, 42, &mut roc), VOIPSEC_OK);
    assert_eq!(roc, 7);
    let protected = run(voipsec_srtp_protect, &tx, &rtp(42, 100, 10)).unwrap();
    // A receiver at ROC 0 computes another index: the tag fails.
    assert_eq!(
        run(voipsec_srtp_unprotect, &rx, &protected),
        Err(VOIPSEC_ERR_AUTH_FAILED)
    );
    assert_eq!(voipsec_srtp_set_roc(rx.0, 42, 7), VOIPSEC_OK);
    assert!(run(voipsec_srtp_unprotect, &rx, &protected).is_ok());
    assert_eq!(voipsec_srtp_get_roc(rx.0, 42, &mut roc), VOIPSEC_OK);
    assert_eq!(roc, 7);
}
