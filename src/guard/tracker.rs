//! Bounded per-key state for the detectors, and the small fixed-size set of
//! hashed values they count distinct items with.
//!
//! Why bounded: an attacker controls how many sources (spoofed UDP) and
//! accounts/users we see. Each detector therefore tracks at most `capacity`
//! keys; when full, the key inserted longest ago is evicted (FIFO, O(1)).
//! All storage is reserved at construction, so steady-state updates do not
//! allocate: the slot vector never grows past its capacity, and the index map
//! is reserved at twice the capacity so that its tombstone clean-up rehashes
//! in place instead of growing.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::SeedableRandomState;

use crate::ratelimit::keyed_hasher;
use std::net::IpAddr;

/// Per-key state with a hard cap on the number of keys.
#[derive(Debug)]
pub(crate) struct BoundedTracker<K, V> {
    /// foldhash keyed from the OS CSPRNG (as the rate limiters'): SipHash
    /// was a tenth of the guard's per-message policy cost, and a secret key
    /// still keeps attackers from aiming sources at one probe chain.
    index: HashMap<K, u32, SeedableRandomState>,
    slots: Vec<(K, V)>,
    next_victim: usize,
    capacity: usize,
}

impl<K: Copy + Eq + Hash, V> BoundedTracker<K, V> {
    /// A tracker for at most `capacity` keys (at least 1, at most `u32::MAX`).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, u32::MAX as usize);
        BoundedTracker {
            index: HashMap::with_capacity_and_hasher(capacity.saturating_mul(2), keyed_hasher()),
            slots: Vec::with_capacity(capacity),
            next_victim: 0,
            capacity,
        }
    }

    /// The state of `key`, created by `make` if absent (evicting the oldest
    /// key when full). Returns whether the state is fresh.
    pub(crate) fn entry(&mut self, key: K, make: impl FnOnce() -> V) -> (&mut V, bool) {
        if let Some(&slot) = self.index.get(&key) {
            let slot = slot as usize;
            if slot < self.slots.len() {
                return (&mut self.slots[slot].1, false);
            }
        }
        let slot = if self.slots.len() < self.capacity {
            self.slots.push((key, make()));
            self.slots.len() - 1
        } else {
            // Slots are filled in order and recycled in the same cyclic order,
            // so `next_victim` always holds the key inserted longest ago.
            let victim = self.next_victim % self.slots.len().max(1);
            self.next_victim = (victim + 1) % self.capacity;
            match self.slots.get_mut(victim) {
                Some(entry) => {
                    self.index.remove(&entry.0);
                    *entry = (key, make());
                    victim
                }
                // Unreachable: victim < slots.len() == capacity ≥ 1.
                None => {
                    self.slots.push((key, make()));
                    self.slots.len() - 1
                }
            }
        };
        self.finish_insert(key, slot)
    }

    fn finish_insert(&mut self, key: K, slot: usize) -> (&mut V, bool) {
        // slot < capacity ≤ u32::MAX.
        self.index.insert(key, slot as u32);
        let value = &mut self.slots[slot].1;
        (value, true)
    }

    /// The state of `key`, if tracked.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let slot = *self.index.get(key)? as usize;
        self.slots.get(slot).map(|(_, v)| v)
    }

    /// How many keys are tracked.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// A keyed hash for fingerprints of attacker-chosen strings: the random
/// key (from the OS CSPRNG) means an attacker cannot pick users or numbers
/// that collide.
#[derive(Debug, Clone)]
pub(crate) struct Fingerprinter(SeedableRandomState);

impl Fingerprinter {
    pub(crate) fn new() -> Self {
        Fingerprinter(keyed_hasher())
    }

    pub(crate) fn of<T: Hash + ?Sized>(&self, value: &T) -> u64 {
        self.0.hash_one(value)
    }
}

/// The most distinct values a [`DistinctSet`] remembers; thresholds on
/// distinct counts are bounded by it.
pub(crate) const DISTINCT_CAPACITY: usize = 64;

