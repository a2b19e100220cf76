//! Guard policy look-ups, each next to the naive baseline a hand-written
//! guard would use (linear CIDR scan; lower-case copy + `contains` per
//! pattern), so the ratio comes from one run.
//!
//! `guard_path` is the full per-message path through the engine — parse,
//! sanity checks (grammar included), ban look-up, per-source GCRA, ACL,
//! User-Agent fingerprints, enumeration counters and the credentials check —
//! for a REGISTER and an INVITE from 64 rotating sources (the allow path;
//! digest verification itself is the `digest` bench's).
//!
//! Run: `cargo bench --bench guard` (one group: `-- guard_path`)

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use voipsec::guard::{
    Acl, AclAction, AclRule, DialPlan, EnumerationConfig, EnumerationDetector, ScannerFingerprints,
};

fn acl_rules() -> Vec<AclRule> {
    // 200 global /24 denies, an office allow, and the trunk restriction.
    let mut lines: Vec<String> = (0..200u32)
        .map(|n| format!("deny {}.{}.{}.0/24", 100 + n / 100, n % 100, n % 7))
        .collect();
    lines.push("allow 192.0.2.0/24 account admin".to_owned());
    lines.push("deny 0.0.0.0/0 account admin".to_owned());
    lines.push("allow 203.0.113.0/24 method INVITE account trunk".to_owned());
    lines.push("deny 0.0.0.0/0 method INVITE account trunk".to_owned());
    lines.push("deny 2001:db8:bad::/48".to_owned());
    lines.iter().map(|l| l.parse().unwrap()).collect()
}

/// The naive guard: scan every rule, keep the longest matching prefix among
/// rules whose scope applies (global semantics only: it is the cheaper one).
fn linear_scan(rules: &[AclRule], src: IpAddr, method: &str, account: Option<&str>) -> AclAction {
    let mut best: Option<(u8, AclAction)> = None;
    for rule in rules {
        let scope_ok = rule.method.as_deref().is_none_or(|m| m == method)
            && rule.account.as_deref().is_none_or(|a| Some(a) == account);
        if scope_ok && rule.cidr.contains(src) && best.is_none_or(|(len, _)| rule.cidr.len() > len)
        {
            best = Some((rule.cidr.len(), rule.action));
        }
    }
    best.map_or(AclAction::Allow, |(_, action)| action)
}

fn bench_acl(c: &mut Criterion) {
    let rules = acl_rules();
    let acl = Acl::new(rules.clone(), AclAction::Allow).unwrap();
    let sources: Vec<IpAddr> = [
        "192.0.2.10",
        "150.33.5.9",
        "203.0.113.7",
        "2001:db8:bad::1",
        "::ffff:100.3.3.1",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let mut group = c.benchmark_group("guard_acl_check");
    group.bench_function("voipsec_trie", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % sources.len();
            black_box(
                acl.check(black_box(sources[i]), "INVITE", Some("trunk"))
                    .action,
            )
        })
    });
    group.bench_function("naive_linear_scan", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % sources.len();
            black_box(linear_scan(
                &rules,
                black_box(sources[i]),
                "INVITE",
                Some("trunk"),
            ))
        })
    });
    group.finish();
}

fn bench_scanner(c: &mut Criterion) {
    let list = ScannerFingerprints::default();
    let agents = [
        "Yealink SIP-T46S 66.86.0.15",
        "friendly-scanner",
        "Linphone/5.2.0 (belle-sip/5.2.0)",
        "Grandstream GXP2170 1.0.11.3",
    ];
    let lowered: Vec<String> = voipsec::guard::scanner::DEFAULT_FINGERPRINTS
        .iter()
        .map(|(_, p)| p.to_ascii_lowercase())
        .collect();
    let mut group = c.benchmark_group("guard_user_agent");
    group.bench_function("voipsec_fingerprints", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % agents.len();
            black_box(list.find(black_box(agents[i])).is_some())
        })
    });
    group.bench_function("naive_lowercase_contains", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % agents.len();
            let ua = black_box(agents[i]).to_ascii_lowercase();
            black_box(lowered.iter().any(|p| ua.contains(p.as_str())))
        })
    });
    group.finish();
}

