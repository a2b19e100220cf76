//! The attack scenarios of the SIP guard, played against the policy
//! components through their public API only (the same scenarios the sipp
//! integration tests will play against `examples/sip_guard.rs`):
//! a friendly-scanner sweep, silent extension enumeration, password guessing
//! next to a legitimate user, and toll fraud (premium destinations, probing
//! then burst). Every decision is written as a JSON line and checked.

use std::net::IpAddr;
use std::time::Duration;

use voipsec::guard::{
    AclAction, Action, BanList, BruteForceDetector, Decision, EnumerationDetector, Event,
    EventSink, GuardConfig, JsonLinesSink, ProbingDetector, Reason, Rule,
};

/// The request-side policies in the order an engine applies them, cheapest
/// and most decisive first.
struct Policies {
    config: GuardConfig,
    enumeration: EnumerationDetector,
    brute_force: BruteForceDetector,
    probing: ProbingDetector,
    bans: BanList,
    sink: JsonLinesSink<Vec<u8>>,
}

impl Policies {
    fn new(text: &str) -> Self {
        let config = GuardConfig::parse(text).unwrap();
        Policies {
            enumeration: EnumerationDetector::new(config.enumeration).unwrap(),
            brute_force: BruteForceDetector::new(config.brute_force).unwrap(),
            probing: ProbingDetector::new(config.probing).unwrap(),
            bans: BanList::new(config.bans).unwrap(),
            config,
            sink: JsonLinesSink::new(Vec::new()),
        }
    }

    fn block(&mut self, source: IpAddr, reason: Reason, now: u64) -> Decision {
        let duration = self.bans.ban(source, now);
        Decision::new(Action::Block { duration }, reason)
    }

    fn record(
        &mut self,
        source: IpAddr,
        account: Option<&str>,
        subject: Option<&str>,
        decision: Decision,
        now: u64,
    ) {
        if decision.action != Action::Allow {
            let event = Event {
                time_unix_ms: 1_700_000_000_000 + now,
                source,
                account,
                subject,
                decision,
            };
            self.sink.record(&event).unwrap();
        }
    }

    fn request(
        &mut self,
        source: IpAddr,
        method: &str,
        user: &str,
        user_agent: &str,
        now: u64,
    ) -> Decision {
        let decision = self.decide_request(source, method, user, user_agent, now);
        self.record(source, Some(user), Some(user_agent), decision, now);
        decision
    }

    fn decide_request(
        &mut self,
        source: IpAddr,
        method: &str,
        user: &str,
        user_agent: &str,
        now: u64,
    ) -> Decision {
        if let Some(left) = self.bans.remaining(source, now) {
            return Decision::new(
                Action::Block { duration: left },
                Reason::new(Rule::ActiveBlock, "source is blocked"),
            );
        }
        if self.config.acl.check(source, method, Some(user)).action == AclAction::Deny {
            return Decision::new(Action::Reject, Reason::new(Rule::Acl, "source not allowed"));
        }
        if self.config.scanners.find(user_agent).is_some() {
            let reason = Reason::new(Rule::ScannerUserAgent, "known scanner User-Agent");
            return self.block(source, reason, now);
        }
        if let Some(reason) = self.enumeration.observe_request(source, method, user, now) {
            return self.block(source, reason, now);
        }
        Decision::ALLOW
    }

    fn auth(&mut self, source: IpAddr, user: &str, ok: bool, now: u64) -> Decision {
        let decision = if let Some(left) = self.bans.remaining(source, now) {
            Decision::new(
                Action::Block { duration: left },
                Reason::new(Rule::ActiveBlock, "source is blocked"),
            )
        } else if ok {
            self.brute_force.record_success(source, user, now);
            Decision::ALLOW
        } else {
            match self.brute_force.record_failure(source, user, now) {
                Some(reason) if reason.rule == Rule::BruteForceSource => {
                    self.block(source, reason, now)
                }
                Some(reason) => Decision::new(
                    Action::Throttle {
                        retry_after: self.config.flood.retry_after,
                    },
                    reason,
                ),
                None => Decision::new(
                    Action::Challenge,
                    Reason::new(Rule::Pass, "wrong credentials"),
                ),
            }
        };
        self.record(source, Some(user), None, decision, now);
        decision
    }

