//! Sliding-window log: the exact algorithm, for low limits such as "5 failed
//! authentications per 10 minutes".
//!
//! The state is a ring of the expiry times of the last `limit` admitted
//! units (8 bytes per unit, inline: no allocation). A unit admitted at `t`
//! counts while `now < t + window`, so a request is admitted exactly when
//! fewer than `limit − cost + 1` units were admitted in `(now − window, now]`.

use std::time::Duration;

use super::algorithm::Algorithm;
use super::decision::{Decision, Usage};
use super::error::Error;

/// Exact sliding-window log of at most `N` units per window (the runtime
/// limit may be lower than the capacity `N`).
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::{Algorithm, LogState, SlidingLog};
/// // 5 failed authentications per 10 minutes.
/// let log = SlidingLog::<5>::new(5, Duration::from_secs(600))?;
/// let mut s = LogState::default();
/// let minute = 60_000_000_000u64;
/// for i in 0..5 { assert!(log.check(&mut s, i * minute, 1).is_allowed()); }
/// let d = log.check(&mut s, 5 * minute, 1);
/// assert!(!d.is_allowed());
/// assert_eq!(d.retry_after, Duration::from_secs(300)); // the first one expires at 10 min
/// assert!(log.check(&mut s, 10 * minute, 1).is_allowed());
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SlidingLog<const N: usize> {
    limit: u32,
    window: u64,
}

/// Per-key state of a [`SlidingLog`]: `8 × N + 4` bytes, inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogState<const N: usize> {
    /// Expiry times, oldest at `head`, non-decreasing around the ring;
    /// zero means never used (expired at any time).
    expiry: [u64; N],
    head: u32,
}

impl<const N: usize> Default for LogState<N> {
    fn default() -> Self {
        Self {
            expiry: [0; N],
            head: 0,
        }
    }
}

impl<const N: usize> SlidingLog<N> {
    /// `limit` units per `window`; `1 ≤ limit ≤ N`, `window ≥ 1 ns`.
    pub fn new(limit: u32, window: Duration) -> Result<Self, Error> {
        if limit == 0 || usize::try_from(limit).map_or(true, |l| l > N) || N > u32::MAX as usize {
            return Err(Error::InvalidConfig {
                what: "sliding log limit must be between 1 and its capacity N",
            });
        }
        let window = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
        if window == 0 {
            return Err(Error::InvalidConfig {
                what: "sliding log window must be at least 1 ns",
            });
        }
        Ok(Self { limit, window })
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Units admitted in `(now − window, now]`: the exact count.
    pub fn count(&self, s: &LogState<N>, now: u64) -> u32 {
        self.ring(s).filter(|&e| e > now).count() as u32
    }

    /// The ring's slots in age order, oldest first.
    fn ring<'s>(&self, s: &'s LogState<N>) -> impl Iterator<Item = u64> + 's {
        let limit = self.limit as usize;
        let head = (s.head as usize).min(limit.saturating_sub(1));
        let (active, _) = s.expiry.split_at(limit.min(N));
        let (older, newer) = active.split_at(head);
        newer.iter().chain(older.iter()).copied()
    }
}

impl<const N: usize> Algorithm for SlidingLog<N> {
    type State = LogState<N>;

    fn check(&self, s: &mut LogState<N>, now: u64, cost: u32) -> Decision {
        if cost > self.limit {
            let remaining = self.limit - self.count(s, now);
            return Decision::denied(remaining, Duration::MAX);
        }
        if cost == 0 {
            return Decision::allowed(self.limit - self.count(s, now));
        }
        // The cost-th oldest unit must have expired: the ring is in age
        // order, so then all older ones have too.
        let Some(blocking) = self.ring(s).nth(cost as usize - 1) else {
            return Decision::denied(0, Duration::MAX);
        };
        if blocking > now {
            let remaining = self.limit - self.count(s, now);
            return Decision::denied(remaining, Duration::from_nanos(blocking - now));
        }
        let limit = self.limit as usize;
        let expires = now.saturating_add(self.window);
        let mut head = (s.head as usize).min(limit - 1);
        for _ in 0..cost {
            if let Some(slot) = s.expiry.get_mut(head) {
                *slot = expires;
            }
            head = (head + 1) % limit;
        }
        s.head = head as u32;
        Decision::allowed(self.limit - self.count(s, now))
    }

    fn usage(&self, s: &LogState<N>, now: u64) -> Usage {
        Usage::of(u64::from(self.count(s, now)), u64::from(self.limit))
    }
}
