//! The committed C header must equal what cbindgen generates from `src/ffi`
//! now, so that C users never compile against a stale declaration.
#![cfg(feature = "capi")]

#[test]
fn committed_header_matches_a_fresh_generation() {
    let fresh = include_str!(concat!(env!("OUT_DIR"), "/voipsec.h"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include/voipsec.h");
    if std::env::var_os("VOIPSEC_BLESS_HEADER").is_some() {
        std::fs::write(&path, fresh).expect("include/voipsec.h is writable");
    }
    let committed = std::fs::read_to_string(&path).expect("include/voipsec.h exists");
    assert!(
        committed == fresh,
        "include/voipsec.h is stale: regenerate it with \
         VOIPSEC_BLESS_HEADER=1 cargo test --features capi --test capi_header"
    );
}
