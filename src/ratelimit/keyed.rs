//! The keyed limiter: one algorithm state per key, sharded, capped, evicting;
//! its contract is documented on [`KeyedLimiter`].

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use foldhash::SharedSeed;
use foldhash::fast::SeedableRandomState;
use hashbrown::HashTable;
use parking_lot::Mutex;
use spinning_top::RawSpinlock;
use spinning_top::lock_api;
use spinning_top::relax::Relax;

use super::algorithm::Algorithm;
use super::clock::{Clock, CoarseClock};
use super::decision::{Decision, Usage};
use super::error::Error;

/// What happens to a new key when its shard is full of exhausted keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// All untracked newcomers of a shard share one state under the same
    /// limit (fail-closed for floods, still admits some new keys).
    #[default]
    Shared,
    /// Untracked newcomers are admitted as if they were fresh (fail-open).
    Allow,
}

/// Sizing and policy of a [`KeyedLimiter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyedConfig {
    /// Most keys tracked at once (≥ 1). Default 100,000.
    pub max_keys: usize,
    /// Number of shards (at most 65,536 and at most `max_keys`): a keyed
    /// limiter uses exactly this many, a [`ConcurrencyLimiter`](super::ConcurrencyLimiter)
    /// may use more so that each shard's table is well filled. Default 64.
    pub shards: usize,
    /// Keys examined per eviction (≥ 1). Default 8.
    pub eviction_sample: usize,
    /// Policy for new keys that cannot be tracked.
    pub overflow: Overflow,
}

impl Default for KeyedConfig {
    fn default() -> Self {
        Self {
            max_keys: 100_000,
            shards: 64,
            eviction_sample: 8,
            overflow: Overflow::Shared,
        }
    }
}

impl KeyedConfig {
    /// The default configuration with `max_keys` tracked keys.
    pub fn with_max_keys(max_keys: usize) -> Self {
        Self {
            max_keys,
            ..Self::default()
        }
    }
}

/// Counters describing a keyed limiter's memory pressure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyedStats {
    /// Keys tracked now.
    pub tracked: usize,
    /// Keys evicted to make room since creation.
    pub evictions: u64,
    /// New keys that could not be tracked and fell under [`Overflow`].
    pub overflowed: u64,
}

/// A cache-line-aligned wrapper so neighbouring shard locks never share a line
/// (128 bytes: adjacent-line prefetch pairs lines on x86).
#[repr(align(128))]
#[derive(Debug)]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Padded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// hashbrown's usable capacity for a table of `buckets` buckets (7/8 load).
fn full_capacity(buckets: usize) -> usize {
    if buckets < 8 {
        buckets.saturating_sub(1)
    } else {
        buckets / 8 * 7
    }
}

/// Inserts `value` (not yet in `table`) while keeping the table at the size
/// `cap` entries need. Removals leave tombstones; once no free slot is left
/// hashbrown would double a table that is this full, so rebuild it at the
/// same size instead. The table is sized for `cap + cap/8` entries so that a
/// rebuild (O(cap)) comes at most once per `cap/8` insertions: constant
/// amortised cost whatever `cap` is. The rebuild moves the entries into the
/// limiter's [`SpareTable`] and keeps the emptied table as the next spare,
/// so it allocates nothing once the tables have their final size. The caller
/// keeps `table.len() < cap`.
pub(crate) fn insert_bounded<T>(
    table: &mut HashTable<T>,
    spare: &SpareTable<T>,
    cap: usize,
    hash: u64,
    value: T,
    hasher: impl Fn(&T) -> u64,
) {
    let target = rebuild_target(cap);
    let at_final_size = full_capacity(table.num_buckets()) >= target;
    if at_final_size && table.capacity() == table.len() {
        let mut rebuilt = spare.0.lock();
        if rebuilt.capacity() < target {
            // Only if a shard outgrew the spare (never by construction).
            *rebuilt = HashTable::with_capacity(target);
        }
        for entry in table.drain() {
            rebuilt.insert_unique(hasher(&entry), entry, &hasher);
        }
        // `drain` left the old table empty, tombstones cleared, its buckets kept.
        std::mem::swap(table, &mut *rebuilt);
    }
    table.insert_unique(hash, value, hasher);
}

/// Entries a table holding `cap` keys is sized for: `cap` plus the 1/8
/// slack that spaces out tombstone rebuilds.
fn rebuild_target(cap: usize) -> usize {
    cap.saturating_add(cap / 8).saturating_add(1)
}

/// The table [`insert_bounded`] rebuilds a shard into: one per limiter,
/// allocated once at the size of the largest shard, so clearing tombstones
/// under a flood of new keys never allocates (its memory is one shard's
/// worth, 1/shards of the total).
pub(crate) struct SpareTable<T>(Mutex<HashTable<T>>);

impl<T> SpareTable<T> {
    /// A spare for shards of at most `max_cap` keys.
    pub(crate) fn for_shard_cap(max_cap: usize) -> Self {
        SpareTable(Mutex::new(HashTable::with_capacity(rebuild_target(
            max_cap,
        ))))
    }
}

/// A hasher keyed from the OS CSPRNG: a process-wide seed plus a per-limiter
/// one, so bucket and shard placement cannot be predicted from outside.
pub(crate) fn keyed_hasher() -> SeedableRandomState {
    static SHARED: OnceLock<SharedSeed> = OnceLock::new();
    let shared = SHARED.get_or_init(|| SharedSeed::from_u64(rand::random::<u64>()));
    SeedableRandomState::with_seed(rand::random::<u64>(), shared)
}

/// Entries a table of `buckets` buckets holds while keeping the rebuild
/// slack of [`insert_bounded`]: the largest `c` with `c + c/8 + 1 ≤` its
/// usable capacity.
fn entries_per_table(buckets: usize) -> usize {
    let full = full_capacity(buckets);
    let mut c = full.saturating_sub(1) * 8 / 9;
    while c > 0 && c + c / 8 + 1 > full {
        c -= 1;
    }
    while (c + 1) + (c + 1) / 8 < full {
        c += 1;
    }
    c
}

