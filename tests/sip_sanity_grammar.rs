//! `Message::validate` decides with check-only recognisers (one pass per
//! value, no typed value built). This holds its verdict to the typed
//! accessors' — the way validate worked before: `Via::parse` on every
//! entry, `NameAddr::parse`, `Contact::parse`, `CSeq::parse`,
//! `ContentType::parse`, `Uri::parse` — over the torture corpus, every
//! SIP fuzz corpus, and single-byte mutations of the torture messages.
//! `normalize` copies an already canonical message as is: it is held to
//! the editor's normalizing writer on the same messages.
//! (Debug builds also compare the recognisers with the library's typed
//! walk on every call, observations included: each validate below is a
//! second check.)

use std::path::Path;

use bytes::BytesMut;
use voipsec::sip::{
    CSeq, Contact, ContentType, Editor, Header, HeaderName, Message, NameAddr, NormalizeConfig,
    Uri, Via, normalize,
};

fn is_lws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `1*DIGIT` (LWS around) within `max`.
fn number(v: &str, max: u64) -> bool {
    let v = v.trim_matches(is_lws);
    !v.is_empty()
        && v.bytes().all(|c| c.is_ascii_digit())
        && v.parse::<u64>().is_ok_and(|n| n <= max)
}

fn word(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-.!%*_+`'~()<>:\\\"/[]?{}".contains(&c))
}

fn token(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&c))
}

/// Every comma-separated element non-empty and accepted by `check`.
fn each(h: &Header<'_>, check: impl Fn(&str) -> bool) -> bool {
    h.values().all(|v| !v.is_empty() && check(v))
}

fn warning(v: &str) -> bool {
    let b = v.as_bytes();
    let Some(rest) = v.get(4..) else { return false };
    b.len() > 4
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3] == b' '
        && rest.split_once(' ').is_some_and(|(agent, text)| {
            !agent.is_empty()
                && text.len() >= 2
                && text.starts_with('"')
                && text.ends_with('"')
                && quoted_ok(&text[1..text.len() - 1])
        })
}

/// The inside of a quoted string: `\` escapes any byte but CR/LF, no bare `"`.
fn quoted_ok(inner: &str) -> bool {
    let mut bytes = inner.bytes();
    while let Some(c) = bytes.next() {
        match c {
            b'"' => return false,
            b'\\' => match bytes.next() {
                Some(b'\r' | b'\n') | None => return false,
                Some(_) => {}
            },
            _ => {}
        }
    }
    true
}

/// The typed walk: what validate checked before the recognisers.
fn typed(msg: &Message<'_>) -> bool {
    if msg.is_request() && msg.request_uri().is_err() {
        return false;
    }
    let method = msg.method();
    for h in msg.headers() {
        if h.kind() == HeaderName::Other {
            continue;
        }
        let Some(v) = h.value_str() else { return false };
        let ok = match h.kind() {
            HeaderName::Via => each(&h, |e| Via::parse(e).is_ok()),
            HeaderName::To
            | HeaderName::From
            | HeaderName::ReferTo
            | HeaderName::ReferredBy
            | HeaderName::ReplyTo => NameAddr::parse(v).is_ok(),
            HeaderName::Contact => each(&h, |e| match Contact::parse(e) {
                Ok(Contact::Wildcard) => true,
                Ok(Contact::Address(a)) => a
                    .params()
                    .get("expires")
                    .is_none_or(|p| number(p.value.unwrap_or(""), u32::MAX.into())),
                Err(_) => false,
            }),
            HeaderName::Route
            | HeaderName::RecordRoute
            | HeaderName::Path
            | HeaderName::ServiceRoute => {
                each(&h, |e| NameAddr::parse(e).is_ok_and(|a| a.is_bracketed()))
            }
            HeaderName::CallId => {
                let id = v.trim_matches(is_lws);
                match id.split_once('@') {
                    Some((a, b)) => word(a) && word(b),
                    None => word(id),
                }
            }
            HeaderName::CSeq => CSeq::parse(v).is_ok_and(|c| method.is_none_or(|m| m == c.method)),
            HeaderName::MaxForwards => number(v, 255),
            HeaderName::Expires | HeaderName::MinExpires => number(v, u32::MAX.into()),
            HeaderName::ContentType => ContentType::parse(v).is_ok(),
            HeaderName::RetryAfter => {
                let d = v.trim_start_matches(is_lws);
                let n = d.bytes().take_while(u8::is_ascii_digit).count();
                n > 0 && d[..n].parse::<u64>().is_ok_and(|n| n <= u32::MAX.into())
            }
            HeaderName::Warning => each(&h, warning),
            HeaderName::Require
            | HeaderName::ProxyRequire
            | HeaderName::Supported
            | HeaderName::Unsupported
            | HeaderName::Allow
            | HeaderName::AllowEvents => each(&h, token),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

fn agrees(data: &[u8], what: &dyn Fn() -> String) -> Option<bool> {
    let msg = Message::parse(data).ok()?;
    normalizes_as_the_editor(&msg, what);
    Some(validates_as_typed(data, &msg, what))
}

fn normalizes_as_the_editor(msg: &Message<'_>, what: &dyn Fn() -> String) {
    let config = NormalizeConfig::default();
    let (mut fast, mut editor) = (BytesMut::new(), BytesMut::new());
    let fast_result = normalize(msg, &config, &mut fast);
    let editor_result = Editor::new(msg).normalized(config).write(&mut editor);
    assert_eq!(fast_result, editor_result, "{}", what());
    assert_eq!(fast, editor, "{}", what());
}

fn validates_as_typed(data: &[u8], msg: &Message<'_>, what: &dyn Fn() -> String) -> bool {
    let verdict = msg.validate();
    assert_eq!(verdict.is_ok(), typed(msg), "{}: {verdict:?}", what());
    // A refused message names an offset inside the buffer.
    if let Some(offset) = verdict.err().and_then(|e| e.offset()) {
        assert!(offset <= data.len(), "{}", what());
    }
    verdict.is_ok()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn corpus(dirs: &[&str]) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for d in dirs {
        files(&root.join(d), &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).expect("readable"),
            )
        })
        .collect()
}

#[test]
fn recognisers_agree_with_the_typed_parsers_on_every_corpus() {
    let all = corpus(&[
        "tests/data/sip-torture",
        "tests/data/sip",
        "fuzz/corpus/sip_message",
        "fuzz/corpus/sip_normalize",
        "fuzz/corpus/sip_framer",
    ]);
    let (mut valid, mut invalid) = (0, 0);
    for (name, data) in &all {
        match agrees(data, &|| name.clone()) {
            Some(true) => valid += 1,
            Some(false) => invalid += 1,
            None => {}
        }
    }
    // Both verdicts are well represented.
    assert!(
        valid > 100 && invalid > 100,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn recognisers_agree_on_single_byte_mutations() {
    // Every byte of every header section, replaced by each of the bytes
    // that sit on a grammar's edges.
    const EDGES: &[u8] = b" ,;:=@<>\"[]?%\x80";
    let mut checked = 0usize;
    for (name, data) in corpus(&["tests/data/sip-torture", "tests/data/sip"]) {
        if !name.ends_with(".sip") {
            continue;
        }
        let Ok(msg) = Message::parse(&data) else {
            continue;
        };
        let headers = msg.headers_range();
        for i in headers {
            for &e in EDGES {
                let mut m = data.clone();
                if m[i] == e || matches!(m[i], b'\r' | b'\n') {
                    continue;
                }
                m[i] = e;
                let Ok(msg) = Message::parse(&m) else {
                    continue;
                };
                let what = || format!("{name} byte {i} -> {e:#x}");
                validates_as_typed(&m, &msg, &what);
                // The normalizer's comparison on a rotating third of the
                // edges at each byte (it costs two writes per message).
                if (i + usize::from(e)) % 3 == 0 {
                    normalizes_as_the_editor(&msg, &what);
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

/// Uri::parse against the URI recogniser through the Request-URI.
#[test]
fn request_uris_agree() {
    for uri in [
        "sip:a@b",
        "sip:a:pw@b:5060;x=y?h=v&i=",
        "sips:[2001:db8::1]:5061",
        "sip:[::1",
        "sip:a@b?",
        "sip:a@b;",
        "sip:a@b;=x",
        "sip:a@b;x=",
        "sip:a%4@b",
        "sip:%61@b",
        "sip::pw@b",
        "sip:a@1.2.3",
        "sip:a@01.2.3.4",
        "sip:a@1.2.3.4a",
        "tel:+1-555;x=y",
        "tel:",
        "urn:x:y",
        "1sip:a",
        "sip:a@b:",
        "sip:a@b:99999",
        "sip:a@b?x&y=z",
    ] {
        let raw = format!("OPTIONS {uri} SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n");
        let Ok(msg) = Message::parse(raw.as_bytes()) else {
            continue;
        };
        assert_eq!(msg.validate().is_ok(), Uri::parse(uri).is_ok(), "{uri}");
    }
}
