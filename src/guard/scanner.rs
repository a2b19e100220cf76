//! Scanner detection: known attack-tool User-Agents, and the enumeration
//! behaviour of tools that hide their name.
//!
//! Scanners (SIPVicious `svmap`/`svwar`/`svcrack`, sipcli, sippts, the
//! "friendly-scanner" botnets…) probe port 5060, enumerate extensions and
//! guess passwords. The guard answers them with silence (no response, RFC
//! 3261 allows a UAS to discard requests it will not process), so the tool
//! learns neither that a PBX is there nor which extensions exist.
//!
//! * [`ScannerFingerprints`] matches a User-Agent (or any header value)
//!   against a list of patterns, ASCII case-insensitively, without
//!   allocating. The default list follows the names the community's
//!   fail2ban/iptables/Kamailio block lists track.
//! * [`EnumerationDetector`] counts, per source and within a window, the
//!   distinct users a source addresses, the failure responses it draws
//!   (404/401/403/407/484) and its OPTIONS probes. Memory is bounded: at most
//!   `max_sources` sources, each with a fixed-size set of hashed users.

use std::net::IpAddr;
use std::time::Duration;

use super::error::GuardError;
use super::event::{Reason, Rule};
use super::tracker::{BoundedTracker, DISTINCT_CAPACITY, DistinctSet, Fingerprinter, source_key};

/// How a fingerprint pattern is compared with the header value.
///
/// # Example
///
/// ```
/// use voipsec::guard::{Fingerprint, MatchKind, ScannerFingerprints};
///
/// let list = ScannerFingerprints::new(vec![
///     Fingerprint::new(MatchKind::Contains, "scan")?,
///     Fingerprint::new(MatchKind::Prefix, "probe")?,
///     Fingerprint::new(MatchKind::Exact, "Bot")?,
/// ])?;
/// assert!(list.find("my-SCANNER/1.0").is_some());
/// assert!(list.find("  Probe 2.1").is_some());
/// assert!(list.find("a probe").is_none()); // not at the start
/// assert!(list.find(" bot ").is_some());
/// assert!(list.find("Bot 2").is_none()); // not the whole value
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// The pattern occurs anywhere in the value.
    Contains,
    /// The value starts with the pattern (after leading whitespace).
    Prefix,
    /// The value equals the pattern (ignoring surrounding whitespace).
    Exact,
}

impl MatchKind {
    /// The keyword used in configuration files.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::MatchKind;
    ///
    /// assert_eq!(MatchKind::Contains.keyword(), "contains");
    /// assert_eq!(MatchKind::Prefix.keyword(), "prefix");
    /// assert_eq!(MatchKind::Exact.keyword(), "exact");
    /// ```
    pub const fn keyword(self) -> &'static str {
        match self {
            MatchKind::Contains => "contains",
            MatchKind::Prefix => "prefix",
            MatchKind::Exact => "exact",
        }
    }
}

/// The longest fingerprint pattern accepted, in bytes.
///
/// # Example
///
/// ```
/// use voipsec::guard::scanner::MAX_FINGERPRINT_LEN;
/// use voipsec::guard::{Fingerprint, MatchKind};
///
/// let longest = "x".repeat(MAX_FINGERPRINT_LEN);
/// assert!(Fingerprint::new(MatchKind::Contains, &longest).is_ok());
/// assert!(Fingerprint::new(MatchKind::Contains, &format!("{longest}x")).is_err());
/// ```
pub const MAX_FINGERPRINT_LEN: usize = 128;
/// The most fingerprints one list accepts.
///
/// # Example
///
/// ```
/// use voipsec::guard::scanner::MAX_FINGERPRINTS;
/// use voipsec::guard::{Fingerprint, MatchKind, ScannerFingerprints};
///
/// let one = Fingerprint::new(MatchKind::Contains, "scanner")?;
/// assert!(ScannerFingerprints::new(vec![one.clone(); MAX_FINGERPRINTS]).is_ok());
/// assert!(ScannerFingerprints::new(vec![one; MAX_FINGERPRINTS + 1]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_FINGERPRINTS: usize = 1024;

/// One scanner pattern.
///
/// # Example
///
/// ```
/// use voipsec::guard::{Fingerprint, MatchKind, ScannerFingerprints};
///
/// let fp = Fingerprint::new(MatchKind::Prefix, "MyScanner")?;
/// let list = ScannerFingerprints::new(vec![fp])?;
/// let hit = list.find("myscanner/0.9").ok_or("no match")?;
/// assert_eq!((hit.pattern(), hit.kind()), ("MyScanner", MatchKind::Prefix));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pattern: Box<str>,
    folded: Box<[u8]>,
    kind: MatchKind,
}