fn bench_dial_plan(c: &mut Criterion) {
    let plan = DialPlan::default();
    let numbers = [
        "+1 900 555 0100",
        "011 53 7 123 4567",
        "2125550100",
        "100",
        "+44 20 7946 0018",
    ];
    c.bench_function("guard_dial_plan_classify", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % numbers.len();
            black_box(plan.classify(black_box(numbers[i])))
        })
    });
}

fn bench_enumeration(c: &mut Criterion) {
    let mut detector = EnumerationDetector::new(EnumerationConfig {
        window: Duration::from_secs(60),
        ..EnumerationConfig::default()
    })
    .unwrap();
    let users = ["100", "101", "alice", "bob"];
    // 1024 active sources: every call updates a tracked source.
    c.bench_function("guard_enumeration_observe", |b| {
        let mut n = 0u32;
        b.iter(|| {
            n = n.wrapping_add(1);
            let src = IpAddr::V4((0x0a00_0000 | (n % 1024)).into());
            black_box(detector.observe_request(
                src,
                "REGISTER",
                users[n as usize % 4],
                u64::from(n),
            ))
        })
    });
}

fn bench_enumeration_evicting(c: &mut Criterion) {
    // Worst case: a spoofed flood of 8192 rotating sources against a
    // 4096-source table, so every call evicts the oldest source.
    let mut detector = EnumerationDetector::new(EnumerationConfig::default()).unwrap();
    c.bench_function("guard_enumeration_observe_evicting", |b| {
        let mut n = 0u32;
        b.iter(|| {
            n = n.wrapping_add(1);
            let src = IpAddr::V4((0x0a00_0000 | (n % 8192)).into());
            black_box(detector.observe_request(src, "REGISTER", "100", u64::from(n)))
        })
    });
}

/// An authenticated REGISTER that passes every policy (shared with the
/// guard bench and the engine allocation test).
const REGISTER: &[u8] = include_bytes!("../tests/data/guard/register-alice.sip");

/// An authenticated INVITE with SDP that passes every policy.
const INVITE: &[u8] = include_bytes!("../tests/data/guard/invite-alice.sip");

fn bench_guard_path(c: &mut Criterion) {
    use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink};
    // The ACL of the other benches, so the look-up is not trivially empty;
    // rates high enough that the allow path is what is measured.
    let mut text: String = acl_rules()
        .iter()
        .map(|rule| format!("acl {rule}\n"))
        .collect();
    text.push_str("flood.requests_per_second = 100000000\nflood.burst = 100000000\n");
    let config = EngineConfig::parse(&text).unwrap();
    let mut engine = Engine::new(config, JsonLinesSink::new(std::io::sink())).unwrap();
    let sources: Vec<IpAddr> = (0..64u32)
        .map(|n| IpAddr::V4((0x0a00_0000 | n).into()))
        .collect();
    let mut group = c.benchmark_group("guard_path");
    group.throughput(criterion::Throughput::Elements(1));
    // One clock for both messages: the engine's time never runs backwards.
    let mut n = 0u64;
    for (name, datagram) in [("register", REGISTER), ("invite", INVITE)] {
        assert_eq!(
            engine
                .on_datagram(sources[0], datagram, n / 1024, n)
                .decision
                .action,
            Action::Allow
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                let src = sources[(n % 64) as usize];
                let seen = engine.on_datagram(black_box(src), black_box(datagram), n / 1024, n);
                black_box(seen.decision.action)
            })
        });
    }
    // The same REGISTER through parse + sanity alone, in the same run: what
    // the policies add is the difference.
    let sanity = voipsec::sip::sanity::Sanity::default();
    group.bench_function("register_parse_sanity_only", |b| {
        b.iter(|| {
            let msg = voipsec::sip::Message::parse(black_box(REGISTER)).unwrap();
            black_box(sanity.check(&msg).is_ok())
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_guard_path,
    bench_acl,
    bench_scanner,
    bench_dial_plan,
    bench_enumeration,
    bench_enumeration_evicting
);
criterion_main!(benches);
