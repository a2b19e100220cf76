//! `ratelimit` — under construction.
#![forbid(unsafe_code)]
