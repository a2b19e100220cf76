//! How full the engine's tables are: what a load test or a metrics endpoint
//! reads to check that memory stays within the configured bounds whatever
//! the traffic ([`Engine::stats`](super::Engine::stats)).
//!
//! ```
//! use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
//!
//! let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new())).unwrap();
//! for i in 0..10u8 {
//!     engine.on_datagram([198, 51, 100, i].into(), b"junk", 0, 0);
//! }
//! let stats = engine.stats();
//! assert_eq!(stats.malformed_sources_v4.tracked, 10);
//! assert!(stats.within_bounds());
//! ```
#![forbid(unsafe_code)]

use std::fmt;

/// One bounded table: entries held now and the most it may hold.
///
/// ```
/// use voipsec::guard::TableUsage;
///
/// let usage = TableUsage { tracked: 3, capacity: 8 };
/// assert!(usage.within_bound());
/// assert_eq!(usage.to_string(), r#"{"tracked":3,"capacity":8}"#);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableUsage {
    /// Entries held now.
    pub tracked: usize,
    /// The configured bound (entries beyond it evict or are not tracked).
    pub capacity: usize,
}

impl TableUsage {
    /// Whether the table holds no more than its bound.
    ///
    /// ```
    /// use voipsec::guard::TableUsage;
    ///
    /// assert!(TableUsage { tracked: 8, capacity: 8 }.within_bound());
    /// assert!(!TableUsage { tracked: 9, capacity: 8 }.within_bound());
    /// ```
    pub fn within_bound(&self) -> bool {
        self.tracked <= self.capacity
    }
}

impl fmt::Display for TableUsage {
    /// `{"tracked":N,"capacity":M}` (a JSON object).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{\"tracked\":{},\"capacity\":{}}}",
            self.tracked, self.capacity
        )
    }
}

/// Every per-source, per-user and per-account table of an
/// [`Engine`](super::Engine), with its bound.
///
/// ```
/// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
///
/// let config = EngineConfig::parse("bruteforce.max_users = 100")?;
/// let engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
/// let stats = engine.stats();
/// assert_eq!(stats.brute_force_users.capacity, 100);
/// assert_eq!(stats.brute_force_users.tracked, 0);
/// assert!(stats.within_bounds());
/// assert!(stats.to_string().contains(r#""brute_force_users":{"tracked":0,"capacity":100}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Sources banned or remembered for escalation (`ban.max_sources`).
    pub banned_sources: TableUsage,
    /// IPv4 sources under the request-flood limiter (bounded by
    /// `ban.max_sources`, at least 64).
    pub request_sources_v4: TableUsage,
    /// IPv6 prefixes under the request-flood limiter (same bound, a table
    /// of its own).
    pub request_sources_v6: TableUsage,
    /// IPv4 sources under the malformed-message limiter (same bound).
    pub malformed_sources_v4: TableUsage,
    /// IPv6 prefixes under the malformed-message limiter (same bound).
    pub malformed_sources_v6: TableUsage,
    /// Sources watched for enumeration (`scanner.max_sources`).
    pub enumeration_sources: TableUsage,
    /// Sources with failed authentications (`bruteforce.max_sources`).
    pub brute_force_sources: TableUsage,
    /// Users with failed authentications (`bruteforce.max_users`).
    pub brute_force_users: TableUsage,
    /// Accounts watched for probing (`fraud.max_accounts`).
    pub probing_accounts: TableUsage,
    /// Accounts under the new-call rate (`calls.max_accounts`).
    pub call_rate_accounts: TableUsage,
    /// Accounts holding call permits (`calls.max_accounts`).
    pub concurrent_accounts: TableUsage,
    /// Events not written because the noisy-event budget was spent.
    pub suppressed_events: u64,
}

impl EngineStats {
    /// The tables by stable name (the JSON keys of [`fmt::Display`]).
    ///
    /// ```
    /// use voipsec::guard::{EngineStats, TableUsage};
    ///
    /// let stats = EngineStats {
    ///     probing_accounts: TableUsage { tracked: 2, capacity: 5 },
    ///     ..EngineStats::default()
    /// };
    /// let tables = stats.tables();
    /// assert_eq!(tables.len(), 11);
    /// assert!(tables.contains(&("probing_accounts", TableUsage { tracked: 2, capacity: 5 })));
    /// ```
    pub fn tables(&self) -> [(&'static str, TableUsage); 11] {
        [
            ("banned_sources", self.banned_sources),
            ("request_sources_v4", self.request_sources_v4),
            ("request_sources_v6", self.request_sources_v6),
            ("malformed_sources_v4", self.malformed_sources_v4),
            ("malformed_sources_v6", self.malformed_sources_v6),
            ("enumeration_sources", self.enumeration_sources),
            ("brute_force_sources", self.brute_force_sources),
            ("brute_force_users", self.brute_force_users),
            ("probing_accounts", self.probing_accounts),
            ("call_rate_accounts", self.call_rate_accounts),
            ("concurrent_accounts", self.concurrent_accounts),
        ]
    }

    /// Whether every table holds no more than its bound.
    ///
    /// ```
    /// use voipsec::guard::{EngineStats, TableUsage};
    ///
    /// let mut stats = EngineStats::default();
    /// assert!(stats.within_bounds());
    /// stats.concurrent_accounts = TableUsage { tracked: 2, capacity: 1 };
    /// assert!(!stats.within_bounds());
    /// ```
    pub fn within_bounds(&self) -> bool {
        self.tables().iter().all(|(_, t)| t.within_bound())
    }
}

impl fmt::Display for EngineStats {
    /// One JSON object: each table as `{"tracked":N,"capacity":M}`, then
    /// `suppressed_events`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (name, table) in self.tables() {
            write!(f, "\"{name}\":{table},")?;
        }
        write!(f, "\"suppressed_events\":{}}}", self.suppressed_events)
    }
}
