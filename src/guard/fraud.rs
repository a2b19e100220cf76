//! Toll-fraud policies: what kind of destination a dialed number reaches,
//! and the probing pattern that precedes a fraud burst.
//!
//! # Classification
//!
//! [`DialPlan::classify`] turns what a user dialed (the Request-URI user
//! part) into a [`DestinationClass`]:
//!
//! 1. visual separators (space, `-`, `.`, `(`, `)`, RFC 3966 §5.1.1) are
//!    ignored; anything else that is not a digit (after an optional leading
//!    `+`) makes the number [`DestinationClass::Unknown`] (a SIP user name);
//! 2. an exact emergency number (`112`, `911`, `999` by default) is
//!    [`DestinationClass::Emergency`] — callers must never block those;
//! 3. `+` or an international access prefix (`00`, `011`) is stripped and the
//!    rest is the E.164 number (ITU-T E.164);
//! 4. a short number (≤ `max_extension_len` digits) is
//!    [`DestinationClass::Internal`];
//! 5. otherwise the national trunk prefix (`0`, or `1` in NANP) is stripped
//!    and the home country code prepended;
//! 6. the E.164 number is looked up by **longest prefix** in the prefix table
//!    (premium-rate, high-risk…); without a match it is
//!    [`DestinationClass::Domestic`] when it starts with the home country
//!    code and [`DestinationClass::International`] otherwise.
//!
//! Lookups walk a 10-ary digit trie and never allocate.
//!
//! # Probing
//!
//! Before a toll-fraud burst, fraudsters test a stolen account with short
//! calls to many different (often premium or high-risk) numbers. The
//! [`ProbingDetector`] counts, per account and within a window, the distinct
//! destinations of calls shorter than a threshold; past the threshold the
//! account is flagged for a while, and a burst of new calls from a flagged
//! account raises [`Rule::FraudBurst`]. Memory is bounded: at most
//! `max_accounts` accounts, each with a fixed-size set of hashed numbers.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::error::GuardError;
use super::event::{Action, Decision, Reason, Rule};
use super::tracker::{BoundedTracker, DISTINCT_CAPACITY, DistinctSet, Fingerprinter};

/// What kind of destination a dialed number reaches.
///
/// # Example
///
/// ```
/// use voipsec::guard::{DestinationClass, DialPlan};
///
/// let plan = DialPlan::default(); // NANP
/// let class = plan.classify("+1 876 555 0100"); // Jamaica: looks domestic
/// assert_eq!(class, DestinationClass::HighRisk);
/// assert_eq!(class.to_string(), "high-risk");
/// // A prefix table may assign the classes that come from a number.
/// assert_eq!("premium".parse::<DestinationClass>()?, DestinationClass::PremiumRate);
/// assert!("emergency".parse::<DestinationClass>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DestinationClass {
    /// An extension on this system (a short number).
    Internal,
    /// An emergency number: always let it through.
    Emergency,
    /// A number in the home country.
    Domestic,
    /// A number abroad.
    International,
    /// A premium-rate number (the caller pays the callee).
    PremiumRate,
    /// A destination known for international revenue share fraud (IRSF).
    HighRisk,
    /// Not a telephone number (a SIP user name, or malformed).
    Unknown,
}

impl DestinationClass {
    /// The keyword used in configuration files and events.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::DestinationClass;
    ///
    /// assert_eq!(DestinationClass::PremiumRate.name(), "premium");
    /// assert_eq!(DestinationClass::International.name(), "international");
    /// // Names of assignable classes parse back.
    /// let class = DestinationClass::HighRisk;
    /// assert_eq!(class.name().parse::<DestinationClass>()?, class);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            DestinationClass::Internal => "internal",
            DestinationClass::Emergency => "emergency",
            DestinationClass::Domestic => "domestic",
            DestinationClass::International => "international",
            DestinationClass::PremiumRate => "premium",
            DestinationClass::HighRisk => "high-risk",
            DestinationClass::Unknown => "unknown",
        }
    }
}

impl fmt::Display for DestinationClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DestinationClass {
    type Err = GuardError;

    /// Parses the classes a prefix table may assign: `domestic`,
    /// `international`, `premium`, `high-risk`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "domestic" => Ok(DestinationClass::Domestic),
            "international" => Ok(DestinationClass::International),
            "premium" => Ok(DestinationClass::PremiumRate),
            "high-risk" => Ok(DestinationClass::HighRisk),
            _ => Err(GuardError::ConfigSyntax {
                line: 0,
                reason: "class must be domestic, international, premium or high-risk",
            }),
        }
    }
}

/// The longest number (in digits) that is classified; longer ones are
/// [`DestinationClass::Unknown`] (E.164 numbers have at most 15 digits).
///
/// # Example
///
/// ```
/// use voipsec::guard::{DestinationClass, DialPlan};
/// use voipsec::guard::fraud::MAX_NUMBER_DIGITS;
///
/// let plan = DialPlan::default();
/// let longest = format!("+{}", "4".repeat(MAX_NUMBER_DIGITS));
/// assert_eq!(plan.classify(&longest), DestinationClass::International);
/// assert_eq!(plan.classify(&format!("{longest}4")), DestinationClass::Unknown);
/// ```
pub const MAX_NUMBER_DIGITS: usize = 32;
/// The longest prefix (in digits) of a table entry or dial-plan prefix.
///
/// # Example
///
/// ```
/// use voipsec::guard::{DestinationClass, DialPlan, GuardError};
/// use voipsec::guard::fraud::MAX_PREFIX_DIGITS;
///
/// let mut plan = DialPlan::default();
/// let longest = "7".repeat(MAX_PREFIX_DIGITS);
/// assert!(plan.add_prefix(&longest, DestinationClass::HighRisk).is_ok());
/// assert!(matches!(
///     plan.add_prefix(&format!("{longest}7"), DestinationClass::HighRisk),
///     Err(GuardError::DialPrefix { offset }) if offset == MAX_PREFIX_DIGITS
/// ));
/// ```
pub const MAX_PREFIX_DIGITS: usize = 16;
/// The most entries a prefix table accepts.
///
/// # Example
///
/// ```
/// use voipsec::guard::{DestinationClass, DialPlan};
/// use voipsec::guard::fraud::MAX_PREFIXES;
///
/// let mut plan = DialPlan::default();
/// plan.clear_prefixes();
/// for n in 0..MAX_PREFIXES {
///     plan.add_prefix(&n.to_string(), DestinationClass::Domestic)?;
/// }
/// assert!(plan.add_prefix("999999", DestinationClass::Domestic).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_PREFIXES: usize = 100_000;

