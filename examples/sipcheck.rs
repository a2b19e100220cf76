//! `sipcheck FILE...` — parse and validate SIP messages, one verdict per line.
//!
//! ```text
//! cargo run --example sipcheck -- [--sanity] FILE...   (`-` reads standard input)
//! FILE<TAB>ok<TAB>INVITE sip:bob@example.com
//! FILE<TAB>ok<TAB>SIP/2.0 200
//! FILE<TAB>reject<TAB><reason>
//! FILE<TAB>reject<TAB>420 <reason>          (with --sanity: status code first)
//! ```
//!
//! `--sanity` also runs the default [`Sanity`] profile after the grammar
//! check, and prefixes every reason with the status code to answer with.
//!
//! Each input is one message as received in a datagram. The exit status is
//! 1 if any file was rejected (or unreadable), 0 otherwise. The output
//! format is stable: scripts depend on it.
//!
//! `sipcheck --normalize FILE...` writes the canonical form of each
//! accepted message to standard output instead, one after the other (each
//! ends with its body, framed by the Content-Length it always carries);
//! rejected files get their `FILE<TAB>reject<TAB>reason` line on standard
//! error.

use std::io::{Read, Write};
use std::process::ExitCode;

use voipsec::sip::sanity::Sanity;
use voipsec::sip::{Message, NormalizeConfig, StartLine, normalize};

/// The verdict for one message: the summary, or the reason it was rejected.
fn verdict(raw: &[u8], sanity: Option<&Sanity>) -> Result<String, String> {
    let with_status = |status: u16, reason: String| match sanity {
        Some(_) => format!("{status} {reason}"),
        None => reason,
    };
    let msg = Message::parse(raw).map_err(|e| with_status(e.status_code(), e.to_string()))?;
    msg.validate()
        .map_err(|e| with_status(e.status_code(), e.to_string()))?;
    if let Some(sanity) = sanity {
        sanity.check(&msg).map_err(|r| r.to_string())?;
    }
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

/// `--normalize`: the canonical form of every file that parses and validates.
fn normalize_files(files: &[String]) -> ExitCode {
    let mut out = bytes::BytesMut::with_capacity(65_536);
    let mut rejected = false;
    for path in files {
        let written = read_input(path)
            .map_err(|e| format!("cannot read input: {e}"))
            .and_then(|raw| {
                verdict(&raw, None)?;
                let msg = Message::parse(&raw).map_err(|e| e.to_string())?;
                out.clear();
                normalize(&msg, &NormalizeConfig::default(), &mut out)
                    .map_err(|e| e.to_string())?;
                std::io::stdout()
                    .write_all(&out)
                    .map_err(|e| format!("cannot write output: {e}"))
            });
        if let Err(reason) = written {
            rejected = true;
            eprintln!("{path}\treject\t{reason}");
        }
    }
    if rejected {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = files.iter().position(|a| a == "--normalize") {
        files.remove(at);
        return normalize_files(&files);
    }
    let sanity_profile = Sanity::default();
    let sanity = match files.iter().position(|a| a == "--sanity") {
        Some(i) => {
            files.remove(i);
            Some(&sanity_profile)
        }
        None => None,
    };
    if files.is_empty() {
        eprintln!("usage: sipcheck [--sanity] FILE...   (`-` reads standard input)");
        return ExitCode::from(2);
    }
    let mut rejected = false;
    for path in &files {
        let line = match read_input(path) {
            Err(e) => Err(format!("cannot read input: {e}")),
            Ok(raw) => verdict(&raw, sanity),
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
