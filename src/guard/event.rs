//! Decisions and the events that record them.
//!
//! Every policy answers with a [`Decision`]: an [`Action`] and a [`Reason`]
//! (the [`Rule`] that fired, a sentence for people, and the observed count
//! against its limit). The engine wraps a decision into an [`Event`] with the
//! time, the source and the account, and hands it to an [`EventSink`] — for
//! example a [`JsonLinesSink`] feeding a SIEM.
//!
//! Security contract: attacker-controlled strings carried by an event
//! (account, user agent, dialed number) are escaped both in the JSON output
//! (RFC 8259 §7) and in the human `Display` (control characters are written
//! as escapes), so an event can never inject a forged log line.

use std::fmt;
use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use super::error::GuardError;

/// The policy that produced a decision. [`Rule::name`] is stable: SIEM rules
/// and counters can key on it.
///
/// ```
/// use voipsec::guard::Rule;
///
/// assert_eq!(Rule::BruteForceSource.name(), "bruteforce.source");
/// assert_eq!(Rule::BruteForceSource.to_string(), Rule::BruteForceSource.name());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// No policy objected.
    Pass,
    /// A CIDR allow/deny list decided.
    Acl,
    /// The User-Agent matches a known scanner.
    ScannerUserAgent,
    /// One source asked for many distinct users (extension enumeration).
    ExtensionEnumeration,
    /// One source drew many 404/401/403/407 answers.
    FailureResponses,
    /// One source sent many OPTIONS probes.
    OptionsSweep,
    /// Too many failed authentications from one source.
    BruteForceSource,
    /// Too many failed authentications against one user.
    BruteForceUser,
    /// The dialed destination's class (premium, high-risk…) is restricted.
    FraudDestination,
    /// Short calls to many distinct destinations (toll-fraud probing).
    FraudProbing,
    /// A burst of calls after probing.
    FraudBurst,
    /// Too many requests from one source.
    RequestFlood,
    /// Too many malformed messages from one source.
    MalformedFlood,
    /// The source is already blocked by an earlier decision.
    ActiveBlock,
    /// A REGISTER or INVITE without valid credentials: challenge it.
    AuthRequired,
    /// One account starts new calls faster than its limit.
    FraudCallRate,
    /// One account holds more concurrent calls than its limit.
    FraudConcurrentCalls,
}

impl Rule {
    /// Every rule, for documentation and exhaustive tests.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use voipsec::guard::Rule;
    ///
    /// // Each rule has its own stable name.
    /// let names: HashSet<&str> = Rule::ALL.iter().map(|rule| rule.name()).collect();
    /// assert_eq!(names.len(), Rule::ALL.len());
    /// assert!(Rule::ALL.contains(&Rule::FraudProbing));
    /// ```
    pub const ALL: [Rule; 17] = [
        Rule::Pass,
        Rule::Acl,
        Rule::ScannerUserAgent,
        Rule::ExtensionEnumeration,
        Rule::FailureResponses,
        Rule::OptionsSweep,
        Rule::BruteForceSource,
        Rule::BruteForceUser,
        Rule::FraudDestination,
        Rule::FraudProbing,
        Rule::FraudBurst,
        Rule::RequestFlood,
        Rule::MalformedFlood,
        Rule::ActiveBlock,
        Rule::AuthRequired,
        Rule::FraudCallRate,
        Rule::FraudConcurrentCalls,
    ];

