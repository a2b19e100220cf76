//! Replays every committed fuzz corpus (`fuzz/corpus/TARGET/*`) through the
//! same body the libFuzzer target runs (`fuzz/bodies/TARGET.rs`), so that
//! plain `cargo test` re-checks every seed and every past crash.

// The srtcp body includes the srtp body for its shared key table, so that
// file is compiled twice, once per target, exactly as the fuzzer does.
#![allow(clippy::duplicate_mod)]

use std::path::Path;

/// Feeds every file of `fuzz/corpus/<target>/` to `body`, and fails if the
/// corpus is missing or empty (a replay that replays nothing proves nothing).
fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0usize;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()))
        .map(|e| e.expect("readable corpus entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let data = std::fs::read(&path).expect("readable corpus file");
        body(&data);
        count += 1;
    }
    assert!(count > 0, "corpus {} is empty", dir.display());
}

// One block per fuzz target, grouped by module:
//
//     #[path = "../fuzz/bodies/sip_message.rs"]
//     mod sip_message;
//     #[test]
//     fn sip_message_corpus() {
//         replay("sip_message", sip_message::run);
//     }

#[path = "../fuzz/bodies/digest_credentials.rs"]
mod digest_credentials;
#[test]
fn digest_credentials_corpus() {
    replay("digest_credentials", digest_credentials::run);
}

#[path = "../fuzz/bodies/guard_config.rs"]
mod guard_config;
#[test]
fn guard_config_corpus() {
    replay("guard_config", guard_config::run);
}

#[path = "../fuzz/bodies/guard_engine.rs"]
mod guard_engine;
#[test]
fn guard_engine_corpus() {
    replay("guard_engine", guard_engine::run);
}

#[path = "../fuzz/bodies/guard_lookup.rs"]
mod guard_lookup;
#[test]
fn guard_lookup_corpus() {
    replay("guard_lookup", guard_lookup::run);
}

#[path = "../fuzz/bodies/ratelimit_ops.rs"]
mod ratelimit_ops;
#[test]
fn ratelimit_ops_corpus() {
    replay("ratelimit_ops", ratelimit_ops::run);
}

#[path = "../fuzz/bodies/sip_framer.rs"]
mod sip_framer;
#[test]
fn sip_framer_corpus() {
    replay("sip_framer", sip_framer::run);
}

#[path = "../fuzz/bodies/sip_message.rs"]
mod sip_message;
#[test]
fn sip_message_corpus() {
    replay("sip_message", sip_message::run);
}

#[path = "../fuzz/bodies/sip_normalize.rs"]
mod sip_normalize;
#[test]
fn sip_normalize_corpus() {
    replay("sip_normalize", sip_normalize::run);
}

#[path = "../fuzz/bodies/sip_uri.rs"]
mod sip_uri;
#[test]
fn sip_uri_corpus() {
    replay("sip_uri", sip_uri::run);
}

#[path = "../fuzz/bodies/srtcp_unprotect.rs"]
mod srtcp_unprotect;
#[test]
fn srtcp_unprotect_corpus() {
    replay("srtcp_unprotect", srtcp_unprotect::run);
}

#[path = "../fuzz/bodies/srtp_sdes.rs"]
mod srtp_sdes;
#[test]
fn srtp_sdes_corpus() {
    replay("srtp_sdes", srtp_sdes::run);
}

// Differential against the system libsrtp: needs it linked.
#[cfg(feature = "interop")]
#[path = "../fuzz/bodies/srtp_protect_libsrtp.rs"]
mod srtp_protect_libsrtp;
#[cfg(feature = "interop")]
#[test]
fn srtp_protect_libsrtp_corpus() {
    replay("srtp_protect_libsrtp", srtp_protect_libsrtp::run);
}

#[path = "../fuzz/bodies/srtp_unprotect.rs"]
mod srtp_unprotect;
#[test]
fn srtp_unprotect_corpus() {
    replay("srtp_unprotect", srtp_unprotect::run);
}
