//! A small UDP SIP registrar that authenticates with digest, built on the
//! public API of `voipsec::sip` (parsing) and `voipsec::digest` (challenges
//! and verification). Loopback demo and the peer of the sipp test.
//!
//! ```text
//! cargo run --release --example registrar -- --listen 127.0.0.1:5070 \
//!     --realm sip.example.test --users users.txt [--max-failures 5] \
//!     [--algorithms MD5|SHA-256,MD5] [--uri-check host-only|strict|off]
//! ```
//!
//! `users.txt` holds `user:password` lines. Behaviour:
//! * REGISTER without valid credentials gets 401 + WWW-Authenticate, any
//!   other out-of-dialog request 407 + Proxy-Authenticate (one challenge
//!   per algorithm, strongest first); ACK is never answered; CANCEL gets 481
//!   (every INVITE is answered at once, so there is nothing to cancel).
//! * Valid credentials get 200; an INVITE so accepted opens a dialog whose
//!   in-dialog requests (BYE, re-INVITE...) get 200.
//! * After `--max-failures` failed attempts from one address or for one
//!   user, requests get 403 until a success resets the counters.
//! * A retransmission (same branch, Call-ID and CSeq) gets the response
//!   already sent, as a transaction layer would (RFC 3261 §17.2): a replay
//!   is a *new* request carrying old credentials, and is refused.
//! * One line per decision on stdout; the reason is never sent to the client.

use std::fmt::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use voipsec::digest::{
    Algorithm, ChallengeKind, DigestConfig, DigestRequest, InMemoryCredentials,
    InMemoryNonceCounts, NonceSecret, UriCheck, Verdict, Verifier, unix_now,
};
use voipsec::sip::{HeaderName, Message, Method};

#[path = "support/bounded.rs"]
mod bounded;
#[path = "support/users.rs"]
mod users;
use bounded::Bounded;

struct Options {
    listen: SocketAddr,
    realm: String,
    users: String,
    max_failures: u32,
    algorithms: Vec<Algorithm>,
    uri_check: UriCheck,
}

