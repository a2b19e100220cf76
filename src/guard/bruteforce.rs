//! Password guessing: failed digest authentications counted per source and
//! per user.
//!
//! * **Per source**: `source_failures` failures within the window mark a
//!   guessing source ([`Rule::BruteForceSource`]); so do failures against
//!   `spray_users` distinct users (password spraying: one password, many
//!   users, few tries each).
//! * **Per user**: `user_failures` failures within the window, from any
//!   sources, mark a distributed attack on one account
//!   ([`Rule::BruteForceUser`]). Blocking the *user* would let an attacker
//!   lock a victim out, so callers should answer this with throttling or an
//!   alert, and block sources only on source evidence.
//! * A successful authentication clears the user's count, and clears the
//!   source's count only when that source failed for no other user: a
//!   success does not whitewash a source that is spraying many users.
//!
//! The engine feeds it from the digest verifier's typed failures (wrong
//! response, unknown user, stale nonce excluded — a stale nonce is not a
//! guess, RFC 7616 §3.5). Memory is bounded per table.

use std::net::IpAddr;
use std::time::Duration;

use super::error::GuardError;
use super::event::{Reason, Rule};
use super::tracker::{BoundedTracker, DISTINCT_CAPACITY, DistinctSet, Fingerprinter, source_key};

/// Thresholds of the [`BruteForceDetector`].
///
/// # Example
///
/// ```
/// use std::net::IpAddr;
/// use voipsec::guard::{BruteForceConfig, BruteForceDetector, Rule};
///
/// let config = BruteForceConfig { source_failures: 3, ..BruteForceConfig::default() };
/// let mut detector = BruteForceDetector::new(config)?;
/// let src: IpAddr = "203.0.113.8".parse()?;
/// assert!(detector.record_failure(src, "1001", 0).is_none());
/// assert!(detector.record_failure(src, "1001", 1).is_none());
/// let reason = detector.record_failure(src, "1001", 2).ok_or("no verdict")?;
/// assert_eq!((reason.rule, reason.observed, reason.limit), (Rule::BruteForceSource, 3, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BruteForceConfig {
    /// Counting window (tumbling, per source and per user).
    pub window: Duration,
    /// Failures from one source per window.
    pub source_failures: u32,
    /// Distinct users failed from one source per window (at most 64).
    pub spray_users: u32,
    /// Failures against one user per window, from all sources.
    pub user_failures: u32,
    /// The most sources tracked.
    pub max_sources: usize,
    /// The most users tracked.
    pub max_users: usize,
    /// IPv6 sources are counted per prefix of this length.
    pub ipv6_prefix_len: u8,
}

impl Default for BruteForceConfig {
    fn default() -> Self {
        BruteForceConfig {
            window: Duration::from_secs(600),
            source_failures: 10,
            spray_users: 5,
            user_failures: 20,
            max_sources: 4096,
            max_users: 4096,
            ipv6_prefix_len: 64,
        }
    }
}

impl BruteForceConfig {
    /// Checks the ranges.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::BruteForceConfig;
    ///
    /// assert!(BruteForceConfig::default().validate().is_ok());
    /// // Spraying is counted in a 64-user set.
    /// assert!(BruteForceConfig { spray_users: 65, ..BruteForceConfig::default() }.validate().is_err());
    /// assert!(BruteForceConfig { window: Duration::ZERO, ..BruteForceConfig::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), GuardError> {
        let setting = |name, reason| Err(GuardError::Setting { name, reason });
        if self.source_failures == 0 {
            return setting("bruteforce.source_failures", "must be at least 1");
        }
        if self.spray_users == 0 || self.spray_users as usize > DISTINCT_CAPACITY {
            return setting("bruteforce.spray_users", "must be 1..=64");
        }
        if self.user_failures == 0 {
            return setting("bruteforce.user_failures", "must be at least 1");
        }
        if self.max_sources == 0 || self.max_users == 0 {
            return setting("bruteforce.max_sources", "tables need at least 1 entry");
        }
        if self.ipv6_prefix_len > 128 {
            return setting("bruteforce.ipv6_prefix_len", "must be 0..=128");
        }
        if self.window.as_millis() == 0 {
            return setting("bruteforce.window", "must be at least 1 ms");
        }
        Ok(())
    }
}

