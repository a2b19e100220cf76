//! CIDR allow/deny lists for message sources, scoped by SIP method and
//! account.
//!
//! # Semantics
//!
//! Every [`AclRule`] lives in one of four *scopes*: global, per method, per
//! account, per account-and-method. For a message `(source, method, account)`
//! each applicable scope is evaluated by **longest-prefix match** among its
//! rules; a scope with no matching prefix abstains. Then:
//!
//! 1. if any applicable scope answers *deny*, the message is denied (the most
//!    specific scope's rule is reported);
//! 2. otherwise, if any scope answers *allow*, it is allowed;
//! 3. otherwise the list's default action applies.
//!
//! So every applicable policy must agree: a broad global allow cannot open a
//! hole in "only the trunk provider's ranges may send INVITE to the trunk
//! account", and a scoped allow cannot override a global deny of a hostile
//! network. Inside one scope, the longest prefix wins (`deny 10.0.0.0/8` and
//! `allow 10.1.0.0/16` allow `10.1.2.3`); if the same prefix is listed twice
//! in one scope, deny wins.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) are
//! treated as IPv4, both in rules and in lookups, so a dual-stack socket
//! cannot be used to slip past an IPv4 rule. IPv4 and IPv6 are otherwise
//! separate spaces: `::/0` does not cover IPv4.
//!
//! Methods and accounts are compared exactly (SIP method names are
//! case-sensitive, RFC 3261 §7.1).
//!
//! # Cost
//!
//! A lookup walks at most four binary tries (32 or 128 steps each) and does at
//! most three hash look-ups by `&str`; it never allocates.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::error::GuardError;

/// An IP prefix: a canonical (masked) address and a length.
///
/// ```
/// use voipsec::guard::Cidr;
///
/// let office: Cidr = "192.0.2.0/24".parse().unwrap();
/// assert!(office.contains("192.0.2.77".parse().unwrap()));
/// assert!(office.contains("::ffff:192.0.2.77".parse().unwrap()));
/// assert!(!office.contains("192.0.3.1".parse().unwrap()));
/// assert!("192.0.2.1/24".parse::<Cidr>().is_err()); // host bits set
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    /// A prefix from an address and a length. IPv4-mapped IPv6 prefixes of
    /// length ≥ 96 become IPv4 prefixes.
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::{Cidr, GuardError};
    ///
    /// let mapped: IpAddr = "::ffff:192.0.2.0".parse()?;
    /// let cidr = Cidr::new(mapped, 120)?;
    /// assert_eq!(cidr.to_string(), "192.0.2.0/24");
    /// // Host bits below the prefix are refused rather than masked.
    /// let host: IpAddr = "192.0.2.1".parse()?;
    /// assert!(matches!(Cidr::new(host, 24), Err(GuardError::CidrHostBits { prefix_len: 24 })));
    /// assert!(Cidr::new(host, 33).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, GuardError> {
        let (addr, len) = match addr {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) if len >= 96 => (IpAddr::V4(v4), len - 96),
                _ => (addr, len),
            },
            IpAddr::V4(_) => (addr, len),
        };
        let width = family_width(addr);
        if len > width {
            return Err(GuardError::CidrPrefixLength {
                offset: 0,
                max: width,
            });
        }
        let bits = address_bits(addr);
        if bits & !prefix_mask(len, width) != 0 {
            return Err(GuardError::CidrHostBits { prefix_len: len });
        }
        Ok(Cidr { addr, len })
    }

    /// The network address.
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::Cidr;
    ///
    /// let cidr: Cidr = "2001:db8::/32".parse()?;
    /// assert_eq!(cidr.addr(), "2001:db8::".parse::<IpAddr>()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    ///
    /// ```
    /// use voipsec::guard::Cidr;
    ///
    /// assert_eq!("10.0.0.0/8".parse::<Cidr>()?.len(), 8);
    /// // A bare address is a host prefix.
    /// assert_eq!("2001:db8::1".parse::<Cidr>()?.len(), 128);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> u8 {
        self.len
    }

    /// Whether this is a zero-length prefix (covers its whole family).
    ///
    /// ```
    /// use voipsec::guard::Cidr;
    ///
    /// let all_v4: Cidr = "0.0.0.0/0".parse()?;
    /// assert!(all_v4.is_empty());
    /// assert!(all_v4.contains("203.0.113.1".parse()?));
    /// assert!(!all_v4.contains("2001:db8::1".parse()?), "IPv4 only");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `ip` lies inside the prefix (IPv4-mapped IPv6 counts as IPv4).
    ///
    /// ```
    /// use voipsec::guard::Cidr;
    ///
    /// let provider: Cidr = "2001:db8:100::/48".parse()?;
    /// assert!(provider.contains("2001:db8:100:7::1".parse()?));
    /// assert!(!provider.contains("2001:db8:101::1".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        let width = family_width(ip);
        address_bits(ip) & prefix_mask(self.len, width) == address_bits(self.addr)
    }
}