/// Shard count for a configuration: at least `config.shards` (for
/// concurrency) where `max_keys` allows, then adjusted so that every shard's
/// share fills its power-of-two table as far as the rebuild slack allows —
/// about 7/9 of the buckets used whatever `max_keys` is, instead of anywhere
/// between 3/8 and 7/8.
pub(crate) fn shard_count(config: &KeyedConfig) -> Result<usize, Error> {
    let min_shards = min_shard_count(config)?;
    let max_keys = config.max_keys;
    let share = max_keys.div_ceil(min_shards);
    let target = share + share / 8 + 1;
    if target < 64 {
        // Small tables: hashbrown's minimum sizes dominate; keep it simple.
        return Ok(min_shards);
    }
    let buckets = (target * 8 / 7 + 1).next_power_of_two();
    // The table size that fits `share` and the next smaller one: whichever
    // needs fewer buckets in total (more shards on a tie).
    let mut best: Option<(usize, usize)> = None;
    for b in [buckets, buckets / 2] {
        let per_table = entries_per_table(b);
        if per_table == 0 {
            continue;
        }
        let shards = max_keys.div_ceil(per_table);
        if !(min_shards..=MAX_SHARDS).contains(&shards) {
            continue;
        }
        let total = shards.saturating_mul(b);
        if best.is_none_or(|(t, s)| total < t || (total == t && shards > s)) {
            best = Some((total, shards));
        }
    }
    Ok(best.map_or(min_shards, |(_, shards)| shards))
}

/// Most shards a limiter uses.
const MAX_SHARDS: usize = 1 << 16;

/// The configured shard count where `max_keys` allows (each shard has at
/// least one key), after checking the configuration.
pub(crate) fn min_shard_count(config: &KeyedConfig) -> Result<usize, Error> {
    if config.max_keys == 0 || config.shards == 0 || config.eviction_sample == 0 {
        return Err(Error::InvalidConfig {
            what: "max_keys, shards and eviction_sample must be at least 1",
        });
    }
    Ok(config.shards.min(MAX_SHARDS).min(config.max_keys))
}

/// Splits `max_keys` over `shards` so the shares sum to exactly `max_keys`.
pub(crate) fn shard_cap(max_keys: usize, shards: usize, index: usize) -> usize {
    max_keys / shards + usize::from(index < max_keys % shards)
}

/// Shard index of a hash, in `0..shards`: the hash's bits re-mixed (one
/// xor-shift and multiply, splitmix64's), then the top 32 scaled to the
/// count (multiply-high, no division). foldhash's fast variant is made for
/// hashbrown, which reads the low bits and the top 7; its middle bits keep
/// some structure of structured keys (consecutive addresses): without the
/// mix, about one seed in 150 left a shard empty for 5,000 addresses of one
/// /16, so some shards filled far sooner than others.
#[inline]
pub(crate) fn shard_of(hash: u64, shards: usize) -> usize {
    let mixed = (hash ^ (hash >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (((mixed >> 32) * shards as u64) >> 32) as usize
}

/// The slots of one bucket. Keys and states sit in two arrays rather than
/// as pairs so that an 8-byte-aligned key (`Option<u64>`, 16 bytes) does not
/// pad every 12-byte state to 16.
struct Slots<K, S, const W: usize> {
    keys: [Option<K>; W],
    states: [S; W],
}

impl<K, S: Copy + Default, const W: usize> Slots<K, S, W> {
    fn new() -> Self {
        Self {
            keys: std::array::from_fn(|_| None),
            states: [S::default(); W],
        }
    }

    #[inline]
    fn find<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.keys
            .iter()
            .position(|k| k.as_ref().is_some_and(|k| k.borrow() == key))
    }

    #[inline]
    fn state_of<Q>(&mut self, key: &Q) -> Option<&mut S>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let index = self.find(key)?;
        self.states.get_mut(index)
    }

    fn free(&self) -> Option<usize> {
        self.keys.iter().position(Option::is_none)
    }

    /// Puts `key` with `state` in slot `index`, replacing what was there.
    fn put(&mut self, index: usize, key: K, state: S) {
        if let (Some(k), Some(s)) = (self.keys.get_mut(index), self.states.get_mut(index)) {
            *k = Some(key);
            *s = state;
        }
    }

    /// Empties slot `index`, returning its key and state if it held one.
    fn take(&mut self, index: usize) -> Option<(K, S)> {
        let key = self.keys.get_mut(index)?.take()?;
        let state = std::mem::take(self.states.get_mut(index)?);
        Some((key, state))
    }

    /// The occupied slot of lowest usage that is not exhausted.
    fn least_used<A: Algorithm<State = S>>(
        &self,
        algorithm: &A,
        now: u64,
    ) -> Option<(Usage, usize)> {
        let mut best: Option<(Usage, usize)> = None;
        for (index, (key, state)) in self.keys.iter().zip(&self.states).enumerate() {
            if key.is_none() {
                continue;
            }
            let usage = algorithm.usage(state, now);
            if usage != Usage::Exhausted && best.is_none_or(|(b, _)| usage < b) {
                best = Some((usage, index));
            }
        }
        best
    }
}

/// One bucket: its lock and its slots, on one cache line when they fit
/// (IPv4 keys with the sliding window or GCRA: a 1-byte lock and three
/// slots of at most 20 bytes make 64), so a check of a tracked key touches
/// the line it would miss on anyway, and two threads contend only when they
/// check keys of the same bucket.
#[repr(align(64))]
struct Bucket<K, S, const W: usize>(BucketLock<Slots<K, S, W>>);