impl Fingerprint {
    /// A fingerprint; `pattern` must be 1 to [`MAX_FINGERPRINT_LEN`] bytes,
    /// without leading or trailing whitespace.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{Fingerprint, GuardError, MatchKind};
    ///
    /// assert!(Fingerprint::new(MatchKind::Contains, "sipvicious").is_ok());
    /// assert!(matches!(
    ///     Fingerprint::new(MatchKind::Contains, ""),
    ///     Err(GuardError::Fingerprint { .. })
    /// ));
    /// assert!(Fingerprint::new(MatchKind::Exact, " Cisco").is_err());
    /// ```
    pub fn new(kind: MatchKind, pattern: &str) -> Result<Self, GuardError> {
        if pattern.is_empty() {
            return Err(GuardError::Fingerprint {
                reason: "empty pattern",
            });
        }
        if pattern.len() > MAX_FINGERPRINT_LEN {
            return Err(GuardError::Fingerprint {
                reason: "pattern longer than 128 bytes",
            });
        }
        if pattern.trim() != pattern {
            return Err(GuardError::Fingerprint {
                reason: "pattern has surrounding whitespace",
            });
        }
        Ok(Fingerprint {
            pattern: pattern.into(),
            folded: pattern.to_ascii_lowercase().into_bytes().into_boxed_slice(),
            kind,
        })
    }

    /// The pattern as written (names the tool in events).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{Fingerprint, MatchKind};
    ///
    /// let fp = Fingerprint::new(MatchKind::Contains, "SIPVicious")?;
    /// assert_eq!(fp.pattern(), "SIPVicious"); // case kept for events
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// How it is matched.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{Fingerprint, MatchKind};
    ///
    /// assert_eq!(Fingerprint::new(MatchKind::Exact, "Cisco")?.kind(), MatchKind::Exact);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> MatchKind {
        self.kind
    }
}

/// The default fingerprints: `(kind, pattern)`.
///
/// Sources: the User-Agents that SIP attack tools send by default, as tracked
/// by community block lists (fail2ban filters, iptables `-m string` rules,
/// Kamailio/OpenSIPS scanner routes). Names that occur inside legitimate
/// product strings are matched as prefixes or exactly, not as substrings.
/// `Cisco` and `Cisco-SIPGateway/IOS-12.x` are spoofs: genuine Cisco gear
/// sends a concrete version. `sipsak` is a diagnostic tool, listed because
/// it is routinely used for sweeps; remove it where operators rely on it.
///
/// # Example
///
/// ```
/// use voipsec::guard::ScannerFingerprints;
/// use voipsec::guard::scanner::DEFAULT_FINGERPRINTS;
///
/// let list = ScannerFingerprints::default();
/// assert_eq!(list.fingerprints().len(), DEFAULT_FINGERPRINTS.len());
/// for &(kind, pattern) in DEFAULT_FINGERPRINTS {
///     let hit = list.find(pattern).ok_or(pattern)?;
///     assert_eq!(hit.kind(), kind);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_FINGERPRINTS: &[(MatchKind, &str)] = &[
    (MatchKind::Contains, "friendly-scanner"),
    (MatchKind::Contains, "friendly-request"),
    (MatchKind::Contains, "sipvicious"),
    (MatchKind::Contains, "sipcli"),
    (MatchKind::Contains, "VaxSIPUserAgent"),
    (MatchKind::Contains, "VaxIPUserAgent"),
    (MatchKind::Contains, "sundayddr"),
    (MatchKind::Contains, "sip-scan"),
    (MatchKind::Contains, "sipsak"),
    (MatchKind::Contains, "pplsip"),
    (MatchKind::Contains, "sippts"),
    (MatchKind::Contains, "siparmyknife"),
    (MatchKind::Contains, "voiphopper"),
    (MatchKind::Prefix, "iWar"),
    (MatchKind::Prefix, "SIVuS"),
    (MatchKind::Prefix, "Gulp"),
    (MatchKind::Prefix, "smap"),
    (MatchKind::Prefix, "svmap"),
    (MatchKind::Prefix, "svwar"),
    (MatchKind::Prefix, "svcrack"),
    (MatchKind::Prefix, "Nmap"),
    (MatchKind::Exact, "Cisco"),
    (MatchKind::Exact, "Cisco-SIPGateway/IOS-12.x"),
];

/// Longest User-Agent [`AgentMemo`] remembers.
const MEMO_AGENT_LEN: usize = 48;
/// Slots of an [`AgentMemo`] (a power of two).
const MEMO_SLOTS: usize = 16;

#[derive(Clone, Copy)]
struct MemoSlot {
    /// 0: empty.
    len: u8,
    bytes: [u8; MEMO_AGENT_LEN],
    scanner: bool,
}

/// Remembers whether recently seen User-Agent values matched a
/// [`ScannerFingerprints`] list: a fleet of phones sends the same few
/// values in every REGISTER refresh and call, and comparing a value with
/// the one remembered costs a fraction of searching every pattern.
///
/// Direct-mapped, fixed size, no allocation after creation. A slot is only
/// trusted when the whole value is equal, so a collision (or an attacker
/// cycling values) costs a normal search, never a wrong answer. Use one
/// memo per list (the answers are the list's).
pub(crate) struct AgentMemo {
    slots: Box<[MemoSlot; MEMO_SLOTS]>,
}

