//! Rate limiting that survives a flood: sliding-window, exact-log and GCRA
//! limiters, keyed by source address, account or any `Hash + Eq` key,
//! sharded for many threads, bounded in memory against spoofed-address
//! sprays, with concurrency permits and an optional Redis backend.
//!
//! | piece | what for |
//! |---|---|
//! | [`Algorithm`] | the one trait: [`SlidingWindow`] (default), [`SlidingLog`] (exact), [`Gcra`] (pacing) |
//! | [`Limiter`] | one shared limit |
//! | [`KeyedLimiter`] | one limit per key, at most `max_keys` keys, see its eviction contract |
//! | [`IpLimiter`], [`IpKey`] | per source address, IPv6 grouped by /64 |
//! | [`DialPrefix`] | compact destination prefix for `(account, prefix)` keys |
//! | [`ConcurrencyLimiter`], [`Permit`] | concurrent sessions per key, released on drop |
//! | [`Clock`] | injected time: [`CoarseClock`] (default), [`MonotonicClock`], [`SystemClock`], [`ManualClock`] |
//! | `RedisLimiter` | the sliding window shared by several nodes (feature `redis`) |
//!
//! # Security contract
//!
//! * Checks never fail and never panic: a refusal is a [`Decision`] carrying
//!   the remaining quota and the retry-after.
//! * Memory is bounded by configuration, whatever keys arrive: a keyed
//!   limiter tracks at most `max_keys` keys, a few tens of bytes each.
//! * Eviction never hands an exhausted key a fresh quota (see
//!   [`KeyedLimiter`] for the trade-off).
//! * Keys are hashed with a per-limiter key from the OS CSPRNG.
//! * Checking a tracked key allocates nothing.
//!
//! ```
//! use std::time::Duration;
//! use voipsec::ratelimit::{IpLimiter, KeyedConfig, SlidingWindow};
//! let per_source = IpLimiter::new(
//!     SlidingWindow::new(2, Duration::from_secs(1))?,
//!     KeyedConfig::with_max_keys(100_000),
//!     64,
//! )?;
//! let ip = "198.51.100.4".parse()?;
//! assert!(per_source.check(ip).is_allowed());
//! assert!(per_source.check(ip).is_allowed());
//! let refused = per_source.check(ip);
//! assert!(!refused.is_allowed() && refused.retry_after > Duration::ZERO);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod algorithm;
mod clock;
mod concurrency;
mod decision;
mod error;
mod gcra;
mod key;
mod keyed;
mod log;
#[cfg(feature = "redis")]
mod redis;
mod window;

pub use algorithm::{Algorithm, Limiter};
pub use clock::{COARSE_RESOLUTION, Clock, CoarseClock, ManualClock, MonotonicClock, SystemClock};
pub use concurrency::{AcquireError, ConcurrencyLimiter, Permit};
pub use decision::{Decision, Usage};
pub use error::Error;
pub use gcra::{Gcra, GcraState};
pub use key::{DialPrefix, IpKey, IpLimiter};
/// The CSPRNG-keyed foldhash state the limiters hash keys with, for the
/// guard's own tables.
pub(crate) use keyed::keyed_hasher;
pub use keyed::{KeyedConfig, KeyedLimiter, KeyedStats, Overflow};
pub use log::{LogState, SlidingLog};
#[cfg(feature = "redis")]
pub use redis::{RedisConfig, RedisFallback, RedisLimiter};
pub use window::{SlidingWindow, WindowState};
