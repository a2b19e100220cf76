//! Everything the guard can be told: thresholds, ACLs, scanner fingerprints,
//! the dial plan and its destination prefixes — with safe defaults, and a
//! small text format for `examples/sip_guard.rs --config FILE`.
//!
//! # Grammar
//!
//! One statement per line; leading and trailing whitespace is ignored.
//!
//! ```text
//! file      = { line "\n" }
//! line      = "" | comment | rule | setting
//! comment   = "#" { any }                        ; only at the start of a line
//! rule      = "acl" ("allow" | "deny") CIDR [ "method" METHOD ] [ "account" ACCOUNT ]
//!           | "prefix" CLASS DIGITS              ; CLASS: domestic | international | premium | high-risk
//!           | "scanner" ("contains" | "prefix" | "exact") PATTERN   ; PATTERN: rest of the line
//! setting   = KEY "=" VALUE
//! VALUE     = NUMBER | DURATION | BOOL | WORD | LIST
//! DURATION  = NUMBER ("ms" | "s" | "m" | "h" | "d")
//! BOOL      = "true" | "false"
//! LIST      = item { "," item }                  ; e.g. "011, 00"
//! ```
//!
//! `acl`, `prefix` and `scanner` lines add to the lists in file order (ACL
//! precedence is by prefix length and scope, see [`super::acl`]; a later
//! `prefix` for the same digits replaces an earlier one). A repeated setting
//! replaces the earlier value. An unknown key is an error, so a misspelt
//! threshold is never silently ignored.
//!
//! # Keys
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `acl.default` | `allow` or `deny` when no ACL rule matches | allow |
//! | `sources.ipv6_prefix_len` | IPv6 sources are counted and banned per prefix | 64 |
//! | `scanner.defaults` | include the built-in fingerprints | true |
//! | `scanner.window` | enumeration window | 60s |
//! | `scanner.distinct_users` | distinct target users per window, ≤ 64 | 32 |
//! | `scanner.failure_responses` | 404/401/403/407/484 answers per window | 40 |
//! | `scanner.options_requests` | OPTIONS per window | 120 |
//! | `scanner.max_sources` | sources tracked | 4096 |
//! | `scanner.block_for` | ban length for a detected scanner; `0s`: drop only | 1h |
//! | `dialplan.country_code` | home country code | 1 |
//! | `dialplan.international_prefixes` | access prefixes | 011, 00 |
//! | `dialplan.trunk_prefix` | national trunk prefix, or `none` | 1 |
//! | `dialplan.max_extension_len` | longest extension | 6 |
//! | `dialplan.emergency` | emergency numbers | 112, 911, 999 |
//! | `prefix.defaults` | include the built-in premium/high-risk tables | true |
//! | `destination.internal` … `destination.unknown` | `allow`, `alert` or `reject` per class (`internal`, `domestic`, `international`, `premium`, `high-risk`, `unknown`) | international alert; premium, high-risk reject; others allow |
//! | `fraud.window` | probing window | 10m |
//! | `fraud.short_call` | calls shorter than this are probes | 10s |
//! | `fraud.distinct_destinations` | probe destinations per window, ≤ 64 | 8 |
//! | `fraud.flag_for` | how long probing is remembered | 1h |
//! | `fraud.burst_window` / `fraud.burst_calls` | burst after probing | 60s / 5 |
//! | `fraud.max_accounts` | accounts tracked | 4096 |
//! | `bruteforce.window` | failure counting window | 10m |
//! | `bruteforce.source_failures` | failures per source | 10 |
//! | `bruteforce.spray_users` | failed users per source, ≤ 64 | 5 |
//! | `bruteforce.user_failures` | failures per user, all sources | 20 |
//! | `bruteforce.max_sources` / `bruteforce.max_users` | sources / users tracked | 4096 / 4096 |
//! | `ban.base` / `ban.max` / `ban.forget_after` | escalating bans | 60s / 24h / 24h |
//! | `ban.max_sources` | sources remembered | 65536 |
//! | `flood.requests_per_second` / `flood.burst` | per-source request rate | 50 / 100 |
//! | `flood.retry_after` | `Retry-After` of a throttled source | 5s |
//! | `flood.malformed` / `flood.malformed_window` | malformed messages before a block | 10 / 60s |
//!
//! ```
//! use voipsec::guard::{AclAction, DestinationClass, GuardConfig};
//!
//! let config = GuardConfig::parse(
//!     "# office PBX in the UK\n\
//!      acl.default = allow\n\
//!      acl allow 192.0.2.0/24 account admin\n\
//!      acl deny 0.0.0.0/0 account admin\n\
//!      dialplan.country_code = 44\n\
//!      dialplan.international_prefixes = 00\n\
//!      dialplan.trunk_prefix = 0\n\
//!      prefix premium 4487\n\
//!      scanner contains evil-dialer\n\
//!      bruteforce.source_failures = 5\n\
//!      ban.base = 5m\n",
//! )
//! .unwrap();
//! let ip = |s: &str| s.parse().unwrap();
//! assert_eq!(config.acl.check(ip("198.51.100.1"), "REGISTER", Some("admin")).action, AclAction::Deny);
//! assert_eq!(config.dial_plan.classify("0871 123 4567"), DestinationClass::PremiumRate);
//! assert!(config.scanners.find("Evil-Dialer/2").is_some());
//! assert_eq!(config.brute_force.source_failures, 5);
//! assert_eq!(config.bans.base.as_secs(), 300);
//! ```

