//! [`SrtpContext`]: one direction of one master key (or one MKI-selected set
//! of master keys), tracking every SSRC it sees — libsrtp's `srtp_t` with an
//! "any inbound"/"any outbound" policy.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::BytesMut;

use super::cipher::SessionKeys;
use super::error::{Error, Result};
use super::kdf::MasterKey;
use super::profile::Profile;
use super::replay::{DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW};
use super::stream::{RekeyedKeys, SRTCP_INDEX_LIMIT, SRTP_INDEX_LIMIT, Stream};

/// Longest MKI (RFC 4568 §6.1 allows up to 128 bytes; libsrtp's limit too).
pub const MAX_MKI_LEN: usize = 128;
/// Default bound on the number of SSRCs one context tracks.
pub const DEFAULT_MAX_STREAMS: usize = 1024;

/// Which way packets flow through a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The context protects (sender side).
    Outbound,
    /// The context unprotects (receiver side).
    Inbound,
}

/// Context settings beyond profile and key. Start from [`Policy::outbound`]
/// or [`Policy::inbound`] and adjust the public fields.
///
/// ```
/// use voipsec::srtp::Policy;
/// let mut p = Policy::inbound();
/// p.replay_window = 1024;
/// p.max_streams = 16;
/// assert!(p.encrypt_rtcp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Protect (outbound) or unprotect (inbound).
    pub direction: Direction,
    /// Replay window per SSRC, in packets (1..=32768, rounded up to a
    /// multiple of 64). Default 128.
    pub replay_window: usize,
    /// Most SSRCs tracked at once (≥ 1). Default 1024. Inbound streams are
    /// only created for packets that authenticate.
    pub max_streams: usize,
    /// Encrypt SRTCP (E flag set). `false` sends authenticated-only SRTCP.
    pub encrypt_rtcp: bool,
    /// Key derivation rate (RFC 3711 §4.3.1): 0, or a power of two ≤ 2^24.
    pub kdr: u64,
    /// SRTP packets one master key may process (≤ 2^48, the default).
    pub rtp_key_lifetime: u64,
    /// SRTCP packets one master key may process (≤ 2^31, the default).
    pub rtcp_key_lifetime: u64,
    /// Allow protecting an already-used RTP index again (retransmission of
    /// the identical packet). Off by default: reuse would reuse keystream.
    pub allow_repeat_tx: bool,
    /// Derive AES-192 session keys the way libsrtp 2.x does when built
    /// without OpenSSL's KDF (e.g. Debian's NSS build): it runs the KDF as
    /// AES-256 over the 46-byte buffer `key(24) || salt(14) || 0(8)`, which
    /// is not RFC 6188. Off by default (RFC 6188 §7.4 vectors); turn on only
    /// to talk AES_192_CM to such a peer. No effect on other profiles.
    pub libsrtp_aes192_kdf: bool,
}

impl Policy {
    /// Defaults for a sending context.
    pub fn outbound() -> Self {
        Policy {
            direction: Direction::Outbound,
            replay_window: DEFAULT_REPLAY_WINDOW,
            max_streams: DEFAULT_MAX_STREAMS,
            encrypt_rtcp: true,
            kdr: 0,
            rtp_key_lifetime: SRTP_INDEX_LIMIT,
            rtcp_key_lifetime: u64::from(SRTCP_INDEX_LIMIT),
            allow_repeat_tx: false,
            libsrtp_aes192_kdf: false,
        }
    }

    /// Defaults for a receiving context.
    pub fn inbound() -> Self {
        Policy {
            direction: Direction::Inbound,
            ..Policy::outbound()
        }
    }

