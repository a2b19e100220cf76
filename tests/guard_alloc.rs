//! Proves that the guard's per-message paths allocate nothing once built:
//! ACL look-ups, scanner fingerprints, dial-plan classification, the
//! detectors (including their eviction paths under a flood of new sources),
//! the ban list, and JSON-lines event output.
//!
//! A counting global allocator needs `unsafe impl GlobalAlloc`; it only
//! forwards to the system allocator.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::count_allocations;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use voipsec::guard::{
    Action, BanList, BruteForceDetector, Decision, EnumerationDetector, Event, EventSink,
    GuardConfig, JsonLinesSink, ProbingDetector, Reason, Rule,
};

const CONFIG: &str = "\
acl allow 203.0.113.0/24 method INVITE account trunk
acl deny 0.0.0.0/0 method INVITE account trunk
acl deny ::/0 method INVITE account trunk
acl deny 198.51.100.0/24
acl allow 2001:db8::/32 account admin
acl deny ::/0 account admin
scanner.max_sources = 64
fraud.max_accounts = 64
bruteforce.max_sources = 64
bruteforce.max_users = 64
ban.max_sources = 64
";

fn source(n: u32) -> IpAddr {
    if n.is_multiple_of(3) {
        IpAddr::V6(Ipv6Addr::from(
            0x2001_0db8_0000_0000_0000_0000_0000_0000u128 | (u128::from(n) << 64),
        ))
    } else {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | n))
    }
}

#[test]
fn per_message_paths_do_not_allocate() {
    // The counter itself works.
    assert!(count_allocations(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(8)))) >= 1);
    let config = GuardConfig::parse(CONFIG).unwrap();
    let mut enumeration = EnumerationDetector::new(config.enumeration).unwrap();
    let mut brute_force = BruteForceDetector::new(config.brute_force).unwrap();
    let mut probing = ProbingDetector::new(config.probing).unwrap();
    let mut bans = BanList::new(config.bans).unwrap();
    let mut sink = JsonLinesSink::new(std::io::sink());
    let mut text = std::io::sink();
    let users = ["100", "101", "102", "alice", "bob", "trunk", "admin"];
    let numbers = [
        "+19005550100",
        "011 53 7 123 4567",
        "2125550100",
        "100",
        "911",
        "alice",
    ];
    let agents = [
        "Yealink SIP-T46S",
        "friendly-scanner",
        "Cisco",
        "x".repeat(300).leak(),
    ];

    let mut exercise = |rounds: u32| {
        let mut checksum = 0u64;
        for n in 0..rounds {
            let src = source(n);
            let user = users[n as usize % users.len()];
            let number = numbers[n as usize % numbers.len()];
            let now = u64::from(n) * 7;
            let verdict = config.acl.check(src, "INVITE", Some(user));
            checksum += verdict.rule.is_some() as u64;
            checksum += config
                .scanners
                .find(agents[n as usize % agents.len()])
                .is_some() as u64;
            let class = config.dial_plan.classify(number);
            let decision = config.destinations.decide(class);
            checksum += decision.action.severity() as u64;
            checksum += enumeration
                .observe_request(src, "REGISTER", user, now)
                .is_some() as u64;
            checksum += enumeration.observe_response(src, 404, now).is_some() as u64;
            checksum += brute_force.record_failure(src, user, now).is_some() as u64;
            brute_force.record_success(src, user, now);
            checksum += probing.call_started(user, now).is_some() as u64;
            checksum += probing
                .call_ended(user, number, Duration::from_secs(1), now)
                .is_some() as u64;
            if n.is_multiple_of(5) {
                bans.ban(src, now);
            }
            checksum += bans.remaining(src, now).is_some() as u64;
            let event = Event {
                time_unix_ms: 1_700_000_000_000 + now,
                source: src,
                account: Some(user),
                subject: Some("ua \"quoted\"\r\n"),
                decision: Decision::new(
                    Action::Block {
                        duration: Duration::from_secs(60),
                    },
                    Reason::counted(Rule::BruteForceSource, "failed authentications", 11, 10),
                ),
            };
            sink.record(&event).unwrap();
            write!(text, "{event}").unwrap();
        }
        checksum
    };
    // Warm-up: tables fill up and buffers reach their size.
    let warm = exercise(1_000);
    assert!(warm > 0);
    let mut checksum = 0;
    let allocations = count_allocations(|| checksum = exercise(20_000));
    assert!(checksum > 0);
    assert_eq!(allocations, 0, "per-message guard paths allocated");
}
