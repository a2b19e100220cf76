//! SRTP/SRTCP contexts for C, shaped like libsrtp's `srtp_t` so that a PBX
//! can swap one for the other (see `examples/c/libsrtp_compare.c`).

use super::boundary::{self, catch};
use super::status::voipsec_status;
use crate::srtp::{Error, Policy, Profile, SdesCrypto, SrtpContext};

/// An SRTP protection profile: one of the `VOIPSEC_SRTP_*` constants.
///
/// An integer typedef rather than a C enum, the rustls-ffi way: any value a C
/// caller passes is defined behaviour on the Rust side, and a value that
/// names no profile is refused with `VOIPSEC_ERR_INVALID_ARGUMENT`.
#[allow(non_camel_case_types)]
pub type voipsec_srtp_profile = u32;

/// AES-128 counter mode, HMAC-SHA1 80-bit tag (RFC 3711). Key 16, salt 14.
pub const VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80: voipsec_srtp_profile = 1;
/// AES-128 counter mode, HMAC-SHA1 32-bit RTP tag (RFC 3711). Key 16, salt 14.
pub const VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_32: voipsec_srtp_profile = 2;
/// AES-192 counter mode, HMAC-SHA1 80-bit tag (RFC 6188). Key 24, salt 14.
pub const VOIPSEC_SRTP_AES_192_CM_HMAC_SHA1_80: voipsec_srtp_profile = 3;
/// AES-192 counter mode, HMAC-SHA1 32-bit RTP tag (RFC 6188). Key 24, salt 14.
pub const VOIPSEC_SRTP_AES_192_CM_HMAC_SHA1_32: voipsec_srtp_profile = 4;
/// AES-256 counter mode, HMAC-SHA1 80-bit tag (RFC 6188). Key 32, salt 14.
pub const VOIPSEC_SRTP_AES_256_CM_HMAC_SHA1_80: voipsec_srtp_profile = 5;
/// AES-256 counter mode, HMAC-SHA1 32-bit RTP tag (RFC 6188). Key 32, salt 14.
pub const VOIPSEC_SRTP_AES_256_CM_HMAC_SHA1_32: voipsec_srtp_profile = 6;
/// AES-128-GCM AEAD, 16-byte tag (RFC 7714). Key 16, salt 12.
pub const VOIPSEC_SRTP_AEAD_AES_128_GCM: voipsec_srtp_profile = 7;
/// AES-256-GCM AEAD, 16-byte tag (RFC 7714). Key 32, salt 12.
pub const VOIPSEC_SRTP_AEAD_AES_256_GCM: voipsec_srtp_profile = 8;
/// No encryption, HMAC-SHA1 80-bit tag. Key 16, salt 14.
pub const VOIPSEC_SRTP_NULL_HMAC_SHA1_80: voipsec_srtp_profile = 9;
/// No encryption, HMAC-SHA1 32-bit RTP tag. Key 16, salt 14.
pub const VOIPSEC_SRTP_NULL_HMAC_SHA1_32: voipsec_srtp_profile = 10;

/// Most bytes protecting adds to a packet (SRTCP index 4 + tag 16 + MKI 128):
/// a buffer with `len + VOIPSEC_SRTP_MAX_TRAILER_LEN` capacity always fits.
pub const VOIPSEC_SRTP_MAX_TRAILER_LEN: usize = 148;