    /// The stable machine name (`family.rule`), used in JSON events.
    ///
    /// ```
    /// use voipsec::guard::Rule;
    /// assert_eq!(Rule::ScannerUserAgent.name(), "scanner.user_agent");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Rule::Pass => "pass",
            Rule::Acl => "acl",
            Rule::ScannerUserAgent => "scanner.user_agent",
            Rule::ExtensionEnumeration => "scanner.enumeration",
            Rule::FailureResponses => "scanner.failure_responses",
            Rule::OptionsSweep => "scanner.options_sweep",
            Rule::BruteForceSource => "bruteforce.source",
            Rule::BruteForceUser => "bruteforce.user",
            Rule::FraudDestination => "fraud.destination",
            Rule::FraudProbing => "fraud.probing",
            Rule::FraudBurst => "fraud.burst",
            Rule::RequestFlood => "flood.requests",
            Rule::MalformedFlood => "flood.malformed",
            Rule::ActiveBlock => "block.active",
            Rule::AuthRequired => "auth.challenge",
            Rule::FraudCallRate => "fraud.call_rate",
            Rule::FraudConcurrentCalls => "fraud.concurrent_calls",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to do with the message (or call).
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::Action;
///
/// let throttle = Action::Throttle { retry_after: Duration::from_secs(30) };
/// assert_eq!(throttle.to_string(), "throttle (retry after 30 s)");
/// assert!(!throttle.passes());
/// assert!(Action::Alert.passes());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Let it through.
    Allow,
    /// Let it through, and raise the event to an operator.
    Alert,
    /// Answer with a digest challenge (401/407).
    Challenge,
    /// Refuse for now: answer 503 with `Retry-After` (RFC 3261 §20.33).
    Throttle {
        /// How long the sender should wait.
        retry_after: Duration,
    },
    /// Refuse this message with 403 Forbidden (RFC 3261 §21.4.4): for known
    /// peers breaking a policy (ACL, forbidden destination), who deserve an
    /// answer rather than retransmitting into silence.
    Reject,
    /// Send nothing back, so a scanner learns nothing about this host.
    DropSilently,
    /// Drop this and everything from the source for a time.
    Block {
        /// How long the block lasts.
        duration: Duration,
    },
}

impl Action {
    /// The stable machine name of the action.
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::Action;
    ///
    /// assert_eq!(Action::DropSilently.name(), "drop");
    /// assert_eq!(Action::Block { duration: Duration::from_secs(60) }.name(), "block");
    /// ```
    pub const fn name(&self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Alert => "alert",
            Action::Challenge => "challenge",
            Action::Throttle { .. } => "throttle",
            Action::Reject => "reject",
            Action::DropSilently => "drop",
            Action::Block { .. } => "block",
        }
    }

    /// Severity rank: when several policies answer, the engine keeps the most
    /// severe (`Allow` < `Alert` < `Challenge` < `Throttle` < `Reject` <
    /// `DropSilently` < `Block`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::Action;
    ///
    /// let throttle = Action::Throttle { retry_after: Duration::from_secs(1) };
    /// assert!(Action::Challenge.severity() < throttle.severity());
    /// assert!(throttle.severity() < Action::Reject.severity());
    /// assert!(Action::DropSilently.severity() < Action::Block { duration: Duration::ZERO }.severity());
    /// ```
    pub const fn severity(&self) -> u8 {
        match self {
            Action::Allow => 0,
            Action::Alert => 1,
            Action::Challenge => 2,
            Action::Throttle { .. } => 3,
            Action::Reject => 4,
            Action::DropSilently => 5,
            Action::Block { .. } => 6,
        }
    }

    /// Whether the message may continue to the upstream.
    ///
    /// ```
    /// use voipsec::guard::Action;
    ///
    /// assert!(Action::Allow.passes() && Action::Alert.passes());
    /// assert!(!Action::Challenge.passes() && !Action::Reject.passes());
    /// ```
    pub const fn passes(&self) -> bool {
        matches!(self, Action::Allow | Action::Alert)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Throttle { retry_after } => {
                write!(f, "throttle (retry after {} s)", retry_after.as_secs())
            }
            Action::Block { duration } => write!(f, "block for {} s", duration.as_secs()),
            other => f.write_str(other.name()),
        }
    }
}

/// Why a decision was taken: the rule, a sentence for people, and the count
/// that crossed (or did not cross) the limit.
///
/// ```
/// use voipsec::guard::{Reason, Rule};
///
/// let reason = Reason::counted(Rule::RequestFlood, "request flood", 120, 100);
/// assert_eq!(reason.rule.name(), "flood.requests");
/// assert!(reason.observed > reason.limit);
/// assert_eq!(reason.to_string(), "flood.requests: request flood (120 observed, limit 100)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The rule that fired.
    pub rule: Rule,
    /// A short human sentence (static: building it never allocates).
    pub text: &'static str,
    /// What was counted (0 where nothing is counted).
    pub observed: u64,
    /// The limit it is compared with (0 where there is none).
    pub limit: u64,
}

