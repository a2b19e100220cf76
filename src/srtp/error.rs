//! The one error enum of the `srtp` module.

/// Everything that can go wrong while protecting, unprotecting or keying.
///
/// Variants are distinct so that a caller (or the guard) can tell an attack
/// (`AuthenticationFailed`, `Replayed`) from a stale packet (`TooOld`) or an
/// operational problem (`KeyExpired`, `BufferTooSmall`).
///
/// ```
/// use voipsec::srtp::{Error, Policy, Profile, SrtpContext};
/// let mut rx = SrtpContext::new(Profile::Aes128CmHmacSha1_80, &[1; 16], &[2; 14], Policy::inbound())?;
/// let mut junk = [0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// assert_eq!(rx.unprotect_rtp(&mut junk), Err(Error::AuthenticationFailed));
/// assert_eq!(rx.stream_count(), 0); // no state for unauthenticated packets
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The packet is shorter than its headers say, or than the minimum.
    #[error("packet truncated: need {needed} bytes, have {len}")]
    Truncated {
        /// Bytes the headers (plus trailer) require.
        needed: usize,
        /// Bytes present.
        len: usize,
    },
    /// The RTP/RTCP version field (byte 0, bits 0-1) is not 2.
    #[error("bad RTP/RTCP version {0} at byte 0")]
    BadVersion(u8),
    /// The caller's buffer has no room for the tag/MKI/trailer.
    #[error("buffer too small: need {needed} bytes, capacity {capacity}")]
    BufferTooSmall {
        /// Bytes required for the protected packet.
        needed: usize,
        /// Bytes available in the buffer.
        capacity: usize,
    },
    /// The authentication tag did not verify; the packet was left untouched
    /// and no state (ROC, replay window, stream table) changed.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// This packet index was already received (or, when protecting, already
    /// used: reusing it would reuse keystream).
    #[error("replayed packet index {index}")]
    Replayed {
        /// The packet index (ROC·2^16 + SEQ, or the SRTCP index).
        index: u64,
    },
    /// The packet index lies behind the replay window.
    #[error("packet index {index} is older than the replay window")]
    TooOld {
        /// The packet index (ROC·2^16 + SEQ, or the SRTCP index).
        index: u64,
    },
    /// The master key has protected or unprotected its maximum number of
    /// packets (2^48 SRTP, 2^31 SRTCP, or the configured lifetime): re-key.
    #[error("master key expired: packet limit reached")]
    KeyExpired,
    /// The MKI in the packet names no master key of this context.
    #[error("unknown MKI")]
    UnknownMki,
    /// A key or salt has the wrong length for the profile.
    #[error("{what} must be {expected} bytes, got {got}")]
    BadKeyLength {
        /// `"master key"`, `"master salt"` or `"MKI"`.
        what: &'static str,
        /// Length the profile requires.
        expected: usize,
        /// Length supplied.
        got: usize,
    },
    /// A policy parameter is out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(&'static str),
    /// The context already tracks its maximum number of SSRCs.
    #[error("stream limit {0} reached")]
    TooManyStreams(usize),
    /// No stream for this SSRC exists.
    #[error("no stream for SSRC {0:#010x}")]
    UnknownSsrc(u32),
    /// Protect was called on an inbound context or unprotect on an outbound one.
    #[error("operation not allowed on a context of this direction")]
    WrongDirection,
    /// An SDES `a=crypto` attribute or DTLS-SRTP parameter could not be parsed;
    /// `offset` is the byte offset in the attribute value.
    #[error("bad keying attribute at byte {offset}: {what}")]
    BadKeying {
        /// What was wrong.
        what: &'static str,
        /// Byte offset in the input.
        offset: usize,
    },
}

/// `Result` with this module's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