    fn validate(&self) -> Result<()> {
        if self.replay_window == 0 || self.replay_window > MAX_REPLAY_WINDOW {
            return Err(Error::InvalidParameter("replay_window must be 1..=32768"));
        }
        if self.max_streams == 0 {
            return Err(Error::InvalidParameter("max_streams must be at least 1"));
        }
        if self.kdr != 0 && (!self.kdr.is_power_of_two() || self.kdr > 1 << 24) {
            return Err(Error::InvalidParameter(
                "kdr must be 0 or a power of two up to 2^24",
            ));
        }
        if self.rtp_key_lifetime > SRTP_INDEX_LIMIT
            || self.rtcp_key_lifetime > u64::from(SRTCP_INDEX_LIMIT)
        {
            return Err(Error::InvalidParameter(
                "key lifetime above 2^48 (SRTP) / 2^31 (SRTCP)",
            ));
        }
        Ok(())
    }
}

/// One master key, its MKI and its session keys (derived once).
struct KeySlot {
    mki: Vec<u8>,
    master: MasterKey,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    /// Packets processed with this master key (RFC 3711 §9.2 lifetime).
    rtp_packets: u64,
    rtcp_packets: u64,
}

/// SSRCs are only inserted after authentication (or by the application), so
/// an attacker cannot choose keys: a multiplicative hash is safe and fast.
#[derive(Default)]
struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = (u64::from(v) ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type StreamMap = HashMap<u32, Stream, BuildHasherDefault<SsrcHasher>>;

/// An SRTP/SRTCP crypto context: one direction, one profile, one master key
/// (or several told apart by MKI), any number of SSRCs up to a bound.
///
/// Protection works in place: [`protect_rtp`](Self::protect_rtp) takes a
/// buffer holding the RTP packet in its first `len` bytes with room for the
/// tag (and MKI) behind it, and returns the SRTP length. Unprotection
/// changes no state unless the packet authenticates (see the module docs);
/// a new SSRC gets a stream only once its first packet authenticates.
///
/// ```
/// use voipsec::srtp::{Policy, Profile, SrtpContext};
/// let (key, salt) = ([7u8; 16], [9u8; 14]);
/// let profile = Profile::Aes128CmHmacSha1_80;
/// let mut tx = SrtpContext::new(profile, &key, &salt, Policy::outbound())?;
/// let mut rx = SrtpContext::new(profile, &key, &salt, Policy::inbound())?;
///
/// let rtp = [0x80, 0x60, 0, 1, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4];
/// let mut buf = [0u8; 64];
/// buf[..rtp.len()].copy_from_slice(&rtp);
/// let n = tx.protect_rtp(&mut buf, rtp.len())?;
/// assert_eq!(n, rtp.len() + 10);
/// let m = rx.unprotect_rtp(&mut buf[..n])?;
/// assert_eq!(&buf[..m], &rtp);
/// assert_eq!(rx.roc(0xdeadbeef), Some(0));
/// # Ok::<(), voipsec::srtp::Error>(())
/// ```
pub struct SrtpContext {
    profile: Profile,
    policy: Policy,
    keys: Vec<KeySlot>,
    active: usize,
    mki_len: usize,
    streams: StreamMap,
}

impl core::fmt::Debug for SrtpContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SrtpContext")
            .field("profile", &self.profile)
            .field("policy", &self.policy)
            .field("master_keys", &self.keys.len())
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

/// Parsed fixed RTP header facts (RFC 3550 §5.1).
struct RtpHeader {
    len: usize,
    seq: u16,
    ssrc: u32,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_be_bytes)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
}

/// Header length including CSRCs and the header extension (which SRTP
/// authenticates but does not encrypt, RFC 3711 §3.1). `limit` is how many
/// bytes of `pkt` may belong to the RTP packet.
fn parse_rtp_header(pkt: &[u8], limit: usize) -> Result<RtpHeader> {
    let first = *pkt.first().ok_or(Error::Truncated { needed: 12, len: 0 })?;
    if first >> 6 != 2 {
        return Err(Error::BadVersion(first >> 6));
    }
    let mut len = 12 + 4 * usize::from(first & 0x0f);
    if first & 0x10 != 0 {
        let words = be16(pkt, len + 2).ok_or(Error::Truncated {
            needed: len + 4,
            len: limit,
        })?;
        len += 4 + 4 * usize::from(words);
    }
    if len > limit {
        return Err(Error::Truncated {
            needed: len,
            len: limit,
        });
    }
    let seq = be16(pkt, 2).ok_or(Error::Truncated {
        needed: 12,
        len: limit,
    })?;
    let ssrc = be32(pkt, 8).ok_or(Error::Truncated {
        needed: 12,
        len: limit,
    })?;
    Ok(RtpHeader { len, seq, ssrc })
}

