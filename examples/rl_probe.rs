use std::hint::black_box;
use std::time::{Duration, Instant};
use voipsec::ratelimit::*;
fn time<F: FnMut()>(name: &str, n: u64, mut f: F) {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    println!("{name}: {:.2} ns", t.elapsed().as_nanos() as f64 / n as f64);
}
fn main() {
    let n = 50_000_000;
    if std::env::args().nth(1).as_deref() == Some("hot") {
        let sw = SlidingWindow::new(1_000_000_000, Duration::from_secs(1)).unwrap();
        let kl = KeyedLimiter::new(sw, KeyedConfig::default()).unwrap();
        time("keyed window", 300_000_000, || {
            black_box(kl.check(black_box(&7u32)));
        });
        return;
    }
    let sw = SlidingWindow::new(1_000_000_000, Duration::from_secs(1)).unwrap();
    let g = Gcra::new(1_000_000_000, Duration::from_secs(1), 1_000_000).unwrap();
    let clock = CoarseClock::new();
    let mut s = WindowState::default();
    time("clock", n, || {
        black_box(clock.now());
    });
    time("window.check", n, || {
        black_box(sw.check(&mut s, black_box(clock.now()), 1));
    });
    let mut denied = 0u64;
    time("window.check counted", n, || {
        if !sw.check(&mut s, black_box(clock.now()), 1).allowed {
            denied += 1;
        }
    });
    println!("denied {denied}");
    let mut gs = GcraState::default();
    time("gcra.check", n, || {
        black_box(g.check(&mut gs, black_box(clock.now()), 1));
    });
    let m = std::sync::Mutex::new(0u64);
    time("mutex", n, || {
        *m.lock().unwrap() += 1;
    });
    let kl = KeyedLimiter::new(sw, KeyedConfig::default()).unwrap();
    time("keyed window", n, || {
        black_box(kl.check(black_box(&7u32)));
    });
    let kg = KeyedLimiter::new(g, KeyedConfig::default()).unwrap();
    time("keyed gcra", n, || {
        black_box(kg.check(black_box(&7u32)));
    });
    let h = foldhash::fast::RandomState::default();
    {
        use std::hash::BuildHasher;
        let mut t: hashbrown::HashTable<(u32, WindowState)> = hashbrown::HashTable::new();
        t.insert_unique(h.hash_one(7u32), (7, WindowState::default()), |e| {
            h.hash_one(e.0)
        });
        time("find_mut", n, || {
            let k = black_box(7u32);
            let hh = h.hash_one(k);
            black_box(t.find_mut(hh, |e| e.0 == k).map(|e| e.1 = black_box(e.1)));
        });
        let m = std::sync::Mutex::new(t);
        time("lock+find_mut", n, || {
            let k = black_box(7u32);
            let hh = h.hash_one(k);
            let mut g = m.lock().unwrap();
            black_box(g.find_mut(hh, |e| e.0 == k).map(|e| e.1 = black_box(e.1)));
        });
    }
    time("keyed window again", n, || {
        black_box(kl.check(black_box(&7u32)));
    });
    use std::hash::BuildHasher;
    time("hash", n, || {
        black_box(h.hash_one(black_box(7u32)));
    });
}
#[allow(dead_code)]
fn extra() {}
