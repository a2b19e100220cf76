//! Proves that the engine's allow path — parse, validate, ban look-up,
//! request rate, ACL, User-Agent fingerprints, enumeration counters, the
//! credentials' username — allocates nothing per message once its tables
//! are warm; nor do call admission (with its concurrency permit) and
//! response accounting.
//!
//! A counting global allocator needs `unsafe impl GlobalAlloc`; it only
//! forwards to the system allocator.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::count_allocations;

use std::net::{IpAddr, Ipv4Addr};

use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink};

/// An authenticated REGISTER that passes every policy (shared with the
/// guard bench and the engine allocation test).
const REGISTER: &[u8] = include_bytes!("data/guard/register-alice.sip");

/// An authenticated INVITE with SDP that passes every policy (shared with
/// the guard bench).
const INVITE: &[u8] = include_bytes!("data/guard/invite-alice.sip");

#[test]
fn allow_path_does_not_allocate() {
    assert!(count_allocations(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(8)))) >= 1);
    let config = EngineConfig::parse(
        "flood.requests_per_second = 1000000\nflood.burst = 1000000\ncalls.rate = 1000000\n",
    )
    .unwrap();
    let mut engine = Engine::new(config, JsonLinesSink::new(std::io::sink())).unwrap();
    let sources: Vec<IpAddr> = (0..64u32)
        .map(|n| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | n)))
        .collect();
    let mut run = |rounds: u64, start: u64| {
        let mut passed = 0u64;
        for n in start..start + rounds {
            let src = sources[(n % 64) as usize];
            for datagram in [REGISTER, INVITE] {
                let seen = engine.on_datagram(src, datagram, n, 1_700_000_000_000 + n);
                passed += u64::from(seen.decision.action == Action::Allow && seen.message.is_ok());
            }
            let call = engine.on_call_start(src, "alice", "2125550100", n, 1_700_000_000_000 + n);
            passed += u64::from(call.permit.is_some());
            drop(call);
            passed += u64::from(
                engine
                    .on_response(src, 200, n, 1_700_000_000_000 + n)
                    .action
                    == Action::Allow,
            );
        }
        passed
    };
    assert_eq!(run(2_000, 0), 8_000, "warm-up: everything passes");
    let mut passed = 0;
    let allocations = count_allocations(|| passed = run(20_000, 2_000));
    assert_eq!(passed, 80_000);
    assert_eq!(allocations, 0, "the engine's allow path allocated");
}

/// A spoofed-source flood: every datagram from a new address, valid,
/// malformed and scanner traffic mixed. Once the tables are at their
/// configured bounds, nothing more is allocated: memory is bounded whatever
/// the sources.
#[test]
fn spoofed_source_flood_stays_within_the_configured_tables() {
    let config = EngineConfig::parse(
        "ban.max_sources = 256\nscanner.max_sources = 256\nbruteforce.max_sources = 256\n\
         events.noisy_per_second = 1000000\n",
    )
    .unwrap();
    let mut engine = Engine::new(config, JsonLinesSink::new(std::io::sink())).unwrap();
    let scanner: &[u8] = b"OPTIONS sip:100@guard.test SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bK-o\r\n\
From: <sip:100@guard.test>;tag=1\r\nTo: <sip:100@guard.test>\r\n\
Call-ID: o@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nUser-Agent: friendly-scanner\r\n\r\n";
    let mut flood = |from: u32, count: u32| {
        let mut refused = 0u64;
        for n in from..from + count {
            let src = IpAddr::V4(Ipv4Addr::from(0xc633_0000 | (n & 0xffff)));
            let datagram = match n % 4 {
                0 => REGISTER,
                1 => INVITE,
                2 => scanner,
                _ => b"\x16\x03\x01 not SIP",
            };
            let seen = engine.on_datagram(src, datagram, u64::from(n), 1_700_000_000_000);
            refused += u64::from(!seen.decision.action.passes());
        }
        refused
    };
    assert!(
        flood(0, 20_000) > 0,
        "warm-up: scanners and garbage refused"
    );
    let mut refused = 0;
    let allocations = count_allocations(|| refused = flood(20_000, 40_000));
    assert!(refused >= 20_000);
    assert_eq!(allocations, 0, "a flood of new sources allocated");
}
