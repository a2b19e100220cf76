//! A UDP SIP guard in front of a PBX, built on the public API of
//! `voipsec::guard` (the engine), `voipsec::sip` and `voipsec::digest`.
//!
//! ```text
//! cargo run --release --example sip_guard -- --listen 127.0.0.1:5060 \
//!     --upstream 127.0.0.1:5080 --users users.txt [--config guard.conf] [--realm REALM]
//! ```
//!
//! `users.txt` holds `user:password` lines; the optional configuration uses
//! the [`voipsec::guard::EngineConfig`] text format (thresholds, ACLs,
//! prefixes), with the defaults without it. Every datagram from a client
//! goes through [`Engine::on_datagram`] (ban, flood, parse + validate, ACL,
//! scanner, enumeration, challenge); then:
//!
//! * REGISTER and initial INVITE are authenticated with digest against the
//!   users file — 401 + `WWW-Authenticate` for REGISTER, 407 +
//!   `Proxy-Authenticate` for INVITE (MD5: what sipp speaks) — and an
//!   authenticated INVITE is admitted by [`Engine::on_call_start`]
//!   (destination class, probing burst, call rate, concurrent calls);
//! * what passes is forwarded to the upstream with the guard's own Via on
//!   top (its branch derived from the client's, so retransmissions match;
//!   the client's address sealed in a Via parameter so responses route back
//!   without per-transaction state);
//! * responses from the upstream lose that Via and go back to the client;
//!   failure answers feed [`Engine::on_response`] (404/401 patterns);
//! * a refusal is answered 403 (reject), 503 + `Retry-After` (throttle), or
//!   not at all (drop, block: scanners learn nothing); the ACK of a locally
//!   answered INVITE is absorbed (RFC 3261 §17.2.1).
//!
//! Decision events are written as JSON lines on stdout; diagnostics go to
//! stderr. Memory is bounded: every table here is capped and forgets its
//! oldest entries.
//!
//! Not done yet (see the README): the normalizer and topology hiding of
//! `sip::normalize` / `sip::topology` — the message is forwarded as
//! received, plus the Via.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::io::Stdout;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use voipsec::digest::{
    Algorithm, ChallengeKind, DigestConfig, InMemoryCredentials, InMemoryNonceCounts, NonceSecret,
    Verifier,
};
use voipsec::guard::{Action, CallPermit, Decision, Engine, EngineConfig, JsonLinesSink};
use voipsec::sip::{HeaderName, Message, Method};

const USAGE: &str = "usage: sip_guard --listen ADDR:PORT --upstream ADDR:PORT --users FILE \
                     [--config FILE] [--realm REALM]";

/// Via parameter carrying the client's address (hex IP, `.`, hex port).
const PEER_PARAM: &str = "x-vsg-peer";

/// The most calls and locally answered transactions remembered.
const CAPACITY: usize = 4096;

struct Options {
    listen: SocketAddr,
    upstream: SocketAddr,
    users: String,
    config: Option<String>,
    realm: String,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut upstream, mut users, mut config) = (None, None, None, None);
    let mut realm = "voipsec-guard".to_owned();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let address = |v: &str| v.parse::<SocketAddr>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--listen" => listen = Some(address(&value)?),
            "--upstream" => upstream = Some(address(&value)?),
            "--users" => users = Some(value),
            "--config" => config = Some(value),
            "--realm" => realm = value,
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(Options {
        listen: listen.ok_or(USAGE)?,
        upstream: upstream.ok_or(USAGE)?,
        users: users.ok_or(USAGE)?,
        config,
        realm,
    })
}

fn load_users(path: &str, realm: &str) -> Result<InMemoryCredentials, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut users = InMemoryCredentials::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (user, password) = line
            .split_once(':')
            .ok_or_else(|| format!("{path}: expected user:password lines"))?;
        users.insert_password(user.as_bytes(), realm.as_bytes(), password.as_bytes());
    }
    Ok(users)
}