impl AgentMemo {
    pub(crate) fn new() -> Self {
        AgentMemo {
            slots: Box::new(
                [MemoSlot {
                    len: 0,
                    bytes: [0; MEMO_AGENT_LEN],
                    scanner: false,
                }; MEMO_SLOTS],
            ),
        }
    }

    /// Whether `agent` matches `list` (as `list.find(agent).is_some()`).
    pub(crate) fn is_scanner(&mut self, list: &ScannerFingerprints, agent: &[u8]) -> bool {
        let (Ok(len), Some(&first), Some(&last)) =
            (u8::try_from(agent.len()), agent.first(), agent.last())
        else {
            return list.find(agent).is_some();
        };
        if agent.len() > MEMO_AGENT_LEN {
            return list.find(agent).is_some();
        }
        // A cheap mix of length and end bytes: distinct models differ there.
        let index = (usize::from(len) ^ usize::from(first) ^ usize::from(last).wrapping_mul(7))
            % MEMO_SLOTS;
        let Some(slot) = self.slots.get_mut(index) else {
            return list.find(agent).is_some();
        };
        if slot.len == len && slot.bytes.get(..agent.len()) == Some(agent) {
            return slot.scanner;
        }
        let scanner = list.find(agent).is_some();
        if let Some(dst) = slot.bytes.get_mut(..agent.len()) {
            dst.copy_from_slice(agent);
            slot.len = len;
            slot.scanner = scanner;
        }
        scanner
    }
}

/// A compiled list of scanner fingerprints.
///
/// ```
/// use voipsec::guard::ScannerFingerprints;
///
/// let scanners = ScannerFingerprints::default();
/// let hit = scanners.find("Friendly-Scanner 1.0").unwrap();
/// assert_eq!(hit.pattern(), "friendly-scanner");
/// assert!(scanners.find(b"  SIVUS Discovery").is_some());
/// assert!(scanners.find("Cisco-SIPGateway/IOS-15.6.3.M5").is_none());
/// assert!(scanners.find("Yealink SIP-T46S 66.86.0.15").is_none());
/// ```
#[derive(Clone, Debug)]
pub struct ScannerFingerprints {
    fingerprints: Vec<Fingerprint>,
    /// Contains-patterns indexed by their (lower-case) first byte.
    contains_by_first_byte: Vec<Vec<u16>>,
    /// Bit `(a << 8) | b` is set when some contains-pattern starts with the
    /// folded bytes `a b` (or is the single byte `a`): most positions of a
    /// User-Agent are rejected by this one test.
    bigrams: Box<[u64; 1024]>,
    prefixes: Vec<u16>,
    exacts: Vec<u16>,
}

impl Default for ScannerFingerprints {
    fn default() -> Self {
        let defaults = DEFAULT_FINGERPRINTS
            .iter()
            .filter_map(|&(kind, pattern)| Fingerprint::new(kind, pattern).ok())
            .collect();
        // The default list is within every bound.
        Self::new(defaults).unwrap_or_else(|_| Self::empty())
    }
}

impl ScannerFingerprints {
    fn empty() -> Self {
        ScannerFingerprints {
            fingerprints: Vec::new(),
            contains_by_first_byte: vec![Vec::new(); 256],
            bigrams: Box::new([0; 1024]),
            prefixes: Vec::new(),
            exacts: Vec::new(),
        }
    }

