#![no_main]
#[path = "../bodies/guard_lookup.rs"]
mod body;
libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
