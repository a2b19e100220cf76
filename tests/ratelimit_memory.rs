//! Memory bound under a spray of spoofed addresses: 1,000,000 distinct keys
//! through limiters bounded at 100,000 keys, measured with a counting global
//! allocator (its own test binary, so nothing else allocates concurrently).

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{live_bytes, peak_bytes, set_peak_bytes};

use std::sync::Mutex;
use std::time::Duration;

use voipsec::ratelimit::{Gcra, IpLimiter, KeyedConfig, KeyedLimiter, ManualClock, SlidingWindow};

/// Run the tests one at a time so their working sets do not overlap.
static SERIAL: Mutex<()> = Mutex::new(());

const KEYS: u32 = 1_000_000;
const BOUND: usize = 100_000;
/// The stated figure: bytes per tracked IPv4 key, all limiter memory included.
const MAX_BYTES_PER_KEY: f64 = 32.0;

/// Spoofed IPv4 sources: distinct, spread like random addresses.
fn spoofed(i: u32) -> u32 {
    i.wrapping_mul(0x9e37_79b9) ^ 0x5bd1_e995
}

fn report(name: &str, bytes: usize, tracked: usize) -> f64 {
    let per_key = bytes as f64 / tracked as f64;
    println!("{name}: {tracked} keys tracked, {bytes} bytes live = {per_key:.2} bytes/key");
    per_key
}

#[test]
fn sliding_window_ipv4_million_keys_stay_bounded() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let clock = ManualClock::starting_at(Duration::from_secs(10));
    let before = live_bytes();
    let limiter = KeyedLimiter::with_clock(
        SlidingWindow::new(10, Duration::from_secs(1)).unwrap(),
        KeyedConfig::with_max_keys(BOUND),
        clock.clone(),
    )
    .unwrap();
    for i in 0..KEYS {
        limiter.check(&spoofed(i));
        if i % 4096 == 0 {
            // Keys age across windows as a real spray does.
            clock.advance(Duration::from_micros(100));
        }
    }
    let bytes = live_bytes().wrapping_sub(before);
    let stats = limiter.stats();
    assert!(stats.tracked <= BOUND, "{stats:?}");
    assert!(
        stats.tracked >= BOUND * 99 / 100,
        "the bound should be used: {stats:?}"
    );
    assert_eq!(stats.evictions as usize + stats.tracked, KEYS as usize);
    let per_key = report("SlidingWindow<u32>", bytes, stats.tracked);
    assert!(per_key <= MAX_BYTES_PER_KEY, "{per_key:.2} bytes per key");
    // A second million keys of churn (evictions, stash rebuilds) must not grow it.
    // (Snapshot after printing: captured output allocates on this thread.)
    let settled = live_bytes();
    set_peak_bytes(settled);
    for i in KEYS..2 * KEYS {
        limiter.check(&spoofed(i));
    }
    assert_eq!(live_bytes(), settled, "churn changed the limiter's memory");
    let transient = peak_bytes().wrapping_sub(settled);
    println!("churn of 1,000,000 more keys: transient peak +{transient} bytes");
    // A stash rebuild briefly holds two copies of one stash, never more.
    assert!(transient <= bytes / 32, "transient {transient}");
}

/// The same spray through governor's keyed limiter (no bound: it keeps every
/// key), measured the same way, for the ratio in the report.
#[test]
fn governor_keeps_every_key_and_more_bytes_per_key() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = live_bytes();
    let quota = governor::Quota::per_second(std::num::NonZeroU32::new(10).unwrap());
    let governor: governor::DefaultKeyedRateLimiter<u32> = governor::RateLimiter::keyed(quota);
    for i in 0..KEYS {
        let _ = governor.check_key(&spoofed(i));
    }
    let bytes = live_bytes().wrapping_sub(before);
    assert_eq!(governor.len(), KEYS as usize, "governor has no bound");
    let per_key = report(
        "governor DefaultKeyedRateLimiter<u32>",
        bytes,
        governor.len(),
    );
    assert!(per_key > MAX_BYTES_PER_KEY, "{per_key:.2}");
}

#[test]
fn gcra_and_ip_limiter_stay_bounded() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let clock = ManualClock::starting_at(Duration::from_secs(10));
    let before = live_bytes();
    let gcra = KeyedLimiter::with_clock(
        Gcra::new(10, Duration::from_secs(1), 5).unwrap(),
        KeyedConfig::with_max_keys(BOUND),
        clock.clone(),
    )
    .unwrap();
    for i in 0..KEYS {
        gcra.check(&spoofed(i));
    }
    let bytes = live_bytes().wrapping_sub(before);
    let tracked = gcra.len();
    assert!(tracked <= BOUND);
    let per_key = report("Gcra<u32>", bytes, tracked);
    assert!(per_key <= MAX_BYTES_PER_KEY, "{per_key:.2}");
    drop(gcra);

    // IPv6 /64 prefixes: keys with a niche, three slots and the lock on one
    // 64-byte line, as IPv4 keys.
    let before = live_bytes();
    let by_ip = IpLimiter::with_clock(
        SlidingWindow::new(10, Duration::from_secs(1)).unwrap(),
        KeyedConfig::with_max_keys(BOUND),
        64,
        clock,
    )
    .unwrap();
    for i in 0..KEYS {
        let prefix = (u128::from(spoofed(i)) << 96) | (u128::from(i) << 64) | 1;
        by_ip.check(std::net::IpAddr::V6(prefix.into()));
    }
    let bytes = live_bytes().wrapping_sub(before);
    let (v4, v6) = by_ip.stats();
    assert_eq!(v4.tracked, 0);
    assert!(v6.tracked <= BOUND);
    let per_key = report("IpLimiter IPv6 /64", bytes, v6.tracked);
    assert!(per_key <= MAX_BYTES_PER_KEY, "{per_key:.2}");
}