#[derive(Debug)]
struct SourceFailures {
    window_start_ms: u64,
    failures: u32,
    users: DistinctSet,
}

#[derive(Debug)]
struct UserFailures {
    window_start_ms: u64,
    failures: u32,
}

/// Counts failed authentications per source and per user.
///
/// ```
/// use std::net::IpAddr;
/// use voipsec::guard::{BruteForceConfig, BruteForceDetector, Rule};
///
/// let mut detector = BruteForceDetector::new(BruteForceConfig::default()).unwrap();
/// let guesser: IpAddr = "198.51.100.9".parse().unwrap();
/// let phone: IpAddr = "192.0.2.10".parse().unwrap();
/// let mut verdict = None;
/// for t in 0..10 {
///     verdict = detector.record_failure(guesser, "1001", t * 1000);
/// }
/// assert_eq!(verdict.unwrap().rule, Rule::BruteForceSource);
/// // The real user on another address is not affected.
/// assert!(detector.record_failure(phone, "1001", 11_000).is_none());
/// detector.record_success(phone, "1001", 12_000);
/// ```
#[derive(Debug)]
pub struct BruteForceDetector {
    config: BruteForceConfig,
    window_ms: u64,
    sources: BoundedTracker<IpAddr, SourceFailures>,
    users: BoundedTracker<u64, UserFailures>,
    fingerprinter: Fingerprinter,
}

