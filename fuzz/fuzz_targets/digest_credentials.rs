#![no_main]
#[path = "../bodies/digest_credentials.rs"]
mod body;
libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