/// How a thread waits for a bucket another thread holds: exponential
/// backoff that starts longer than a check holds a bucket, then yields.
///
/// A bucket is held for one operation on one key (tens of nanoseconds;
/// longer when a new key is tracked or evicts one) and never across I/O or
/// a sleep, so a spinlock fits, and its release is a plain store where
/// `parking_lot`'s is a second locked instruction: over a million keys,
/// where each check waits on a cache miss and the core overlaps as many
/// checks as fit in its reorder window, that store is what lets more of
/// them overlap. Waiting is where a spinlock can go wrong, so:
/// - the first wait is 2^[`FIRST_STEP`](Self::FIRST_STEP) spin-loop hints,
///   meant to outlast a check's hold of the bucket, and each next one
///   doubles: when two threads check the same key (a flood from one
///   source), the thread holding the bucket takes it again at once, and a
///   waiter that looked at the lock after every hint would pull the
///   bucket's line to its core each time, making both threads pay a
///   cross-core transfer per check;
/// - from 2^[`LAST_STEP`](Self::LAST_STEP) hints on, every wait also yields
///   the core, so a holder descheduled by an oversubscribed host gets to
///   run instead of the waiters burning their time slices.
///
/// There is no fairness: under a flood from one source on several threads,
/// one thread may take the bucket many times in a row (the rate decision is
/// the same whichever thread counts).
struct BucketWait {
    step: u8,
}

impl BucketWait {
    /// The first wait: 2^4 spin-loop hints.
    const FIRST_STEP: u8 = 4;
    /// The longest wait: 2^7 hints, then a yield.
    const LAST_STEP: u8 = 7;
}

impl Default for BucketWait {
    fn default() -> Self {
        Self {
            step: Self::FIRST_STEP,
        }
    }
}

impl Relax for BucketWait {
    #[inline]
    fn relax(&mut self) {
        for _ in 0..1u32 << self.step {
            std::hint::spin_loop();
        }
        if self.step < Self::LAST_STEP {
            self.step += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

/// A bucket's raw lock: one byte ([`RawSpinlock`]), waiting as [`BucketWait`].
type BucketRaw = RawSpinlock<BucketWait>;

/// A bucket's lock over its slots.
type BucketLock<T> = lock_api::Mutex<BucketRaw, T>;

impl<K, S, const W: usize> Bucket<K, S, W> {
    /// Locks the bucket: one compare-exchange when it is free, with the
    /// waiting loop out of line so that it adds no code or register
    /// pressure to the inlined check.
    #[inline(always)]
    fn lock(&self) -> SlotsGuard<'_, K, S, W> {
        match self.0.try_lock() {
            Some(guard) => guard,
            None => self.lock_contended(),
        }
    }

    /// Waits for the bucket as [`BucketWait`] says.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) -> SlotsGuard<'_, K, S, W> {
        self.0.lock()
    }
}

/// One shard's buckets: `homes` and a spare.
type ShardBuckets<K, S, const W: usize> = Box<[Bucket<K, S, W>]>;

type SlotsGuard<'a, K, S, const W: usize> = lock_api::MutexGuard<'a, BucketRaw, Slots<K, S, W>>;

/// A key and its state, in a shard's stash.
#[derive(Debug)]
struct Entry<K, S> {
    key: K,
    state: S,
}

/// What a shard shares among its buckets: touched only when a key is not in
/// its home buckets (a new key, a stashed one) or leaves, never by a check of
/// a key in its home buckets.
struct Cold<K, S> {
    /// Keys whose two home buckets were full when they arrived, or that a
    /// checked stashed key displaced from its buckets.
    stash: HashTable<Entry<K, S>>,
    /// Keys tracked in the shard: its buckets and its stash.
    tracked: usize,
    /// This shard's share of `max_keys`.
    cap: usize,
    /// Most keys the stash holds.
    stash_cap: usize,
    /// Eviction hand: the next position (bucket, then stash bucket) to sample.
    hand: usize,
    /// The state shared by untracked newcomers under [`Overflow::Shared`].
    overflow_state: S,
    evictions: u64,
    overflowed: u64,
}

/// A shard's shared state behind its lock, on its own cache lines.
type LockedCold<K, S> = Padded<Mutex<Cold<K, S>>>;

/// Keys a shard's stash holds: every key of a small shard (so a limiter
/// with room for its keys never evicts one), 1/64 of a large one.
fn stash_cap(cap: usize) -> usize {
    if cap <= 128 { cap } else { (cap / 64).max(32) }
}

/// Slots per key: the buckets hold 9/8 of a shard's share, so that a key's
/// two home buckets rarely are both full before the shard is.
fn homes_for(cap: usize, width: usize) -> usize {
    cap.saturating_mul(9).div_ceil(8 * width).max(1)
}

/// The buckets of every shard: `homes` home buckets and a spare each, so
/// that a key's second bucket (`home + 1`) is always in its own shard. A
/// shard's buckets are allocated with its first key, so a limiter (or the
/// IPv6 half of an [`IpLimiter`](super::IpLimiter)) costs little until used.
struct Table<K, S, const W: usize> {
    shards: Box<[OnceLock<ShardBuckets<K, S, W>>]>,
    homes: usize,
}

/// A key lives in its home bucket or the next one; that pair is locked in
/// ascending order and held for the whole operation on the key, so no two
/// operations on one key overlap and a key is never tracked twice. Other
/// buckets are only ever `try_lock`ed (eviction), so no thread waits on a
/// lock out of order: no deadlock.
impl<K: Hash + Eq, S: Copy + Default + Send, const W: usize> Table<K, S, W> {
    fn new(shards: usize, shard_cap: usize) -> Result<Self, Error> {
        let homes = homes_for(shard_cap, W);
        let bytes = shards
            .checked_mul(homes + 1)
            .and_then(|buckets| buckets.checked_mul(size_of::<Bucket<K, S, W>>()));
        if bytes.is_none_or(|b| b > isize::MAX as usize) {
            return Err(Error::InvalidConfig {
                what: "max_keys is too large to allocate",
            });
        }
        Ok(Self {
            shards: (0..shards).map(|_| OnceLock::new()).collect(),
            homes,
        })
    }

    /// A shard's buckets, allocated if this is its first key.
    #[inline]
    fn buckets(&self, shard: usize) -> &[Bucket<K, S, W>] {
        // shard_of returns an index below the shard count.
        self.shards[shard].get_or_init(|| {
            (0..=self.homes)
                .map(|_| Bucket(BucketLock::new(Slots::new())))
                .collect()
        })
    }