impl Reason {
    /// A reason without counts.
    ///
    /// ```
    /// use voipsec::guard::{Reason, Rule};
    ///
    /// let reason = Reason::new(Rule::Acl, "source denied by ACL");
    /// assert_eq!((reason.observed, reason.limit), (0, 0));
    /// assert_eq!(reason.text, "source denied by ACL");
    /// ```
    pub const fn new(rule: Rule, text: &'static str) -> Self {
        Reason {
            rule,
            text,
            observed: 0,
            limit: 0,
        }
    }

    /// A reason with an observed count and its limit.
    ///
    /// ```
    /// use voipsec::guard::{Reason, Rule};
    ///
    /// let reason = Reason::counted(Rule::BruteForceUser, "failed authentications", 21, 20);
    /// assert_eq!((reason.observed, reason.limit), (21, 20));
    /// ```
    pub const fn counted(rule: Rule, text: &'static str, observed: u64, limit: u64) -> Self {
        Reason {
            rule,
            text,
            observed,
            limit,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.text)?;
        if self.limit != 0 || self.observed != 0 {
            write!(f, " ({} observed, limit {})", self.observed, self.limit)?;
        }
        Ok(())
    }
}

/// An action with its reason.
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::{Action, Decision, Reason, Rule};
///
/// let alert = Decision::new(Action::Alert, Reason::new(Rule::FraudDestination, "premium-rate destination"));
/// let block = Decision::new(
///     Action::Block { duration: Duration::from_secs(600) },
///     Reason::counted(Rule::BruteForceSource, "failed authentications", 12, 10),
/// );
/// // The engine keeps the most severe answer.
/// assert_eq!(alert.most_severe(block), block);
/// assert!(!block.action.passes());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// What to do.
    pub action: Action,
    /// Why.
    pub reason: Reason,
}

impl Decision {
    /// The decision when no policy objects.
    ///
    /// ```
    /// use voipsec::guard::{Action, Decision, Rule};
    ///
    /// assert_eq!(Decision::ALLOW.action, Action::Allow);
    /// assert_eq!(Decision::ALLOW.reason.rule, Rule::Pass);
    /// ```
    pub const ALLOW: Decision = Decision {
        action: Action::Allow,
        reason: Reason::new(Rule::Pass, "no policy objected"),
    };

    /// A decision.
    ///
    /// ```
    /// use voipsec::guard::{Action, Decision, Reason, Rule};
    ///
    /// let reject = Decision::new(Action::Reject, Reason::new(Rule::Acl, "denied"));
    /// assert_eq!(reject.action, Action::Reject);
    /// assert_eq!(reject.reason.rule, Rule::Acl);
    /// ```
    pub const fn new(action: Action, reason: Reason) -> Self {
        Decision { action, reason }
    }

    /// The more severe of two decisions; on a tie, `self` (the earlier
    /// policy) is kept so that reasons stay deterministic.
    ///
    /// ```
    /// use voipsec::guard::{Action, Decision, Reason, Rule};
    ///
    /// let first = Decision::new(Action::Reject, Reason::new(Rule::Acl, "denied"));
    /// let second = Decision::new(Action::Reject, Reason::new(Rule::FraudDestination, "premium"));
    /// // A tie keeps the earlier decision; a lesser one never replaces it.
    /// assert_eq!(first.most_severe(second), first);
    /// assert_eq!(first.most_severe(Decision::ALLOW), first);
    /// assert_eq!(Decision::ALLOW.most_severe(first), first);
    /// ```
    pub fn most_severe(self, other: Decision) -> Decision {
        if other.action.severity() > self.action.severity() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} — {}", self.action, self.reason)
    }
}

