//! The sliding window on Redis (feature `redis`); see [`RedisLimiter`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::{Client, Connection, Script};

use super::algorithm::Algorithm;
use super::clock::{Clock, MonotonicClock, SystemClock};
use super::decision::Decision;
use super::error::Error;
use super::keyed::{KeyedConfig, KeyedLimiter};
use super::window::{SlidingWindow, WindowState};

/// Rolls the key's two windows to `now`, estimates, and counts if admitted.
/// KEYS[1] the counter hash; ARGV: now (µs), window length (µs), limit, cost.
/// Returns {admitted, window index, current, previous} as seen before
/// counting. All numbers stay below 2^53, where Lua's doubles are exact.
const SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local len = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local idx = math.floor(now / len)
local elapsed = now - idx * len
local v = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w = tonumber(v[1]) or idx
local c = tonumber(v[2]) or 0
local p = tonumber(v[3]) or 0
if idx == w + 1 then
  p = c; c = 0; w = idx
elseif idx > w + 1 then
  p = 0; c = 0; w = idx
end
local est = c + math.floor(p * (len - elapsed) / len)
if est + cost <= limit then
  redis.call('HSET', KEYS[1], 'w', w, 'c', c + cost, 'p', p)
  redis.call('PEXPIRE', KEYS[1], math.ceil(2 * len / 1000) + 1)
  return {1, w, c, p}
end
return {0, w, c, p}
";

/// What to answer when Redis is unreachable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RedisFallback {
    /// Admit everything (availability first).
    FailOpen,
    /// Refuse everything, with `retry_interval` as retry-after.
    FailClosed,
    /// Apply the same limit per node with a local [`KeyedLimiter`] (each node
    /// then admits up to the limit on its own).
    #[default]
    Local,
}

/// Connection and policy of a [`RedisLimiter`]. Its `Debug` output omits the
/// URL, which may carry a password.
#[derive(Clone)]
pub struct RedisConfig {
    /// Server URL, e.g. `redis://127.0.0.1:6379/`.
    pub url: String,
    /// Prefix of every counter key (namespaces limiters sharing a server).
    pub key_prefix: String,
    /// Connect timeout. Default 100 ms.
    pub connect_timeout: Duration,
    /// Read and write timeout of each script call. Default 50 ms.
    pub io_timeout: Duration,
    /// How long to stay on the fallback after a failure. Default 1 s.
    pub retry_interval: Duration,
    /// What to answer while Redis is unreachable.
    pub fallback: RedisFallback,
    /// Bound of the local fallback limiter.
    pub local: KeyedConfig,
}

impl RedisConfig {
    /// Defaults for the server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: "voipsec:rl:".into(),
            connect_timeout: Duration::from_millis(100),
            io_timeout: Duration::from_millis(50),
            retry_interval: Duration::from_secs(1),
            fallback: RedisFallback::Local,
            local: KeyedConfig::default(),
        }
    }
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &"<redacted>")
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .field("retry_interval", &self.retry_interval)
            .field("fallback", &self.fallback)
            .field("local", &self.local)
            .finish()
    }
}

/// A sliding-window limiter whose counts live in Redis, shared by every node
/// that uses the same server, prefix, limit and window.
///
/// (feature `redis`).
///
/// One Lua script rolls, estimates and counts atomically on the server, so
/// every node sees the same counts. Times are the nodes' own clocks
/// ([`SystemClock`] by default: keep nodes NTP-synchronised; a node whose
/// clock is ahead moves a key to the next window early and the others then
/// count into that window, never resetting it). Semantics are those of
/// [`SlidingWindow`] at microsecond resolution, and the decision (remaining,
/// retry-after) is computed by the same code from the state the script saw.
///
/// When Redis cannot be reached or answers late, the limiter applies its
/// [`RedisFallback`] and does not try Redis again for `retry_interval`, so a
/// dead server costs one timeout per interval, not one per packet.
///
/// ```no_run
/// use std::time::Duration;
/// use voipsec::ratelimit::{RedisConfig, RedisLimiter, SlidingWindow};
/// let limiter = RedisLimiter::new(
///     SlidingWindow::new(100, Duration::from_secs(1))?,
///     RedisConfig::new("redis://127.0.0.1:6379/"),
/// )?;
/// let decision = limiter.check(b"acct:alice");
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
pub struct RedisLimiter<C: Clock + Clone = SystemClock> {
    window: SlidingWindow,
    window_us: u64,
    client: Client,
    connection: Mutex<Option<Connection>>,
    script: Script,
    clock: C,
    config: RedisConfig,
    local: KeyedLimiter<Vec<u8>, SlidingWindow, C>,
    /// Backoff: Redis is not tried before this time on `backoff_clock`.
    down_until: AtomicU64,
    backoff_clock: MonotonicClock,
    fallbacks: AtomicU64,
}

