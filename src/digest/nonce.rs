//! Stateless nonces: `base64url(key-id | issued-at | random | tag)` where
//! `tag = HMAC-SHA256(secret, key-id | issued-at | random | realm | client)`
//! truncated to 96 bits (22 bytes, 30 characters).
//!
//! Why so short: the nonce is hashed into every response, and at 30
//! characters an MD5 response for a typical SIP client (8-character cnonce)
//! fits in two compression blocks instead of three. 96 bits of tag still
//! needs ~2^96 online guesses to forge; 40 random bits keep nonces issued in
//! the same second distinct; the 32-bit timestamp lasts until 2106.
//!
//! Any node holding the secret verifies a nonce without shared state
//! (RFC 7616 §3.3 suggests exactly this shape: a timestamp plus a keyed
//! hash). The timestamp lets an expired nonce be told apart from a forged
//! one, so the client gets `stale=true` and retries silently instead of
//! prompting its user. Binding the client address is optional because NATs
//! and multi-homed proxies legitimately change it.

use core::fmt;
use std::net::IpAddr;

use super::algorithm::ct_eq_words;
use super::stream::HmacSha256Key;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const TIME_LEN: usize = 4;
const RANDOM_LEN: usize = 5;
/// Bytes of HMAC tag kept in a nonce (and used as its nonce-count key).
pub const NONCE_TAG_LEN: usize = 12;
const TAG_LEN: usize = NONCE_TAG_LEN;
const HEAD_LEN: usize = 1 + TIME_LEN + RANDOM_LEN;
/// key-id + issued-at + random + tag.
const RAW_LEN: usize = HEAD_LEN + TAG_LEN;
/// Length of an encoded nonce (base64url without padding).
pub(crate) const NONCE_LEN: usize = RAW_LEN.div_ceil(3) * 4 - (3 - RAW_LEN % 3) % 3;

/// A 256-bit nonce-signing secret, zeroized on drop, never printed.
///
/// Held as the `hmac` crate's keyed HMAC-SHA256 state (the SHA-256 states
/// after the `key ^ ipad` and `key ^ opad` blocks, RFC 2104 §2), computed
/// once: signing or checking a nonce clones it instead of re-keying, which
/// saves two of the four SHA-256 compressions per nonce. The keyed state
/// is key-equivalent, so it is treated like the key: wiped on drop (the
/// `zeroize` features of `hmac`/`sha2`), and the raw key bytes are wiped as
/// soon as the state is derived.
///
/// ```
/// use voipsec::digest::NonceSecret;
/// let secret = NonceSecret::generate();
/// assert_eq!(format!("{secret:?}"), "NonceSecret(<redacted>)");
/// ```
#[derive(Clone)]
pub struct NonceSecret {
    keyed: HmacSha256Key,
}

impl NonceSecret {
    /// A fresh secret from the OS-seeded CSPRNG.
    pub fn generate() -> NonceSecret {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::fill(&mut *key);
        NonceSecret {
            keyed: HmacSha256Key::new(&key),
        }
    }

    /// A secret shared between nodes (distribute it like any other key).
    pub fn from_bytes(bytes: [u8; 32]) -> NonceSecret {
        NonceSecret {
            keyed: HmacSha256Key::new(&Zeroizing::new(bytes)),
        }
    }
}

impl Zeroize for NonceSecret {
    /// Replaces the keyed state by the all-zero key's; the old state is
    /// dropped, which wipes it.
    fn zeroize(&mut self) {
        self.keyed = HmacSha256Key::new(&[0; 32]);
    }
}

/// The keyed state wipes itself on drop.
impl ZeroizeOnDrop for NonceSecret {}

impl fmt::Debug for NonceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceSecret(<redacted>)")
    }
}

/// What a nonce says about itself once its tag checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceInfo {
    /// When it was issued (Unix seconds).
    pub issued_at: u64,
    /// Unique per nonce: the key under which nonce-counts are tracked.
    pub tag: [u8; TAG_LEN],
    /// Whether it is older than the lifetime (answer `stale=true`).
    pub expired: bool,
}

/// The current signing secret, the previous one during its grace period,
/// and the validity rules.
pub struct NonceKeys {
    current: NonceSecret,
    current_id: u8,
    previous: Option<(NonceSecret, u8, u64)>,
    lifetime_secs: u64,
    max_future_skew_secs: u64,
}

impl fmt::Debug for NonceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceKeys")
            .field("current_id", &self.current_id)
            .field("previous_until", &self.previous.as_ref().map(|p| p.2))
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

impl NonceKeys {
    /// Nonces signed with `secret` live `lifetime_secs` seconds; timestamps
    /// up to `max_future_skew_secs` ahead (clock skew between nodes) pass.
    pub fn new(secret: NonceSecret, lifetime_secs: u64, max_future_skew_secs: u64) -> NonceKeys {
        NonceKeys {
            current: secret,
            current_id: 0,
            previous: None,
            lifetime_secs,
            max_future_skew_secs,
        }
    }

    /// Nonce lifetime in seconds.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    /// Makes `secret` current; nonces signed with the old one still verify
    /// until `now + grace_secs`.
    pub fn rotate(&mut self, secret: NonceSecret, now: u64, grace_secs: u64) {
        let old = core::mem::replace(&mut self.current, secret);
        let old_id = self.current_id;
        self.current_id = self.current_id.wrapping_add(1);
        self.previous = Some((old, old_id, now.saturating_add(grace_secs)));
    }