/// A fixed-size set of 32-bit fingerprints, used to count distinct users or
/// destinations. Once full it keeps answering "new" for unseen values only
/// until its owner's threshold (≤ capacity) has fired.
#[derive(Debug, Clone)]
pub(crate) struct DistinctSet {
    items: [u32; DISTINCT_CAPACITY],
    len: u8,
}

impl DistinctSet {
    pub(crate) const fn new() -> Self {
        DistinctSet {
            items: [0; DISTINCT_CAPACITY],
            len: 0,
        }
    }

    /// Inserts `fingerprint`; returns the number of distinct values held.
    pub(crate) fn insert(&mut self, fingerprint: u64) -> usize {
        // The low 32 bits of a keyed 64-bit hash: collisions among 64 items
        // have probability < 2^-20 and cannot be steered by an attacker.
        let item = fingerprint as u32;
        let len = usize::from(self.len);
        let held = self.items.get(..len).unwrap_or(&[]);
        if !held.contains(&item)
            && let Some(slot) = self.items.get_mut(len)
        {
            *slot = item;
            self.len += 1;
        }
        usize::from(self.len)
    }

    /// Whether `fingerprint` is held.
    pub(crate) fn contains(&self, fingerprint: u64) -> bool {
        let held = self.items.get(..usize::from(self.len)).unwrap_or(&[]);
        held.contains(&(fingerprint as u32))
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }
}

/// The key a source is counted under: IPv4 (and IPv4-mapped) addresses as
/// they are, IPv6 addresses truncated to `v6_prefix_len` bits.
pub(crate) fn source_key(source: IpAddr, v6_prefix_len: u8) -> IpAddr {
    match super::acl::canonical(source) {
        IpAddr::V6(v6) => {
            let len = u32::from(v6_prefix_len.min(128));
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            IpAddr::V6((u128::from(v6) & mask).into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_never_exceeds_capacity_and_evicts_oldest() {
        let mut t: BoundedTracker<u32, u32> = BoundedTracker::new(3);
        for k in 0..3 {
            let (_, fresh) = t.entry(k, || k * 10);
            assert!(fresh);
        }
        // Touching an existing key does not refresh its age (FIFO).
        let (v, fresh) = t.entry(0, || 99);
        assert!(!fresh);
        assert_eq!(*v, 0);
        t.entry(3, || 30);
        assert_eq!(t.len(), 3);
        assert!(t.get(&0).is_none(), "oldest evicted");
        assert_eq!(t.get(&1), Some(&10));
        t.entry(4, || 40);
        assert!(t.get(&1).is_none());
        for k in 100..10_000 {
            t.entry(k, || k);
            assert!(t.len() <= 3);
        }
        assert_eq!(t.get(&9_999), Some(&9_999));
        assert_eq!(t.get(&9_998), Some(&9_998));
        assert_eq!(t.get(&9_997), Some(&9_997));
        assert!(t.get(&9_996).is_none());
    }

    #[test]
    fn tracker_capacity_one_and_zero() {
        for cap in [0, 1] {
            let mut t: BoundedTracker<u8, u8> = BoundedTracker::new(cap);
            t.entry(1, || 1);
            t.entry(2, || 2);
            assert_eq!(t.len(), 1);
            assert_eq!(t.get(&2), Some(&2));
            assert!(t.get(&1).is_none());
        }
    }

    #[test]
    fn distinct_set_counts_and_saturates() {
        let f = Fingerprinter::new();
        let mut s = DistinctSet::new();
        assert_eq!(s.insert(f.of("100")), 1);
        assert_eq!(s.insert(f.of("100")), 1);
        assert_eq!(s.insert(f.of("101")), 2);
        for n in 0..500 {
            s.insert(f.of(&n));
        }
        assert_eq!(s.len(), DISTINCT_CAPACITY);
        s.clear();
        assert_eq!(s.len(), 0);
    }
}