fn profile_from_c(profile: voipsec_srtp_profile) -> Result<Profile, voipsec_status> {
    Ok(match profile {
        VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80 => Profile::Aes128CmHmacSha1_80,
        VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_32 => Profile::Aes128CmHmacSha1_32,
        VOIPSEC_SRTP_AES_192_CM_HMAC_SHA1_80 => Profile::Aes192CmHmacSha1_80,
        VOIPSEC_SRTP_AES_192_CM_HMAC_SHA1_32 => Profile::Aes192CmHmacSha1_32,
        VOIPSEC_SRTP_AES_256_CM_HMAC_SHA1_80 => Profile::Aes256CmHmacSha1_80,
        VOIPSEC_SRTP_AES_256_CM_HMAC_SHA1_32 => Profile::Aes256CmHmacSha1_32,
        VOIPSEC_SRTP_AEAD_AES_128_GCM => Profile::AeadAes128Gcm,
        VOIPSEC_SRTP_AEAD_AES_256_GCM => Profile::AeadAes256Gcm,
        VOIPSEC_SRTP_NULL_HMAC_SHA1_80 => Profile::NullHmacSha1_80,
        VOIPSEC_SRTP_NULL_HMAC_SHA1_32 => Profile::NullHmacSha1_32,
        _ => return Err(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT),
    })
}

impl From<Error> for voipsec_status {
    fn from(error: Error) -> Self {
        use voipsec_status::*;
        // Exhaustive on purpose: a new Rust error must get a deliberate C status.
        match error {
            Error::Truncated { .. } | Error::BadVersion(_) | Error::BadKeying { .. } => {
                VOIPSEC_ERR_PARSE
            }
            Error::BufferTooSmall { .. } => VOIPSEC_ERR_BUFFER_TOO_SMALL,
            Error::AuthenticationFailed => VOIPSEC_ERR_AUTH_FAILED,
            Error::Replayed { .. } => VOIPSEC_ERR_REPLAY,
            Error::TooOld { .. } => VOIPSEC_ERR_REPLAY_TOO_OLD,
            Error::KeyExpired => VOIPSEC_ERR_KEY_EXPIRED,
            Error::UnknownMki | Error::UnknownSsrc(_) => VOIPSEC_ERR_NOT_FOUND,
            Error::BadKeyLength { .. } | Error::InvalidParameter(_) => VOIPSEC_ERR_INVALID_ARGUMENT,
            Error::TooManyStreams(_) => VOIPSEC_ERR_LIMIT,
            Error::WrongDirection => VOIPSEC_ERR_STATE,
        }
    }
}

/// An SRTP/SRTCP context: one direction of one master key, tracking every
/// SSRC it sees (at most 1024), like a libsrtp session with an
/// `ssrc_any_outbound` or `ssrc_any_inbound` policy.
///
/// The direction is fixed by the first packet call: `voipsec_srtp_protect` /
/// `voipsec_srtcp_protect` make it a sending context, `voipsec_srtp_unprotect`
/// / `voipsec_srtcp_unprotect` a receiving one; a call of the other direction
/// afterwards returns `VOIPSEC_ERR_STATE` (one key must never serve both ways:
/// that would reuse keystream).
///
/// Thread safety: a context may be moved to another thread, but every call
/// taking it needs exclusive access: serialise calls on one context (one
/// context per direction per call leg is the usual layout). Distinct contexts
/// are independent.
pub struct voipsec_srtp {
    // Both directions are keyed at creation (so key errors surface there);
    // the first packet call drops the one it does not need.
    sending: Option<SrtpContext>,
    receiving: Option<SrtpContext>,
}

/// Drops the direction a context will never use (zeroizing its keys).
#[cold]
#[inline(never)]
fn drop_unused(context: &mut Option<SrtpContext>) {
    *context = None;
}

#[derive(Clone, Copy)]
enum Way {
    Send,
    Receive,
}

impl voipsec_srtp {
    fn build(make: impl Fn(Policy) -> crate::srtp::Result<SrtpContext>) -> Result<Self, Error> {
        Ok(voipsec_srtp {
            sending: Some(make(Policy::outbound())?),
            receiving: Some(make(Policy::inbound())?),
        })
    }