    fn tag(
        secret: &NonceSecret,
        head: &[u8],
        realm: &[u8],
        client: Option<IpAddr>,
    ) -> [u8; TAG_LEN] {
        let mut mac = secret.keyed.mac();
        mac.update(head);
        // Length-prefix the realm so realm/address boundaries cannot shift.
        mac.update(&(realm.len() as u64).to_be_bytes());
        mac.update(realm);
        match client {
            None => mac.update(&[0]),
            Some(IpAddr::V4(a)) => {
                mac.update(&[4]);
                mac.update(&a.octets());
            }
            Some(IpAddr::V6(a)) => {
                mac.update(&[6]);
                mac.update(&a.octets());
            }
        }
        let full = mac.finish();
        let mut tag = [0u8; TAG_LEN];
        for (t, f) in tag.iter_mut().zip(&full) {
            *t = *f;
        }
        tag
    }

    /// Issues a nonce for `realm` (and `client` when addresses are bound)
    /// at time `now` (Unix seconds).
    ///
    /// ```
    /// use voipsec::digest::{NonceKeys, NonceSecret};
    /// let keys = NonceKeys::new(NonceSecret::generate(), 300, 5);
    /// let nonce = keys.issue(b"example.com", None, 1_000);
    /// let info = keys.check(nonce.as_bytes(), b"example.com", None, 1_300).unwrap();
    /// assert!(!info.expired);
    /// assert!(keys.check(nonce.as_bytes(), b"example.com", None, 1_301).unwrap().expired);
    /// assert!(keys.check(nonce.as_bytes(), b"other.com", None, 1_001).is_none());
    /// ```
    pub fn issue(&self, realm: &[u8], client: Option<IpAddr>, now: u64) -> String {
        let mut raw = [0u8; RAW_LEN];
        // Seconds past 2106 saturate: such nonces read as expired, never valid.
        let issued = u32::try_from(now).unwrap_or(u32::MAX);
        raw[0] = self.current_id;
        raw[1..1 + TIME_LEN].copy_from_slice(&issued.to_be_bytes());
        rand::fill(&mut raw[1 + TIME_LEN..HEAD_LEN]);
        let tag = NonceKeys::tag(&self.current, &raw[..HEAD_LEN], realm, client);
        raw[HEAD_LEN..].copy_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Verifies a nonce; `None` when it is not one of ours (forged,
    /// truncated, for another realm or client, signed by a retired secret,
    /// or dated in the future).
    pub fn check(
        &self,
        nonce: &[u8],
        realm: &[u8],
        client: Option<IpAddr>,
        now: u64,
    ) -> Option<NonceInfo> {
        if nonce.len() != NONCE_LEN {
            return None;
        }
        let mut raw = [0u8; RAW_LEN + 2];
        let n = URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw).ok()?;
        if n != RAW_LEN {
            return None;
        }
        let (head, rest) = raw.split_at(HEAD_LEN);
        let given_tag = rest.get(..TAG_LEN)?;
        let key_id = *head.first()?;
        let secret = if key_id == self.current_id {
            &self.current
        } else {
            match &self.previous {
                Some((secret, id, until)) if *id == key_id && now <= *until => secret,
                _ => return None,
            }
        };
        let tag = NonceKeys::tag(secret, head, realm, client);
        if !ct_eq_words(&tag, given_tag) {
            return None;
        }
        let mut ts = [0u8; TIME_LEN];
        ts.copy_from_slice(head.get(1..1 + TIME_LEN)?);
        let issued_at = u64::from(u32::from_be_bytes(ts));
        if issued_at > now.saturating_add(self.max_future_skew_secs) {
            return None;
        }
        Some(NonceInfo {
            issued_at,
            tag,
            expired: now.saturating_sub(issued_at) > self.lifetime_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_length_matches_constant() {
        let keys = NonceKeys::new(NonceSecret::from_bytes([7; 32]), 60, 5);
        assert_eq!(keys.issue(b"r", None, 1).len(), NONCE_LEN);
    }

    #[test]
    fn client_binding_and_rotation() {
        let mut keys = NonceKeys::new(NonceSecret::from_bytes([1; 32]), 60, 5);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let n = keys.issue(b"r", Some(ip), 100);
        assert!(keys.check(n.as_bytes(), b"r", Some(ip), 100).is_some());
        assert!(keys.check(n.as_bytes(), b"r", Some(other), 100).is_none());
        assert!(keys.check(n.as_bytes(), b"r", None, 100).is_none());
        keys.rotate(NonceSecret::from_bytes([2; 32]), 110, 30);
        assert!(keys.check(n.as_bytes(), b"r", Some(ip), 140).is_some());
        assert!(keys.check(n.as_bytes(), b"r", Some(ip), 141).is_none());
        // Future-dated beyond the skew.
        let future = keys.issue(b"r", None, 1_000);
        assert!(keys.check(future.as_bytes(), b"r", None, 994).is_none());
        assert!(keys.check(future.as_bytes(), b"r", None, 995).is_some());
        // A flipped tag bit is refused.
        let mut bad = future.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(keys.check(&bad, b"r", None, 1_000).is_none());
    }
}
