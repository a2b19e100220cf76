//! What a limiter answers.

use std::time::Duration;

/// The answer to one check: admitted or not, how much quota is left, and when
/// to retry.
///
/// `retry_after` is zero for admitted requests; for refused ones it is the
/// shortest wait after which the same request would be admitted if nothing
/// else arrives (a guard puts it in `Retry-After`), and [`Duration::MAX`]
/// when the request can never be admitted (its cost exceeds the limit).
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::Decision;
/// let d = Decision::denied(3, Duration::from_secs(2));
/// assert!(!d.is_allowed());
/// assert_eq!(d.retry_after_secs(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is admitted (and was counted).
    pub allowed: bool,
    /// Units still admissible in the current window after this decision.
    pub remaining: u32,
    /// How long to wait before retrying; zero when admitted.
    pub retry_after: Duration,
}

impl Decision {
    /// An admitted request with `remaining` units left.
    pub const fn allowed(remaining: u32) -> Self {
        Self {
            allowed: true,
            remaining,
            retry_after: Duration::ZERO,
        }
    }

    /// A refused request.
    pub const fn denied(remaining: u32, retry_after: Duration) -> Self {
        Self {
            allowed: false,
            remaining,
            retry_after,
        }
    }

    /// Whether the request is admitted.
    pub const fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// `retry_after` rounded up to whole seconds, as SIP `Retry-After`
    /// (RFC 3261 §20.33) and HTTP 429 carry it.
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }
}

/// How much of its quota a key has used at an instant; the keyed limiter
/// evicts the least-used keys first and never evicts exhausted ones.
///
/// The order is `Idle < Partial(_) < Exhausted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Usage {
    /// The state is equivalent to a fresh one: forgetting it loses nothing.
    Idle,
    /// Some quota is used: parts per million of the limit (below 1,000,000).
    Partial(u32),
    /// Not even one more unit would be admitted now.
    Exhausted,
}

impl Usage {
    /// Classifies `used` units of `limit`: zero is idle, `used + 1 > limit`
    /// exhausted, anything between a fraction.
    pub(crate) fn of(used: u64, limit: u64) -> Self {
        if used == 0 {
            Usage::Idle
        } else if used >= limit {
            Usage::Exhausted
        } else {
            let ppm = used.saturating_mul(1_000_000) / limit.max(1);
            Usage::Partial(u32::try_from(ppm).unwrap_or(999_999).min(999_999))
        }
    }
}
