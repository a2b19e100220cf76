//! The limiter hot path allocates nothing: checking a tracked key, peeking,
//! and taking and releasing a permit of a key that already holds one.
//! Counted with a global allocator in this test binary of its own.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::count_allocations;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use voipsec::ratelimit::{
    ConcurrencyLimiter, Gcra, IpLimiter, KeyedConfig, KeyedLimiter, Limiter, SlidingLog,
    SlidingWindow,
};

#[test]
fn checks_of_tracked_keys_allocate_nothing() {
    let window = SlidingWindow::new(1_000_000, Duration::from_secs(1)).unwrap();
    let keyed = KeyedLimiter::new(window, KeyedConfig::with_max_keys(10_000)).unwrap();
    let gcra = KeyedLimiter::new(
        Gcra::new(1_000, Duration::from_secs(1), 100).unwrap(),
        KeyedConfig::with_max_keys(10_000),
    )
    .unwrap();
    let log = KeyedLimiter::new(
        SlidingLog::<8>::new(5, Duration::from_secs(600)).unwrap(),
        KeyedConfig::with_max_keys(10_000),
    )
    .unwrap();
    let by_ip = IpLimiter::new(window, KeyedConfig::with_max_keys(10_000), 64).unwrap();
    let single = Limiter::new(window);
    let v4 = |i: u32| IpAddr::V4(Ipv4Addr::from(i));
    let v6 = |i: u32| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, i as u16, 0, 0, 0, 1));
    // Warm-up: track the keys (this allocates the tables).
    for i in 0..1_000u32 {
        keyed.check(&i);
        gcra.check(&i);
        log.check(&i);
        by_ip.check(v4(i));
        by_ip.check(v6(i));
    }
    let n = count_allocations(|| {
        for round in 0..20u32 {
            for i in 0..1_000u32 {
                assert!(keyed.check(&i).allowed);
                gcra.check(&i);
                log.check_n(&i, round % 2);
                log.peek(&i);
                by_ip.check(v4(i));
                by_ip.check(v6(i));
                keyed.peek(&(i + 5_000)); // untracked: peek must not insert
            }
            single.check();
        }
    });
    assert_eq!(n, 0, "{n} allocations on the hot path");
}

/// A flood of new keys through a full shard evicts and inserts; the table
/// must be rebuilt (its only allocation) rarely, whatever the bound — here a
/// bound equal to a table's exact capacity, the worst case for tombstones.
#[test]
fn churn_through_a_full_shard_rebuilds_rarely() {
    for max_keys in [1_792usize, 1_000, 100] {
        let config = KeyedConfig {
            max_keys,
            shards: 1,
            ..KeyedConfig::default()
        };
        let window = SlidingWindow::new(10, Duration::from_secs(1)).unwrap();
        let limiter = KeyedLimiter::new(window, config).unwrap();
        for key in 0..max_keys as u32 {
            limiter.check(&key);
        }
        let inserts = 200_000u32;
        let n = count_allocations(|| {
            for key in 1_000_000..1_000_000 + inserts {
                limiter.check(&key);
            }
        });
        assert!(limiter.len() <= max_keys);
        // At most one rebuild per max_keys/8 insertions.
        let bound = inserts as usize / (max_keys / 8) + 1;
        assert!(
            n <= bound,
            "{n} allocations for {inserts} inserts at max_keys {max_keys}"
        );
    }
}

#[test]
fn permits_of_an_active_key_allocate_nothing() {
    let calls = ConcurrencyLimiter::new(10, KeyedConfig::default()).unwrap();
    let held = calls.try_acquire(&42u64).unwrap();
    let n = count_allocations(|| {
        for _ in 0..10_000 {
            let permit = calls.try_acquire(&42u64).unwrap();
            assert_eq!(calls.in_use(&42), 2);
            drop(permit);
        }
    });
    assert_eq!(n, 0, "{n} allocations per acquire/release");
    drop(held);
}
