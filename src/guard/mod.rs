//! `guard` — under construction.
#![forbid(unsafe_code)]

pub mod acl;
pub mod ban;
pub mod bruteforce;
pub mod config;
pub mod error;
pub mod event;
pub mod fraud;
pub mod scanner;
mod tracker;

pub use acl::{Acl, AclAction, AclRule, AclVerdict, Cidr};
pub use ban::{BanConfig, BanList};
pub use bruteforce::{BruteForceConfig, BruteForceDetector};
pub use config::{FloodConfig, GuardConfig};
pub use error::GuardError;
pub use event::{Action, Decision, Event, EventSink, JsonLinesSink, Reason, Rule};
pub use fraud::{
    ClassAction, DestinationClass, DestinationPolicy, DialPlan, ProbingConfig, ProbingDetector,
};
pub use scanner::{
    EnumerationConfig, EnumerationDetector, Fingerprint, MatchKind, ScannerFingerprints,
};