/// Destination prefixes commonly reported as premium-rate (E.164, without
/// `+`): NANP 900/976, UK 09, France 089, Germany 0900, Italy 899, Spain
/// 803/806/807.
///
/// # Example
///
/// ```
/// use voipsec::guard::{DestinationClass, DialPlan};
/// use voipsec::guard::fraud::DEFAULT_PREMIUM_PREFIXES;
///
/// let plan = DialPlan::default();
/// for prefix in DEFAULT_PREMIUM_PREFIXES {
///     let number = format!("+{prefix}1234567");
///     assert_eq!(plan.classify(&number), DestinationClass::PremiumRate, "{number}");
/// }
/// ```
pub const DEFAULT_PREMIUM_PREFIXES: &[&str] = &[
    "1900", "1976", "449", "3389", "49900", "39899", "34803", "34806", "34807",
];

/// Destinations commonly reported for international revenue share fraud
/// (E.164 country/area codes): satellite and international networks, small
/// island and West African networks with high termination rates, and the
/// NANP Caribbean area codes that look domestic to NANP callers. Review it
/// against your carrier's fraud list: it is a starting point, not an oracle.
///
/// # Example
///
/// ```
/// use voipsec::guard::{DestinationClass, DialPlan};
/// use voipsec::guard::fraud::DEFAULT_HIGH_RISK_PREFIXES;
///
/// let plan = DialPlan::default();
/// for prefix in DEFAULT_HIGH_RISK_PREFIXES {
///     let number = format!("+{prefix}1234567");
///     assert_eq!(plan.classify(&number), DestinationClass::HighRisk, "{number}");
/// }
/// ```
pub const DEFAULT_HIGH_RISK_PREFIXES: &[&str] = &[
    // Inmarsat, international networks, IPRS, UIFN/UPT.
    "870", "881", "882", "883", "979", "808", "878", // Americas and Caribbean.
    "53", "1268", "1284", "1473", "1649", "1664", "1758", "1767", "1784", "1809", "1829", "1849",
    "1869", "1876", "500", // Africa.
    "220", "222", "224", "231", "232", "235", "236", "239", "243", "245", "247", "252", "261",
    "263", "269", "290", // Europe (premium ranges heavily abused).
    "371", "381", "423", // Oceania and Indian Ocean.
    "670", "672", "674", "675", "676", "677", "678", "681", "682", "683", "685", "686", "687",
    "688", "689", "690", "691", "692", "960",
];

/// Exact emergency numbers recognised by default.
///
/// # Example
///
/// ```
/// use voipsec::guard::{DestinationClass, DestinationPolicy, DialPlan};
/// use voipsec::guard::fraud::DEFAULT_EMERGENCY_NUMBERS;
///
/// let plan = DialPlan::default();
/// for number in DEFAULT_EMERGENCY_NUMBERS {
///     assert_eq!(plan.classify(number), DestinationClass::Emergency);
/// }
/// assert!(DestinationPolicy::default().decide(DestinationClass::Emergency).action.passes());
/// ```
pub const DEFAULT_EMERGENCY_NUMBERS: &[&str] = &["112", "911", "999"];

/// How numbers are dialed here, and the destination prefix table.
///
/// ```
/// use voipsec::guard::{DestinationClass, DialPlan};
///
/// // A UK PBX: 00 for abroad, 0 for national calls.
/// let mut plan = DialPlan::new("44", &["00"], Some("0")).unwrap();
/// plan.add_prefix("447", DestinationClass::Domestic).unwrap();
/// assert_eq!(plan.classify("201"), DestinationClass::Internal);
/// assert_eq!(plan.classify("020 7946 0018"), DestinationClass::Domestic);
/// assert_eq!(plan.classify("0909 879 0000"), DestinationClass::PremiumRate);
/// assert_eq!(plan.classify("+1 212 555 0100"), DestinationClass::International);
/// assert_eq!(plan.classify("00 53 7 123 4567"), DestinationClass::HighRisk);
/// assert_eq!(plan.classify("999"), DestinationClass::Emergency);
/// assert_eq!(plan.classify("alice"), DestinationClass::Unknown);
/// ```
#[derive(Clone, Debug)]
pub struct DialPlan {
    home_country_code: Digits,
    international_prefixes: Vec<Digits>,
    trunk_prefix: Option<Digits>,
    emergency: Vec<Digits>,
    max_extension_len: usize,
    table: DigitTrie,
    table_len: usize,
}

/// A short validated digit string, stored inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Digits {
    bytes: [u8; MAX_PREFIX_DIGITS],
    len: u8,
}

impl Digits {
    fn parse(text: &str) -> Result<Self, GuardError> {
        let mut digits = Digits {
            bytes: [0; MAX_PREFIX_DIGITS],
            len: 0,
        };
        for (offset, byte) in text.bytes().enumerate() {
            if !byte.is_ascii_digit() || offset >= MAX_PREFIX_DIGITS {
                return Err(GuardError::DialPrefix { offset });
            }
            if let Some(slot) = digits.bytes.get_mut(offset) {
                *slot = byte;
            }
            digits.len += 1;
        }
        if digits.len == 0 {
            return Err(GuardError::DialPrefix { offset: 0 });
        }
        Ok(digits)
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl Default for DialPlan {
    /// A NANP dial plan (country code 1, `011` and `00` abroad, trunk
    /// prefix `1`) with the default premium and high-risk tables. Set your
    /// own with [`DialPlan::new`] or the configuration file.
    fn default() -> Self {
        DialPlan::new("1", &["011", "00"], Some("1")).unwrap_or_else(|_| DialPlan::empty())
    }
}

impl DialPlan {
    fn empty() -> Self {
        DialPlan {
            home_country_code: Digits {
                bytes: [0; MAX_PREFIX_DIGITS],
                len: 0,
            },
            international_prefixes: Vec::new(),
            trunk_prefix: None,
            emergency: Vec::new(),
            max_extension_len: 6,
            table: DigitTrie::default(),
            table_len: 0,
        }
    }

    /// A dial plan for the country with `home_country_code`, the given
    /// international access prefixes and national trunk prefix, the default
    /// emergency numbers, extensions of up to 6 digits, and the default
    /// premium-rate and high-risk tables.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan, GuardError};
    ///
    /// // Germany: 00 abroad, 0 for national calls.
    /// let plan = DialPlan::new("49", &["00"], Some("0"))?;
    /// assert_eq!(plan.classify("030 1234567"), DestinationClass::Domestic);
    /// assert_eq!(plan.classify("0900 1234567"), DestinationClass::PremiumRate);
    /// assert_eq!(plan.classify("0033 1 23 45 67 89"), DestinationClass::International);
    /// assert_eq!(plan.classify("112"), DestinationClass::Emergency);
    /// // Prefixes are digits only.
    /// assert!(matches!(
    ///     DialPlan::new("+49", &["00"], Some("0")),
    ///     Err(GuardError::DialPrefix { offset: 0 })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        home_country_code: &str,
        international_prefixes: &[&str],
        trunk_prefix: Option<&str>,
    ) -> Result<Self, GuardError> {
        let mut plan = DialPlan::empty();
        plan.home_country_code = Digits::parse(home_country_code)?;
        plan.set_international_prefixes(international_prefixes)?;
        plan.trunk_prefix = trunk_prefix.map(Digits::parse).transpose()?;
        plan.set_emergency_numbers(DEFAULT_EMERGENCY_NUMBERS)?;
        for prefix in DEFAULT_PREMIUM_PREFIXES {
            plan.add_prefix(prefix, DestinationClass::PremiumRate)?;
        }
        for prefix in DEFAULT_HIGH_RISK_PREFIXES {
            plan.add_prefix(prefix, DestinationClass::HighRisk)?;
        }
        Ok(plan)
    }

    /// Replaces the home country code.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan};
    ///
    /// let mut plan = DialPlan::default(); // country code 1
    /// assert_eq!(plan.classify("+1 212 555 0100"), DestinationClass::Domestic);
    /// plan.set_home_country_code("33")?;
    /// assert_eq!(plan.classify("+1 212 555 0100"), DestinationClass::International);
    /// assert_eq!(plan.classify("+33 1 23 45 67 89"), DestinationClass::Domestic);
    /// assert!(plan.set_home_country_code("").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_home_country_code(&mut self, code: &str) -> Result<(), GuardError> {
        self.home_country_code = Digits::parse(code)?;
        Ok(())
    }

