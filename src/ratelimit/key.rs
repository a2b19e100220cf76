//! Compact keys for what an SBC limits: source addresses (IPv6 grouped by
//! prefix, because one subscriber holds a whole /64), and dialled-number
//! prefixes for per-(account, destination) limits.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;

use super::algorithm::Algorithm;
use super::clock::{Clock, CoarseClock};
use super::decision::Decision;
use super::error::Error;
use super::keyed::{KeyedConfig, KeyedLimiter, KeyedStats};

/// A source address as a limiter key: an IPv4 address, or the leading bits
/// of an IPv6 address (the /64 by default: RFC 4291 §2.5.4 gives every
/// subscriber LAN a whole /64, so per-address limits on IPv6 are free to
/// evade). IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are IPv4 keys, so a
/// dual-stack socket cannot be used to dodge the IPv4 limit.
///
/// ```
/// use voipsec::ratelimit::IpKey;
/// let a: std::net::IpAddr = "2001:db8:1:2::1".parse()?;
/// let b: std::net::IpAddr = "2001:db8:1:2:ffff::9".parse()?;
/// assert_eq!(IpKey::new(a, 64)?, IpKey::new(b, 64)?);
/// let mapped: std::net::IpAddr = "::ffff:192.0.2.1".parse()?;
/// assert_eq!(IpKey::new(mapped, 64)?, IpKey::V4(0xc000_0201));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpKey {
    /// An IPv4 address, as its 32-bit big-endian value.
    V4(u32),
    /// The leading `prefix_len` bits of an IPv6 address, the rest zeroed.
    V6(u64),
}

impl IpKey {
    /// The key of `ip`, grouping IPv6 addresses by their leading
    /// `v6_prefix_len` bits (0 to 64).
    pub fn new(ip: IpAddr, v6_prefix_len: u8) -> Result<Self, Error> {
        let mask = v6_prefix_mask(v6_prefix_len)?;
        Ok(Self::with_mask(ip, mask))
    }

    #[inline]
    fn with_mask(ip: IpAddr, mask: u64) -> Self {
        match ip {
            IpAddr::V4(v4) => IpKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpKey::V4(u32::from(v4)),
                None => IpKey::V6(v6_prefix(v6) & mask),
            },
        }
    }
}

/// An IPv6 prefix as the IPv6 table's key, held as two 32-bit halves with
/// one added to the upper: the key then has a niche and 4-byte alignment,
/// so `Option<V6Prefix>` takes 8 bytes and three keys, their states and the
/// bucket lock share one 64-byte line, as IPv4 keys do (plain `u64` keys
/// take four to 128 bytes: 37 instead of 25 bytes per tracked prefix). The
/// upper half ffff:ffff cannot move up, so the prefixes under
/// ffff:ffff::/32 share their keys with those under ffff:fffe::/32: both lie
/// in ff00::/8 (multicast, RFC 4291 §2.7), never a valid source, so only
/// spoofed packets carry them, and sharing states limits such pairs
/// together — stricter, never looser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct V6Prefix {
    upper_plus_one: NonZeroU32,
    lower: u32,
}

impl V6Prefix {
    #[inline]
    fn new(prefix: u64) -> Self {
        Self {
            upper_plus_one: NonZeroU32::MIN.saturating_add((prefix >> 32) as u32),
            lower: prefix as u32,
        }
    }
}

fn v6_prefix(ip: Ipv6Addr) -> u64 {
    (u128::from(ip) >> 64) as u64
}

fn v6_prefix_mask(prefix_len: u8) -> Result<u64, Error> {
    match prefix_len {
        0 => Ok(0),
        1..=64 => Ok(u64::MAX << (64 - u32::from(prefix_len))),
        _ => Err(Error::InvalidConfig {
            what: "IPv6 grouping prefix length must be between 0 and 64",
        }),
    }
}