/// A map that forgets its oldest entries beyond [`CAPACITY`].
struct Bounded<V> {
    map: HashMap<String, V>,
    order: VecDeque<String>,
}

impl<V> Bounded<V> {
    fn new() -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn insert(&mut self, key: String, value: V) {
        if !self.map.contains_key(&key) {
            if self.order.len() >= CAPACITY
                && let Some(old) = self.order.pop_front()
            {
                self.map.remove(&old);
            }
            self.order.push_back(key.clone());
        }
        self.map.insert(key, value);
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    fn remove(&mut self, key: &str) -> Option<V> {
        // The order queue keeps the key until it reaches the front; the
        // map is what counts.
        self.map.remove(key)
    }
}

/// An admitted call: its concurrency slot and what probing detection needs.
struct Call {
    _permit: CallPermit,
    source: IpAddr,
    account: String,
    dialed: String,
    answered_ms: Option<u64>,
}

struct Guard {
    socket: UdpSocket,
    local: SocketAddr,
    upstream: SocketAddr,
    engine: Engine<JsonLinesSink<Stdout>>,
    verifier: Verifier<InMemoryCredentials, InMemoryNonceCounts>,
    /// Admitted calls by Call-ID.
    calls: Bounded<Call>,
    /// Responses the guard sent itself, by transaction key: resent on a
    /// retransmission, and the ACK of a locally answered INVITE absorbed.
    answered: Bounded<Vec<u8>>,
    /// Transactions authenticated and forwarded: a retransmission is
    /// forwarded again without re-checking its (already used) nonce-count.
    forwarded: Bounded<()>,
    epoch: Instant,
    local_tag: u64,
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The transaction key of a request (RFC 3261 §17.2.3): top Via branch,
/// method (ACK matching its INVITE) and CSeq number (so a client that reuses
/// a branch for its authenticated retry is not answered from the cache).
fn transaction_key(msg: &Message<'_>) -> Option<String> {
    let branch = msg.top_via().ok()?.branch()?;
    let method = match msg.method()? {
        Method::Ack => "INVITE",
        other => other.as_str(),
    };
    let cseq = msg.cseq().ok()?.number;
    Some(format!("{branch} {method} {cseq}"))
}

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

impl Guard {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn send(&self, bytes: &[u8], to: SocketAddr) {
        if let Err(e) = self.socket.send_to(bytes, to) {
            eprintln!("sip_guard: send to {to}: {e}");
        }
    }

    fn handle(&mut self, datagram: &[u8], from: SocketAddr) {
        if from == self.upstream {
            self.from_upstream(datagram);
        } else {
            self.from_client(datagram, from);
        }
    }

