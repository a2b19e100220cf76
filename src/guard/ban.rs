//! Timed, escalating source bans.
//!
//! When a policy decides to block a source, the engine records it here and
//! checks every later message against it first (the cheapest possible
//! rejection). A source banned again while it is still remembered gets a
//! longer ban: `base`, `2·base`, `4·base`… up to `max`, so a persistent
//! attacker is kept out for long while a one-off mistake costs little.
//! Strikes are forgotten `forget_after` the last ban ends.
//!
//! Memory is bounded (`max_sources`, oldest entry evicted first). An attacker
//! able to trigger bans from many spoofed addresses can push out older bans:
//! keep `max_sources` large (each entry is about 48 bytes) and watch the
//! event rate; firewall-level bans (fed from the event sink) have no such
//! limit.

use std::net::IpAddr;
use std::time::Duration;

use super::error::GuardError;
use super::tracker::{BoundedTracker, source_key};

/// Settings of the [`BanList`].
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::{BanConfig, BanList};
///
/// let config = BanConfig { base: Duration::from_secs(10), max: Duration::from_secs(30), ..BanConfig::default() };
/// let mut bans = BanList::new(config)?;
/// let src = "192.0.2.7".parse()?;
/// let lengths: Vec<u64> = (0..4).map(|_| bans.ban(src, 0).as_secs()).collect();
/// assert_eq!(lengths, [10, 20, 30, 30]); // doubled, capped at `max`
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BanConfig {
    /// The first ban's length.
    pub base: Duration,
    /// The longest ban.
    pub max: Duration,
    /// Strikes are forgotten this long after the last ban ends.
    pub forget_after: Duration,
    /// The most sources remembered.
    pub max_sources: usize,
    /// IPv6 sources are banned per prefix of this length.
    pub ipv6_prefix_len: u8,
}

impl Default for BanConfig {
    fn default() -> Self {
        BanConfig {
            base: Duration::from_secs(60),
            max: Duration::from_secs(24 * 3600),
            forget_after: Duration::from_secs(24 * 3600),
            max_sources: 65_536,
            ipv6_prefix_len: 64,
        }
    }
}

impl BanConfig {
    /// Checks the ranges (`base` ≥ 1 ms, `max` ≥ `base`, at least one source,
    /// IPv6 prefix ≤ 128).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::BanConfig;
    ///
    /// assert!(BanConfig::default().validate().is_ok());
    /// let shorter_max = BanConfig { max: Duration::from_secs(1), ..BanConfig::default() };
    /// assert!(shorter_max.validate().is_err());
    /// assert!(BanConfig { ipv6_prefix_len: 129, ..BanConfig::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), GuardError> {
        let setting = |name, reason| Err(GuardError::Setting { name, reason });
        if self.base.as_millis() == 0 {
            return setting("ban.base", "must be at least 1 ms");
        }
        if self.max < self.base {
            return setting("ban.max", "must be at least ban.base");
        }
        if self.max_sources == 0 {
            return setting("ban.max_sources", "must be at least 1");
        }
        if self.ipv6_prefix_len > 128 {
            return setting("ban.ipv6_prefix_len", "must be 0..=128");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct BanState {
    until_ms: u64,
    strikes: u32,
}

/// Banned sources with escalating durations.
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::{BanConfig, BanList};
///
/// let mut bans = BanList::new(BanConfig::default()).unwrap();
/// let attacker = "203.0.113.50".parse().unwrap();
/// assert_eq!(bans.ban(attacker, 0), Duration::from_secs(60));
/// assert_eq!(bans.remaining(attacker, 30_000), Some(Duration::from_secs(30)));
/// assert_eq!(bans.remaining(attacker, 60_000), None);
/// // Caught again: twice as long.
/// assert_eq!(bans.ban(attacker, 90_000), Duration::from_secs(120));
/// ```
#[derive(Debug)]
pub struct BanList {
    config: BanConfig,
    sources: BoundedTracker<IpAddr, BanState>,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl BanList {
    /// A ban list with validated settings. All memory is reserved here.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{BanConfig, BanList};
    ///
    /// let bans = BanList::new(BanConfig::default())?;
    /// assert!(bans.is_empty());
    /// assert!(BanList::new(BanConfig { max_sources: 0, ..BanConfig::default() }).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: BanConfig) -> Result<Self, GuardError> {
        config.validate()?;
        Ok(BanList {
            config,
            sources: BoundedTracker::new(config.max_sources),
        })
    }

    /// The settings.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::{BanConfig, BanList};
    ///
    /// let config = BanConfig { base: Duration::from_secs(5), ..BanConfig::default() };
    /// let bans = BanList::new(config)?;
    /// assert_eq!(bans.config(), &config);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &BanConfig {
        &self.config
    }

    /// How many sources are remembered.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{BanConfig, BanList};
    ///
    /// let mut bans = BanList::new(BanConfig::default())?;
    /// bans.ban("192.0.2.1".parse()?, 0);
    /// bans.ban("192.0.2.2".parse()?, 0);
    /// bans.ban("192.0.2.1".parse()?, 0); // same source: one entry
    /// assert_eq!(bans.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether no source is remembered.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{BanConfig, BanList};
    ///
    /// let mut bans = BanList::new(BanConfig::default())?;
    /// assert!(bans.is_empty());
    /// bans.ban("192.0.2.1".parse()?, 0);
    /// assert!(!bans.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.sources.len() == 0
    }

