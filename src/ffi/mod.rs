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
//! (`build.rs`) and committed; a test fails when it is stale.
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