use std::path::Path;
use std::time::Duration;

use super::acl::{Acl, AclAction, AclRule};
use super::ban::BanConfig;
use super::bruteforce::BruteForceConfig;
use super::error::GuardError;
use super::fraud::{ClassAction, DestinationClass, DestinationPolicy, DialPlan, ProbingConfig};
use super::scanner::{
    DEFAULT_FINGERPRINTS, EnumerationConfig, Fingerprint, MatchKind, ScannerFingerprints,
};

/// The largest configuration file [`GuardConfig::from_file`] reads.
///
/// ```
/// use voipsec::guard::{GuardConfig, GuardError};
/// use voipsec::guard::config::MAX_CONFIG_BYTES;
///
/// // A wrong path to an endless file stops at the bound.
/// let err = GuardConfig::from_file("/dev/zero").unwrap_err();
/// assert!(matches!(err, GuardError::TooMany { max, .. } if max as u64 == MAX_CONFIG_BYTES));
/// ```
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// Per-source request-rate and malformed-message thresholds, applied by the
/// engine with the `ratelimit` module.
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::{FloodConfig, GuardConfig};
///
/// let config = GuardConfig::parse("flood.requests_per_second = 20\nflood.retry_after = 30s")?;
/// assert_eq!(config.flood.requests_per_second, 20);
/// assert_eq!(config.flood.retry_after, Duration::from_secs(30));
/// // Keys not given keep their defaults.
/// assert_eq!(config.flood.malformed, FloodConfig::default().malformed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodConfig {
    /// Sustained requests per second per source.
    pub requests_per_second: u32,
    /// Burst above the sustained rate.
    pub burst: u32,
    /// `Retry-After` given to a throttled source.
    pub retry_after: Duration,
    /// Malformed messages (sanity failures) per window before a block.
    pub malformed: u32,
    /// The malformed-message window.
    pub malformed_window: Duration,
}

impl Default for FloodConfig {
    fn default() -> Self {
        FloodConfig {
            requests_per_second: 50,
            burst: 100,
            retry_after: Duration::from_secs(5),
            malformed: 10,
            malformed_window: Duration::from_secs(60),
        }
    }
}

/// The whole guard configuration, compiled and validated.
///
/// ```
/// use voipsec::guard::{Action, AclAction, DestinationClass, GuardConfig};
///
/// let config = GuardConfig::parse("acl deny 198.51.100.0/24\ndestination.international = reject")?;
/// let ip = "198.51.100.1".parse()?;
/// assert_eq!(config.acl.check(ip, "INVITE", None).action, AclAction::Deny);
/// let class = config.dial_plan.classify("011 44 20 7946 0000");
/// assert_eq!(class, DestinationClass::International);
/// assert_eq!(config.destinations.decide(class).action, Action::Reject);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct GuardConfig {
    /// Source access lists.
    pub acl: Acl,
    /// Scanner User-Agent fingerprints.
    pub scanners: ScannerFingerprints,
    /// Enumeration thresholds.
    pub enumeration: EnumerationConfig,
    /// Ban length for a detected scanner (zero: drop silently, no ban).
    pub scanner_block_for: Duration,
    /// Dial plan and destination prefixes.
    pub dial_plan: DialPlan,
    /// Action per destination class.
    pub destinations: DestinationPolicy,
    /// Toll-fraud probing thresholds.
    pub probing: ProbingConfig,
    /// Password-guessing thresholds.
    pub brute_force: BruteForceConfig,
    /// Ban escalation.
    pub bans: BanConfig,
    /// Request-rate and malformed-message thresholds.
    pub flood: FloodConfig,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            acl: Acl::empty(AclAction::Allow),
            scanners: ScannerFingerprints::default(),
            enumeration: EnumerationConfig::default(),
            scanner_block_for: Duration::from_secs(3600),
            dial_plan: DialPlan::default(),
            destinations: DestinationPolicy::default(),
            probing: ProbingConfig::default(),
            brute_force: BruteForceConfig::default(),
            bans: BanConfig::default(),
            flood: FloodConfig::default(),
        }
    }
}