    /// Replaces the international access prefixes (longest tried first).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan};
    ///
    /// let mut plan = DialPlan::default(); // 011 and 00 abroad
    /// assert_eq!(plan.classify("011 44 20 7946 0018"), DestinationClass::International);
    /// plan.set_international_prefixes(&["810"])?;
    /// assert_eq!(plan.classify("810 44 20 7946 0018"), DestinationClass::International);
    /// // 011 is now an ordinary national number.
    /// assert_eq!(plan.classify("011 44 20 7946 0018"), DestinationClass::Domestic);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_international_prefixes(&mut self, prefixes: &[&str]) -> Result<(), GuardError> {
        let mut parsed = prefixes
            .iter()
            .map(|p| Digits::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        parsed.sort_by_key(|p| std::cmp::Reverse(p.len));
        self.international_prefixes = parsed;
        Ok(())
    }

    /// Replaces the national trunk prefix (`None`: there is none).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan};
    ///
    /// let mut plan = DialPlan::new("44", &["00"], Some("0"))?;
    /// // 0909… is +44 909…: premium-rate.
    /// assert_eq!(plan.classify("0909 879 0000"), DestinationClass::PremiumRate);
    /// plan.set_trunk_prefix(None)?;
    /// // Without a trunk prefix the 0 stays: +44 0909… matches no table entry.
    /// assert_eq!(plan.classify("0909 879 0000"), DestinationClass::Domestic);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_trunk_prefix(&mut self, prefix: Option<&str>) -> Result<(), GuardError> {
        self.trunk_prefix = prefix.map(Digits::parse).transpose()?;
        Ok(())
    }

    /// Replaces the emergency numbers.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan};
    ///
    /// let mut plan = DialPlan::new("61", &["0011"], Some("0"))?; // Australia
    /// plan.set_emergency_numbers(&["000", "112"])?;
    /// assert_eq!(plan.classify("000"), DestinationClass::Emergency);
    /// assert_eq!(plan.classify("911"), DestinationClass::Internal); // no longer special
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_emergency_numbers(&mut self, numbers: &[&str]) -> Result<(), GuardError> {
        self.emergency = numbers
            .iter()
            .map(|n| Digits::parse(n))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// Numbers of at most `len` digits (without prefix) are extensions.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan};
    ///
    /// let mut plan = DialPlan::default(); // extensions of up to 6 digits
    /// assert_eq!(plan.classify("234567"), DestinationClass::Internal);
    /// assert_eq!(plan.classify("2345678"), DestinationClass::Domestic);
    /// plan.set_max_extension_len(7);
    /// assert_eq!(plan.classify("2345678"), DestinationClass::Internal);
    /// ```
    pub fn set_max_extension_len(&mut self, len: usize) {
        self.max_extension_len = len.min(MAX_NUMBER_DIGITS);
    }

    /// Removes every prefix table entry (the defaults included).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan};
    ///
    /// let mut plan = DialPlan::default();
    /// assert_eq!(plan.classify("+1 900 555 0100"), DestinationClass::PremiumRate);
    /// plan.clear_prefixes();
    /// assert_eq!(plan.classify("+1 900 555 0100"), DestinationClass::Domestic);
    /// assert_eq!(plan.classify("+882 1234 5678"), DestinationClass::International);
    /// ```
    pub fn clear_prefixes(&mut self) {
        self.table = DigitTrie::default();
        self.table_len = 0;
    }

    /// Maps E.164 numbers starting with `prefix` (digits, no `+`) to `class`.
    /// A later entry for the same prefix replaces the earlier one, so a
    /// configuration can override a default.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan, GuardError};
    ///
    /// let mut plan = DialPlan::default();
    /// assert_eq!(plan.classify("+1 876 555 0100"), DestinationClass::HighRisk);
    /// // Override a default entry…
    /// plan.add_prefix("1876", DestinationClass::Domestic)?;
    /// assert_eq!(plan.classify("+1 876 555 0100"), DestinationClass::Domestic);
    /// // …and the longest prefix wins.
    /// plan.add_prefix("1876555", DestinationClass::PremiumRate)?;
    /// assert_eq!(plan.classify("+1 876 555 0100"), DestinationClass::PremiumRate);
    /// assert_eq!(plan.classify("+1 876 444 0100"), DestinationClass::Domestic);
    /// assert!(matches!(
    ///     plan.add_prefix("12a", DestinationClass::HighRisk),
    ///     Err(GuardError::DialPrefix { offset: 2 })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_prefix(&mut self, prefix: &str, class: DestinationClass) -> Result<(), GuardError> {
        let digits = Digits::parse(prefix)?;
        // Only a new prefix counts against the limit: replacing an entry
        // (a configuration overriding a default) adds no node, so the
        // table's memory stays within MAX_PREFIXES × MAX_PREFIX_DIGITS nodes.
        if self.table_len >= MAX_PREFIXES && !self.table.has_entry(digits.as_bytes()) {
            return Err(GuardError::TooMany {
                what: "destination prefixes",
                max: MAX_PREFIXES,
            });
        }
        if self.table.insert(digits.as_bytes(), class) {
            self.table_len += 1;
        }
        Ok(())
    }

    /// Classifies a dialed number (see the module docs). Allocation-free.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{DestinationClass, DialPlan};
    ///
    /// let plan = DialPlan::default(); // NANP
    /// assert_eq!(plan.classify("1 (212) 555-0100"), DestinationClass::Domestic);
    /// assert_eq!(plan.classify("011 882 1234 5678"), DestinationClass::HighRisk);
    /// assert_eq!(plan.classify("+44 20 7946 0018"), DestinationClass::International);
    /// assert_eq!(plan.classify(" 911 "), DestinationClass::Emergency);
    /// assert_eq!(plan.classify("1001"), DestinationClass::Internal);
    /// assert_eq!(plan.classify("*98"), DestinationClass::Unknown); // not a number
    /// assert_eq!(plan.classify(""), DestinationClass::Unknown);
    /// ```
    pub fn classify(&self, dialed: &str) -> DestinationClass {
        let mut number = NumberBuf::new();
        let Some(plus) = number.normalize(dialed.as_bytes()) else {
            return DestinationClass::Unknown;
        };
        let digits = number.digits();
        if digits.is_empty() {
            return DestinationClass::Unknown;
        }
        if !plus && self.emergency.iter().any(|e| e.as_bytes() == digits) {
            return DestinationClass::Emergency;
        }
        let international = if plus {
            Some(digits)
        } else {
            self.international_prefixes
                .iter()
                .find_map(|p| digits.strip_prefix(p.as_bytes()))
        };
        let mut e164 = NumberBuf::new();
        let e164 = match international {
            Some(rest) => rest,
            None if digits.len() <= self.max_extension_len => return DestinationClass::Internal,
            None => {
                let national = self
                    .trunk_prefix
                    .and_then(|t| digits.strip_prefix(t.as_bytes()))
                    .unwrap_or(digits);
                if !e164.push_all(self.home_country_code.as_bytes()) || !e164.push_all(national) {
                    return DestinationClass::Unknown;
                }
                e164.digits()
            }
        };
        if e164.is_empty() {
            return DestinationClass::Unknown;
        }
        match self.table.longest_match(e164) {
            Some(class) => class,
            None if e164.starts_with(self.home_country_code.as_bytes()) => {
                DestinationClass::Domestic
            }
            None => DestinationClass::International,
        }
    }
}