/// One decision about one message or call, ready for a sink.
///
/// Borrowed strings keep building an event allocation-free.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use voipsec::guard::{Action, Decision, Event, Reason, Rule};
///
/// let event = Event {
///     time_unix_ms: 1_700_000_000_000,
///     source: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
///     account: Some("alice"),
///     subject: Some("friendly-scanner\r\nforged: line"),
///     decision: Decision::new(Action::DropSilently, Reason::new(Rule::ScannerUserAgent, "known scanner User-Agent")),
/// };
/// let text = event.to_string();
/// assert!(text.contains("scanner.user_agent"));
/// assert!(!text.contains('\n'), "attacker text cannot break the line");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub time_unix_ms: u64,
    /// The network source of the message.
    pub source: IpAddr,
    /// The account concerned, if known (attacker-controlled: escaped on output).
    pub account: Option<&'a str>,
    /// What the rule looked at — user agent, dialed number, target user
    /// (attacker-controlled: escaped on output).
    pub subject: Option<&'a str>,
    /// The decision taken.
    pub decision: Decision,
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso8601(f, self.time_unix_ms)?;
        write!(
            f,
            " {} {} rule={}",
            self.decision.action, self.source, self.decision.reason.rule
        )?;
        if let Some(account) = self.account {
            write!(f, " account=\"{}\"", account.escape_debug())?;
        }
        if let Some(subject) = self.subject {
            write!(f, " subject=\"{}\"", subject.escape_debug())?;
        }
        write!(f, ": {}", self.decision.reason.text)?;
        let reason = &self.decision.reason;
        if reason.limit != 0 || reason.observed != 0 {
            write!(f, " ({} observed, limit {})", reason.observed, reason.limit)?;
        }
        Ok(())
    }
}

/// Receives events. Implement it to feed a SIEM, a metrics counter, a ban list.
///
/// ```
/// use voipsec::guard::{Engine, EngineConfig, Event, EventSink, GuardError, Rule};
///
/// /// Counts events per rule instead of writing them.
/// #[derive(Default)]
/// struct Counter(Vec<Rule>);
///
/// impl EventSink for Counter {
///     fn record(&mut self, event: &Event<'_>) -> Result<(), GuardError> {
///         self.0.push(event.decision.reason.rule);
///         Ok(())
///     }
/// }
///
/// let mut engine = Engine::new(EngineConfig::default(), Counter::default())?;
/// let phone = "192.0.2.10".parse()?;
/// let call = engine.on_call_start(phone, "alice", "1 900 555 0100", 0, 0);
/// assert!(call.permit.is_none());
/// assert_eq!(engine.sink().0, [Rule::FraudDestination]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait EventSink {
    /// Records one event.
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    /// use voipsec::guard::{Decision, Event, EventSink, JsonLinesSink};
    ///
    /// let mut sink = JsonLinesSink::new(Vec::new());
    /// let event = Event {
    ///     time_unix_ms: 1_000,
    ///     source: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    ///     account: None,
    ///     subject: None,
    ///     decision: Decision::ALLOW,
    /// };
    /// sink.record(&event)?;
    /// sink.record(&event)?;
    /// assert_eq!(sink.get_ref().iter().filter(|&&b| b == b'\n').count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn record(&mut self, event: &Event<'_>) -> Result<(), GuardError>;

    /// Pushes buffered events out (default: nothing buffered).
    ///
    /// ```
    /// use std::io::BufWriter;
    /// use std::net::{IpAddr, Ipv4Addr};
    /// use voipsec::guard::{Decision, Event, EventSink, JsonLinesSink};
    ///
    /// let mut sink = JsonLinesSink::new(BufWriter::new(Vec::new()));
    /// sink.record(&Event {
    ///     time_unix_ms: 0,
    ///     source: IpAddr::V4(Ipv4Addr::LOCALHOST),
    ///     account: None,
    ///     subject: None,
    ///     decision: Decision::ALLOW,
    /// })?;
    /// assert!(sink.get_ref().get_ref().is_empty(), "still buffered");
    /// sink.flush()?;
    /// assert!(sink.get_ref().get_ref().ends_with(b"}\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn flush(&mut self) -> Result<(), GuardError> {
        Ok(())
    }
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn record(&mut self, event: &Event<'_>) -> Result<(), GuardError> {
        (**self).record(event)
    }

    fn flush(&mut self) -> Result<(), GuardError> {
        (**self).flush()
    }
}