/// What the text says, before compilation.
struct Draft {
    acl_default: AclAction,
    acl_rules: Vec<AclRule>,
    scanner_defaults: bool,
    fingerprints: Vec<Fingerprint>,
    country_code: String,
    international_prefixes: Vec<String>,
    trunk_prefix: Option<String>,
    max_extension_len: usize,
    emergency: Vec<String>,
    prefix_defaults: bool,
    prefixes: Vec<(usize, String, DestinationClass)>,
    ipv6_prefix_len: u8,
    config: GuardConfig,
}

impl GuardConfig {
    /// Reads and parses a configuration file (at most
    /// [`MAX_CONFIG_BYTES`]: a wrong path such as `/dev/zero` must not
    /// exhaust memory).
    ///
    /// ```
    /// use voipsec::guard::{GuardConfig, GuardError};
    ///
    /// let path = std::env::temp_dir().join(format!("voipsec-guard-doc-{}.conf", std::process::id()));
    /// std::fs::write(&path, "# thresholds\nbruteforce.source_failures = 4\n")?;
    /// assert_eq!(GuardConfig::from_file(&path)?.brute_force.source_failures, 4);
    /// std::fs::remove_file(&path)?;
    /// assert!(matches!(GuardConfig::from_file(&path), Err(GuardError::ConfigFile(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, GuardError> {
        GuardConfig::parse(&read_config_file(path.as_ref())?)
    }

    /// Parses the text format (see the module docs); missing settings keep
    /// their defaults. Every rule and threshold is validated.
    ///
    /// ```
    /// use voipsec::guard::GuardConfig;
    ///
    /// let config = GuardConfig::parse("scanner contains evil-dialer\nscanner.block_for = 0s")?;
    /// assert!(config.scanners.find("Evil-Dialer/2.1").is_some());
    /// assert!(config.scanner_block_for.is_zero());
    /// // A misspelt key is an error that names its line, never ignored.
    /// let err = GuardConfig::parse("\nbruteforce.source_failure = 4").unwrap_err();
    /// assert!(err.to_string().contains("line 2"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, GuardError> {
        let mut draft = Draft {
            acl_default: AclAction::Allow,
            acl_rules: Vec::new(),
            scanner_defaults: true,
            fingerprints: Vec::new(),
            country_code: "1".to_owned(),
            international_prefixes: vec!["011".to_owned(), "00".to_owned()],
            trunk_prefix: Some("1".to_owned()),
            max_extension_len: 6,
            emergency: ["112", "911", "999"].map(str::to_owned).to_vec(),
            prefix_defaults: true,
            prefixes: Vec::new(),
            ipv6_prefix_len: 64,
            config: GuardConfig::default(),
        };
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let statement = raw.trim();
            if statement.is_empty() || statement.starts_with('#') {
                continue;
            }
            draft.statement(line, statement)?;
        }
        draft.finish()
    }
}

fn in_rule(line: usize) -> impl FnOnce(GuardError) -> GuardError {
    move |e| match e {
        GuardError::ConfigSyntax { reason, .. } => GuardError::ConfigSyntax { line, reason },
        other => GuardError::ConfigRule {
            line,
            source: Box::new(other),
        },
    }
}

