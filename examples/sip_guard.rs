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
//! * what passes is forwarded to the upstream in its canonical form
//!   ([`sip::normalize`](voipsec::sip::normalize), so the PBX cannot read
//!   it differently from the guard), Max-Forwards decremented, with the
//!   guard's own Via on top (its branch derived from the client's, so
//!   retransmissions match; the client's address in a Via parameter so
//!   responses route back without per-transaction state) — all written
//!   once by the [`Editor`]; Route entries sealed by topology hiding are
//!   opened first ([`restore_topology`]);
//! * responses from the upstream lose that Via and, but for REGISTER
//!   answers (whose Contact lists the client's own bindings), have the
//!   PBX's topology hidden ([`hide_topology`]: Server and internal headers
//!   stripped, Record-Route sealed, Contact host replaced by the guard's
//!   address) before they go back to the client; failure answers feed
//!   [`Engine::on_response`] (404/401 patterns);
//! * a refusal is answered 403 (reject), 503 + `Retry-After` (throttle), or
//!   not at all (drop, block: scanners learn nothing); the ACK of a locally
//!   answered INVITE is absorbed (RFC 3261 §17.2.1).
//!
//! Decision events are written as JSON lines on stdout; diagnostics go to
//! stderr. Memory is bounded: every table here is capped and forgets its
//! oldest entries. With `--stats FILE`, one JSON line a second is appended
//! to FILE: datagrams handled, and every table of the engine, the nonce
//! store and this guard against its bound (what `scripts/load-test`
//! checks under a flood).

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::io::Stdout;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use voipsec::digest::{
    Algorithm, ChallengeKind, DigestConfig, InMemoryCredentials, InMemoryNonceCounts, NonceSecret,
    Verifier,
};
use voipsec::guard::{
    Action, CallPermit, Decision, Engine, EngineConfig, JsonLinesSink, TableUsage,
};
use voipsec::sip::{
    Editor, HeaderName, Message, Method, NormalizeConfig, TopologyKey, TopologyPolicy,
    hide_topology, restore_topology,
};

#[path = "support/bounded.rs"]
mod bounded;
#[path = "support/users.rs"]
mod users;
use bounded::Bounded;

const USAGE: &str = "usage: sip_guard --listen ADDR:PORT --upstream ADDR:PORT --users FILE \
                     [--config FILE] [--realm REALM] [--stats FILE]";

/// Via parameter carrying the client's address (hex IP, `.`, hex port).
const PEER_PARAM: &str = "x-vsg-peer";

/// The most admitted calls remembered (the concurrent-call policy holds the
/// real per-account limit; this bounds the example's own table).
const CALL_CAPACITY: usize = 4096;

/// The most transactions remembered as forwarded. A client retransmits for
/// 64*T1 = 32 s (RFC 3261 §17.1.1.2), and a retransmission that has fallen
/// out of this table is checked again, so an authenticated request would be
/// refused as a nonce-count replay: the table must span the retransmission
/// window at the rates the guard serves. 65,536 entries hold 10 s of
/// transactions at 3,200 calls/s (two a call), past the 4 s retransmission
/// interval (T2), in a few MiB (keys only).
const FORWARDED_CAPACITY: usize = 65_536;

/// The most responses the guard sent itself (mostly challenges) kept for
/// retransmissions and to absorb the ACK of a locally answered INVITE.
/// Smaller than [`FORWARDED_CAPACITY`] because each holds a whole response
/// and a flood of unauthenticated requests fills it; a request that falls
/// out of it is only challenged again with a fresh nonce, which is harmless.
const ANSWERED_CAPACITY: usize = 16_384;

/// The most digest nonces whose nonce-counts are remembered.
const NONCE_CAPACITY: usize = 32_768;

/// How often `--stats` appends a line.
const STATS_EVERY: Duration = Duration::from_secs(1);

