//! The keyed limiter: one algorithm state per key, sharded, capped, evicting;
//! its contract is documented on [`KeyedLimiter`].

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, OnceLock, PoisonError};

use foldhash::SharedSeed;
use foldhash::fast::SeedableRandomState;
use hashbrown::HashTable;

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
    /// Minimum number of shards (at most 65,536 and at most `max_keys`);
    /// the limiter may use more so that each shard's table is well filled.
    /// Default 64.
    pub shards: usize,
    /// Occupied buckets examined per eviction (≥ 1). Default 8.
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

#[derive(Debug)]
struct Entry<K, S> {
    key: K,
    state: S,
}

/// `repr(C)` keeps `front` and `last_hash` first: right after the lock word,
/// on the lock's cache line.
#[derive(Debug)]
#[repr(C)]
struct Shard<K, S> {
    /// The shard's hot key, out of the table and on the lock's cache line:
    /// a key checked twice in a row through the table moves here (and the
    /// key it displaces back into the table), so a flood from one source
    /// touches one cache line per check instead of three (lock word, control
    /// bytes, entry) — and two threads hammering it bounce one line, not two.
    front: Option<Entry<K, S>>,
    /// Hash of the key checked last in this shard (promotion trigger).
    last_hash: u64,
    table: HashTable<Entry<K, S>>,
    /// This shard's share of `max_keys`.
    cap: usize,
    /// Eviction hand: the next bucket index to sample.
    hand: usize,
    /// The state shared by untracked newcomers under [`Overflow::Shared`].
    overflow_state: S,
    evictions: u64,
    overflowed: u64,
}

impl<K, S> Shard<K, S> {
    /// Keys tracked: the table's and the front one.
    fn tracked(&self) -> usize {
        self.table.len() + usize::from(self.front.is_some())
    }
}

/// One shard behind its own lock, on its own cache lines.
type LockedShard<K, S> = Padded<Mutex<Shard<K, S>>>;

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
        let mut rebuilt = spare.0.lock().unwrap_or_else(PoisonError::into_inner);
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
    if config.max_keys == 0 || config.shards == 0 || config.eviction_sample == 0 {
        return Err(Error::InvalidConfig {
            what: "max_keys, shards and eviction_sample must be at least 1",
        });
    }
    const MAX_SHARDS: usize = 1 << 16;
    let max_keys = config.max_keys;
    let min_shards = config.shards.min(MAX_SHARDS).min(max_keys);
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

/// A rate limiter with one state per key, for any `Hash + Eq` key; lookups
/// take any borrowed form (`&str` for `String` keys, `&[u8]` for `Vec<u8>`),
/// and only a new key is converted to an owned one.
///
/// # Concurrency
///
/// Keys are spread over shards (at least [`KeyedConfig::shards`]), each a
/// `Mutex` around a `hashbrown` table padded to its own cache lines, so
/// threads contend only when they touch the same shard. One hash (foldhash,
/// keyed per limiter from the OS CSPRNG so an attacker cannot aim addresses
/// at one shard or one probe chain) picks the shard from a re-mix of it and the
/// bucket from the low bits.
///
/// Each shard also keeps one hot key beside its lock word, out of the table:
/// a key checked twice in a row through the table moves there (the key it
/// displaces goes back to the table). A flood from one source then touches
/// one cache line per check — the one the lock already brought in — and two
/// threads hammering it bounce that line only, instead of the lock's line
/// and the entry's. Keys that alternate stay in the table.
///
/// # Memory
///
/// Each shard's table is sized once for its share of `max_keys` plus 1/8
/// slack (so that clearing eviction tombstones costs O(1) amortised), and the
/// shard count is chosen so those tables are about 7/9 full: a tracked key
/// costs its entry plus one control byte over 7/9, i.e. ≈ 22 bytes for an
/// IPv4 key with the sliding window or GCRA (16-byte entry), ≈ 32 bytes for
/// an IPv6 /64 prefix (24-byte entry).
///
/// # Memory bound and eviction: the trade-off
///
/// The limiter never tracks more than [`KeyedConfig::max_keys`] keys: each
/// shard has a fixed share of the bound and its table never grows past the
/// size that share needs. When a new key arrives at a full shard, the shard
/// samples [`KeyedConfig::eviction_sample`] occupied buckets from a rotating
/// hand (bucket order is hash order, so this is a random sample) and evicts
/// the one with the lowest [`Usage`]: an idle key at once (forgetting it
/// loses nothing), otherwise the least-used. **A key whose quota is exhausted
/// is never evicted**: it stays until its window decays, so the only way for
/// an over-limit key to get a fresh state is to wait, exactly as if memory
/// were unbounded. The price: a key partly used can be forgotten under a
/// flood of new keys and regain the part it had used (at most one limit's
/// worth, and only after the flood has pushed the hand past it); and when
/// every sampled key is exhausted the newcomer is not tracked and falls under
/// the [`Overflow`] policy — by default all such newcomers of a shard share
/// one state under the same limit, so a spray of fresh addresses can neither
/// evict offenders nor pass unlimited.
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
    algorithm: A,
    clock: C,
    hasher: SeedableRandomState,
    shards: Box<[LockedShard<K, A::State>]>,
    /// Where a full shard is rebuilt without allocating ([`insert_bounded`]).
    spare: SpareTable<Entry<K, A::State>>,
    sample: usize,
    overflow: Overflow,
    max_keys: usize,
}

