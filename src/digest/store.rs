//! The two stores the verifier consults: where user secrets live
//! ([`CredentialStore`]) and which nonce-counts were already seen
//! ([`NonceCountStore`]). Both are traits so a deployment can back them with
//! its own database; in-memory implementations and (feature `redis`) a
//! Redis nonce-count store shared between nodes are provided.

use core::fmt;
use std::collections::{HashMap, VecDeque};

use foldhash::fast::SeedableRandomState;
use std::sync::Mutex;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{Algorithm, DigestError, HexDigest, NONCE_TAG_LEN};
use crate::ratelimit::keyed_hasher;

/// Longest password a [`UserSecret`] holds inline.
pub const MAX_PASSWORD_LEN: usize = 128;

/// What a credential store knows about a user: the password, or the HA1
/// for the algorithm asked about (RFC 8760 §3: HA1 differs per algorithm,
/// so a store either keeps the password or one HA1 per algorithm).
///
/// Held inline (no allocation), zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct UserSecret {
    buf: [u8; MAX_PASSWORD_LEN],
    len: u8,
    is_ha1: bool,
}

impl UserSecret {
    /// A clear-text password; `None` if longer than [`MAX_PASSWORD_LEN`].
    pub fn password(password: &[u8]) -> Option<UserSecret> {
        let mut out = UserSecret {
            buf: [0; MAX_PASSWORD_LEN],
            len: u8::try_from(password.len()).ok()?,
            is_ha1: false,
        };
        out.buf.get_mut(..password.len())?.copy_from_slice(password);
        Some(out)
    }

    /// A precomputed HA1, `H(username ":" realm ":" password)` in hex, for
    /// the algorithm the store was asked about.
    pub fn ha1(ha1: &HexDigest) -> UserSecret {
        let bytes = ha1.as_bytes();
        let mut out = UserSecret {
            buf: [0; MAX_PASSWORD_LEN],
            len: 0,
            is_ha1: true,
        };
        if let Some(dst) = out.buf.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
            out.len = u8::try_from(bytes.len()).unwrap_or(0);
        }
        out
    }

    /// Whether this is a stored HA1 (no hashing needed) rather than a password.
    pub(crate) fn is_ha1(&self) -> bool {
        self.is_ha1
    }

    /// The HA1 for `algorithm.base()`, computing it when this is a password.
    pub(crate) fn base_ha1(
        &self,
        algorithm: Algorithm,
        username: &[u8],
        realm: &[u8],
    ) -> HexDigest {
        let bytes = self.buf.get(..usize::from(self.len)).unwrap_or(&[]);
        if self.is_ha1 {
            // An HA1 of the wrong length for the algorithm yields a response
            // that can never match; no special case needed.
            HexDigest::from_hex(bytes).unwrap_or_else(|| algorithm.userhash(b"", b""))
        } else {
            algorithm.ha1(username, realm, bytes)
        }
    }
}

impl Drop for UserSecret {
    fn drop(&mut self) {
        // Bytes past `len` were never written.
        if let Some(used) = self.buf.get_mut(..usize::from(self.len)) {
            used.zeroize();
        }
        self.len.zeroize();
    }
}

impl ZeroizeOnDrop for UserSecret {}

impl fmt::Debug for UserSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_ha1 {
            "UserSecret::Ha1(<redacted>)"
        } else {
            "UserSecret::Password(<redacted>)"
        })
    }
}

/// Where the verifier looks users up.
///
/// Implementations must not allocate per call on the hot path if the
/// allocation-free guarantee of [`Verifier::verify`](super::Verifier::verify)
/// matters to the deployment.
pub trait CredentialStore: Send + Sync {
    /// The secret of (`username`, `realm`) for `algorithm` (a `-sess`
    /// algorithm asks for the HA1 of its base algorithm), or `None` for an
    /// unknown user.
    fn lookup(&self, username: &[u8], realm: &[u8], algorithm: Algorithm) -> Option<UserSecret>;

    /// For `userhash=true` (RFC 7616 §3.4.4): the user whose
    /// `H(username ":" realm)` is `userhash` (lowercase hex). The verifier
    /// does not learn the real username, so a store must return an HA1
    /// here, not a password. The default supports no userhash.
    fn lookup_userhash(
        &self,
        userhash: &[u8],
        realm: &[u8],
        algorithm: Algorithm,
    ) -> Option<UserSecret> {
        let _ = (userhash, realm, algorithm);
        None
    }
}