/// A fixed-size digit buffer (no allocation per call).
struct NumberBuf {
    bytes: [u8; MAX_NUMBER_DIGITS],
    len: usize,
}

impl NumberBuf {
    const fn new() -> Self {
        NumberBuf {
            bytes: [0; MAX_NUMBER_DIGITS],
            len: 0,
        }
    }

    fn push(&mut self, digit: u8) -> bool {
        match self.bytes.get_mut(self.len) {
            Some(slot) => {
                *slot = digit;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    fn push_all(&mut self, digits: &[u8]) -> bool {
        digits.iter().all(|&d| self.push(d))
    }

    /// Keeps the digits of `dialed`, skipping visual separators. Returns
    /// whether it started with `+`, or `None` if it is not a number.
    fn normalize(&mut self, dialed: &[u8]) -> Option<bool> {
        let dialed = dialed.trim_ascii();
        let (plus, rest) = match dialed.split_first() {
            Some((b'+', rest)) => (true, rest),
            _ => (false, dialed),
        };
        for &byte in rest {
            match byte {
                b'0'..=b'9' => {
                    if !self.push(byte) {
                        return None;
                    }
                }
                b' ' | b'-' | b'.' | b'(' | b')' => {}
                _ => return None,
            }
        }
        Some(plus)
    }

    fn digits(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// A 10-ary trie over decimal digits. Node 0 is the root; child 0 = absent.
#[derive(Clone, Debug)]
struct DigitTrie {
    nodes: Vec<DigitNode>,
}

#[derive(Clone, Copy, Debug)]
struct DigitNode {
    children: [u32; 10],
    class: Option<DestinationClass>,
}

const EMPTY_DIGIT_NODE: DigitNode = DigitNode {
    children: [0; 10],
    class: None,
};

impl Default for DigitTrie {
    fn default() -> Self {
        DigitTrie {
            nodes: vec![EMPTY_DIGIT_NODE],
        }
    }
}

impl DigitTrie {
    /// Whether `digits` (as [`Digits`] holds them) has an entry of its own.
    fn has_entry(&self, digits: &[u8]) -> bool {
        let mut node = 0usize;
        for &digit in digits {
            let d = usize::from(digit.wrapping_sub(b'0')).min(9);
            match self.nodes.get(node).map_or(0, |n| n.children[d]) {
                0 => return false,
                next => node = next as usize,
            }
        }
        self.nodes.get(node).is_some_and(|n| n.class.is_some())
    }

    /// Sets the class of `digits`; returns whether the entry is new.
    fn insert(&mut self, digits: &[u8], class: DestinationClass) -> bool {
        let mut node = 0usize;
        for &digit in digits {
            let d = usize::from(digit.wrapping_sub(b'0')).min(9);
            let next = self.nodes.get(node).map_or(0, |n| n.children[d]);
            node = if next == 0 {
                let fresh = self.nodes.len();
                self.nodes.push(EMPTY_DIGIT_NODE);
                if let Some(n) = self.nodes.get_mut(node) {
                    // At most MAX_PREFIXES × MAX_PREFIX_DIGITS nodes.
                    n.children[d] = fresh as u32;
                }
                fresh
            } else {
                next as usize
            };
        }
        self.nodes
            .get_mut(node)
            .is_some_and(|n| n.class.replace(class).is_none())
    }

    fn longest_match(&self, digits: &[u8]) -> Option<DestinationClass> {
        let mut node = self.nodes.first()?;
        let mut best = node.class;
        for &digit in digits {
            let d = usize::from(digit.wrapping_sub(b'0'));
            let next = *node.children.get(d)?;
            if next == 0 {
                break;
            }
            node = self.nodes.get(next as usize)?;
            if node.class.is_some() {
                best = node.class;
            }
        }
        best
    }
}

/// What to do with a call to a destination class.
///
/// # Example
///
/// ```
/// use voipsec::guard::{Action, ClassAction, DestinationClass, DestinationPolicy};
///
/// let policy = DestinationPolicy {
///     international: "reject".parse::<ClassAction>()?,
///     ..DestinationPolicy::default()
/// };
/// assert_eq!(policy.decide(DestinationClass::International).action, Action::Reject);
/// assert!("deny".parse::<ClassAction>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClassAction {
    /// Let the call through.
    Allow,
    /// Let it through and raise an event.
    Alert,
    /// Refuse the call (403).
    Reject,
}

impl FromStr for ClassAction {
    type Err = GuardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(ClassAction::Allow),
            "alert" => Ok(ClassAction::Alert),
            "reject" => Ok(ClassAction::Reject),
            _ => Err(GuardError::ConfigSyntax {
                line: 0,
                reason: "action must be allow, alert or reject",
            }),
        }
    }
}

/// The action per destination class. Emergency calls are always allowed,
/// whatever is configured.
///
/// ```
/// use voipsec::guard::{Action, DestinationClass, DestinationPolicy, Rule};
///
/// let policy = DestinationPolicy::default();
/// assert_eq!(policy.decide(DestinationClass::Domestic).action, Action::Allow);
/// assert_eq!(policy.decide(DestinationClass::International).action, Action::Alert);
/// let premium = policy.decide(DestinationClass::PremiumRate);
/// assert_eq!((premium.action, premium.reason.rule), (Action::Reject, Rule::FraudDestination));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestinationPolicy {
    /// Extensions.
    pub internal: ClassAction,
    /// Home-country numbers.
    pub domestic: ClassAction,
    /// Numbers abroad.
    pub international: ClassAction,
    /// Premium-rate numbers.
    pub premium: ClassAction,
    /// High-risk (IRSF) destinations.
    pub high_risk: ClassAction,
    /// SIP user names and malformed numbers.
    pub unknown: ClassAction,
}

impl Default for DestinationPolicy {
    fn default() -> Self {
        DestinationPolicy {
            internal: ClassAction::Allow,
            domestic: ClassAction::Allow,
            international: ClassAction::Alert,
            premium: ClassAction::Reject,
            high_risk: ClassAction::Reject,
            unknown: ClassAction::Allow,
        }
    }
}

impl DestinationPolicy {
    /// The action for `class`.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{ClassAction, DestinationClass, DestinationPolicy};
    ///
    /// let lockdown = DestinationPolicy {
    ///     internal: ClassAction::Reject,
    ///     domestic: ClassAction::Reject,
    ///     international: ClassAction::Reject,
    ///     premium: ClassAction::Reject,
    ///     high_risk: ClassAction::Reject,
    ///     unknown: ClassAction::Reject,
    /// };
    /// assert_eq!(lockdown.action_for(DestinationClass::Domestic), ClassAction::Reject);
    /// // Emergency calls pass whatever is configured.
    /// assert_eq!(lockdown.action_for(DestinationClass::Emergency), ClassAction::Allow);
    /// ```
    pub fn action_for(&self, class: DestinationClass) -> ClassAction {
        match class {
            DestinationClass::Emergency => ClassAction::Allow,
            DestinationClass::Internal => self.internal,
            DestinationClass::Domestic => self.domestic,
            DestinationClass::International => self.international,
            DestinationClass::PremiumRate => self.premium,
            DestinationClass::HighRisk => self.high_risk,
            DestinationClass::Unknown => self.unknown,
        }
    }