    fn invite(&mut self, source: IpAddr, account: &str, number: &str, now: u64) -> Decision {
        let class = self.config.dial_plan.classify(number);
        let mut decision = self.config.destinations.decide(class);
        if let Some(reason) = self.probing.call_started(account, now) {
            decision = decision.most_severe(Decision::new(Action::Reject, reason));
        }
        self.record(source, Some(account), Some(number), decision, now);
        decision
    }

    fn call_ended(&mut self, source: IpAddr, account: &str, number: &str, seconds: u64, now: u64) {
        if let Some(reason) =
            self.probing
                .call_ended(account, number, Duration::from_secs(seconds), now)
        {
            self.record(
                source,
                Some(account),
                Some(number),
                Decision::new(Action::Alert, reason),
                now,
            );
        }
    }

    fn lines(&self) -> Vec<String> {
        let text = std::str::from_utf8(self.sink.get_ref()).unwrap();
        text.lines().map(str::to_owned).collect()
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Every line is one JSON object with the fields a SIEM keys on.
fn assert_json_lines(lines: &[String]) {
    for line in lines {
        assert!(
            line.starts_with("{\"time\":\"2023-11-1") && line.ends_with('}'),
            "{line}"
        );
        for field in [
            "\"source\":",
            "\"rule\":",
            "\"action\":",
            "\"observed\":",
            "\"reason\":",
        ] {
            assert!(line.contains(field), "{field} missing in {line}");
        }
    }
}

#[test]
fn friendly_scanner_sweep_is_dropped_and_banned() {
    let mut p = Policies::new("");
    let scanner = ip("198.51.100.66");
    let first = p.request(scanner, "OPTIONS", "100", "friendly-scanner", 0);
    assert_eq!(first.reason.rule, Rule::ScannerUserAgent);
    assert_eq!(
        first.action,
        Action::Block {
            duration: Duration::from_secs(60)
        }
    );
    assert!(!first.action.passes());
    for n in 1..50u64 {
        let d = p.request(
            scanner,
            "OPTIONS",
            &format!("{}", 100 + n),
            "friendly-scanner",
            n * 10,
        );
        assert_eq!(d.reason.rule, Rule::ActiveBlock);
        assert!(!d.action.passes());
    }
    // A phone elsewhere is untouched.
    let phone = ip("192.0.2.10");
    assert!(
        p.request(phone, "REGISTER", "1001", "Yealink SIP-T46S", 600)
            .action
            .passes()
    );
    let lines = p.lines();
    assert_eq!(lines.len(), 50);
    assert_json_lines(&lines);
    assert!(
        lines[0]
            .contains("\"rule\":\"scanner.user_agent\",\"action\":\"block\",\"block_ms\":60000")
    );
    assert!(lines[1].contains("\"rule\":\"block.active\""));
}

#[test]
fn silent_enumeration_is_caught_by_distinct_users() {
    let mut p = Policies::new("scanner.distinct_users = 20\n");
    let scanner = ip("2001:db8:bad::7");
    let mut caught_at = None;
    for n in 0..100u64 {
        // A different address of the same /64 each time.
        let src = IpAddr::V6((u128::from(ip_v6("2001:db8:bad::")) | u128::from(n)).into());
        let d = p.request(src, "REGISTER", &(100 + n).to_string(), "Zoiper rv2.10", n);
        if !d.action.passes() {
            caught_at.get_or_insert(n);
        }
    }
    assert_eq!(
        caught_at,
        Some(19),
        "20th distinct extension trips the rule"
    );
    assert!(p.bans.remaining(scanner, 100).is_some());
    let lines = p.lines();
    assert!(lines[0].contains("\"rule\":\"scanner.enumeration\""));
    assert!(lines[0].contains("\"observed\":20,\"limit\":20"));
}

fn ip_v6(s: &str) -> std::net::Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn password_guessing_is_banned_while_the_real_user_registers() {
    let mut p = Policies::new("bruteforce.source_failures = 5\n");
    let guesser = ip("203.0.113.99");
    let phone = ip("192.0.2.10");
    let mut decisions = Vec::new();
    for n in 0..5u64 {
        decisions.push(p.auth(guesser, "1001", false, n * 100));
    }
    assert!(decisions[..4].iter().all(|d| d.action == Action::Challenge));
    assert_eq!(decisions[4].reason.rule, Rule::BruteForceSource);
    assert!(matches!(decisions[4].action, Action::Block { .. }));
    // The guesser is now blocked even with a clean User-Agent…
    let blocked = p.request(guesser, "REGISTER", "1001", "Linphone/5.2", 600);
    assert_eq!(blocked.reason.rule, Rule::ActiveBlock);
    // …while the real 1001, mistyping once, registers from its own address.
    assert!(
        p.request(phone, "REGISTER", "1001", "Yealink SIP-T46S", 700)
            .action
            .passes()
    );
    assert_eq!(p.auth(phone, "1001", false, 710).action, Action::Challenge);
    assert_eq!(p.auth(phone, "1001", true, 720), Decision::ALLOW);
    // Back after the ban, still inside the counting window: the very next
    // failure is a second strike, and the ban doubles.
    let again = p.auth(guesser, "1002", false, 120_000);
    assert_eq!(
        again.action,
        Action::Block {
            duration: Duration::from_secs(120)
        }
    );
    assert_eq!(
        p.auth(guesser, "1002", false, 120_001).reason.rule,
        Rule::ActiveBlock
    );
    assert_json_lines(&p.lines());
}

#[test]
fn premium_destinations_are_refused_and_probing_then_burst_is_stopped() {
    let mut p = Policies::new(
        "fraud.distinct_destinations = 4\n\
         fraud.burst_calls = 3\n\
         destination.international = alert\n",
    );
    let pbx_user = ip("192.0.2.20");
    // Premium-rate: refused outright, with a reason.
    let d = p.invite(pbx_user, "alice", "+1 900 555 0100", 0);
    assert_eq!(
        (d.action, d.reason.rule),
        (Action::Reject, Rule::FraudDestination)
    );
    assert_eq!(d.reason.text, "premium-rate destination");
    // Domestic calls pass silently; international ones raise an alert.
    assert_eq!(
        p.invite(pbx_user, "alice", "212 555 0100", 10),
        Decision::ALLOW
    );
    assert_eq!(
        p.invite(pbx_user, "alice", "011 44 20 7946 0018", 20)
            .action,
        Action::Alert
    );
    // Emergency is never refused.
    assert_eq!(p.invite(pbx_user, "alice", "911", 30), Decision::ALLOW);

    // A stolen account probes four destinations with short calls…
    let fraudster = ip("198.51.100.200");
    let probes = [
        "011 44 20 7946 0001",
        "011 33 1 23 45 67 89",
        "011 49 30 1234567",
        "011 34 91 123 4567",
    ];
    for (n, number) in probes.iter().enumerate() {
        let t = 100_000 + n as u64 * 5_000;
        assert!(p.invite(fraudster, "bob", number, t).action.passes());
        p.call_ended(fraudster, "bob", number, 2, t + 2_000);
    }
    // …then bursts: the third call within the burst window is refused.
    let burst: Vec<Decision> = (0..3)
        .map(|n| p.invite(fraudster, "bob", "011 44 20 7946 0999", 130_000 + n))
        .collect();
    assert!(burst[..2].iter().all(|d| d.action.passes()));
    assert_eq!(
        (burst[2].action, burst[2].reason.rule),
        (Action::Reject, Rule::FraudBurst)
    );
    let lines = p.lines();
    assert_json_lines(&lines);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"rule\":\"fraud.probing\",\"action\":\"alert\""))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"rule\":\"fraud.burst\",\"action\":\"reject\""))
    );
}

#[test]
fn trunk_acl_rejects_invites_from_outside_the_provider() {
    let mut p = Policies::new(
        "acl allow 203.0.113.0/24 method INVITE account trunk\n\
         acl deny 0.0.0.0/0 method INVITE account trunk\n\
         acl deny ::/0 method INVITE account trunk\n",
    );
    assert!(
        p.request(ip("203.0.113.5"), "INVITE", "trunk", "Provider SBC", 0)
            .action
            .passes()
    );
    let d = p.request(
        ip("::ffff:198.51.100.5"),
        "INVITE",
        "trunk",
        "Provider SBC",
        1,
    );
    assert_eq!((d.action, d.reason.rule), (Action::Reject, Rule::Acl));
    assert!(
        p.request(ip("198.51.100.5"), "OPTIONS", "trunk", "Provider SBC", 2)
            .action
            .passes()
    );
}
