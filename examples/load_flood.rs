//! A SIP flood from many loopback source addresses, for `scripts/load-test`.
//!
//! ```text
//! cargo run --release --example load_flood -- --target 127.0.0.1:5060 \
//!     --sources 100000 --registers 1000000 --bad-auth 20000 --junk 20000 \
//!     --malformed 20000 --rate 20000
//! ```
//!
//! Every source is its own address in 127.0.0.0/8 (all of it is loopback on
//! Linux), counted up from `--first` (default 127.1.0.1), so the guard sees
//! `--sources` distinct peers. Each source binds one UDP socket, sends its
//! share of the datagrams, and closes it. The REGISTERs come from every
//! source; the hostile datagrams (forged credentials, junk, malformed) from
//! every k-th source, `--hostile-sources` of them (default 1 %), so those
//! cross the guard's thresholds and get banned. The datagrams, interleaved
//! at random but in exact totals:
//!
//! * `--registers`: well-formed REGISTERs without credentials (a challenge
//!   each, the cheapest way for an attacker to make a registrar work);
//! * `--bad-auth`: REGISTERs for `alice` with forged digest credentials
//!   (password guessing from many sources at once);
//! * `--junk`: random bytes;
//! * `--malformed`: SIP-shaped datagrams broken in one place (no
//!   Call-ID, a bad Content-Length, a control byte, a cut message, a header
//!   line over the limits…).
//!
//! The sender paces itself at `--rate` datagrams per second and stops after
//! the last one: bounded in time and count, loopback only (any other target
//! is refused). At the end it prints one JSON line with what it sent.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: load_flood --target 127.x.y.z:PORT [--sources N] [--registers N] \
                     [--bad-auth N] [--junk N] [--malformed N] [--hostile-sources N] \
                     [--rate PER_SECOND] \
                     [--first 127.x.y.z] [--seed N]";

struct Options {
    target: SocketAddr,
    sources: u32,
    counts: [u64; KINDS],
    hostile_sources: u32,
    rate: u64,
    first: Ipv4Addr,
    seed: u64,
}

/// The kinds of datagram, in the order of [`Options::counts`].
const KINDS: usize = 4;
const KIND_NAMES: [&str; KINDS] = ["registers", "bad_auth", "junk", "malformed"];

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        target: "127.0.0.1:5060".parse().map_err(|_| USAGE)?,
        sources: 100_000,
        counts: [1_000_000, 0, 0, 0],
        hostile_sources: 0,
        rate: 20_000,
        first: Ipv4Addr::new(127, 1, 0, 1),
        seed: 0x5eed_f100d,
    };
    let mut target = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--target" => target = Some(value.parse().map_err(|e| format!("{flag}: {e}"))?),
            "--sources" => {
                options.sources = u32::try_from(number(&value)?).map_err(|e| e.to_string())?
            }
            "--registers" => options.counts[0] = number(&value)?,
            "--bad-auth" => options.counts[1] = number(&value)?,
            "--junk" => options.counts[2] = number(&value)?,
            "--malformed" => options.counts[3] = number(&value)?,
            "--hostile-sources" => {
                options.hostile_sources =
                    u32::try_from(number(&value)?).map_err(|e| e.to_string())?
            }
            "--rate" => options.rate = number(&value)?.max(1),
            "--first" => options.first = value.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--seed" => options.seed = number(&value)?,
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    options.target = target.ok_or(USAGE)?;
    // Loopback only: this tool must never flood anything else.
    if !options.target.ip().is_loopback() || !options.first.is_loopback() {
        return Err("--target and --first must be loopback addresses".to_owned());
    }
    if options.sources == 0 {
        return Err("--sources must be at least 1".to_owned());
    }
    if options.hostile_sources == 0 {
        options.hostile_sources = (options.sources / 100).max(1);
    }
    options.hostile_sources = options.hostile_sources.min(options.sources);
    let last = u32::from(options.first).checked_add(options.sources - 1);
    if !last.is_some_and(|last| Ipv4Addr::from(last).is_loopback() && last != u32::MAX) {
        return Err("the sources must all lie inside 127.0.0.0/8".to_owned());
    }
    Ok(options)
}

/// Builds one datagram of `kind` from `source` into `out`.
fn datagram(
    kind: usize,
    source: Ipv4Addr,
    port: u16,
    serial: u64,
    rng: &mut StdRng,
    out: &mut Vec<u8>,
) {
    out.clear();
    match kind {
        0 => register(source, port, serial, None, out),
        1 => {
            let mut auth = String::new();
            let _ = write!(
                auth,
                "Authorization: Digest username=\"alice\", realm=\"voipsec-guard\", \
                 nonce=\"{:016x}{:016x}\", uri=\"sip:127.0.0.1\", \
                 response=\"{:016x}{:016x}\", algorithm=MD5\r\n",
                rng.random::<u64>(),
                rng.random::<u64>(),
                rng.random::<u64>(),
                rng.random::<u64>()
            );
            register(source, port, serial, Some(&auth), out);
        }
        2 => {
            let len = 1 + rng.random_range(0..600) as usize;
            out.extend((0..len).map(|_| rng.random::<u64>() as u8));
        }
        _ => malformed(source, port, serial, rng, out),
    }
}