    /// The context for `way`, committing the handle to that direction.
    /// Inlined, with the one-time drop of the other direction kept out of
    /// line: this is on every packet's path (see benches/capi.rs).
    #[inline]
    fn commit(&mut self, way: Way) -> Result<&mut SrtpContext, voipsec_status> {
        let (mine, other) = match way {
            Way::Send => (&mut self.sending, &mut self.receiving),
            Way::Receive => (&mut self.receiving, &mut self.sending),
        };
        if mine.is_some() && other.is_some() {
            drop_unused(other);
        }
        mine.as_mut().ok_or(voipsec_status::VOIPSEC_ERR_STATE)
    }

    fn contexts(&mut self) -> impl Iterator<Item = &mut SrtpContext> {
        self.sending.iter_mut().chain(self.receiving.iter_mut())
    }
}

/// Creates a context for `profile` keyed with `master_key` (`key_len` bytes)
/// and `master_salt` (`salt_len` bytes), without MKI, and stores it in
/// `*out` (left untouched on error). Free it with `voipsec_srtp_free`.
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`; `VOIPSEC_ERR_INVALID_ARGUMENT` for an
/// unknown profile or a key/salt length the profile does not use.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtp_new(
    profile: voipsec_srtp_profile,
    master_key: *const u8,
    key_len: usize,
    master_salt: *const u8,
    salt_len: usize,
    out: *mut *mut voipsec_srtp,
) -> voipsec_status {
    catch(|| {
        let profile = profile_from_c(profile)?;
        // SAFETY: the caller passes `key_len` readable bytes at `master_key`
        // (header contract); they are only read during this call.
        let key = unsafe { boundary::bytes(master_key, key_len) }?;
        // SAFETY: as above, for `salt_len` bytes at `master_salt`.
        let salt = unsafe { boundary::bytes(master_salt, salt_len) }?;
        if out.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        let handle = voipsec_srtp::build(|policy| SrtpContext::new(profile, key, salt, policy))?;
        // SAFETY: `out` is non-NULL and, per the header, valid for a write.
        unsafe { boundary::give(out, handle) }
    })
}

/// Creates a context from an SDES `a=crypto` attribute (RFC 4568), with or
/// without the leading `a=crypto:` and trailing CRLF: `attribute_len` bytes
/// at `attribute`. Its suite, key, salt, MKI, lifetime, KDR and
/// `UNENCRYPTED_SRTCP` are applied. Stores the context in `*out`.
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`; `VOIPSEC_ERR_PARSE` when the attribute
/// is malformed (or not UTF-8); `VOIPSEC_ERR_INVALID_ARGUMENT` when its
/// parameters are out of range.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtp_new_from_sdes(
    attribute: *const u8,
    attribute_len: usize,
    out: *mut *mut voipsec_srtp,
) -> voipsec_status {
    catch(|| {
        // SAFETY: the caller passes `attribute_len` readable bytes at
        // `attribute`, only read during this call.
        let bytes = unsafe { boundary::bytes(attribute, attribute_len) }?;
        if out.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| voipsec_status::VOIPSEC_ERR_PARSE)?;
        let crypto = SdesCrypto::parse(text)?;
        let handle = voipsec_srtp::build(|policy| crypto.context(policy))?;
        // SAFETY: `out` is non-NULL and, per the header, valid for a write.
        unsafe { boundary::give(out, handle) }
    })
}

/// Runs one packet transform on `buf` (`len` bytes of packet in `cap` bytes
/// of buffer) and reports the new length, or the needed capacity.
fn transform(
    ctx: *mut voipsec_srtp,
    buf: *mut u8,
    len: usize,
    cap: usize,
    out_len: *mut usize,
    way: Way,
    op: impl FnOnce(&mut SrtpContext, &mut [u8], usize) -> crate::srtp::Result<usize>,
) -> voipsec_status {
    catch(|| {
        if out_len.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        if len > cap {
            return Err(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT);
        }
        // SAFETY: a non-NULL `ctx` comes from voipsec_srtp_new* and is not
        // used concurrently (the handle's documented contract).
        let handle = unsafe { boundary::handle_mut(ctx) }?;
        // SAFETY: the caller passes `cap` writable bytes at `buf`, not
        // aliased by the context (which is a separate allocation).
        let buf = unsafe { boundary::bytes_mut(buf, cap) }?;
        let context = handle.commit(way)?;
        let result = op(context, buf, len);
        let (status, reported) = match result {
            Ok(n) => (Ok(()), n),
            Err(Error::BufferTooSmall { needed, .. }) => {
                (Err(voipsec_status::VOIPSEC_ERR_BUFFER_TOO_SMALL), needed)
            }
            Err(e) => return Err(e.into()),
        };
        // SAFETY: `out_len` is non-NULL and valid for a write (header contract).
        unsafe { boundary::write_out(out_len, reported) }?;
        status
    })
}