struct Options {
    listen: SocketAddr,
    upstream: SocketAddr,
    users: String,
    config: Option<String>,
    realm: String,
    stats: Option<String>,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut upstream, mut users, mut config) = (None, None, None, None);
    let mut stats = None;
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
            "--stats" => stats = Some(value),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(Options {
        listen: listen.ok_or(USAGE)?,
        upstream: upstream.ok_or(USAGE)?,
        users: users.ok_or(USAGE)?,
        config,
        realm,
        stats,
    })
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
    verifier: Verifier<InMemoryCredentials, Arc<InMemoryNonceCounts>>,
    /// The verifier's nonce-count store, shared to report its size.
    nonce_counts: Arc<InMemoryNonceCounts>,
    /// Datagrams received (clients and upstream).
    datagrams: u64,
    /// Admitted calls by Call-ID.
    calls: Bounded<String, Call>,
    /// Responses the guard sent itself, by transaction key: resent on a
    /// retransmission, and the ACK of a locally answered INVITE absorbed.
    answered: Bounded<String, Vec<u8>>,
    /// Transactions authenticated and forwarded: a retransmission is
    /// forwarded again without re-checking its (already used) nonce-count.
    forwarded: Bounded<String, ()>,
    /// Seals and opens the topology parameters (a fresh key per run).
    topology: TopologyKey,
    /// The address the outside sees (`host:port`).
    public: String,
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

/// A cache's fill as the guard's stats report it.
fn usage<V>(table: &Bounded<String, V>) -> TableUsage {
    let (tracked, capacity) = table.usage();
    TableUsage { tracked, capacity }
}