fn register(source: Ipv4Addr, port: u16, serial: u64, auth: Option<&str>, out: &mut Vec<u8>) {
    let user = serial % 5000;
    let mut text = String::with_capacity(512);
    let _ = write!(
        text,
        "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK-flood-{serial:x}\r\n\
         From: <sip:{user}@127.0.0.1>;tag=f{serial:x}\r\n\
         To: <sip:{user}@127.0.0.1>\r\n\
         Call-ID: flood-{serial:x}@{source}\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sip:{user}@{source}:{port}>\r\n\
         Max-Forwards: 70\r\n\
         Expires: 3600\r\n\
         {}\
         User-Agent: Yealink SIP-T46S\r\n\
         Content-Length: 0\r\n\r\n",
        auth.unwrap_or("")
    );
    out.extend_from_slice(text.as_bytes());
}

/// A REGISTER broken in one of several ways.
fn malformed(source: Ipv4Addr, port: u16, serial: u64, rng: &mut StdRng, out: &mut Vec<u8>) {
    register(source, port, serial, None, out);
    let text = String::from_utf8_lossy(out).into_owned();
    let broken = match rng.random_range(0..7u64) {
        // A mandatory header missing.
        0 => text.replace(&format!("Call-ID: flood-{serial:x}@{source}\r\n"), ""),
        // A Content-Length beyond the datagram.
        1 => text.replace("Content-Length: 0", "Content-Length: 4096"),
        // A control byte in a header value.
        2 => text.replace("Yealink", "Yea\u{1}link"),
        // Cut anywhere (no blank line, a torn header).
        3 => {
            let cut = rng.random_range(0..(text.len() as u64).max(1)) as usize;
            text.get(..cut).unwrap_or("").to_owned()
        }
        // A header line far over the parser's limits.
        4 => text.replace(
            "User-Agent: Yealink SIP-T46S",
            &format!("User-Agent: {}", "A".repeat(9000)),
        ),
        // A broken request line.
        5 => text.replace("REGISTER sip:127.0.0.1 SIP/2.0", "REGISTER  SIP/2.0 sip:"),
        // Too many Via headers.
        _ => {
            let via = format!("Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK-x\r\n");
            text.replace("Max-Forwards", &format!("{}Max-Forwards", via.repeat(200)))
        }
    };
    out.clear();
    out.extend_from_slice(broken.as_bytes());
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    let mut remaining = options.counts;
    let registers = options.counts[0];
    let hostile: u64 = options.counts.iter().skip(1).sum();
    let mut sent = [0u64; KINDS];
    let mut send_errors = 0u64;
    let mut bind_errors = 0u64;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut buf = Vec::with_capacity(16 * 1024);
    let sources = u64::from(options.sources);
    let hostile_sources = u64::from(options.hostile_sources);
    // Every `stride`-th source is hostile.
    let stride = (sources / hostile_sources.max(1)).max(1);
    let start = Instant::now();
    let mut done = 0u64;
    for index in 0..options.sources {
        // This source's share: the REGISTERs spread evenly over all
        // sources, the hostile datagrams over the hostile ones.
        let index64 = u64::from(index);
        let mut own_registers = registers / sources + u64::from(index64 < registers % sources);
        let mut own_hostile = 0;
        if index64.is_multiple_of(stride) && index64 / stride < hostile_sources {
            let nth = index64 / stride;
            own_hostile = hostile / hostile_sources + u64::from(nth < hostile % hostile_sources);
        }
        let share = own_registers + own_hostile;
        let address = Ipv4Addr::from(u32::from(options.first) + index);
        let socket = match UdpSocket::bind((address, 0)) {
            Ok(socket) => socket,
            Err(_) => {
                bind_errors += 1;
                done += share;
                continue;
            }
        };
        let port = socket.local_addr().map_or(0, |a| a.port());
        for _ in 0..share {
            // REGISTER or hostile, in proportion to what this source has
            // left; a hostile kind in proportion to what is left overall:
            // the kinds interleave and the totals are exact.
            let kind = if rng.random_range(0..(own_registers + own_hostile).max(1)) < own_registers
            {
                own_registers -= 1;
                0
            } else {
                own_hostile = own_hostile.saturating_sub(1);
                let left: u64 = remaining.iter().skip(1).sum();
                let mut pick = rng.random_range(0..left.max(1));
                1 + remaining
                    .iter()
                    .skip(1)
                    .position(|&n| {
                        if pick < n {
                            true
                        } else {
                            pick -= n;
                            false
                        }
                    })
                    .unwrap_or(0)
            };
            remaining[kind] = remaining[kind].saturating_sub(1);
            datagram(kind, address, port, done, &mut rng, &mut buf);
            match socket.send_to(&buf, options.target) {
                Ok(_) => sent[kind] += 1,
                Err(_) => send_errors += 1,
            }
            done += 1;
            // Pacing: never ahead of `rate` per second.
            if done.is_multiple_of(64) {
                let due = Duration::from_secs_f64(done as f64 / options.rate as f64);
                if let Some(ahead) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(ahead);
                }
            }
        }
    }
    let elapsed = start.elapsed();
    let mut line = format!(
        "{{\"sources\":{},\"sent\":{},",
        options.sources,
        sent.iter().sum::<u64>()
    );
    for (name, count) in KIND_NAMES.iter().zip(sent) {
        let _ = write!(line, "\"{name}\":{count},");
    }
    let _ = write!(
        line,
        "\"hostile_sources\":{hostile_sources},\"send_errors\":{send_errors},\"bind_errors\":{bind_errors},\"elapsed_ms\":{},\
         \"per_second\":{:.0}}}",
        elapsed.as_millis(),
        sent.iter().sum::<u64>() as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!("{line}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load_flood: {e}");
            ExitCode::FAILURE
        }
    }
}