/// Writes each event as one JSON object on its own line (JSON Lines).
///
/// Each line is built in a reused buffer and handed to the writer with a
/// single `write_all`, so concurrent readers never see half a line from this
/// sink, and steady-state recording allocates nothing.
///
/// Fields: `time` (RFC 3339 UTC), `ts_ms`, `source`, `account` (string or
/// null), `subject` (string or null), `rule`, `action`, `retry_after_ms` /
/// `block_ms` (only for throttle / block), `observed`, `limit`, `reason`.
///
/// ```
/// use std::net::{IpAddr, Ipv6Addr};
/// use voipsec::guard::{Action, Decision, Event, EventSink, JsonLinesSink, Reason, Rule};
///
/// let mut sink = JsonLinesSink::new(Vec::new());
/// sink.record(&Event {
///     time_unix_ms: 0,
///     source: IpAddr::V6(Ipv6Addr::LOCALHOST),
///     account: Some("bob\"1"),
///     subject: None,
///     decision: Decision::new(Action::Alert, Reason::counted(Rule::FraudProbing, "short calls to many destinations", 9, 8)),
/// }).unwrap();
/// let line = String::from_utf8(sink.into_inner()).unwrap();
/// assert_eq!(
///     line,
///     "{\"time\":\"1970-01-01T00:00:00.000Z\",\"ts_ms\":0,\"source\":\"::1\",\"account\":\"bob\\\"1\",\
/// \"subject\":null,\"rule\":\"fraud.probing\",\"action\":\"alert\",\"observed\":9,\"limit\":8,\
/// \"reason\":\"short calls to many destinations\"}\n"
/// );
/// ```
#[derive(Debug)]
pub struct JsonLinesSink<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `out` (wrap files in a `BufWriter`; stdout's lock is
    /// line-buffered already).
    ///
    /// ```
    /// use voipsec::guard::JsonLinesSink;
    ///
    /// let sink = JsonLinesSink::new(Vec::new());
    /// assert!(sink.get_ref().is_empty());
    /// ```
    pub fn new(out: W) -> Self {
        JsonLinesSink {
            out,
            line: Vec::with_capacity(512),
        }
    }

    /// The writer.
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
    /// let call = engine.on_call_start("192.0.2.10".parse()?, "alice", "1 900 555 0100", 0, 0);
    /// assert!(call.permit.is_none());
    /// let written = String::from_utf8(engine.sink().get_ref().clone())?;
    /// assert!(written.contains("\"rule\":\"fraud.destination\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Gives the writer back.
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
    /// engine.on_call_start("192.0.2.10".parse()?, "alice", "1 900 555 0100", 0, 0);
    /// let lines = engine.into_sink().into_inner();
    /// assert_eq!(lines.iter().filter(|&&b| b == b'\n').count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> EventSink for JsonLinesSink<W> {
    fn record(&mut self, event: &Event<'_>) -> Result<(), GuardError> {
        self.line.clear();
        write_json_event(&mut self.line, event)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), GuardError> {
        self.out.flush()?;
        Ok(())
    }
}

fn write_json_event(buf: &mut Vec<u8>, event: &Event<'_>) -> std::io::Result<()> {
    buf.extend_from_slice(b"{\"time\":\"");
    {
        let mut adapter = FmtToVec(buf);
        // Writing into a Vec cannot fail; the adapter reports Ok.
        let _ = fmt::Write::write_fmt(
            &mut adapter,
            format_args!("{}", Iso8601(event.time_unix_ms)),
        );
    }
    write!(
        buf,
        "\",\"ts_ms\":{},\"source\":\"{}\"",
        event.time_unix_ms, event.source
    )?;
    buf.extend_from_slice(b",\"account\":");
    write_json_opt_str(buf, event.account);
    buf.extend_from_slice(b",\"subject\":");
    write_json_opt_str(buf, event.subject);
    let decision = &event.decision;
    write!(
        buf,
        ",\"rule\":\"{}\",\"action\":\"{}\"",
        decision.reason.rule.name(),
        decision.action.name()
    )?;
    match decision.action {
        Action::Throttle { retry_after } => {
            write!(buf, ",\"retry_after_ms\":{}", retry_after.as_millis())?
        }
        Action::Block { duration } => write!(buf, ",\"block_ms\":{}", duration.as_millis())?,
        _ => {}
    }
    write!(
        buf,
        ",\"observed\":{},\"limit\":{},\"reason\":",
        decision.reason.observed, decision.reason.limit
    )?;
    write_json_str(buf, decision.reason.text);
    buf.push(b'}');
    Ok(())
}