/// Stores behind `Arc`/`Box` (e.g. `Arc<dyn CredentialStore>` shared with
/// an admin thread) are stores too: every method forwards to the pointee.
macro_rules! forward_through_arc_and_box {
    ($store:ident { $(fn $method:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)+ }) => {
        impl<T: $store + ?Sized> $store for std::sync::Arc<T> {
            $(fn $method(&self $(, $arg: $ty)*) -> $ret {
                (**self).$method($($arg),*)
            })+
        }

        impl<T: $store + ?Sized> $store for Box<T> {
            $(fn $method(&self $(, $arg: $ty)*) -> $ret {
                (**self).$method($($arg),*)
            })+
        }
    };
}

forward_through_arc_and_box!(CredentialStore {
    fn lookup(&self, username: &[u8], realm: &[u8], algorithm: Algorithm) -> Option<UserSecret>;
    fn lookup_userhash(&self, userhash: &[u8], realm: &[u8], algorithm: Algorithm) -> Option<UserSecret>;
});

struct UserEntry {
    realm: Vec<u8>,
    password: Option<Zeroizing<Vec<u8>>>,
    ha1: Vec<(Algorithm, HexDigest)>,
}

/// Usernames come from the network: the maps hash with foldhash keyed from
/// the OS CSPRNG (as the rate limiters do), so lookups cannot be aimed at
/// one probe chain, at a third of SipHash's cost.
type KeyedMap<K, V> = HashMap<K, V, SeedableRandomState>;

/// A credential store in a `HashMap`: passwords or per-algorithm HA1s,
/// with a userhash index for every supported hash function.
///
/// ```
/// use voipsec::digest::{Algorithm, CredentialStore, InMemoryCredentials};
/// let mut users = InMemoryCredentials::new();
/// users.insert_password(b"alice", b"sip.example.test", b"s3cret");
/// assert!(users.lookup(b"alice", b"sip.example.test", Algorithm::Md5).is_some());
/// assert!(users.lookup(b"alice", b"other", Algorithm::Md5).is_none());
/// ```
pub struct InMemoryCredentials {
    users: KeyedMap<Vec<u8>, Vec<UserEntry>>,
    by_userhash: KeyedMap<Vec<u8>, (Vec<u8>, Vec<u8>)>,
}

impl Default for InMemoryCredentials {
    fn default() -> Self {
        InMemoryCredentials {
            users: HashMap::with_hasher(keyed_hasher()),
            by_userhash: HashMap::with_hasher(keyed_hasher()),
        }
    }
}

impl fmt::Debug for InMemoryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryCredentials")
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

impl InMemoryCredentials {
    /// An empty store.
    pub fn new() -> InMemoryCredentials {
        InMemoryCredentials::default()
    }

    /// The entry of (`username`, `realm`), created if missing (always `Some`).
    fn entry(&mut self, username: &[u8], realm: &[u8]) -> Option<&mut UserEntry> {
        for base in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256] {
            let hash = base.userhash(username, realm);
            self.by_userhash.insert(
                hash.as_bytes().to_vec(),
                (username.to_vec(), realm.to_vec()),
            );
        }
        let entries = self.users.entry(username.to_vec()).or_default();
        if !entries.iter().any(|e| e.realm == realm) {
            entries.push(UserEntry {
                realm: realm.to_vec(),
                password: None,
                ha1: Vec::new(),
            });
        }
        entries.iter_mut().find(|e| e.realm == realm)
    }

    /// Stores a password (replacing any previous secret of this user/realm).
    pub fn insert_password(&mut self, username: &[u8], realm: &[u8], password: &[u8]) {
        if let Some(entry) = self.entry(username, realm) {
            entry.password = Some(Zeroizing::new(password.to_vec()));
            entry.ha1.clear();
        }
    }

    /// Stores an HA1 for `algorithm.base()` (keeping HA1s of other
    /// algorithms, dropping any password).
    pub fn insert_ha1(
        &mut self,
        username: &[u8],
        realm: &[u8],
        algorithm: Algorithm,
        ha1: HexDigest,
    ) {
        if let Some(entry) = self.entry(username, realm) {
            entry.password = None;
            entry.ha1.retain(|(a, _)| *a != algorithm.base());
            entry.ha1.push((algorithm.base(), ha1));
        }
    }

    fn find(&self, username: &[u8], realm: &[u8]) -> Option<&UserEntry> {
        self.users.get(username)?.iter().find(|e| e.realm == realm)
    }

    fn secret_of(entry: &UserEntry, algorithm: Algorithm) -> Option<UserSecret> {
        if let Some(password) = &entry.password {
            return UserSecret::password(password);
        }
        let (_, ha1) = entry.ha1.iter().find(|(a, _)| *a == algorithm.base())?;
        Some(UserSecret::ha1(ha1))
    }
}

