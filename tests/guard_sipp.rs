//! `examples/sip_guard.rs` between sipp clients and a PBX (a sipp UAS, or
//! a bare UDP socket that must receive nothing), on loopback only.
//!
//! Run with `cargo test --features sipp --test guard_sipp`. sipp 3.6.1
//! (`apt-get install sip-tester`) must be at /usr/bin/sipp: without it the
//! tests FAIL. Every process is bounded in time (sipp `-timeout`, and a
//! deadline here) and in count (`-m`); ports are picked free.
#![cfg(feature = "sipp")]

#[path = "support/examples.rs"]
mod examples;

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use examples::{build_example, free_udp_port};

const SIPP: &str = "/usr/bin/sipp";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/guard")
        .join(name)
}

fn require_sipp() {
    assert!(
        Path::new(SIPP).exists(),
        "sipp is missing at {SIPP}: install it with `apt-get install -y sip-tester`"
    );
}

/// A scratch directory for one test (sipp writes its logs in the cwd).
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("voipsec-guard-sipp-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds the example once per test binary.
fn guard_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| build_example("sip_guard")).clone()
}

/// Waits for `child` until `deadline`, killing it past that.
fn wait_until(child: &mut Child, deadline: Duration, what: &str) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Guard {
    child: Child,
    addr: SocketAddr,
    events: PathBuf,
}

impl Guard {
    fn start(dir: &Path, upstream: SocketAddr, config: &str) -> Guard {
        let port = free_udp_port("127.0.0.1");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let config_path = dir.join("guard.conf");
        fs::write(&config_path, config).unwrap();
        let events = dir.join("events.jsonl");
        let mut child = Command::new(guard_binary())
            .args([
                "--listen",
                &addr.to_string(),
                "--upstream",
                &upstream.to_string(),
            ])
            .arg("--users")
            .arg(data("users.txt"))
            .arg("--config")
            .arg(&config_path)
            .stdout(fs::File::create(&events).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.contains("listening"),
            "sip_guard did not start: {line}"
        );
        Guard {
            child,
            addr,
            events,
        }
    }