    /// Compiles a list (at most [`MAX_FINGERPRINTS`]).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{Fingerprint, MatchKind, ScannerFingerprints};
    ///
    /// let list = ScannerFingerprints::new(vec![
    ///     Fingerprint::new(MatchKind::Contains, "evil-dialer")?,
    /// ])?;
    /// assert!(list.find("Evil-Dialer v2").is_some());
    /// // Only the given patterns: the defaults are not included.
    /// assert!(list.find("friendly-scanner").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(fingerprints: Vec<Fingerprint>) -> Result<Self, GuardError> {
        if fingerprints.len() > MAX_FINGERPRINTS {
            return Err(GuardError::TooMany {
                what: "scanner fingerprints",
                max: MAX_FINGERPRINTS,
            });
        }
        let mut list = Self::empty();
        for (index, fp) in fingerprints.iter().enumerate() {
            // index < MAX_FINGERPRINTS < u16::MAX.
            let index = index as u16;
            match fp.kind {
                MatchKind::Contains => {
                    let first = fp.folded.first().copied().unwrap_or(0);
                    if let Some(bucket) = list.contains_by_first_byte.get_mut(usize::from(first)) {
                        bucket.push(index);
                    }
                    match fp.folded.get(1) {
                        Some(&second) => list.mark_bigram(first, second),
                        None => (0..=255).for_each(|second| list.mark_bigram(first, second)),
                    }
                }
                MatchKind::Prefix => list.prefixes.push(index),
                MatchKind::Exact => list.exacts.push(index),
            }
        }
        list.fingerprints = fingerprints;
        Ok(list)
    }

    fn mark_bigram(&mut self, first: u8, second: u8) {
        let bit = (usize::from(first) << 8) | usize::from(second);
        if let Some(word) = self.bigrams.get_mut(bit >> 6) {
            *word |= 1 << (bit & 63);
        }
    }

    fn has_bigram(&self, first: u8, second: u8) -> bool {
        let bit = (usize::from(first) << 8) | usize::from(second);
        self.bigrams
            .get(bit >> 6)
            .is_some_and(|word| word & (1 << (bit & 63)) != 0)
    }

    /// The fingerprints, in the order given.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{Fingerprint, MatchKind, ScannerFingerprints};
    ///
    /// let list = ScannerFingerprints::new(vec![
    ///     Fingerprint::new(MatchKind::Exact, "b")?,
    ///     Fingerprint::new(MatchKind::Contains, "a")?,
    /// ])?;
    /// let patterns: Vec<&str> = list.fingerprints().iter().map(|fp| fp.pattern()).collect();
    /// assert_eq!(patterns, ["b", "a"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fingerprints(&self) -> &[Fingerprint] {
        &self.fingerprints
    }

    /// The first fingerprint matching `value` (a User-Agent, or a From
    /// display name), ASCII case-insensitively. Allocation-free; cost is
    /// linear in the value's length times the few patterns sharing a first
    /// byte.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{MatchKind, ScannerFingerprints};
    ///
    /// let scanners = ScannerFingerprints::default();
    /// let hit = scanners.find("sipcli/v1.8").ok_or("no match")?;
    /// assert_eq!((hit.pattern(), hit.kind()), ("sipcli", MatchKind::Contains));
    /// assert!(scanners.find(b"SVWAR").is_some()); // bytes, any case
    /// assert!(scanners.find("Asterisk PBX 20.5.0").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find(&self, value: impl AsRef<[u8]>) -> Option<&Fingerprint> {
        let value = value.as_ref();
        let trimmed = value.trim_ascii();
        let get = |index: &u16| self.fingerprints.get(usize::from(*index));
        let exact = self
            .exacts
            .iter()
            .filter_map(get)
            .find(|fp| trimmed.eq_ignore_ascii_case(&fp.folded));
        if exact.is_some() {
            return exact;
        }
        let prefix = self.prefixes.iter().filter_map(get).find(|fp| {
            trimmed
                .get(..fp.folded.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(&fp.folded))
        });
        if prefix.is_some() {
            return prefix;
        }
        for start in 0..value.len() {
            let first = value.get(start).map_or(0, u8::to_ascii_lowercase);
            // Past the end, any second byte will do: only one-byte patterns
            // can match there, and they set every bigram of their byte.
            let second = value.get(start + 1).map_or(0, u8::to_ascii_lowercase);
            if !self.has_bigram(first, second) {
                continue;
            }
            let Some(bucket) = self.contains_by_first_byte.get(usize::from(first)) else {
                continue;
            };
            for fp in bucket.iter().filter_map(get) {
                let hit = value
                    .get(start..start + fp.folded.len())
                    .is_some_and(|window| window.eq_ignore_ascii_case(&fp.folded));
                if hit {
                    return Some(fp);
                }
            }
        }
        None
    }
}

/// Thresholds of the [`EnumerationDetector`].
///
/// # Example
///
/// ```
/// use std::net::IpAddr;
/// use voipsec::guard::{EnumerationConfig, EnumerationDetector, Rule};
///
/// let config = EnumerationConfig { options_requests: 3, ..EnumerationConfig::default() };
/// let mut detector = EnumerationDetector::new(config)?;
/// let sweeper: IpAddr = "203.0.113.77".parse()?;
/// assert!(detector.observe_request(sweeper, "OPTIONS", "", 0).is_none());
/// assert!(detector.observe_request(sweeper, "OPTIONS", "", 1).is_none());
/// let reason = detector.observe_request(sweeper, "OPTIONS", "", 2).ok_or("no verdict")?;
/// assert_eq!(reason.rule, Rule::OptionsSweep);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumerationConfig {
    /// Counting window per source (tumbling, starts at the first message).
    pub window: Duration,
    /// Distinct target users (To / Request-URI user) per window that mark
    /// enumeration. At most 64. A NAT with many phones registering at once
    /// also addresses many users: exempt trusted ranges with the ACL.
    pub distinct_users: u32,
    /// Failure responses (404, 401, 403, 407, 484) sent to one source per
    /// window. Every phone draws one 401 per registration, so keep margin.
    pub failure_responses: u32,
    /// OPTIONS requests per source per window (phones behind one NAT each
    /// send keep-alives, so keep margin).
    pub options_requests: u32,
    /// The most sources tracked at once; the oldest is evicted beyond it.
    pub max_sources: usize,
    /// IPv6 sources are counted per prefix of this length (an attacker owns
    /// a whole /64 and can rotate addresses inside it).
    pub ipv6_prefix_len: u8,
}

impl Default for EnumerationConfig {
    fn default() -> Self {
        EnumerationConfig {
            window: Duration::from_secs(60),
            distinct_users: 32,
            failure_responses: 40,
            options_requests: 120,
            max_sources: 4096,
            ipv6_prefix_len: 64,
        }
    }
}

