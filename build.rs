//! With the `capi` feature, generates the C header from `src/ffi` into
//! `$OUT_DIR/voipsec.h`. The committed `include/voipsec.h` must equal it:
//! `tests/capi_header.rs` fails otherwise (regenerate with
//! `VOIPSEC_BLESS_HEADER=1 cargo test --features capi --test capi_header`).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "capi")]
    generate_header();
}

#[cfg(feature = "capi")]
fn generate_header() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    // Only src/ffi is the C API: parsing the whole crate would export every
    // other module's public constants and repr enums into the header.
    cbindgen::Builder::new()
        .with_src(format!("{crate_dir}/src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen can read src/ffi")
        .write_to_file(format!("{out_dir}/voipsec.h"));
}
