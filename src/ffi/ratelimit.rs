//! Keyed rate limiting for C: a sliding-window limit per key (bytes such as
//! an account or a Call-ID) or per source address (IPv6 grouped by /64).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::boundary::{self, catch};
use super::status::voipsec_status;
use crate::ratelimit::{
    Decision, IpLimiter, KeyedConfig, KeyedLimiter, MonotonicClock, SlidingWindow,
};

/// IPv6 sources are limited per /64: one subscriber usually holds a whole
/// /64, so per-address limits would be trivially evaded.
const IPV6_PREFIX_LEN: u8 = 64;

/// A keyed limiter: at most `limit` checks per `window` for each key, with
/// at most `max_keys` keys tracked (memory stays bounded whatever keys
/// arrive; an evicted key never gets a fresh quota).
///
/// Thread safety: fully thread-safe (sharded locks inside). Any number of
/// threads may check keys on one limiter at the same time; only
/// `voipsec_ratelimit_free` needs exclusive access.
pub struct voipsec_ratelimit {
    // MonotonicClock, not the default CoarseClock: the coarse clock runs a
    // process-wide ticker thread, and a C library must not start threads
    // behind its host's back (nor leave one running at exit).
    by_bytes: KeyedLimiter<Vec<u8>, SlidingWindow, MonotonicClock>,
    by_address: IpLimiter<SlidingWindow, MonotonicClock>,
}

/// The outcome of a check.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct voipsec_ratelimit_decision {
    /// Whether the request is admitted (and was counted).
    pub allowed: bool,
    /// Checks still admissible in the current window.
    pub remaining: u32,
    /// Milliseconds to wait before retrying (0 when admitted); a SIP
    /// `Retry-After` carries it rounded up to seconds.
    pub retry_after_ms: u64,
}

impl From<Decision> for voipsec_ratelimit_decision {
    fn from(d: Decision) -> Self {
        // Round up: retrying earlier than told would be refused again.
        let ms = d.retry_after.as_nanos().div_ceil(1_000_000);
        voipsec_ratelimit_decision {
            allowed: d.allowed,
            remaining: d.remaining,
            retry_after_ms: u64::try_from(ms).unwrap_or(u64::MAX),
        }
    }
}

/// Creates a limiter admitting `limit` (≥ 1) checks per `window_ms`
/// milliseconds (1 ms to 10 years) for each key, tracking at most
/// `max_keys` (≥ 1) byte keys and as many address keys.
/// Errors: `VOIPSEC_ERR_NULL_POINTER`, `VOIPSEC_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_ratelimit_new(
    limit: u32,
    window_ms: u64,
    max_keys: usize,
    out: *mut *mut voipsec_ratelimit,
) -> voipsec_status {
    catch(|| {
        if out.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        let invalid = |_| voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT;
        let window =
            SlidingWindow::new(limit, Duration::from_millis(window_ms)).map_err(invalid)?;
        let config = KeyedConfig::with_max_keys(max_keys);
        let clock = MonotonicClock::new();
        let limiter = voipsec_ratelimit {
            by_bytes: KeyedLimiter::with_clock(window, config, clock).map_err(invalid)?,
            by_address: IpLimiter::with_clock(window, config, IPV6_PREFIX_LEN, clock)
                .map_err(invalid)?,
        };
        // SAFETY: `out` is non-NULL and valid for a write (header contract).
        unsafe { boundary::give(out, limiter) }
    })
}

/// Frees a limiter. `voipsec_ratelimit_free(NULL)` is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_ratelimit_free(limiter: *mut voipsec_ratelimit) {
    // SAFETY: a non-NULL `limiter` comes from voipsec_ratelimit_new and
    // the caller gives up every use of it.
    unsafe { boundary::free_handle(limiter) }
}

fn check(
    limiter: *const voipsec_ratelimit,
    decision: *mut voipsec_ratelimit_decision,
    run: impl FnOnce(&voipsec_ratelimit) -> Result<Decision, voipsec_status>,
) -> voipsec_status {
    catch(|| {
        if decision.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        // SAFETY: a non-NULL `limiter` comes from voipsec_ratelimit_new and
        // is not being freed concurrently.
        let handle = unsafe { boundary::handle(limiter) }?;
        let outcome = run(handle)?;
        // SAFETY: `decision` is non-NULL and valid for a write.
        unsafe { boundary::write_out(decision, outcome.into()) }
    })
}

/// Checks and counts one request for the byte key `key` (`key_len` bytes,
/// e.g. an account name; empty is a valid key) and writes the outcome to
/// `*decision`. Returns `VOIPSEC_OK` whether or not the request is allowed:
/// read `decision->allowed`. Errors: `VOIPSEC_ERR_NULL_POINTER`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_ratelimit_check(
    limiter: *const voipsec_ratelimit,
    key: *const u8,
    key_len: usize,
    decision: *mut voipsec_ratelimit_decision,
) -> voipsec_status {
    // SAFETY: the caller passes `key_len` readable bytes at `key`, only read
    // during this call (a new key is copied).
    let key = match unsafe { boundary::bytes(key, key_len) } {
        Ok(key) => key,
        Err(status) => return status,
    };
    check(limiter, decision, |l| Ok(l.by_bytes.check(key)))
}

/// Checks and counts one request from the source address `addr`: 4 bytes
/// (IPv4) or 16 bytes (IPv6, limited per /64), network byte order, as in
/// `struct in_addr` / `struct in6_addr`. Returns as
/// `voipsec_ratelimit_check`. Errors: `VOIPSEC_ERR_NULL_POINTER`,
/// `VOIPSEC_ERR_INVALID_ARGUMENT` (`addr_len` neither 4 nor 16).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_ratelimit_check_ip(
    limiter: *const voipsec_ratelimit,
    addr: *const u8,
    addr_len: usize,
    decision: *mut voipsec_ratelimit_decision,
) -> voipsec_status {
    // SAFETY: the caller passes `addr_len` readable bytes at `addr`.
    let bytes = match unsafe { boundary::bytes(addr, addr_len) } {
        Ok(bytes) => bytes,
        Err(status) => return status,
    };
    check(limiter, decision, |l| {
        let ip = ip_from_bytes(bytes).ok_or(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT)?;
        Ok(l.by_address.check(ip))
    })
}

/// An address from its 4 or 16 network-order bytes.
pub(crate) fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::V4(Ipv4Addr::from(v4)));
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|v6| IpAddr::V6(Ipv6Addr::from(v6)))
}