/// A keyed limiter per source address: IPv4 keys in one table (16 bytes per
/// slot with the sliding window), IPv6 prefixes in another, each bounded by
/// `config.max_keys` on its own, so a flood in one family cannot evict the
/// other.
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::{IpLimiter, KeyedConfig, SlidingWindow};
/// let per_source = IpLimiter::new(SlidingWindow::new(50, Duration::from_secs(1))?, KeyedConfig::default(), 64)?;
/// assert!(per_source.check("203.0.113.7".parse()?).is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct IpLimiter<A: Algorithm, C: Clock = CoarseClock> {
    v4: KeyedLimiter<u32, A, C>,
    v6: KeyedLimiter<V6Prefix, A, C>,
    v6_mask: u64,
}

impl<A: Algorithm + Clone> IpLimiter<A, CoarseClock> {
    /// An address limiter on the default clock, grouping IPv6 by
    /// `v6_prefix_len` bits (64 recommended).
    pub fn new(algorithm: A, config: KeyedConfig, v6_prefix_len: u8) -> Result<Self, Error> {
        Self::with_clock(algorithm, config, v6_prefix_len, CoarseClock::new())
    }
}

impl<A: Algorithm + Clone, C: Clock + Clone> IpLimiter<A, C> {
    /// An address limiter reading time from `clock`.
    pub fn with_clock(
        algorithm: A,
        config: KeyedConfig,
        v6_prefix_len: u8,
        clock: C,
    ) -> Result<Self, Error> {
        let v6_mask = v6_prefix_mask(v6_prefix_len)?;
        Ok(Self {
            v4: KeyedLimiter::with_clock(algorithm.clone(), config, clock.clone())?,
            v6: KeyedLimiter::with_clock(algorithm, config, clock)?,
            v6_mask,
        })
    }

    /// Checks and counts one unit for `ip`.
    #[inline]
    pub fn check(&self, ip: IpAddr) -> Decision {
        self.check_n(ip, 1)
    }

    /// Checks and counts `cost` units for `ip`.
    pub fn check_n(&self, ip: IpAddr, cost: u32) -> Decision {
        match IpKey::with_mask(ip, self.v6_mask) {
            IpKey::V4(k) => self.v4.check_n(&k, cost),
            IpKey::V6(k) => self.v6.check_n(&V6Prefix::new(k), cost),
        }
    }

    /// What `check` would answer, without counting.
    pub fn peek(&self, ip: IpAddr) -> Decision {
        match IpKey::with_mask(ip, self.v6_mask) {
            IpKey::V4(k) => self.v4.peek(&k),
            IpKey::V6(k) => self.v6.peek(&V6Prefix::new(k)),
        }
    }

    /// Forgets `ip`'s state; returns whether it was tracked.
    pub fn forget(&self, ip: IpAddr) -> bool {
        match IpKey::with_mask(ip, self.v6_mask) {
            IpKey::V4(k) => self.v4.forget(&k),
            IpKey::V6(k) => self.v6.forget(&V6Prefix::new(k)),
        }
    }

    /// Statistics of the IPv4 and the IPv6 tables.
    pub fn stats(&self) -> (KeyedStats, KeyedStats) {
        (self.v4.stats(), self.v6.stats())
    }
}

/// The leading digits of a dialled number, packed into 8 bytes, for keys
/// like `(account, DialPrefix)`: "at most 5 calls a minute from one account
/// to +882…" without allocating a string per call.
///
/// ```
/// use voipsec::ratelimit::DialPrefix;
/// let p = DialPrefix::parse("+44 (20) 7946-0000", 4)?;
/// assert_eq!(p, DialPrefix::parse("442079", 4)?);
/// assert_eq!(p.to_string(), "4420");
/// assert!(DialPrefix::parse("44x", 4).is_err());
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialPrefix {
    /// Nibbles, first digit in the high nibble: 0–9, `*` = 10, `#` = 11.
    packed: u64,
    len: u8,
}