    /// The decision for a call to `class` (rule [`Rule::FraudDestination`]).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{Action, Decision, DestinationClass, DestinationPolicy, DialPlan, Rule};
    ///
    /// let plan = DialPlan::default();
    /// let policy = DestinationPolicy::default();
    /// assert_eq!(policy.decide(plan.classify("2125550100")), Decision::ALLOW);
    /// let call = policy.decide(plan.classify("011 882 1234 5678"));
    /// assert_eq!((call.action, call.reason.rule), (Action::Reject, Rule::FraudDestination));
    /// assert_eq!(call.reason.text, "high-risk (IRSF) destination");
    /// ```
    pub fn decide(&self, class: DestinationClass) -> Decision {
        let text = match class {
            DestinationClass::Internal => "call to an extension",
            DestinationClass::Emergency => "emergency call",
            DestinationClass::Domestic => "domestic destination",
            DestinationClass::International => "international destination",
            DestinationClass::PremiumRate => "premium-rate destination",
            DestinationClass::HighRisk => "high-risk (IRSF) destination",
            DestinationClass::Unknown => "non-numeric destination",
        };
        let action = match self.action_for(class) {
            ClassAction::Allow => return Decision::ALLOW,
            ClassAction::Alert => Action::Alert,
            ClassAction::Reject => Action::Reject,
        };
        Decision::new(action, Reason::new(Rule::FraudDestination, text))
    }
}

/// Thresholds of the [`ProbingDetector`].
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::{ProbingConfig, ProbingDetector};
///
/// let config = ProbingConfig {
///     short_call: Duration::from_secs(5),
///     distinct_destinations: 2,
///     ..ProbingConfig::default()
/// };
/// let mut detector = ProbingDetector::new(config)?;
/// // A 30 s call is a real conversation, not a probe.
/// assert!(detector.call_ended("bob", "+2431", Duration::from_secs(30), 0).is_none());
/// assert!(detector.call_ended("bob", "+2432", Duration::from_secs(1), 1).is_none());
/// assert!(detector.call_ended("bob", "+2433", Duration::ZERO, 2).is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbingConfig {
    /// Counting window per account (tumbling).
    pub window: Duration,
    /// Calls shorter than this (including unanswered ones) count as probes.
    pub short_call: Duration,
    /// Distinct destinations of short calls per window that flag probing
    /// (at most 64).
    pub distinct_destinations: u32,
    /// How long an account stays flagged after probing.
    pub flag_for: Duration,
    /// The burst window.
    pub burst_window: Duration,
    /// New calls within the burst window, from a flagged account, that make
    /// a burst.
    pub burst_calls: u32,
    /// The most accounts tracked at once; the oldest is evicted beyond it.
    pub max_accounts: usize,
}

impl Default for ProbingConfig {
    fn default() -> Self {
        ProbingConfig {
            window: Duration::from_secs(600),
            short_call: Duration::from_secs(10),
            distinct_destinations: 8,
            flag_for: Duration::from_secs(3600),
            burst_window: Duration::from_secs(60),
            burst_calls: 5,
            max_accounts: 4096,
        }
    }
}

