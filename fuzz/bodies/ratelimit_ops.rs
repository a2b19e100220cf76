//! Fuzz body: drives the limiters with operations decoded from the input and
//! checks their invariants (bounds, exact-log counts, permit accounting).
//! Used by fuzz/fuzz_targets/ratelimit_ops.rs and tests/fuzz_corpus.rs.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use voipsec::ratelimit::{
    AcquireError, Algorithm, ConcurrencyLimiter, DialPrefix, Gcra, IpKey, KeyedConfig,
    KeyedLimiter, LogState, ManualClock, Overflow, SlidingLog, SlidingWindow, WindowState,
};

const MAX_KEYS: usize = 8;
const LIMIT: u32 = 3;

pub fn run(data: &[u8]) {
    // Dial strings: parse the whole input as text, with a digit count from it.
    if let Ok(text) = std::str::from_utf8(data) {
        let digits = data.first().map_or(0, |b| usize::from(*b % 20));
        if let Ok(prefix) = DialPrefix::parse(text, digits) {
            assert!(prefix.len() <= digits.min(DialPrefix::MAX_DIGITS));
            assert_eq!(prefix.to_string().len(), prefix.len());
        }
    }

    let clock = ManualClock::new();
    let overflow = if data.len().is_multiple_of(2) {
        Overflow::Shared
    } else {
        Overflow::Allow
    };
    let config = KeyedConfig {
        max_keys: MAX_KEYS,
        shards: 2,
        eviction_sample: 3,
        overflow,
    };
    let window = SlidingWindow::new(LIMIT, Duration::from_millis(100)).expect("valid");
    let keyed = KeyedLimiter::with_clock(window, config, clock.clone()).expect("valid");
    let gcra = KeyedLimiter::with_clock(
        Gcra::new(LIMIT, Duration::from_millis(100), 2).expect("valid"),
        config,
        clock.clone(),
    )
    .expect("valid");
    // Room for every key: no eviction, so it must answer exactly as one
    // state per key (keys in their home bucket, the next one or the stash).
    let exact = KeyedLimiter::with_clock(
        window,
        KeyedConfig {
            max_keys: 16,
            shards: 1,
            ..config
        },
        clock.clone(),
    )
    .expect("valid");
    let mut exact_model = [WindowState::default(); 16];
    let log = SlidingLog::<4>::new(LIMIT, Duration::from_millis(100)).expect("valid");
    let mut log_state = LogState::default();
    let mut log_times: Vec<u64> = Vec::new();
    let calls = ConcurrencyLimiter::new(2, config).expect("valid");
    let mut permits = Vec::new();

    for op in data.chunks(3) {
        let [code, a, b] = match *op {
            [c, a, b] => [c, a, b],
            _ => break,
        };
        let key = u32::from(a % 16);
        let cost = u32::from(b % 5);
        match code % 8 {
            0 => clock.advance(Duration::from_millis(u64::from(b))),
            1 => {
                let d = keyed.check_n(&key, cost);
                assert!(d.remaining <= LIMIT);
                assert_eq!(d.allowed, d.retry_after.is_zero());
                let now = voipsec::ratelimit::Clock::now(&clock);
                let slot = key as usize % exact_model.len();
                let want = window.check(&mut exact_model[slot], now, cost);
                assert_eq!(
                    exact.check_n(&key, cost),
                    want,
                    "keyed limiter lost a count"
                );
            }
            2 => {
                let d = gcra.check_n(&key, cost);
                assert!(d.remaining <= 2);
            }
            3 => {
                let now = voipsec::ratelimit::Clock::now(&clock);
                let d = log.check(&mut log_state, now, cost);
                log_times.retain(|&t| t + 100_000_000 > now);
                let fits = log_times.len() as u64 + u64::from(cost) <= u64::from(LIMIT);
                assert_eq!(d.allowed, fits, "exact log disagrees with its reference");
                if d.allowed {
                    log_times.extend(std::iter::repeat_n(now, cost as usize));
                }
                assert_eq!(log.count(&log_state, now) as usize, log_times.len());
            }
            4 => match calls.try_acquire(&key) {
                Ok(p) => permits.push(p),
                Err(AcquireError::AtLimit { limit }) => {
                    assert_eq!(limit, 2);
                    assert_eq!(calls.in_use(&key), 2);
                }
                // A shard's share of the key bound is full.
                Err(AcquireError::TooManyKeys) => assert!(calls.tracked() >= MAX_KEYS / 2),
            },
            5 => {
                if !permits.is_empty() {
                    drop(permits.swap_remove(usize::from(b) % permits.len()));
                }
            }
            6 => {
                keyed.forget(&key);
                exact.forget(&key);
                exact_model[key as usize % 16] = WindowState::default();
            }
            _ => {
                let ip = IpAddr::V6(Ipv6Addr::from(u128::from_be_bytes([a; 16]) ^ u128::from(b)));
                let prefix_len = b % 80;
                match IpKey::new(ip, prefix_len) {
                    Ok(_) => assert!(prefix_len <= 64),
                    Err(_) => assert!(prefix_len > 64),
                }
            }
        }
        assert!(keyed.len() <= MAX_KEYS);
        assert!(gcra.len() <= MAX_KEYS);
        assert!(calls.tracked() <= MAX_KEYS);
    }
    let held = permits.len();
    let counted: u32 = (0..16u32).map(|k| calls.in_use(&k)).sum();
    assert_eq!(counted as usize, held);
    drop(permits);
    assert_eq!(calls.tracked(), 0);
}
