//! sipp, a real SIP client, against the registrar example (feature `sipp`).
//!
//! Loopback only, every wait bounded. FAILS (does not skip) when sipp is not
//! installed: `apt-get install sip-tester`, as scripts/test-all does.
#![cfg(feature = "sipp")]

mod digest_support;

#[path = "support/examples.rs"]
mod examples;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use digest_support::Client;
use examples::{build_example, free_udp_port};
use voipsec::digest::Algorithm;

const REALM: &str = "sip.example.test";
const SIPP: &str = "/usr/bin/sipp";

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/digest/uac_register_invite_auth.xml")
}

/// A running registrar; killed on drop. Its stdout lines are collected.
struct Registrar {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    _dir: TempDir,
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir =
        std::env::temp_dir().join(format!("voipsec-digest-sipp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

impl Registrar {
    fn start(name: &str, extra: &[&str]) -> Registrar {
        let dir = temp_dir(name);
        let users = dir.0.join("users.txt");
        std::fs::write(&users, "alice:s3cret\nbob:hunter2\n").unwrap();
        let port = free_udp_port("127.0.0.1");
        let mut child = Command::new(build_example("registrar"))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--realm",
                REALM,
                "--users",
            ])
            .arg(&users)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("registrar starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let registrar = Registrar {
            child,
            port,
            log,
            _dir: dir,
        };
        registrar.wait_for("listening on udp");
        registrar
    }

    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log.lock().unwrap().iter().any(|l| l.contains(needle)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "registrar never printed {needle:?}; log: {:#?}",
            self.log.lock().unwrap()
        );
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Registrar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the shared scenario unchanged; returns sipp's exit code.
fn run_sipp(registrar: &Registrar, password: &str) -> i32 {
    assert!(
        Path::new(SIPP).exists(),
        "sipp is not installed at {SIPP}: apt-get install sip-tester"
    );
    let dir = temp_dir(&format!("sipp-{password}"));
    let mut child = Command::new(SIPP)
        .arg(format!("127.0.0.1:{}", registrar.port))
        .arg("-sf")
        .arg(scenario())
        .args([
            "-s",
            "alice",
            "-au",
            "alice",
            "-ap",
            password,
            "-i",
            "127.0.0.1",
        ])
        .args([
            "-p",
            &free_udp_port("127.0.0.1").to_string(),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "15s",
        ])
        .args(["-trace_err", "-error_file"])
        .arg(dir.0.join("errors.log"))
        .current_dir(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sipp did not finish within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sipp_registers_and_calls_with_the_right_password() {
    let registrar = Registrar::start("ok", &[]);
    assert_eq!(
        run_sipp(&registrar, "s3cret"),
        0,
        "scenario failed; registrar log: {:#?}",
        registrar.lines()
    );
    // Lines reach the log through a reader thread: wait for each.
    for needle in [
        "method=REGISTER user= verdict=no_credentials failures=0 status=401",
        "method=REGISTER user=alice verdict=authenticated algorithm=MD5 status=200",
        "method=INVITE user= verdict=no_credentials failures=0 status=407",
        "method=INVITE user=alice verdict=authenticated algorithm=MD5 status=200",
        "method=ACK status=none",
        "method=BYE in-dialog known=true status=200",
    ] {
        registrar.wait_for(needle);
    }
}

#[test]
fn sipp_with_a_wrong_password_is_refused() {
    let registrar = Registrar::start("wrong", &[]);
    assert_ne!(run_sipp(&registrar, "not-the-password"), 0);
    registrar.wait_for("user=alice verdict=wrong_response failures=1 status=401");
    let lines = registrar.lines();
    assert!(
        !lines.iter().any(|l| l.contains("verdict=authenticated")),
        "{lines:#?}"
    );
}

/// A hand-written UAC on loopback: retransmission, replay and lock-out.
struct Uac {
    socket: UdpSocket,
    target: String,
    cseq: u32,
}

impl Uac {
    fn new(port: u16) -> Uac {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Uac {
            socket,
            target: format!("127.0.0.1:{port}"),
            cseq: 0,
        }
    }

    fn register(&mut self, authorization: Option<&str>) -> String {
        self.cseq += 1;
        let local = self.socket.local_addr().unwrap();
        let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        format!(
            "REGISTER sip:{target} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-test-{cseq}\r\n\
             From: <sip:alice@127.0.0.1>;tag=uac1\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: uac-test@127.0.0.1\r\n\
             CSeq: {cseq} REGISTER\r\nContact: <sip:alice@{local}>\r\n{auth}Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
            target = self.target,
            cseq = self.cseq,
        )
    }

    fn send(&self, request: &str) -> String {
        self.socket
            .send_to(request.as_bytes(), &self.target)
            .unwrap();
        let mut buf = [0u8; 8192];
        let (n, _) = self
            .socket
            .recv_from(&mut buf)
            .expect("registrar answers within 5 s");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

fn status(response: &str) -> u16 {
    response
        .get(8..11)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn nonce(response: &str) -> String {
    let start = response.find("nonce=\"").expect("challenge has a nonce") + 7;
    response[start..].split('"').next().unwrap().to_owned()
}

#[test]
fn retransmission_replay_and_lockout() {
    let registrar = Registrar::start("replay", &["--max-failures", "3"]);
    let mut uac = Uac::new(registrar.port);
    let first = uac.register(None);
    let challenge = uac.send(&first);
    assert_eq!(status(&challenge), 401);
    let mut alice = Client::new("alice", "s3cret", REALM, Algorithm::Md5);
    alice.uri = format!("sip:127.0.0.1:{}", registrar.port);
    let authorization = alice.authorization(&nonce(&challenge), 1, "REGISTER", b"");

    let request = uac.register(Some(&authorization));
    assert_eq!(status(&uac.send(&request)), 200);
    // The same datagram again is a retransmission: same answer.
    assert_eq!(status(&uac.send(&request)), 200);
    // The same credentials in a new request are a replay.
    let replay = uac.register(Some(&authorization));
    assert_eq!(status(&uac.send(&replay)), 401);
    registrar.wait_for("verdict=replayed_nonce_count");

    // Wrong passwords: challenged until the third failure, then 403.
    let mut mallory = alice.clone();
    mallory.password = "guess".into();
    let mut codes = Vec::new();
    let mut nonce_now = nonce(&challenge);
    for _ in 0..4 {
        let guess = uac.register(Some(&mallory.authorization(&nonce_now, 1, "REGISTER", b"")));
        let response = uac.send(&guess);
        codes.push(status(&response));
        if response.contains("nonce=\"") {
            nonce_now = nonce(&response);
        }
    }
    // The replay above already counted as one failure.
    assert_eq!(codes, vec![401, 403, 403, 403], "{:#?}", registrar.lines());
    // The reason never reaches the client.
    let unauthenticated = uac.register(None);
    let last = uac.send(&unauthenticated);
    assert!(
        !last.contains("wrong_response") && !last.contains("replayed") && !last.contains("verdict")
    );
}
