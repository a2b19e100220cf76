//! # voipsec — the hard parts of securing VoIP, done right and fast
//!
//! voipsec is a library for the people who build PBXes, session border
//! controllers and softphones. Each module is usable alone and composes with
//! the others; data flows one way: bytes → parse → sanity → policy decision.
//!
//! | module | what it does |
//! |---|---|
//! | [`sip`] | zero-copy SIP parser, TCP/TLS stream framer, sanity checks, normalizer, editor, topology hiding |
//! | [`srtp`] | RFC 3711 SRTP/SRTCP, bit-exact with libsrtp |
//! | [`digest`] | SIP digest authentication (RFC 2617, 7616, 8760) |
//! | [`ratelimit`] | sliding-window, exact-log and GCRA limiters, keyed, sharded and bounded; concurrency permits; Redis backend |
//! | [`guard`] | policy engine over `sip`, `digest` and `ratelimit`: ACLs, scanners, brute force, toll fraud, floods |
//! | `ffi` | the C API (feature `capi`, header `include/voipsec.h`) |
//!
//! ## Security contract
//!
//! * No `unsafe` outside the C API (`src/ffi`, feature `capi`): every other
//!   module carries `#![forbid(unsafe_code)]`.
//! * Hostile input never panics, never reads out of bounds and never makes the
//!   library allocate without bound: every parser returns a `Result` whose
//!   error names what was wrong and where, and every limit is configurable
//!   with a safe default.
//! * Key material is zeroized on drop and never logged; MACs and digests are
//!   compared in constant time; nonces come from an OS-seeded CSPRNG.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod digest;
// The C API is the one module allowed `unsafe`: raw pointers from C.
#[cfg(feature = "capi")]
#[allow(unsafe_code)]
pub mod ffi;
pub mod guard;
pub mod ratelimit;
pub mod sip;
pub mod srtp;
mod swar;