    /// Stops the guard and returns its event lines.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        fs::read_to_string(&self.events)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sipp command bounded to 30 s, logging errors into `dir`.
fn sipp(dir: &Path, scenario: &str, local_ip: &str, port: u16, calls: u32) -> Command {
    let mut cmd = Command::new(SIPP);
    cmd.arg("-sf")
        .arg(data(scenario))
        .args(["-i", local_ip, "-p", &port.to_string()])
        .args(["-m", &calls.to_string()])
        .args(["-timeout", "30s", "-timeout_error", "-nostdin"])
        .args(["-trace_err", "-error_file"])
        .arg(dir.join(format!("{scenario}.{local_ip}.errors.log")))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// What sipp logged with `-trace_err` for `scenario` run from `local_ip`.
fn sipp_errors(dir: &Path, scenario: &str, local_ip: &str) -> String {
    fs::read_to_string(dir.join(format!("{scenario}.{local_ip}.errors.log"))).unwrap_or_default()
}

/// The PBX: a sipp UAS running `scenario` for `calls` calls.
fn start_uas(dir: &Path, scenario: &str, calls: u32) -> (Child, SocketAddr) {
    let port = free_udp_port("127.0.0.1");
    let child = sipp(dir, scenario, "127.0.0.1", port, calls)
        .spawn()
        .unwrap();
    // sipp binds at start-up; give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    (child, format!("127.0.0.1:{port}").parse().unwrap())
}

/// Runs a sipp UAC against the guard to completion.
fn run_uac(
    dir: &Path,
    guard: &Guard,
    scenario: &str,
    local_ip: &str,
    calls: u32,
    extra: &[&str],
) -> ExitStatus {
    let mut child = sipp(dir, scenario, local_ip, free_udp_port(local_ip), calls)
        .arg(guard.addr.to_string())
        .args(extra)
        .spawn()
        .unwrap();
    wait_until(&mut child, Duration::from_secs(40), scenario)
}

/// A PBX that must receive nothing.
fn silent_upstream() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

fn assert_received_nothing(socket: &UdpSocket) {
    let mut buf = [0u8; 2048];
    if let Ok((len, from)) = socket.recv_from(&mut buf) {
        panic!(
            "the upstream received {len} bytes from {from}: {}",
            String::from_utf8_lossy(&buf[..len])
        );
    }
}

fn count(events: &[String], needle: &str) -> usize {
    events.iter().filter(|e| e.contains(needle)).count()
}

#[test]
fn legitimate_register_and_invite_pass_through_to_the_pbx() {
    require_sipp();
    let dir = scratch("legit");
    let uas_trace = dir.join("uas.messages.log");
    let uac_trace = dir.join("uac.messages.log");
    let port = free_udp_port("127.0.0.1");
    let mut uas = sipp(&dir, "uas_pbx.xml", "127.0.0.1", port, 1)
        .args(["-trace_msg", "-message_file"])
        .arg(&uas_trace)
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let upstream: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let guard = Guard::start(&dir, upstream, "");
    let status = run_uac(
        &dir,
        &guard,
        "uac_register_invite_auth.xml",
        "127.0.0.1",
        1,
        &[
            "-s",
            "alice",
            "-au",
            "alice",
            "-ap",
            "s3cret",
            "-trace_msg",
            "-message_file",
            uac_trace.to_str().unwrap(),
        ],
    );
    assert!(
        status.success(),
        "sipp UAC failed: {status}, see {}",
        dir.display()
    );
    let uas_status = wait_until(&mut uas, Duration::from_secs(10), "sipp UAS");
    assert!(
        uas_status.success(),
        "the PBX did not see the whole call: {uas_status}"
    );
    let guard_addr = guard.addr;
    let events = guard.stop();
    // The PBX got normalized requests through the guard: its Via on top,
    // Max-Forwards decremented.
    let pbx_saw = fs::read_to_string(&uas_trace).unwrap();
    assert!(
        pbx_saw.contains(&format!(
            "Via: SIP/2.0/UDP {guard_addr};branch=z9hG4bK-vsg-"
        )),
        "{pbx_saw}"
    );
    assert!(pbx_saw.contains("Max-Forwards: 69"), "{pbx_saw}");
    assert!(!pbx_saw.contains("Max-Forwards: 70"), "{pbx_saw}");
    // The client got the PBX's answers without the guard's Via and with
    // the PBX's topology hidden (Server stripped, Contact at the guard).
    let client_saw = fs::read_to_string(&uac_trace).unwrap();
    assert!(!client_saw.contains("z9hG4bK-vsg-"), "{client_saw}");
    assert!(!client_saw.contains("InternalPBX"), "{client_saw}");
    assert!(
        client_saw.contains(&format!("Contact: <sip:pbx@{guard_addr}>")),
        "{client_saw}"
    );
    // Two challenges (401, 407), the international alert, and no refusal.
    assert_eq!(
        count(&events, "\"rule\":\"auth.challenge\""),
        2,
        "{events:#?}"
    );
    assert_eq!(
        count(
            &events,
            "\"rule\":\"fraud.destination\",\"action\":\"alert\""
        ),
        1
    );
    assert_eq!(count(&events, "\"action\":\"block\""), 0, "{events:#?}");
    assert_eq!(count(&events, "\"action\":\"reject\""), 0, "{events:#?}");
}

#[test]
fn friendly_scanner_sweep_gets_no_response() {
    require_sipp();
    let dir = scratch("scanner");
    let (pbx, upstream) = silent_upstream();
    let guard = Guard::start(&dir, upstream, "");
    // Every call must end at its receive timeout: sipp counts those calls
    // as failed (exit status 1) and logs each; an answer would abort a call
    // on an unexpected message instead.
    let status = run_uac(
        &dir,
        &guard,
        "uac_scanner_sweep.xml",
        "127.0.0.1",
        10,
        &["-r", "20"],
    );
    assert_eq!(status.code(), Some(1), "see {}", dir.display());
    let log = sipp_errors(&dir, "uac_scanner_sweep.xml", "127.0.0.1");
    assert_eq!(log.matches("receive timeout").count(), 10, "{log}");
    assert!(
        !log.contains("unexpected"),
        "the scanner got an answer: {log}"
    );
    assert_received_nothing(&pbx);
    let events = guard.stop();
    assert_eq!(
        count(
            &events,
            "\"rule\":\"scanner.user_agent\",\"action\":\"block\""
        ),
        1,
        "{events:#?}"
    );
    assert!(events[0].contains("\"subject\":\"friendly-scanner\""));
    assert!(
        count(&events, "\"rule\":\"block.active\"") >= 1,
        "{events:#?}"
    );
}

#[test]
fn password_guessing_is_banned_while_a_real_user_registers() {
    require_sipp();
    let dir = scratch("guessing");
    let (mut uas, upstream) = start_uas(&dir, "uas_register.xml", 1);
    let guard = Guard::start(
        &dir,
        upstream,
        "bruteforce.source_failures = 5\nban.base = 10m\n",
    );
    // Eight guessing runs from 127.0.0.1: the fifth wrong password bans it,
    // and the later runs time out unanswered.
    let guesses = run_uac(
        &dir,
        &guard,
        "uac_register_guess.xml",
        "127.0.0.1",
        8,
        &["-s", "alice", "-au", "alice", "-ap", "letmein", "-r", "4"],
    );
    assert_eq!(guesses.code(), Some(1), "see {}", dir.display());
    let log = sipp_errors(&dir, "uac_register_guess.xml", "127.0.0.1");
    // Run 5 waits in vain for the answer to its guess; runs 6-8 get no
    // challenge at all.
    assert_eq!(
        log.matches("receive timeout on message uac_register_guess:3")
            .count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches("receive timeout on message uac_register_guess:1")
            .count(),
        3,
        "{log}"
    );
    assert!(!log.contains("unexpected"), "{log}");
    // Alice on another address still registers through to the PBX.
    let alice = run_uac(
        &dir,
        &guard,
        "uac_register.xml",
        "127.0.0.2",
        1,
        &["-s", "alice", "-au", "alice", "-ap", "s3cret"],
    );
    assert!(
        alice.success(),
        "alice could not register: {alice}, see {}",
        dir.display()
    );
    let uas_status = wait_until(&mut uas, Duration::from_secs(10), "sipp UAS");
    assert!(uas_status.success());
    let events = guard.stop();
    let bans: Vec<&String> = events
        .iter()
        .filter(|e| e.contains("\"rule\":\"bruteforce.source\",\"action\":\"block\""))
        .collect();
    assert_eq!(bans.len(), 1, "{events:#?}");
    assert!(bans[0].contains("\"source\":\"127.0.0.1\""));
    assert!(bans[0].contains("\"observed\":5,\"limit\":5"));
    assert!(bans[0].contains("\"block_ms\":600000"));
    assert!(
        count(
            &events,
            "\"source\":\"127.0.0.1\",\"account\":null,\"subject\":null,\"rule\":\"block.active\""
        ) >= 1
    );
    assert_eq!(
        count(&events, "\"source\":\"127.0.0.2\""),
        1,
        "only alice's first challenge"
    );
}

#[test]
fn premium_rate_invite_burst_is_alerted_and_blocked() {
    require_sipp();
    let dir = scratch("premium");
    let (pbx, upstream) = silent_upstream();
    let guard = Guard::start(&dir, upstream, "");
    // Stolen credentials: every INVITE authenticates, and every one is
    // refused with 403 before it reaches the PBX.
    let status = run_uac(
        &dir,
        &guard,
        "uac_invite_premium.xml",
        "127.0.0.1",
        10,
        &["-s", "alice", "-au", "alice", "-ap", "s3cret", "-r", "20"],
    );
    assert!(
        status.success(),
        "premium burst: {status}, see {}",
        dir.display()
    );
    assert_received_nothing(&pbx);
    let events = guard.stop();
    let refused: Vec<&String> = events
        .iter()
        .filter(|e| e.contains("\"rule\":\"fraud.destination\",\"action\":\"reject\""))
        .collect();
    assert_eq!(refused.len(), 10, "{events:#?}");
    assert!(refused.iter().all(|e| e.contains("\"account\":\"alice\"")
        && e.contains("\"subject\":\"+19005550100\"")
        && e.contains("premium-rate destination")));
}
