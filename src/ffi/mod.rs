//! The C API (feature `capi`): opaque handles, explicit ownership, status codes.
//!
//! Modelled on rustls-ffi:
//!
//! * Every object is an opaque handle created by a `voipsec_*_new` function
//!   and released by the matching `voipsec_*_free`; `_free(NULL)` is a no-op.
//! * Every fallible function returns a [`voipsec_status`] (0 = `VOIPSEC_OK`);
//!   [`voipsec_status_str`] names it. Outputs go through out-pointers.
//! * Every pointer and length is checked; a panic inside Rust is caught at the
//!   boundary and reported as `VOIPSEC_ERR_PANIC`, never unwound into C.
//! * No Rust type crosses the boundary: handles are opaque structs, strings are
//!   `(const uint8_t *, size_t)` pairs or NUL-terminated static strings.
//!
//! The header `include/voipsec.h` is generated from this module by cbindgen
//! (`build.rs`) and committed; a test fails when it is stale. Build and
//! install the libraries, header and pkg-config file with
//! `scripts/build-capi PREFIX`.
//!
//! | handle | wraps | thread safety |
//! |---|---|---|
//! | `voipsec_srtp` | [`crate::srtp::SrtpContext`], libsrtp-shaped | one caller at a time |
//! | `voipsec_sip_message` | [`crate::sip::Message`] over an owned copy, sanity, normalize | shared reads |
//! | `voipsec_digest_verifier` | [`crate::digest::Verifier`] with the caller's secret | fully shared |
//! | `voipsec_ratelimit` | [`crate::ratelimit::KeyedLimiter`] / [`crate::ratelimit::IpLimiter`] | fully shared |
//! | `voipsec_guard` | [`crate::guard::Engine`], events to a C callback | one caller at a time |
//!
//! The functions are callable from Rust too (tests and benches do):
//!
//! ```
//! use voipsec::ffi::*;
//! let (key, salt) = ([7u8; 16], [9u8; 14]);
//! let (mut tx, mut rx) = (std::ptr::null_mut(), std::ptr::null_mut());
//! for ctx in [&mut tx, &mut rx] {
//!     let st = voipsec_srtp_new(VOIPSEC_SRTP_AES_CM_128_HMAC_SHA1_80,
//!         key.as_ptr(), key.len(), salt.as_ptr(), salt.len(), ctx);
//!     assert_eq!(st, voipsec_status::VOIPSEC_OK);
//! }
//! let mut buf = [0u8; 12 + 20 + VOIPSEC_SRTP_MAX_TRAILER_LEN];
//! buf[..12].copy_from_slice(&[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42]);
//! let (cap, mut n) = (buf.len(), 0);
//! assert_eq!(voipsec_srtp_protect(tx, buf.as_mut_ptr(), 32, cap, &mut n), voipsec_status::VOIPSEC_OK);
//! assert_eq!(n, 42); // 10-byte tag
//! assert_eq!(voipsec_srtp_unprotect(rx, buf.as_mut_ptr(), n, cap, &mut n), voipsec_status::VOIPSEC_OK);
//! assert_eq!(n, 32);
//! // A replay has its own status.
//! assert_eq!(voipsec_srtp_protect(tx, buf.as_mut_ptr(), 32, cap, &mut n), voipsec_status::VOIPSEC_ERR_REPLAY);
//! voipsec_srtp_free(tx);
//! voipsec_srtp_free(rx);
//! voipsec_srtp_free(std::ptr::null_mut()); // a no-op
//! ```
//!
//! This is the only module of the crate that contains `unsafe` code; every
//! `unsafe` block carries a `// SAFETY:` comment.
// The entry points take raw pointers from C by design and check them before use.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
// C names (voipsec_srtp, voipsec_status) are the public ABI, snake_case like libsrtp.
#![allow(non_camel_case_types)]

mod boundary;
mod digest;
mod guard;
mod ratelimit;
mod sip;
mod slice;
mod srtp;
mod status;

pub use digest::*;
pub use guard::*;
pub use ratelimit::*;
pub use sip::*;
pub use slice::voipsec_slice;
pub use srtp::*;
pub use status::{voipsec_status, voipsec_status_str};
