//! The guard engine's tables under traffic from many more sources, users
//! and accounts than they may hold: each fills up to its configured bound
//! and never beyond (`Engine::stats`, what `scripts/load-test` reads from
//! `sip_guard --stats` under its flood, checked here in-process and fast).

use std::net::{IpAddr, Ipv4Addr};

use voipsec::guard::{Engine, EngineConfig, EngineStats, JsonLinesSink};

const WALL_MS: u64 = 1_795_000_000_000;

fn source(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))
}

fn register(i: u32) -> Vec<u8> {
    format!(
        "REGISTER sip:192.0.2.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {ip}:5060;branch=z9hG4bK-{i}\r\n\
         From: <sip:{user}@192.0.2.1>;tag={i}\r\nTo: <sip:{user}@192.0.2.1>\r\n\
         Call-ID: {i}@bounds\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n\
         Contact: <sip:{user}@{ip}:5060>\r\nContent-Length: 0\r\n\r\n",
        ip = source(i),
        user = 1000 + i % 5000,
    )
    .into_bytes()
}

fn assert_within(stats: &EngineStats) {
    assert!(stats.within_bounds(), "{stats}");
    for (name, table) in stats.tables() {
        assert!(table.tracked <= table.capacity, "{name}: {table}");
    }
}

#[test]
fn every_table_fills_to_its_bound_and_no_further() {
    let config = EngineConfig::parse(
        "ban.max_sources = 1000\n\
         scanner.max_sources = 300\n\
         bruteforce.max_sources = 200\n\
         bruteforce.max_users = 100\n\
         calls.max_accounts = 150\n\
         fraud.max_accounts = 120\n\
         bruteforce.source_failures = 1000\n\
         bruteforce.spray_users = 64\n\
         bruteforce.user_failures = 1000\n",
    )
    .unwrap();
    let mut engine = Engine::new(config, JsonLinesSink::new(std::io::sink())).unwrap();
    let mut permits = Vec::new();
    for i in 0..20_000u32 {
        let ip = source(i);
        let now = u64::from(i);
        let wall = WALL_MS + now;
        let datagram = register(i);
        let seen = engine.on_datagram(ip, &datagram, now, wall);
        assert!(seen.message.is_ok(), "REGISTER {i} did not parse");
        if i % 10 == 0 {
            // Junk until the source is banned for malformed traffic.
            for _ in 0..12 {
                let _ = engine.on_datagram(ip, b"\x00 not SIP", now, wall);
            }
        }
        // Failed logins from many sources for many users.
        let user = format!("user{}", i % 700);
        let _ = engine.on_auth(
            ip,
            &user,
            &voipsec::digest::Verdict::WrongResponse,
            now,
            wall,
        );
        // Calls by many accounts; a few stay open.
        let account = format!("acct{i}");
        let call = engine.on_call_start(ip, &account, "2001", now, wall);
        if i % 100 == 0
            && let Some(permit) = call.permit
        {
            permits.push(permit);
        }
        if i % 997 == 0 {
            assert_within(&engine.stats());
        }
    }
    let stats = engine.stats();
    assert_within(&stats);
    // Tables keyed by a bounded tracker hold exactly their bound once more
    // keys than that have been seen.
    assert_eq!(stats.enumeration_sources.tracked, 300, "{stats}");
    assert_eq!(stats.brute_force_sources.tracked, 200, "{stats}");
    assert_eq!(stats.brute_force_users.tracked, 100, "{stats}");
    assert_eq!(stats.probing_accounts.tracked, 120, "{stats}");
    assert_eq!(stats.banned_sources.tracked, 1000, "{stats}");
    // Sharded rate-limiter tables: full enough to show eviction happened,
    // never over the per-family bound (IPv4 only here).
    for (name, table) in [
        ("request_sources_v4", stats.request_sources_v4),
        ("malformed_sources_v4", stats.malformed_sources_v4),
    ] {
        assert_eq!(table.capacity, 1000, "{name}: {table}");
        assert!(table.tracked >= 500, "{name}: {table}");
    }
    assert_eq!(stats.request_sources_v6.tracked, 0, "{stats}");
    assert!(stats.call_rate_accounts.tracked <= 150, "{stats}");
    assert!(stats.call_rate_accounts.tracked >= 75, "{stats}");
    // Open calls hold their accounts' slots.
    assert_eq!(stats.concurrent_accounts.tracked, permits.len().min(150));
    drop(permits);
    assert_eq!(engine.stats().concurrent_accounts.tracked, 0);
    // The JSON form names every table.
    let json = stats.to_string();
    assert!(
        json.starts_with("{\"banned_sources\":{\"tracked\":1000,\"capacity\":1000},"),
        "{json}"
    );
    assert!(json.ends_with(&format!(
        "\"suppressed_events\":{}}}",
        stats.suppressed_events
    )));
}