impl CredentialStore for InMemoryCredentials {
    fn lookup(&self, username: &[u8], realm: &[u8], algorithm: Algorithm) -> Option<UserSecret> {
        InMemoryCredentials::secret_of(self.find(username, realm)?, algorithm)
    }

    fn lookup_userhash(
        &self,
        userhash: &[u8],
        realm: &[u8],
        algorithm: Algorithm,
    ) -> Option<UserSecret> {
        let (username, stored_realm) = self.by_userhash.get(userhash)?;
        if stored_realm != realm {
            return None;
        }
        let entry = self.find(username, realm)?;
        if let Some(password) = &entry.password {
            return Some(UserSecret::ha1(
                &algorithm.base().ha1(username, realm, password),
            ));
        }
        InMemoryCredentials::secret_of(entry, algorithm)
    }
}

/// One use of a nonce, as the nonce-count store sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceUse {
    /// The nonce's tag ([`NONCE_TAG_LEN`] bytes of its HMAC), unique per nonce.
    pub tag: [u8; NONCE_TAG_LEN],
    /// The `nc` the client sent.
    pub nc: u32,
    /// When the nonce was issued (Unix seconds).
    pub issued_at: u64,
    /// When it stops being accepted (Unix seconds); state may go then.
    pub expires_at: u64,
    /// Now (Unix seconds).
    pub now: u64,
    /// Whether each nonce may authenticate one request only.
    pub one_time: bool,
}

/// What the nonce-count store says about a [`NonceUse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcCheck {
    /// Never seen, or `nc` above every count seen for this nonce; recorded.
    Fresh,
    /// `nc` not above a count already seen: a replay (RFC 7616 §3.4).
    Replayed,
    /// The nonce is used up (one-time nonces) or was forgotten under
    /// memory pressure; the client must get a fresh one (`stale=true`).
    Exhausted,
}

/// Tracks the highest `nc` seen per nonce (RFC 7616 §3.4: the server
/// rejects a request whose nc is not greater than the last one).
pub trait NonceCountStore: Send + Sync {
    /// Checks `use_` against what was recorded and records it when fresh,
    /// atomically.
    ///
    /// # Errors
    /// [`DigestError::Store`] when the backing store is unreachable.
    fn check_and_record(&self, use_: &NonceUse) -> Result<NcCheck, DigestError>;
}

forward_through_arc_and_box!(NonceCountStore {
    fn check_and_record(&self, use_: &NonceUse) -> Result<NcCheck, DigestError>;
});

struct CountEntry {
    nc: u32,
    issued_at: u64,
    expires_at: u64,
}

struct CountTable {
    map: KeyedMap<[u8; NONCE_TAG_LEN], CountEntry>,
    order: VecDeque<[u8; NONCE_TAG_LEN]>,
    /// Nonces issued at or before this instant may have been evicted while
    /// still valid; an unknown one of them is treated as exhausted, so a
    /// flood that evicts entries can never make a replay look fresh.
    forgotten_until: Option<u64>,
}

/// Nonce-counts in bounded memory: at most `capacity` nonces, allocated up
/// front, oldest first out.
///
/// ```
/// use voipsec::digest::{InMemoryNonceCounts, NcCheck, NonceCountStore, NonceUse};
/// let store = InMemoryNonceCounts::new(1024);
/// let mut u = NonceUse { tag: [1; 12], nc: 1, issued_at: 0, expires_at: 300, now: 10, one_time: false };
/// assert_eq!(store.check_and_record(&u).unwrap(), NcCheck::Fresh);
/// assert_eq!(store.check_and_record(&u).unwrap(), NcCheck::Replayed);
/// u.nc = 2;
/// assert_eq!(store.check_and_record(&u).unwrap(), NcCheck::Fresh);
/// ```
pub struct InMemoryNonceCounts {
    capacity: usize,
    table: Mutex<CountTable>,
}