impl FromStr for Cidr {
    type Err = GuardError;

    /// Parses `ADDR/LEN` or a bare address (a host prefix).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr_text, len_text) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| GuardError::CidrAddress { offset: 0 })?;
        let width = family_width(addr);
        let len_offset = addr_text.len() + 1;
        let len = match len_text {
            None => width,
            Some(text) => {
                // Only plain decimal digits: no sign, no spaces, no leading junk.
                let max = if addr.is_ipv4() { 32 } else { 128 };
                if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(GuardError::CidrPrefixLength {
                        offset: len_offset,
                        max,
                    });
                }
                match text.parse::<u8>() {
                    Ok(n) if n <= width => n,
                    _ => {
                        return Err(GuardError::CidrPrefixLength {
                            offset: len_offset,
                            max,
                        });
                    }
                }
            }
        };
        Cidr::new(addr, len).map_err(|e| match e {
            GuardError::CidrPrefixLength { max, .. } => GuardError::CidrPrefixLength {
                offset: len_offset,
                max,
            },
            other => other,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// What a rule does to a matching source.
///
/// ```
/// use voipsec::guard::{Acl, AclAction};
///
/// let closed = Acl::empty(AclAction::Deny);
/// assert_eq!(closed.check("192.0.2.1".parse()?, "REGISTER", None).action, AclAction::Deny);
/// assert_eq!(AclAction::Deny.to_string(), "deny");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AclAction {
    /// Let it through (other policies still apply).
    Allow,
    /// Refuse it.
    Deny,
}

impl fmt::Display for AclAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AclAction::Allow => "allow",
            AclAction::Deny => "deny",
        })
    }
}

/// One access rule: `allow|deny CIDR [method M] [account A]`.
///
/// ```
/// use voipsec::guard::{AclAction, AclRule};
///
/// let rule: AclRule = "allow 203.0.113.0/24 method INVITE account trunk".parse().unwrap();
/// assert_eq!(rule.action, AclAction::Allow);
/// assert_eq!(rule.method.as_deref(), Some("INVITE"));
/// assert_eq!(rule.to_string(), "allow 203.0.113.0/24 method INVITE account trunk");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AclRule {
    /// Allow or deny.
    pub action: AclAction,
    /// The source prefix.
    pub cidr: Cidr,
    /// Restricts the rule to one SIP method (exact, case-sensitive).
    pub method: Option<String>,
    /// Restricts the rule to one account (exact).
    pub account: Option<String>,
}

impl FromStr for AclRule {
    type Err = GuardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = |reason| GuardError::ConfigSyntax { line: 0, reason };
        let mut words = s.split_ascii_whitespace();
        let action = match words.next() {
            Some("allow") => AclAction::Allow,
            Some("deny") => AclAction::Deny,
            _ => return Err(syntax("ACL rule must start with allow or deny")),
        };
        let cidr_text = words
            .next()
            .ok_or_else(|| syntax("ACL rule needs a CIDR"))?;
        let cidr: Cidr = cidr_text
            .parse()
            .map_err(|e| shift_offset(e, s, cidr_text))?;
        let mut rule = AclRule {
            action,
            cidr,
            method: None,
            account: None,
        };
        while let Some(word) = words.next() {
            let value = words
                .next()
                .ok_or_else(|| syntax("method/account needs a value"))?;
            let slot = match word {
                "method" => &mut rule.method,
                "account" => &mut rule.account,
                _ => return Err(syntax("expected `method M` or `account A`")),
            };
            if slot.replace(value.to_owned()).is_some() {
                return Err(syntax("method/account given twice"));
            }
        }
        Ok(rule)
    }
}

/// Re-bases a CIDR error offset from `part` to the whole `line` (`part` must
/// be a sub-slice of `line`).
fn shift_offset(error: GuardError, line: &str, part: &str) -> GuardError {
    let base = (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    match error {
        GuardError::CidrAddress { offset } => GuardError::CidrAddress {
            offset: offset + base,
        },
        GuardError::CidrPrefixLength { offset, max } => GuardError::CidrPrefixLength {
            offset: offset + base,
            max,
        },
        other => other,
    }
}

impl fmt::Display for AclRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.action, self.cidr)?;
        if let Some(method) = &self.method {
            write!(f, " method {method}")?;
        }
        if let Some(account) = &self.account {
            write!(f, " account {account}")?;
        }
        Ok(())
    }
}

