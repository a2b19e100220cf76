//! GCRA, the Generic Cell Rate Algorithm (ITU-T I.371; the virtual-scheduling
//! form of a token bucket): smooth per-second pacing with a burst allowance,
//! in one 8-byte timestamp per key.
//!
//! Each unit advances the key's theoretical arrival time (TAT) by the
//! emission interval `T = per / rate`; a request is admitted while the new
//! TAT stays within `burst × T` of now. A key at rest can therefore send
//! `burst` units at once, then one every `T`.

use std::time::Duration;

use super::algorithm::Algorithm;
use super::clock::Divisor;
use super::decision::{Decision, Usage};
use super::error::Error;

/// GCRA limiter: `rate` units per `per`, bursts of up to `burst` units.
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::{Algorithm, Gcra, GcraState};
/// // 10 INVITEs per second, bursts of 3.
/// let gcra = Gcra::new(10, Duration::from_secs(1), 3)?;
/// let mut s = GcraState::default();
/// for _ in 0..3 { assert!(gcra.check(&mut s, 0, 1).is_allowed()); }
/// let d = gcra.check(&mut s, 0, 1);
/// assert_eq!(d.retry_after, Duration::from_millis(100));
/// assert!(gcra.check(&mut s, 100_000_000, 1).is_allowed());
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Gcra {
    interval: Divisor,
    burst: u32,
    /// `burst × interval`: how far ahead of now the TAT may run.
    tolerance: u64,
}

/// Per-key state of a [`Gcra`]: the theoretical arrival time, 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcraState {
    tat: u64,
}

impl Gcra {
    /// `rate ≥ 1` units per `per` (the emission interval `per / rate` is
    /// rounded down to whole nanoseconds and must be at least 1 ns), bursts
    /// of `burst ≥ 1` units.
    pub fn new(rate: u32, per: Duration, burst: u32) -> Result<Self, Error> {
        if rate == 0 || burst == 0 {
            return Err(Error::InvalidConfig {
                what: "gcra rate and burst must be at least 1",
            });
        }
        let interval = u64::try_from(per.as_nanos() / u128::from(rate)).unwrap_or(u64::MAX);
        if interval == 0 {
            return Err(Error::InvalidConfig {
                what: "gcra emission interval (per / rate) must be at least 1 ns",
            });
        }
        let Some(tolerance) = interval.checked_mul(u64::from(burst)) else {
            return Err(Error::InvalidConfig {
                what: "gcra burst × interval must fit in 584 years",
            });
        };
        Ok(Self {
            interval: Divisor::new(interval),
            burst,
            tolerance,
        })
    }

    /// The emission interval `T`.
    pub fn interval(&self) -> Duration {
        Duration::from_nanos(self.interval.get())
    }

    /// The burst size.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Units admissible at `now` given a TAT (never more than `burst`).
    #[inline]
    fn room(&self, tat: u64, now: u64) -> u32 {
        let horizon = now.saturating_add(self.tolerance);
        let units = self.interval.div(horizon.saturating_sub(tat));
        u32::try_from(units).unwrap_or(u32::MAX).min(self.burst)
    }
}

impl Gcra {
    /// The refusal path, kept out of line so the admitting path inlines.
    #[cold]
    #[inline(never)]
    fn deny(&self, tat: u64, new_tat: u64, horizon: u64, now: u64, cost: u32) -> Decision {
        let wait = if cost > self.burst {
            Duration::MAX
        } else {
            Duration::from_nanos(new_tat - horizon)
        };
        Decision::denied(self.room(tat, now), wait)
    }
}

impl Algorithm for Gcra {
    type State = GcraState;

    // Always inlined into the keyed limiter's lookup: a call here was a
    // tenth of a hot-key check.
    #[inline(always)]
    fn check(&self, s: &mut GcraState, now: u64, cost: u32) -> Decision {
        let tat = s.tat.max(now);
        let Some(new_tat) = u64::from(cost)
            .checked_mul(self.interval.get())
            .and_then(|step| tat.checked_add(step))
        else {
            return Decision::denied(self.room(tat, now), Duration::MAX);
        };
        let horizon = now.saturating_add(self.tolerance);
        if new_tat <= horizon {
            s.tat = new_tat;
            Decision::allowed(self.room(new_tat, now))
        } else {
            self.deny(tat, new_tat, horizon, now, cost)
        }
    }

    fn usage(&self, s: &GcraState, now: u64) -> Usage {
        let ahead = s.tat.saturating_sub(now);
        if ahead == 0 {
            Usage::Idle
        } else if ahead.saturating_add(self.interval.get()) > self.tolerance {
            Usage::Exhausted
        } else {
            Usage::of(ahead, self.tolerance)
        }
    }
}
