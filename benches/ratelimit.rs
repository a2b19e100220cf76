//! Check-and-count cost of the keyed limiters beside governor's keyed
//! limiter (`DefaultKeyedRateLimiter`: dashmap + quanta clock), in the same
//! criterion groups so the ratios come from one run.
//!
//! Cases: one hot key, and 1,000,000 distinct IPv4 keys visited in a
//! scattered order, each on one thread and on two threads (wall time per
//! check over both threads, so perfect scaling halves it). Every library
//! uses its default clock. Limits are high enough that checks admit, so both
//! sides do the full update.
//!
//! The 1M-key groups also time a floor: the same walk, each check hashing
//! its key and locking one random 64-byte line of a table as large as our
//! limiters' (a one-byte spinlock released by a plain store, as our
//! buckets), counting and unlocking. It is what one cache miss per check
//! costs on this host with the core overlapping misses as it can, so the
//! report states how many floors each of our checks takes
//! (`scripts/bench-report`: "x floor").
//!
//! Our limiters are bounded at 2 × 2^20 keys for the 1M-key cases: a key
//! lives in one of two buckets of three slots or in its shard's stash, and
//! near the bound a newcomer would evict a tracked key; at half the bound
//! the bench asserts that none was evicted (governor has no bound at all),
//! though some keys still live in their second bucket or the stash and
//! their checks take a second miss. Memory per key at the bound is
//! measured by tests/ratelimit_memory.rs.
//!
//! Run: `cargo bench --bench ratelimit -- --warm-up-time 1 --measurement-time 3`

use std::hash::BuildHasher;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use voipsec::ratelimit::{Gcra, KeyedConfig, KeyedLimiter, SlidingWindow};

const KEYS: usize = 1_000_000;
const HIGH_LIMIT: u32 = 1_000_000_000;

type Window = KeyedLimiter<u32, SlidingWindow>;
type Pacer = KeyedLimiter<u32, Gcra>;
type Governor = DefaultKeyedRateLimiter<u32>;

fn window_limiter() -> Window {
    let config = KeyedConfig::with_max_keys(2 << 20);
    KeyedLimiter::new(
        SlidingWindow::new(HIGH_LIMIT, Duration::from_secs(1)).unwrap(),
        config,
    )
    .unwrap()
}

fn gcra_limiter() -> Pacer {
    let config = KeyedConfig::with_max_keys(2 << 20);
    KeyedLimiter::new(
        Gcra::new(HIGH_LIMIT, Duration::from_secs(1), 1_000_000).unwrap(),
        config,
    )
    .unwrap()
}

/// Lines of the floor's table: as many as our limiters' buckets at the
/// bench's bound (64 shards × 12,289 buckets of 64 bytes, about 50 MB).
const FLOOR_LINES: u64 = 64 * 12_289;

/// One line of the floor's table.
#[repr(align(64))]
struct FloorLine(spinning_top::Spinlock<u64>);

/// The floor's table and hasher (foldhash, as our limiters).
struct Floor {
    lines: Vec<FloorLine>,
    hasher: foldhash::fast::RandomState,
}