impl DialPrefix {
    /// Most digits a prefix holds.
    pub const MAX_DIGITS: usize = 16;

    /// Takes the first `digits` (at most [`Self::MAX_DIGITS`]) dialable
    /// characters of `number`: `0-9`, `*`, `#`. A leading `+` and the visual
    /// separators `-`, `.`, `(`, `)` and space (RFC 3966 §5.1.1) are skipped;
    /// anything else is an error naming its byte offset. Only the bytes up
    /// to the last digit taken are examined.
    pub fn parse(number: &str, digits: usize) -> Result<Self, Error> {
        let want = digits.min(Self::MAX_DIGITS);
        let mut packed = 0u64;
        let mut len = 0usize;
        for (offset, &byte) in number.as_bytes().iter().enumerate() {
            if len == want {
                break;
            }
            let nibble = match byte {
                b'0'..=b'9' => u64::from(byte - b'0'),
                b'*' => 10,
                b'#' => 11,
                b'+' if offset == 0 => continue,
                b'-' | b'.' | b'(' | b')' | b' ' => continue,
                _ => return Err(Error::InvalidDialString { offset, byte }),
            };
            packed |= nibble << (60 - 4 * len);
            len += 1;
        }
        Ok(Self {
            packed,
            len: len as u8,
        })
    }

    /// Number of digits held.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether no digit is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Display for DialPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for i in 0..self.len() {
            let c = match (self.packed >> (60 - 4 * i)) & 0xf {
                10 => '*',
                11 => '#',
                d => char::from(b'0' + d as u8),
            };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for DialPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DialPrefix({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::{ManualClock, SlidingWindow};
    use std::time::Duration;

    #[test]
    fn v6_prefix_keys_have_a_niche_and_stay_distinct() {
        assert_eq!(size_of::<Option<V6Prefix>>(), 8);
        assert_eq!(align_of::<V6Prefix>(), 4);
        assert_ne!(V6Prefix::new(0), V6Prefix::new(1));
        assert_ne!(V6Prefix::new(0), V6Prefix::new(1 << 32));
        let below = 0xffff_fffd_0000_0000u64;
        assert_ne!(
            V6Prefix::new(below | 7),
            V6Prefix::new((below + (1 << 32)) | 7)
        );
        // The one fold: ffff:ffff::/32 onto ffff:fffe::/32 (multicast).
        assert_eq!(
            V6Prefix::new(u64::MAX),
            V6Prefix::new(0xffff_fffe_ffff_ffff)
        );
        assert_ne!(
            V6Prefix::new(u64::MAX),
            V6Prefix::new(0xffff_fffe_ffff_fffe)
        );
    }

    #[test]
    fn only_the_two_top_multicast_prefixes_share_a_state() {
        let limiter = IpLimiter::with_clock(
            SlidingWindow::new(1, Duration::from_secs(1)).unwrap(),
            KeyedConfig::with_max_keys(4096),
            64,
            ManualClock::starting_at(Duration::from_secs(5)),
        )
        .unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // ::/64 and its neighbours in either half stay apart.
        assert!(limiter.check(ip("::2")).is_allowed());
        assert!(limiter.check(ip("0:0:0:1::2")).is_allowed());
        assert!(limiter.check(ip("0:1::2")).is_allowed());
        assert!(!limiter.check(ip("::3")).is_allowed());
        // Only ffff:ffff::/32 folds onto ffff:fffe::/32, prefix by prefix.
        assert!(limiter.check(ip("ffff:fffe:0:9::1")).is_allowed());
        assert!(!limiter.check(ip("ffff:ffff:0:9::1")).is_allowed());
        assert!(limiter.check(ip("ffff:ffff:0:8::1")).is_allowed());
        assert!(limiter.check(ip("ffff:fffd:0:9::1")).is_allowed());
        assert_eq!(limiter.stats().1.tracked, 6);
    }
}
