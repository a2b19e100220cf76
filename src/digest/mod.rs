//! `digest` — under construction.
#![forbid(unsafe_code)]