impl Draft {
    fn statement(&mut self, line: usize, statement: &str) -> Result<(), GuardError> {
        let (first, rest) = statement
            .split_once(|c: char| c.is_ascii_whitespace())
            .map_or((statement, ""), |(f, r)| (f, r.trim()));
        match first {
            "acl" => {
                let rule: AclRule = rest.parse().map_err(in_rule(line))?;
                if self.acl_rules.len() >= super::acl::MAX_ACL_RULES {
                    return Err(GuardError::TooMany {
                        what: "ACL rules",
                        max: super::acl::MAX_ACL_RULES,
                    });
                }
                self.acl_rules.push(rule);
            }
            "prefix" => {
                let mut words = rest.split_ascii_whitespace();
                let (Some(class), Some(digits), None) = (words.next(), words.next(), words.next())
                else {
                    return Err(GuardError::ConfigSyntax {
                        line,
                        reason: "expected `prefix CLASS DIGITS`",
                    });
                };
                let class: DestinationClass = class.parse().map_err(in_rule(line))?;
                if self.prefixes.len() >= super::fraud::MAX_PREFIXES {
                    return Err(GuardError::TooMany {
                        what: "destination prefixes",
                        max: super::fraud::MAX_PREFIXES,
                    });
                }
                self.prefixes.push((line, digits.to_owned(), class));
            }
            "scanner" => {
                let (kind, pattern) = rest
                    .split_once(|c: char| c.is_ascii_whitespace())
                    .map_or((rest, ""), |(k, p)| (k, p.trim()));
                let kind = match kind {
                    "contains" => MatchKind::Contains,
                    "prefix" => MatchKind::Prefix,
                    "exact" => MatchKind::Exact,
                    _ => {
                        return Err(GuardError::ConfigSyntax {
                            line,
                            reason: "expected `scanner contains|prefix|exact PATTERN`",
                        });
                    }
                };
                let fingerprint = Fingerprint::new(kind, pattern).map_err(in_rule(line))?;
                if self.fingerprints.len() >= super::scanner::MAX_FINGERPRINTS {
                    return Err(GuardError::TooMany {
                        what: "scanner fingerprints",
                        max: super::scanner::MAX_FINGERPRINTS,
                    });
                }
                self.fingerprints.push(fingerprint);
            }
            _ => {
                let Some((key, value)) = statement.split_once('=') else {
                    return Err(GuardError::ConfigSyntax {
                        line,
                        reason: "expected `key = value`, `acl …`, `prefix …` or `scanner …`",
                    });
                };
                self.setting(line, key.trim(), value.trim())?;
            }
        }
        Ok(())
    }

