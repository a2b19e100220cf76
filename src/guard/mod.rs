//! `guard` — the policy layer that stops scanners, password guessing and
//! toll fraud.
//!
//! An SBC or PBX asks the guard about each parsed SIP message and each call
//! event, and gets a [`Decision`]: allow, alert, challenge, throttle (with
//! `Retry-After`), reject, drop silently, or block the source for a time —
//! always with a [`Reason`] a person can read and a machine can count
//! ([`Rule::name`] is stable). Each decision becomes an [`Event`] for an
//! [`EventSink`] such as the [`JsonLinesSink`].
//!
//! The policies are independent components that take plain values (an
//! `IpAddr`, a method or user as `&str`, a status code, monotonic
//! milliseconds), so each is usable and testable alone:
//!
//! | component | question it answers |
//! |---|---|
//! | [`Acl`] | may this source send this method for this account? (CIDR, longest prefix, scoped) |
//! | [`ScannerFingerprints`] | is this User-Agent a known attack tool? |
//! | [`EnumerationDetector`] | is this source enumerating extensions / sweeping with OPTIONS? |
//! | [`BruteForceDetector`] | is this source (or are many sources) guessing passwords? |
//! | [`BanList`] | is this source blocked, and for how long next time? |
//! | [`DialPlan`] + [`DestinationPolicy`] | what does this dialed number reach, and is that allowed? |
//! | [`ProbingDetector`] | is this account probing destinations before a fraud burst? |
//! | [`GuardConfig`] | all thresholds and lists, from a small text format |
//! | [`Engine`] + [`EngineConfig`] | all of the above composed with `sip`, `digest` and `ratelimit`: message in, decision and event out |
//!
//! ```
//! use voipsec::guard::{Action, DestinationClass, GuardConfig};
//!
//! let config = GuardConfig::default();
//! let source = "198.51.100.20".parse().unwrap();
//! // A scanner is dropped silently: it learns nothing.
//! assert!(config.scanners.find("friendly-scanner").is_some());
//! // An INVITE to a premium-rate number is refused.
//! let class = config.dial_plan.classify("+1 900 555 0100");
//! assert_eq!(class, DestinationClass::PremiumRate);
//! assert_eq!(config.destinations.decide(class).action, Action::Reject);
//! # let _ = config.acl.check(source, "INVITE", None);
//! ```
//!
//! # Security contract
//!
//! * **Never panics, never fails on traffic.** Per-message checks return a
//!   decision, not a `Result`; only configuration and sinks return
//!   [`GuardError`].
//! * **Bounded memory under attack.** Every per-source, per-user and
//!   per-account table has a configured capacity reserved at construction and
//!   evicts its oldest entry beyond it; distinct users and destinations are
//!   counted in fixed-size sets of keyed hashes. IPv6 sources are counted per
//!   prefix (a /64 by default) so rotating addresses inside one allocation
//!   does not reset the counters; IPv4-mapped IPv6 is treated as IPv4.
//! * **No allocation per message.** ACL, fingerprint, dial-plan, ban and
//!   detector look-ups allocate nothing once built (checked by
//!   `tests/guard_alloc.rs` with a counting allocator).
//! * **Attacker strings cannot forge events.** Accounts, user agents and
//!   numbers are escaped in JSON (RFC 8259 §7) and in `Display`.
//! * **Hashes an attacker cannot steer.** Users, numbers and accounts are
//!   keyed by a per-process random SipHash key.
//! * **Fail closed where it matters**: an ACL deny in any applicable scope
//!   wins over allows; the same prefix listed as allow and deny denies;
//!   emergency calls are always allowed, whatever the destination policy.
//! * **Silence for scanners.** Scanner and enumeration verdicts are meant to
//!   be answered with [`Action::DropSilently`] or [`Action::Block`]: no
//!   response tells a tool nothing (RFC 3261 lets a UAS discard requests).
#![forbid(unsafe_code)]

pub mod acl;
pub mod ban;
pub mod bruteforce;
pub mod config;
pub mod engine;
pub mod error;
pub mod event;
pub mod fraud;
pub mod scanner;
pub mod settings;
pub mod stats;
mod tracker;

pub use acl::{Acl, AclAction, AclRule, AclVerdict, Cidr};
pub use ban::{BanConfig, BanList};
pub use bruteforce::{BruteForceConfig, BruteForceDetector};
pub use config::{FloodConfig, GuardConfig};
pub use engine::{Authentication, CallAdmission, CallPermit, Engine, Inspection, Unread};
pub use error::GuardError;
pub use event::{Action, Decision, Event, EventSink, JsonLinesSink, Reason, Rule};
pub use fraud::{
    ClassAction, DestinationClass, DestinationPolicy, DialPlan, ProbingConfig, ProbingDetector,
};
pub use scanner::{
    EnumerationConfig, EnumerationDetector, Fingerprint, MatchKind, ScannerFingerprints,
};
pub use settings::{CallLimits, EngineConfig};
pub use stats::{EngineStats, TableUsage};
