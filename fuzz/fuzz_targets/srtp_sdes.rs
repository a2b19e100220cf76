#![no_main]
#[path = "../bodies/srtp_sdes.rs"]
mod body;
libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