fn usage() -> String {
    "usage: registrar --listen ADDR:PORT --realm REALM --users FILE \
     [--max-failures N] [--algorithms SHA-256,MD5] [--uri-check host-only|strict|off]"
        .to_owned()
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut realm, mut users) = (None, None, None);
    let mut max_failures = 5;
    // MD5 only by default: sipp 3.6.1 answers the *first* challenge and
    // refuses anything but MD5 ("authentication must use MD5"), so the
    // RFC 8760 order SHA-256-then-MD5 locks it out. Pass
    // `--algorithms SHA-256,MD5` for clients that follow RFC 8760 §2.4.
    let mut algorithms = vec![Algorithm::Md5];
    let mut uri_check = UriCheck::HostOnly;
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))
        };
        match flag.as_str() {
            "--listen" => listen = Some(value()?.parse().map_err(|e| format!("--listen: {e}"))?),
            "--realm" => realm = Some(value()?),
            "--users" => users = Some(value()?),
            "--max-failures" => {
                max_failures = value()?
                    .parse()
                    .map_err(|e| format!("--max-failures: {e}"))?;
            }
            "--algorithms" => {
                algorithms = value()?
                    .split(',')
                    .map(|a| {
                        Algorithm::from_token(a.trim().as_bytes())
                            .ok_or(format!("unknown algorithm {a}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--uri-check" => {
                uri_check = match value()?.as_str() {
                    "strict" => UriCheck::Strict,
                    "host-only" => UriCheck::HostOnly,
                    "off" => UriCheck::Off,
                    other => return Err(format!("--uri-check: unknown mode {other}")),
                };
            }
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(Options {
        listen: listen.ok_or_else(usage)?,
        realm: realm.ok_or_else(usage)?,
        users: users.ok_or_else(usage)?,
        max_failures,
        algorithms,
        uri_check,
    })
}

/// Bounded memory: at most this many dialogs, cached responses and
/// failure counters (oldest dropped first).
const CAPACITY: usize = 4096;

struct Registrar {
    local: SocketAddr,
    verifier: Verifier<InMemoryCredentials, InMemoryNonceCounts>,
    max_failures: u32,
    failures_by_source: Bounded<std::net::IpAddr, u32>,
    failures_by_user: Bounded<String, u32>,
    /// (Call-ID, local tag) of accepted INVITEs.
    dialogs: Bounded<(String, String), ()>,
    /// (branch, Call-ID, CSeq) -> response bytes.
    transactions: Bounded<(String, String, String), Vec<u8>>,
    local_tag_seed: u64,
}

impl Registrar {
    fn new_tag(&mut self) -> String {
        self.local_tag_seed = self
            .local_tag_seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        format!("vs{:016x}", self.local_tag_seed)
    }

    /// Builds a response copying Via, From, To (adding `to_tag` when the
    /// request had none), Call-ID and CSeq (RFC 3261 §8.2.6.2).
    fn response(
        msg: &Message<'_>,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
        extra: &str,
    ) -> Vec<u8> {
        let mut out = format!("SIP/2.0 {code} {reason}\r\n");
        for h in msg.headers_of(HeaderName::Via) {
            let _ = write!(out, "Via: {}\r\n", String::from_utf8_lossy(h.value()));
        }
        for (kind, name) in [
            (HeaderName::From, "From"),
            (HeaderName::To, "To"),
            (HeaderName::CallId, "Call-ID"),
            (HeaderName::CSeq, "CSeq"),
        ] {
            if let Some(h) = msg.header(kind) {
                let _ = write!(out, "{name}: {}", String::from_utf8_lossy(h.value()));
                if kind == HeaderName::To
                    && let Some(tag) = to_tag
                    && msg.to().map(|t| t.tag().is_none()).unwrap_or(false)
                {
                    let _ = write!(out, ";tag={tag}");
                }
                out.push_str("\r\n");
            }
        }
        out.push_str(extra);
        out.push_str("Server: voipsec-registrar\r\nContent-Length: 0\r\n\r\n");
        out.into_bytes()
    }

    fn handle(&mut self, datagram: &[u8], src: SocketAddr) -> Option<Vec<u8>> {
        let msg = match Message::parse(datagram).and_then(|m| m.validate().map(|()| m)) {
            Ok(m) => m,
            Err(e) => {
                println!("decision src={src} drop reason=unparsable error=\"{e}\"");
                return None;
            }
        };
        let line = msg.request_line()?; // responses are ignored
        let method = line.method;
        if method == Method::Ack {
            println!("decision src={src} method=ACK status=none (ACK is never answered)");
            return None;
        }
        let call_id = msg.call_id().ok()?.to_owned();
        let cseq = msg
            .header(HeaderName::CSeq)
            .map(|h| String::from_utf8_lossy(h.value()).into_owned())?;
        let branch = msg
            .top_via()
            .ok()
            .and_then(|v| v.branch())
            .unwrap_or("")
            .to_owned();
        let tx_key = (branch, call_id.clone(), cseq);
        if let Some(cached) = self.transactions.get(&tx_key) {
            println!(
                "decision src={src} method={} status=retransmission",
                method.as_str()
            );
            return Some(cached.clone());
        }
        let response = self.decide(&msg, method, &call_id, src);
        *self.transactions.entry_or(tx_key, Vec::new()) = response.clone();
        Some(response)
    }

    fn decide(
        &mut self,
        msg: &Message<'_>,
        method: Method<'_>,
        call_id: &str,
        src: SocketAddr,
    ) -> Vec<u8> {
        let m = method.as_str();
        let to_tag = msg.to().ok().and_then(|t| t.tag().map(str::to_owned));
        if let Some(tag) = &to_tag {
            let dialog = (call_id.to_owned(), tag.clone());
            let known = self.dialogs.contains(&dialog);
            if known && method == Method::Bye {
                self.dialogs.remove(&dialog);
            }
            let (code, reason) = if known {
                (200, "OK")
            } else {
                (481, "Call/Transaction Does Not Exist")
            };
            println!("decision src={src} method={m} in-dialog known={known} status={code}");
            return Registrar::response(msg, code, reason, None, "");
        }
        if method == Method::Cancel {
            println!("decision src={src} method=CANCEL status=481");
            return Registrar::response(msg, 481, "Call/Transaction Does Not Exist", None, "");
        }

        let kind = if method == Method::Register {
            ChallengeKind::WwwAuthenticate
        } else {
            ChallengeKind::ProxyAuthenticate
        };
        let header_kind = if kind == ChallengeKind::WwwAuthenticate {
            HeaderName::Authorization
        } else {
            HeaderName::ProxyAuthorization
        };
        let now = unix_now();
        let credentials = msg.header(header_kind).map(|h| h.value());
        let request = DigestRequest {
            method: m.as_bytes(),
            uri: msg.request_line().map_or("", |l| l.uri).as_bytes(),
            body: msg.body(),
            client: Some(src.ip()),
        };
        let verdict = credentials.map(|value| self.verifier.verify(value, &request, now));
        // Failures are counted per user under the name the verifier looks
        // up (`ad\min` and `username*=UTF-8''ad%6Din` are `admin`), so an
        // escaped spelling cannot start a fresh counter.
        let mut name = [0u8; voipsec::digest::MAX_USERNAME_LEN];
        let user = credentials
            .and_then(|v| voipsec::digest::Credentials::parse(v).ok())
            .and_then(|c| {
                c.claimed_username(&mut name)
                    .ok()
                    .map(String::from_utf8_lossy)
            })
            .map(|u| u.into_owned())
            .unwrap_or_default();

        match verdict {
            Some(Verdict::Authenticated { algorithm }) => {
                self.failures_by_source.remove(&src.ip());
                self.failures_by_user.remove(&user);
                let tag = self.new_tag();
                let mut extra = String::new();
                if method == Method::Register {
                    for h in msg.headers_of(HeaderName::Contact) {
                        let _ = write!(
                            extra,
                            "Contact: {};expires={}\r\n",
                            String::from_utf8_lossy(h.value()),
                            msg.expires().unwrap_or(3600)
                        );
                    }
                } else {
                    let _ = write!(extra, "Contact: <sip:{}>\r\n", self.local);
                    if method == Method::Invite {
                        self.dialogs.insert((call_id.to_owned(), tag.clone()), ());
                    }
                }
                println!(
                    "decision src={src} method={m} user={user} verdict=authenticated algorithm={algorithm} status=200"
                );
                Registrar::response(msg, 200, "OK", Some(&tag), &extra)
            }
            verdict => {
                let failed = verdict.filter(|v| !v.stale());
                if failed.is_some() {
                    *self.failures_by_source.entry_or(src.ip(), 0) += 1;
                    if !user.is_empty() {
                        *self.failures_by_user.entry_or(user.clone(), 0) += 1;
                    }
                }
                let count = self
                    .failures_by_source
                    .get(&src.ip())
                    .copied()
                    .unwrap_or(0)
                    .max(self.failures_by_user.get(&user).copied().unwrap_or(0));
                let reason = verdict.map_or("no_credentials".to_owned(), |v| v.to_string());
                if count >= self.max_failures {
                    println!(
                        "decision src={src} method={m} user={user} verdict={reason} failures={count} status=403"
                    );
                    return Registrar::response(msg, 403, "Forbidden", Some(&self.new_tag()), "");
                }
                let mut challenges = String::new();
                let stale = verdict.is_some_and(|v| v.stale());
                self.verifier
                    .write_challenges(kind, Some(src.ip()), now, stale, &mut challenges);
                println!(
                    "decision src={src} method={m} user={user} verdict={reason} failures={count} status={}",
                    kind.status_code()
                );
                Registrar::response(
                    msg,
                    kind.status_code(),
                    kind.reason_phrase(),
                    Some(&self.new_tag()),
                    &challenges,
                )
            }
        }
    }
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    if !options.listen.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on non-loopback {} (demo registrar)",
            options.listen
        ));
    }
    let (users, count) = users::load_users(&options.users, &options.realm)?;
    println!("loaded {count} users for realm {}", options.realm);
    let mut config = DigestConfig::new(options.realm.clone());
    config.algorithms = options.algorithms;
    config.uri_check = options.uri_check;
    config.bind_client_address = true;
    let verifier = Verifier::new(
        config,
        NonceSecret::generate(),
        users,
        InMemoryNonceCounts::default(),
    );
    let socket =
        UdpSocket::bind(options.listen).map_err(|e| format!("bind {}: {e}", options.listen))?;
    println!(
        "listening on udp {} realm {}",
        options.listen, options.realm
    );
    let mut registrar = Registrar {
        local: options.listen,
        verifier,
        max_failures: options.max_failures,
        failures_by_source: Bounded::new(CAPACITY),
        failures_by_user: Bounded::new(CAPACITY),
        dialogs: Bounded::new(CAPACITY),
        transactions: Bounded::new(CAPACITY),
        local_tag_seed: unix_now() ^ u64::from(std::process::id()),
    };
    let mut buf = vec![0u8; 65_535];
    loop {
        let (len, src) = socket
            .recv_from(&mut buf)
            .map_err(|e| format!("recv: {e}"))?;
        let Some(datagram) = buf.get(..len) else {
            continue;
        };
        if let Some(response) = registrar.handle(datagram, src)
            && let Err(e) = socket.send_to(&response, src)
        {
            println!("send to {src} failed: {e}");
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registrar: {e}");
            ExitCode::FAILURE
        }
    }
}