fn write_json_opt_str(buf: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(s) => write_json_str(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// Writes `s` as a JSON string literal (RFC 8259 §7): quote, backslash and
/// every control character below U+0020 are escaped; U+2028/U+2029 are
/// escaped too, because JavaScript consumers treat them as line breaks.
pub(crate) fn write_json_str(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'"');
    let mut rest = s;
    while let Some((index, ch)) = rest.char_indices().find(|&(_, c)| needs_json_escape(c)) {
        buf.extend_from_slice(rest.get(..index).unwrap_or("").as_bytes());
        match ch {
            '"' => buf.extend_from_slice(b"\\\""),
            '\\' => buf.extend_from_slice(b"\\\\"),
            '\n' => buf.extend_from_slice(b"\\n"),
            '\r' => buf.extend_from_slice(b"\\r"),
            '\t' => buf.extend_from_slice(b"\\t"),
            '\u{08}' => buf.extend_from_slice(b"\\b"),
            '\u{0c}' => buf.extend_from_slice(b"\\f"),
            other => {
                let code = other as u32;
                buf.extend_from_slice(b"\\u");
                for shift in [12u32, 8, 4, 0] {
                    // The mask keeps the index below 16.
                    let nibble = ((code >> shift) & 0xf) as usize;
                    buf.push(HEX.get(nibble).copied().unwrap_or(b'0'));
                }
            }
        }
        rest = rest.get(index + ch.len_utf8()..).unwrap_or("");
    }
    buf.extend_from_slice(rest.as_bytes());
    buf.push(b'"');
}

const fn needs_json_escape(c: char) -> bool {
    matches!(
        c,
        '"' | '\\' | '\u{00}'..='\u{1f}' | '\u{2028}' | '\u{2029}'
    )
}

/// Lets `fmt` machinery write into a byte buffer.
struct FmtToVec<'a>(&'a mut Vec<u8>);

impl fmt::Write for FmtToVec<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Formats Unix milliseconds as RFC 3339 UTC (`2023-11-14T22:13:20.000Z`).
struct Iso8601(u64);

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso8601(f, self.0)
    }
}