impl<C: Clock + Clone> std::fmt::Debug for RedisLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("window", &self.window)
            .field("config", &self.config)
            .field("fallbacks", &self.fallbacks())
            .finish_non_exhaustive()
    }
}

impl RedisLimiter<SystemClock> {
    /// A limiter on the wall clock. Does not connect yet: the first check
    /// does, so a node can start while Redis is down.
    pub fn new(window: SlidingWindow, config: RedisConfig) -> Result<Self, Error> {
        Self::with_clock(window, config, SystemClock)
    }
}

impl<C: Clock + Clone> RedisLimiter<C> {
    /// A limiter reading time from `clock` (all nodes must share its epoch).
    /// The window must be a whole number of microseconds, and
    /// `limit × window in µs` must stay below 2^53.
    pub fn with_clock(window: SlidingWindow, config: RedisConfig, clock: C) -> Result<Self, Error> {
        let nanos = window.window().as_nanos();
        if !nanos.is_multiple_of(1000) {
            return Err(Error::InvalidConfig {
                what: "redis window must be a whole number of microseconds",
            });
        }
        let window_us = u64::try_from(nanos / 1000).unwrap_or(u64::MAX);
        if u128::from(window.limit()) * u128::from(window_us) >= 1 << 53 {
            return Err(Error::InvalidConfig {
                what: "redis limit × window (µs) must stay below 2^53",
            });
        }
        let client = Client::open(config.url.as_str())?;
        let local = KeyedLimiter::with_clock(window, config.local, clock.clone())?;
        Ok(Self {
            window,
            window_us,
            client,
            connection: Mutex::new(None),
            script: Script::new(SCRIPT),
            clock,
            config,
            local,
            down_until: AtomicU64::new(0),
            backoff_clock: MonotonicClock::new(),
            fallbacks: AtomicU64::new(0),
        })
    }

    /// Checks and counts one unit for `key`, falling back when Redis fails.
    pub fn check(&self, key: &[u8]) -> Decision {
        self.check_n(key, 1)
    }

    /// Checks and counts `cost` units for `key`, falling back when Redis
    /// fails.
    pub fn check_n(&self, key: &[u8], cost: u32) -> Decision {
        let now = self.backoff_clock.now();
        if now >= self.down_until.load(Ordering::Relaxed) {
            match self.try_check_n(key, cost) {
                Ok(decision) => return decision,
                Err(_) => {
                    let retry = u64::try_from(self.config.retry_interval.as_nanos());
                    let until = now.saturating_add(retry.unwrap_or(u64::MAX));
                    self.down_until.store(until, Ordering::Relaxed);
                }
            }
        }
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        match self.config.fallback {
            RedisFallback::FailOpen => Decision::allowed(self.window.limit().saturating_sub(cost)),
            RedisFallback::FailClosed => Decision::denied(0, self.config.retry_interval),
            RedisFallback::Local => self.local.check_n(key, cost),
        }
    }

    /// Checks and counts on Redis only, reporting its failure instead of
    /// falling back.
    pub fn try_check_n(&self, key: &[u8], cost: u32) -> Result<Decision, Error> {
        let now_us = self.clock.now() / 1000;
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(self.config.connect_timeout)?;
            connection.set_read_timeout(Some(self.config.io_timeout))?;
            connection.set_write_timeout(Some(self.config.io_timeout))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(Error::UnexpectedReply);
        };
        let mut full_key = Vec::with_capacity(self.config.key_prefix.len() + key.len());
        full_key.extend_from_slice(self.config.key_prefix.as_bytes());
        full_key.extend_from_slice(key);
        let reply: Result<(i64, u64, u32, u32), _> = self
            .script
            .key(full_key)
            .arg(now_us)
            .arg(self.window_us)
            .arg(self.window.limit())
            .arg(cost)
            .invoke(connection);
        let (admitted, window, current, previous) = match reply {
            Ok(reply) => reply,
            Err(e) => {
                // The connection may be half-read: never reuse it.
                *slot = None;
                return Err(e.into());
            }
        };
        drop(slot);
        // Recompute the decision from the state the script saw, with the
        // same arithmetic (µs scaled to ns changes no floor).
        let mut state = WindowState::from_parts(window, current, previous);
        let mut decision = self
            .window
            .check(&mut state, now_us.saturating_mul(1000), cost);
        if decision.allowed != (admitted == 1) {
            return Err(Error::UnexpectedReply);
        }
        // Nodes read time in whole microseconds: round the wait up to one.
        let wait = decision.retry_after;
        if wait != Duration::MAX && !wait.subsec_nanos().is_multiple_of(1000) {
            decision.retry_after =
                wait + Duration::from_nanos(1000 - u64::from(wait.subsec_nanos() % 1000));
        }
        Ok(decision)
    }

    /// Checks answered by the fallback since creation.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }
}
