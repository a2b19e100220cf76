//! # SRTP and SRTCP (RFC 3711), bit-exact with libsrtp
//!
//! [`SrtpContext`] protects or unprotects RTP and RTCP packets in place for
//! one direction of one master key, tracking every SSRC it sees, like a
//! libsrtp session with an "any inbound"/"any outbound" policy.
//!
//! Profiles: AES-CM-128/192/256 with HMAC-SHA1-80/32 (RFC 3711, RFC 6188),
//! AEAD AES-128/256-GCM (RFC 7714) and NULL with HMAC-SHA1-80/32.
//! Keying helpers parse and emit SDES `a=crypto` lines (RFC 4568) and split
//! DTLS-SRTP exporter output (RFC 5764 §4.2).
//!
//! ## Security contract
//!
//! * Unprotect releases nothing unauthenticated: AES-CM/NULL verify the tag
//!   (in constant time) before decrypting; GCM decrypts while it
//!   authenticates and zeroes the payload of a packet that fails. It
//!   changes no state — ROC, replay window, stream table — unless the packet
//!   authenticates. A new SSRC gets a stream only after its first packet
//!   authenticates, and the number of streams is bounded
//!   ([`Policy::max_streams`]).
//! * Replays and packets behind the window are rejected with distinct errors
//!   ([`Error::Replayed`], [`Error::TooOld`]); protect refuses to reuse an
//!   index (that would reuse keystream) unless [`Policy::allow_repeat_tx`].
//! * A master key stops at 2^48 SRTP / 2^31 SRTCP packets with
//!   [`Error::KeyExpired`] instead of wrapping.
//! * Keys are zeroized on drop and never printed (`Debug` redacts).
//! * No allocation per packet: session keys and HMAC pad states are derived
//!   once; per-SSRC state is allocated once per stream.
#![forbid(unsafe_code)]

mod cipher;
mod context;
mod error;
mod kdf;
mod keying;
mod profile;
mod replay;
mod stream;

pub use context::{DEFAULT_MAX_STREAMS, Direction, MAX_MKI_LEN, Policy, SrtpContext};
pub use error::{Error, Result};
pub use keying::{DtlsSrtpKeys, SdesCrypto};
pub use profile::Profile;
pub use replay::{DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW};

/// Test vectors are printed in hex (RFC 3711 Appendix B, RFC 6188 §7).
#[cfg(test)]
mod test_hex {
    /// Bytes of a hex string; white space between digits is ignored.
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
