//! The one trait every algorithm implements, and a single-key limiter over it.

use std::sync::{Mutex, PoisonError};

use super::clock::{Clock, CoarseClock};
use super::decision::{Decision, Usage};

/// A rate-limiting algorithm: a pure function from (state, time, cost) to a
/// decision, over a small `Copy` per-key state.
///
/// Implementations: [`SlidingWindow`](super::SlidingWindow) (the default,
/// approximate, 12 bytes per key), [`SlidingLog`](super::SlidingLog) (exact,
/// 8 bytes per unit of limit) and [`Gcra`](super::Gcra) (smooth pacing with
/// burst, 8 bytes per key). The state's `Default` is a key never seen.
pub trait Algorithm: Send + Sync {
    /// Per-key state.
    type State: Copy + Default + Send + std::fmt::Debug;

    /// Checks a request of `cost` units at time `now` (nanoseconds, see
    /// [`Clock`]) and counts it if admitted.
    fn check(&self, state: &mut Self::State, now: u64, cost: u32) -> Decision;

    /// How much of its quota the key has used at `now`.
    fn usage(&self, state: &Self::State, now: u64) -> Usage;

    /// What `check` would answer for one unit, without counting it.
    fn peek(&self, state: &Self::State, now: u64) -> Decision {
        let mut scratch = *state;
        self.check(&mut scratch, now, 1)
    }
}

/// One limit shared by every caller (a global rate, or a per-process cap).
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::{Limiter, ManualClock, SlidingWindow};
/// let clock = ManualClock::new();
/// let limiter = Limiter::with_clock(SlidingWindow::new(2, Duration::from_secs(1))?, clock.clone());
/// assert!(limiter.check().is_allowed());
/// assert!(limiter.check().is_allowed());
/// assert!(!limiter.check().is_allowed());
/// clock.advance(Duration::from_secs(2));
/// assert!(limiter.check().is_allowed());
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
#[derive(Debug)]
pub struct Limiter<A: Algorithm, C: Clock = CoarseClock> {
    algorithm: A,
    clock: C,
    state: Mutex<A::State>,
}

impl<A: Algorithm> Limiter<A, CoarseClock> {
    /// A limiter on the default coarse monotonic clock.
    pub fn new(algorithm: A) -> Self {
        Self::with_clock(algorithm, CoarseClock::new())
    }
}

impl<A: Algorithm, C: Clock> Limiter<A, C> {
    /// A limiter reading time from `clock`.
    pub fn with_clock(algorithm: A, clock: C) -> Self {
        Self {
            algorithm,
            clock,
            state: Mutex::new(A::State::default()),
        }
    }

    /// Checks and counts one unit.
    pub fn check(&self) -> Decision {
        self.check_n(1)
    }

    /// Checks and counts `cost` units (all or nothing).
    pub fn check_n(&self, cost: u32) -> Decision {
        let now = self.clock.now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.algorithm.check(&mut state, now, cost)
    }

    /// What `check` would answer, without counting.
    pub fn peek(&self) -> Decision {
        let now = self.clock.now();
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.algorithm.peek(&state, now)
    }

    /// The algorithm this limiter applies.
    pub fn algorithm(&self) -> &A {
        &self.algorithm
    }
}