impl ProbingConfig {
    /// Checks the ranges.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::ProbingConfig;
    ///
    /// assert!(ProbingConfig::default().validate().is_ok());
    /// let too_many = ProbingConfig { distinct_destinations: 65, ..ProbingConfig::default() };
    /// assert!(too_many.validate().is_err());
    /// let no_burst_window = ProbingConfig { burst_window: Duration::ZERO, ..ProbingConfig::default() };
    /// assert!(no_burst_window.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), GuardError> {
        let setting = |name, reason| Err(GuardError::Setting { name, reason });
        if self.distinct_destinations == 0
            || self.distinct_destinations as usize > DISTINCT_CAPACITY
        {
            return setting("fraud.distinct_destinations", "must be 1..=64");
        }
        if self.burst_calls == 0 {
            return setting("fraud.burst_calls", "must be at least 1");
        }
        if self.max_accounts == 0 {
            return setting("fraud.max_accounts", "must be at least 1");
        }
        if self.window.as_millis() == 0 || self.burst_window.as_millis() == 0 {
            return setting("fraud.window", "windows must be at least 1 ms");
        }
        Ok(())
    }
}

#[derive(Debug)]
struct AccountState {
    window_start_ms: u64,
    destinations: DistinctSet,
    flagged_at_ms: Option<u64>,
    burst_start_ms: u64,
    burst_calls: u32,
}

/// Detects short calls to many destinations followed by a burst.
///
/// Time is passed in as monotonic milliseconds (any origin).
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::{ProbingConfig, ProbingDetector, Rule};
///
/// let mut detector = ProbingDetector::new(ProbingConfig {
///     distinct_destinations: 3,
///     burst_calls: 2,
///     ..ProbingConfig::default()
/// })
/// .unwrap();
/// let mut now = 0;
/// let mut alert = None;
/// for number in ["+2431", "+2432", "+2433"] {
///     assert!(detector.call_started("alice", now).is_none());
///     alert = detector.call_ended("alice", number, Duration::from_secs(2), now + 2_000);
///     now += 5_000;
/// }
/// assert_eq!(alert.unwrap().rule, Rule::FraudProbing);
/// assert!(detector.call_started("alice", now).is_none());
/// let burst = detector.call_started("alice", now + 1).unwrap();
/// assert_eq!(burst.rule, Rule::FraudBurst);
/// ```
#[derive(Debug)]
pub struct ProbingDetector {
    config: ProbingConfig,
    window_ms: u64,
    short_call_ms: u64,
    flag_ms: u64,
    burst_window_ms: u64,
    accounts: BoundedTracker<u64, AccountState>,
    fingerprinter: Fingerprinter,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl ProbingDetector {
    /// A detector with validated thresholds. All memory is reserved here.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{ProbingConfig, ProbingDetector};
    ///
    /// let detector = ProbingDetector::new(ProbingConfig::default())?;
    /// assert_eq!(detector.tracked_accounts(), 0);
    /// assert!(ProbingDetector::new(ProbingConfig { burst_calls: 0, ..ProbingConfig::default() }).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: ProbingConfig) -> Result<Self, GuardError> {
        config.validate()?;
        Ok(ProbingDetector {
            config,
            window_ms: millis(config.window),
            short_call_ms: millis(config.short_call),
            flag_ms: millis(config.flag_for),
            burst_window_ms: millis(config.burst_window),
            accounts: BoundedTracker::new(config.max_accounts),
            fingerprinter: Fingerprinter::new(),
        })
    }

