//! Fuzz body: the per-message look-ups on attacker-controlled strings —
//! User-Agent fingerprints, dialed-number classification, CIDR and ACL rule
//! parsing, enumeration counting, event output — never panic, and the JSON
//! line stays one line.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use voipsec::guard::{
    Action, Cidr, Decision, DialPlan, EnumerationConfig, EnumerationDetector, Event, EventSink,
    JsonLinesSink, Reason, Rule, ScannerFingerprints,
};

pub fn run(data: &[u8]) {
    let scanners = ScannerFingerprints::default();
    let _ = scanners.find(data);
    let text = String::from_utf8_lossy(data);
    let class = DialPlan::default().classify(&text);
    let _ = DialPlan::new("44", &["00"], Some("0")).map(|p| p.classify(&text));
    if let Ok(cidr) = text.parse::<Cidr>() {
        assert!(cidr.contains(cidr.addr()));
        let again: Cidr = cidr.to_string().parse().expect("printed CIDR parses");
        assert_eq!(again, cidr);
    }
    let _ = text.parse::<voipsec::guard::AclRule>();

    let mut octets = [0u8; 16];
    for (slot, byte) in octets.iter_mut().zip(data) {
        *slot = *byte;
    }
    let source = IpAddr::V6(Ipv6Addr::from(octets));
    let mut detector = EnumerationDetector::new(EnumerationConfig {
        max_sources: 4,
        distinct_users: 2,
        ..EnumerationConfig::default()
    })
    .expect("valid thresholds");
    for (n, user) in text.split(',').take(64).enumerate() {
        let _ = detector.observe_request(source, user, user, n as u64);
    }
    assert!(detector.tracked_sources() <= 4);

    let mut sink = JsonLinesSink::new(Vec::new());
    let event = Event {
        time_unix_ms: u64::from_le_bytes([octets[0], octets[1], octets[2], octets[3], 0, 0, 0, 0]),
        source,
        account: Some(&text),
        subject: Some(class.name()),
        decision: Decision::new(
            Action::Block {
                duration: Duration::from_secs(60),
            },
            Reason::new(Rule::ScannerUserAgent, "fuzz"),
        ),
    };
    sink.record(&event).expect("writing to a Vec cannot fail");
    let line = sink.into_inner();
    assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
    assert_eq!(line.last(), Some(&b'\n'));
    assert!(!event.to_string().contains('\n'));
}