impl EnumerationConfig {
    /// Checks the ranges (thresholds ≥ 1, distinct users ≤ 64, IPv6 prefix
    /// ≤ 128, at least one source, window ≥ 1 ms).
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::EnumerationConfig;
    ///
    /// assert!(EnumerationConfig::default().validate().is_ok());
    /// assert!(EnumerationConfig { distinct_users: 65, ..EnumerationConfig::default() }.validate().is_err());
    /// assert!(EnumerationConfig { max_sources: 0, ..EnumerationConfig::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), GuardError> {
        let setting = |name, reason| Err(GuardError::Setting { name, reason });
        if self.distinct_users == 0 || self.distinct_users as usize > DISTINCT_CAPACITY {
            return setting("scanner.distinct_users", "must be 1..=64");
        }
        if self.failure_responses == 0 {
            return setting("scanner.failure_responses", "must be at least 1");
        }
        if self.options_requests == 0 {
            return setting("scanner.options_requests", "must be at least 1");
        }
        if self.max_sources == 0 {
            return setting("scanner.max_sources", "must be at least 1");
        }
        if self.ipv6_prefix_len > 128 {
            return setting("scanner.ipv6_prefix_len", "must be 0..=128");
        }
        if self.window.as_millis() == 0 {
            return setting("scanner.window", "must be at least 1 ms");
        }
        Ok(())
    }
}

#[derive(Debug)]
struct SourceState {
    window_start_ms: u64,
    users: DistinctSet,
    failures: u32,
    options: u32,
}

impl SourceState {
    fn new(now_ms: u64) -> Self {
        SourceState {
            window_start_ms: now_ms,
            users: DistinctSet::new(),
            failures: 0,
            options: 0,
        }
    }

    fn roll(&mut self, now_ms: u64, window_ms: u64) {
        if now_ms.saturating_sub(self.window_start_ms) >= window_ms {
            self.window_start_ms = now_ms;
            self.users.clear();
            self.failures = 0;
            self.options = 0;
        }
    }
}

/// Counts per source, within a window, the distinct users it addresses, the
/// failure responses it draws and its OPTIONS probes.
///
/// Time is passed in as monotonic milliseconds (any origin).
///
/// ```
/// use std::net::IpAddr;
/// use voipsec::guard::{EnumerationConfig, EnumerationDetector, Rule};
///
/// let mut detector = EnumerationDetector::new(EnumerationConfig {
///     distinct_users: 5,
///     ..EnumerationConfig::default()
/// })
/// .unwrap();
/// let scanner: IpAddr = "198.51.100.66".parse().unwrap();
/// let mut alert = None;
/// for (t, ext) in ["100", "101", "102", "103", "104"].iter().enumerate() {
///     alert = detector.observe_request(scanner, "REGISTER", ext, t as u64 * 10);
/// }
/// let reason = alert.expect("five distinct extensions in a minute");
/// assert_eq!(reason.rule, Rule::ExtensionEnumeration);
/// assert_eq!((reason.observed, reason.limit), (5, 5));
/// ```
#[derive(Debug)]
pub struct EnumerationDetector {
    config: EnumerationConfig,
    window_ms: u64,
    sources: BoundedTracker<IpAddr, SourceState>,
    fingerprinter: Fingerprinter,
}

