//! Concurrency limits: how many sessions a key holds open at once ("at most
//! 10 concurrent calls per account"), with RAII permits.

use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Mutex, PoisonError};

use foldhash::fast::SeedableRandomState;
use hashbrown::HashTable;

use super::error::Error;
use super::keyed::{
    KeyedConfig, Padded, SpareTable, insert_bounded, keyed_hasher, shard_cap, shard_count, shard_of,
};

/// Why a permit was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AcquireError {
    /// The key already holds `limit` permits.
    #[error("key already holds its limit of {limit} concurrent sessions")]
    AtLimit {
        /// The per-key limit that applied.
        limit: u32,
    },
    /// The table of keys holding permits is full (`max_keys`).
    #[error("too many keys hold concurrent sessions")]
    TooManyKeys,
}

struct Shard<K> {
    /// Keys with at least one open permit, and how many.
    table: HashTable<(K, u32)>,
    cap: usize,
}

struct Inner<K> {
    hasher: SeedableRandomState,
    shards: Box<[Padded<Mutex<Shard<K>>>]>,
    /// Where a full shard is rebuilt without allocating (`insert_bounded`).
    spare: SpareTable<(K, u32)>,
    max_per_key: u32,
}

impl<K: Hash + Eq> Inner<K> {
    fn lock(&self, hash: u64) -> std::sync::MutexGuard<'_, Shard<K>> {
        // shard_of returns an index below the shard count.
        let shard = &self.shards[shard_of(hash, self.shards.len())];
        shard.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts open sessions per key; a [`Permit`] holds one and gives it back
/// when dropped. Memory: only keys with an open permit are tracked, at most
/// `max_keys` of them. Cloning shares the same counts.
///
/// ```
/// use voipsec::ratelimit::{AcquireError, ConcurrencyLimiter, KeyedConfig};
/// let calls = ConcurrencyLimiter::new(2, KeyedConfig::default())?;
/// let first = calls.try_acquire(&"alice").unwrap();
/// let second = calls.try_acquire(&"alice").unwrap();
/// assert_eq!(calls.try_acquire(&"alice").unwrap_err(), AcquireError::AtLimit { limit: 2 });
/// drop(first); // the call ended
/// assert_eq!(calls.in_use(&"alice"), 1);
/// assert!(calls.try_acquire(&"alice").is_ok());
/// # drop(second);
/// # Ok::<(), voipsec::ratelimit::Error>(())
/// ```
pub struct ConcurrencyLimiter<K: Hash + Eq> {
    inner: Arc<Inner<K>>,
}

/// Shows the configuration only: never the hash key nor the tracked keys.
impl<K: Hash + Eq> std::fmt::Debug for ConcurrencyLimiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConcurrencyLimiter")
            .field("max_per_key", &self.inner.max_per_key)
            .field("shards", &self.inner.shards.len())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq> Clone for ConcurrencyLimiter<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K: Hash + Eq + Clone> ConcurrencyLimiter<K> {
    /// At most `max_per_key ≥ 1` open permits per key, and at most
    /// `config.max_keys` keys holding permits (`config.overflow` and
    /// `eviction_sample` do not apply: open sessions are never evicted).
    /// Each shard holds an equal share of `max_keys`, so with many shards and
    /// few keys a new key can be refused ([`AcquireError::TooManyKeys`])
    /// before the total is reached; size `max_keys` with headroom.
    pub fn new(max_per_key: u32, config: KeyedConfig) -> Result<Self, Error> {
        if max_per_key == 0 {
            return Err(Error::InvalidConfig {
                what: "concurrency limit per key must be at least 1",
            });
        }
        let count = shard_count(&config)?;
        let shards = (0..count)
            .map(|i| {
                Padded(Mutex::new(Shard {
                    table: HashTable::new(),
                    cap: shard_cap(config.max_keys, count, i),
                }))
            })
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                hasher: keyed_hasher(),
                shards,
                spare: SpareTable::for_shard_cap(shard_cap(config.max_keys, count, 0)),
                max_per_key,
            }),
        })
    }

    /// Takes one permit for `key` under the configured per-key limit.
    pub fn try_acquire(&self, key: &K) -> Result<Permit<K>, AcquireError> {
        self.try_acquire_with_limit(key, self.inner.max_per_key)
    }

    /// Takes one permit for `key` under `limit` (for per-account limits that
    /// differ from the default).
    pub fn try_acquire_with_limit(&self, key: &K, limit: u32) -> Result<Permit<K>, AcquireError> {
        let inner = &self.inner;
        let hash = inner.hasher.hash_one(key);
        let mut shard = inner.lock(hash);
        if let Some((_, open)) = shard.table.find_mut(hash, |(k, _)| k == key) {
            if *open >= limit {
                return Err(AcquireError::AtLimit { limit });
            }
            *open += 1;
        } else {
            if limit == 0 {
                return Err(AcquireError::AtLimit { limit });
            }
            if shard.table.len() >= shard.cap {
                return Err(AcquireError::TooManyKeys);
            }
            let cap = shard.cap;
            insert_bounded(
                &mut shard.table,
                &inner.spare,
                cap,
                hash,
                (key.clone(), 1),
                |(k, _)| inner.hasher.hash_one(k),
            );
        }
        drop(shard);
        Ok(Permit {
            inner: Arc::clone(inner),
            key: key.clone(),
            hash,
        })
    }

    /// Permits `key` holds now.
    pub fn in_use(&self, key: &K) -> u32 {
        let hash = self.inner.hasher.hash_one(key);
        let shard = self.inner.lock(hash);
        shard
            .table
            .find(hash, |(k, _)| k == key)
            .map_or(0, |(_, open)| *open)
    }

    /// Keys holding at least one permit.
    pub fn tracked(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).table.len())
            .sum()
    }
}

/// One open session of a key; dropping it releases the slot.
#[must_use = "dropping a permit releases it at once"]
pub struct Permit<K: Hash + Eq> {
    inner: Arc<Inner<K>>,
    key: K,
    hash: u64,
}

impl<K: Hash + Eq + std::fmt::Debug> std::fmt::Debug for Permit<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq> Permit<K> {
    /// The key this permit counts against.
    pub fn key(&self) -> &K {
        &self.key
    }
}

impl<K: Hash + Eq> Drop for Permit<K> {
    fn drop(&mut self) {
        let mut shard = self.inner.lock(self.hash);
        if let Ok(mut entry) = shard.table.find_entry(self.hash, |(k, _)| *k == self.key) {
            let open = &mut entry.get_mut().1;
            *open = open.saturating_sub(1);
            if *open == 0 {
                entry.remove();
            }
        }
    }
}