impl Guard {
    /// One `--stats` line: a JSON object.
    fn stats_line(&self) -> String {
        let nonces = TableUsage {
            tracked: self.nonce_counts.len(),
            capacity: NONCE_CAPACITY,
        };
        let engine = self.engine.stats();
        let within = engine.within_bounds()
            && [nonces, usage(&self.calls), usage(&self.answered)]
                .iter()
                .chain([usage(&self.forwarded)].iter())
                .all(TableUsage::within_bound);
        format!(
            "{{\"uptime_ms\":{},\"datagrams\":{},\"within_bounds\":{within},\"engine\":{engine},\
             \"nonce_counts\":{nonces},\"calls\":{},\"answered\":{},\"forwarded\":{}}}",
            self.now(),
            self.datagrams,
            usage(&self.calls),
            usage(&self.answered),
            usage(&self.forwarded),
        )
    }

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
            self.handle_upstream(datagram);
        } else {
            self.handle_client(datagram, from);
        }
    }

    fn handle_client(&mut self, datagram: &[u8], from: SocketAddr) {
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
        if let Err(status) = self.forward_request(&msg, from) {
            self.refuse_with(&msg, from, status);
        }
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

    /// Answers a request the guard could not forward (483 Too Many Hops,
    /// 400 for a forged seal…).
    fn refuse_with(&mut self, msg: &Message<'_>, from: SocketAddr, status: u16) {
        if msg.method() == Some(Method::Ack) {
            return;
        }
        let reason = match status {
            483 => "Too Many Hops",
            400 => "Bad Request",
            _ => "Server Internal Error",
        };
        let response = self.local_response(msg, status, reason, "");
        self.send(&response, from);
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

    /// Opens sealed Route entries, normalizes, decrements Max-Forwards and
    /// adds the guard's Via on top (RFC 3261 §16.6 steps 3 and 8), then
    /// sends the request upstream. The branch is derived from the client's
    /// transaction, so a retransmission carries the same one (§16.11).
    /// Returns the status to answer with when the request cannot go on.
    fn forward_request(&self, msg: &Message<'_>, client: SocketAddr) -> Result<(), u16> {
        let mut restored = BytesMut::new();
        let reparsed;
        let msg = if msg.header(HeaderName::Route).is_some() {
            let policy = TopologyPolicy::new(&self.public).map_err(|e| e.status_code())?;
            restore_topology(msg, &policy, &self.topology, &mut restored)
                .map_err(|e| e.status_code())?;
            reparsed = Message::parse(&restored).map_err(|e| e.status_code())?;
            &reparsed
        } else {
            msg
        };
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
            "SIP/2.0/UDP {};branch=z9hG4bK-vsg-{branch:016x};{PEER_PARAM}={peer}.{:x}",
            self.local,
            client.port()
        );
        let mut editor = Editor::new(msg);
        editor.normalized(NormalizeConfig::default());
        editor
            .decrement_max_forwards()
            .map_err(|e| e.status_code())?;
        editor
            .insert_top(HeaderName::Via, via.as_bytes())
            .map_err(|e| e.status_code())?;
        let mut out = BytesMut::with_capacity(msg.as_bytes().len() + 256);
        editor.write(&mut out).map_err(|e| e.status_code())?;
        self.send(&out, self.upstream);
        Ok(())
    }

    fn handle_upstream(&mut self, datagram: &[u8]) {
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
    /// step 3), hides the upstream's topology in what goes to a client, and
    /// sends the response on.
    fn forward_response(&self, msg: &Message<'_>, to: SocketAddr, from_upstream: bool) {
        let Some((index, top)) = msg
            .headers()
            .enumerate()
            .find(|(_, h)| h.kind() == HeaderName::Via)
        else {
            return;
        };
        let mut editor = Editor::new(msg);
        if from_upstream {
            let mut values = top.values();
            let _ours = values.next_with_offset();
            let edited = match values.next_with_offset() {
                // Several entries in one field: cut the first up to the next.
                Some((second, _)) => editor.splice(top.value_range().start..second, b""),
                None => editor.remove(index),
            };
            if let Err(e) = edited {
                eprintln!("sip_guard: cannot remove the guard's Via: {e}");
                return;
            }
        }
        let mut popped = BytesMut::with_capacity(msg.as_bytes().len());
        if let Err(e) = editor.write(&mut popped) {
            eprintln!("sip_guard: cannot rewrite a response: {e}");
            return;
        }
        let register = msg.cseq().is_ok_and(|c| c.method == Method::Register);
        if !from_upstream || register {
            self.send(&popped, to);
            return;
        }
        let hidden = Message::parse(&popped)
            .map_err(|e| e.to_string())
            .and_then(|popped| {
                // Hidden and canonical in one write.
                let policy = TopologyPolicy::new(&self.public)
                    .map_err(|e| e.to_string())?
                    .with_normalize(NormalizeConfig::default());
                let mut out = BytesMut::with_capacity(popped.as_bytes().len() + 1024);
                hide_topology(&popped, &policy, &self.topology, &mut out)
                    .map_err(|e| e.to_string())?;
                Ok(out)
            });
        match hidden {
            Ok(out) => self.send(&out, to),
            Err(e) => eprintln!("sip_guard: cannot hide the topology of a response: {e}"),
        }
    }
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    let config = match &options.config {
        Some(path) => EngineConfig::from_file(path).map_err(|e| format!("{path}: {e}"))?,
        None => EngineConfig::default(),
    };
    let (users, _) = users::load_users(&options.users, &options.realm)?;
    let mut digest = DigestConfig::new(options.realm.clone());
    // sipp 3.6.1 answers the first challenge and speaks MD5 only.
    digest.algorithms = vec![Algorithm::Md5];
    let nonce_counts = Arc::new(InMemoryNonceCounts::new(NONCE_CAPACITY));
    let verifier = Verifier::new(
        digest,
        NonceSecret::generate(),
        users,
        Arc::clone(&nonce_counts),
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
        nonce_counts,
        datagrams: 0,
        calls: Bounded::new(CALL_CAPACITY),
        answered: Bounded::new(ANSWERED_CAPACITY),
        forwarded: Bounded::new(FORWARDED_CAPACITY),
        topology: TopologyKey::generate(),
        public: local.to_string(),
        epoch: Instant::now(),
        local_tag: u64::from(std::process::id()),
    };
    let mut stats = match &options.stats {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{path}: {e}"))?;
            // Wake up at least once per period to write the line.
            guard
                .socket
                .set_read_timeout(Some(STATS_EVERY))
                .map_err(|e| e.to_string())?;
            Some((file, Instant::now()))
        }
        None => None,
    };
    let mut buf = vec![0u8; 65_536];
    loop {
        if let Some((file, last)) = &mut stats
            && last.elapsed() >= STATS_EVERY
        {
            *last = Instant::now();
            if let Err(e) = writeln!(file, "{}", guard.stats_line()) {
                eprintln!("sip_guard: cannot write stats: {e}");
            }
        }
        let (len, from) = match guard.socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue; // the stats period elapsed with nothing received
            }
            Err(e) => {
                eprintln!("sip_guard: receive: {e}");
                continue;
            }
        };
        guard.datagrams = guard.datagrams.saturating_add(1);
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