/// Shows the configuration only: never the hash key (it is what keeps shard
/// and bucket placement unpredictable) nor the tracked keys.
impl<K, A: Algorithm + std::fmt::Debug, C: Clock> std::fmt::Debug for KeyedLimiter<K, A, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("algorithm", &self.algorithm)
            .field("shards", &self.shards.len())
            .field("max_keys", &self.max_keys)
            .field("eviction_sample", &self.sample)
            .field("overflow", &self.overflow)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, A: Algorithm> KeyedLimiter<K, A, CoarseClock> {
    /// A keyed limiter on the default coarse monotonic clock.
    pub fn new(algorithm: A, config: KeyedConfig) -> Result<Self, Error> {
        Self::with_clock(algorithm, config, CoarseClock::new())
    }
}

impl<K: Hash + Eq, A: Algorithm, C: Clock> KeyedLimiter<K, A, C> {
    /// A keyed limiter reading time from `clock`.
    pub fn with_clock(algorithm: A, config: KeyedConfig, clock: C) -> Result<Self, Error> {
        let count = shard_count(&config)?;
        let shards = (0..count)
            .map(|i| {
                Padded(Mutex::new(Shard {
                    front: None,
                    last_hash: 0,
                    table: HashTable::new(),
                    cap: shard_cap(config.max_keys, count, i),
                    hand: 0,
                    overflow_state: A::State::default(),
                    evictions: 0,
                    overflowed: 0,
                }))
            })
            .collect();
        Ok(Self {
            algorithm,
            clock,
            hasher: keyed_hasher(),
            shards,
            spare: SpareTable::for_shard_cap(shard_cap(config.max_keys, count, 0)),
            sample: config.eviction_sample,
            overflow: config.overflow,
            max_keys: config.max_keys,
        })
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
    pub fn check_n<Q>(&self, key: &Q, cost: u32) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let now = self.clock.now();
        let mut guard = self.lock(hash);
        let shard = &mut *guard;
        let previous = std::mem::replace(&mut shard.last_hash, hash);
        if let Some(front) = &mut shard.front
            && front.key.borrow() == key
        {
            return self.algorithm.check(&mut front.state, now, cost);
        }
        if let Some(entry) = shard.table.find_mut(hash, |e| e.key.borrow() == key) {
            if previous != hash {
                return self.algorithm.check(&mut entry.state, now, cost);
            }
            return self.promote(shard, hash, key, now, cost);
        }
        self.check_new(shard, hash, key, now, cost)
    }