/// The answer of [`Acl::check`].
///
/// ```
/// use voipsec::guard::{Acl, AclAction};
///
/// let acl = Acl::parse_rules(["deny 198.51.100.0/24"], AclAction::Allow)?;
/// let verdict = acl.check("198.51.100.7".parse()?, "INVITE", None);
/// assert_eq!(verdict.action, AclAction::Deny);
/// // The rule that decided, for the event log.
/// assert_eq!(verdict.rule.map(|r| r.to_string()).as_deref(), Some("deny 198.51.100.0/24"));
/// // No rule matched: the default, and no rule to show.
/// assert!(acl.check("192.0.2.1".parse()?, "INVITE", None).rule.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AclVerdict<'r> {
    /// Allow or deny.
    pub action: AclAction,
    /// The rule that decided, or `None` when the default applied.
    pub rule: Option<&'r AclRule>,
}

/// A compiled access list. Build it once from rules; look up per message.
///
/// ```
/// use voipsec::guard::{Acl, AclAction};
///
/// let acl = Acl::parse_rules(
///     [
///         // Only the provider may send INVITE to the trunk account…
///         "allow 203.0.113.0/24 method INVITE account trunk",
///         "deny 0.0.0.0/0 method INVITE account trunk",
///         "deny ::/0 method INVITE account trunk",
///         // …and admin extensions register only from the office.
///         "allow 192.0.2.0/24 account admin",
///         "deny 0.0.0.0/0 account admin",
///         "deny ::/0 account admin",
///     ],
///     AclAction::Allow,
/// )
/// .unwrap();
/// let ip = |s: &str| s.parse().unwrap();
/// assert_eq!(acl.check(ip("203.0.113.5"), "INVITE", Some("trunk")).action, AclAction::Allow);
/// assert_eq!(acl.check(ip("198.51.100.1"), "INVITE", Some("trunk")).action, AclAction::Deny);
/// assert_eq!(acl.check(ip("198.51.100.1"), "OPTIONS", Some("trunk")).action, AclAction::Allow);
/// assert_eq!(acl.check(ip("2001:db8::1"), "REGISTER", Some("admin")).action, AclAction::Deny);
/// assert_eq!(acl.check(ip("::ffff:192.0.2.9"), "REGISTER", Some("admin")).action, AclAction::Allow);
/// ```
#[derive(Clone, Debug)]
pub struct Acl {
    rules: Vec<AclRule>,
    default: AclAction,
    global: ScopeTries,
    by_method: MethodScopes,
    by_account: HashMap<String, AccountScopes>,
    /// One substring searcher per account named by a rule, or `None` when
    /// there are too many names for a scan to beat parsing (see
    /// [`Acl::may_name_account`]).
    account_finders: Option<Vec<memchr::memmem::Finder<'static>>>,
}

/// Most account names [`Acl::may_name_account`] scans for; past this, it
/// answers `true` and callers parse the account.
const MAX_ACCOUNT_FINDERS: usize = 8;

#[derive(Clone, Debug, Default)]
struct AccountScopes {
    any_method: ScopeTries,
    by_method: MethodScopes,
}

/// Tries per method. A configuration names a handful of methods, so a short
/// vector compared by length first beats hashing the method per message.
#[derive(Clone, Debug, Default)]
struct MethodScopes(Vec<(Box<str>, ScopeTries)>);

impl MethodScopes {
    fn get(&self, method: &str) -> Option<&ScopeTries> {
        self.0
            .iter()
            .find(|(name, _)| name.len() == method.len() && **name == *method)
            .map(|(_, tries)| tries)
    }

