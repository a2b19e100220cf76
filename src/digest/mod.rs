//! SIP digest authentication, server side (RFC 2617, RFC 7616, RFC 8760,
//! RFC 3261 §22).
//!
//! * [`Credentials`] parses an `Authorization` / `Proxy-Authorization`
//!   header value zero-copy.
//! * [`Verifier`] checks it against the request, a stateless HMAC-signed
//!   nonce ([`NonceKeys`]), a nonce-count store ([`NonceCountStore`]) and a
//!   credential store ([`CredentialStore`]), and returns a [`Verdict`] that
//!   names the exact reason for a refusal.
//! * [`Verifier::write_challenges`] emits `WWW-Authenticate` /
//!   `Proxy-Authenticate` headers, one per algorithm, strongest first.
//!
//! # Security contract
//!
//! * Parsing never panics, never allocates, and refuses duplicated
//!   parameters; header values over [`ParseLimits::max_len`] are refused.
//! * Responses and nonce tags are compared in constant time (`subtle`);
//!   an unknown user costs the same hashing as a known one.
//! * Nonces are `HMAC-SHA256(secret, key-id | time | random | realm |
//!   client?)`: any node with the secret verifies them, expired ones get
//!   `stale=true` only when the response was otherwise right, and a rotated
//!   secret keeps working for a grace period.
//! * A nonce-count is accepted once per nonce and must increase (RFC 7616
//!   §3.4); the in-memory store is bounded and, when full, treats forgotten
//!   nonces as used up rather than fresh.
//! * Secrets ([`NonceSecret`], [`UserSecret`], HA1 [`HexDigest`]s) are
//!   zeroized on drop and redacted in `Debug`.
//! * The [`Verdict`] is for the server's counters and logs; clients must
//!   only see a new challenge (or 403).
//! * The verifier takes the time as a parameter (`now`, Unix seconds; see
//!   [`unix_now`]), so expiry is exact and testable.
//!
//! # Example
//!
//! ```
//! use voipsec::digest::*;
//!
//! let mut users = InMemoryCredentials::new();
//! users.insert_password(b"alice", b"sip.example.test", b"s3cret");
//! let verifier = Verifier::new(DigestConfig::new("sip.example.test"),
//!     NonceSecret::generate(), users, InMemoryNonceCounts::default());
//!
//! // No or bad credentials: answer 401 with one challenge per algorithm.
//! let mut headers = String::new();
//! verifier.write_challenges(ChallengeKind::WwwAuthenticate, None, unix_now(), false, &mut headers);
//!
//! // With credentials: the verdict is for your counters, never for the client.
//! let request = DigestRequest { method: b"REGISTER", uri: b"sip:sip.example.test", body: b"", client: None };
//! let verdict = verifier.verify(b"Digest username=\"alice\", realm=\"x\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\"", &request, unix_now());
//! assert_eq!(verdict, Verdict::RealmMismatch);
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod algorithm;
mod challenge;
mod credentials;
mod error;
mod nonce;
mod store;
mod stream;
mod verifier;

pub use algorithm::{Algorithm, HexDigest};
pub use challenge::{Challenge, ChallengeKind, QopPolicy};
pub use credentials::{Chunks, Credentials, MAX_USERNAME_LEN, ParamValue, ParseLimits};
pub use error::DigestError;
pub use nonce::{NONCE_TAG_LEN, NonceInfo, NonceKeys, NonceSecret};
#[cfg(feature = "redis")]
pub use store::RedisNonceCounts;
pub use store::{
    CredentialStore, InMemoryCredentials, InMemoryNonceCounts, MAX_PASSWORD_LEN, NcCheck,
    NonceCountStore, NonceUse, UserSecret,
};
pub use verifier::{DigestConfig, DigestRequest, UriCheck, Verdict, Verifier, unix_now};