fn write_iso8601(f: &mut fmt::Formatter<'_>, unix_ms: u64) -> fmt::Result {
    let millis = unix_ms % 1000;
    let secs = unix_ms / 1000;
    let days = secs / 86_400;
    let second_of_day = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    write!(
        f,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `civil_from_days`, restricted to non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn json(s: &str) -> String {
        let mut buf = Vec::new();
        write_json_str(&mut buf, s);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn json_escapes_quotes_backslashes_and_controls() {
        assert_eq!(json(""), "\"\"");
        assert_eq!(json("plain"), "\"plain\"");
        assert_eq!(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(json("\n\r\t\u{8}\u{c}"), "\"\\n\\r\\t\\b\\f\"");
        assert_eq!(json("\u{0}\u{1f}\u{7f}"), "\"\\u0000\\u001f\u{7f}\"");
        assert_eq!(json("x\u{2028}y\u{2029}"), "\"x\\u2028y\\u2029\"");
        assert_eq!(json("é日本🎉"), "\"é日本🎉\"");
    }

    fn unescape_json(lit: &str) -> String {
        // A minimal JSON string decoder, independent from the encoder, as
        // the round-trip oracle.
        let inner = &lit[1..lit.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            assert!(c >= ' ' && c != '"', "raw {c:?} inside a JSON string");
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next().unwrap() {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                }
                other => panic!("bad escape {other:?}"),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn json_string_round_trips(s in "\\PC*|[\\x00-\\x1f\"\\\\\u{2028}]*") {
            let lit = json(&s);
            proptest::prop_assert_eq!(unescape_json(&lit), s);
        }
    }

    #[test]
    fn iso8601_known_dates() {
        let fmt = |ms| Iso8601(ms).to_string();
        assert_eq!(fmt(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(fmt(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(fmt(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(fmt(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(fmt(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
    }

    #[test]
    fn rule_names_are_unique_and_dotted_lowercase() {
        let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert!(names.iter().all(|n| {
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
        }));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }

    #[test]
    fn severity_orders_actions() {
        let order = [
            Action::Allow,
            Action::Alert,
            Action::Challenge,
            Action::Throttle {
                retry_after: Duration::from_secs(1),
            },
            Action::Reject,
            Action::DropSilently,
            Action::Block {
                duration: Duration::from_secs(1),
            },
        ];
        for pair in order.windows(2) {
            assert!(pair[0].severity() < pair[1].severity(), "{:?}", pair);
        }
        assert!(Action::Alert.passes() && Action::Allow.passes());
        assert!(!Action::Challenge.passes() && !Action::DropSilently.passes());
    }

    #[test]
    fn most_severe_keeps_first_on_tie() {
        let a = Decision::new(
            Action::DropSilently,
            Reason::new(Rule::ScannerUserAgent, "a"),
        );
        let b = Decision::new(Action::DropSilently, Reason::new(Rule::Acl, "b"));
        assert_eq!(a.most_severe(b), a);
        assert_eq!(Decision::ALLOW.most_severe(b), b);
    }

    #[test]
    fn json_line_for_block_and_throttle() {
        let mut sink = JsonLinesSink::new(Vec::new());
        let base = Event {
            time_unix_ms: 1_700_000_000_000,
            source: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
            account: None,
            subject: Some("100\n"),
            decision: Decision::new(
                Action::Block {
                    duration: Duration::from_secs(3600),
                },
                Reason::counted(Rule::BruteForceSource, "failed authentications", 11, 10),
            ),
        };
        sink.record(&base).unwrap();
        let throttle = Event {
            decision: Decision::new(
                Action::Throttle {
                    retry_after: Duration::from_millis(1500),
                },
                Reason::new(Rule::RequestFlood, "request rate"),
            ),
            ..base
        };
        sink.record(&throttle).unwrap();
        let out = String::from_utf8(sink.into_inner()).unwrap();
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "{\"time\":\"2023-11-14T22:13:20.000Z\",\"ts_ms\":1700000000000,\"source\":\"203.0.113.9\",\
\"account\":null,\"subject\":\"100\\n\",\"rule\":\"bruteforce.source\",\"action\":\"block\",\
\"block_ms\":3600000,\"observed\":11,\"limit\":10,\"reason\":\"failed authentications\"}"
        );
        assert!(lines[1].contains("\"action\":\"throttle\",\"retry_after_ms\":1500,"));
    }

    #[test]
    fn display_escapes_attacker_text() {
        let event = Event {
            time_unix_ms: 0,
            source: IpAddr::V4(Ipv4Addr::LOCALHOST),
            account: Some("a\"\u{1b}[31m"),
            subject: Some("x\ry"),
            decision: Decision::ALLOW,
        };
        let text = event.to_string();
        assert_eq!(
            text,
            "1970-01-01T00:00:00.000Z allow 127.0.0.1 rule=pass account=\"a\\\"\\u{1b}[31m\" \
subject=\"x\\ry\": no policy objected"
        );
    }

    struct FailingWriter;
    impl Write for FailingWriter {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn sink_reports_io_errors() {
        let mut sink = JsonLinesSink::new(FailingWriter);
        let event = Event {
            time_unix_ms: 0,
            source: IpAddr::V4(Ipv4Addr::LOCALHOST),
            account: None,
            subject: None,
            decision: Decision::ALLOW,
        };
        assert!(matches!(sink.record(&event), Err(GuardError::Sink(_))));
    }
}