    fn entry(&mut self, method: &str) -> &mut ScopeTries {
        let index = match self.0.iter().position(|(name, _)| **name == *method) {
            Some(index) => index,
            None => {
                self.0.push((method.into(), ScopeTries::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[index].1
    }
}

/// The most rules one list accepts (config input, but still bounded).
///
/// ```
/// use voipsec::guard::acl::MAX_ACL_RULES;
/// use voipsec::guard::{Acl, AclAction, AclRule, GuardError};
///
/// let rule: AclRule = "deny 198.51.100.0/24".parse()?;
/// let too_many = vec![rule; MAX_ACL_RULES + 1];
/// assert!(matches!(Acl::new(too_many, AclAction::Allow), Err(GuardError::TooMany { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_ACL_RULES: usize = 100_000;

impl Acl {
    /// Compiles `rules`; `default` applies when no rule matches.
    ///
    /// ```
    /// use voipsec::guard::{Acl, AclAction, AclRule, Cidr};
    ///
    /// let office = AclRule {
    ///     action: AclAction::Allow,
    ///     cidr: "192.0.2.0/24".parse::<Cidr>()?,
    ///     method: Some("REGISTER".to_owned()),
    ///     account: None,
    /// };
    /// let acl = Acl::new(vec![office], AclAction::Deny)?;
    /// assert_eq!(acl.check("192.0.2.9".parse()?, "REGISTER", None).action, AclAction::Allow);
    /// // The rule is scoped to REGISTER; other methods get the default.
    /// assert_eq!(acl.check("192.0.2.9".parse()?, "INVITE", None).action, AclAction::Deny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(rules: Vec<AclRule>, default: AclAction) -> Result<Self, GuardError> {
        if rules.len() > MAX_ACL_RULES {
            return Err(GuardError::TooMany {
                what: "ACL rules",
                max: MAX_ACL_RULES,
            });
        }
        let mut acl = Acl::empty(default);
        for (index, rule) in rules.iter().enumerate() {
            let index = u32::try_from(index).map_err(|_| GuardError::TooMany {
                what: "ACL rules",
                max: MAX_ACL_RULES,
            })?;
            let tries = match (&rule.account, &rule.method) {
                (None, None) => &mut acl.global,
                (None, Some(m)) => acl.by_method.entry(m),
                (Some(a), None) => &mut acl.by_account.entry(a.clone()).or_default().any_method,
                (Some(a), Some(m)) => acl
                    .by_account
                    .entry(a.clone())
                    .or_default()
                    .by_method
                    .entry(m),
            };
            tries.insert(&rule.cidr, index, rule.action, &rules);
        }
        acl.account_finders = (acl.by_account.len() <= MAX_ACCOUNT_FINDERS).then(|| {
            acl.by_account
                .keys()
                .map(|name| memchr::memmem::Finder::new(name.as_bytes()).into_owned())
                .collect()
        });
        acl.rules = rules;
        Ok(acl)
    }

    /// A list without rules: every source gets `default`.
    ///
    /// ```
    /// use voipsec::guard::{Acl, AclAction};
    ///
    /// let open = Acl::empty(AclAction::Allow);
    /// assert!(open.rules().is_empty());
    /// assert_eq!(open.check("2001:db8::1".parse()?, "INVITE", Some("alice")).action, AclAction::Allow);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn empty(default: AclAction) -> Self {
        Acl {
            rules: Vec::new(),
            default,
            global: ScopeTries::default(),
            by_method: MethodScopes::default(),
            by_account: HashMap::new(),
            account_finders: Some(Vec::new()),
        }
    }

    /// Parses and compiles rule lines (`allow|deny CIDR [method M] [account A]`).
    ///
    /// ```
    /// use voipsec::guard::{Acl, AclAction};
    ///
    /// let acl = Acl::parse_rules(["deny 10.0.0.0/8", "allow 10.1.0.0/16"], AclAction::Allow)?;
    /// // The longest matching prefix decides within a scope.
    /// assert_eq!(acl.check("10.1.2.3".parse()?, "INVITE", None).action, AclAction::Allow);
    /// assert_eq!(acl.check("10.2.0.1".parse()?, "INVITE", None).action, AclAction::Deny);
    /// // A malformed line is an error, not a skipped rule.
    /// assert!(Acl::parse_rules(["deny 10.0.0.1/8"], AclAction::Allow).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse_rules<'s>(
        lines: impl IntoIterator<Item = &'s str>,
        default: AclAction,
    ) -> Result<Self, GuardError> {
        let rules = lines
            .into_iter()
            .map(str::parse)
            .collect::<Result<Vec<AclRule>, _>>()?;
        Acl::new(rules, default)
    }

    /// The rules, in the order given.
    ///
    /// ```
    /// use voipsec::guard::{Acl, AclAction};
    ///
    /// let acl = Acl::parse_rules(["deny 10.0.0.0/8", "allow 10.1.0.0/16"], AclAction::Allow)?;
    /// let listed: Vec<String> = acl.rules().iter().map(|r| r.to_string()).collect();
    /// assert_eq!(listed, ["deny 10.0.0.0/8", "allow 10.1.0.0/16"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rules(&self) -> &[AclRule] {
        &self.rules
    }

