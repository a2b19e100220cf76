//! What the integration tests that drive an example as a process share
//! (`tests/digest_sipp.rs`, `tests/guard_sipp.rs`): include it with
//! `#[path = "support/examples.rs"] mod examples;`.
#![allow(dead_code)] // each test binary uses part of it

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A UDP port free on `ip` at the time of the call.
pub fn free_udp_port(ip: &str) -> u16 {
    UdpSocket::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Builds `examples/<name>.rs` (a `--test` run does not build examples) and
/// returns the executable cargo reports. It uses the features and profile
/// of this test build, so that under `cargo test --all-features` cargo
/// reuses the library it just built instead of compiling another variant.
pub fn build_example(name: &str) -> PathBuf {
    let features: Vec<&str> = [
        ("sipp", cfg!(feature = "sipp")),
        ("redis", cfg!(feature = "redis")),
        ("interop", cfg!(feature = "interop")),
        ("capi", cfg!(feature = "capi")),
    ]
    .into_iter()
    .filter_map(|(feature, on)| on.then_some(feature))
    .collect();
    let mut build = Command::new(env!("CARGO"));
    build
        .args([
            "build",
            "--quiet",
            "--example",
            name,
            "--message-format=json",
        ])
        .arg(format!("--features={}", features.join(",")))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit());
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    let out = build.output().expect("cargo runs");
    assert!(out.status.success(), "building the {name} example failed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = "\"executable\":\"";
    let line = stdout
        .lines()
        .find(|l| l.contains(&format!("\"name\":\"{name}\"")) && l.contains(key))
        .unwrap_or_else(|| panic!("cargo reports no executable for {name}"));
    let start = line.find(key).unwrap() + key.len();
    let end = start + line[start..].find('"').unwrap();
    PathBuf::from(&line[start..end])
}