    /// Where `key` belongs: its hash, its shard (from the re-mixed hash)
    /// and its home bucket there (the low 32 bits scaled to the count,
    /// multiply-high).
    #[inline]
    fn place<A: Algorithm, C, Q: Hash + ?Sized>(
        &self,
        core: &Core<K, A, C>,
        key: &Q,
    ) -> (u64, usize, usize) {
        let hash = core.hasher.hash_one(key);
        let (shard, home) = self.locate(core, hash);
        (hash, shard, home)
    }

    /// The shard and home bucket of a hash (see [`Table::place`]).
    #[inline]
    fn locate<A: Algorithm, C>(&self, core: &Core<K, A, C>, hash: u64) -> (usize, usize) {
        let shard = shard_of(hash, core.shards.len());
        let home = ((hash & 0xffff_ffff) * self.homes as u64) >> 32;
        (shard, home as usize)
    }

    #[inline(always)]
    fn check_n<A, C, Q>(&self, core: &Core<K, A, C>, key: &Q, cost: u32) -> Decision
    where
        A: Algorithm<State = S>,
        C: Clock,
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let (hash, shard, home) = self.place(core, key);
        let now = core.clock.now();
        let mut first = self.buckets(shard)[home].lock();
        if let Some(state) = first.state_of(key) {
            return core.algorithm.check(state, now, cost);
        }
        self.check_beyond_home(core, first, hash, key, now, cost)
    }

    /// A key not in its home bucket: in the next one, in the stash, or new.
    /// Out of line, and it finds the buckets again from the hash rather than
    /// taking them from the caller, so that the check of a key in its home
    /// bucket keeps few values live across the lock, and so fewer spills to
    /// reload after taking it.
    #[inline(never)]
    fn check_beyond_home<'a, A, C, Q>(
        &'a self,
        core: &Core<K, A, C>,
        first: SlotsGuard<'a, K, S, W>,
        hash: u64,
        key: &Q,
        now: u64,
        cost: u32,
    ) -> Decision
    where
        A: Algorithm<State = S>,
        C: Clock,
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let (shard, home) = self.locate(core, hash);
        let at = Place {
            buckets: self.buckets(shard),
            shard,
            home,
            hash,
        };
        // home + 1 exists: each shard ends with a spare bucket.
        let mut second = at.buckets[at.home + 1].lock();
        if let Some(state) = second.state_of(key) {
            return core.algorithm.check(state, now, cost);
        }
        let mut pair = [first, second];
        // Not in its buckets: in the stash, or new (count it on a fresh
        // state and track it, evicting or overflowing when there is no room).
        // Held after the pair: buckets first, then the shard, everywhere.
        let mut cold = core.shards[at.shard].lock();
        let cold = &mut *cold;
        if let Ok(found) = cold.stash.find_entry(at.hash, |e| e.key.borrow() == key) {
            // A stashed key that is checked goes home, off the shard's lock:
            // to a free slot of its pair, else in place of the pair's
            // least-used key, which takes its place in the stash. So the keys
            // checked most (a flood from one source) live in their buckets
            // whatever order the keys arrived in, instead of paying a hash
            // table lookup on every check under the shard's lock, which new
            // keys take too. Only when every key of the pair is exhausted
            // does it stay (an exhausted key never moves to the stash: it is
            // likely the one being checked most).
            let home = free_slot(&pair).or_else(|| {
                least_used_in_pair(&pair, &core.algorithm, now).map(|(_, side, slot)| (side, slot))
            });
            let Some((side, slot)) = home else {
                return core.algorithm.check(&mut found.into_mut().state, now, cost);
            };
            let (mut entry, _) = found.remove();
            let decision = core.algorithm.check(&mut entry.state, now, cost);
            if let Some((key, state)) = pair[side].take(slot) {
                // The stash lost an entry just now, so it has room for this one.
                insert_bounded(
                    &mut cold.stash,
                    &core.spare,
                    cold.stash_cap,
                    core.hasher.hash_one(&key),
                    Entry { key, state },
                    |e| core.hasher.hash_one(&e.key),
                );
            }
            pair[side].put(slot, entry.key, entry.state);
            return decision;
        }
        let mut state = S::default();
        let decision = core.algorithm.check(&mut state, now, cost);
        if core.algorithm.usage(&state, now) == Usage::Idle {
            // Nothing counted (a refused or zero-cost request): nothing to keep.
            return decision;
        }
        if Self::track(core, at, &mut pair, cold, key.to_owned(), state, now) {
            return decision;
        }
        cold.overflowed += 1;
        match core.overflow {
            Overflow::Allow => decision,
            Overflow::Shared => core.algorithm.check(&mut cold.overflow_state, now, cost),
        }
    }

    /// Tracks a new key, evicting one if the shard is at its share or the
    /// key has no room; false when nothing could be evicted.
    #[allow(clippy::too_many_arguments)]
    fn track<'a, A: Algorithm<State = S>, C: Clock>(
        core: &Core<K, A, C>,
        at: Place<'a, K, S, W>,
        pair: &mut [SlotsGuard<'a, K, S, W>; 2],
        cold: &mut Cold<K, S>,
        key: K,
        state: S,
        now: u64,
    ) -> bool {
        let home_full = free_slot(pair).is_none();
        let stash_full = cold.stash.len() >= cold.stash_cap;
        if home_full && stash_full {
            // No room for it anywhere it may live: replace a key of its pair.
            let Some((_, side, slot)) = least_used_in_pair(pair, &core.algorithm, now) else {
                return false;
            };
            pair[side].put(slot, key, state);
            cold.evictions += 1;
            return true;
        }
        if cold.tracked >= cold.cap && !Self::evict_sampled(core, at, pair, cold, now) {
            return false;
        }
        match free_slot(pair) {
            Some((side, slot)) => pair[side].put(slot, key, state),
            None => insert_bounded(
                &mut cold.stash,
                &core.spare,
                cold.stash_cap,
                at.hash,
                Entry { key, state },
                |e| core.hasher.hash_one(&e.key),
            ),
        }
        cold.tracked += 1;
        true
    }

    /// Evicts the least-used key among the key's pair and a sample of the
    /// shard from a rotating hand (buckets, then the stash), never an
    /// exhausted one; an idle key at once. Buckets other than the pair are
    /// only `try_lock`ed: a busy one is skipped.
    fn evict_sampled<'a, A: Algorithm<State = S>, C: Clock>(
        core: &Core<K, A, C>,
        at: Place<'a, K, S, W>,
        pair: &mut [SlotsGuard<'a, K, S, W>; 2],
        cold: &mut Cold<K, S>,
        now: u64,
    ) -> bool {
        let mut best: Option<(Usage, Victim<'a, K, S, W>)> =
            least_used_in_pair(pair, &core.algorithm, now)
                .map(|(usage, side, slot)| (usage, Victim::Pair(side, slot)));
        let buckets = at.buckets.len();
        let positions = buckets + cold.stash.num_buckets();
        let mut position = cold.hand.checked_rem(positions).unwrap_or(0);
        let mut budget = core.sample.saturating_mul(4);
        let mut seen = 0;
        for _ in 0..positions {
            if budget == 0
                || seen >= core.sample
                || best.as_ref().is_some_and(|(u, _)| *u == Usage::Idle)
            {
                break;
            }
            let current = position;
            position = (position + 1) % positions;
            if current < buckets {
                budget = budget.saturating_sub(W);
                if current == at.home || current == at.home + 1 {
                    continue;
                }
                let Some(slots) = at.buckets.get(current).and_then(|b| b.0.try_lock()) else {
                    continue;
                };
                seen += slots.keys.iter().filter(|k| k.is_some()).count();
                if let Some((usage, slot)) = slots.least_used(&core.algorithm, now)
                    && best.as_ref().is_none_or(|(b, _)| usage < *b)
                {
                    best = Some((usage, Victim::Other(slots, slot)));
                }
            } else {
                budget -= 1;
                let index = current - buckets;
                let Some(entry) = cold.stash.get_bucket(index) else {
                    continue;
                };
                seen += 1;
                let usage = core.algorithm.usage(&entry.state, now);
                if usage != Usage::Exhausted && best.as_ref().is_none_or(|(b, _)| usage < *b) {
                    best = Some((usage, Victim::Stash(index)));
                }
            }
        }
        cold.hand = position;
        match best {
            None => return false,
            Some((_, Victim::Pair(side, slot))) => {
                pair[side].take(slot);
            }
            Some((_, Victim::Other(mut slots, slot))) => {
                slots.take(slot);
            }
            Some((_, Victim::Stash(index))) => {
                if let Ok(entry) = cold.stash.get_bucket_entry(index) {
                    entry.remove();
                }
            }
        }
        cold.evictions += 1;
        cold.tracked -= 1;
        true
    }

    fn peek<A, C, Q>(&self, core: &Core<K, A, C>, key: &Q) -> Decision
    where
        A: Algorithm<State = S>,
        C: Clock,
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (hash, shard, home) = self.place(core, key);
        let now = core.clock.now();
        let Some(buckets) = self.shards[shard].get() else {
            return core.algorithm.peek(&S::default(), now);
        };
        let mut first = buckets[home].lock();
        if let Some(state) = first.state_of(key) {
            return core.algorithm.peek(state, now);
        }
        let mut second = buckets[home + 1].lock();
        if let Some(state) = second.state_of(key) {
            return core.algorithm.peek(state, now);
        }
        let cold = core.shards[shard].lock();
        match cold.stash.find(hash, |e| e.key.borrow() == key) {
            Some(entry) => core.algorithm.peek(&entry.state, now),
            None => core.algorithm.peek(&S::default(), now),
        }
    }

    fn forget<A, C, Q>(&self, core: &Core<K, A, C>, key: &Q) -> bool
    where
        A: Algorithm<State = S>,
        C: Clock,
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (hash, shard, home) = self.place(core, key);
        let Some(buckets) = self.shards[shard].get() else {
            return false;
        };
        let mut pair = [buckets[home].lock(), buckets[home + 1].lock()];
        let mut cold = core.shards[shard].lock();
        let found = pair
            .iter_mut()
            .find_map(|slots| slots.find(key).map(|i| (slots, i)));
        if let Some((slots, index)) = found {
            slots.take(index);
        } else if let Ok(entry) = cold.stash.find_entry(hash, |e| e.key.borrow() == key) {
            entry.remove();
        } else {
            return false;
        }
        cold.tracked -= 1;
        true
    }
}