    /// The action when no rule matches.
    ///
    /// ```
    /// use voipsec::guard::{AclAction, GuardConfig};
    ///
    /// let config = GuardConfig::parse("acl.default = deny")?;
    /// assert_eq!(config.acl.default_action(), AclAction::Deny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn default_action(&self) -> AclAction {
        self.default
    }

    /// Whether an account taken from `raw` (a header value, before any
    /// unescaping) could be one that a rule names: `false` proves that no
    /// substring of `raw` — so no account parsed from it without decoding —
    /// is named, and [`check`](Self::check) would treat it as `None`. Lets a
    /// caller skip parsing credentials just to learn that the ACL does not
    /// care (parsing them costs more than the whole ACL look-up). Always
    /// `true` above 8 named accounts.
    ///
    /// ```
    /// use voipsec::guard::{Acl, AclAction};
    /// let acl = Acl::parse_rules(["deny 0.0.0.0/0 account admin"], AclAction::Allow).unwrap();
    /// assert!(acl.may_name_account(br#"Digest username="admin", realm="x""#));
    /// assert!(!acl.may_name_account(br#"Digest username="alice", realm="x""#));
    /// ```
    pub fn may_name_account(&self, raw: &[u8]) -> bool {
        match &self.account_finders {
            Some(finders) => finders.iter().any(|f| f.find(raw).is_some()),
            None => true,
        }
    }

    /// Decides for a message from `source` with `method`, for `account` (the
    /// authenticated or addressed account, when the caller knows it).
    /// Allocation-free.
    ///
    /// ```
    /// use voipsec::guard::{Acl, AclAction};
    ///
    /// let acl = Acl::parse_rules(
    ///     ["allow 0.0.0.0/0 account alice", "deny 198.51.100.0/24"],
    ///     AclAction::Allow,
    /// )?;
    /// // A deny in any applicable scope wins over an allow.
    /// let verdict = acl.check("198.51.100.7".parse()?, "REGISTER", Some("alice"));
    /// assert_eq!(verdict.action, AclAction::Deny);
    /// assert_eq!(acl.check("192.0.2.7".parse()?, "REGISTER", Some("alice")).action, AclAction::Allow);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, source: IpAddr, method: &str, account: Option<&str>) -> AclVerdict<'_> {
        let source = canonical(source);
        let account_scopes = account.and_then(|a| {
            if self.by_account.is_empty() {
                None
            } else {
                self.by_account.get(a)
            }
        });
        let account_method = account_scopes.and_then(|s| s.by_method.get(method));
        let method_scope = self.by_method.get(method);
        // Most specific scope first, so the reported rule is the most specific
        // deny (or allow).
        let scopes = [
            account_method,
            account_scopes.map(|s| &s.any_method),
            method_scope,
            Some(&self.global),
        ];
        let mut first_allow = None;
        for tries in scopes.into_iter().flatten() {
            if let Some(index) = tries.longest_match(source) {
                let Some(rule) = self.rules.get(index as usize) else {
                    continue;
                };
                match rule.action {
                    AclAction::Deny => {
                        return AclVerdict {
                            action: AclAction::Deny,
                            rule: Some(rule),
                        };
                    }
                    AclAction::Allow => {
                        first_allow.get_or_insert(rule);
                    }
                }
            }
        }
        match first_allow {
            Some(rule) => AclVerdict {
                action: AclAction::Allow,
                rule: Some(rule),
            },
            None => AclVerdict {
                action: self.default,
                rule: None,
            },
        }
    }
}

/// The IPv4 and IPv6 tries of one scope.
#[derive(Clone, Debug, Default)]
struct ScopeTries {
    v4: PrefixTrie,
    v6: PrefixTrie,
}

impl ScopeTries {
    fn insert(&mut self, cidr: &Cidr, index: u32, action: AclAction, rules: &[AclRule]) {
        let bits = address_bits(cidr.addr);
        let trie = if cidr.addr.is_ipv4() {
            &mut self.v4
        } else {
            &mut self.v6
        };
        trie.insert(
            bits,
            family_width(cidr.addr),
            cidr.len,
            index,
            action,
            rules,
        );
    }

    fn longest_match(&self, source: IpAddr) -> Option<u32> {
        match source {
            IpAddr::V4(v4) => self.v4.longest_match(u128::from(u32::from(v4)), 32),
            IpAddr::V6(v6) => self.v6.longest_match(u128::from(v6), 128),
        }
    }
}

const NO_NODE: u32 = 0;
const NO_RULE: u32 = u32::MAX;

/// A binary trie over address bits, most significant bit first. Node 0 is the
/// root; child index 0 means "absent" (the root is never a child).
#[derive(Clone, Debug)]
struct PrefixTrie {
    nodes: Vec<TrieNode>,
}

#[derive(Clone, Copy, Debug)]
struct TrieNode {
    children: [u32; 2],
    rule: u32,
}

const EMPTY_NODE: TrieNode = TrieNode {
    children: [NO_NODE; 2],
    rule: NO_RULE,
};

impl Default for PrefixTrie {
    fn default() -> Self {
        PrefixTrie {
            nodes: vec![EMPTY_NODE],
        }
    }
}

/// Bit `depth` (0 = most significant) of a `width`-bit address held in the
/// low bits of `bits`.
fn bit_at(bits: u128, width: u8, depth: u8) -> usize {
    let shift = u32::from(width.saturating_sub(1).saturating_sub(depth));
    ((bits >> shift) & 1) as usize
}

impl PrefixTrie {
    fn insert(
        &mut self,
        bits: u128,
        width: u8,
        len: u8,
        index: u32,
        action: AclAction,
        rules: &[AclRule],
    ) {
        let mut node = 0usize;
        for depth in 0..len {
            let bit = bit_at(bits, width, depth);
            let next = self.nodes.get(node).map_or(NO_NODE, |n| n.children[bit]);
            node = if next == NO_NODE {
                let fresh = self.nodes.len();
                self.nodes.push(EMPTY_NODE);
                if let Some(n) = self.nodes.get_mut(node) {
                    // Node counts stay far below u32::MAX: at most
                    // MAX_ACL_RULES × 128 nodes.
                    n.children[bit] = fresh as u32;
                }
                fresh
            } else {
                next as usize
            };
        }
        if let Some(n) = self.nodes.get_mut(node) {
            let keep_existing = n.rule != NO_RULE
                && rules
                    .get(n.rule as usize)
                    .is_some_and(|r| r.action == AclAction::Deny || action == AclAction::Allow);
            if !keep_existing {
                n.rule = index;
            }
        }
    }