/// The first `len` bytes of `buf`, for the in-place unprotect calls.
fn packet(buf: &mut [u8], len: usize) -> crate::srtp::Result<&mut [u8]> {
    let have = buf.len();
    buf.get_mut(..len).ok_or(Error::Truncated {
        needed: len,
        len: have,
    })
}

/// Protects the RTP packet in `buf[0..len]` in place; `buf` holds `cap`
/// bytes. On success `*out_len` is the SRTP length. When `cap` is too small,
/// returns `VOIPSEC_ERR_BUFFER_TOO_SMALL` with the needed capacity in
/// `*out_len` (`len + VOIPSEC_SRTP_MAX_TRAILER_LEN` always suffices).
///
/// Like libsrtp's `srtp_protect`. Errors: `VOIPSEC_ERR_NULL_POINTER`,
/// `VOIPSEC_ERR_INVALID_ARGUMENT` (`len > cap`), `VOIPSEC_ERR_PARSE` (not
/// RTP), `VOIPSEC_ERR_REPLAY` (sequence number already protected: keystream
/// reuse refused), `VOIPSEC_ERR_KEY_EXPIRED`, `VOIPSEC_ERR_LIMIT` (too many
/// SSRCs), `VOIPSEC_ERR_STATE` (a receiving context).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtp_protect(
    ctx: *mut voipsec_srtp,
    buf: *mut u8,
    len: usize,
    cap: usize,
    out_len: *mut usize,
) -> voipsec_status {
    transform(ctx, buf, len, cap, out_len, Way::Send, |c, b, l| {
        c.protect_rtp(b, l)
    })
}

/// Verifies and decrypts the SRTP packet in `buf[0..len]` in place; on
/// success `*out_len` is the RTP length. A failed packet changes nothing
/// (ROC, replay window, streams). `cap` is the buffer size (≥ `len`).
///
/// Like libsrtp's `srtp_unprotect`. Errors, distinct so a PBX can count
/// attacks: `VOIPSEC_ERR_AUTH_FAILED` (tag mismatch), `VOIPSEC_ERR_REPLAY`,
/// `VOIPSEC_ERR_REPLAY_TOO_OLD`, `VOIPSEC_ERR_KEY_EXPIRED`,
/// `VOIPSEC_ERR_PARSE` (truncated or not SRTP), `VOIPSEC_ERR_NOT_FOUND`
/// (unknown MKI), `VOIPSEC_ERR_LIMIT`, `VOIPSEC_ERR_STATE` (a sending
/// context), `VOIPSEC_ERR_NULL_POINTER`, `VOIPSEC_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtp_unprotect(
    ctx: *mut voipsec_srtp,
    buf: *mut u8,
    len: usize,
    cap: usize,
    out_len: *mut usize,
) -> voipsec_status {
    transform(ctx, buf, len, cap, out_len, Way::Receive, |c, b, l| {
        c.unprotect_rtp(packet(b, l)?)
    })
}

/// Protects the compound RTCP packet in `buf[0..len]` in place with the
/// stream's next SRTCP index; as `voipsec_srtp_protect` otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtcp_protect(
    ctx: *mut voipsec_srtp,
    buf: *mut u8,
    len: usize,
    cap: usize,
    out_len: *mut usize,
) -> voipsec_status {
    transform(ctx, buf, len, cap, out_len, Way::Send, |c, b, l| {
        c.protect_rtcp(b, l)
    })
}

