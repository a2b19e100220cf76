//! The engine: where `sip`, `digest`, `ratelimit` and the guard policies
//! meet. A message (or a call event) goes in; a [`Decision`] comes out, and
//! every decision that is not a plain allow becomes an [`Event`] for the
//! sink.
//!
//! # The per-message path
//!
//! [`Engine::on_datagram`] (or [`Engine::on_message`] for a message the
//! caller parsed) applies, in this order, stopping at the first refusal:
//!
//! 1. **active block** — a banned source is dropped before anything is
//!    parsed ([`Rule::ActiveBlock`]);
//! 2. **request flood** — a per-source GCRA ([`FloodConfig`]) answers
//!    [`Action::Throttle`] with a `Retry-After` ([`Rule::RequestFlood`]);
//! 3. **parse and sanity** (datagrams) — parsing, then
//!    [`EngineConfig::sanity`] (grammar, mandatory and duplicate headers,
//!    hop limit, control characters…); a failure is dropped and counted per
//!    source; too many in the window block the source
//!    ([`Rule::MalformedFlood`]);
//! 4. **ACL** — the method and the account (digest username, else the From
//!    user; the To user for REGISTER) against the CIDR lists ([`Rule::Acl`]):
//!    a scoped rule rejects (403), a global rule or the default drops;
//! 5. **scanner User-Agent** — known tools are dropped silently and banned
//!    for `scanner.block_for` ([`Rule::ScannerUserAgent`]);
//! 6. **enumeration** — many distinct target users or OPTIONS from one
//!    source ([`Rule::ExtensionEnumeration`], [`Rule::OptionsSweep`]);
//! 7. **challenge** — REGISTER and initial INVITE without credentials get
//!    [`Action::Challenge`] ([`Rule::AuthRequired`]).
//!
//! Then the caller verifies credentials with [`Engine::authenticate`]
//! (digest failures feed the brute-force counters and escalating bans) and,
//! for an authenticated initial INVITE, asks [`Engine::on_call_start`]:
//! destination class, probing burst, new-call rate and concurrent calls per
//! account (a [`CallPermit`] holds the slot until dropped). Responses sent
//! to a source go through [`Engine::on_response`] (404/401 patterns), ended
//! calls through [`Engine::on_call_ended`] (probing).
//!
//! # Contract
//!
//! * Never fails and never panics on traffic; a sink error is counted
//!   ([`Engine::sink_errors`]) and the decision still returned.
//! * Time is injected: `now_ms` is monotonic milliseconds (any origin) for
//!   every window, `wall_ms` Unix milliseconds for events and nonces.
//! * The allow path allocates nothing (checked by `tests/guard_engine_alloc.rs`),
//!   and memory is bounded by configuration whatever the sources.
//! * A flood cannot flood the log: repeated drops (active blocks, floods,
//!   malformed messages, challenges) share an event budget
//!   ([`EngineConfig::noisy_events_per_second`]); the rest are counted in
//!   [`Engine::suppressed_events`].
//!
//! ```
//! use std::net::IpAddr;
//! use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
//!
//! let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new())).unwrap();
//! let scanner: IpAddr = "198.51.100.66".parse().unwrap();
//! let sweep = b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bK-1\r\n\
//! From: <sip:100@192.0.2.1>;tag=1\r\nTo: <sip:100@192.0.2.1>\r\n\
//! Call-ID: 1@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
//! User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n";
//! let seen = engine.on_datagram(scanner, sweep, 1_000, 1_700_000_000_000);
//! assert!(matches!(seen.decision.action, Action::Block { .. }));
//! assert_eq!(seen.decision.reason.rule, Rule::ScannerUserAgent);
//! // Everything else from that source is now dropped unread.
//! let again = engine.on_datagram(scanner, b"garbage", 2_000, 1_700_000_001_000);
//! assert_eq!(again.decision.reason.rule, Rule::ActiveBlock);
//! let log = String::from_utf8(engine.into_sink().into_inner()).unwrap();
//! assert!(log.contains("\"rule\":\"scanner.user_agent\""));
//! ```

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::time::Duration;

use super::acl::AclAction;
use super::ban::BanList;
use super::bruteforce::BruteForceDetector;
use super::config::FloodConfig;
use super::error::GuardError;
use super::event::{Action, Decision, Event, EventSink, Reason, Rule};
use super::fraud::ProbingDetector;
use super::scanner::{AgentMemo, EnumerationDetector};
use super::settings::EngineConfig;
use crate::digest::{
    CredentialStore, Credentials, DigestError, DigestRequest, MAX_USERNAME_LEN, NonceCountStore,
    Verdict, Verifier,
};
use crate::ratelimit::{
    AcquireError, ConcurrencyLimiter, Gcra, IpLimiter, KeyedConfig, KeyedLimiter, Limiter,
    ManualClock, Permit, SlidingWindow,
};
use crate::sip::sanity::Rejection;
use crate::sip::{HeaderName, Message, Method, SipError};

/// Why [`Engine::on_datagram`] has no message to give back.
///
/// ```
/// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Unread};
///
/// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
/// let seen = engine.on_datagram("192.0.2.10".parse()?, b"not SIP at all", 0, 0);
/// assert!(matches!(seen.message, Err(Unread::Parse(_))));
/// assert_eq!(seen.decision.action, Action::DropSilently);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread<'a> {
    /// The source is blocked or flooding: the bytes were not parsed.
    Refused,
    /// The datagram does not parse (framing, limits).
    Parse(SipError),
    /// The message parsed but failed the sanity checks (grammar included);
    /// the rejection carries the status code a UAS would answer.
    Sanity(Rejection<'a>),
}

/// A parsed datagram and the decision about it ([`Engine::on_datagram`]).
///
/// ```
/// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
///
/// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
/// let register = b"REGISTER sip:example.test SIP/2.0\r\n\
/// Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n\
/// From: <sip:alice@example.test>;tag=1\r\nTo: <sip:alice@example.test>\r\n\
/// Call-ID: 1@x\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
/// let seen = engine.on_datagram("192.0.2.10".parse()?, register, 0, 0);
/// // Parsed and sane, but a REGISTER without credentials is challenged.
/// assert_eq!(seen.message.as_ref().map(|m| m.method().is_some()), Ok(true));
/// assert_eq!(seen.decision.action, Action::Challenge);
/// assert_eq!(seen.decision.reason.rule, Rule::AuthRequired);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Inspection<'a> {
    /// What to do with the datagram.
    pub decision: Decision,
    /// The message that passed parsing and the sanity checks, or why there
    /// is none.
    pub message: Result<Message<'a>, Unread<'a>>,
}