    fn longest_match(&self, bits: u128, width: u8) -> Option<u32> {
        let mut best = NO_RULE;
        let mut node = self.nodes.first()?;
        for depth in 0..=width {
            if node.rule != NO_RULE {
                best = node.rule;
            }
            if depth == width {
                break;
            }
            let next = node.children[bit_at(bits, width, depth)];
            match self.nodes.get(next as usize) {
                Some(child) if next != NO_NODE => node = child,
                _ => break,
            }
        }
        (best != NO_RULE).then_some(best)
    }
}

/// Maps IPv4-mapped IPv6 addresses to IPv4 (RFC 4291 §2.5.5.2).
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

fn family_width(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

fn address_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn prefix_mask(len: u8, width: u8) -> u128 {
    let all = if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    if len == 0 {
        0
    } else {
        let host_bits = u32::from(width.saturating_sub(len));
        all & !((1u128 << host_bits) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn acl(lines: &[&str], default: AclAction) -> Acl {
        Acl::parse_rules(lines.iter().copied(), default).unwrap()
    }

    #[test]
    fn cidr_parsing_and_errors() {
        assert_eq!("10.0.0.0/8".parse::<Cidr>().unwrap().len(), 8);
        assert_eq!("10.1.2.3".parse::<Cidr>().unwrap().len(), 32);
        assert_eq!("2001:db8::/32".parse::<Cidr>().unwrap().len(), 32);
        assert_eq!("::1".parse::<Cidr>().unwrap().len(), 128);
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().is_empty());
        let mapped: Cidr = "::ffff:10.0.0.0/104".parse().unwrap();
        assert_eq!(mapped, "10.0.0.0/8".parse().unwrap());
        assert!(matches!(
            "10.0.0.0/33".parse::<Cidr>(),
            Err(GuardError::CidrPrefixLength { offset: 9, max: 32 })
        ));
        assert!(matches!(
            "::/129".parse::<Cidr>(),
            Err(GuardError::CidrPrefixLength {
                offset: 3,
                max: 128
            })
        ));
        for bad_len in [
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/ 8",
            "10.0.0.0/08x",
            "10.0.0.0/0008",
        ] {
            assert!(
                matches!(
                    bad_len.parse::<Cidr>(),
                    Err(GuardError::CidrPrefixLength { .. })
                ),
                "{bad_len}"
            );
        }
        for bad_addr in ["", "10.0.0/8", "300.0.0.0/8", "host/8", "10.0.0.0.0"] {
            assert!(
                matches!(
                    bad_addr.parse::<Cidr>(),
                    Err(GuardError::CidrAddress { offset: 0 })
                ),
                "{bad_addr}"
            );
        }
        assert!(matches!(
            "10.1.0.0/8".parse::<Cidr>(),
            Err(GuardError::CidrHostBits { prefix_len: 8 })
        ));
        assert!(matches!(
            "2001:db8::1/64".parse::<Cidr>(),
            Err(GuardError::CidrHostBits { prefix_len: 64 })
        ));
    }

    #[test]
    fn cidr_boundaries() {
        let net: Cidr = "192.0.2.0/24".parse().unwrap();
        assert!(net.contains(ip("192.0.2.0")));
        assert!(net.contains(ip("192.0.2.255")));
        assert!(!net.contains(ip("192.0.1.255")));
        assert!(!net.contains(ip("192.0.3.0")));
        assert!(!net.contains(ip("2001:db8::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("255.255.255.255")));
        assert!(!all.contains(ip("::1")));
        let v6: Cidr = "2001:db8:ffff::/48".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!v6.contains(ip("2001:db8:fffe:ffff::")));
        let host: Cidr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128"
            .parse()
            .unwrap();
        assert!(host.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")));
        assert!(!host.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    #[test]
    fn rule_parse_errors_have_offsets() {
        assert!(matches!(
            "allow 10.0.0.0/40".parse::<AclRule>(),
            Err(GuardError::CidrPrefixLength { offset: 15, .. })
        ));
        assert!(matches!(
            "deny  bogus".parse::<AclRule>(),
            Err(GuardError::CidrAddress { offset: 6 })
        ));
        for bad in [
            "permit 10.0.0.0/8",
            "allow",
            "allow 10.0.0.0/8 method",
            "allow 10.0.0.0/8 port 5",
        ] {
            assert!(
                matches!(bad.parse::<AclRule>(), Err(GuardError::ConfigSyntax { .. })),
                "{bad}"
            );
        }
        assert!(
            "allow 10.0.0.0/8 method A method B"
                .parse::<AclRule>()
                .is_err()
        );
    }

    #[test]
    fn longest_prefix_wins_within_a_scope() {
        let acl = acl(
            &[
                "deny 10.0.0.0/8",
                "allow 10.1.0.0/16",
                "deny 10.1.2.0/24",
                "allow 10.1.2.3",
            ],
            AclAction::Allow,
        );
        let check = |s| acl.check(ip(s), "INVITE", None).action;
        assert_eq!(check("10.9.9.9"), AclAction::Deny);
        assert_eq!(check("10.1.9.9"), AclAction::Allow);
        assert_eq!(check("10.1.2.9"), AclAction::Deny);
        assert_eq!(check("10.1.2.3"), AclAction::Allow);
        assert_eq!(check("11.0.0.0"), AclAction::Allow);
        assert!(acl.check(ip("11.0.0.0"), "INVITE", None).rule.is_none());
        let verdict = acl.check(ip("10.1.2.9"), "INVITE", None);
        assert_eq!(verdict.rule.unwrap().to_string(), "deny 10.1.2.0/24");
    }

    #[test]
    fn same_prefix_twice_deny_wins() {
        for order in [
            ["allow 10.0.0.0/8", "deny 10.0.0.0/8"],
            ["deny 10.0.0.0/8", "allow 10.0.0.0/8"],
        ] {
            let acl = acl(&order, AclAction::Allow);
            assert_eq!(acl.check(ip("10.0.0.1"), "X", None).action, AclAction::Deny);
        }
    }

    #[test]
    fn scopes_must_all_agree() {
        let acl = acl(
            &[
                "allow 203.0.0.0/8",
                "deny 198.51.100.0/24",
                "allow 203.0.113.0/24 method INVITE account trunk",
                "deny 0.0.0.0/0 method INVITE account trunk",
                "allow 0.0.0.0/0 account roamer",
                "deny 192.0.2.0/24 method MESSAGE",
            ],
            AclAction::Deny,
        );
        let check = |s, m, a| acl.check(ip(s), m, a).action;
        // A broad global allow does not open the trunk restriction.
        assert_eq!(check("203.1.1.1", "INVITE", Some("trunk")), AclAction::Deny);
        assert_eq!(
            check("203.0.113.1", "INVITE", Some("trunk")),
            AclAction::Allow
        );
        assert_eq!(
            check("203.1.1.1", "REGISTER", Some("trunk")),
            AclAction::Allow
        );
        // A scoped allow does not override a global deny.
        assert_eq!(
            check("198.51.100.7", "REGISTER", Some("roamer")),
            AclAction::Deny
        );
        assert_eq!(
            check("8.8.8.8", "REGISTER", Some("roamer")),
            AclAction::Allow
        );
        // Default deny when nothing matches.
        assert_eq!(check("8.8.8.8", "REGISTER", Some("other")), AclAction::Deny);
        assert_eq!(check("8.8.8.8", "REGISTER", None), AclAction::Deny);
        // Method scope.
        assert_eq!(check("192.0.2.1", "MESSAGE", None), AclAction::Deny);
        // The most specific deny is reported.
        let verdict = acl.check(ip("203.1.1.1"), "INVITE", Some("trunk"));
        assert_eq!(verdict.rule.unwrap().account.as_deref(), Some("trunk"));
    }

    #[test]
    fn methods_are_case_sensitive() {
        let acl = acl(&["deny 0.0.0.0/0 method INVITE"], AclAction::Allow);
        assert_eq!(
            acl.check(ip("1.2.3.4"), "INVITE", None).action,
            AclAction::Deny
        );
        assert_eq!(
            acl.check(ip("1.2.3.4"), "invite", None).action,
            AclAction::Allow
        );
    }

    #[test]
    fn ipv6_and_mapped_sources() {
        let acl = acl(
            &[
                "deny ::/0",
                "allow 2001:db8:1::/48",
                "deny 2001:db8:1:2::/64",
                "deny 192.0.2.0/24",
            ],
            AclAction::Allow,
        );
        let check = |s| acl.check(ip(s), "REGISTER", None).action;
        assert_eq!(check("2001:db8:1:1::1"), AclAction::Allow);
        assert_eq!(check("2001:db8:1:2::1"), AclAction::Deny);
        assert_eq!(check("2001:db9::1"), AclAction::Deny);
        // IPv4-mapped IPv6 is IPv4: the v4 deny applies, ::/0 does not.
        assert_eq!(check("::ffff:192.0.2.1"), AclAction::Deny);
        assert_eq!(check("::ffff:192.0.3.1"), AclAction::Allow);
        assert_eq!(check("192.0.3.1"), AclAction::Allow);
    }

    #[test]
    fn host_prefixes_at_the_end_of_the_address() {
        let acl = acl(
            &[
                "allow 255.255.255.255/32",
                "allow ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
            ],
            AclAction::Deny,
        );
        assert_eq!(
            acl.check(ip("255.255.255.255"), "A", None).action,
            AclAction::Allow
        );
        assert_eq!(
            acl.check(ip("255.255.255.254"), "A", None).action,
            AclAction::Deny
        );
        assert_eq!(
            acl.check(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "A", None)
                .action,
            AclAction::Allow
        );
        assert_eq!(
            acl.check(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), "A", None)
                .action,
            AclAction::Deny
        );
    }

    /// The naive oracle: the documented semantics, by linear scan.
    fn oracle(
        rules: &[AclRule],
        default: AclAction,
        src: IpAddr,
        method: &str,
        account: Option<&str>,
    ) -> AclAction {
        let scope_of = |r: &AclRule| (r.account.clone(), r.method.clone());
        let scopes = [
            (account.map(str::to_owned), Some(method.to_owned())),
            (account.map(str::to_owned), None),
            (None, Some(method.to_owned())),
            (None, None),
        ];
        // With no account, scopes 1-2 repeat scopes 3-4: evaluating a scope
        // twice cannot change the outcome.
        let mut any_allow = false;
        for scope in scopes {
            let best_len = rules
                .iter()
                .filter(|r| scope_of(r) == scope && r.cidr.contains(src))
                .map(|r| r.cidr.len())
                .max();
            let Some(len) = best_len else { continue };
            let deny = rules
                .iter()
                .filter(|r| scope_of(r) == scope && r.cidr.contains(src) && r.cidr.len() == len)
                .any(|r| r.action == AclAction::Deny);
            if deny {
                return AclAction::Deny;
            }
            any_allow = true;
        }
        if any_allow { AclAction::Allow } else { default }
    }

    fn arb_rule() -> impl Strategy<Value = AclRule> {
        let v4 = (any::<u32>(), 0u8..=32).prop_map(|(bits, len)| {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            Cidr::new(IpAddr::V4(Ipv4Addr::from(bits & mask)), len).unwrap()
        });
        // Few distinct high bits, so random addresses actually hit prefixes.
        let v6 = (0u128..4, any::<u64>(), 0u8..=128).prop_map(|(top, low, len)| {
            let bits = (top << 126) | u128::from(low);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            Cidr::new(IpAddr::V6(Ipv6Addr::from(bits & mask)), len).unwrap()
        });
        (
            prop_oneof![v4, v6],
            any::<bool>(),
            proptest::option::of(prop_oneof![Just("INVITE"), Just("REGISTER")]),
            proptest::option::of(prop_oneof![Just("a"), Just("b")]),
        )
            .prop_map(|(cidr, deny, method, account)| AclRule {
                action: if deny {
                    AclAction::Deny
                } else {
                    AclAction::Allow
                },
                cidr,
                method: method.map(str::to_owned),
                account: account.map(str::to_owned),
            })
    }

    fn arb_source() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u32>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
            (0u128..4, any::<u64>())
                .prop_map(|(t, l)| IpAddr::V6(Ipv6Addr::from((t << 126) | u128::from(l)))),
            any::<u32>().prop_map(|b| IpAddr::V6(Ipv4Addr::from(b).to_ipv6_mapped())),
        ]
    }

    proptest! {
        #[test]
        fn trie_matches_linear_oracle(
            rules in proptest::collection::vec(arb_rule(), 0..24),
            probes in proptest::collection::vec(
                (arb_source(), prop_oneof![Just("INVITE"), Just("REGISTER"), Just("BYE")],
                 proptest::option::of(prop_oneof![Just("a"), Just("b"), Just("c")])),
                1..16),
            default_deny in any::<bool>(),
        ) {
            let default = if default_deny { AclAction::Deny } else { AclAction::Allow };
            let acl = Acl::new(rules.clone(), default).unwrap();
            for (src, method, account) in probes {
                // Also probe the exact network address of each rule.
                let got = acl.check(src, method, account).action;
                prop_assert_eq!(got, oracle(&rules, default, src, method, account), "src {}", src);
            }
            for rule in &rules {
                let src = rule.cidr.addr();
                let got = acl.check(src, "INVITE", Some("a")).action;
                prop_assert_eq!(got, oracle(&rules, default, src, "INVITE", Some("a")));
            }
        }

        #[test]
        fn cidr_display_round_trips(rule in arb_rule()) {
            let text = rule.to_string();
            prop_assert_eq!(text.parse::<AclRule>().unwrap(), rule);
        }

        #[test]
        fn cidr_parse_never_panics(s in "\\PC{0,60}") {
            let _ = s.parse::<Cidr>();
            let _ = s.parse::<AclRule>();
        }
    }
}
