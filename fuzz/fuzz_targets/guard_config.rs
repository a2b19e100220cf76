#![no_main]
#[path = "../bodies/guard_config.rs"]
mod body;
libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