/// The outcome of [`Engine::authenticate`].
///
/// ```
/// use voipsec::digest::{DigestConfig, InMemoryCredentials, InMemoryNonceCounts, NonceSecret, Verdict, Verifier};
/// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink};
/// use voipsec::sip::Message;
///
/// let mut users = InMemoryCredentials::new();
/// users.insert_password(b"alice", b"example.test", b"s3cret");
/// let verifier = Verifier::new(DigestConfig::new("example.test"),
///     NonceSecret::generate(), users, InMemoryNonceCounts::default());
/// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
/// let bytes = b"REGISTER sip:example.test SIP/2.0\r\n\
/// Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n\
/// From: <sip:alice@example.test>;tag=1\r\nTo: <sip:alice@example.test>\r\n\
/// Call-ID: 1@x\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n\
/// Authorization: Digest username=\"alice\", realm=\"elsewhere\", nonce=\"n\", \
/// uri=\"sip:example.test\", response=\"00000000000000000000000000000000\"\r\n\
/// Content-Length: 0\r\n\r\n";
/// let message = Message::parse(bytes)?;
/// let auth = engine.authenticate("192.0.2.10".parse()?, &message, &verifier, 0, 0);
/// assert_eq!(auth.verdict, Some(Verdict::RealmMismatch));
/// assert_eq!(auth.user.as_deref(), Some("alice"));
/// assert_eq!(auth.account(), None, "claimed, not authenticated");
/// assert_eq!(auth.decision.action, Action::Challenge);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication<'a> {
    /// The verifier's verdict; `None` when the request carried no
    /// credentials for this method.
    pub verdict: Option<Verdict>,
    /// The username the credentials claim, as the verifier looks it up
    /// ([`Credentials::claimed_username`]: unescaped, or `username*`
    /// decoded); verified only when the verdict is authenticated. Borrowed
    /// from the message unless it had to be unescaped or decoded.
    pub user: Option<Cow<'a, str>>,
    /// What to do: allow, challenge again (with `stale` =
    /// [`Verdict::stale`]), throttle, reject, or block the source.
    pub decision: Decision,
}

impl Authentication<'_> {
    /// The authenticated account, if the credentials were valid.
    ///
    /// ```
    /// use voipsec::guard::Authentication;
    /// use voipsec::guard::Decision;
    /// use voipsec::digest::Verdict;
    ///
    /// let claimed = Authentication {
    ///     verdict: Some(Verdict::WrongResponse),
    ///     user: Some("alice".into()),
    ///     decision: Decision::ALLOW,
    /// };
    /// assert_eq!(claimed.account(), None);
    /// ```
    pub fn account(&self) -> Option<&str> {
        match self.verdict {
            Some(v) if v.is_authenticated() => self.user.as_deref(),
            _ => None,
        }
    }
}

/// One open call of an account. Dropping it frees the account's
/// concurrent-call slot: keep it with the call state and drop it when the
/// call ends (BYE, CANCEL, a final error response, or a timeout).
///
/// ```
/// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
///
/// let config = EngineConfig::parse("calls.max_concurrent = 1")?;
/// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
/// let phone = "192.0.2.10".parse()?;
/// let permit = engine.on_call_start(phone, "alice", "212 555 0100", 0, 0).permit;
/// assert!(permit.is_some());
/// assert!(engine.on_call_start(phone, "alice", "212 555 0101", 1, 0).permit.is_none());
/// drop(permit); // the first call ended
/// assert!(engine.on_call_start(phone, "alice", "212 555 0101", 2, 0).permit.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CallPermit {
    _permit: Permit<u64>,
}

/// The answer of [`Engine::on_call_start`].
///
/// ```
/// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
///
/// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
/// let phone = "192.0.2.10".parse()?;
/// // International calls are allowed with an alert (the default policy).
/// let abroad = engine.on_call_start(phone, "alice", "011 44 20 7946 0000", 0, 0);
/// assert_eq!(abroad.decision.action, Action::Alert);
/// assert_eq!(abroad.decision.reason.rule, Rule::FraudDestination);
/// assert!(abroad.permit.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CallAdmission {
    /// Allow or alert (the call may proceed, and `permit` is set), or the
    /// refusal.
    pub decision: Decision,
    /// The concurrent-call slot, when the call may proceed.
    pub permit: Option<CallPermit>,
}

/// The policy engine. One per thread (or behind a lock): every method takes
/// `&mut self`, and all memory is reserved at construction.
///
/// ```
/// use std::net::IpAddr;
/// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
///
/// let config = EngineConfig::parse("calls.max_concurrent = 1").unwrap();
/// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new())).unwrap();
/// let phone: IpAddr = "192.0.2.10".parse().unwrap();
/// // After authentication: a domestic call is admitted and holds a slot…
/// let call = engine.on_call_start(phone, "alice", "212 555 0100", 0, 0);
/// assert!(call.decision.action.passes() && call.permit.is_some());
/// // …so a second one at once is over the account's limit,
/// let second = engine.on_call_start(phone, "alice", "212 555 0101", 1, 0);
/// assert_eq!(second.decision.reason.rule, Rule::FraudConcurrentCalls);
/// // and a premium-rate number is refused whatever the limits.
/// drop(call);
/// let premium = engine.on_call_start(phone, "alice", "1 900 555 0100", 2, 0);
/// assert_eq!(premium.decision.action, Action::Reject);
/// ```
pub struct Engine<S: EventSink> {
    config: EngineConfig,
    bans: BanList,
    enumeration: EnumerationDetector,
    brute_force: BruteForceDetector,
    probing: ProbingDetector,
    clock: ManualClock,
    requests: IpLimiter<Gcra, ManualClock>,
    malformed: IpLimiter<SlidingWindow, ManualClock>,
    new_calls: KeyedLimiter<u64, SlidingWindow, ManualClock>,
    concurrent: ConcurrencyLimiter<u64>,
    noisy: Limiter<Gcra, ManualClock>,
    accounts: RandomState,
    /// Whether an ACL rule is scoped to an account (then the claimed
    /// account is parsed on every request).
    acl_names_accounts: bool,
    /// Recent User-Agent verdicts of `config.guard.scanners`.
    agents: AgentMemo,
    sink: S,
    suppressed: u64,
    sink_errors: u64,
}

