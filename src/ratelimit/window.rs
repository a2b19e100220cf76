//! Sliding-window counter; its approximation bound is documented on
//! [`SlidingWindow`].

use std::time::Duration;

use super::algorithm::Algorithm;
use super::clock::Divisor;
use super::decision::{Decision, Usage};
use super::error::Error;

/// Sliding-window counter over `limit` units per `window`.
///
/// how much of it still overlaps the sliding window — the approximation large
/// CDNs run at scale (12 bytes per key, O(1) per check).
///
/// # Approximation bound
///
/// With `P` units counted in the previous fixed window, `C` in the current
/// one and `e` nanoseconds elapsed in it, the estimate is
/// `E = C + floor(P × (len − e) / len)`, which assumes the previous window's
/// units arrived evenly. The exact count `X` of admitted units in the last
/// `len` nanoseconds is `C` plus the previous-window units newer than
/// `now − len`, so **`|E − X| ≤ P ≤ limit`** at every instant. Consequences:
/// each fixed window admits at most `limit`, any sliding window of length
/// `len` admits at most `2 × limit` (the worst case needs all of `P` packed at
/// the end of the previous window), and under steady traffic the error is a
/// small fraction of `P`. Use [`SlidingLog`](super::SlidingLog) where the
/// limit must be exact.
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::{Algorithm, SlidingWindow, WindowState};
/// let sw = SlidingWindow::new(10, Duration::from_secs(1))?;
/// let mut state = WindowState::default();
/// let t = 5_000_000_000; // 5 s
/// for _ in 0..10 { assert!(sw.check(&mut state, t, 1).is_allowed()); }
/// assert!(!sw.check(&mut state, t, 1).is_allowed());
/// // Half-way through the next window, half of the previous one still counts.
/// let d = sw.check(&mut state, t + 1_500_000_000, 1);
/// assert!(d.is_allowed());
/// assert_eq!(d.remaining, 4);
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SlidingWindow {
    limit: u32,
    len: Divisor,
    /// The last window index whose start (`index × len`) fits in a `u64`.
    last_window: u64,
}

/// Per-key state of a [`SlidingWindow`]: 12 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowState {
    /// Index of the current fixed window, modulo 2^32.
    window: u32,
    current: u32,
    previous: u32,
}

impl WindowState {
    /// A state from its parts (the Redis backend rebuilds it from a reply).
    #[cfg(feature = "redis")]
    pub(crate) fn from_parts(window: u64, current: u32, previous: u32) -> Self {
        Self {
            // Indices are kept modulo 2^32, as `roll` compares them.
            window: window as u32,
            current,
            previous,
        }
    }
}

/// A state whose window index is at most this far ahead of the caller's was
/// advanced by a thread that read the clock a moment later: count into it
/// rather than roll it back. Further than this, the index has wrapped after
/// a long idle period and the state is stale.
const BEHIND_TOLERANCE: u32 = 1 << 16;

