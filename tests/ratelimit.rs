//! Exactness, bounds, eviction and concurrency of the rate limiters, on a
//! manual clock.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use voipsec::ratelimit::{
    AcquireError, Algorithm, ConcurrencyLimiter, Decision, DialPrefix, Error, Gcra, GcraState,
    IpKey, IpLimiter, KeyedConfig, KeyedLimiter, Limiter, LogState, ManualClock, Overflow,
    SlidingLog, SlidingWindow, Usage, WindowState,
};

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

fn ns(d: u64) -> Duration {
    Duration::from_nanos(d)
}

/// The retry-after is exact: one nanosecond earlier is still refused, at it
/// the same request is admitted.
fn assert_retry_exact<A: Algorithm>(alg: &A, state: &A::State, now: u64, cost: u32) -> Decision {
    let mut s = *state;
    let refused = alg.check(&mut s, now, cost);
    assert!(!refused.allowed, "expected a refusal at {now}");
    let wait = u64::try_from(refused.retry_after.as_nanos()).unwrap();
    assert!(wait > 0);
    let mut early = *state;
    assert!(
        !alg.check(&mut early, now + wait - 1, cost).allowed,
        "admitted before retry_after"
    );
    let mut on_time = *state;
    assert!(
        alg.check(&mut on_time, now + wait, cost).allowed,
        "refused at retry_after"
    );
    refused
}

// ---------------------------------------------------------------- sliding window

#[test]
fn window_burst_then_refusal_at_the_limit() {
    let sw = SlidingWindow::new(5, Duration::from_secs(1)).unwrap();
    let mut s = WindowState::default();
    for left in (0..5).rev() {
        assert_eq!(sw.check(&mut s, 10 * SEC, 1), Decision::allowed(left));
    }
    let refused = sw.check(&mut s, 10 * SEC, 1);
    assert_eq!(refused.remaining, 0);
    assert!(!refused.allowed);
    // Within the same fixed window nothing changes until it ends, then the
    // previous window still weighs 5 at its very start.
    assert!(!sw.check(&mut s, 11 * SEC - 1, 1).allowed);
    assert!(!sw.check(&mut s, 11 * SEC, 1).allowed);
    assert_retry_exact(&sw, &s, 10 * SEC, 1);
}

#[test]
fn window_weighting_slides_linearly() {
    let sw = SlidingWindow::new(10, Duration::from_secs(1)).unwrap();
    let mut s = WindowState::default();
    for _ in 0..10 {
        assert!(sw.check(&mut s, 0, 1).allowed);
    }
    // In window 1 at elapsed e, the previous 10 weigh floor(10 × (1 − e)).
    for (elapsed_ms, estimate) in [(0, 10), (1, 9), (100, 9), (101, 8), (500, 5), (999, 0)] {
        assert_eq!(
            sw.estimate(&s, SEC + elapsed_ms * MS),
            estimate,
            "at +{elapsed_ms} ms"
        );
    }
    // Two windows later everything has expired.
    assert_eq!(sw.estimate(&s, 2 * SEC), 0);
    assert_eq!(sw.usage(&s, 2 * SEC), Usage::Idle);
    // Half-way through window 1: 5 of the 10 still count, so 5 more fit.
    let mut half = s;
    for _ in 0..5 {
        assert!(sw.check(&mut half, SEC + 500 * MS, 1).allowed);
    }
    assert_retry_exact(&sw, &half, SEC + 500 * MS, 1);
}

#[test]
fn window_boundary_belongs_to_the_next_window() {
    let sw = SlidingWindow::new(3, Duration::from_millis(100)).unwrap();
    let mut s = WindowState::default();
    for _ in 0..3 {
        assert!(sw.check(&mut s, 100 * MS - 1, 1).allowed);
    }
    assert!(!sw.check(&mut s, 100 * MS - 1, 1).allowed);
    // t = 100 ms starts window 1: the 3 are now "previous" at full weight.
    assert_eq!(sw.estimate(&s, 100 * MS), 3);
    // 3 × (100 − e)/100 < 3 from e = 1 ns: floor gives 2, one fits.
    assert!(sw.check(&mut s, 100 * MS + 1, 1).allowed);
    assert!(!sw.check(&mut s, 100 * MS + 1, 1).allowed);
}

#[test]
fn window_costs_and_impossible_requests() {
    let sw = SlidingWindow::new(10, Duration::from_secs(1)).unwrap();
    let mut s = WindowState::default();
    assert_eq!(sw.check(&mut s, 0, 7), Decision::allowed(3));
    let refused = assert_retry_exact(&sw, &s, 0, 4);
    assert_eq!(refused.remaining, 3);
    assert_eq!(sw.check(&mut s, 0, 3), Decision::allowed(0));
    let never = sw.check(&mut s, 0, 11);
    assert!(!never.allowed);
    assert_eq!(never.retry_after, Duration::MAX);
    // A refused request counts nothing.
    assert_eq!(sw.estimate(&s, 0), 10);
}