    fn setting(&mut self, line: usize, key: &str, value: &str) -> Result<(), GuardError> {
        let c = &mut self.config;
        match key {
            "acl.default" => {
                self.acl_default = match value {
                    "allow" => AclAction::Allow,
                    "deny" => AclAction::Deny,
                    _ => return Err(invalid(line, "acl.default", "allow or deny")),
                }
            }
            "sources.ipv6_prefix_len" => {
                self.ipv6_prefix_len = number(line, "sources.ipv6_prefix_len", value)?
            }
            "scanner.defaults" => self.scanner_defaults = boolean(line, "scanner.defaults", value)?,
            "scanner.window" => c.enumeration.window = duration(line, "scanner.window", value)?,
            "scanner.distinct_users" => {
                c.enumeration.distinct_users = number(line, "scanner.distinct_users", value)?
            }
            "scanner.failure_responses" => {
                c.enumeration.failure_responses = number(line, "scanner.failure_responses", value)?
            }
            "scanner.options_requests" => {
                c.enumeration.options_requests = number(line, "scanner.options_requests", value)?
            }
            "scanner.max_sources" => {
                c.enumeration.max_sources = number(line, "scanner.max_sources", value)?
            }
            "scanner.block_for" => {
                c.scanner_block_for = duration(line, "scanner.block_for", value)?
            }
            "dialplan.country_code" => self.country_code = value.to_owned(),
            "dialplan.international_prefixes" => {
                self.international_prefixes = list(value);
            }
            "dialplan.trunk_prefix" => {
                self.trunk_prefix = (value != "none").then(|| value.to_owned());
            }
            "dialplan.max_extension_len" => {
                self.max_extension_len = number(line, "dialplan.max_extension_len", value)?
            }
            "dialplan.emergency" => self.emergency = list(value),
            "prefix.defaults" => self.prefix_defaults = boolean(line, "prefix.defaults", value)?,
            "destination.internal" => c.destinations.internal = class_action(line, value)?,
            "destination.domestic" => c.destinations.domestic = class_action(line, value)?,
            "destination.international" => {
                c.destinations.international = class_action(line, value)?
            }
            "destination.premium" => c.destinations.premium = class_action(line, value)?,
            "destination.high-risk" => c.destinations.high_risk = class_action(line, value)?,
            "destination.unknown" => c.destinations.unknown = class_action(line, value)?,
            "fraud.window" => c.probing.window = duration(line, "fraud.window", value)?,
            "fraud.short_call" => c.probing.short_call = duration(line, "fraud.short_call", value)?,
            "fraud.distinct_destinations" => {
                c.probing.distinct_destinations =
                    number(line, "fraud.distinct_destinations", value)?
            }
            "fraud.flag_for" => c.probing.flag_for = duration(line, "fraud.flag_for", value)?,
            "fraud.burst_window" => {
                c.probing.burst_window = duration(line, "fraud.burst_window", value)?
            }
            "fraud.burst_calls" => {
                c.probing.burst_calls = number(line, "fraud.burst_calls", value)?
            }
            "fraud.max_accounts" => {
                c.probing.max_accounts = number(line, "fraud.max_accounts", value)?
            }
            "bruteforce.window" => {
                c.brute_force.window = duration(line, "bruteforce.window", value)?
            }
            "bruteforce.source_failures" => {
                c.brute_force.source_failures = number(line, "bruteforce.source_failures", value)?
            }
            "bruteforce.spray_users" => {
                c.brute_force.spray_users = number(line, "bruteforce.spray_users", value)?
            }
            "bruteforce.user_failures" => {
                c.brute_force.user_failures = number(line, "bruteforce.user_failures", value)?
            }
            "bruteforce.max_sources" => {
                c.brute_force.max_sources = number(line, "bruteforce.max_sources", value)?
            }
            "bruteforce.max_users" => {
                c.brute_force.max_users = number(line, "bruteforce.max_users", value)?
            }
            "ban.base" => c.bans.base = duration(line, "ban.base", value)?,
            "ban.max" => c.bans.max = duration(line, "ban.max", value)?,
            "ban.forget_after" => c.bans.forget_after = duration(line, "ban.forget_after", value)?,
            "ban.max_sources" => c.bans.max_sources = number(line, "ban.max_sources", value)?,
            "flood.requests_per_second" => {
                c.flood.requests_per_second = number(line, "flood.requests_per_second", value)?
            }
            "flood.burst" => c.flood.burst = number(line, "flood.burst", value)?,
            "flood.retry_after" => {
                c.flood.retry_after = duration(line, "flood.retry_after", value)?
            }
            "flood.malformed" => c.flood.malformed = number(line, "flood.malformed", value)?,
            "flood.malformed_window" => {
                c.flood.malformed_window = duration(line, "flood.malformed_window", value)?
            }
            _ => {
                let mut end = key.len().min(64);
                while !key.is_char_boundary(end) {
                    end -= 1;
                }
                return Err(GuardError::UnknownKey {
                    line,
                    key: key.get(..end).unwrap_or("").to_owned(),
                });
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<GuardConfig, GuardError> {
        let mut config = self.config;
        config.acl = Acl::new(self.acl_rules, self.acl_default)?;
        let mut fingerprints = Vec::new();
        if self.scanner_defaults {
            for &(kind, pattern) in DEFAULT_FINGERPRINTS {
                fingerprints.push(Fingerprint::new(kind, pattern)?);
            }
        }
        fingerprints.extend(self.fingerprints);
        config.scanners = ScannerFingerprints::new(fingerprints)?;

        let international: Vec<&str> = self
            .international_prefixes
            .iter()
            .map(String::as_str)
            .collect();
        let emergency: Vec<&str> = self.emergency.iter().map(String::as_str).collect();
        let plan_setting = |name| {
            move |_| GuardError::Setting {
                name,
                reason: "digits only, 1 to 16 of them",
            }
        };
        let mut plan = DialPlan::new(
            &self.country_code,
            &international,
            self.trunk_prefix.as_deref(),
        )
        .map_err(plan_setting(
            "dialplan.country_code / international_prefixes / trunk_prefix",
        ))?;
        plan.set_emergency_numbers(&emergency)
            .map_err(plan_setting("dialplan.emergency"))?;
        plan.set_max_extension_len(self.max_extension_len);
        if !self.prefix_defaults {
            plan.clear_prefixes();
        }
        for (line, digits, class) in &self.prefixes {
            plan.add_prefix(digits, *class).map_err(in_rule(*line))?;
        }
        config.dial_plan = plan;

        config.enumeration.ipv6_prefix_len = self.ipv6_prefix_len;
        config.brute_force.ipv6_prefix_len = self.ipv6_prefix_len;
        config.bans.ipv6_prefix_len = self.ipv6_prefix_len;
        config.validate()?;
        Ok(config)
    }
}

impl GuardConfig {
    /// Checks every threshold's range.
    ///
    /// ```
    /// use voipsec::guard::GuardConfig;
    ///
    /// let mut config = GuardConfig::default();
    /// assert!(config.validate().is_ok());
    /// // A config built in code is checked the same way as a parsed one.
    /// config.flood.malformed = 0;
    /// let err = config.validate().unwrap_err();
    /// assert!(err.to_string().contains("flood.malformed"), "{err}");
    /// ```
    pub fn validate(&self) -> Result<(), GuardError> {
        self.enumeration.validate()?;
        self.probing.validate()?;
        self.brute_force.validate()?;
        self.bans.validate()?;
        let setting = |name, reason| Err(GuardError::Setting { name, reason });
        if self.flood.requests_per_second == 0 {
            return setting("flood.requests_per_second", "must be at least 1");
        }
        if self.flood.malformed == 0 {
            return setting("flood.malformed", "must be at least 1");
        }
        if self.flood.malformed_window.is_zero() {
            return setting("flood.malformed_window", "must be at least 1 ms");
        }
        Ok(())
    }
}

pub(super) fn invalid(line: usize, key: &'static str, reason: &'static str) -> GuardError {
    GuardError::InvalidValue { line, key, reason }
}

pub(super) fn number<T: std::str::FromStr>(
    line: usize,
    key: &'static str,
    value: &str,
) -> Result<T, GuardError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(line, key, "expected a decimal number"));
    }
    value
        .parse()
        .map_err(|_| invalid(line, key, "number out of range"))
}