impl SlidingWindow {
    /// `limit` units per `window`; `limit ≥ 1`, `window` between 1 ms and
    /// 10 years.
    pub fn new(limit: u32, window: Duration) -> Result<Self, Error> {
        if limit == 0 {
            return Err(Error::InvalidConfig {
                what: "sliding window limit must be at least 1",
            });
        }
        let len = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
        if !(1_000_000..=315_360_000_000_000_000).contains(&len) {
            return Err(Error::InvalidConfig {
                what: "sliding window length must be between 1 ms and 10 years",
            });
        }
        Ok(Self {
            limit,
            len: Divisor::new(len),
            last_window: u64::MAX / len,
        })
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The configured window.
    pub fn window(&self) -> Duration {
        Duration::from_nanos(self.len.get())
    }

    /// The weighted estimate `E` of units counted in the sliding window
    /// ending at `now` (see the module's approximation bound).
    pub fn estimate(&self, state: &WindowState, now: u64) -> u64 {
        let mut s = *state;
        let elapsed = self.roll_to(&mut s, now);
        self.estimate_rolled(&s, elapsed)
    }

    #[inline]
    fn estimate_rolled(&self, s: &WindowState, elapsed: u64) -> u64 {
        u64::from(s.current) + self.weighted(s.previous, elapsed)
    }

    /// `floor(previous × (len − elapsed) / len)`.
    #[inline]
    fn weighted(&self, previous: u32, elapsed: u64) -> u64 {
        let overlap = self.len.get().saturating_sub(elapsed);
        self.len.mul_div(u64::from(previous), overlap)
    }

    /// Smallest elapsed time `≥ from` at which `floor(previous × (len − e) /
    /// len) ≤ room`: `previous × (len − e) < (room + 1) × len`, i.e.
    /// `e ≥ len + 1 − ceil((room + 1) × len / previous)`.
    fn elapsed_when_fits(&self, previous: u64, room: u64, from: u64) -> u64 {
        if previous <= room {
            return from;
        }
        let len = u128::from(self.len.get());
        let p = u128::from(previous);
        let t = ((u128::from(room) + 1) * len).div_ceil(p);
        let e_min = (len + 1).saturating_sub(t);
        u64::try_from(e_min).unwrap_or(u64::MAX).max(from)
    }

    /// Moves `s` to `now`'s window (see [`roll`]) and returns how far `now`
    /// is into it. Most checks of a busy key fall in the window of its last
    /// one or the next: [`SlidingWindow::step_to`] answers those with a
    /// multiply, and only the others need `now`'s index, a division.
    #[inline(always)]
    fn roll_to(&self, s: &mut WindowState, now: u64) -> u64 {
        if let Some(elapsed) = self.step_to(s, now) {
            return elapsed;
        }
        let (idx, elapsed) = self.len.div_rem(now);
        roll(s, idx);
        elapsed
    }

    /// When `now` falls in `s`'s own window or the next one, moves `s` there
    /// (what [`roll`] does one window ahead) and returns how far `now` is
    /// into it; the window's start comes from the stored index. `None`
    /// leaves `s` as it was: `now` is further ahead, or behind `s` (another
    /// thread moved it on), or the stored index's window would start past
    /// `u64::MAX` (a foreign state), or the index has wrapped, which puts
    /// its start far below `now`.
    #[inline(always)]
    fn step_to(&self, s: &mut WindowState, now: u64) -> Option<u64> {
        let len = self.len.get();
        // A compare against a precomputed bound rather than a checked
        // multiply: the overflow flag costs instructions on the inlined path.
        let window = u64::from(s.window);
        if window > self.last_window {
            return None;
        }
        let since = now.checked_sub(window.wrapping_mul(len))?;
        if since < len {
            return Some(since);
        }
        // len ≤ 10 years, so 2 × len cannot overflow.
        if since < 2 * len {
            s.previous = s.current;
            s.current = 0;
            s.window = s.window.wrapping_add(1);
            return Some(since - len);
        }
        None
    }

    /// Counts `cost` if the estimate leaves room for it, returning the
    /// quota left after it.
    #[inline(always)]
    fn admit(&self, s: &mut WindowState, estimate: u64, cost: u32) -> Option<u32> {
        let after = estimate + u64::from(cost);
        let remaining = u64::from(self.limit).checked_sub(after)?;
        // current ≤ estimate, so current + cost ≤ after ≤ limit ≤ u32::MAX,
        // and remaining ≤ limit: neither conversion can lose bits.
        s.current = s.current.wrapping_add(cost);
        Some(remaining as u32)
    }

    /// Every check but an admitted one in the key's own window or the next:
    /// it rolls further, or its weighted count needs 128 bits, or it is
    /// refused.
    #[inline(never)]
    fn check_rolling(&self, s: &mut WindowState, now: u64, cost: u32) -> Decision {
        let elapsed = self.roll_to(s, now);
        let estimate = self.estimate_rolled(s, elapsed);
        match self.admit(s, estimate, cost) {
            Some(remaining) => Decision::allowed(remaining),
            None => self.deny(s, estimate, elapsed, cost),
        }
    }

    /// The refusal path, kept out of line so the admitting path inlines.
    #[cold]
    #[inline(never)]
    fn deny(&self, s: &WindowState, estimate: u64, elapsed: u64, cost: u32) -> Decision {
        let remaining = u64::from(self.limit).saturating_sub(estimate);
        let remaining = u32::try_from(remaining).unwrap_or(0);
        Decision::denied(remaining, self.retry_after(s, elapsed, cost))
    }

    fn retry_after(&self, s: &WindowState, elapsed: u64, cost: u32) -> Duration {
        let limit = u64::from(self.limit);
        let cost = u64::from(cost);
        let current = u64::from(s.current);
        if cost > limit {
            return Duration::MAX;
        }
        let wait = if current + cost <= limit {
            // The previous window's weight decays enough within this window.
            self.elapsed_when_fits(u64::from(s.previous), limit - current - cost, elapsed) - elapsed
        } else {
            // Only once the current window has become the previous one.
            let into_next = self.elapsed_when_fits(current, limit - cost, 0);
            (self.len.get() - elapsed.min(self.len.get())).saturating_add(into_next)
        };
        Duration::from_nanos(wait)
    }
}

/// Moves `s` to fixed window `idx`: the current count becomes the previous
/// one after one step, and both expire after two.
#[inline]
fn roll(s: &mut WindowState, idx: u64) {
    // Window indices are kept modulo 2^32: a 1 s window wraps after 136 years.
    let idx = idx as u32;
    let ahead = idx.wrapping_sub(s.window);
    if ahead == 0 {
        return;
    }
    if s.current == 0 && s.previous == 0 {
        s.window = idx;
        return;
    }
    if ahead > u32::MAX - BEHIND_TOLERANCE {
        // Another thread already moved this key to a later window.
        return;
    }
    s.previous = if ahead == 1 { s.current } else { 0 };
    s.current = 0;
    s.window = idx;
}

impl Algorithm for SlidingWindow {
    type State = WindowState;

