//! The Redis backend against a real redis-server. The server URL comes from
//! `VOIPSEC_REDIS_URL` (scripts/test-all starts one); these tests FAIL when
//! it is unset or unreachable.
#![cfg(feature = "redis")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use voipsec::ratelimit::{
    Algorithm, ManualClock, RedisConfig, RedisFallback, RedisLimiter, SlidingWindow, WindowState,
};

fn server_url() -> String {
    std::env::var("VOIPSEC_REDIS_URL")
        .expect("VOIPSEC_REDIS_URL must name a running redis-server (scripts/test-all starts one)")
}

/// A key prefix no other run or test shares.
fn fresh_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("voipsec-test:{test}:{}:{nanos}:", std::process::id())
}

fn node(window: SlidingWindow, prefix: &str, clock: &ManualClock) -> RedisLimiter<ManualClock> {
    let mut config = RedisConfig::new(server_url());
    config.key_prefix = prefix.to_owned();
    config.fallback = RedisFallback::FailClosed;
    // Generous timeouts: a loaded CI machine can stall the server for more
    // than the 50 ms production default, and these tests want Redis answers.
    config.io_timeout = Duration::from_secs(5);
    config.connect_timeout = Duration::from_secs(5);
    RedisLimiter::with_clock(window, config, clock.clone()).unwrap()
}

/// A wall-clock-like epoch: 2026-01-01, so Lua sees realistic magnitudes.
fn epoch() -> ManualClock {
    ManualClock::starting_at(Duration::from_secs(1_767_225_600))
}

fn round_up_to_micros(d: Duration) -> Duration {
    if d == Duration::MAX {
        return d;
    }
    Duration::from_micros(d.as_nanos().div_ceil(1000) as u64)
}

#[test]
fn redis_matches_the_local_sliding_window_exactly() {
    let window = SlidingWindow::new(7, Duration::from_millis(500)).unwrap();
    let clock = epoch();
    let start = Duration::from_secs(1_767_225_600);
    let redis = node(window, &fresh_prefix("exact"), &clock);
    let mut local = WindowState::default();
    let mut refusals = 0;
    let mut offset_us = 0u64;
    for i in 0..300u64 {
        offset_us += (i * 7919) % 60_000; // uneven gaps up to 60 ms
        let at = start + Duration::from_micros(offset_us);
        clock.set(at);
        let mut want = window.check(&mut local, at.as_nanos() as u64, 1 + (i % 3 == 0) as u32);
        let got = redis
            .try_check_n(b"k", 1 + (i % 3 == 0) as u32)
            .expect("redis reachable");
        want.retry_after = round_up_to_micros(want.retry_after);
        assert_eq!(got, want, "step {i} at +{offset_us} µs");
        refusals += usize::from(!got.allowed);
    }
    assert!(
        refusals > 30,
        "the pattern must exercise refusals ({refusals})"
    );
    assert_eq!(redis.fallbacks(), 0);
}

#[test]
fn nodes_share_one_count() {
    let window = SlidingWindow::new(10, Duration::from_secs(60)).unwrap();
    let clock = epoch();
    let prefix = fresh_prefix("shared");
    let a = node(window, &prefix, &clock);
    let b = node(window, &prefix, &clock);
    for i in 0..10 {
        let n = if i % 2 == 0 { &a } else { &b };
        assert!(n.check(b"acct:alice").allowed, "unit {i}");
    }
    let refused = b.check(b"acct:alice");
    assert!(!refused.allowed);
    // Whole-window wait, plus one microsecond: the time resolution of nodes.
    assert_eq!(
        refused.retry_after,
        Duration::from_secs(60) + Duration::from_micros(1)
    );
    assert!(a.check(b"acct:bob").allowed, "other keys are independent");
    // A node whose clock lags by one window counts into the newer window
    // instead of resetting it.
    clock.advance(Duration::from_secs(61));
    assert!(a.check(b"acct:carol").allowed);
    let lagging_clock = epoch();
    let lagging = node(window, &prefix, &lagging_clock);
    for _ in 0..9 {
        assert!(lagging.check(b"acct:carol").allowed);
    }
    assert!(
        !a.check(b"acct:carol").allowed,
        "lagging node's units must count"
    );
}

#[test]
fn concurrent_nodes_never_admit_more_than_the_limit() {
    let window = SlidingWindow::new(200, Duration::from_secs(60)).unwrap();
    let clock = epoch();
    let prefix = fresh_prefix("threads");
    let admitted = Arc::new(AtomicU32::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let limiter = node(window, &prefix, &clock);
            let admitted = Arc::clone(&admitted);
            std::thread::spawn(move || {
                for _ in 0..150 {
                    if limiter
                        .try_check_n(b"hot", 1)
                        .expect("redis reachable")
                        .allowed
                    {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(admitted.load(Ordering::Relaxed), 200);
}

#[test]
fn unreachable_redis_falls_back_as_configured() {
    let window = SlidingWindow::new(3, Duration::from_secs(1)).unwrap();
    let clock = epoch();
    // Port 1 on loopback: connection refused at once.
    let config = |fallback| RedisConfig {
        fallback,
        retry_interval: Duration::from_secs(5),
        ..RedisConfig::new("redis://127.0.0.1:1/")
    };
    let open =
        RedisLimiter::with_clock(window, config(RedisFallback::FailOpen), clock.clone()).unwrap();
    assert!(open.try_check_n(b"k", 1).is_err());
    assert!((0..10).all(|_| open.check(b"k").allowed));
    assert_eq!(open.fallbacks(), 10);

    let closed =
        RedisLimiter::with_clock(window, config(RedisFallback::FailClosed), clock.clone()).unwrap();
    let refused = closed.check(b"k");
    assert!(!refused.allowed);
    assert_eq!(refused.retry_after, Duration::from_secs(5));

    let local =
        RedisLimiter::with_clock(window, config(RedisFallback::Local), clock.clone()).unwrap();
    let admitted = (0..10).filter(|_| local.check(b"k").allowed).count();
    assert_eq!(admitted, 3, "the local fallback applies the same limit");
    assert!(local.check(b"other").allowed);
    clock.advance(Duration::from_secs(3));
    assert!(local.check(b"k").allowed);
}

#[test]
fn bad_configuration_is_refused() {
    let clock = epoch();
    let sub_micro = SlidingWindow::new(3, Duration::from_nanos(1_000_500)).unwrap();
    assert!(
        RedisLimiter::with_clock(sub_micro, RedisConfig::new(server_url()), clock.clone()).is_err()
    );
    let huge = SlidingWindow::new(u32::MAX, Duration::from_secs(86_400 * 365)).unwrap();
    assert!(RedisLimiter::with_clock(huge, RedisConfig::new(server_url()), clock.clone()).is_err());
    let window = SlidingWindow::new(3, Duration::from_secs(1)).unwrap();
    assert!(RedisLimiter::with_clock(window, RedisConfig::new("not a url"), clock).is_err());
    // The password never shows in Debug output.
    let config = RedisConfig::new("redis://:hunter2@127.0.0.1:6379/");
    assert!(!format!("{config:?}").contains("hunter2"));
}