impl<S: EventSink> fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("banned_sources", &self.bans.len())
            .field("suppressed_events", &self.suppressed)
            .field("sink_errors", &self.sink_errors)
            .finish_non_exhaustive()
    }
}

/// Limits on tables keyed by source address (the ban list's bound).
fn source_table(config: &EngineConfig) -> KeyedConfig {
    KeyedConfig::with_max_keys(config.guard.bans.max_sources.max(64))
}

fn limiter_error(name: &'static str) -> impl FnOnce(crate::ratelimit::Error) -> GuardError {
    move |_| GuardError::Setting {
        name,
        reason: "out of the rate limiter's range",
    }
}

impl<S: EventSink> Engine<S> {
    /// Builds the engine: validates every threshold and reserves every
    /// table.
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let config = EngineConfig::parse("ban.max_sources = 1000")?;
    /// let engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// assert_eq!(engine.stats().banned_sources.capacity, 1000);
    /// // A threshold out of range is refused here, not on traffic.
    /// let mut bad = EngineConfig::default();
    /// bad.calls.max_concurrent = 0;
    /// assert!(Engine::new(bad, JsonLinesSink::new(Vec::new())).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: EngineConfig, sink: S) -> Result<Self, GuardError> {
        let guard = &config.guard;
        guard.validate()?;
        config.calls.validate()?;
        let clock = ManualClock::new();
        let FloodConfig {
            requests_per_second,
            burst,
            malformed,
            malformed_window,
            ..
        } = guard.flood;
        // ratelimit groups IPv6 by at most a /64 (RFC 4291 §2.5.4).
        let v6_len = guard.bans.ipv6_prefix_len.min(64);
        let requests = IpLimiter::with_clock(
            Gcra::new(requests_per_second, Duration::from_secs(1), burst.max(1))
                .map_err(limiter_error("flood.requests_per_second"))?,
            source_table(&config),
            v6_len,
            clock.clone(),
        )
        .map_err(limiter_error("flood.requests_per_second"))?;
        let malformed = IpLimiter::with_clock(
            SlidingWindow::new(malformed, malformed_window)
                .map_err(limiter_error("flood.malformed_window"))?,
            source_table(&config),
            v6_len,
            clock.clone(),
        )
        .map_err(limiter_error("flood.malformed"))?;
        let accounts_table = KeyedConfig::with_max_keys(config.calls.max_accounts.max(64));
        let new_calls = KeyedLimiter::with_clock(
            SlidingWindow::new(config.calls.rate, config.calls.rate_window)
                .map_err(limiter_error("calls.rate_window"))?,
            accounts_table,
            clock.clone(),
        )
        .map_err(limiter_error("calls.max_accounts"))?;
        let concurrent = ConcurrencyLimiter::new(config.calls.max_concurrent, accounts_table)
            .map_err(limiter_error("calls.max_concurrent"))?;
        let per_second = config.noisy_events_per_second.max(1);
        let noisy = Limiter::with_clock(
            Gcra::new(per_second, Duration::from_secs(1), per_second)
                .map_err(limiter_error("events.noisy_per_second"))?,
            clock.clone(),
        );
        Ok(Engine {
            bans: BanList::new(guard.bans)?,
            enumeration: EnumerationDetector::new(guard.enumeration)?,
            brute_force: BruteForceDetector::new(guard.brute_force)?,
            probing: ProbingDetector::new(guard.probing)?,
            clock,
            requests,
            malformed,
            new_calls,
            concurrent,
            noisy,
            accounts: RandomState::new(),
            acl_names_accounts: guard.acl.rules().iter().any(|rule| rule.account.is_some()),
            agents: AgentMemo::new(),
            sink,
            suppressed: 0,
            sink_errors: 0,
            config,
        })
    }

    /// The configuration.
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let config = EngineConfig::parse("calls.rate = 7")?;
    /// let engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// assert_eq!(engine.config().calls.rate, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The event sink.
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
    /// // A plain allow writes no event.
    /// let _call = engine.on_call_start("192.0.2.10".parse()?, "alice", "212 555 0100", 0, 0);
    /// assert!(engine.sink().get_ref().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The event sink, mutably (to flush or rotate it).
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
    /// engine.on_call_start("192.0.2.10".parse()?, "alice", "1 900 555 0100", 0, 0);
    /// // Rotate: take the lines written so far, keep the sink.
    /// let old = std::mem::replace(engine.sink_mut(), JsonLinesSink::new(Vec::new()));
    /// assert!(!old.into_inner().is_empty());
    /// assert!(engine.sink().get_ref().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Gives the sink back.
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
    /// engine.on_call_start("192.0.2.10".parse()?, "alice", "1 900 555 0100", 0, 0);
    /// let log = String::from_utf8(engine.into_sink().into_inner())?;
    /// assert!(log.contains("\"action\":\"reject\""), "{log}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// Events not written because the noisy-event budget was spent.
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let config = EngineConfig::parse("events.noisy_per_second = 1")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let source = "198.51.100.9".parse()?;
    /// // Three malformed messages within one second: one event, two counted.
    /// for now_ms in 0..3 {
    ///     engine.on_malformed(source, now_ms, 0);
    /// }
    /// assert_eq!(engine.suppressed_events(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suppressed_events(&self) -> u64 {
        self.suppressed
    }

    /// Events the sink failed to record.
    ///
    /// ```
    /// use voipsec::guard::{Action, Engine, EngineConfig, Event, EventSink, GuardError};
    ///
    /// struct Broken;
    /// impl EventSink for Broken {
    ///     fn record(&mut self, _: &Event<'_>) -> Result<(), GuardError> {
    ///         Err(std::io::Error::other("disk full").into())
    ///     }
    /// }
    ///
    /// let mut engine = Engine::new(EngineConfig::default(), Broken)?;
    /// // The decision is still returned; the failure is counted.
    /// let call = engine.on_call_start("192.0.2.10".parse()?, "alice", "1 900 555 0100", 0, 0);
    /// assert_eq!(call.decision.action, Action::Reject);
    /// assert_eq!(engine.sink_errors(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sink_errors(&self) -> u64 {
        self.sink_errors
    }

    /// How long `source` stays blocked, if it is.
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let config = EngineConfig::parse("flood.malformed = 1\nban.base = 30s")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let source = "198.51.100.9".parse()?;
    /// engine.on_malformed(source, 0, 0);
    /// assert_eq!(engine.blocked_for(source, 0), None);
    /// // One more than `flood.malformed` within the window blocks.
    /// engine.on_malformed(source, 0, 0);
    /// assert_eq!(engine.blocked_for(source, 10_000), Some(Duration::from_secs(20)));
    /// assert_eq!(engine.blocked_for(source, 30_000), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn blocked_for(&self, source: IpAddr, now_ms: u64) -> Option<Duration> {
        self.bans.remaining(source, now_ms)
    }

    /// Parses, sanity-checks and screens one UDP datagram from `source`:
    /// the whole per-message path (see the module docs). A banned or flooding
    /// source is refused before its bytes are parsed.
    ///
    /// ```
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Unread};
    ///
    /// let config = EngineConfig::parse("auth.challenge = false")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let register = b"REGISTER sip:example.test SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n\
    /// From: <sip:alice@example.test>;tag=1\r\nTo: <sip:alice@example.test>\r\n\
    /// Call-ID: 1@x\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    /// let seen = engine.on_datagram("192.0.2.10".parse()?, register, 0, 0);
    /// assert_eq!(seen.decision.action, Action::Allow);
    /// let message = seen.message.ok().ok_or("unread")?;
    /// assert_eq!(message.call_id()?, "1@x");
    /// // A message that parses but fails the sanity checks is dropped.
    /// let no_call_id = b"OPTIONS sip:example.test SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-2\r\nFrom: <sip:a@example.test>;tag=1\r\n\
    /// To: <sip:a@example.test>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    /// let seen = engine.on_datagram("192.0.2.10".parse()?, no_call_id, 1, 0);
    /// assert!(matches!(seen.message, Err(Unread::Sanity(_))));
    /// assert!(!seen.decision.action.passes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_datagram<'a>(
        &mut self,
        source: IpAddr,
        datagram: &'a [u8],
        now_ms: u64,
        wall_ms: u64,
    ) -> Inspection<'a> {
        self.tick(now_ms);
        if let Some(decision) = self.screen_source(source, now_ms, wall_ms) {
            return Inspection {
                decision,
                message: Err(Unread::Refused),
            };
        }
        // Early returns rather than a combinator chain: the message (over
        // 500 bytes with its inline index) is moved once, into the result.
        let message = match Message::parse_with(datagram, &self.config.sip_limits) {
            Ok(message) => message,
            Err(error) => return self.malformed(source, Unread::Parse(error), now_ms, wall_ms),
        };
        if let Err(rejection) = self.config.sanity.check(&message) {
            return self.malformed(source, Unread::Sanity(rejection), now_ms, wall_ms);
        }
        Inspection {
            decision: self.policies(source, &message, now_ms, wall_ms),
            message: Ok(message),
        }
    }

    /// The inspection of a datagram that failed parsing or sanity.
    fn malformed<'a>(
        &mut self,
        source: IpAddr,
        why: Unread<'a>,
        now_ms: u64,
        wall_ms: u64,
    ) -> Inspection<'a> {
        Inspection {
            decision: self.count_malformed(source, now_ms, wall_ms),
            message: Err(why),
        }
    }

    /// Screens a message the caller parsed and sanity-checked (steps 1–2 and
    /// 4–7 of the module docs). Responses from a source pass the source
    /// checks only.
    ///
    /// ```
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
    /// use voipsec::sip::Message;
    ///
    /// let config = EngineConfig::parse("acl deny 198.51.100.0/24")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let register = b"REGISTER sip:example.test SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n\
    /// From: <sip:alice@example.test>;tag=1\r\nTo: <sip:alice@example.test>\r\n\
    /// Call-ID: 1@x\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    /// let message = Message::parse(register)?;
    /// let decision = engine.on_message("198.51.100.7".parse()?, &message, 0, 0);
    /// assert_eq!(decision.reason.rule, Rule::Acl);
    /// assert_eq!(decision.action, Action::DropSilently);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_message(
        &mut self,
        source: IpAddr,
        message: &Message<'_>,
        now_ms: u64,
        wall_ms: u64,
    ) -> Decision {
        self.tick(now_ms);
        if let Some(decision) = self.screen_source(source, now_ms, wall_ms) {
            return decision;
        }
        self.policies(source, message, now_ms, wall_ms)
    }

    /// Counts a message from `source` that failed parsing or the sanity
    /// checks: the first `flood.malformed` within `flood.malformed_window`
    /// are dropped, and the next one blocks the source (escalating).
    ///
    /// ```
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
    ///
    /// let config = EngineConfig::parse("flood.malformed = 3")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let source = "198.51.100.9".parse()?;
    /// // `flood.malformed` messages within the window are dropped…
    /// for now_ms in 0..3 {
    ///     assert_eq!(engine.on_malformed(source, now_ms, 0).action, Action::DropSilently);
    /// }
    /// // …and the next one blocks the source.
    /// let fourth = engine.on_malformed(source, 3, 0);
    /// assert!(matches!(fourth.action, Action::Block { .. }));
    /// assert_eq!(fourth.reason.rule, Rule::MalformedFlood);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_malformed(&mut self, source: IpAddr, now_ms: u64, wall_ms: u64) -> Decision {
        self.tick(now_ms);
        if let Some(decision) = self.active_block(source, now_ms, wall_ms) {
            return decision;
        }
        self.count_malformed(source, now_ms, wall_ms)
    }

    /// Feeds the digest verifier's verdict for a request from `source`
    /// claiming `user`: credential failures count towards brute-force
    /// detection (a source over its threshold is banned, escalating; an
    /// account attacked from many sources is throttled, never blocked, so
    /// attackers cannot lock a victim out); other failures are challenged
    /// again.
    ///
    /// ```
    /// use voipsec::digest::Verdict;
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
    ///
    /// let config = EngineConfig::parse("bruteforce.source_failures = 3")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let guesser = "198.51.100.99".parse()?;
    /// let first = engine.on_auth(guesser, "alice", &Verdict::WrongResponse, 0, 0);
    /// assert_eq!(first.action, Action::Challenge);
    /// engine.on_auth(guesser, "alice", &Verdict::WrongResponse, 1, 0);
    /// let third = engine.on_auth(guesser, "alice", &Verdict::WrongResponse, 2, 0);
    /// assert_eq!(third.reason.rule, Rule::BruteForceSource);
    /// assert!(engine.blocked_for(guesser, 3).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_auth(
        &mut self,
        source: IpAddr,
        user: &str,
        verdict: &Verdict,
        now_ms: u64,
        wall_ms: u64,
    ) -> Decision {
        self.tick(now_ms);
        if let Some(decision) = self.active_block(source, now_ms, wall_ms) {
            return decision;
        }
        let challenge =
            |text| Decision::new(Action::Challenge, Reason::new(Rule::AuthRequired, text));
        let decision = match verdict {
            Verdict::Authenticated { .. } => {
                self.brute_force.record_success(source, user, now_ms);
                return Decision::ALLOW;
            }
            v if v.is_credential_failure() => {
                match self.brute_force.record_failure(source, user, now_ms) {
                    Some(reason) if reason.rule == Rule::BruteForceSource => {
                        let duration = self.bans.ban(source, now_ms);
                        Decision::new(Action::Block { duration }, reason)
                    }
                    Some(reason) => Decision::new(
                        Action::Throttle {
                            retry_after: self.config.guard.flood.retry_after,
                        },
                        reason,
                    ),
                    None => challenge("authentication failed"),
                }
            }
            Verdict::StaleNonce => challenge("stale nonce"),
            Verdict::ReplayedNonceCount => Decision::new(
                Action::Reject,
                Reason::new(Rule::AuthRequired, "replayed nonce count"),
            ),
            Verdict::StoreUnavailable(_) => Decision::new(
                Action::Throttle {
                    retry_after: self.config.guard.flood.retry_after,
                },
                Reason::new(Rule::AuthRequired, "nonce store unavailable"),
            ),
            _ => challenge("invalid credentials"),
        };
        let subject = (!user.is_empty()).then_some(user);
        if decision.action == Action::Challenge {
            self.emit_noisy(wall_ms, source, subject, None, decision);
        } else {
            self.emit(wall_ms, source, subject, None, decision);
        }
        decision
    }

    /// Verifies the request's credentials with `verifier` (`Authorization`
    /// for REGISTER, `Proxy-Authorization` otherwise, RFC 3261 §22.2–22.3)
    /// and feeds the verdict to [`Engine::on_auth`]. `wall_ms` is also the
    /// nonce clock.
    ///
    /// ```
    /// use voipsec::digest::{DigestConfig, InMemoryCredentials, InMemoryNonceCounts, NonceSecret, Verdict, Verifier};
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink};
    /// use voipsec::sip::Message;
    ///
    /// let mut users = InMemoryCredentials::new();
    /// users.insert_password(b"alice", b"example.test", b"s3cret");
    /// let verifier = Verifier::new(DigestConfig::new("example.test"),
    ///     NonceSecret::generate(), users, InMemoryNonceCounts::default());
    /// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
    /// let bytes = b"REGISTER sip:example.test SIP/2.0\r\n\
    /// Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n\
    /// From: <sip:alice@example.test>;tag=1\r\nTo: <sip:alice@example.test>\r\n\
    /// Call-ID: 1@x\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n\
    /// Authorization: Digest username=\"alice\", realm=\"elsewhere\", nonce=\"n\", \
    /// uri=\"sip:example.test\", response=\"00000000000000000000000000000000\"\r\n\
    /// Content-Length: 0\r\n\r\n";
    /// let message = Message::parse(bytes)?;
    /// let auth = engine.authenticate("192.0.2.10".parse()?, &message, &verifier, 0, 0);
    /// assert_eq!(auth.verdict, Some(Verdict::RealmMismatch));
    /// assert_eq!(auth.user.as_deref(), Some("alice"));
    /// assert_eq!(auth.account(), None, "claimed, not authenticated");
    /// assert_eq!(auth.decision.action, Action::Challenge);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authenticate<'m, C: CredentialStore, N: NonceCountStore>(
        &mut self,
        source: IpAddr,
        message: &Message<'m>,
        verifier: &Verifier<C, N>,
        now_ms: u64,
        wall_ms: u64,
    ) -> Authentication<'m> {
        let Some(request) = message.request_line() else {
            return Authentication {
                verdict: None,
                user: None,
                decision: Decision::ALLOW,
            };
        };
        let Some(value) = credentials_header(message) else {
            let decision = Decision::new(
                Action::Challenge,
                Reason::new(Rule::AuthRequired, "no credentials"),
            );
            return Authentication {
                verdict: None,
                user: None,
                decision,
            };
        };
        let digest_request = DigestRequest {
            method: request.method.as_str().as_bytes(),
            uri: request.uri.as_bytes(),
            body: message.body(),
            client: Some(source),
        };
        let now_s = wall_ms / 1000;
        let (verdict, user) = match Credentials::parse_with(value, &verifier.config().limits) {
            Ok(creds) => (
                verifier.verify_credentials(&creds, &digest_request, now_s),
                username(&creds),
            ),
            Err(DigestError::NotDigest { .. }) => (Verdict::UnsupportedScheme, None),
            Err(e) => (Verdict::Malformed(e), None),
        };
        let decision = self.on_auth(
            source,
            user.as_deref().unwrap_or(""),
            &verdict,
            now_ms,
            wall_ms,
        );
        Authentication {
            verdict: Some(verdict),
            user,
            decision,
        }
    }

    /// Admits a new call by `account` from `source` to `dialed` (after
    /// authentication): the destination class policy, the probing burst,
    /// the new-call rate and the concurrent calls of the account. On allow
    /// or alert, the returned [`CallPermit`] holds one concurrent slot.
    ///
    /// ```
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
    ///
    /// let config = EngineConfig::parse("calls.rate = 2\ncalls.rate_window = 1m")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let phone = "192.0.2.10".parse()?;
    /// let first = engine.on_call_start(phone, "alice", "212 555 0100", 0, 0);
    /// let second = engine.on_call_start(phone, "alice", "212 555 0101", 1, 0);
    /// assert!(first.permit.is_some() && second.permit.is_some());
    /// // A third new call within the minute is over the account's rate.
    /// let third = engine.on_call_start(phone, "alice", "212 555 0102", 2, 0);
    /// assert!(matches!(third.decision.action, Action::Throttle { .. }));
    /// assert_eq!(third.decision.reason.rule, Rule::FraudCallRate);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_call_start(
        &mut self,
        source: IpAddr,
        account: &str,
        dialed: &str,
        now_ms: u64,
        wall_ms: u64,
    ) -> CallAdmission {
        self.tick(now_ms);
        let refuse = |decision| CallAdmission {
            decision,
            permit: None,
        };
        if let Some(decision) = self.active_block(source, now_ms, wall_ms) {
            return refuse(decision);
        }
        let class = self.config.guard.dial_plan.classify(dialed);
        let destination = self.config.guard.destinations.decide(class);
        let event = |engine: &mut Self, decision| {
            engine.emit(wall_ms, source, Some(account), Some(dialed), decision);
            refuse(decision)
        };
        if !destination.action.passes() {
            return event(self, destination);
        }
        if let Some(reason) = self.probing.call_started(account, now_ms) {
            return event(self, Decision::new(Action::Reject, reason));
        }
        let key = self.accounts.hash_one(account);
        let rate = self.new_calls.check(&key);
        if !rate.is_allowed() {
            let limit = u64::from(self.config.calls.rate);
            let decision = Decision::new(
                Action::Throttle {
                    retry_after: rate.retry_after.max(Duration::from_secs(1)),
                },
                Reason::counted(
                    Rule::FraudCallRate,
                    "new calls per account",
                    limit + 1,
                    limit,
                ),
            );
            return event(self, decision);
        }
        let permit = match self.concurrent.try_acquire(&key) {
            Ok(permit) => permit,
            Err(AcquireError::AtLimit { limit }) => {
                let limit = u64::from(limit);
                let decision = Decision::new(
                    Action::Reject,
                    Reason::counted(
                        Rule::FraudConcurrentCalls,
                        "concurrent calls per account",
                        limit + 1,
                        limit,
                    ),
                );
                return event(self, decision);
            }
            Err(AcquireError::TooManyKeys) => {
                let decision = Decision::new(
                    Action::Throttle {
                        retry_after: self.config.guard.flood.retry_after,
                    },
                    Reason::new(Rule::FraudConcurrentCalls, "too many accounts in calls"),
                );
                return event(self, decision);
            }
        };
        if destination.action == Action::Alert {
            self.emit(wall_ms, source, Some(account), Some(dialed), destination);
        }
        CallAdmission {
            decision: destination,
            permit: Some(CallPermit { _permit: permit }),
        }
    }

    /// Records the end of a call by `account` to `dialed` that lasted
    /// `duration` (zero if unanswered). Short calls to many destinations
    /// flag the account for probing ([`Action::Alert`]); its next burst is
    /// refused by [`Engine::on_call_start`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
    ///
    /// let config = EngineConfig::parse("fraud.distinct_destinations = 3")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let phone = "192.0.2.10".parse()?;
    /// let short = Duration::from_secs(2);
    /// assert_eq!(engine.on_call_ended(phone, "alice", "212 555 0100", short, 0, 0).action, Action::Allow);
    /// engine.on_call_ended(phone, "alice", "212 555 0101", short, 1, 0);
    /// let third = engine.on_call_ended(phone, "alice", "212 555 0102", short, 2, 0);
    /// assert_eq!((third.action, third.reason.rule), (Action::Alert, Rule::FraudProbing));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_call_ended(
        &mut self,
        source: IpAddr,
        account: &str,
        dialed: &str,
        duration: Duration,
        now_ms: u64,
        wall_ms: u64,
    ) -> Decision {
        self.tick(now_ms);
        match self.probing.call_ended(account, dialed, duration, now_ms) {
            Some(reason) => {
                let decision = Decision::new(Action::Alert, reason);
                self.emit(wall_ms, source, Some(account), Some(dialed), decision);
                decision
            }
            None => Decision::ALLOW,
        }
    }

    /// Records a response with `status` about to be sent to `destination`.
    /// Too many 404/401/403/407/484 answers to one source mark a scanner:
    /// the answer is [`Action::Block`] (or [`Action::DropSilently`]) and
    /// should not be sent.
    ///
    /// ```
    /// use voipsec::guard::{Action, Engine, EngineConfig, JsonLinesSink, Rule};
    ///
    /// let config = EngineConfig::parse("scanner.failure_responses = 3")?;
    /// let mut engine = Engine::new(config, JsonLinesSink::new(Vec::new()))?;
    /// let prober = "198.51.100.7".parse()?;
    /// assert_eq!(engine.on_response(prober, 404, 0, 0).action, Action::Allow);
    /// assert_eq!(engine.on_response(prober, 200, 1, 0).action, Action::Allow);
    /// engine.on_response(prober, 404, 2, 0);
    /// let third = engine.on_response(prober, 403, 3, 0);
    /// assert!(matches!(third.action, Action::Block { .. }));
    /// assert_eq!(third.reason.rule, Rule::FailureResponses);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_response(
        &mut self,
        destination: IpAddr,
        status: u16,
        now_ms: u64,
        wall_ms: u64,
    ) -> Decision {
        self.tick(now_ms);
        match self
            .enumeration
            .observe_response(destination, status, now_ms)
        {
            Some(reason) => self.scanner_decision(destination, reason, None, None, now_ms, wall_ms),
            None => Decision::ALLOW,
        }
    }

    /// Flushes the sink.
    ///
    /// ```
    /// use std::io::BufWriter;
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let sink = JsonLinesSink::new(BufWriter::new(Vec::new()));
    /// let mut engine = Engine::new(EngineConfig::default(), sink)?;
    /// engine.on_call_start("192.0.2.10".parse()?, "alice", "1 900 555 0100", 0, 0);
    /// assert!(engine.sink().get_ref().get_ref().is_empty(), "buffered");
    /// engine.flush()?;
    /// assert!(!engine.sink().get_ref().get_ref().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&mut self) -> Result<(), GuardError> {
        self.sink.flush()
    }

    fn tick(&self, now_ms: u64) {
        self.clock.set(Duration::from_millis(now_ms));
    }

    fn active_block(&mut self, source: IpAddr, now_ms: u64, wall_ms: u64) -> Option<Decision> {
        let remaining = self.bans.remaining(source, now_ms)?;
        let decision = Decision::new(
            Action::Block {
                duration: remaining,
            },
            Reason::new(Rule::ActiveBlock, "source is blocked"),
        );
        self.emit_noisy(wall_ms, source, None, None, decision);
        Some(decision)
    }

    /// Steps 1–2: active block and request rate.
    fn screen_source(&mut self, source: IpAddr, now_ms: u64, wall_ms: u64) -> Option<Decision> {
        if let Some(decision) = self.active_block(source, now_ms, wall_ms) {
            return Some(decision);
        }
        let rate = self.requests.check(source);
        if rate.is_allowed() {
            return None;
        }
        let flood = self.config.guard.flood;
        let limit = u64::from(flood.burst.max(flood.requests_per_second));
        let decision = Decision::new(
            Action::Throttle {
                retry_after: flood.retry_after.max(rate.retry_after),
            },
            Reason::counted(
                Rule::RequestFlood,
                "requests from one source",
                limit + 1,
                limit,
            ),
        );
        self.emit_noisy(wall_ms, source, None, None, decision);
        Some(decision)
    }

    fn count_malformed(&mut self, source: IpAddr, now_ms: u64, wall_ms: u64) -> Decision {
        let counted = self.malformed.check(source);
        let limit = u64::from(self.config.guard.flood.malformed);
        if counted.is_allowed() {
            let observed = limit.saturating_sub(u64::from(counted.remaining));
            let decision = Decision::new(
                Action::DropSilently,
                Reason::counted(Rule::MalformedFlood, "malformed message", observed, limit),
            );
            self.emit_noisy(wall_ms, source, None, None, decision);
            return decision;
        }
        let duration = self.bans.ban(source, now_ms);
        let decision = Decision::new(
            Action::Block { duration },
            Reason::counted(
                Rule::MalformedFlood,
                "malformed messages from one source",
                limit + 1,
                limit,
            ),
        );
        self.emit(wall_ms, source, None, None, decision);
        decision
    }

    /// Steps 4–7.
    fn policies(
        &mut self,
        source: IpAddr,
        message: &Message<'_>,
        now_ms: u64,
        wall_ms: u64,
    ) -> Decision {
        let Some(request) = message.request_line() else {
            return Decision::ALLOW;
        };
        let method = request.method;
        let credentials = credentials_header(message);
        // The To user without the full address parse (sanity has checked
        // the header's grammar already).
        let to_user = message.to_user().ok().flatten();
        // Parsing the credentials and From costs more than every policy
        // together: the allow path does it only when an ACL rule is scoped
        // to an account; refusals do it for their event.
        let account = || account_of(message, method, credentials, to_user);
        let acl_account = if self.acl_names_accounts
            && self.account_may_be_acl_named(message, method, credentials, to_user)
        {
            account()
        } else {
            None
        };

        let acl = self
            .config
            .guard
            .acl
            .check(source, method.as_str(), acl_account.as_deref());
        if acl.action == AclAction::Deny {
            let scoped = acl
                .rule
                .is_some_and(|rule| rule.method.is_some() || rule.account.is_some());
            // A known peer breaking a scoped rule deserves a 403; a source
            // outside every allowed range learns nothing.
            let action = if scoped {
                Action::Reject
            } else {
                Action::DropSilently
            };
            let decision = Decision::new(action, Reason::new(Rule::Acl, "source not allowed"));
            self.emit(
                wall_ms,
                source,
                account().as_deref(),
                Some(method.as_str()),
                decision,
            );
            return decision;
        }

        if let Some(agent) = message.user_agent()
            && self
                .agents
                .is_scanner(&self.config.guard.scanners, agent.as_bytes())
        {
            let reason = Reason::new(Rule::ScannerUserAgent, "known scanner User-Agent");
            return self.scanner_decision(
                source,
                reason,
                account().as_deref(),
                Some(agent),
                now_ms,
                wall_ms,
            );
        }

        let target = to_user.unwrap_or("");
        if let Some(reason) =
            self.enumeration
                .observe_request(source, method.as_str(), target, now_ms)
        {
            return self.scanner_decision(
                source,
                reason,
                account().as_deref(),
                Some(target),
                now_ms,
                wall_ms,
            );
        }

        let needs_credentials = match method {
            Method::Register => true,
            // Only an INVITE whose To carries a well-formed tag is in-dialog;
            // anything else (no tag, or one the hot accessor refuses) must
            // bring credentials.
            Method::Invite => !matches!(message.to_tag(), Ok(Some(_))),
            _ => false,
        };
        if self.config.require_credentials && needs_credentials && credentials.is_none() {
            let decision = Decision::new(
                Action::Challenge,
                Reason::new(Rule::AuthRequired, "no credentials"),
            );
            self.emit_noisy(
                wall_ms,
                source,
                account().as_deref(),
                Some(method.as_str()),
                decision,
            );
            return decision;
        }
        Decision::ALLOW
    }

    /// Whether [`account_of`] could return an account an ACL rule names:
    /// `false` when neither the credentials nor the header the account
    /// falls back to (To user of a REGISTER, else From) contain any named
    /// account, so whatever account they yield, the ACL treats it as none.
    /// A backslash, `%` or `*` in the credentials (an escaped username, or
    /// an RFC 8187 `username*`) counts as a possible name, since the name
    /// the verifier authenticates is then not spelled out in the bytes. Scanning a few names costs far less than parsing the
    /// credentials, which the allow path then skips.
    fn account_may_be_acl_named(
        &self,
        message: &Message<'_>,
        method: Method<'_>,
        credentials: Option<&[u8]>,
        to_user: Option<&str>,
    ) -> bool {
        let acl = &self.config.guard.acl;
        let encoded = |value: &[u8]| memchr::memchr3(b'\\', b'%', b'*', value).is_some();
        if credentials.is_some_and(|value| encoded(value) || acl.may_name_account(value)) {
            return true;
        }
        if method == Method::Register {
            to_user.is_some_and(|user| acl.may_name_account(user.as_bytes()))
        } else {
            message
                .header(HeaderName::From)
                .is_some_and(|from| acl.may_name_account(from.value()))
        }
    }

    /// Drops a scanner silently, banning it for `scanner_block_for`.
    fn scanner_decision(
        &mut self,
        source: IpAddr,
        reason: Reason,
        account: Option<&str>,
        subject: Option<&str>,
        now_ms: u64,
        wall_ms: u64,
    ) -> Decision {
        let length = self.config.guard.scanner_block_for;
        let action = if length.is_zero() {
            Action::DropSilently
        } else {
            self.bans.ban_for(source, length, now_ms);
            Action::Block { duration: length }
        };
        let decision = Decision::new(action, reason);
        self.emit(wall_ms, source, account, subject, decision);
        decision
    }

    fn emit(
        &mut self,
        wall_ms: u64,
        source: IpAddr,
        account: Option<&str>,
        subject: Option<&str>,
        decision: Decision,
    ) {
        let event = Event {
            time_unix_ms: wall_ms,
            source,
            account,
            subject,
            decision,
        };
        if self.sink.record(&event).is_err() {
            self.sink_errors = self.sink_errors.saturating_add(1);
        }
    }

    /// Emits within the noisy-event budget; counts what does not fit.
    fn emit_noisy(
        &mut self,
        wall_ms: u64,
        source: IpAddr,
        account: Option<&str>,
        subject: Option<&str>,
        decision: Decision,
    ) {
        if self.noisy.check().is_allowed() {
            self.emit(wall_ms, source, account, subject, decision);
        } else {
            self.suppressed = self.suppressed.saturating_add(1);
        }
    }
}