    // Always inlined into the keyed limiter's lookup: a call here was a
    // tenth of a hot-key check. Only the common case is inlined — a check
    // in the key's own window or the next, admitted, whose weighted count
    // fits 64 bits — because over a million keys the check waits on a
    // cache miss and the core overlaps the misses of as many checks as fit
    // in its reorder window: every instruction on this path costs
    // throughput there.
    #[inline(always)]
    fn check(&self, s: &mut WindowState, now: u64, cost: u32) -> Decision {
        if let Some(elapsed) = self.step_to(s, now)
            && let Some(weighted) = self
                .len
                .mul_div_64(u64::from(s.previous), self.len.get() - elapsed)
            && let Some(remaining) = self.admit(s, u64::from(s.current) + weighted, cost)
        {
            return Decision::allowed(remaining);
        }
        self.check_rolling(s, now, cost)
    }

    fn usage(&self, s: &WindowState, now: u64) -> Usage {
        Usage::of(self.estimate(s, now), u64::from(self.limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A state of window `window` (kept representable at `len` unless
    /// `place` is 0) and a time placed against it: anywhere (0), inside its
    /// own window (1), at its last nanosecond (2), at the next window's
    /// first (3), inside the next window (4), just before it begins (5).
    fn state_and_time(
        len: u64,
        window: u32,
        current: u32,
        previous: u32,
        offset: u64,
        place: u8,
    ) -> (WindowState, u64) {
        // Most windows of a long length start past u64::MAX: keep this
        // one's start representable unless the time is anywhere.
        let window = if place == 0 {
            window
        } else {
            (u64::from(window) % (u64::MAX / len)) as u32
        };
        let state = WindowState {
            window,
            current,
            previous,
        };
        let start = u64::from(window).checked_mul(len).unwrap_or(0);
        let now = match place {
            0 => offset,
            1 => start.saturating_add(offset % len),
            2 => start.saturating_add(len - 1),
            3 => start.saturating_add(len),
            4 => start.saturating_add(len).saturating_add(offset % len),
            _ => start.saturating_sub(1),
        };
        (state, now)
    }

    fn any_len() -> impl Strategy<Value = u64> {
        prop_oneof![
            1_000_000u64..=10_000_000_000,
            1_000_000u64..=315_360_000_000_000_000,
        ]
    }

    /// A stored index whose window would start past `u64::MAX` (a foreign
    /// or wrapped state) must not be read as `now`'s own window even where
    /// the wrapped start lands just below `now`.
    #[test]
    fn a_window_whose_start_overflows_takes_the_division() {
        let len = 1u64 << 40;
        let sliding = SlidingWindow::new(1, Duration::from_nanos(len)).unwrap();
        let mut state = WindowState {
            // (2^24 + 1) × 2^40 wraps to 2^40, five nanoseconds before now.
            window: (1 << 24) + 1,
            current: 7,
            previous: 3,
        };
        let elapsed = sliding.roll_to(&mut state, len + 5);
        assert_eq!(elapsed, 5);
        assert_eq!(
            state,
            WindowState {
                window: 1,
                current: 0,
                previous: 0
            }
        );
    }

    proptest! {
        /// The shortcut of `roll_to` (`step_to`) leaves the same state and
        /// elapsed time as the division and `roll` it skips, for any window
        /// length, state and time: anywhere, inside the state's own window,
        /// at its last and first nanoseconds either side, in the next one.
        #[test]
        fn roll_to_agrees_with_the_division(
            len in any_len(),
            window: u32,
            current: u32,
            previous: u32,
            offset: u64,
            place in 0u8..6,
        ) {
            let sliding = SlidingWindow::new(1, Duration::from_nanos(len)).unwrap();
            let (state, now) = state_and_time(len, window, current, previous, offset, place);
            let (mut shortcut, mut divided) = (state, state);
            let elapsed = sliding.roll_to(&mut shortcut, now);
            let (idx, divided_elapsed) = sliding.len.div_rem(now);
            roll(&mut divided, idx);
            prop_assert_eq!((shortcut, elapsed), (divided, divided_elapsed));
        }

        /// `check`'s inlined path (an admitted check in the key's own
        /// window or the next) leaves the same state and gives the same
        /// answer as the general path it bypasses, for any length, limit,
        /// counts, cost and time placed as in
        /// `roll_to_agrees_with_the_division`. Counts stay within half the
        /// limit and costs within a quarter, so that most checks are
        /// admitted, except for time anywhere, where counts are arbitrary
        /// (as a state from a foreign Redis might be).
        #[test]
        fn check_agrees_with_the_general_path(
            len in any_len(),
            limit in prop_oneof![1u32..=64, 1u32..],
            window: u32,
            current: u32,
            previous: u32,
            offset: u64,
            place in 0u8..6,
            cost: u32,
        ) {
            let sliding = SlidingWindow::new(limit, Duration::from_nanos(len)).unwrap();
            let bounded = |count: u32| if place == 0 { count } else { count % (limit / 2 + 1) };
            let (state, now) =
                state_and_time(len, window, bounded(current), bounded(previous), offset, place);
            let cost = cost % (limit / 4 + 2);
            let (mut inlined, mut general) = (state, state);
            let answer = sliding.check(&mut inlined, now, cost);
            prop_assert_eq!(
                (answer, inlined),
                (sliding.check_rolling(&mut general, now, cost), general)
            );
        }
    }
}