/// Where a key belongs: its shard's buckets, its shard, its home bucket
/// there and its hash.
struct Place<'a, K, S, const W: usize> {
    buckets: &'a [Bucket<K, S, W>],
    shard: usize,
    home: usize,
    hash: u64,
}

impl<K, S, const W: usize> Clone for Place<'_, K, S, W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, S, const W: usize> Copy for Place<'_, K, S, W> {}

/// The key an eviction picked: in the new key's pair (side, slot), in
/// another bucket (held by `try_lock`), or in the stash (bucket index).
enum Victim<'a, K, S, const W: usize> {
    Pair(usize, usize),
    Other(SlotsGuard<'a, K, S, W>, usize),
    Stash(usize),
}

/// The occupied slot of lowest usage in a pair that is not exhausted:
/// (usage, side, slot).
fn least_used_in_pair<K, A: Algorithm, const W: usize>(
    pair: &[SlotsGuard<'_, K, A::State, W>; 2],
    algorithm: &A,
    now: u64,
) -> Option<(Usage, usize, usize)> {
    pair.iter()
        .enumerate()
        .filter_map(|(side, slots)| {
            slots
                .least_used(algorithm, now)
                .map(|(usage, slot)| (usage, side, slot))
        })
        .min_by_key(|(usage, _, _)| *usage)
}

/// The first free slot of a pair: (side, slot).
fn free_slot<K, S: Copy + Default, const W: usize>(
    pair: &[SlotsGuard<'_, K, S, W>; 2],
) -> Option<(usize, usize)> {
    pair.iter()
        .enumerate()
        .find_map(|(side, slots)| slots.free().map(|i| (side, i)))
}

/// The bucket layout a key and state type get: three slots on one line when
/// they fit (IPv4 keys, the IPv6 prefixes of an `IpLimiter`), else four on
/// two lines (plain `u64` keys: 4 × 28 bytes and a lock make 120) —
/// whichever costs fewer bytes per slot.
enum Layout<K, S> {
    Three(Table<K, S, 3>),
    Four(Table<K, S, 4>),
}

/// Everything but the buckets: what the table's operations read.
struct Core<K, A: Algorithm, C> {
    algorithm: A,
    clock: C,
    hasher: SeedableRandomState,
    shards: Box<[LockedCold<K, A::State>]>,
    /// Where a full stash is rebuilt without allocating ([`insert_bounded`]).
    spare: SpareTable<Entry<K, A::State>>,
    sample: usize,
    overflow: Overflow,
    max_keys: usize,
}

/// A rate limiter with one state per key, for any `Hash + Eq` key; lookups
/// take any borrowed form (`&str` for `String` keys, `&[u8]` for `Vec<u8>`),
/// and only a new key is converted to an owned one.
///
/// # Concurrency
///
/// Keys live in a fixed array of cache-line-aligned buckets, each its own
/// lock (one byte, a spinlock released by a plain store, waiting with
/// exponential backoff and then yielding) beside its slots: three IPv4
/// keys and their states with the lock on one 64-byte line. One hash (foldhash,
/// keyed per limiter from the OS CSPRNG so an attacker cannot aim addresses
/// at one bucket) picks a shard from a re-mix of it and the key's home
/// bucket in that shard from the low bits; the key lives in its home bucket
/// or the next one. A check of a tracked key locks those buckets only and
/// touches nothing shared: two threads contend only when they check keys of
/// the same bucket, and a check of a key in its home bucket touches one line
/// (the one it would miss on anyway). A flood from one source touches one
/// line per check too.
///
/// The shard (at least [`KeyedConfig::shards`] of them) keeps what buckets
/// share — its count of tracked keys against its share of `max_keys`, its
/// stash (keys whose two buckets were full when they arrived), its eviction
/// hand, its overflow state — behind a lock taken only when a key is not in
/// its buckets (a new key, a stashed one) or leaves. A stashed key that is
/// checked goes back to its buckets, swapping places with the least-used key
/// there unless all of them are exhausted, so a key checked often (a flood
/// from one source) is found in its buckets from its second check on.
///
/// # Memory
///
/// A shard allocates its buckets with its first key, all at once: slots for
/// 9/8 of its share of `max_keys` plus a spare bucket; its stash (1/64 of
/// its share, or all of it in shards of at most 128 keys) grows to its
/// final size and no further. Checks never allocate after that. At the
/// bound an IPv4 key costs ≈ 25 bytes with the sliding window or GCRA
/// (three slots per 64-byte bucket, 8/9 of them used, plus the stash), and
/// so does an [`IpLimiter`](super::IpLimiter)'s IPv6 prefix (its key has a
/// niche, so `Option` of it is 8 bytes); a plain `u64` key ≈ 37 (four slots
/// per 128-byte bucket). Larger keys take two or more lines per bucket.
///
/// # Memory bound and eviction: the trade-off
///
/// The limiter never tracks more than [`KeyedConfig::max_keys`] keys: each
/// shard has a fixed share of the bound. A new key goes to a free slot of
/// its two buckets, else to the stash. When the shard holds its share, it
/// first evicts the key of lowest [`Usage`] among the new key's two buckets
/// and a sample of [`KeyedConfig::eviction_sample`] keys from a rotating
/// hand (bucket order is hash order, so this is a random sample; buckets
/// busy in another thread are skipped): an idle key at once (forgetting it
/// loses nothing), otherwise the least-used. When the new key's two buckets
/// and the stash are all full, it replaces the least-used key of its two
/// buckets (after about 1/64 of a share has landed on full pairs; never in a
/// shard of at most 128 keys, whose stash holds them all). **A key whose
/// quota is exhausted is never evicted**: it stays until its window decays,
/// so the only way for an over-limit key to get a fresh state is to wait,
/// exactly as if memory were unbounded. The price: a key partly used can be
/// forgotten under a flood of new keys and regain the part it had used (at
/// most one limit's worth); and when no candidate is evictable the newcomer
/// is not tracked and falls under the [`Overflow`] policy — by default all
/// such newcomers of a shard share one state under the same limit, so a
/// spray of fresh addresses can neither evict offenders nor pass unlimited.
///
/// ```
/// use std::time::Duration;
/// use voipsec::ratelimit::{KeyedConfig, KeyedLimiter, ManualClock, SlidingWindow};
/// let clock = ManualClock::new();
/// // 20 REGISTERs per account per minute, at most 10,000 accounts tracked.
/// let limiter = KeyedLimiter::with_clock(
///     SlidingWindow::new(20, Duration::from_secs(60))?,
///     KeyedConfig::with_max_keys(10_000),
///     clock.clone(),
/// )?;
/// for _ in 0..20 { assert!(limiter.check(&"alice").is_allowed()); }
/// let refused = limiter.check(&"alice");
/// assert!(!refused.is_allowed());
/// // Admitted again once the first minute's 20 weigh less than 20 in the
/// // sliding window: one nanosecond after it ends.
/// assert_eq!(refused.retry_after, Duration::from_secs(60) + Duration::from_nanos(1));
/// assert!(limiter.check(&"bob").is_allowed());
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
pub struct KeyedLimiter<K, A: Algorithm, C: Clock = CoarseClock> {
    core: Core<K, A, C>,
    layout: Layout<K, A::State>,
}

/// Shows the configuration only: never the hash key (it is what keeps shard
/// and bucket placement unpredictable) nor the tracked keys.
impl<K, A: Algorithm + std::fmt::Debug, C: Clock> std::fmt::Debug for KeyedLimiter<K, A, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("algorithm", &self.core.algorithm)
            .field("shards", &self.core.shards.len())
            .field("max_keys", &self.core.max_keys)
            .field("eviction_sample", &self.core.sample)
            .field("overflow", &self.core.overflow)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, A: Algorithm> KeyedLimiter<K, A, CoarseClock> {
    /// A keyed limiter on the default coarse monotonic clock.
    pub fn new(algorithm: A, config: KeyedConfig) -> Result<Self, Error> {
        Self::with_clock(algorithm, config, CoarseClock::new())
    }
}

/// Runs `$body` with `$table` bound to the limiter's table. The width is a
/// constant of the key and state types, so only one arm survives compilation
/// and the check inlines without a dispatch; `$other` answers for the layout
/// `with_clock` never builds.
macro_rules! with_table {
    ($self:ident, $table:ident => $body:expr, $other:expr) => {
        match &$self.layout {
            Layout::Three($table) if Self::THREE => $body,
            Layout::Four($table) if !Self::THREE => $body,
            _ => $other,
        }
    };
}

impl<K: Hash + Eq, A: Algorithm, C: Clock> KeyedLimiter<K, A, C> {
    /// Whether three slots per bucket cost no more bytes per slot than four.
    const THREE: bool =
        size_of::<Bucket<K, A::State, 3>>() * 4 <= size_of::<Bucket<K, A::State, 4>>() * 3;

    /// A keyed limiter reading time from `clock`. Allocates the shards'
    /// shared state now and each shard's buckets with its first key (see the
    /// type's documentation); fails if `max_keys` is too large to allocate.
    pub fn with_clock(algorithm: A, config: KeyedConfig, clock: C) -> Result<Self, Error> {
        let count = min_shard_count(&config)?;
        let largest = shard_cap(config.max_keys, count, 0);
        let layout = if Self::THREE {
            Layout::Three(Table::new(count, largest)?)
        } else {
            Layout::Four(Table::new(count, largest)?)
        };
        let shards = (0..count)
            .map(|i| {
                let cap = shard_cap(config.max_keys, count, i);
                Padded(Mutex::new(Cold {
                    stash: HashTable::new(),
                    tracked: 0,
                    cap,
                    stash_cap: stash_cap(cap),
                    hand: 0,
                    overflow_state: A::State::default(),
                    evictions: 0,
                    overflowed: 0,
                }))
            })
            .collect();
        let core = Core {
            algorithm,
            clock,
            hasher: keyed_hasher(),
            shards,
            spare: SpareTable::for_shard_cap(stash_cap(largest)),
            sample: config.eviction_sample,
            overflow: config.overflow,
            max_keys: config.max_keys,
        };
        Ok(Self { core, layout })
    }

    /// Checks and counts one unit for `key`.
    #[inline]
    pub fn check<Q>(&self, key: &Q) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.check_n(key, 1)
    }

    /// Checks and counts `cost` units for `key` (all or nothing).
    #[inline]
    pub fn check_n<Q>(&self, key: &Q, cost: u32) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        with_table!(self, table => table.check_n(&self.core, key, cost), Decision::allowed(0))
    }

    /// What `check` would answer for `key`, without counting or tracking.
    pub fn peek<Q>(&self, key: &Q) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        with_table!(self, table => table.peek(&self.core, key), Decision::allowed(0))
    }

    /// Forgets `key` (for example after a successful authentication clears
    /// its failure count); returns whether it was tracked.
    pub fn forget<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        with_table!(self, table => table.forget(&self.core, key), false)
    }

    /// Keys tracked now (locks each shard in turn).
    pub fn len(&self) -> usize {
        self.stats().tracked
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The configured bound on tracked keys.
    pub fn max_keys(&self) -> usize {
        self.core.max_keys
    }

    /// Tracked keys, evictions and overflows (locks each shard in turn).
    pub fn stats(&self) -> KeyedStats {
        let mut stats = KeyedStats::default();
        for shard in self.core.shards.iter() {
            let shard = shard.lock();
            stats.tracked += shard.tracked;
            stats.evictions += shard.evictions;
            stats.overflowed += shard.overflowed;
        }
        stats
    }

    /// The algorithm this limiter applies.
    pub fn algorithm(&self) -> &A {
        &self.core.algorithm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_index_is_in_range() {
        for shards in [1usize, 2, 63, 64, 127, 1 << 16] {
            for hash in [
                0u64,
                u64::MAX,
                1 << 24,
                (1 << 56) - 1,
                0xdead_beef_cafe_f00d,
            ] {
                assert!(shard_of(hash, shards) < shards);
            }
        }
    }

    /// Structured keys (every fourth address of one /16, as a flood from a
    /// scanner range) spread over the shards under any seed: each of 64
    /// shards gets a fair share of 5,000 keys (78 on average).
    #[test]
    fn structured_keys_spread_over_every_shard() {
        for _ in 0..300 {
            let hasher = keyed_hasher();
            let mut counts = [0usize; 64];
            for n in (3u32..20_000).step_by(4) {
                let key = 0xc633_0000 | n;
                counts[shard_of(hasher.hash_one(key), 64)] += 1;
            }
            let fewest = counts.iter().min().copied().unwrap_or(0);
            assert!(fewest >= 30, "a shard got {fewest} of 5,000 keys");
        }
    }

    /// The lock and three IPv4 slots share one cache line (sliding window:
    /// 12-byte state, GCRA: 8); IPv6 /64 keys get four slots on two lines.
    #[test]
    fn bucket_layout_fits_cache_lines() {
        use crate::ratelimit::{Gcra, GcraState, SlidingWindow, WindowState};
        use std::mem::{align_of, size_of};
        assert_eq!(size_of::<Bucket<u32, WindowState, 3>>(), 64);
        assert_eq!(align_of::<Bucket<u32, WindowState, 3>>(), 64);
        assert_eq!(size_of::<Bucket<u32, GcraState, 3>>(), 64);
        assert_eq!(size_of::<Bucket<u64, WindowState, 4>>(), 128);
        let config = KeyedConfig::with_max_keys(1_000);
        let window = SlidingWindow::new(5, std::time::Duration::from_secs(1)).unwrap();
        let v4 = KeyedLimiter::<u32, _>::new(window, config).unwrap();
        assert!(matches!(v4.layout, Layout::Three(_)));
        let v6 = KeyedLimiter::<u64, _>::new(window, config).unwrap();
        assert!(matches!(v6.layout, Layout::Four(_)));
        let gcra = Gcra::new(5, std::time::Duration::from_secs(1), 2).unwrap();
        let paced = KeyedLimiter::<u32, _>::new(gcra, config).unwrap();
        assert!(matches!(paced.layout, Layout::Three(_)));
    }

    #[test]
    fn shard_layout_fills_tables_and_respects_the_minimum() {
        for max_keys in [1usize, 7, 100, 1_000, 100_000, 123_457, 1 << 20, 10_000_000] {
            let config = KeyedConfig::with_max_keys(max_keys);
            let shards = shard_count(&config).unwrap();
            assert!(
                shards >= config.shards.min(max_keys),
                "{max_keys}: {shards}"
            );
            assert!(shards <= (1 << 16).min(max_keys));
            let share = max_keys.div_ceil(shards);
            let target = share + share / 8 + 1;
            let buckets = HashTable::<u64>::with_capacity(target).num_buckets();
            if target >= 64 {
                // Tables at least 70 % full once every shard holds its share.
                let fill = max_keys as f64 / (shards * buckets) as f64;
                assert!(
                    fill >= 0.70,
                    "{max_keys}: {shards} × {buckets} is {fill:.2} full"
                );
            }
        }
    }

    /// Each wait doubles from 2^FIRST_STEP hints up to 2^LAST_STEP, then
    /// stays there (and yields).
    #[test]
    fn bucket_wait_doubles_then_stays() {
        let mut wait = BucketWait::default();
        let mut steps = vec![wait.step];
        for _ in 0..6 {
            wait.relax();
            steps.push(wait.step);
        }
        assert_eq!(steps, [4, 5, 6, 7, 7, 7, 7]);
    }

    /// A thread waiting on a bucket held far longer than a check (into the
    /// yielding waits) takes it once it is released, and sees what the
    /// holder wrote.
    #[test]
    fn a_long_held_bucket_is_taken_after_release() {
        use std::sync::Barrier;
        use std::time::{Duration, Instant};
        let bucket = Bucket(BucketLock::new(Slots::<u32, u32, 3>::new()));
        let held = Barrier::new(2);
        let delay = std::thread::scope(|s| {
            let holder = s.spawn(|| {
                let mut slots = bucket.0.lock();
                held.wait();
                std::thread::sleep(Duration::from_millis(20));
                slots.put(0, 7, 70);
                let released_at = Instant::now();
                drop(slots);
                released_at
            });
            held.wait();
            let slots = bucket.0.lock();
            let taken_at = Instant::now();
            assert_eq!(slots.keys[0], Some(7));
            assert_eq!(slots.states[0], 70);
            let released_at = holder.join().unwrap();
            assert!(taken_at >= released_at);
            taken_at - released_at
        });
        // Waits are capped at 2^7 hints plus a yield: well under a second
        // even on a loaded host.
        assert!(delay < Duration::from_secs(1), "{delay:?}");
    }

    use crate::ratelimit::{ManualClock, SlidingWindow};

    impl<A: Algorithm, C: Clock> KeyedLimiter<u32, A, C> {
        fn is_stashed(&self, key: u32) -> bool {
            let (hash, shard, _) =
                with_table!(self, table => table.place(&self.core, &key), (0, 0, 0));
            let cold = self.core.shards[shard].lock();
            cold.stash.find(hash, |e| e.key == key).is_some()
        }
    }

    /// A one-shard limiter of 128 keys (its stash holds them all, so nothing
    /// is evicted) with keys 0, 1, ... tracked until one lands in the stash;
    /// a fresh hash key per attempt until that happens within the 128.
    fn limiter_with_a_stashed_key(
        limit: u32,
    ) -> (KeyedLimiter<u32, SlidingWindow, ManualClock>, Vec<u32>, u32) {
        use std::time::Duration;
        let config = KeyedConfig {
            max_keys: 128,
            shards: 1,
            ..KeyedConfig::default()
        };
        for _ in 0..1_000 {
            let window = SlidingWindow::new(limit, Duration::from_secs(60)).unwrap();
            let limiter = KeyedLimiter::with_clock(window, config, ManualClock::new()).unwrap();
            for key in 0..128u32 {
                assert!(limiter.check(&key).is_allowed());
                if limiter.is_stashed(key) {
                    return (limiter, (0..=key).collect(), key);
                }
            }
        }
        panic!("no key was stashed in 1,000 limiters of 128 keys");
    }

    /// A stashed key that is checked moves to its buckets, and the pair's
    /// least-used key takes its place in the stash: no key lost or doubled,
    /// every count kept.
    #[test]
    fn a_checked_stashed_key_moves_home() {
        let (limiter, keys, stashed) = limiter_with_a_stashed_key(100);
        let in_stash = |l: &KeyedLimiter<u32, SlidingWindow, ManualClock>| {
            keys.iter().filter(|k| l.is_stashed(**k)).count()
        };
        let before = in_stash(&limiter);
        assert_eq!(limiter.check(&stashed).remaining, 98);
        assert!(!limiter.is_stashed(stashed));
        assert_eq!(in_stash(&limiter), before, "the displaced key is stashed");
        assert_eq!(limiter.len(), keys.len());
        for key in &keys {
            let counted = if *key == stashed { 2 } else { 1 };
            assert_eq!(limiter.peek(key).remaining, 100 - counted - 1, "key {key}");
        }
        assert_eq!(limiter.stats().evictions, 0);
    }

    /// When every key of its pair is exhausted, a stashed key stays: an
    /// exhausted key is never moved out to the stash.
    #[test]
    fn a_stashed_key_stays_when_its_pair_is_exhausted() {
        let (limiter, keys, stashed) = limiter_with_a_stashed_key(2);
        for key in keys.iter().filter(|k| **k != stashed) {
            assert!(limiter.check(key).is_allowed());
            assert!(!limiter.check(key).is_allowed());
        }
        assert!(limiter.check(&stashed).is_allowed());
        assert!(limiter.is_stashed(stashed));
        assert!(!limiter.check(&stashed).is_allowed());
        assert_eq!(limiter.len(), keys.len());
    }
}
