//! Injected time.
//!
//! Every limiter reads time through [`Clock`], so tests drive a
//! [`ManualClock`] and get exact, instant answers, while production uses
//! [`CoarseClock`]: one relaxed atomic load per read (≈1 ns) instead of a
//! `clock_gettime` call (≈25 ns on a KVM guest), which would cost more than
//! the whole limiter check.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of monotonic time in nanoseconds since the clock's own epoch.
///
/// Implementations must never go backwards; limiters tolerate a clock that
/// does (they never reset a key because of it) but then admit conservatively.
pub trait Clock: Send + Sync {
    /// Nanoseconds since this clock's epoch.
    fn now(&self) -> u64;
}

fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Precise monotonic clock: `Instant::now()` on every read.
///
/// ```
/// use voipsec::ratelimit::{Clock, MonotonicClock};
/// let clock = MonotonicClock::new();
/// let a = clock.now();
/// assert!(clock.now() >= a);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MonotonicClock {
    epoch: Instant,
}

impl MonotonicClock {
    /// A clock whose epoch is now.
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    #[inline]
    fn now(&self) -> u64 {
        duration_nanos(self.epoch.elapsed())
    }
}

/// How often the [`CoarseClock`] ticker refreshes the shared time.
pub const COARSE_RESOLUTION: Duration = Duration::from_millis(1);

/// The ticker's last reading (at least 1), or 0 while no ticker runs: one
/// load tells a reader both whether to trust it and the time.
static COARSE_NOW: AtomicU64 = AtomicU64::new(0);
static COARSE_START: Once = Once::new();

fn process_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn precise_since_process_epoch() -> u64 {
    duration_nanos(process_epoch().elapsed())
}

/// Cheap monotonic clock with [`COARSE_RESOLUTION`] (1 ms) granularity.
///
/// The first `CoarseClock::new()` in the process starts one background
/// thread (`voipsec-clock`) that stores the monotonic time into a shared
/// atomic every millisecond; reads are a relaxed load. Rate limits are
/// expressed in windows of milliseconds to minutes, so 1 ms of granularity
/// changes no decision that matters, and it takes the clock off the hot path.
/// If the thread cannot be spawned, reads fall back to `Instant::now()`.
///
/// ```
/// use voipsec::ratelimit::{Clock, CoarseClock};
/// use std::time::{Duration, Instant};
/// let clock = CoarseClock::new();
/// let a = clock.now();
/// // The ticker moves it within about a millisecond (longer on a loaded host).
/// let start = Instant::now();
/// while clock.now() == a && start.elapsed() < Duration::from_secs(10) {
///     std::thread::sleep(Duration::from_millis(1));
/// }
/// assert!(clock.now() > a);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CoarseClock {
    _started: (),
}

impl CoarseClock {
    /// Returns a handle to the process-wide coarse clock, starting its ticker
    /// thread on first use.
    pub fn new() -> Self {
        COARSE_START.call_once(|| {
            let spawned = std::thread::Builder::new()
                .name("voipsec-clock".into())
                .spawn(|| {
                    loop {
                        COARSE_NOW.fetch_max(coarse_reading(), Ordering::Relaxed);
                        std::thread::sleep(COARSE_RESOLUTION);
                    }
                });
            if spawned.is_ok() {
                // Published before `new` returns, so no handle reads 0 after.
                COARSE_NOW.fetch_max(coarse_reading(), Ordering::Relaxed);
            }
        });
        Self { _started: () }
    }
}

/// A reading for the ticker to publish: never 0, which means "no ticker".
fn coarse_reading() -> u64 {
    precise_since_process_epoch().max(1)
}

impl Default for CoarseClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for CoarseClock {
    #[inline]
    fn now(&self) -> u64 {
        match COARSE_NOW.load(Ordering::Relaxed) {
            // No ticker thread (it could not be spawned): read the time.
            0 => precise_since_process_epoch(),
            ticked => ticked,
        }
    }
}

