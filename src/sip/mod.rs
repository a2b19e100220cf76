//! `sip` — under construction.
#![forbid(unsafe_code)]