    /// The thresholds.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{ProbingConfig, ProbingDetector};
    ///
    /// let config = ProbingConfig { burst_calls: 3, ..ProbingConfig::default() };
    /// let detector = ProbingDetector::new(config)?;
    /// assert_eq!(detector.config(), &config);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &ProbingConfig {
        &self.config
    }

    /// How many accounts are tracked (never more than `max_accounts`).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{ProbingConfig, ProbingDetector};
    ///
    /// let config = ProbingConfig { max_accounts: 2, ..ProbingConfig::default() };
    /// let mut detector = ProbingDetector::new(config)?;
    /// for account in ["alice", "bob", "carol", "alice"] {
    ///     detector.call_started(account, 0);
    /// }
    /// assert_eq!(detector.tracked_accounts(), 2); // bounded
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tracked_accounts(&self) -> usize {
        self.accounts.len()
    }

    fn state(&mut self, account: &str, now_ms: u64) -> &mut AccountState {
        // Accounts are keyed by a keyed 64-bit hash: no allocation, and an
        // attacker cannot make two accounts share state.
        let key = self.fingerprinter.of(account);
        let (state, _) = self.accounts.entry(key, || AccountState {
            window_start_ms: now_ms,
            destinations: DistinctSet::new(),
            flagged_at_ms: None,
            burst_start_ms: now_ms,
            burst_calls: 0,
        });
        if now_ms.saturating_sub(state.window_start_ms) >= self.window_ms {
            state.window_start_ms = now_ms;
            state.destinations.clear();
        }
        if let Some(at) = state.flagged_at_ms
            && now_ms.saturating_sub(at) >= self.flag_ms
        {
            state.flagged_at_ms = None;
        }
        state
    }

    /// Whether `account` is currently flagged for probing.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::{ProbingConfig, ProbingDetector};
    ///
    /// let config = ProbingConfig { distinct_destinations: 2, ..ProbingConfig::default() };
    /// let mut detector = ProbingDetector::new(config)?; // flagged for 3600 s
    /// assert!(!detector.is_flagged("alice", 0));
    /// detector.call_ended("alice", "+8821", Duration::ZERO, 0);
    /// detector.call_ended("alice", "+8822", Duration::ZERO, 1_000);
    /// assert!(detector.is_flagged("alice", 1_000));
    /// assert!(!detector.is_flagged("bob", 1_000));
    /// assert!(!detector.is_flagged("alice", 3_601_000)); // the flag expired
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_flagged(&self, account: &str, now_ms: u64) -> bool {
        let key = self.fingerprinter.of(account);
        self.accounts
            .get(&key)
            .and_then(|s| s.flagged_at_ms)
            .is_some_and(|at| now_ms.saturating_sub(at) < self.flag_ms)
    }

    /// Records a new call attempt by `account`. Returns
    /// [`Rule::FraudBurst`] when a flagged account starts `burst_calls`
    /// calls within the burst window.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{ProbingConfig, ProbingDetector};
    ///
    /// let mut detector = ProbingDetector::new(ProbingConfig::default())?;
    /// // An account that never probed may call as often as it likes.
    /// for t in 0..20 {
    ///     assert!(detector.call_started("callcenter", t * 100).is_none());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_started(&mut self, account: &str, now_ms: u64) -> Option<Reason> {
        let burst_window_ms = self.burst_window_ms;
        let limit = self.config.burst_calls;
        let state = self.state(account, now_ms);
        if now_ms.saturating_sub(state.burst_start_ms) >= burst_window_ms {
            state.burst_start_ms = now_ms;
            state.burst_calls = 0;
        }
        state.burst_calls = state.burst_calls.saturating_add(1);
        (state.flagged_at_ms.is_some() && state.burst_calls >= limit).then(|| {
            Reason::counted(
                Rule::FraudBurst,
                "call burst after probing",
                u64::from(state.burst_calls),
                u64::from(limit),
            )
        })
    }

    /// Records the end of a call by `account` to `destination` that lasted
    /// `duration` (zero for unanswered). Returns [`Rule::FraudProbing`] once
    /// short calls reached `distinct_destinations` distinct numbers in the
    /// window (and flags the account).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::{ProbingConfig, ProbingDetector, Rule};
    ///
    /// let config = ProbingConfig { distinct_destinations: 2, ..ProbingConfig::default() };
    /// let mut detector = ProbingDetector::new(config)?;
    /// let short = Duration::from_secs(3);
    /// // The same number twice is one destination.
    /// assert!(detector.call_ended("alice", "+2431", short, 0).is_none());
    /// assert!(detector.call_ended("alice", "+2431", short, 1).is_none());
    /// let reason = detector.call_ended("alice", "+2432", short, 2).ok_or("no verdict")?;
    /// assert_eq!((reason.rule, reason.observed, reason.limit), (Rule::FraudProbing, 2, 2));
    /// assert!(detector.is_flagged("alice", 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_ended(
        &mut self,
        account: &str,
        destination: &str,
        duration: Duration,
        now_ms: u64,
    ) -> Option<Reason> {
        if millis(duration) >= self.short_call_ms {
            return None;
        }
        let fingerprint = self.fingerprinter.of(destination);
        let limit = self.config.distinct_destinations;
        let state = self.state(account, now_ms);
        let distinct = u32::try_from(state.destinations.insert(fingerprint)).unwrap_or(u32::MAX);
        if distinct < limit {
            return None;
        }
        if state.flagged_at_ms.is_none() {
            // The burst is counted from the moment probing is recognised:
            // the probe calls themselves are not part of it.
            state.flagged_at_ms = Some(now_ms);
            state.burst_start_ms = now_ms;
            state.burst_calls = 0;
        }
        Some(Reason::counted(
            Rule::FraudProbing,
            "short calls to many destinations",
            u64::from(distinct),
            u64::from(limit),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DestinationClass::*;

    #[test]
    fn emergency_is_always_allowed() {
        let policy = DestinationPolicy {
            internal: ClassAction::Reject,
            domestic: ClassAction::Reject,
            international: ClassAction::Reject,
            premium: ClassAction::Reject,
            high_risk: ClassAction::Reject,
            unknown: ClassAction::Reject,
        };
        assert_eq!(policy.decide(Emergency), Decision::ALLOW);
        for class in [
            Internal,
            Domestic,
            International,
            PremiumRate,
            HighRisk,
            Unknown,
        ] {
            assert_eq!(policy.decide(class).action, Action::Reject);
        }
        assert_eq!(
            DestinationPolicy::default().decide(HighRisk).reason.text,
            "high-risk (IRSF) destination"
        );
    }
    use proptest::prelude::*;

    fn uk() -> DialPlan {
        DialPlan::new("44", &["00"], Some("0")).unwrap()
    }

    #[test]
    fn strips_dial_plan_prefixes() {
        let plan = uk();
        assert_eq!(plan.classify("+442079460018"), Domestic);
        assert_eq!(plan.classify("00442079460018"), Domestic);
        assert_eq!(plan.classify("02079460018"), Domestic);
        assert_eq!(plan.classify("2079460018"), Domestic);
        assert_eq!(plan.classify("+33 1 23 45 67 89"), International);
        assert_eq!(plan.classify("0033123456789"), International);
        assert_eq!(plan.classify("(020) 7946-0018"), Domestic);
        assert_eq!(plan.classify(" 020.7946.0018 "), Domestic);
        let nanp = DialPlan::default();
        assert_eq!(nanp.classify("0114420794600"), International);
        assert_eq!(nanp.classify("12125550100"), Domestic);
        assert_eq!(nanp.classify("2125550100"), Domestic);
        assert_eq!(nanp.classify("+12125550100"), Domestic);
    }

    #[test]
    fn premium_and_high_risk_take_longest_prefix() {
        let plan = uk();
        assert_eq!(plan.classify("09098790000"), PremiumRate);
        assert_eq!(plan.classify("+449098790000"), PremiumRate);
        assert_eq!(plan.classify("+3716123456"), HighRisk);
        assert_eq!(plan.classify("+88216123456"), HighRisk);
        let nanp = DialPlan::default();
        assert_eq!(nanp.classify("1 876 555 0100"), HighRisk);
        assert_eq!(nanp.classify("876 555 0100"), HighRisk);
        assert_eq!(nanp.classify("1 900 555 0100"), PremiumRate);
        assert_eq!(nanp.classify("1 877 555 0100"), Domestic);
        // Override: a later, longer entry beats a shorter default.
        let mut plan = uk();
        plan.add_prefix("3712", International).unwrap();
        assert_eq!(plan.classify("+3712123456"), International);
        assert_eq!(plan.classify("+3716123456"), HighRisk);
        // Same prefix again: the later entry replaces.
        plan.add_prefix("371", International).unwrap();
        assert_eq!(plan.classify("+3716123456"), International);
        plan.clear_prefixes();
        assert_eq!(plan.classify("09098790000"), Domestic);
    }

    #[test]
    fn extensions_emergency_and_unknown() {
        let mut plan = uk();
        assert_eq!(plan.classify("1"), Internal);
        assert_eq!(plan.classify("123456"), Internal);
        assert_eq!(plan.classify("1234567"), Domestic);
        plan.set_max_extension_len(3);
        assert_eq!(plan.classify("1234"), Domestic);
        assert_eq!(plan.classify("112"), Emergency);
        assert_eq!(plan.classify("999"), Emergency);
        assert_eq!(plan.classify("+999"), International);
        for bad in [
            "",
            " ",
            "+",
            "alice",
            "12a3",
            "*69",
            "#1",
            "++44",
            "0044\n2079",
            "١٢٣",
        ] {
            assert_eq!(plan.classify(bad), Unknown, "{bad:?}");
        }
        let longest = format!("00{}", "9".repeat(MAX_NUMBER_DIGITS - 2));
        assert_eq!(plan.classify(&longest), International);
        assert_eq!(plan.classify(&"9".repeat(MAX_NUMBER_DIGITS + 1)), Unknown);
        // Nothing left after the prefix.
        assert_eq!(plan.classify("00"), Unknown);
        // Home code + national longer than the buffer.
        assert_eq!(plan.classify(&"7".repeat(MAX_NUMBER_DIGITS)), Unknown);
    }

    #[test]
    fn prefix_limit_counts_entries_not_calls() {
        let mut plan = uk();
        plan.clear_prefixes();
        for n in 0..MAX_PREFIXES {
            plan.add_prefix(&n.to_string(), Domestic)
                .expect("under the limit");
        }
        let nodes = plan.table.nodes.len();
        // At the limit: replacing an entry is allowed and adds no node…
        plan.add_prefix("44701", PremiumRate).expect("an override");
        plan.add_prefix("0", HighRisk).expect("an override");
        assert_eq!(plan.classify("+44 70 1234 5678"), PremiumRate);
        assert_eq!(
            (plan.table_len, plan.table.nodes.len()),
            (MAX_PREFIXES, nodes)
        );
        // …a new prefix is refused, even one on an existing path.
        for new in ["999999", "01"] {
            assert!(matches!(
                plan.add_prefix(new, Domestic),
                Err(GuardError::TooMany {
                    max: MAX_PREFIXES,
                    ..
                })
            ));
        }
        assert_eq!(plan.table.nodes.len(), nodes);
    }

    #[test]
    fn prefix_errors() {
        let mut plan = uk();
        assert!(matches!(
            plan.add_prefix("44a", PremiumRate),
            Err(GuardError::DialPrefix { offset: 2 })
        ));
        assert!(matches!(
            plan.add_prefix("", PremiumRate),
            Err(GuardError::DialPrefix { offset: 0 })
        ));
        assert!(
            plan.add_prefix(&"1".repeat(MAX_PREFIX_DIGITS), PremiumRate)
                .is_ok()
        );
        assert!(
            plan.add_prefix(&"1".repeat(MAX_PREFIX_DIGITS + 1), PremiumRate)
                .is_err()
        );
        assert!(DialPlan::new("+44", &["00"], None).is_err());
        assert!("premium".parse::<DestinationClass>().is_ok());
        assert!("emergency".parse::<DestinationClass>().is_err());
    }

    proptest! {
        #[test]
        fn classify_never_panics(s in "\\PC{0,40}|[0-9+ ()-]{0,40}") {
            let _ = uk().classify(&s);
            let _ = DialPlan::default().classify(&s);
        }

        #[test]
        fn separators_do_not_change_the_class(digits in "[0-9]{1,20}", seps in proptest::collection::vec(0usize..5, 20)) {
            let plan = uk();
            let mut spaced = String::new();
            for (i, c) in digits.chars().enumerate() {
                spaced.push(c);
                spaced.push_str([" ", "-", ".", "", ""][seps[i % seps.len()]]);
            }
            prop_assert_eq!(plan.classify(&digits), plan.classify(&spaced));
        }
    }

    fn detector(distinct: u32, burst: u32, max_accounts: usize) -> ProbingDetector {
        ProbingDetector::new(ProbingConfig {
            window: Duration::from_secs(600),
            short_call: Duration::from_secs(10),
            distinct_destinations: distinct,
            flag_for: Duration::from_secs(3600),
            burst_window: Duration::from_secs(60),
            burst_calls: burst,
            max_accounts,
        })
        .unwrap()
    }

    #[test]
    fn short_call_threshold_boundary() {
        let mut d = detector(2, 3, 16);
        // Exactly the threshold is not short.
        assert!(
            d.call_ended("a", "+1", Duration::from_secs(10), 0)
                .is_none()
        );
        assert!(
            d.call_ended("a", "+2", Duration::from_secs(10), 0)
                .is_none()
        );
        assert!(!d.is_flagged("a", 0));
        assert!(
            d.call_ended("a", "+1", Duration::from_millis(9_999), 0)
                .is_none()
        );
        // The same destination twice is one.
        assert!(d.call_ended("a", "+1", Duration::ZERO, 0).is_none());
        let alert = d.call_ended("a", "+2", Duration::ZERO, 1).unwrap();
        assert_eq!(
            (alert.rule, alert.observed, alert.limit),
            (Rule::FraudProbing, 2, 2)
        );
        assert!(d.is_flagged("a", 1));
        assert!(!d.is_flagged("b", 1));
    }

    #[test]
    fn burst_only_after_probing_and_flag_expires() {
        let mut d = detector(2, 3, 16);
        // A busy but honest account: many calls, no probing.
        for t in 0..10 {
            assert!(d.call_started("honest", t).is_none());
        }
        d.call_ended("a", "+1", Duration::ZERO, 0);
        d.call_ended("a", "+2", Duration::ZERO, 0);
        assert!(d.call_started("a", 1_000).is_none());
        assert!(d.call_started("a", 1_001).is_none());
        let burst = d.call_started("a", 1_002).unwrap();
        assert_eq!(
            (burst.rule, burst.observed, burst.limit),
            (Rule::FraudBurst, 3, 3)
        );
        // Next burst window starts afresh.
        assert!(d.call_started("a", 61_002).is_none());
        // After flag_for the flag is gone.
        let later = 3_600_000;
        assert!(!d.is_flagged("a", later));
        for t in 0..5 {
            assert!(d.call_started("a", later + t).is_none());
        }
    }

    #[test]
    fn window_resets_destinations() {
        let mut d = detector(2, 3, 16);
        assert!(d.call_ended("a", "+1", Duration::ZERO, 0).is_none());
        assert!(d.call_ended("a", "+2", Duration::ZERO, 600_000).is_none());
        assert!(d.call_ended("a", "+3", Duration::ZERO, 600_001).is_some());
    }

    #[test]
    fn accounts_are_bounded() {
        let mut d = detector(2, 3, 8);
        for n in 0..5_000u32 {
            d.call_ended(&n.to_string(), "+1", Duration::ZERO, 0);
            assert!(d.tracked_accounts() <= 8);
        }
        assert!(d.call_ended("4999", "+2", Duration::ZERO, 0).is_some());
        assert!(d.call_ended("0", "+2", Duration::ZERO, 0).is_none());
    }

    #[test]
    fn config_validation() {
        let bad = [
            ProbingConfig {
                distinct_destinations: 0,
                ..Default::default()
            },
            ProbingConfig {
                distinct_destinations: 65,
                ..Default::default()
            },
            ProbingConfig {
                burst_calls: 0,
                ..Default::default()
            },
            ProbingConfig {
                max_accounts: 0,
                ..Default::default()
            },
            ProbingConfig {
                window: Duration::ZERO,
                ..Default::default()
            },
            ProbingConfig {
                burst_window: Duration::ZERO,
                ..Default::default()
            },
        ];
        for config in bad {
            assert!(ProbingDetector::new(config).is_err(), "{config:?}");
        }
    }
}