/// Wall-clock time since the UNIX epoch, for limiters whose state is shared
/// between hosts (the Redis backend): every node must read the same epoch,
/// so keep their clocks NTP-synchronised; a skew of `s` shifts a node's
/// window boundaries by `s`.
///
/// ```
/// use voipsec::ratelimit::{Clock, SystemClock};
/// assert!(SystemClock.now() > 1_600_000_000 * 1_000_000_000);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(duration_nanos)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to; clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let shared = clock.clone();
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(shared.now(), 1_500_000_000);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A manual clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// A manual clock at `start`.
    pub fn starting_at(start: Duration) -> Self {
        let clock = Self::new();
        clock.set(start);
        clock
    }

    /// Moves time forward by `by` (saturating).
    pub fn advance(&self, by: Duration) {
        let by = duration_nanos(by);
        // fetch_update cannot fail with a closure that always returns Some.
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(by))
            });
    }

    /// Sets the time (it may go backwards: tests use this to check that
    /// limiters do not reset on a clock step).
    pub fn set(&self, at: Duration) {
        self.nanos.store(duration_nanos(at), Ordering::Release);
    }
}

impl Clock for ManualClock {
    #[inline]
    fn now(&self) -> u64 {
        self.nanos.load(Ordering::Acquire)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    #[inline]
    fn now(&self) -> u64 {
        (**self).now()
    }
}

/// Exact division by a divisor fixed at construction, without a hardware
/// `div` (10–18 cycles on current x86) on the hot path: with the reciprocal
/// `m = ⌊(2^64 − 1) / d⌋`, the high half of `x × m` is `⌊x/d⌋` or one less
/// (`x·m/2^64 > x/d − 1`), so one compare makes it exact.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Divisor {
    divisor: u64,
    reciprocal: u64,
}

impl Divisor {
    /// `divisor` must be non-zero (callers validate their configuration).
    pub(crate) fn new(divisor: u64) -> Self {
        let divisor = divisor.max(1);
        Self {
            divisor,
            reciprocal: u64::MAX / divisor,
        }
    }

    pub(crate) fn get(self) -> u64 {
        self.divisor
    }

    /// `(x / divisor, x % divisor)`, exact.
    #[inline]
    pub(crate) fn div_rem(self, x: u64) -> (u64, u64) {
        let mut q = ((u128::from(x) * u128::from(self.reciprocal)) >> 64) as u64;
        // q ≤ ⌊x/d⌋, so q × d ≤ x and neither operation overflows.
        let mut r = x - q * self.divisor;
        if r >= self.divisor {
            q += 1;
            r -= self.divisor;
        }
        (q, r)
    }

    /// `x / divisor`, exact.
    #[inline]
    pub(crate) fn div(self, x: u64) -> u64 {
        self.div_rem(x).0
    }

    /// `(a * b) / divisor` for a product that may exceed 64 bits.
    #[inline]
    pub(crate) fn mul_div(self, a: u64, b: u64) -> u64 {
        self.mul_div_64(a, b).unwrap_or_else(|| {
            let q = (u128::from(a) * u128::from(b)) / u128::from(self.divisor);
            u64::try_from(q).unwrap_or(u64::MAX)
        })
    }

    /// `(a * b) / divisor` when the product fits 64 bits, else `None`.
    #[inline]
    pub(crate) fn mul_div_64(self, a: u64, b: u64) -> Option<u64> {
        a.checked_mul(b).map(|p| self.div(p))
    }
}

#[cfg(test)]
mod tests {
    use super::Divisor;

    #[test]
    fn divisor_is_exact_at_edges() {
        for d in [
            1u64,
            2,
            3,
            7,
            1_000,
            999_999_937,
            1 << 40,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let div = Divisor::new(d);
            for x in [
                0u64,
                1,
                d - 1,
                d,
                d.saturating_add(1),
                u64::MAX,
                u64::MAX - 1,
                1 << 53,
                (1 << 53) + 1,
            ] {
                assert_eq!(div.div_rem(x), (x / d, x % d), "x={x} d={d}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn divisor_matches_hardware_division(x: u64, d in 1u64..) {
            proptest::prop_assert_eq!(Divisor::new(d).div_rem(x), (x / d, x % d));
        }

        #[test]
        fn divisor_matches_for_small_divisors(x: u64, d in 1u64..100_000) {
            proptest::prop_assert_eq!(Divisor::new(d).div_rem(x), (x / d, x % d));
        }
    }

    #[test]
    fn mul_div_matches_u128() {
        let div = Divisor::new(600_000_000_000);
        for (a, b) in [
            (u64::from(u32::MAX), 600_000_000_000u64),
            (5, 7),
            (1 << 40, 1 << 40),
        ] {
            let want = (u128::from(a) * u128::from(b) / 600_000_000_000u128) as u64;
            assert_eq!(div.mul_div(a, b), want);
        }
    }
}