    fn from_client(&mut self, datagram: &[u8], from: SocketAddr) {
        let (now, wall) = (self.now(), wall_ms());
        let seen = self.engine.on_datagram(from.ip(), datagram, now, wall);
        let Ok(msg) = seen.message else {
            return; // refused unread, or malformed: counted, never answered
        };
        if !msg.is_request() {
            if seen.decision.action.passes() {
                // A client answering a request the upstream sent.
                self.forward_response(&msg, self.upstream, false);
            }
            return;
        }
        let Some(method) = msg.method() else { return };
        let key = transaction_key(&msg);
        if let Some(cached) = key.as_deref().and_then(|k| self.answered.get(k)) {
            // A retransmission of a request answered here, or the ACK of a
            // locally refused INVITE (hop-by-hop, RFC 3261 §17.2.1).
            if method != Method::Ack {
                let cached = cached.clone();
                self.send(&cached, from);
            }
            return;
        }
        if !seen.decision.action.passes() {
            self.refuse(&msg, from, seen.decision, false);
            return;
        }
        let initial_invite =
            method == Method::Invite && msg.to().is_ok_and(|to| to.tag().is_none());
        let retransmission = key
            .as_deref()
            .is_some_and(|k| self.forwarded.get(k).is_some());
        let needs_auth = self.engine.config().require_credentials
            && (method == Method::Register || initial_invite);
        if needs_auth && !retransmission {
            let auth = self
                .engine
                .authenticate(from.ip(), &msg, &self.verifier, now, wall);
            if !auth.decision.action.passes() {
                let stale = auth.verdict.is_some_and(|v| v.stale());
                self.refuse(&msg, from, auth.decision, stale);
                return;
            }
            if initial_invite {
                let account = auth.account().unwrap_or("").to_owned();
                if !self.admit_call(&msg, from, &account, now, wall) {
                    return;
                }
            }
        } else if initial_invite && !retransmission {
            // The upstream authenticates: the From user is the account.
            let account = msg
                .from()
                .ok()
                .and_then(|f| f.uri().user().map(str::to_owned))
                .unwrap_or_default();
            if !self.admit_call(&msg, from, &account, now, wall) {
                return;
            }
        }
        if let Some(k) = key {
            self.forwarded.insert(k, ());
        }
        if matches!(method, Method::Bye | Method::Cancel) {
            self.end_call(&msg, now, wall);
        }
        self.forward_request(&msg, from);
    }

    /// Runs call admission; refuses the INVITE and returns false when the
    /// call may not proceed.
    fn admit_call(
        &mut self,
        msg: &Message<'_>,
        from: SocketAddr,
        account: &str,
        now: u64,
        wall: u64,
    ) -> bool {
        let dialed = msg
            .request_uri()
            .ok()
            .and_then(|uri| uri.user().map(str::to_owned))
            .unwrap_or_default();
        let admission = self
            .engine
            .on_call_start(from.ip(), account, &dialed, now, wall);
        match admission.permit {
            Some(permit) => {
                if let Ok(call_id) = msg.call_id() {
                    self.calls.insert(
                        call_id.to_owned(),
                        Call {
                            _permit: permit,
                            source: from.ip(),
                            account: account.to_owned(),
                            dialed,
                            answered_ms: None,
                        },
                    );
                }
                true
            }
            None => {
                self.refuse(msg, from, admission.decision, false);
                false
            }
        }
    }

    /// Frees the call's slot and tells probing detection how long it lasted.
    fn end_call(&mut self, msg: &Message<'_>, now: u64, wall: u64) {
        let Some(call) = msg.call_id().ok().and_then(|id| self.calls.remove(id)) else {
            return;
        };
        let lasted = call.answered_ms.map_or(Duration::ZERO, |at| {
            Duration::from_millis(now.saturating_sub(at))
        });
        self.engine
            .on_call_ended(call.source, &call.account, &call.dialed, lasted, now, wall);
    }

    /// Answers a refused request as its decision says (nothing for drops,
    /// blocks and ACKs).
    fn refuse(&mut self, msg: &Message<'_>, from: SocketAddr, decision: Decision, stale: bool) {
        if msg.method() == Some(Method::Ack) {
            return;
        }
        let (status, reason, extra) = match decision.action {
            Action::Challenge => {
                let (kind, status, reason) = if msg.method() == Some(Method::Register) {
                    (ChallengeKind::WwwAuthenticate, 401, "Unauthorized")
                } else {
                    (
                        ChallengeKind::ProxyAuthenticate,
                        407,
                        "Proxy Authentication Required",
                    )
                };
                let mut extra = String::new();
                self.verifier.write_challenges(
                    kind,
                    Some(from.ip()),
                    wall_ms() / 1000,
                    stale,
                    &mut extra,
                );
                (status, reason, extra)
            }
            Action::Reject => (403, "Forbidden", String::new()),
            Action::Throttle { retry_after } => (
                503,
                "Service Unavailable",
                format!("Retry-After: {}\r\n", retry_after.as_secs().max(1)),
            ),
            Action::Allow | Action::Alert | Action::DropSilently | Action::Block { .. } => return,
        };
        // Failure answers count towards the 404/401 pattern of scanners; a
        // source that crossed it gets nothing more.
        let verdict = self
            .engine
            .on_response(from.ip(), status, self.now(), wall_ms());
        if !verdict.action.passes() {
            return;
        }
        let response = self.local_response(msg, status, reason, &extra);
        self.send(&response, from);
        if let Some(key) = transaction_key(msg) {
            self.answered.insert(key, response);
        }
    }

