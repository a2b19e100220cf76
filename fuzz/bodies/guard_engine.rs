//! Fuzz body: the engine's whole per-message path on attacker bytes. The
//! input is split at each `\0` into datagrams, each from a source chosen by
//! its first byte; every datagram also goes through call admission and
//! response accounting. Invariants: nothing panics, a passing decision
//! always comes with a message that parsed and passed the sanity checks,
//! and a datagram refused unread was refused by a block or the flood limit.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use voipsec::guard::{Engine, EngineConfig, JsonLinesSink, Rule, Unread};

pub fn run(data: &[u8]) {
    let config = EngineConfig::parse(
        "ban.max_sources = 64\nscanner.max_sources = 64\nbruteforce.max_sources = 64\n\
         bruteforce.max_users = 64\nfraud.max_accounts = 64\ncalls.max_accounts = 64\n\
         scanner.distinct_users = 4\nflood.malformed = 3\nflood.burst = 8\n\
         flood.requests_per_second = 8\ncalls.max_concurrent = 2\n\
         acl allow 10.0.0.0/8 account admin\nacl deny 0.0.0.0/0 account admin\n",
    )
    .expect("valid configuration");
    let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new())).expect("valid engine");
    let mut permits = Vec::new();
    for (n, datagram) in data.split(|&b| b == 0).enumerate() {
        let now = n as u64 * 37;
        let selector = datagram.first().copied().unwrap_or(0);
        let source = match selector % 3 {
            0 => IpAddr::V4(Ipv4Addr::new(10, 0, 0, selector)),
            1 => IpAddr::V4(Ipv4Addr::new(198, 51, 100, selector)),
            _ => IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0xdb8,
                0,
                u16::from(selector),
                0,
                0,
                0,
                1,
            )),
        };
        let seen = engine.on_datagram(source, datagram, now, 1_700_000_000_000 + now);
        match &seen.message {
            Ok(_) => {}
            Err(Unread::Refused) => assert!(
                matches!(
                    seen.decision.reason.rule,
                    Rule::ActiveBlock | Rule::RequestFlood
                ),
                "{:?}",
                seen.decision
            ),
            Err(_) => assert!(!seen.decision.action.passes(), "{:?}", seen.decision),
        }
        let text = String::from_utf8_lossy(datagram);
        let admission = engine.on_call_start(source, "alice", &text, now, 0);
        assert_eq!(
            admission.permit.is_some(),
            admission.decision.action.passes()
        );
        permits.extend(admission.permit);
        if permits.len() > 1 {
            permits.remove(0);
        }
        let _ = engine.on_call_ended(
            source,
            "alice",
            &text,
            Duration::from_millis(now % 20_000),
            now,
            0,
        );
        let _ = engine.on_response(source, 400 + u16::from(selector % 100), now, 0);
    }
    let log = engine.into_sink().into_inner();
    let log = String::from_utf8(log).expect("events are UTF-8");
    assert!(
        log.lines()
            .all(|line| line.starts_with('{') && line.ends_with('}'))
    );
}