/// RTCP: version 2 and the 8-byte header that stays in the clear.
fn parse_rtcp_ssrc(pkt: &[u8], limit: usize) -> Result<u32> {
    if limit < 8 {
        return Err(Error::Truncated {
            needed: 8,
            len: limit,
        });
    }
    let first = *pkt.first().ok_or(Error::Truncated { needed: 8, len: 0 })?;
    if first >> 6 != 2 {
        return Err(Error::BadVersion(first >> 6));
    }
    be32(pkt, 4).ok_or(Error::Truncated {
        needed: 8,
        len: limit,
    })
}

/// Picks the session keys for `r`, deriving into the stream's cache when the
/// key derivation rate is non-zero (reusing its allocation).
fn rekeyed<'a>(
    cache: &'a mut Option<Box<RekeyedKeys>>,
    profile: Profile,
    slot_idx: usize,
    slot: &KeySlot,
    rtcp: bool,
    r: u64,
) -> &'a SessionKeys {
    if let Some(c) = cache.as_deref_mut()
        && (c.slot != slot_idx || c.r != r)
    {
        *c = RekeyedKeys {
            slot: slot_idx,
            r,
            keys: SessionKeys::derive(profile, &slot.master, rtcp, r),
        };
    }
    let c = cache.get_or_insert_with(|| {
        Box::new(RekeyedKeys {
            slot: slot_idx,
            r,
            keys: SessionKeys::derive(profile, &slot.master, rtcp, r),
        })
    });
    &c.keys
}

/// The stream of `ssrc`, created within the policy's bound if missing.
fn stream_or_insert<'a>(
    streams: &'a mut StreamMap,
    ssrc: u32,
    policy: &Policy,
) -> Result<&'a mut Stream> {
    let len = streams.len();
    match streams.entry(ssrc) {
        std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
        std::collections::hash_map::Entry::Vacant(v) => {
            if len >= policy.max_streams {
                return Err(Error::TooManyStreams(policy.max_streams));
            }
            Ok(v.insert(Stream::new(policy.replay_window)))
        }
    }
}

impl SrtpContext {
    /// Creates a context for `profile` with one master key and salt (no MKI).
    ///
    /// Session keys are derived here, once. Errors on wrong key/salt lengths
    /// or an invalid policy.
    pub fn new(
        profile: Profile,
        master_key: &[u8],
        master_salt: &[u8],
        policy: Policy,
    ) -> Result<Self> {
        Self::build(profile, &[], master_key, master_salt, policy)
    }

    /// Creates a context whose packets carry an MKI (RFC 3711 §3.1); add more
    /// master keys with [`add_master_key`](Self::add_master_key). Every MKI of
    /// a context has the same length (1..=128 bytes).
    pub fn new_with_mki(
        profile: Profile,
        mki: &[u8],
        master_key: &[u8],
        master_salt: &[u8],
        policy: Policy,
    ) -> Result<Self> {
        if mki.is_empty() || mki.len() > MAX_MKI_LEN {
            return Err(Error::BadKeyLength {
                what: "MKI",
                expected: MAX_MKI_LEN,
                got: mki.len(),
            });
        }
        Self::build(profile, mki, master_key, master_salt, policy)
    }

    fn build(
        profile: Profile,
        mki: &[u8],
        key: &[u8],
        salt: &[u8],
        policy: Policy,
    ) -> Result<Self> {
        policy.validate()?;
        let slot = Self::slot(profile, mki, key, salt, policy.libsrtp_aes192_kdf)?;
        Ok(SrtpContext {
            profile,
            policy,
            keys: vec![slot],
            active: 0,
            mki_len: mki.len(),
            streams: StreamMap::default(),
        })
    }