#[test]
fn window_retry_after_is_exact_over_many_states() {
    let sw = SlidingWindow::new(7, Duration::from_millis(250)).unwrap();
    let mut s = WindowState::default();
    let mut t = 0u64;
    let mut checked = 0;
    // A deterministic, uneven arrival pattern across several windows.
    for i in 0..400u64 {
        t += (i * 7919) % (37 * MS);
        let mut probe = s;
        if !sw.check(&mut probe, t, 1).allowed {
            assert_retry_exact(&sw, &s, t, 1);
            checked += 1;
        }
        sw.check(&mut s, t, 1);
    }
    assert!(
        checked > 20,
        "pattern should produce refusals, got {checked}"
    );
}

#[test]
fn window_never_resets_when_the_clock_steps_back() {
    let clock = ManualClock::starting_at(Duration::from_secs(100));
    let limiter = Limiter::with_clock(
        SlidingWindow::new(3, Duration::from_secs(1)).unwrap(),
        clock.clone(),
    );
    for _ in 0..3 {
        assert!(limiter.check().allowed);
    }
    clock.set(Duration::from_secs(99));
    assert!(
        !limiter.check().allowed,
        "a clock step back must not grant quota"
    );
}

#[test]
fn window_rejects_bad_configuration() {
    assert!(matches!(
        SlidingWindow::new(0, Duration::from_secs(1)),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(SlidingWindow::new(1, Duration::from_micros(999)).is_err());
    assert!(SlidingWindow::new(1, Duration::from_millis(1)).is_ok());
}

// ---------------------------------------------------------------- sliding log

#[test]
fn log_is_exact_at_every_boundary() {
    let log = SlidingLog::<4>::new(3, Duration::from_secs(10)).unwrap();
    let mut s = LogState::default();
    assert_eq!(log.check(&mut s, SEC, 1), Decision::allowed(2));
    assert_eq!(log.check(&mut s, 2 * SEC, 1), Decision::allowed(1));
    assert_eq!(log.check(&mut s, 3 * SEC, 1), Decision::allowed(0));
    let refused = assert_retry_exact(&log, &s, 5 * SEC, 1);
    assert_eq!(refused.retry_after, Duration::from_secs(6)); // first expires at 11 s
    // At 11 s − 1 ns the first still counts; at 11 s it has left the window.
    assert!(!log.check(&mut s, 11 * SEC - 1, 1).allowed);
    assert_eq!(log.count(&s, 11 * SEC), 2);
    assert_eq!(log.check(&mut s, 11 * SEC, 1), Decision::allowed(0));
    // Slide: each slot frees exactly 10 s after its use.
    assert!(log.check(&mut s, 12 * SEC, 1).allowed);
    assert!(!log.check(&mut s, 13 * SEC - 1, 1).allowed);
    assert!(log.check(&mut s, 13 * SEC, 1).allowed);
}

#[test]
fn log_costs_need_that_many_expired_slots() {
    let log = SlidingLog::<8>::new(5, Duration::from_secs(1)).unwrap();
    let mut s = LogState::default();
    for t in 0..5 {
        assert!(log.check(&mut s, t * 100 * MS, 1).allowed);
    }
    // Cost 2 needs the two oldest (0 ms and 100 ms) gone: at 1.1 s.
    let refused = assert_retry_exact(&log, &s, SEC, 2);
    assert_eq!(refused.retry_after, Duration::from_millis(100));
    assert_eq!(refused.remaining, 1);
    assert_eq!(log.check(&mut s, 1100 * MS, 2), Decision::allowed(0));
    assert_eq!(log.check(&mut s, 0, 6).retry_after, Duration::MAX);
    assert!(SlidingLog::<4>::new(5, Duration::from_secs(1)).is_err());
    assert!(SlidingLog::<4>::new(0, Duration::from_secs(1)).is_err());
}

// ---------------------------------------------------------------- GCRA

#[test]
fn gcra_paces_after_the_burst() {
    let gcra = Gcra::new(10, Duration::from_secs(1), 3).unwrap();
    assert_eq!(gcra.interval(), Duration::from_millis(100));
    let mut s = GcraState::default();
    let t0 = 50 * SEC;
    assert_eq!(gcra.check(&mut s, t0, 1), Decision::allowed(2));
    assert_eq!(gcra.check(&mut s, t0, 1), Decision::allowed(1));
    assert_eq!(gcra.check(&mut s, t0, 1), Decision::allowed(0));
    let refused = assert_retry_exact(&gcra, &s, t0, 1);
    assert_eq!(refused.retry_after, Duration::from_millis(100));
    // Then exactly one unit per interval.
    for i in 1..=20 {
        let t = t0 + i * 100 * MS;
        assert!(gcra.check(&mut s, t, 1).allowed, "step {i}");
        assert!(!gcra.check(&mut s, t, 1).allowed, "step {i} twice");
    }
    // At rest for a long time the burst refills, never beyond it.
    let later = t0 + 3600 * SEC;
    assert_eq!(gcra.usage(&s, later), Usage::Idle);
    assert_eq!(gcra.peek(&s, later), Decision::allowed(2));
    assert_eq!(gcra.check(&mut s, later, 3), Decision::allowed(0));
    assert_eq!(gcra.check(&mut s, later, 4).retry_after, Duration::MAX);
}

#[test]
fn gcra_partial_refill() {
    let gcra = Gcra::new(4, Duration::from_secs(1), 4).unwrap(); // T = 250 ms
    let mut s = GcraState::default();
    assert_eq!(gcra.check(&mut s, 0, 4), Decision::allowed(0));
    assert_eq!(gcra.usage(&s, 0), Usage::Exhausted);
    // 600 ms later two units have come back (at 250 and 500 ms).
    assert_eq!(gcra.peek(&s, 600 * MS).remaining, 1);
    let refused = assert_retry_exact(&gcra, &s, 600 * MS, 3);
    assert_eq!(refused.retry_after, Duration::from_millis(150));
    assert!(Gcra::new(0, Duration::from_secs(1), 1).is_err());
    assert!(Gcra::new(10, Duration::from_nanos(5), 1).is_err());
}

// ---------------------------------------------------------------- counter vs log

/// An exact reference: timestamps of admitted units.
struct Exact {
    len: u64,
    times: VecDeque<u64>,
}

impl Exact {
    fn count(&mut self, now: u64) -> u64 {
        while self.times.front().is_some_and(|&t| t + self.len <= now) {
            self.times.pop_front();
        }
        self.times.len() as u64
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The documented bound: |E − X| ≤ P, where E is the counter's estimate,
    /// X the exact count of what it admitted in the last window and P its
    /// previous fixed window's count; every fixed window admits at most the
    /// limit, and every sliding window at most twice the limit. The exact
    /// log, run on the same arrivals, never exceeds the limit.
    #[test]
    fn counter_error_stays_within_bound(
        limit in 1u32..40,
        len_ms in 1u64..2_000,
        gaps in prop::collection::vec(0u64..400, 1..400),
        start in 0u64..10_000,
    ) {
        let len = len_ms * MS;
        let sw = SlidingWindow::new(limit, Duration::from_nanos(len)).unwrap();
        let log = SlidingLog::<40>::new(limit, Duration::from_nanos(len)).unwrap();
        let mut counter = WindowState::default();
        let mut exact_state = LogState::default();
        let mut admitted = Exact { len, times: VecDeque::new() };
        let mut log_admitted = Exact { len, times: VecDeque::new() };
        let mut per_fixed: std::collections::HashMap<u64, u64> = Default::default();
        let mut t = start * MS;
        for gap in gaps {
            t += gap * len / 100; // gaps up to 4 windows, in 1 % steps
            let x = admitted.count(t);
            let e = sw.estimate(&counter, t);
            // P: units admitted in the previous fixed window.
            let idx = t / len;
            let p = per_fixed.get(&(idx.wrapping_sub(1))).copied().unwrap_or(0);
            prop_assert!(e.abs_diff(x) <= p, "E={} X={} P={} t={}", e, x, p, t);
            if sw.check(&mut counter, t, 1).allowed {
                admitted.times.push_back(t);
                *per_fixed.entry(idx).or_default() += 1;
                prop_assert!(per_fixed[&idx] <= u64::from(limit));
                prop_assert!(admitted.count(t) <= 2 * u64::from(limit));
            }
            let log_says = log.check(&mut exact_state, t, 1).allowed;
            let log_count = log_admitted.count(t);
            prop_assert_eq!(log_says, log_count < u64::from(limit));
            if log_says {
                log_admitted.times.push_back(t);
            }
        }
    }

    /// Every algorithm: a refusal's retry_after is exact, and admissions
    /// never exceed what the limit allows at the same instant.
    #[test]
    fn gcra_matches_a_token_bucket(
        rate in 1u32..50,
        burst in 1u32..20,
        gaps in prop::collection::vec(0u64..50, 1..300),
    ) {
        let gcra = Gcra::new(rate, Duration::from_secs(1), burst).unwrap();
        let interval = gcra.interval().as_nanos() as u64;
        let mut s = GcraState::default();
        // Reference bucket in units of 1/interval: tokens × interval.
        let mut level = u64::from(burst) * interval; // full
        let mut last = 0u64;
        let mut t = 0u64;
        for gap in gaps {
            t += gap * MS;
            level = (level + (t - last)).min(u64::from(burst) * interval);
            last = t;
            let want = level >= interval;
            let got = gcra.check(&mut s, t, 1);
            prop_assert_eq!(got.allowed, want, "t={}", t);
            if want {
                level -= interval;
            }
            prop_assert_eq!(u64::from(got.remaining), level / interval);
        }
    }
}

// ---------------------------------------------------------------- keyed limiter

/// The default configuration with one shard of `max_keys` keys.
fn one_shard(max_keys: usize) -> KeyedConfig {
    KeyedConfig {
        max_keys,
        shards: 1,
        ..KeyedConfig::default()
    }
}

fn frozen_window_limiter(
    limit: u32,
    config: KeyedConfig,
) -> (KeyedLimiter<u32, SlidingWindow, ManualClock>, ManualClock) {
    let clock = ManualClock::starting_at(Duration::from_secs(1000));
    let limiter = KeyedLimiter::with_clock(
        SlidingWindow::new(limit, Duration::from_secs(60)).unwrap(),
        config,
        clock.clone(),
    )
    .unwrap();
    (limiter, clock)
}

#[test]
fn threads_never_admit_more_than_the_limit() {
    let (limiter, _clock) = frozen_window_limiter(1_000, KeyedConfig::default());
    let limiter = Arc::new(limiter);
    let admitted: Arc<Vec<AtomicU32>> = Arc::new((0..8).map(|_| AtomicU32::new(0)).collect());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let limiter = Arc::clone(&limiter);
            let admitted = Arc::clone(&admitted);
            std::thread::spawn(move || {
                for i in 0..20_000u32 {
                    let key = i % 8;
                    if limiter.check(&key).allowed {
                        admitted[key as usize].fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // 80,000 attempts, 10,000 per key, limit 1,000 per key: exactly 1,000.
    for (key, count) in admitted.iter().enumerate() {
        assert_eq!(count.load(Ordering::Relaxed), 1_000, "key {key}");
    }
}

#[test]
fn threads_with_a_moving_clock_stay_within_the_window_bound() {
    let clock = ManualClock::new();
    let limiter = Arc::new(
        KeyedLimiter::with_clock(
            Gcra::new(100, Duration::from_secs(1), 10).unwrap(),
            KeyedConfig::default(),
            clock.clone(),
        )
        .unwrap(),
    );
    let admitted = Arc::new(AtomicU32::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let limiter = Arc::clone(&limiter);
            let admitted = Arc::clone(&admitted);
            std::thread::spawn(move || {
                for _ in 0..50_000 {
                    if limiter.check(&7u32).allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // Advance 1 s in 1 ms steps while the workers hammer the key.
    for _ in 0..1000 {
        clock.advance(Duration::from_millis(1));
        std::thread::yield_now();
    }
    for w in workers {
        w.join().unwrap();
    }
    // GCRA: burst + one per 10 ms over at most 1 s.
    assert!(
        admitted.load(Ordering::Relaxed) <= 10 + 100,
        "{}",
        admitted.load(Ordering::Relaxed)
    );
}

#[test]
fn bound_holds_and_exhausted_keys_survive_a_flood() {
    let config = KeyedConfig {
        max_keys: 1_000,
        shards: 8,
        ..KeyedConfig::default()
    };
    let (limiter, _clock) = frozen_window_limiter(5, config);
    // 100 offenders exhaust their quota.
    for key in 0..100u32 {
        for _ in 0..5 {
            assert!(limiter.check(&key).allowed);
        }
        assert!(!limiter.check(&key).allowed);
    }
    // A spray of 100,000 fresh addresses, one packet each.
    for key in 1_000_000..1_100_000u32 {
        limiter.check(&key);
        assert!(limiter.len() <= 1_000 || key % 10_000 != 0);
    }
    let stats = limiter.stats();
    assert!(stats.tracked <= 1_000, "{stats:?}");
    assert!(stats.evictions >= 98_000, "{stats:?}");
    // Every offender is still refused: eviction did not reset them.
    for key in 0..100u32 {
        assert!(
            !limiter.check(&key).allowed,
            "offender {key} was reset by eviction"
        );
    }
}

#[test]
fn idle_keys_are_evicted_before_used_ones() {
    let config = KeyedConfig {
        eviction_sample: 64,
        ..one_shard(64)
    };
    let (limiter, clock) = frozen_window_limiter(10, config);
    // 32 keys that will be idle, then (2 minutes later) 32 with 9 of 10 used.
    for key in 0..32u32 {
        limiter.check(&key);
    }
    clock.advance(Duration::from_secs(120));
    for key in 100..132u32 {
        assert!(limiter.check_n(&key, 9).allowed);
    }
    // 32 newcomers push out exactly the 32 idle keys.
    for key in 200..232u32 {
        limiter.check(&key);
    }
    for key in 100..132u32 {
        // peek counts the unit it asks about: 9 used + 1 leaves 0 (a fresh key would show 9).
        assert_eq!(
            limiter.peek(&key).remaining,
            0,
            "busy key {key} was evicted"
        );
    }
}

#[test]
fn overflow_policies_when_every_key_is_exhausted() {
    for (overflow, newcomers_admitted) in [(Overflow::Shared, 3), (Overflow::Allow, 50)] {
        let config = KeyedConfig {
            overflow,
            ..one_shard(16)
        };
        let (limiter, _clock) = frozen_window_limiter(3, config);
        for key in 0..16u32 {
            assert!(limiter.check_n(&key, 3).allowed);
        }
        let admitted = (100..150u32).filter(|k| limiter.check(k).allowed).count();
        assert_eq!(admitted, newcomers_admitted, "{overflow:?}");
        let stats = limiter.stats();
        assert_eq!((stats.tracked, stats.overflowed), (16, 50), "{overflow:?}");
    }
}

/// Two threads hammer a small key set through a shard too small for it, so
/// keys are inserted, stashed and evicted (from their buckets, from other
/// buckets and from the stash) all the time. Offenders (checked for their
/// whole quota at once) are admitted at most once each: a second admission
/// would mean a key tracked twice or an exhausted key evicted. Only the
/// shard's shared overflow state may admit one more newcomer. Afterwards no
/// key is tracked twice and the tracked count matches the entries.
#[test]
fn threads_churning_a_full_shard_never_track_a_key_twice() {
    const LIMIT: u32 = 4;
    for max_keys in [100usize, 400] {
        let config = one_shard(max_keys);
        let (limiter, _clock) = frozen_window_limiter(LIMIT, config);
        let offenders: Vec<u32> = (0..max_keys as u32 / 2).collect();
        let others: Vec<u32> = (10_000..10_000 + 4 * max_keys as u32).collect();
        let admitted: Vec<AtomicU32> = offenders.iter().map(|_| AtomicU32::new(0)).collect();
        std::thread::scope(|s| {
            for t in 0..3u32 {
                let (limiter, offenders, others, admitted) =
                    (&limiter, &offenders, &others, &admitted);
                s.spawn(move || {
                    for round in 0..40u32 {
                        for i in 0..others.len() {
                            // Each thread walks the keys in its own order.
                            let n = (i as u32).wrapping_mul(2 * t + 1).wrapping_add(round * 7);
                            limiter.check(&others[n as usize % others.len()]);
                            if i % 4 == 0 {
                                let k = n as usize % offenders.len();
                                if limiter.check_n(&offenders[k], LIMIT).allowed {
                                    admitted[k].fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    }
                });
            }
        });
        let stats = limiter.stats();
        assert!(stats.tracked <= max_keys, "{stats:?}");
        assert!(stats.evictions > 0, "the test must evict: {stats:?}");
        let extra: u32 = admitted
            .iter()
            .map(|a| a.load(Ordering::Relaxed).saturating_sub(1))
            .sum();
        assert!(
            extra <= 1,
            "offenders admitted {extra} extra times ({max_keys})"
        );
        let mut forgotten = 0;
        for key in offenders.iter().chain(&others) {
            let mut copies = 0;
            while limiter.forget(key) && copies < 3 {
                copies += 1;
            }
            assert!(copies <= 1, "key {key} tracked {copies} times");
            forgotten += copies;
        }
        assert_eq!(forgotten, stats.tracked, "{stats:?}");
        assert!(limiter.is_empty());
    }
}

/// At the bound: a shard exactly full of exhausted keys tracks no more and
/// sends newcomers to the overflow state; once they decay, newcomers take
/// their places one for one. A large bound fills to within 1 % under a
/// spray of partly-used keys and never passes it.
#[test]
fn the_bound_is_reached_and_never_passed() {
    let config = one_shard(100);
    let (limiter, clock) = frozen_window_limiter(2, config);
    for key in 0..100u32 {
        assert!(limiter.check_n(&key, 2).allowed);
    }
    let stats = limiter.stats();
    assert_eq!(
        (stats.tracked, stats.evictions, stats.overflowed),
        (100, 0, 0)
    );
    for key in 1_000..1_050u32 {
        limiter.check(&key);
    }
    let stats = limiter.stats();
    assert_eq!(
        (stats.tracked, stats.evictions, stats.overflowed),
        (100, 0, 50)
    );
    assert!((0..100u32).all(|key| !limiter.check(&key).allowed));
    clock.advance(Duration::from_secs(120));
    for key in 2_000..2_100u32 {
        assert!(limiter.check(&key).allowed);
    }
    let stats = limiter.stats();
    assert_eq!((stats.tracked, stats.evictions), (100, 100), "{stats:?}");

    let config = KeyedConfig {
        max_keys: 10_000,
        shards: 4,
        ..KeyedConfig::default()
    };
    let (limiter, _clock) = frozen_window_limiter(5, config);
    for key in 0..100_000u32 {
        limiter.check(&key.wrapping_mul(0x9e37_79b9));
        assert!(key % 1_000 != 0 || limiter.len() <= 10_000);
    }
    let stats = limiter.stats();
    assert!((9_900..=10_000).contains(&stats.tracked), "{stats:?}");
    assert_eq!(stats.tracked as u64 + stats.evictions, 100_000, "{stats:?}");
    assert_eq!(stats.overflowed, 0, "{stats:?}");
}

#[test]
fn forget_and_peek() {
    let (limiter, _clock) = frozen_window_limiter(2, KeyedConfig::default());
    assert!(limiter.is_empty());
    limiter.check(&1);
    limiter.check(&1);
    assert!(!limiter.peek(&1).allowed);
    assert_eq!(limiter.peek(&2), Decision::allowed(1));
    assert_eq!(limiter.len(), 1, "peek must not track");
    assert!(limiter.forget(&1));
    assert!(!limiter.forget(&1));
    assert!(limiter.check(&1).allowed);
}

/// Keys checked in runs and alternately keep their counts exactly.
#[test]
fn keys_checked_in_runs_and_alternately_keep_their_counts() {
    let config = one_shard(8);
    let (limiter, _clock) = frozen_window_limiter(5, config);
    // a: three checks; b: two.
    for _ in 0..3 {
        assert!(limiter.check(&1).allowed);
    }
    for _ in 0..2 {
        assert!(limiter.check(&2).allowed);
    }
    // a again: exactly 5 admitted.
    assert!(limiter.check(&1).allowed);
    assert!(limiter.check(&1).allowed);
    assert!(!limiter.check(&1).allowed);
    assert_eq!(limiter.peek(&2).remaining, 2, "b keeps its 2");
    for _ in 0..3 {
        assert!(limiter.check(&2).allowed);
    }
    assert!(!limiter.check(&2).allowed);
    assert_eq!(limiter.len(), 2);
    // Forgetting either key works.
    assert!(limiter.forget(&2));
    assert!(limiter.forget(&1));
    assert!(limiter.is_empty());
}

/// With room for one key, the tracked key is evicted when idle, never when
/// exhausted.
#[test]
fn a_one_key_bound_evicts_only_when_not_exhausted() {
    let config = one_shard(1);
    let (limiter, clock) = frozen_window_limiter(2, config);
    assert!(limiter.check(&1).allowed);
    assert!(limiter.check(&1).allowed); // now exhausted
    // No room for key 2: it falls under the shared overflow state.
    assert!(limiter.check(&2).allowed);
    let stats = limiter.stats();
    assert_eq!((stats.tracked, stats.overflowed), (1, 1), "{stats:?}");
    assert!(!limiter.check(&1).allowed, "an exhausted key was reset");
    assert_eq!(limiter.stats().evictions, 0);
    // Two windows later key 1 is idle: a newcomer takes its place.
    clock.advance(Duration::from_secs(120));
    assert!(limiter.check(&3).allowed);
    let stats = limiter.stats();
    assert_eq!((stats.tracked, stats.evictions), (1, 1), "{stats:?}");
    assert_eq!(limiter.peek(&3).remaining, 0, "key 3 is tracked");
}

#[derive(Clone, Debug)]
enum KeyedOp {
    Check(u32, u32),
    Peek(u32),
    Forget(u32),
    Advance(u64),
}

fn keyed_op() -> impl Strategy<Value = KeyedOp> {
    prop_oneof![
        6 => (0u32..4, 0u32..3).prop_map(|(k, c)| KeyedOp::Check(k, c)),
        1 => (0u32..4).prop_map(KeyedOp::Peek),
        1 => (0u32..4).prop_map(KeyedOp::Forget),
        2 => (0u64..400).prop_map(|ms| KeyedOp::Advance(ms * MS)),
    ]
}

proptest! {
    /// Without eviction, a keyed limiter answers exactly as one state per
    /// key would, whatever the order of checks (keys in their home bucket,
    /// the next one or the stash), peeks and forgets.
    #[test]
    fn keyed_limiter_matches_one_state_per_key(ops in proptest::collection::vec(keyed_op(), 1..200)) {
        let clock = ManualClock::starting_at(Duration::from_secs(10));
        let window = SlidingWindow::new(4, Duration::from_secs(1)).unwrap();
        let config = one_shard(16);
        let limiter = KeyedLimiter::with_clock(window, config, clock.clone()).unwrap();
        let mut model = std::collections::HashMap::<u32, WindowState>::new();
        let mut now = 10 * SEC;
        for op in ops {
            match op {
                KeyedOp::Check(k, cost) => {
                    let want = window.check(model.entry(k).or_default(), now, cost);
                    prop_assert_eq!(limiter.check_n(&k, cost), want);
                }
                KeyedOp::Peek(k) => {
                    let state = model.get(&k).copied().unwrap_or_default();
                    prop_assert_eq!(limiter.peek(&k), window.peek(&state, now));
                }
                KeyedOp::Forget(k) => {
                    let tracked = model.remove(&k).is_some_and(|s| window.usage(&s, now) != Usage::Idle);
                    let forgot = limiter.forget(&k);
                    // An idle key may or may not be tracked; a used one is.
                    prop_assert!(forgot || !tracked);
                }
                KeyedOp::Advance(d) => {
                    clock.advance(ns(d));
                    now += d;
                }
            }
        }
    }
}

#[test]
fn keyed_rejects_bad_configuration() {
    let sw = SlidingWindow::new(1, Duration::from_secs(1)).unwrap();
    for config in [
        KeyedConfig::with_max_keys(0),
        KeyedConfig {
            shards: 0,
            ..KeyedConfig::default()
        },
        KeyedConfig {
            eviction_sample: 0,
            ..KeyedConfig::default()
        },
    ] {
        assert!(KeyedLimiter::<u32, _>::new(sw, config).is_err());
    }
    // Fewer keys than shards: still exactly max_keys tracked.
    let clock = ManualClock::new();
    let small = KeyedLimiter::with_clock(sw, KeyedConfig::with_max_keys(3), clock).unwrap();
    for key in 0..100u32 {
        small.check(&key);
    }
    assert!(small.len() <= 3);
}

#[test]
fn account_and_destination_keys() {
    let clock = ManualClock::new();
    let limiter = KeyedLimiter::with_clock(
        SlidingLog::<2>::new(2, Duration::from_secs(60)).unwrap(),
        KeyedConfig::default(),
        clock,
    )
    .unwrap();
    let key =
        |account: &str, number: &str| (account.to_owned(), DialPrefix::parse(number, 5).unwrap());
    assert!(limiter.check(&key("alice", "+882 1234 5678")).allowed);
    assert!(limiter.check(&key("alice", "88212-999")).allowed);
    assert!(
        !limiter.check(&key("alice", "(882) 12 000")).allowed,
        "same 5-digit prefix"
    );
    assert!(limiter.check(&key("alice", "+4420 7946")).allowed);
    assert!(limiter.check(&key("bob", "+882 1234")).allowed);
}

// ---------------------------------------------------------------- keys

#[test]
fn ip_keys_group_ipv6_and_unmap_ipv4() {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(
        IpKey::new(ip("192.0.2.1"), 64).unwrap(),
        IpKey::V4(0xc000_0201)
    );
    assert_eq!(
        IpKey::new(ip("::ffff:192.0.2.1"), 64).unwrap(),
        IpKey::V4(0xc000_0201)
    );
    assert_eq!(
        IpKey::new(ip("2001:db8:aa:bb:1::"), 64).unwrap(),
        IpKey::new(ip("2001:db8:aa:bb:ffff:ffff:ffff:ffff"), 64).unwrap()
    );
    assert_ne!(
        IpKey::new(ip("2001:db8:aa:bb::"), 64).unwrap(),
        IpKey::new(ip("2001:db8:aa:bc::"), 64).unwrap()
    );
    assert_eq!(
        IpKey::new(ip("2001:db8:aa:bb::"), 48).unwrap(),
        IpKey::new(ip("2001:db8:aa:ff::"), 48).unwrap()
    );
    assert_eq!(IpKey::new(ip("2001:db8::"), 0).unwrap(), IpKey::V6(0));
    assert!(IpKey::new(ip("2001:db8::"), 65).is_err());

    let clock = ManualClock::new();
    let limiter = IpLimiter::with_clock(
        SlidingWindow::new(2, Duration::from_secs(1)).unwrap(),
        KeyedConfig::default(),
        64,
        clock.clone(),
    )
    .unwrap();
    assert!(limiter.check(ip("2001:db8:0:1::1")).allowed);
    assert!(limiter.check(ip("2001:db8:0:1::2")).allowed);
    assert!(
        !limiter.check(ip("2001:db8:0:1:ffff::")).allowed,
        "same /64"
    );
    assert!(limiter.check(ip("2001:db8:0:2::1")).allowed, "next /64");
    assert!(limiter.check(ip("10.0.0.1")).allowed);
    assert!(limiter.check(ip("::ffff:10.0.0.1")).allowed);
    assert!(
        !limiter.peek(ip("10.0.0.1")).allowed,
        "mapped address shares the IPv4 key"
    );
    let (v4, v6) = limiter.stats();
    assert_eq!((v4.tracked, v6.tracked), (1, 2));
    assert!(limiter.forget(ip("10.0.0.1")));
    clock.advance(Duration::from_secs(2));
    assert!(limiter.check(ip("2001:db8:0:1::3")).allowed);
}

#[test]
fn dial_prefix_parsing() {
    let p = DialPrefix::parse("+1 (555) 010-9999", 7).unwrap();
    assert_eq!(p.to_string(), "1555010");
    assert_eq!(p.len(), 7);
    assert_eq!(DialPrefix::parse("*21#", 16).unwrap().to_string(), "*21#");
    assert_eq!(
        DialPrefix::parse("12345678901234567890", 99).unwrap().len(),
        16
    );
    assert!(DialPrefix::parse("", 4).unwrap().is_empty());
    assert!(matches!(
        DialPrefix::parse("12+3", 4),
        Err(Error::InvalidDialString {
            offset: 2,
            byte: b'+'
        })
    ));
    assert!(matches!(
        DialPrefix::parse("44\u{e9}", 4),
        Err(Error::InvalidDialString {
            offset: 2,
            byte: 0xc3
        })
    ));
    // Bytes after the digits taken are not examined.
    assert!(DialPrefix::parse("4420;phone-context=x", 4).is_ok());
    assert_ne!(
        DialPrefix::parse("12", 4).unwrap(),
        DialPrefix::parse("120", 4).unwrap()
    );
}

// ---------------------------------------------------------------- concurrency

#[test]
fn permits_count_and_release() {
    // One shard, so the bound of 2 keys is not split into shares.
    let config = one_shard(2);
    let calls = ConcurrencyLimiter::new(3, config).unwrap();
    let a1 = calls.try_acquire(&1u64).unwrap();
    let a2 = calls.try_acquire(&1u64).unwrap();
    let vip = calls.try_acquire_with_limit(&1u64, 5).unwrap();
    assert_eq!(
        calls.try_acquire(&1u64).unwrap_err(),
        AcquireError::AtLimit { limit: 3 }
    );
    assert_eq!(*vip.key(), 1);
    let b = calls.try_acquire(&2u64).unwrap();
    assert_eq!(
        calls.try_acquire(&3u64).unwrap_err(),
        AcquireError::TooManyKeys
    );
    assert_eq!(calls.tracked(), 2);
    drop(b);
    assert_eq!(calls.in_use(&2), 0);
    assert_eq!(calls.tracked(), 1, "a key with no open permit is forgotten");
    let c = calls.try_acquire(&3u64).unwrap();
    drop((a1, a2, vip, c));
    assert_eq!(calls.tracked(), 0);
    assert!(ConcurrencyLimiter::<u64>::new(0, KeyedConfig::default()).is_err());
}

#[test]
fn permits_across_threads_never_exceed_the_limit() {
    let calls = ConcurrencyLimiter::new(4, KeyedConfig::default()).unwrap();
    let open = Arc::new(AtomicU32::new(0));
    let peak = Arc::new(AtomicU32::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let calls = calls.clone();
            let open = Arc::clone(&open);
            let peak = Arc::clone(&peak);
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for i in 0..20_000 {
                    if i % 3 == 2 {
                        if let Some(p) = held.pop() {
                            open.fetch_sub(1, Ordering::SeqCst);
                            drop(p);
                        }
                    } else if let Ok(p) = calls.try_acquire(&"acct") {
                        let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        held.push(p);
                    }
                }
                open.fetch_sub(held.len() as u32, Ordering::SeqCst);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(peak.load(Ordering::SeqCst) <= 4);
    assert!(
        peak.load(Ordering::SeqCst) >= 2,
        "threads should have overlapped"
    );
    assert_eq!(calls.in_use(&"acct"), 0);
    assert_eq!(calls.tracked(), 0);
}

#[test]
fn decision_retry_after_rounds_up() {
    assert_eq!(Decision::denied(0, ns(1)).retry_after_secs(), 1);
    assert_eq!(
        Decision::denied(0, Duration::from_secs(2)).retry_after_secs(),
        2
    );
    assert_eq!(Decision::allowed(4).retry_after_secs(), 0);
}

#[test]
fn debug_output_shows_neither_keys_nor_hash_seeds() {
    let clock = ManualClock::new();
    let limiter = KeyedLimiter::with_clock(
        SlidingWindow::new(5, Duration::from_secs(1)).unwrap(),
        KeyedConfig::default(),
        clock,
    )
    .unwrap();
    limiter.check("alice-secret-account");
    let shown = format!("{limiter:?}");
    assert!(shown.contains("max_keys"));
    assert!(
        !shown.contains("alice") && !shown.to_lowercase().contains("seed"),
        "{shown}"
    );
    let calls = ConcurrencyLimiter::new(2, KeyedConfig::default()).unwrap();
    let _permit = calls.try_acquire(&"bob-secret".to_string()).unwrap();
    let shown = format!("{calls:?}");
    assert!(
        !shown.contains("bob") && !shown.to_lowercase().contains("seed"),
        "{shown}"
    );
}