impl BruteForceDetector {
    /// A detector with validated thresholds. All memory is reserved here.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{BruteForceConfig, BruteForceDetector};
    ///
    /// let detector = BruteForceDetector::new(BruteForceConfig::default())?;
    /// assert_eq!(detector.tracked_sources(), 0);
    /// let invalid = BruteForceConfig { source_failures: 0, ..BruteForceConfig::default() };
    /// assert!(BruteForceDetector::new(invalid).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: BruteForceConfig) -> Result<Self, GuardError> {
        config.validate()?;
        Ok(BruteForceDetector {
            config,
            window_ms: u64::try_from(config.window.as_millis()).unwrap_or(u64::MAX),
            sources: BoundedTracker::new(config.max_sources),
            users: BoundedTracker::new(config.max_users),
            fingerprinter: Fingerprinter::new(),
        })
    }

    /// The thresholds.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{BruteForceConfig, BruteForceDetector};
    ///
    /// let config = BruteForceConfig { user_failures: 7, ..BruteForceConfig::default() };
    /// let detector = BruteForceDetector::new(config)?;
    /// assert_eq!(detector.config().user_failures, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &BruteForceConfig {
        &self.config
    }

    /// How many sources are tracked (never more than `max_sources`).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{BruteForceConfig, BruteForceDetector};
    ///
    /// let config = BruteForceConfig { max_sources: 2, ..BruteForceConfig::default() };
    /// let mut detector = BruteForceDetector::new(config)?;
    /// for last in 1..=5u8 {
    ///     let source = std::net::IpAddr::from([192, 0, 2, last]);
    ///     detector.record_failure(source, "1001", 0);
    /// }
    /// assert_eq!(detector.tracked_sources(), 2); // oldest evicted
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tracked_sources(&self) -> usize {
        self.sources.len()
    }

    /// How many users are tracked (never more than `max_users`).
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::{BruteForceConfig, BruteForceDetector};
    ///
    /// let mut detector = BruteForceDetector::new(BruteForceConfig::default())?;
    /// let src: IpAddr = "192.0.2.1".parse()?;
    /// for user in ["1001", "1002", "1001"] {
    ///     detector.record_failure(src, user, 0);
    /// }
    /// assert_eq!(detector.tracked_users(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tracked_users(&self) -> usize {
        self.users.len()
    }

    fn source(&mut self, source: IpAddr, now_ms: u64) -> &mut SourceFailures {
        let key = source_key(source, self.config.ipv6_prefix_len);
        let window_ms = self.window_ms;
        let (state, _) = self.sources.entry(key, || SourceFailures {
            window_start_ms: now_ms,
            failures: 0,
            users: DistinctSet::new(),
        });
        if now_ms.saturating_sub(state.window_start_ms) >= window_ms {
            state.window_start_ms = now_ms;
            state.failures = 0;
            state.users.clear();
        }
        state
    }

    fn user(&mut self, user_key: u64, now_ms: u64) -> &mut UserFailures {
        let window_ms = self.window_ms;
        let (state, _) = self.users.entry(user_key, || UserFailures {
            window_start_ms: now_ms,
            failures: 0,
        });
        if now_ms.saturating_sub(state.window_start_ms) >= window_ms {
            state.window_start_ms = now_ms;
            state.failures = 0;
        }
        state
    }

    /// Records a failed authentication from `source` as `user`. Returns the
    /// source reason (failures or spraying) first, else the user reason,
    /// once a threshold is reached — and for every later failure in the
    /// same window, so a source that comes back from a short ban and fails
    /// again at once earns its next (longer) ban without a fresh allowance.
    /// Callers check the [`super::BanList`] before authenticating.
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::{BruteForceConfig, BruteForceDetector, Rule};
    ///
    /// let mut detector = BruteForceDetector::new(BruteForceConfig::default())?; // spray_users 5
    /// let sprayer: IpAddr = "198.51.100.3".parse()?;
    /// let mut verdicts = Vec::new();
    /// for user in ["100", "101", "102", "103", "104", "105"] {
    ///     verdicts.push(detector.record_failure(sprayer, user, 0));
    /// }
    /// assert!(verdicts[..4].iter().all(Option::is_none));
    /// // Five distinct users, then every later failure in the window.
    /// let fifth = verdicts[4].ok_or("no verdict")?;
    /// assert_eq!((fifth.rule, fifth.observed), (Rule::BruteForceSource, 5));
    /// assert!(verdicts[5].is_some());
    /// // The window restarts after 600 s.
    /// assert!(detector.record_failure(sprayer, "100", 600_000).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_failure(&mut self, source: IpAddr, user: &str, now_ms: u64) -> Option<Reason> {
        let user_key = self.fingerprinter.of(user);
        let config = self.config;
        let src = self.source(source, now_ms);
        src.failures = src.failures.saturating_add(1);
        let distinct = u32::try_from(src.users.insert(user_key)).unwrap_or(u32::MAX);
        let source_failures = src.failures;
        let usr = self.user(user_key, now_ms);
        usr.failures = usr.failures.saturating_add(1);
        let user_failures = usr.failures;
        if source_failures >= config.source_failures {
            return Some(Reason::counted(
                Rule::BruteForceSource,
                "failed authentications from one source",
                u64::from(source_failures),
                u64::from(config.source_failures),
            ));
        }
        if distinct >= config.spray_users {
            return Some(Reason::counted(
                Rule::BruteForceSource,
                "failed authentications for many users (spraying)",
                u64::from(distinct),
                u64::from(config.spray_users),
            ));
        }
        if user_failures >= config.user_failures {
            return Some(Reason::counted(
                Rule::BruteForceUser,
                "failed authentications against one user",
                u64::from(user_failures),
                u64::from(config.user_failures),
            ));
        }
        None
    }

    /// Records a successful authentication from `source` as `user`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::{BruteForceConfig, BruteForceDetector};
    ///
    /// let config = BruteForceConfig { source_failures: 3, ..BruteForceConfig::default() };
    /// let mut detector = BruteForceDetector::new(config)?;
    /// let phone: IpAddr = "192.0.2.10".parse()?;
    /// detector.record_failure(phone, "1001", 0);
    /// detector.record_failure(phone, "1001", 1);
    /// // A mistyped password, then the right one: the count is forgiven.
    /// detector.record_success(phone, "1001", 2);
    /// assert!(detector.record_failure(phone, "1001", 3).is_none());
    /// assert!(detector.record_failure(phone, "1001", 4).is_none());
    /// assert!(detector.record_failure(phone, "1001", 5).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_success(&mut self, source: IpAddr, user: &str, now_ms: u64) {
        let user_key = self.fingerprinter.of(user);
        self.user(user_key, now_ms).failures = 0;
        let src = self.source(source, now_ms);
        // Only a source whose failures all concern this very user is
        // forgiven (a mistyped password); a sprayer keeps its count.
        let only_this_user = match src.users.len() {
            0 => true,
            1 => src.users.contains(user_key),
            _ => false,
        };
        if only_this_user {
            src.failures = 0;
            src.users.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn detector(source: u32, spray: u32, user: u32, max: usize) -> BruteForceDetector {
        BruteForceDetector::new(BruteForceConfig {
            window: Duration::from_secs(60),
            source_failures: source,
            spray_users: spray,
            user_failures: user,
            max_sources: max,
            max_users: max,
            ipv6_prefix_len: 64,
        })
        .unwrap()
    }

    #[test]
    fn source_threshold_boundary_and_window() {
        let mut d = detector(3, 64, 100, 16);
        let src = ip("192.0.2.1");
        assert!(d.record_failure(src, "100", 0).is_none());
        assert!(d.record_failure(src, "100", 1).is_none());
        let r = d.record_failure(src, "100", 2).unwrap();
        assert_eq!(
            (r.rule, r.observed, r.limit),
            (Rule::BruteForceSource, 3, 3)
        );
        assert!(d.record_failure(src, "100", 60_000).is_none(), "new window");
    }

    #[test]
    fn success_forgives_a_typo_but_not_a_sprayer() {
        let mut d = detector(3, 64, 100, 16);
        let phone = ip("192.0.2.1");
        d.record_failure(phone, "100", 0);
        d.record_failure(phone, "100", 1);
        d.record_success(phone, "100", 2);
        assert!(d.record_failure(phone, "100", 3).is_none());
        assert!(d.record_failure(phone, "100", 4).is_none());

        let sprayer = ip("198.51.100.1");
        d.record_failure(sprayer, "100", 0);
        d.record_failure(sprayer, "101", 1);
        // The sprayer finally guesses one: its count stays.
        d.record_success(sprayer, "101", 2);
        assert!(d.record_failure(sprayer, "102", 3).is_some());

        // A success for another user does not forgive a single-user guesser.
        let guesser = ip("198.51.100.2");
        d.record_failure(guesser, "200", 0);
        d.record_failure(guesser, "200", 1);
        d.record_success(guesser, "201", 2);
        assert!(d.record_failure(guesser, "200", 3).is_some());
    }

    #[test]
    fn spraying_and_distributed_user_attack() {
        let mut d = detector(100, 3, 4, 64);
        let src = ip("2001:db8::1");
        assert!(d.record_failure(src, "100", 0).is_none());
        assert!(d.record_failure(src, "101", 0).is_none());
        let r = d.record_failure(src, "102", 0).unwrap();
        assert_eq!((r.rule, r.observed), (Rule::BruteForceSource, 3));
        // Many sources, one user (a botnet): the user rule fires.
        let mut d = detector(100, 64, 4, 64);
        let mut last = None;
        for n in 0..4u32 {
            last = d.record_failure(IpAddr::V4(n.into()), "admin", 0);
        }
        let r = last.unwrap();
        assert_eq!((r.rule, r.observed, r.limit), (Rule::BruteForceUser, 4, 4));
        d.record_success(ip("192.0.2.200"), "admin", 1);
        assert!(d.record_failure(ip("10.0.0.9"), "admin", 2).is_none());
    }

    #[test]
    fn ipv6_prefix_counts_together() {
        let mut d = detector(2, 64, 100, 16);
        assert!(d.record_failure(ip("2001:db8:0:1::1"), "1", 0).is_none());
        assert!(d.record_failure(ip("2001:db8:0:1::2"), "1", 0).is_some());
    }

    #[test]
    fn bounded_tables() {
        let mut d = detector(2, 64, 2, 8);
        for n in 0..2000u32 {
            d.record_failure(IpAddr::V4(n.into()), &n.to_string(), 0);
            assert!(d.sources.len() <= 8 && d.users.len() <= 8);
        }
    }

    #[test]
    fn validation() {
        for config in [
            BruteForceConfig {
                source_failures: 0,
                ..Default::default()
            },
            BruteForceConfig {
                spray_users: 65,
                ..Default::default()
            },
            BruteForceConfig {
                spray_users: 0,
                ..Default::default()
            },
            BruteForceConfig {
                user_failures: 0,
                ..Default::default()
            },
            BruteForceConfig {
                max_users: 0,
                ..Default::default()
            },
            BruteForceConfig {
                ipv6_prefix_len: 200,
                ..Default::default()
            },
            BruteForceConfig {
                window: Duration::ZERO,
                ..Default::default()
            },
        ] {
            assert!(BruteForceDetector::new(config).is_err());
        }
    }
}