    fn slot(
        profile: Profile,
        mki: &[u8],
        key: &[u8],
        salt: &[u8],
        aes192_compat: bool,
    ) -> Result<KeySlot> {
        let mut master = MasterKey::new(
            key,
            salt,
            profile.master_key_len(),
            profile.master_salt_len(),
        )?;
        if aes192_compat && profile.master_key_len() == 24 {
            master = master.libsrtp_aes192_kdf();
        }
        Ok(KeySlot {
            mki: mki.to_vec(),
            rtp: SessionKeys::derive(profile, &master, false, 0),
            rtcp: SessionKeys::derive(profile, &master, true, 0),
            master,
            rtp_packets: 0,
            rtcp_packets: 0,
        })
    }

    /// Adds another master key under `mki` (same length as the context's MKI,
    /// not already present). Inbound packets select it by MKI; outbound use it
    /// after [`set_active_mki`](Self::set_active_mki).
    pub fn add_master_key(
        &mut self,
        mki: &[u8],
        master_key: &[u8],
        master_salt: &[u8],
    ) -> Result<()> {
        if self.mki_len == 0 || mki.len() != self.mki_len {
            return Err(Error::BadKeyLength {
                what: "MKI",
                expected: self.mki_len,
                got: mki.len(),
            });
        }
        if self.keys.iter().any(|k| k.mki == mki) {
            return Err(Error::InvalidParameter("MKI already present"));
        }
        let slot = Self::slot(
            self.profile,
            mki,
            master_key,
            master_salt,
            self.policy.libsrtp_aes192_kdf,
        )?;
        self.keys.push(slot);
        Ok(())
    }

    /// Selects the master key used to protect from now on.
    pub fn set_active_mki(&mut self, mki: &[u8]) -> Result<()> {
        self.active = self
            .keys
            .iter()
            .position(|k| k.mki == mki)
            .ok_or(Error::UnknownMki)?;
        Ok(())
    }

    /// The context's profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The context's policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Most bytes protect adds to an RTP packet (tag + MKI).
    pub fn rtp_overhead(&self) -> usize {
        self.profile.rtp_tag_len() + self.mki_len
    }

    /// Most bytes protect adds to an RTCP packet (index + tag + MKI).
    pub fn rtcp_overhead(&self) -> usize {
        4 + self.profile.rtcp_tag_len() + self.mki_len
    }