impl Floor {
    fn new() -> Self {
        Self {
            lines: (0..FLOOR_LINES)
                .map(|_| FloorLine(spinning_top::Spinlock::new(0)))
                .collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Locks the key's line (the hash's low half scaled to the table, as our
    /// limiters pick a bucket), counts and unlocks.
    fn touch(&self, key: &u32) -> u64 {
        let hash = self.hasher.hash_one(key);
        let line = ((hash & 0xffff_ffff) * FLOOR_LINES) >> 32;
        let mut count = self.lines[line as usize].0.lock();
        *count += 1;
        *count
    }
}

fn governor_limiter() -> Governor {
    let rate = NonZeroU32::new(HIGH_LIMIT).unwrap();
    let burst = NonZeroU32::new(1_000_000).unwrap();
    RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
}

/// 1,000,000 distinct IPv4 addresses in a scattered order.
fn ipv4_keys() -> Vec<u32> {
    (0..KEYS as u32)
        .map(|i| i.wrapping_mul(0x9e37_79b9) ^ 0x0a00_0000)
        .collect()
}

/// Runs `per_check` `iters` times split over `threads` threads and returns
/// the wall time, so the figure is wall time per check.
///
/// `per_check` gets the step's position in one walk that goes on across
/// calls: `*cursor` is where this call starts, and each thread takes its own
/// contiguous part of the next `iters` steps. Without the cursor every
/// criterion sample would restart at key 0 and revisit the keys the previous
/// sample had just brought into cache, so a row's working set would be its
/// sample size (which criterion sets from the row's speed: smaller for a
/// slower library) instead of the whole key set. [`bench_row`] keeps the
/// cursor.
fn spread<F: Fn(u64) + Sync>(cursor: &mut u64, iters: u64, threads: u64, per_check: F) -> Duration {
    let first = *cursor;
    *cursor = cursor.wrapping_add(iters);
    let start = Instant::now();
    std::thread::scope(|s| {
        let mut from = first;
        for t in 0..threads {
            let per_check = &per_check;
            let share = iters / threads + u64::from(t < iters % threads);
            s.spawn(move || {
                for i in from..from + share {
                    per_check(i);
                }
            });
            from += share;
        }
    });
    start.elapsed()
}

/// One row of a group: `per_check` over `threads` threads on one walk. The
/// walk's cursor lives here, outside the closure given to `bench_function`,
/// because criterion calls that closure again for every sample and every
/// warm-up round: a cursor declared inside it would restart at 0 each time.
fn bench_row<F: Fn(u64) + Sync>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    threads: u64,
    per_check: F,
) {
    let mut cursor = 0;
    group.bench_function(id, |b| {
        b.iter_custom(|iters| spread(&mut cursor, iters, threads, &per_check))
    });
}

fn hot_key(c: &mut Criterion) {
    let window = window_limiter();
    let gcra = gcra_limiter();
    let governor = governor_limiter();
    let key = 0xc000_0201u32;
    for threads in [1u64, 2] {
        let mut group = c.benchmark_group(format!("ratelimit/hot_key/{threads}_thread"));
        bench_row(&mut group, "voipsec_sliding_window", threads, |_| {
            black_box(window.check(black_box(&key)));
        });
        bench_row(&mut group, "voipsec_gcra", threads, |_| {
            black_box(gcra.check(black_box(&key)));
        });
        bench_row(&mut group, "governor_keyed", threads, |_| {
            let _ = black_box(governor.check_key(black_box(&key)));
        });
        group.finish();
    }
}

fn million_keys(c: &mut Criterion) {
    let keys = ipv4_keys();
    let window = window_limiter();
    let gcra = gcra_limiter();
    let governor = governor_limiter();
    // Track every key first: the benchmark measures checks of known keys.
    for k in &keys {
        window.check(k);
        gcra.check(k);
        let _ = governor.check_key(k);
    }
    assert_eq!(window.stats().evictions, 0, "the bench must not evict");
    let floor = Floor::new();
    let key = |i: u64| &keys[(i % KEYS as u64) as usize];
    for threads in [1u64, 2] {
        let mut group = c.benchmark_group(format!("ratelimit/1M_ipv4_keys/{threads}_thread"));
        bench_row(&mut group, "voipsec_sliding_window", threads, |i| {
            black_box(window.check(key(i)));
        });
        bench_row(&mut group, "voipsec_gcra", threads, |i| {
            black_box(gcra.check(key(i)));
        });
        bench_row(&mut group, "governor_keyed", threads, |i| {
            let _ = black_box(governor.check_key(key(i)));
        });
        bench_row(&mut group, "floor_locked_line", threads, |i| {
            black_box(floor.touch(key(i)));
        });
        group.finish();
    }
}

criterion_group!(benches, hot_key, million_keys);
criterion_main!(benches);