    /// Bans `source` for its next escalation step and returns the length.
    /// Banning a source that is still banned extends from now.
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use std::time::Duration;
    /// use voipsec::guard::{BanConfig, BanList};
    ///
    /// let mut bans = BanList::new(BanConfig::default())?; // base 60 s
    /// let src: IpAddr = "2001:db8::1".parse()?;
    /// assert_eq!(bans.ban(src, 0), Duration::from_secs(60));
    /// // Still banned: the next step (120 s) runs from now.
    /// assert_eq!(bans.ban(src, 10_000), Duration::from_secs(120));
    /// assert_eq!(bans.remaining(src, 10_000), Some(Duration::from_secs(120)));
    /// // IPv6 sources are banned per /64 by default.
    /// assert!(bans.remaining("2001:db8::99".parse()?, 10_000).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ban(&mut self, source: IpAddr, now_ms: u64) -> Duration {
        let key = source_key(source, self.config.ipv6_prefix_len);
        let forget_ms = millis(self.config.forget_after);
        let (state, _) = self.sources.entry(key, || BanState {
            until_ms: 0,
            strikes: 0,
        });
        if state.strikes > 0 && now_ms.saturating_sub(state.until_ms) >= forget_ms {
            state.strikes = 0;
        }
        let exponent = state.strikes.min(63);
        state.strikes = state.strikes.saturating_add(1);
        let base = millis(self.config.base);
        let max = millis(self.config.max);
        let length = base.checked_mul(1u64 << exponent).unwrap_or(max).min(max);
        state.until_ms = state.until_ms.max(now_ms.saturating_add(length));
        Duration::from_millis(length)
    }

    /// Bans `source` for exactly `length` (no escalation; an existing longer
    /// ban is kept).
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use std::time::Duration;
    /// use voipsec::guard::{BanConfig, BanList};
    ///
    /// let mut bans = BanList::new(BanConfig::default())?;
    /// let src: IpAddr = "198.51.100.4".parse()?;
    /// bans.ban_for(src, Duration::from_secs(600), 0);
    /// // A shorter ban does not cut the longer one.
    /// bans.ban_for(src, Duration::from_secs(5), 0);
    /// assert_eq!(bans.remaining(src, 0), Some(Duration::from_secs(600)));
    /// // No escalation: the first escalating ban is still `base`.
    /// assert_eq!(bans.ban(src, 0), Duration::from_secs(60));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ban_for(&mut self, source: IpAddr, length: Duration, now_ms: u64) {
        let key = source_key(source, self.config.ipv6_prefix_len);
        let (state, _) = self.sources.entry(key, || BanState {
            until_ms: 0,
            strikes: 0,
        });
        state.until_ms = state.until_ms.max(now_ms.saturating_add(millis(length)));
    }

    /// The time left on `source`'s ban, or `None` when it may pass.
    /// Allocation-free.
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use std::time::Duration;
    /// use voipsec::guard::{BanConfig, BanList};
    ///
    /// let mut bans = BanList::new(BanConfig::default())?;
    /// let src: IpAddr = "192.0.2.9".parse()?;
    /// assert_eq!(bans.remaining(src, 0), None); // never banned
    /// bans.ban(src, 1_000);
    /// assert_eq!(bans.remaining(src, 31_000), Some(Duration::from_secs(30)));
    /// assert_eq!(bans.remaining(src, 61_000), None); // expired
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remaining(&self, source: IpAddr, now_ms: u64) -> Option<Duration> {
        let key = source_key(source, self.config.ipv6_prefix_len);
        let state = self.sources.get(&key)?;
        (state.until_ms > now_ms).then(|| Duration::from_millis(state.until_ms - now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn list(max_sources: usize) -> BanList {
        BanList::new(BanConfig {
            base: Duration::from_secs(10),
            max: Duration::from_secs(45),
            forget_after: Duration::from_secs(100),
            max_sources,
            ipv6_prefix_len: 64,
        })
        .unwrap()
    }

    #[test]
    fn escalates_and_caps() {
        let mut bans = list(16);
        let src = ip("192.0.2.1");
        let lengths: Vec<u64> = (0..5).map(|n| bans.ban(src, n).as_secs()).collect();
        assert_eq!(lengths, [10, 20, 40, 45, 45]);
        for _ in 0..100 {
            bans.ban(src, 0);
        }
        assert_eq!(bans.ban(src, 0), Duration::from_secs(45));
    }

    #[test]
    fn boundaries_and_forgetting() {
        let mut bans = list(16);
        let src = ip("192.0.2.1");
        assert_eq!(bans.remaining(src, 0), None);
        bans.ban(src, 1_000);
        assert_eq!(bans.remaining(src, 10_999), Some(Duration::from_millis(1)));
        assert_eq!(bans.remaining(src, 11_000), None);
        // Forgotten 100 s after the ban ended: back to the base length.
        assert_eq!(bans.ban(src, 110_999), Duration::from_secs(20));
        assert_eq!(bans.ban(src, 130_999 + 100_000), Duration::from_secs(10));
    }

    #[test]
    fn ipv6_bans_cover_the_prefix_and_mapped_is_ipv4() {
        let mut bans = list(16);
        bans.ban(ip("2001:db8:1:2::1"), 0);
        assert!(bans.remaining(ip("2001:db8:1:2:ffff::9"), 1).is_some());
        assert!(bans.remaining(ip("2001:db8:1:3::1"), 1).is_none());
        bans.ban(ip("192.0.2.7"), 0);
        assert!(bans.remaining(ip("::ffff:192.0.2.7"), 1).is_some());
    }

    #[test]
    fn explicit_length_keeps_longer_ban() {
        let mut bans = list(16);
        let src = ip("192.0.2.1");
        bans.ban_for(src, Duration::from_secs(100), 0);
        bans.ban_for(src, Duration::from_secs(1), 0);
        assert_eq!(bans.remaining(src, 0), Some(Duration::from_secs(100)));
    }

    #[test]
    fn bounded() {
        let mut bans = list(4);
        for n in 0..1000u32 {
            bans.ban(IpAddr::V4(n.into()), 0);
            assert!(bans.len() <= 4);
        }
        assert!(bans.remaining(IpAddr::V4(999u32.into()), 1).is_some());
        assert!(bans.remaining(IpAddr::V4(0u32.into()), 1).is_none());
    }

    #[test]
    fn validation() {
        let bad = [
            BanConfig {
                base: Duration::ZERO,
                ..Default::default()
            },
            BanConfig {
                max: Duration::from_secs(1),
                ..Default::default()
            },
            BanConfig {
                max_sources: 0,
                ..Default::default()
            },
            BanConfig {
                ipv6_prefix_len: 129,
                ..Default::default()
            },
        ];
        for config in bad {
            assert!(BanList::new(config).is_err());
        }
    }
}