    /// Checks a key seen twice in a row through the table and moves it to
    /// the shard's front slot, the key there back into the table. Out of
    /// line: it runs when a key turns hot, not per check.
    #[inline(never)]
    fn promote<Q>(
        &self,
        shard: &mut Shard<K, A::State>,
        hash: u64,
        key: &Q,
        now: u64,
        cost: u32,
    ) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Ok(found) = shard.table.find_entry(hash, |e| e.key.borrow() == key) else {
            // The caller found it under the same lock; answer as a fresh key
            // would rather than panic.
            return self.algorithm.peek(&A::State::default(), now);
        };
        let (mut entry, _) = found.remove();
        let decision = self.algorithm.check(&mut entry.state, now, cost);
        if let Some(demoted) = shard.front.replace(entry) {
            // One entry just left the table, so it has room for this one.
            let cap = shard.cap;
            let demoted_hash = self.hasher.hash_one(&demoted.key);
            insert_bounded(
                &mut shard.table,
                &self.spare,
                cap,
                demoted_hash,
                demoted,
                |e| self.hasher.hash_one(&e.key),
            );
        }
        decision
    }

    /// The first check of a key not tracked: count it on a fresh state and
    /// track it, evicting or overflowing when the shard is full. Out of line
    /// so the tracked-key path stays small.
    #[inline(never)]
    fn check_new<Q>(
        &self,
        shard: &mut Shard<K, A::State>,
        hash: u64,
        key: &Q,
        now: u64,
        cost: u32,
    ) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut state = A::State::default();
        let decision = self.algorithm.check(&mut state, now, cost);
        if self.algorithm.usage(&state, now) == Usage::Idle {
            // Nothing counted (a refused or zero-cost request): nothing to keep.
            return decision;
        }
        if shard.tracked() >= shard.cap && !self.evict_one(shard, now) {
            shard.overflowed += 1;
            return match self.overflow {
                Overflow::Allow => decision,
                Overflow::Shared => self.algorithm.check(&mut shard.overflow_state, now, cost),
            };
        }
        let cap = shard.cap;
        let entry = Entry {
            key: key.to_owned(),
            state,
        };
        insert_bounded(&mut shard.table, &self.spare, cap, hash, entry, |e| {
            self.hasher.hash_one(&e.key)
        });
        decision
    }

    /// What `check` would answer for `key`, without counting or tracking.
    pub fn peek<Q>(&self, key: &Q) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let now = self.clock.now();
        let shard = self.lock(hash);
        if let Some(front) = &shard.front
            && front.key.borrow() == key
        {
            return self.algorithm.peek(&front.state, now);
        }
        match shard.table.find(hash, |e| e.key.borrow() == key) {
            Some(entry) => self.algorithm.peek(&entry.state, now),
            None => self.algorithm.peek(&A::State::default(), now),
        }
    }

    /// Forgets `key` (for example after a successful authentication clears
    /// its failure count); returns whether it was tracked.
    pub fn forget<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let mut shard = self.lock(hash);
        if shard.front.as_ref().is_some_and(|f| f.key.borrow() == key) {
            shard.front = None;
            return true;
        }
        match shard.table.find_entry(hash, |e| e.key.borrow() == key) {
            Ok(entry) => {
                entry.remove();
                true
            }
            Err(_) => false,
        }
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
        self.max_keys
    }

    /// Tracked keys, evictions and overflows (locks each shard in turn).
    pub fn stats(&self) -> KeyedStats {
        let mut stats = KeyedStats::default();
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            stats.tracked += shard.tracked();
            stats.evictions += shard.evictions;
            stats.overflowed += shard.overflowed;
        }
        stats
    }

    /// The algorithm this limiter applies.
    pub fn algorithm(&self) -> &A {
        &self.algorithm
    }

    #[inline]
    fn lock(&self, hash: u64) -> std::sync::MutexGuard<'_, Shard<K, A::State>> {
        // shard_of returns an index below the shard count.
        let shard = &self.shards[shard_of(hash, self.shards.len())];
        // A panic while holding a shard lock leaves at worst one key's
        // counters half-updated; keep serving rather than poison every check.
        shard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Evicts the least-used key among a sample, never an exhausted one;
    /// returns whether a slot was freed.
    fn evict_one(&self, shard: &mut Shard<K, A::State>, now: u64) -> bool {
        // The front key is a candidate like the sampled ones (it is hot, so
        // rarely the least used, but an idle one must not pin its slot).
        let front = shard
            .front
            .as_ref()
            .map(|f| self.algorithm.usage(&f.state, now))
            .filter(|u| *u != Usage::Exhausted);
        if front == Some(Usage::Idle) {
            shard.front = None;
            shard.evictions += 1;
            return true;
        }
        let buckets = shard.table.num_buckets();
        let mut best: Option<(usize, Usage)> = None;
        let mut seen = 0;
        let mut index = shard.hand.checked_rem(buckets).unwrap_or(0);
        for _ in 0..(self.sample * 4).min(buckets) {
            let current = index;
            index = (index + 1) % buckets;
            let Some(entry) = shard.table.get_bucket(current) else {
                continue;
            };
            let usage = self.algorithm.usage(&entry.state, now);
            if usage == Usage::Idle {
                best = Some((current, usage));
                break;
            }
            if usage != Usage::Exhausted && best.is_none_or(|(_, b)| usage < b) {
                best = Some((current, usage));
            }
            seen += 1;
            if seen >= self.sample {
                break;
            }
        }
        shard.hand = index;
        if let Some(usage) = front
            && best.is_none_or(|(_, b)| usage < b)
        {
            shard.front = None;
            shard.evictions += 1;
            return true;
        }
        match best.map(|(i, _)| shard.table.get_bucket_entry(i)) {
            Some(Ok(entry)) => {
                entry.remove();
                shard.evictions += 1;
                true
            }
            _ => false,
        }
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
}