impl fmt::Debug for InMemoryNonceCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryNonceCounts")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl InMemoryNonceCounts {
    /// A store for at most `capacity` nonces (at least 1).
    pub fn new(capacity: usize) -> InMemoryNonceCounts {
        let capacity = capacity.max(1);
        InMemoryNonceCounts {
            capacity,
            table: Mutex::new(CountTable {
                map: HashMap::with_capacity_and_hasher(capacity, keyed_hasher()),
                order: VecDeque::with_capacity(capacity),
                forgotten_until: None,
            }),
        }
    }

    /// Nonces currently tracked.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no nonce is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CountTable> {
        // A panic elsewhere while holding the lock cannot leave the table
        // inconsistent (every update is a single insert/remove pair).
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for InMemoryNonceCounts {
    /// Room for 32 768 nonces (about 2 MiB).
    fn default() -> Self {
        InMemoryNonceCounts::new(32_768)
    }
}

impl NonceCountStore for InMemoryNonceCounts {
    fn check_and_record(&self, use_: &NonceUse) -> Result<NcCheck, DigestError> {
        let mut guard = self.lock();
        let table = &mut *guard;
        if let Some(entry) = table.map.get_mut(&use_.tag) {
            if use_.nc <= entry.nc {
                return Ok(NcCheck::Replayed);
            }
            if use_.one_time {
                return Ok(NcCheck::Exhausted);
            }
            entry.nc = use_.nc;
            return Ok(NcCheck::Fresh);
        }
        if table.forgotten_until.is_some_and(|t| use_.issued_at <= t) {
            return Ok(NcCheck::Exhausted);
        }
        // Age out expired nonces first, then make room by evicting the
        // oldest live one (remembering that we forgot it).
        while let Some(front) = table.order.front().copied() {
            let expired = table
                .map
                .get(&front)
                .is_none_or(|e| e.expires_at < use_.now);
            if !expired && table.map.len() < self.capacity {
                break;
            }
            table.order.pop_front();
            if let Some(old) = table.map.remove(&front)
                && !expired
            {
                let t = table
                    .forgotten_until
                    .map_or(old.issued_at, |t| t.max(old.issued_at));
                table.forgotten_until = Some(t);
            }
        }
        table.map.insert(
            use_.tag,
            CountEntry {
                nc: use_.nc,
                issued_at: use_.issued_at,
                expires_at: use_.expires_at,
            },
        );
        table.order.push_back(use_.tag);
        Ok(NcCheck::Fresh)
    }
}

#[cfg(feature = "redis")]
pub use self::redis_store::RedisNonceCounts;

#[cfg(feature = "redis")]
mod redis_store {
    use core::fmt;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::{NcCheck, NonceCountStore, NonceUse};
    use crate::digest::DigestError;

    /// Atomic check-and-set: 0 fresh, 1 replayed, 2 exhausted. The key
    /// expires with the nonce, so Redis memory is bounded by the nonce
    /// issue rate times the lifetime.
    const SCRIPT: &str = r"
local cur = redis.call('GET', KEYS[1])
local nc = tonumber(ARGV[1])
if cur then
  if nc <= tonumber(cur) then return 1 end
  if ARGV[3] == '1' then return 2 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 0
";

    /// Nonce-counts in Redis, shared by every node verifying the same
    /// nonces (feature `redis`).
    pub struct RedisNonceCounts {
        client: redis::Client,
        connection: Mutex<Option<redis::Connection>>,
        script: redis::Script,
        prefix: String,
        timeout: Duration,
    }

