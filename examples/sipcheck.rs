//! `sipcheck FILE...` — parse and validate SIP messages, one verdict per line.
//!
//! ```text
//! cargo run --example sipcheck -- FILE...      (`-` reads standard input)
//! FILE<TAB>ok<TAB>INVITE sip:bob@example.com
//! FILE<TAB>ok<TAB>SIP/2.0 200
//! FILE<TAB>reject<TAB><reason>
//! ```
//!
//! Each input is one message as received in a datagram. The exit status is
//! 1 if any file was rejected (or unreadable), 0 otherwise. The output
//! format is stable: scripts depend on it.

use std::io::Read;
use std::process::ExitCode;

use voipsec::sip::{Message, StartLine};

/// The verdict for one message: `ok<TAB>summary` or `reject<TAB>reason`.
fn verdict(raw: &[u8]) -> Result<String, String> {
    let msg = Message::parse(raw).map_err(|e| e.to_string())?;
    msg.validate().map_err(|e| e.to_string())?;
    Ok(match msg.start_line() {
        StartLine::Request(r) => format!("{} {}", r.method, r.uri),
        StartLine::Response(s) => format!("SIP/2.0 {}", s.code),
    })
}

fn read_input(path: &str) -> std::io::Result<Vec<u8>> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: sipcheck FILE...   (`-` reads standard input)");
        return ExitCode::from(2);
    }
    let mut rejected = false;
    for path in &files {
        let line = match read_input(path) {
            Err(e) => Err(format!("cannot read input: {e}")),
            Ok(raw) => verdict(&raw),
        };
        match line {
            Ok(summary) => println!("{path}\tok\t{summary}"),
            Err(reason) => {
                rejected = true;
                println!("{path}\treject\t{reason}");
            }
        }
    }
    if rejected {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