pub(super) fn boolean(line: usize, key: &'static str, value: &str) -> Result<bool, GuardError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(line, key, "expected true or false")),
    }
}

pub(super) fn duration(
    line: usize,
    key: &'static str,
    value: &str,
) -> Result<Duration, GuardError> {
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let unit_ms: u64 = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(invalid(
                line,
                key,
                "expected a duration like 500ms, 30s, 10m, 1h, 1d",
            ));
        }
    };
    let amount: u64 = number(line, key, digits)?;
    amount
        .checked_mul(unit_ms)
        .map(Duration::from_millis)
        .ok_or_else(|| invalid(line, key, "duration too long"))
}

fn class_action(line: usize, value: &str) -> Result<ClassAction, GuardError> {
    value
        .parse()
        .map_err(|_| invalid(line, "destination.*", "expected allow, alert or reject"))
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a configuration file of at most [`MAX_CONFIG_BYTES`], so that a
/// wrong path such as `/dev/zero` cannot exhaust memory.
pub(crate) fn read_config_file(path: &Path) -> Result<String, GuardError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(GuardError::ConfigFile)?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(GuardError::ConfigFile)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(GuardError::TooMany {
            what: "configuration bytes",
            max: MAX_CONFIG_BYTES as usize,
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::event::Action;

    #[test]
    fn empty_text_gives_defaults() {
        let parsed = GuardConfig::parse("").unwrap();
        let default = GuardConfig::default();
        assert_eq!(parsed.enumeration, default.enumeration);
        assert_eq!(parsed.probing, default.probing);
        assert_eq!(parsed.brute_force, default.brute_force);
        assert_eq!(parsed.bans, default.bans);
        assert_eq!(parsed.flood, default.flood);
        assert_eq!(parsed.destinations, default.destinations);
        assert_eq!(
            parsed.scanners.fingerprints().len(),
            DEFAULT_FINGERPRINTS.len()
        );
        assert!(parsed.acl.rules().is_empty());
        assert_eq!(
            parsed.dial_plan.classify("1 900 555 0100"),
            DestinationClass::PremiumRate
        );
        default.validate().unwrap();
    }

    #[test]
    fn full_example() {
        let text = "\
# comment
   # indented comment

acl.default = deny
acl allow 10.0.0.0/8
acl allow 2001:db8::/32 method REGISTER account 1001
sources.ipv6_prefix_len = 56
scanner.defaults = false
scanner exact Evil Dialer 1.0
scanner.window = 30s
scanner.distinct_users = 10
scanner.failure_responses=7
scanner.options_requests = 9
scanner.max_sources = 100
scanner.block_for = 0s
dialplan.country_code = 33
dialplan.international_prefixes = 00
dialplan.trunk_prefix = 0
dialplan.max_extension_len = 4
dialplan.emergency = 112, 15, 17, 18
prefix.defaults = false
prefix premium 338
prefix high-risk 2
destination.international = reject
destination.unknown = alert
fraud.window = 5m
fraud.short_call = 3s
fraud.distinct_destinations = 4
fraud.flag_for = 2h
fraud.burst_window = 30s
fraud.burst_calls = 3
fraud.max_accounts = 50
bruteforce.window = 1m
bruteforce.source_failures = 3
bruteforce.spray_users = 2
bruteforce.user_failures = 6
bruteforce.max_sources = 10
bruteforce.max_users = 11
ban.base = 500ms
ban.max = 1d
ban.forget_after = 2d
ban.max_sources = 99
flood.requests_per_second = 20
flood.burst = 40
flood.retry_after = 2s
flood.malformed = 3
flood.malformed_window = 10s
";
        let c = GuardConfig::parse(text).unwrap();
        assert_eq!(c.acl.default_action(), AclAction::Deny);
        assert_eq!(c.acl.rules().len(), 2);
        assert_eq!(c.scanners.fingerprints().len(), 1);
        assert!(c.scanners.find("evil dialer 1.0").is_some());
        assert!(c.scanners.find("friendly-scanner").is_none());
        assert_eq!(c.enumeration.window, Duration::from_secs(30));
        assert_eq!(
            (
                c.enumeration.distinct_users,
                c.enumeration.failure_responses,
                c.enumeration.options_requests
            ),
            (10, 7, 9)
        );
        assert_eq!(c.enumeration.max_sources, 100);
        assert_eq!(c.enumeration.ipv6_prefix_len, 56);
        assert_eq!(c.bans.ipv6_prefix_len, 56);
        assert_eq!(c.brute_force.ipv6_prefix_len, 56);
        assert_eq!(c.scanner_block_for, Duration::ZERO);
        assert_eq!(c.dial_plan.classify("15"), DestinationClass::Emergency);
        assert_eq!(c.dial_plan.classify("1234"), DestinationClass::Internal);
        assert_eq!(
            c.dial_plan.classify("08 92 12 34 56"),
            DestinationClass::PremiumRate
        );
        assert_eq!(
            c.dial_plan.classify("01 23 45 67 89"),
            DestinationClass::Domestic
        );
        assert_eq!(
            c.dial_plan.classify("00 44 20 7946 0018"),
            DestinationClass::International
        );
        assert_eq!(
            c.dial_plan.classify("00 243 123"),
            DestinationClass::HighRisk
        );
        assert_eq!(
            c.dial_plan.classify("00 53 7 123 4567"),
            DestinationClass::International
        );
        assert_eq!(
            c.destinations
                .decide(DestinationClass::International)
                .action,
            Action::Reject
        );
        assert_eq!(
            c.destinations.decide(DestinationClass::Unknown).action,
            Action::Alert
        );
        assert_eq!(c.probing.window, Duration::from_secs(300));
        assert_eq!(c.probing.short_call, Duration::from_secs(3));
        assert_eq!(c.probing.distinct_destinations, 4);
        assert_eq!(c.probing.flag_for, Duration::from_secs(7200));
        assert_eq!(c.probing.burst_window, Duration::from_secs(30));
        assert_eq!((c.probing.burst_calls, c.probing.max_accounts), (3, 50));
        assert_eq!(c.brute_force.window, Duration::from_secs(60));
        assert_eq!(
            (
                c.brute_force.source_failures,
                c.brute_force.spray_users,
                c.brute_force.user_failures
            ),
            (3, 2, 6)
        );
        assert_eq!(
            (c.brute_force.max_sources, c.brute_force.max_users),
            (10, 11)
        );
        assert_eq!(c.bans.base, Duration::from_millis(500));
        assert_eq!(c.bans.max, Duration::from_secs(86_400));
        assert_eq!(c.bans.forget_after, Duration::from_secs(172_800));
        assert_eq!(c.bans.max_sources, 99);
        assert_eq!(c.flood.requests_per_second, 20);
        assert_eq!(c.flood.burst, 40);
        assert_eq!(c.flood.retry_after, Duration::from_secs(2));
        assert_eq!(
            (c.flood.malformed, c.flood.malformed_window),
            (3, Duration::from_secs(10))
        );
    }

    #[test]
    fn errors_name_the_line() {
        type Check = fn(&GuardError) -> bool;
        let cases: &[(&str, Check)] = &[
            (
                "acl.defualt = allow",
                |e| matches!(e, GuardError::UnknownKey { line: 1, key } if key == "acl.defualt"),
            ),
            (
                "\n\nacl allow 10.0.0.1/8",
                |e| matches!(e, GuardError::ConfigRule { line: 3, source } if matches!(**source, GuardError::CidrHostBits { .. })),
            ),
            ("acl permit 10.0.0.0/8", |e| {
                matches!(e, GuardError::ConfigSyntax { line: 1, .. })
            }),
            ("prefix gold 123", |e| {
                matches!(e, GuardError::ConfigSyntax { line: 1, .. })
            }),
            ("prefix premium", |e| {
                matches!(e, GuardError::ConfigSyntax { line: 1, .. })
            }),
            ("prefix premium 12 34", |e| {
                matches!(e, GuardError::ConfigSyntax { line: 1, .. })
            }),
            (
                "prefix premium 1x",
                |e| matches!(e, GuardError::ConfigRule { line: 1, source } if matches!(**source, GuardError::DialPrefix { offset: 1 })),
            ),
            ("scanner contains", |e| {
                matches!(e, GuardError::ConfigRule { line: 1, .. })
            }),
            ("scanner like x", |e| {
                matches!(e, GuardError::ConfigSyntax { line: 1, .. })
            }),
            ("just words", |e| {
                matches!(e, GuardError::ConfigSyntax { line: 1, .. })
            }),
            ("scanner.window = 10", |e| {
                matches!(
                    e,
                    GuardError::InvalidValue {
                        key: "scanner.window",
                        ..
                    }
                )
            }),
            ("scanner.window = 10 parsecs", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("scanner.window = -1s", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("ban.max = 99999999999999999999d", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("ban.max = 999999999999999999d", |e| {
                matches!(
                    e,
                    GuardError::InvalidValue {
                        reason: "duration too long",
                        ..
                    }
                )
            }),
            ("scanner.distinct_users = 65", |e| {
                matches!(e, GuardError::Setting { .. })
            }),
            ("scanner.distinct_users = 1e3", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("scanner.defaults = yes", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("acl.default = maybe", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("destination.premium = block", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("dialplan.country_code = +44", |e| {
                matches!(e, GuardError::Setting { .. })
            }),
            ("dialplan.emergency = 1 1 2", |e| {
                matches!(e, GuardError::Setting { .. })
            }),
            ("sources.ipv6_prefix_len = 300", |e| {
                matches!(e, GuardError::InvalidValue { .. })
            }),
            ("sources.ipv6_prefix_len = 129", |e| {
                matches!(e, GuardError::Setting { .. })
            }),
            ("ban.max = 1s", |e| {
                matches!(
                    e,
                    GuardError::Setting {
                        name: "ban.max",
                        ..
                    }
                )
            }),
            ("flood.malformed = 0", |e| {
                matches!(e, GuardError::Setting { .. })
            }),
        ];
        for (text, check) in cases {
            let err = GuardConfig::parse(text).expect_err(text);
            assert!(check(&err), "{text:?} gave {err:?}");
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn later_settings_and_prefixes_win() {
        let c = GuardConfig::parse("bruteforce.source_failures = 3\nbruteforce.source_failures = 4\nprefix domestic 1900\n")
            .unwrap();
        assert_eq!(c.brute_force.source_failures, 4);
        assert_eq!(
            c.dial_plan.classify("19005550100"),
            DestinationClass::Domestic
        );
        let c = GuardConfig::parse("dialplan.trunk_prefix = none\n").unwrap();
        assert_eq!(
            c.dial_plan.classify("9005550100"),
            DestinationClass::PremiumRate
        );
        assert_eq!(
            c.dial_plan.classify("19005550100"),
            DestinationClass::Domestic
        );
    }

    #[test]
    fn unknown_key_is_truncated_on_a_char_boundary() {
        let key = "é".repeat(40);
        match GuardConfig::parse(&format!("{key} = 1")) {
            Err(GuardError::UnknownKey { key, .. }) => assert!(key.len() <= 64),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn from_file_reads_and_reports_io() {
        let dir = std::env::temp_dir().join(format!("voipsec-guard-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("guard.conf");
        std::fs::write(&path, "flood.burst = 7\n").unwrap();
        assert_eq!(GuardConfig::from_file(&path).unwrap().flood.burst, 7);
        assert!(matches!(
            GuardConfig::from_file(dir.join("missing.conf")),
            Err(GuardError::ConfigFile(_))
        ));
        assert!(matches!(
            GuardConfig::from_file("/dev/zero"),
            Err(GuardError::TooMany {
                what: "configuration bytes",
                ..
            })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = GuardConfig::parse(&text);
        }

        #[test]
        fn parse_never_panics_on_near_valid_lines(
            lines in proptest::collection::vec(
                "(acl (allow|deny) [0-9a-f:./]{0,20}( method [A-Z]{1,6})?( account [a-z0-9]{1,4})?)|(prefix [a-z-]{0,14} [0-9x]{0,18})|(scanner (contains|prefix|exact) .{0,10})|([a-z_.]{1,30} ?= ?[0-9a-z,]{0,12})",
                0..12)
        ) {
            let _ = GuardConfig::parse(&lines.join("\n"));
        }
    }
}