    /// A response built here (RFC 3261 §8.2.6.2): Via, From, To (with a
    /// tag), Call-ID and CSeq copied.
    fn local_response(
        &mut self,
        msg: &Message<'_>,
        status: u16,
        reason: &str,
        extra: &str,
    ) -> Vec<u8> {
        let mut out = format!("SIP/2.0 {status} {reason}\r\n");
        for via in msg.headers_of(HeaderName::Via) {
            let _ = write!(out, "Via: {}\r\n", text(via.value()));
        }
        if let Some(from) = msg.header(HeaderName::From) {
            let _ = write!(out, "From: {}\r\n", text(from.value()));
        }
        if let Some(to) = msg.header(HeaderName::To) {
            let _ = write!(out, "To: {}", text(to.value()));
            if msg.to().is_ok_and(|t| t.tag().is_none()) {
                self.local_tag = self.local_tag.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let _ = write!(out, ";tag=vsg{:x}", self.local_tag);
            }
            out.push_str("\r\n");
        }
        for kind in [HeaderName::CallId, HeaderName::CSeq] {
            if let Some(h) = msg.header(kind) {
                let _ = write!(out, "{}: {}\r\n", kind.as_str(), text(h.value()));
            }
        }
        out.push_str(extra);
        out.push_str("Server: voipsec-sip-guard\r\nContent-Length: 0\r\n\r\n");
        out.into_bytes()
    }

    /// Adds the guard's Via on top and sends the request upstream
    /// (RFC 3261 §16.6 step 8). The branch is derived from the client's
    /// transaction, so a retransmission carries the same one (§16.11).
    fn forward_request(&self, msg: &Message<'_>, client: SocketAddr) {
        let mut hasher = DefaultHasher::new();
        client.hash(&mut hasher);
        transaction_key(msg).hash(&mut hasher);
        msg.call_id().ok().hash(&mut hasher);
        msg.header(HeaderName::CSeq)
            .map(|h| h.value())
            .hash(&mut hasher);
        let branch = hasher.finish();
        let peer = match client.ip() {
            IpAddr::V4(v4) => format!("{:08x}", u32::from(v4)),
            IpAddr::V6(v6) => format!("{:032x}", u128::from(v6)),
        };
        let via = format!(
            "Via: SIP/2.0/UDP {};branch=z9hG4bK-vsg-{branch:016x};{PEER_PARAM}={peer}.{:x}\r\n",
            self.local,
            client.port()
        );
        let bytes = msg.as_bytes();
        let split = msg.headers_range().start.min(bytes.len());
        let (start, rest) = bytes.split_at(split);
        let mut out = Vec::with_capacity(bytes.len() + via.len());
        out.extend_from_slice(start);
        out.extend_from_slice(via.as_bytes());
        out.extend_from_slice(rest);
        self.send(&out, self.upstream);
    }

