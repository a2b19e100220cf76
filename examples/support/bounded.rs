//! A map that forgets its oldest entries beyond a capacity: the bounded
//! memory of the example servers' caches (transactions, dialogs, failure
//! counters), so that a flood of new keys cannot grow them.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Insertion-ordered, capped: inserting a new key beyond `capacity` drops
/// the oldest key first.
pub struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

#[allow(dead_code)] // each example uses the part it needs
impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    pub fn new(capacity: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// The value of `key`, inserting `default` first when absent.
    pub fn entry_or(&mut self, key: K, default: V) -> &mut V {
        self.track(&key);
        self.map.entry(key).or_insert(default)
    }

    pub fn insert(&mut self, key: K, value: V) {
        self.track(&key);
        self.map.insert(key, value);
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key)
    }

    pub fn contains<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        // The order queue keeps the key until it reaches the front; the map
        // is what counts.
        self.map.remove(key)
    }

    /// Entries held (map and order queue, whichever is longer) and the
    /// capacity.
    pub fn usage(&self) -> (usize, usize) {
        (self.map.len().max(self.order.len()), self.capacity)
    }

    /// Queues a key about to be added, dropping the oldest beyond capacity.
    fn track(&mut self, key: &K) {
        if self.map.contains_key(key) {
            return;
        }
        while self.order.len() >= self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        self.order.push_back(key.clone());
    }
}
