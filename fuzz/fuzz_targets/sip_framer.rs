#![no_main]
#[path = "../bodies/sip_framer.rs"]
mod body;
libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