    /// The ROC of `ssrc`, if the context tracks it.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        self.streams.get(&ssrc).map(Stream::roc)
    }

    /// Sets the ROC of `ssrc` (creating its stream if needed, within the
    /// stream bound): the next packet's index is estimated against it
    /// (RFC 3711 §3.3.1); the replay window restarts.
    pub fn set_roc(&mut self, ssrc: u32, roc: u32) -> Result<()> {
        stream_or_insert(&mut self.streams, ssrc, &self.policy)?.set_roc(roc);
        Ok(())
    }

    /// Forgets `ssrc` (RTCP BYE, or to make room); true if it was tracked.
    pub fn remove_stream(&mut self, ssrc: u32) -> bool {
        self.streams.remove(&ssrc).is_some()
    }

    /// Number of SSRCs tracked.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// What every protect call checks first: a sending context, a packet
    /// `buf[..len]` that parses (`parse` returns what the caller needs of its
    /// header), and room in `buf` for the `overhead` bytes protection adds.
    fn outbound_packet<T>(
        &self,
        buf: &[u8],
        len: usize,
        overhead: usize,
        parse: fn(&[u8], usize) -> Result<T>,
    ) -> Result<T> {
        self.expect(Direction::Outbound)?;
        let pkt = buf.get(..len).ok_or(Error::Truncated {
            needed: len,
            len: buf.len(),
        })?;
        let parsed = parse(pkt, len)?;
        let needed = len + overhead;
        if buf.len() < needed {
            return Err(Error::BufferTooSmall {
                needed,
                capacity: buf.len(),
            });
        }
        Ok(parsed)
    }

    fn expect(&self, direction: Direction) -> Result<()> {
        if self.policy.direction == direction {
            Ok(())
        } else {
            Err(Error::WrongDirection)
        }
    }

    /// Protects the RTP packet in `buf[..len]` in place; returns the SRTP
    /// length (`len` + [`rtp_overhead`](Self::rtp_overhead)). `buf` must have
    /// that much room. RTP padding is the caller's business (RFC 3711 §3.1).
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let hdr = self.outbound_packet(buf, len, self.rtp_overhead(), parse_rtp_header)?;
        let Self {
            profile,
            policy,
            keys,
            active,
            streams,
            ..
        } = self;
        let slot = keys.get_mut(*active).ok_or(Error::UnknownMki)?;
        if slot.rtp_packets >= policy.rtp_key_lifetime {
            return Err(Error::KeyExpired);
        }
        let stream = stream_or_insert(streams, hdr.ssrc, policy)?;
        let index = stream.estimate_index(hdr.seq)?;
        let checked = stream.rtp_replay.check(index);
        if !policy.allow_repeat_tx {
            checked?;
        }
        // `r = index DIV kdr`; KDR 0 means the keys derived once at setup.
        let keys = match index.checked_div(policy.kdr) {
            None => &slot.rtp,
            Some(r) => rekeyed(&mut stream.rtp_rekeyed, *profile, *active, slot, false, r),
        };
        let n = keys.seal_rtp(buf, hdr.len, len, &slot.mki, hdr.ssrc, index)?;
        stream.accept_rtp(index);
        slot.rtp_packets += 1;
        Ok(n)
    }

    /// Finds the master key named by the packet's MKI (`mki_at` is its offset).
    fn slot_for(&self, pkt: &[u8], mki_at: Option<usize>) -> Result<usize> {
        if self.mki_len == 0 {
            return Ok(0);
        }
        let at = mki_at.ok_or(Error::Truncated {
            needed: self.mki_len,
            len: pkt.len(),
        })?;
        let mki = pkt.get(at..at + self.mki_len).ok_or(Error::Truncated {
            needed: at + self.mki_len,
            len: pkt.len(),
        })?;
        self.keys
            .iter()
            .position(|k| k.mki == mki)
            .ok_or(Error::UnknownMki)
    }

    /// Verifies and decrypts the SRTP packet `pkt` in place; returns the RTP
    /// length (the plaintext is `pkt[..n]`).
    ///
    /// Order (RFC 3711 §3.3): estimate the index, reject replays cheaply,
    /// verify the tag, decrypt, then — only now — update ROC, replay window
    /// and stream table. Any error leaves the context unchanged. The buffer
    /// is untouched on error too, except that a GCM packet failing
    /// authentication gets its payload zeroed (`ring` decrypts while it
    /// authenticates and wipes what it decrypted).
    pub fn unprotect_rtp(&mut self, pkt: &mut [u8]) -> Result<usize> {
        self.expect(Direction::Inbound)?;
        let overhead = self.rtp_overhead();
        let limit = pkt.len().checked_sub(overhead).ok_or(Error::Truncated {
            needed: 12 + overhead,
            len: pkt.len(),
        })?;
        let hdr = parse_rtp_header(pkt, limit)?;
        let tag_len = self.profile.rtp_tag_len();
        // MKI position: before the tag (RFC 3711), after it for GCM (libsrtp).
        let mki_at = if self.profile.is_aead() {
            limit.checked_add(tag_len)
        } else {
            Some(limit)
        };
        let slot_idx = self.slot_for(pkt, mki_at)?;
        let (profile, kdr, window, max) = (
            self.profile,
            self.policy.kdr,
            self.policy.replay_window,
            self.policy.max_streams,
        );
        let stream_count = self.streams.len();
        let slot = self.keys.get_mut(slot_idx).ok_or(Error::UnknownMki)?;
        if slot.rtp_packets >= self.policy.rtp_key_lifetime {
            return Err(Error::KeyExpired);
        }
        match self.streams.get_mut(&hdr.ssrc) {
            Some(stream) => {
                let index = stream.estimate_index(hdr.seq)?;
                stream.rtp_replay.check(index)?;
                let keys = match index.checked_div(kdr) {
                    None => &slot.rtp,
                    Some(r) => rekeyed(&mut stream.rtp_rekeyed, profile, slot_idx, slot, false, r),
                };
                let n = keys.open_rtp(pkt, hdr.len, self.mki_len, hdr.ssrc, index)?;
                stream.accept_rtp(index);
                slot.rtp_packets += 1;
                Ok(n)
            }
            None => {
                // A new SSRC: authenticate before any state is created.
                if stream_count >= max {
                    return Err(Error::TooManyStreams(max));
                }
                let index = u64::from(hdr.seq);
                let (n, cache) = match index.checked_div(kdr) {
                    None => (
                        slot.rtp
                            .open_rtp(pkt, hdr.len, self.mki_len, hdr.ssrc, index)?,
                        None,
                    ),
                    Some(r) => {
                        let keys = SessionKeys::derive(profile, &slot.master, false, r);
                        let n = keys.open_rtp(pkt, hdr.len, self.mki_len, hdr.ssrc, index)?;
                        (
                            n,
                            Some(RekeyedKeys {
                                slot: slot_idx,
                                r,
                                keys,
                            }),
                        )
                    }
                };
                // Authenticated: only now allocate the stream.
                let mut stream = Stream::new(window);
                stream.rtp_rekeyed = cache.map(Box::new);
                stream.accept_rtp(index);
                self.streams.insert(hdr.ssrc, stream);
                slot.rtp_packets += 1;
                Ok(n)
            }
        }
    }

    /// Protects the compound RTCP packet in `buf[..len]` in place with the
    /// stream's next 31-bit SRTCP index; returns the SRTCP length. The E flag
    /// follows [`Policy::encrypt_rtcp`] (never set for NULL profiles).
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let ssrc = self.outbound_packet(buf, len, self.rtcp_overhead(), parse_rtcp_ssrc)?;
        let Self {
            profile,
            policy,
            keys,
            active,
            streams,
            ..
        } = self;
        let slot = keys.get_mut(*active).ok_or(Error::UnknownMki)?;
        if slot.rtcp_packets >= policy.rtcp_key_lifetime {
            return Err(Error::KeyExpired);
        }
        let stream = stream_or_insert(streams, ssrc, policy)?;
        let index = stream.next_rtcp_index()?;
        let keys = match u64::from(index).checked_div(policy.kdr) {
            None => &slot.rtcp,
            Some(r) => rekeyed(&mut stream.rtcp_rekeyed, *profile, *active, slot, true, r),
        };
        let n = keys.seal_rtcp(buf, len, &slot.mki, ssrc, index, policy.encrypt_rtcp)?;
        stream.commit_rtcp_index(index);
        slot.rtcp_packets += 1;
        Ok(n)
    }

    /// Verifies and (when its E flag is set) decrypts the SRTCP packet `pkt`
    /// in place; returns the RTCP length. Errors leave the context unchanged.
    pub fn unprotect_rtcp(&mut self, pkt: &mut [u8]) -> Result<usize> {
        self.expect(Direction::Inbound)?;
        let overhead = self.rtcp_overhead();
        let limit = pkt.len().checked_sub(overhead).ok_or(Error::Truncated {
            needed: 8 + overhead,
            len: pkt.len(),
        })?;
        let ssrc = parse_rtcp_ssrc(pkt, limit)?;
        let tag_len = self.profile.rtcp_tag_len();
        // MKI: after E|index (RFC 3711 §3.4); after tag and E|index for GCM.
        let mki_at = if self.profile.is_aead() {
            limit.checked_add(tag_len + 4)
        } else {
            limit.checked_add(4)
        };
        let slot_idx = self.slot_for(pkt, mki_at)?;
        let (profile, kdr, window, max) = (
            self.profile,
            self.policy.kdr,
            self.policy.replay_window,
            self.policy.max_streams,
        );
        let stream_count = self.streams.len();
        let mki_len = self.mki_len;
        let slot = self.keys.get_mut(slot_idx).ok_or(Error::UnknownMki)?;
        if slot.rtcp_packets >= self.policy.rtcp_key_lifetime {
            return Err(Error::KeyExpired);
        }
        let (_, word) = slot.rtcp.rtcp_trailer(pkt, mki_len)?;
        let index = word & !super::cipher::SRTCP_E_BIT;
        let r = u64::from(index).checked_div(kdr);
        match self.streams.get_mut(&ssrc) {
            Some(stream) => {
                stream.rtcp_replay.check(u64::from(index))?;
                let keys = match r {
                    None => &slot.rtcp,
                    Some(r) => rekeyed(&mut stream.rtcp_rekeyed, profile, slot_idx, slot, true, r),
                };
                let n = keys.open_rtcp(pkt, mki_len, ssrc)?;
                stream.rtcp_replay.accept(u64::from(index));
                slot.rtcp_packets += 1;
                Ok(n)
            }
            None => {
                if stream_count >= max {
                    return Err(Error::TooManyStreams(max));
                }
                let (n, cache) = match r {
                    None => (slot.rtcp.open_rtcp(pkt, mki_len, ssrc)?, None),
                    Some(r) => {
                        let keys = SessionKeys::derive(profile, &slot.master, true, r);
                        let n = keys.open_rtcp(pkt, mki_len, ssrc)?;
                        (
                            n,
                            Some(RekeyedKeys {
                                slot: slot_idx,
                                r,
                                keys,
                            }),
                        )
                    }
                };
                // Authenticated: only now allocate the stream.
                let mut stream = Stream::new(window);
                stream.rtcp_rekeyed = cache.map(Box::new);
                stream.rtcp_replay.accept(u64::from(index));
                self.streams.insert(ssrc, stream);
                slot.rtcp_packets += 1;
                Ok(n)
            }
        }
    }

    /// [`protect_rtp`](Self::protect_rtp) on a `BytesMut`, growing it for the
    /// tag (allocates only if its capacity is short).
    pub fn protect_rtp_bytes(&mut self, packet: &mut BytesMut) -> Result<()> {
        let len = packet.len();
        packet.resize(len + self.rtp_overhead(), 0);
        match self.protect_rtp(packet, len) {
            Ok(n) => {
                packet.truncate(n);
                Ok(())
            }
            Err(e) => {
                packet.truncate(len);
                Err(e)
            }
        }
    }

    /// [`unprotect_rtp`](Self::unprotect_rtp) on a `BytesMut`, truncating it
    /// to the RTP packet.
    pub fn unprotect_rtp_bytes(&mut self, packet: &mut BytesMut) -> Result<()> {
        let n = self.unprotect_rtp(packet)?;
        packet.truncate(n);
        Ok(())
    }

    /// [`protect_rtcp`](Self::protect_rtcp) on a `BytesMut`.
    pub fn protect_rtcp_bytes(&mut self, packet: &mut BytesMut) -> Result<()> {
        let len = packet.len();
        packet.resize(len + self.rtcp_overhead(), 0);
        match self.protect_rtcp(packet, len) {
            Ok(n) => {
                packet.truncate(n);
                Ok(())
            }
            Err(e) => {
                packet.truncate(len);
                Err(e)
            }
        }
    }

    /// [`unprotect_rtcp`](Self::unprotect_rtcp) on a `BytesMut`.
    pub fn unprotect_rtcp_bytes(&mut self, packet: &mut BytesMut) -> Result<()> {
        let n = self.unprotect_rtcp(packet)?;
        packet.truncate(n);
        Ok(())
    }
}