/// The credentials header for the request's method: `Authorization` for
/// REGISTER (a registrar's 401), `Proxy-Authorization` otherwise (a proxy's
/// 407), either one as a fallback.
fn credentials_header<'a>(message: &Message<'a>) -> Option<&'a [u8]> {
    let (first, second) = if message.method() == Some(Method::Register) {
        (HeaderName::Authorization, HeaderName::ProxyAuthorization)
    } else {
        (HeaderName::ProxyAuthorization, HeaderName::Authorization)
    };
    message
        .header(first)
        .or_else(|| message.header(second))
        .map(|h| h.value())
}

/// The account a request claims: the digest username when it carries
/// credentials, else the To user of a REGISTER (the address of record) or
/// the From user of anything else.
fn account_of<'a>(
    message: &Message<'a>,
    method: Method<'_>,
    credentials: Option<&'a [u8]>,
    to_user: Option<&'a str>,
) -> Option<Cow<'a, str>> {
    let claimed = credentials
        .and_then(|value| Credentials::parse(value).ok())
        .and_then(|creds| username(&creds));
    claimed.or_else(|| {
        if method == Method::Register {
            to_user.map(Cow::Borrowed)
        } else {
            message
                .from()
                .ok()
                .and_then(|from| from.uri().user())
                .map(Cow::Borrowed)
        }
    })
}