impl EnumerationDetector {
    /// A detector with validated thresholds. All memory is reserved here.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{EnumerationConfig, EnumerationDetector};
    ///
    /// let detector = EnumerationDetector::new(EnumerationConfig::default())?;
    /// assert_eq!(detector.tracked_sources(), 0);
    /// let invalid = EnumerationConfig { failure_responses: 0, ..EnumerationConfig::default() };
    /// assert!(EnumerationDetector::new(invalid).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: EnumerationConfig) -> Result<Self, GuardError> {
        config.validate()?;
        Ok(EnumerationDetector {
            config,
            window_ms: u64::try_from(config.window.as_millis()).unwrap_or(u64::MAX),
            sources: BoundedTracker::new(config.max_sources),
            fingerprinter: Fingerprinter::new(),
        })
    }

    /// The thresholds.
    ///
    /// # Example
    ///
    /// ```
    /// use voipsec::guard::{EnumerationConfig, EnumerationDetector};
    ///
    /// let config = EnumerationConfig { distinct_users: 10, ..EnumerationConfig::default() };
    /// let detector = EnumerationDetector::new(config)?;
    /// assert_eq!(detector.config(), &config);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &EnumerationConfig {
        &self.config
    }

    /// How many sources are tracked (never more than `max_sources`).
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::{EnumerationConfig, EnumerationDetector};
    ///
    /// let mut detector = EnumerationDetector::new(EnumerationConfig::default())?;
    /// // Two addresses of one IPv6 /64 count as one source.
    /// for source in ["2001:db8::1", "2001:db8::2", "192.0.2.1"] {
    ///     let source: IpAddr = source.parse()?;
    ///     detector.observe_request(source, "REGISTER", "100", 0);
    /// }
    /// assert_eq!(detector.tracked_sources(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tracked_sources(&self) -> usize {
        self.sources.len()
    }

    fn state(&mut self, source: IpAddr, now_ms: u64) -> &mut SourceState {
        let key = source_key(source, self.config.ipv6_prefix_len);
        let (state, _) = self.sources.entry(key, || SourceState::new(now_ms));
        state.roll(now_ms, self.window_ms);
        state
    }

    /// Records a request from `source` addressed to `target_user` (the
    /// Request-URI or To user; empty when absent). Returns a reason once a
    /// threshold is reached (and for every later request in the window).
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::{EnumerationConfig, EnumerationDetector, Rule};
    ///
    /// let config = EnumerationConfig { distinct_users: 3, ..EnumerationConfig::default() };
    /// let mut detector = EnumerationDetector::new(config)?;
    /// let src: IpAddr = "198.51.100.5".parse()?;
    /// // The same user again and again is not enumeration.
    /// for t in 0..10 {
    ///     assert!(detector.observe_request(src, "INVITE", "100", t).is_none());
    /// }
    /// assert!(detector.observe_request(src, "INVITE", "101", 10).is_none());
    /// let reason = detector.observe_request(src, "INVITE", "102", 11).ok_or("no verdict")?;
    /// assert_eq!((reason.rule, reason.observed), (Rule::ExtensionEnumeration, 3));
    /// // A new window (60 s by default) starts from zero.
    /// assert!(detector.observe_request(src, "INVITE", "103", 60_011).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe_request(
        &mut self,
        source: IpAddr,
        method: &str,
        target_user: &str,
        now_ms: u64,
    ) -> Option<Reason> {
        let user_fingerprint = self.fingerprinter.of(target_user);
        let config = self.config;
        let state = self.state(source, now_ms);
        let distinct = if target_user.is_empty() {
            state.users.len()
        } else {
            state.users.insert(user_fingerprint)
        };
        if method == "OPTIONS" {
            state.options = state.options.saturating_add(1);
        }
        let distinct = u32::try_from(distinct).unwrap_or(u32::MAX);
        if distinct >= config.distinct_users {
            return Some(Reason::counted(
                Rule::ExtensionEnumeration,
                "requests to many distinct users",
                u64::from(distinct),
                u64::from(config.distinct_users),
            ));
        }
        if state.options >= config.options_requests {
            return Some(Reason::counted(
                Rule::OptionsSweep,
                "OPTIONS sweep",
                u64::from(state.options),
                u64::from(config.options_requests),
            ));
        }
        if state.failures >= config.failure_responses {
            return Some(failure_reason(state.failures, config.failure_responses));
        }
        None
    }

    /// Records a response with `status` sent to `source`; counts the
    /// statuses that reveal (non-)existence or failed credentials: 404, 401,
    /// 403, 407, 484 (RFC 3261 §21.4).
    ///
    /// # Example
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use voipsec::guard::{EnumerationConfig, EnumerationDetector, Rule};
    ///
    /// let config = EnumerationConfig { failure_responses: 2, ..EnumerationConfig::default() };
    /// let mut detector = EnumerationDetector::new(config)?;
    /// let src: IpAddr = "198.51.100.5".parse()?;
    /// assert!(detector.observe_response(src, 200, 0).is_none()); // not counted
    /// assert!(detector.observe_response(src, 180, 1).is_none());
    /// assert!(detector.observe_response(src, 404, 2).is_none());
    /// let reason = detector.observe_response(src, 403, 3).ok_or("no verdict")?;
    /// assert_eq!((reason.rule, reason.observed, reason.limit), (Rule::FailureResponses, 2, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe_response(&mut self, source: IpAddr, status: u16, now_ms: u64) -> Option<Reason> {
        if !matches!(status, 401 | 403 | 404 | 407 | 484) {
            return None;
        }
        let limit = self.config.failure_responses;
        let state = self.state(source, now_ms);
        state.failures = state.failures.saturating_add(1);
        (state.failures >= limit).then(|| failure_reason(state.failures, limit))
    }
}

