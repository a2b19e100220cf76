//! Replays every committed fuzz corpus (`fuzz/corpus/TARGET/*`) through the
//! same body the libFuzzer target runs (`fuzz/bodies/TARGET.rs`), so that
//! plain `cargo test` re-checks every seed and every past crash.

use std::path::Path;

/// Feeds every file of `fuzz/corpus/<target>/` to `body`, and fails if the
/// corpus is missing or empty (a replay that replays nothing proves nothing).
fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
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

#[path = "../fuzz/bodies/ratelimit_ops.rs"]
mod ratelimit_ops;
#[test]
fn ratelimit_ops_corpus() {
    replay("ratelimit_ops", ratelimit_ops::run);
}