/// The user the credentials claim, by the name the verifier authenticates
/// ([`Credentials::claimed_username`]): keying the ACL and the brute-force
/// counters on the raw `username` bytes instead would let `ad\min` or
/// `username*=UTF-8''ad%6Din` authenticate as `admin` past a rule that
/// names `admin`. Borrowed in the usual case; an escaped or encoded name is
/// copied (at most [`MAX_USERNAME_LEN`] bytes).
fn username<'a>(creds: &Credentials<'a>) -> Option<Cow<'a, str>> {
    if let Some(plain) = creds.username().and_then(|u| u.unescaped()) {
        return std::str::from_utf8(plain).ok().map(Cow::Borrowed);
    }
    let mut buf = [0u8; MAX_USERNAME_LEN];
    let name = creds.claimed_username(&mut buf).ok()?;
    std::str::from_utf8(name)
        .ok()
        .map(|n| Cow::Owned(n.to_owned()))
}

impl<S: EventSink> Engine<S> {
    /// How full every table is, against its configured bound (for load
    /// tests and metrics; locks each rate-limiter shard in turn, so not for
    /// the per-message path).
    ///
    /// ```
    /// use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
    ///
    /// let mut engine = Engine::new(EngineConfig::default(), JsonLinesSink::new(Vec::new()))?;
    /// let phone = "192.0.2.10".parse()?;
    /// let _call = engine.on_call_start(phone, "alice", "212 555 0100", 0, 0);
    /// let stats = engine.stats();
    /// assert_eq!(stats.concurrent_accounts.tracked, 1);
    /// assert!(stats.within_bounds());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> super::stats::EngineStats {
        use super::stats::TableUsage;
        let usage = |tracked, capacity| TableUsage { tracked, capacity };
        let per_source = source_table(&self.config).max_keys;
        let (requests_v4, requests_v6) = self.requests.stats();
        let (malformed_v4, malformed_v6) = self.malformed.stats();
        let guard = &self.config.guard;
        let accounts = self.config.calls.max_accounts.max(64);
        super::stats::EngineStats {
            banned_sources: usage(self.bans.len(), guard.bans.max_sources),
            request_sources_v4: usage(requests_v4.tracked, per_source),
            request_sources_v6: usage(requests_v6.tracked, per_source),
            malformed_sources_v4: usage(malformed_v4.tracked, per_source),
            malformed_sources_v6: usage(malformed_v6.tracked, per_source),
            enumeration_sources: usage(
                self.enumeration.tracked_sources(),
                guard.enumeration.max_sources,
            ),
            brute_force_sources: usage(
                self.brute_force.tracked_sources(),
                guard.brute_force.max_sources,
            ),
            brute_force_users: usage(
                self.brute_force.tracked_users(),
                guard.brute_force.max_users,
            ),
            probing_accounts: usage(self.probing.tracked_accounts(), guard.probing.max_accounts),
            call_rate_accounts: usage(self.new_calls.len(), accounts),
            concurrent_accounts: usage(self.concurrent.tracked(), accounts),
            suppressed_events: self.suppressed,
        }
    }
}