fn failure_reason(observed: u32, limit: u32) -> Reason {
    Reason::counted(
        Rule::FailureResponses,
        "many 404/401/403 answers",
        u64::from(observed),
        u64::from(limit),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The memo answers exactly what the list does, whatever the order
        /// and repetition of values (collisions included).
        #[test]
        fn agent_memo_agrees_with_the_list(
            picks in proptest::collection::vec(0usize..12, 1..200),
        ) {
            let values = [
                "Yealink SIP-T46S 66.86.0.15", "friendly-scanner", "friendly-scannex",
                "Linphone/5.2.0 (belle-sip/5.2.0)", "sipvicious", "SIPVICIOUS",
                "Cisco", "Cisco ", "svwar 0.2", "x", "",
                "A User-Agent longer than the memo keeps, with sipcli at its end",
            ];
            let list = ScannerFingerprints::default();
            let mut memo = AgentMemo::new();
            for i in picks {
                let v = values[i].as_bytes();
                prop_assert_eq!(memo.is_scanner(&list, v), list.find(v).is_some(), "{}", values[i]);
            }
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn default_list_matches_known_tools_case_insensitively() {
        let list = ScannerFingerprints::default();
        let hits = [
            ("friendly-scanner", "friendly-scanner"),
            ("FRIENDLY-SCANNER", "friendly-scanner"),
            ("sipvicious 0.3.4", "sipvicious"),
            ("SIPVicious PRO", "sipvicious"),
            ("sipcli/v1.8", "sipcli"),
            ("VaxSIPUserAgent/3.1", "VaxSIPUserAgent"),
            ("sundayddr", "sundayddr"),
            ("sip-scan", "sip-scan"),
            ("iWar", "iWar"),
            ("sipsak 0.9.6", "sipsak"),
            ("SIVuS_VoIP_Scanner", "SIVuS"),
            ("Gulp/1.0", "Gulp"),
            ("smap 0.6.0", "smap"),
            ("pplsip", "pplsip"),
            ("cisco", "Cisco"),
            (" Cisco ", "Cisco"),
            ("Cisco-SIPGateway/IOS-12.x", "Cisco-SIPGateway/IOS-12.x"),
            ("my friendly-scannerx", "friendly-scanner"),
        ];
        for (ua, pattern) in hits {
            assert_eq!(
                list.find(ua).map(Fingerprint::pattern),
                Some(pattern),
                "{ua}"
            );
        }
        let misses = [
            "",
            "Cisco/SPA504G-7.6.2",
            "Cisco-SIPGateway/IOS-15.6.3.M5",
            "Yealink SIP-T46S",
            "Asterisk PBX 20.5.0",
            "Linphone/5.2 (belle-sip/5.2)",
            "Zoiper rv2.10",
            "friendly-scanne",
            "MicroSIP/3.21.3 (smap)",
            "Kiwar",
        ];
        for ua in misses {
            assert!(list.find(ua).is_none(), "{ua}");
        }
    }

    #[test]
    fn match_at_end_and_in_binary_data() {
        let list =
            ScannerFingerprints::new(vec![Fingerprint::new(MatchKind::Contains, "xyz").unwrap()])
                .unwrap();
        assert!(list.find(b"aaaxyz").is_some());
        assert!(list.find(b"aaaxy").is_none());
        assert!(list.find([0xffu8, 0x00, b'X', b'Y', b'Z', 0x80]).is_some());
        assert!(list.find(b"\xc3\xa9XYZ").is_some());
    }

    #[test]
    fn single_byte_patterns_match_everywhere() {
        let list =
            ScannerFingerprints::new(vec![Fingerprint::new(MatchKind::Contains, "Q").unwrap()])
                .unwrap();
        for value in ["q", "aq", "qa", "aaQ", "Q\u{0}"] {
            assert!(list.find(value).is_some(), "{value:?}");
        }
        assert!(list.find("abc").is_none());
    }

    #[test]
    fn fingerprint_errors() {
        assert!(Fingerprint::new(MatchKind::Contains, "").is_err());
        assert!(Fingerprint::new(MatchKind::Contains, " x").is_err());
        assert!(Fingerprint::new(MatchKind::Contains, &"a".repeat(129)).is_err());
        assert!(Fingerprint::new(MatchKind::Contains, &"a".repeat(128)).is_ok());
        let many = vec![Fingerprint::new(MatchKind::Exact, "a").unwrap(); MAX_FINGERPRINTS + 1];
        assert!(matches!(
            ScannerFingerprints::new(many),
            Err(GuardError::TooMany { .. })
        ));
    }

    proptest! {
        #[test]
        fn find_agrees_with_lowercase_oracle(
            patterns in proptest::collection::vec(("[a-cA-C-]{1,4}", 0u8..3), 1..8),
            value in "[a-cA-C -]{0,24}",
        ) {
            let fps: Vec<_> = patterns.iter().map(|(p, k)| {
                let kind = [MatchKind::Contains, MatchKind::Prefix, MatchKind::Exact][*k as usize];
                Fingerprint::new(kind, p.trim_matches(' ')).unwrap()
            }).collect();
            let list = ScannerFingerprints::new(fps.clone()).unwrap();
            let lower = value.to_ascii_lowercase();
            let trimmed = lower.trim_matches(|c: char| c.is_ascii_whitespace());
            let oracle = fps.iter().any(|fp| {
                let p = fp.pattern().to_ascii_lowercase();
                match fp.kind() {
                    MatchKind::Contains => lower.contains(&p),
                    MatchKind::Prefix => trimmed.starts_with(&p),
                    MatchKind::Exact => trimmed == p,
                }
            });
            prop_assert_eq!(list.find(&value).is_some(), oracle);
        }

        #[test]
        fn find_never_panics(value in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ScannerFingerprints::default().find(&value);
        }
    }

    fn detector(
        distinct: u32,
        failures: u32,
        options: u32,
        max_sources: usize,
    ) -> EnumerationDetector {
        EnumerationDetector::new(EnumerationConfig {
            window: Duration::from_secs(60),
            distinct_users: distinct,
            failure_responses: failures,
            options_requests: options,
            max_sources,
            ipv6_prefix_len: 64,
        })
        .unwrap()
    }

    #[test]
    fn distinct_users_threshold_boundary() {
        let mut d = detector(3, 100, 100, 16);
        let src = ip("192.0.2.1");
        assert!(d.observe_request(src, "REGISTER", "100", 0).is_none());
        // Repeats do not count.
        for _ in 0..10 {
            assert!(d.observe_request(src, "REGISTER", "100", 1).is_none());
        }
        assert!(d.observe_request(src, "INVITE", "101", 2).is_none());
        let alert = d.observe_request(src, "INVITE", "102", 3).unwrap();
        assert_eq!(alert.rule, Rule::ExtensionEnumeration);
        assert_eq!((alert.observed, alert.limit), (3, 3));
        // Another source is unaffected.
        assert!(
            d.observe_request(ip("192.0.2.2"), "INVITE", "102", 4)
                .is_none()
        );
    }

    #[test]
    fn window_resets_counts() {
        let mut d = detector(2, 100, 100, 16);
        let src = ip("192.0.2.1");
        assert!(d.observe_request(src, "REGISTER", "100", 0).is_none());
        // 59.999 s later: same window.
        assert!(d.observe_request(src, "REGISTER", "101", 59_999).is_some());
        // 60 s after the window start: new window.
        assert!(d.observe_request(src, "REGISTER", "102", 60_000).is_none());
        // A clock going backwards does not underflow or reset.
        assert!(d.observe_request(src, "REGISTER", "103", 10).is_some());
    }

    #[test]
    fn failure_responses_and_options_sweep() {
        let mut d = detector(64, 3, 2, 16);
        let src = ip("2001:db8::1");
        assert!(d.observe_response(src, 200, 0).is_none());
        assert!(d.observe_response(src, 100, 0).is_none());
        assert!(d.observe_response(src, 404, 0).is_none());
        assert!(d.observe_response(src, 401, 0).is_none());
        let alert = d.observe_response(src, 403, 0).unwrap();
        assert_eq!(alert.rule, Rule::FailureResponses);
        let mut d = detector(64, 3, 2, 16);
        assert!(d.observe_request(src, "OPTIONS", "", 0).is_none());
        let alert = d.observe_request(src, "OPTIONS", "", 0).unwrap();
        assert_eq!(alert.rule, Rule::OptionsSweep);
    }

    #[test]
    fn ipv6_sources_share_their_prefix() {
        let mut d = detector(3, 100, 100, 16);
        assert!(
            d.observe_request(ip("2001:db8:0:1::a"), "REGISTER", "100", 0)
                .is_none()
        );
        assert!(
            d.observe_request(ip("2001:db8:0:1::b"), "REGISTER", "101", 0)
                .is_none()
        );
        assert!(
            d.observe_request(ip("2001:db8:0:1:ffff::c"), "REGISTER", "102", 0)
                .is_some()
        );
        assert!(
            d.observe_request(ip("2001:db8:0:2::a"), "REGISTER", "103", 0)
                .is_none()
        );
        // Mapped IPv4 counts as the IPv4 source.
        let mut d = detector(2, 100, 100, 16);
        assert!(
            d.observe_request(ip("192.0.2.9"), "REGISTER", "100", 0)
                .is_none()
        );
        assert!(
            d.observe_request(ip("::ffff:192.0.2.9"), "REGISTER", "101", 0)
                .is_some()
        );
    }

    #[test]
    fn memory_is_bounded_by_max_sources() {
        let mut d = detector(2, 100, 100, 8);
        for n in 0..10_000u32 {
            d.observe_request(IpAddr::V4(n.into()), "REGISTER", "100", u64::from(n));
            assert!(d.tracked_sources() <= 8);
        }
        // The newest sources are still tracked: a second user trips them.
        assert!(
            d.observe_request(IpAddr::V4(9_999u32.into()), "REGISTER", "101", 10_000)
                .is_some()
        );
        // The oldest was evicted: it starts again from zero.
        assert!(
            d.observe_request(IpAddr::V4(0u32.into()), "REGISTER", "101", 10_000)
                .is_none()
        );
    }

    #[test]
    fn config_validation() {
        let bad = [
            EnumerationConfig {
                distinct_users: 0,
                ..Default::default()
            },
            EnumerationConfig {
                distinct_users: 65,
                ..Default::default()
            },
            EnumerationConfig {
                failure_responses: 0,
                ..Default::default()
            },
            EnumerationConfig {
                options_requests: 0,
                ..Default::default()
            },
            EnumerationConfig {
                max_sources: 0,
                ..Default::default()
            },
            EnumerationConfig {
                ipv6_prefix_len: 129,
                ..Default::default()
            },
            EnumerationConfig {
                window: Duration::ZERO,
                ..Default::default()
            },
        ];
        for config in bad {
            assert!(EnumerationDetector::new(config).is_err(), "{config:?}");
        }
        assert!(
            EnumerationDetector::new(EnumerationConfig {
                distinct_users: 64,
                ..Default::default()
            })
            .is_ok()
        );
    }
}