/// Verifies and (when its E flag is set) decrypts the SRTCP packet in
/// `buf[0..len]` in place; as `voipsec_srtp_unprotect` otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtcp_unprotect(
    ctx: *mut voipsec_srtp,
    buf: *mut u8,
    len: usize,
    cap: usize,
    out_len: *mut usize,
) -> voipsec_status {
    transform(ctx, buf, len, cap, out_len, Way::Receive, |c, b, l| {
        c.unprotect_rtcp(packet(b, l)?)
    })
}

/// Sets the rollover counter of `ssrc` (RFC 3711 §3.3.1), e.g. when joining a
/// stream in progress; creates the stream if needed and restarts its replay
/// window. Errors: `VOIPSEC_ERR_NULL_POINTER`, `VOIPSEC_ERR_LIMIT`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtp_set_roc(
    ctx: *mut voipsec_srtp,
    ssrc: u32,
    roc: u32,
) -> voipsec_status {
    catch(|| {
        // SAFETY: a non-NULL `ctx` comes from voipsec_srtp_new* and is not
        // used concurrently (the handle's documented contract).
        let handle = unsafe { boundary::handle_mut(ctx) }?;
        // Before the first packet both directions are live: set both.
        for context in handle.contexts() {
            context.set_roc(ssrc, roc)?;
        }
        Ok(())
    })
}

/// Reads the rollover counter of `ssrc` into `*roc`.
/// Errors: `VOIPSEC_ERR_NULL_POINTER`; `VOIPSEC_ERR_NOT_FOUND` when the
/// context tracks no such SSRC.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtp_get_roc(
    ctx: *const voipsec_srtp,
    ssrc: u32,
    roc: *mut u32,
) -> voipsec_status {
    catch(|| {
        if roc.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        // SAFETY: a non-NULL `ctx` comes from voipsec_srtp_new* and is not
        // being mutated concurrently (the handle's documented contract).
        let handle = unsafe { boundary::handle(ctx) }?;
        let value = handle
            .sending
            .iter()
            .chain(handle.receiving.iter())
            .find_map(|c| c.roc(ssrc))
            .ok_or(voipsec_status::VOIPSEC_ERR_NOT_FOUND)?;
        // SAFETY: `roc` is non-NULL and valid for a write (header contract).
        unsafe { boundary::write_out(roc, value) }
    })
}

/// Frees a context and zeroizes its keys. `voipsec_srtp_free(NULL)` is a
/// no-op; `ctx` must not be used afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_srtp_free(ctx: *mut voipsec_srtp) {
    // SAFETY: a non-NULL `ctx` comes from voipsec_srtp_new* (Box) and the
    // caller gives up every use of it with this call.
    unsafe { boundary::free_handle(ctx) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_constant_maps_to_a_distinct_profile() {
        let mapped: Vec<Profile> = (VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80
            ..=VOIPSEC_SRTP_NULL_HMAC_SHA1_32)
            .map(|p| profile_from_c(p).expect("constant maps"))
            .collect();
        assert_eq!(mapped, Profile::ALL);
        assert!(profile_from_c(0).is_err());
        assert!(profile_from_c(11).is_err());
        assert!(profile_from_c(u32::MAX).is_err());
    }

    #[test]
    fn the_trailer_bound_covers_every_profile() {
        for p in Profile::ALL {
            assert!(
                4 + p.rtcp_tag_len() + crate::srtp::MAX_MKI_LEN <= VOIPSEC_SRTP_MAX_TRAILER_LEN
            );
            assert!(p.rtp_tag_len() + crate::srtp::MAX_MKI_LEN <= VOIPSEC_SRTP_MAX_TRAILER_LEN);
        }
    }
}
