//! `guard` — under construction.
#![forbid(unsafe_code)]