    impl fmt::Debug for RedisNonceCounts {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // The URL may carry a password: not printed.
            f.debug_struct("RedisNonceCounts")
                .field("prefix", &self.prefix)
                .finish_non_exhaustive()
        }
    }

    impl RedisNonceCounts {
        /// Connects to `url` (e.g. `redis://127.0.0.1:6379/`); keys are
        /// `<prefix><hex tag>`.
        ///
        /// # Errors
        /// [`DigestError::Store`] when the URL is invalid or the server does
        /// not answer within `timeout`.
        pub fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<Self, DigestError> {
            let client = redis::Client::open(url).map_err(|_| DigestError::Store {
                reason: "invalid redis URL",
            })?;
            let store = RedisNonceCounts {
                client,
                connection: Mutex::new(None),
                script: redis::Script::new(SCRIPT),
                prefix: prefix.to_owned(),
                timeout,
            };
            let conn = store.open()?;
            *store.connection.lock().unwrap_or_else(|e| e.into_inner()) = Some(conn);
            Ok(store)
        }

        fn open(&self) -> Result<redis::Connection, DigestError> {
            let unreachable = DigestError::Store {
                reason: "redis unreachable",
            };
            let conn = self
                .client
                .get_connection_with_timeout(self.timeout)
                .map_err(|_| unreachable)?;
            conn.set_read_timeout(Some(self.timeout))
                .map_err(|_| unreachable)?;
            conn.set_write_timeout(Some(self.timeout))
                .map_err(|_| unreachable)?;
            Ok(conn)
        }
    }

    impl NonceCountStore for RedisNonceCounts {
        fn check_and_record(&self, use_: &NonceUse) -> Result<NcCheck, DigestError> {
            use fmt::Write as _;
            let mut key = String::with_capacity(self.prefix.len() + 32);
            key.push_str(&self.prefix);
            for b in use_.tag {
                let _ = write!(key, "{b:02x}");
            }
            let ttl = use_.expires_at.saturating_sub(use_.now).max(1);
            let mut guard = self.connection.lock().unwrap_or_else(|e| e.into_inner());
            // One reconnect attempt: a connection dropped by the server
            // should not fail a login.
            for _ in 0..2 {
                if guard.is_none() {
                    *guard = Some(self.open()?);
                }
                let Some(conn) = guard.as_mut() else {
                    continue;
                };
                let result: redis::RedisResult<i64> = self
                    .script
                    .key(&key)
                    .arg(use_.nc)
                    .arg(ttl)
                    .arg(if use_.one_time { "1" } else { "0" })
                    .invoke(conn);
                match result {
                    Ok(0) => return Ok(NcCheck::Fresh),
                    Ok(1) => return Ok(NcCheck::Replayed),
                    Ok(2) => return Ok(NcCheck::Exhausted),
                    Ok(_) => {
                        return Err(DigestError::Store {
                            reason: "unexpected redis reply",
                        });
                    }
                    Err(_) => *guard = None,
                }
            }
            Err(DigestError::Store {
                reason: "redis command failed",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn use_at(tag: u8, nc: u32, issued_at: u64, now: u64) -> NonceUse {
        NonceUse {
            tag: [tag; NONCE_TAG_LEN],
            nc,
            issued_at,
            expires_at: issued_at + 60,
            now,
            one_time: false,
        }
    }

    #[test]
    fn bounded_and_forgetting_is_safe() {
        let store = InMemoryNonceCounts::new(4);
        for t in 0..4u8 {
            assert_eq!(
                store
                    .check_and_record(&use_at(t, 1, 100 + u64::from(t), 110))
                    .unwrap(),
                NcCheck::Fresh
            );
        }
        // A fifth live nonce evicts the oldest (issued at 100).
        assert_eq!(
            store.check_and_record(&use_at(9, 1, 120, 120)).unwrap(),
            NcCheck::Fresh
        );
        assert_eq!(store.len(), 4);
        // Replaying the evicted one must not look fresh.
        assert_eq!(
            store.check_and_record(&use_at(0, 1, 100, 121)).unwrap(),
            NcCheck::Exhausted
        );
        // A flood of new nonces never grows the table.
        for t in 10..200u8 {
            store
                .check_and_record(&use_at(t, 1, 200 + u64::from(t), 200 + u64::from(t)))
                .unwrap();
        }
        assert_eq!(store.len(), 4);
    }

    #[test]
    fn expired_entries_age_out_without_forgetting() {
        let store = InMemoryNonceCounts::new(2);
        store.check_and_record(&use_at(1, 1, 100, 100)).unwrap();
        store.check_and_record(&use_at(2, 1, 100, 100)).unwrap();
        // Both expired at 161: evicted without raising the watermark.
        assert_eq!(
            store.check_and_record(&use_at(3, 1, 150, 200)).unwrap(),
            NcCheck::Fresh
        );
        assert_eq!(store.len(), 1);
        assert_eq!(
            store.check_and_record(&use_at(4, 1, 150, 200)).unwrap(),
            NcCheck::Fresh
        );
    }

    #[test]
    fn one_time_nonces() {
        let store = InMemoryNonceCounts::new(8);
        let mut u = use_at(1, 1, 0, 1);
        u.one_time = true;
        assert_eq!(store.check_and_record(&u).unwrap(), NcCheck::Fresh);
        u.nc = 2;
        assert_eq!(store.check_and_record(&u).unwrap(), NcCheck::Exhausted);
        u.nc = 1;
        assert_eq!(store.check_and_record(&u).unwrap(), NcCheck::Replayed);
    }

    #[test]
    fn secrets_are_redacted() {
        let s = UserSecret::password(b"hunter2").unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(UserSecret::password(&[b'x'; MAX_PASSWORD_LEN + 1]).is_none());
    }
}