    fn from_upstream(&mut self, datagram: &[u8]) {
        let msg = match Message::parse(datagram).and_then(|m| m.validate().map(|()| m)) {
            Ok(msg) => msg,
            Err(e) => {
                eprintln!("sip_guard: malformed datagram from the upstream dropped: {e}");
                return;
            }
        };
        if msg.is_request() {
            // Requests towards clients need a location service; this guard
            // protects the inbound side only.
            eprintln!("sip_guard: request from the upstream dropped (no location service)");
            return;
        }
        let Some(client) = self.peer_of(&msg) else {
            eprintln!("sip_guard: response without the guard's Via dropped");
            return;
        };
        let (now, wall) = (self.now(), wall_ms());
        if let (Some(status), Ok(cseq), Ok(call_id)) =
            (msg.status_code(), msg.cseq(), msg.call_id())
            && cseq.method == Method::Invite
        {
            if (200..300).contains(&status) {
                if let Some(call) = self.calls.get_mut(call_id) {
                    call.answered_ms.get_or_insert(now);
                }
            } else if status >= 300 {
                self.end_call(&msg, now, wall);
            }
        }
        if let Some(status) = msg.status_code()
            && !self
                .engine
                .on_response(client.ip(), status, now, wall)
                .action
                .passes()
        {
            return;
        }
        self.forward_response(&msg, client, true);
    }

    /// The client address sealed in the guard's top Via.
    fn peer_of(&self, msg: &Message<'_>) -> Option<SocketAddr> {
        let via = msg.top_via().ok()?;
        let (ip, port) = via.params().value(PEER_PARAM)?.split_once('.')?;
        let ip = match ip.len() {
            8 => IpAddr::from(u32::from_str_radix(ip, 16).ok()?.to_be_bytes()),
            32 => IpAddr::from(u128::from_str_radix(ip, 16).ok()?.to_be_bytes()),
            _ => return None,
        };
        Some(SocketAddr::new(ip, u16::from_str_radix(port, 16).ok()?))
    }

    /// Removes the top Via entry when it is the guard's (RFC 3261 §16.7
    /// step 3) and sends the response on.
    fn forward_response(&self, msg: &Message<'_>, to: SocketAddr, ours_on_top: bool) {
        let bytes = msg.as_bytes();
        let Some(top) = msg.header(HeaderName::Via) else {
            return;
        };
        let removed = if ours_on_top {
            let mut values = top.values();
            let _first = values.next_with_offset();
            match values.next_with_offset() {
                // Several entries in one field: cut the first up to the next.
                Some((second, _)) => top.value_range().start..second,
                None => top.line_range(),
            }
        } else {
            0..0
        };
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(bytes.get(..removed.start).unwrap_or_default());
        out.extend_from_slice(bytes.get(removed.end..).unwrap_or_default());
        self.send(&out, to);
    }
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    let config = match &options.config {
        Some(path) => EngineConfig::from_file(path).map_err(|e| format!("{path}: {e}"))?,
        None => EngineConfig::default(),
    };
    let users = load_users(&options.users, &options.realm)?;
    let mut digest = DigestConfig::new(options.realm.clone());
    // sipp 3.6.1 answers the first challenge and speaks MD5 only.
    digest.algorithms = vec![Algorithm::Md5];
    let verifier = Verifier::new(
        digest,
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::default(),
    );
    let engine = Engine::new(config, JsonLinesSink::new(std::io::stdout()))
        .map_err(|e| format!("configuration: {e}"))?;
    let socket = UdpSocket::bind(options.listen).map_err(|e| format!("{}: {e}", options.listen))?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "sip_guard: listening on {local}, upstream {}",
        options.upstream
    );
    let mut guard = Guard {
        socket,
        local,
        upstream: options.upstream,
        engine,
        verifier,
        calls: Bounded::new(),
        answered: Bounded::new(),
        forwarded: Bounded::new(),
        epoch: Instant::now(),
        local_tag: u64::from(std::process::id()),
    };
    let mut buf = vec![0u8; 65_536];
    loop {
        let (len, from) = match guard.socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) => {
                eprintln!("sip_guard: receive: {e}");
                continue;
            }
        };
        let datagram = buf.get(..len).unwrap_or_default();
        guard.handle(datagram, from);
        if guard.engine.flush().is_err() {
            eprintln!("sip_guard: cannot write events");
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sip_guard: {e}");
            ExitCode::FAILURE
        }
    }
}
