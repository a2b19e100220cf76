//! Fuzz body: the guard configuration parser must never panic, and whatever
//! it accepts must be a valid, usable configuration.

use voipsec::guard::GuardConfig;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = GuardConfig::parse(text) {
        config.validate().expect("accepted configuration validates");
        let source = "192.0.2.1".parse().expect("literal address");
        let _ = config.acl.check(source, "INVITE", Some("1001"));
        let _ = config.dial_plan.classify("+44 20 7946 0018");
        let _ = config.scanners.find("friendly-scanner");
        // Every rule prints back to a line that parses to the same rule.
        for rule in config.acl.rules() {
            let again: voipsec::guard::AclRule =
                rule.to_string().parse().expect("printed ACL rule parses");
            assert_eq!(&again, rule);
        }
    }
}
