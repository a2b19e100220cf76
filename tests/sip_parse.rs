//! Framing, limits and error cases of the parser and the stream framer.

use voipsec::sip::{Frame, Framer, HeaderName, Limits, Message, SipError};

const BASE: &[u8] = b"OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n";

fn with(extra: &[u8]) -> Vec<u8> {
    [BASE, extra].concat()
}

#[test]
fn line_endings_are_crlf_only() {
    let e = Message::parse(b"OPTIONS sip:a@b SIP/2.0\nVia: x\r\n\r\n").unwrap_err();
    assert_eq!(e, SipError::BareLineEnding { offset: 23 });
    assert!(matches!(
        Message::parse(&with(b"X: a\rb\r\n\r\n")),
        Err(SipError::BareLineEnding { .. })
    ));
    assert!(matches!(
        Message::parse(&with(b"X: a")),
        Err(SipError::Truncated { .. })
    ));
    assert!(matches!(
        Message::parse(&with(b"X: a\r")),
        Err(SipError::Truncated { .. })
    ));
}

#[test]
fn header_lines_need_token_and_colon() {
    assert!(matches!(
        Message::parse(&with(b"Bad Header: x\r\n\r\n")),
        Err(SipError::HeaderLine { .. })
    ));
    assert!(matches!(
        Message::parse(&with(b": x\r\n\r\n")),
        Err(SipError::HeaderLine { .. })
    ));
    assert!(matches!(
        Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\n folded\r\n\r\n"),
        Err(SipError::HeaderLine { .. })
    ));
    let raw = with(b"X-A :\t v \t\r\n\r\n");
    let m = Message::parse(&raw).unwrap();
    let h = m.header_named("x-a").unwrap();
    assert_eq!((h.value(), h.space_before_colon()), (&b"v"[..], true));
}

#[test]
fn folded_content_length_and_empty_first_line() {
    let raw = with(b"Content-Length:\r\n 3\r\n\r\nabcdef");
    let m = Message::parse(&raw).unwrap();
    assert_eq!((m.content_length(), m.body()), (Some(3), &b"abc"[..]));
}

#[test]
fn content_length_abuse() {
    for bad in [
        &b"-1"[..],
        b"+1",
        b"1 2",
        b"0x10",
        b"",
        b"99999999999999999999",
    ] {
        let raw = with(&[b"l: ", bad, b"\r\n\r\n"].concat());
        assert!(
            matches!(
                Message::parse(&raw),
                Err(SipError::InvalidContentLength { .. })
            ),
            "{bad:?}"
        );
    }
    let raw = with(b"Content-Length: 70000\r\n\r\n");
    assert!(matches!(
        Message::parse(&raw),
        Err(SipError::InvalidContentLength { .. })
    ));
    let raw = with(b"Content-Length: 2\r\nl: 2\r\n\r\nab");
    assert_eq!(Message::parse(&raw).unwrap().body(), b"ab");
    let raw = with(b"Content-Length: 2\r\nl: 3\r\n\r\nabc");
    assert!(matches!(
        Message::parse(&raw),
        Err(SipError::ConflictingContentLength { .. })
    ));
}

#[test]
fn stream_mode_requires_exact_content_length() {
    let limits = Limits::default();
    assert_eq!(
        Message::parse_stream(&with(b"\r\n"), &limits).unwrap_err(),
        SipError::MissingContentLength
    );
    assert!(Message::parse_stream(&with(b"l: 1\r\n\r\nab"), &limits).is_err());
    assert_eq!(
        Message::parse_stream(&with(b"l: 2\r\n\r\nab"), &limits)
            .unwrap()
            .body(),
        b"ab"
    );
}

#[test]
fn limits_are_enforced() {
    let small = Limits {
        max_headers: 3,
        ..Limits::default()
    };
    assert_eq!(
        Message::parse_with(&with(b"A: 1\r\nB: 2\r\n\r\n"), &small).unwrap_err(),
        SipError::TooManyHeaders { limit: 3 }
    );
    let lines = Limits {
        max_line_length: 40,
        ..Limits::default()
    };
    assert!(matches!(
        Message::parse_with(
            &with(&[b"X: ", &[b'a'; 60][..], b"\r\n\r\n"].concat()),
            &lines
        ),
        Err(SipError::LineTooLong { .. })
    ));
    let uris = Limits {
        max_uri_length: 8,
        ..Limits::default()
    };
    assert!(matches!(
        Message::parse_with(BASE, &uris),
        Err(SipError::UriTooLong { .. })
    ));
    let vias = Limits {
        max_vias: 2,
        ..Limits::default()
    };
    assert_eq!(
        Message::parse_with(&with(b"v: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n\r\n"), &vias).unwrap_err(),
        SipError::TooManyVias { limit: 2 }
    );
    let size = Limits {
        max_message_size: 10,
        ..Limits::default()
    };
    assert!(matches!(
        Message::parse_with(BASE, &size),
        Err(SipError::MessageTooLarge { .. })
    ));
}

#[test]
fn more_than_inline_headers_spill_correctly() {
    let mut raw = BASE.to_vec();
    for i in 0..100 {
        raw.extend_from_slice(format!("X-H{i}: v{i}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"Call-ID: last@h\r\n\r\n");
    let m = Message::parse(&raw).unwrap();
    assert_eq!(m.header_count(), 103);
    assert_eq!(m.header_named("x-h77").unwrap().value(), b"v77");
    assert_eq!(m.call_id().unwrap(), "last@h");
    assert_eq!(m.header_at(102).unwrap().kind(), HeaderName::CallId);
    assert_eq!(m.headers().rev().nth(1).unwrap().name(), "X-H99");
}

#[test]
fn start_line_errors() {
    assert!(matches!(
        Message::parse(b"SIP/2.0 20 OK\r\n\r\n"),
        Err(SipError::InvalidStatusCode { .. })
    ));
    assert!(matches!(
        Message::parse(b"SIP/2.0 099 x\r\n\r\n"),
        Err(SipError::InvalidStatusCode { .. })
    ));
    assert!(matches!(
        Message::parse(b"SIP/2.0 2000 OK\r\n\r\n"),
        Err(SipError::InvalidStatusCode { .. })
    ));
    assert_eq!(
        Message::parse(b"SIP/2.0 200\r\n\r\n")
            .unwrap()
            .status_code(),
        Some(200)
    );
    assert!(matches!(
        Message::parse(b"SIP/3.0 200 OK\r\n\r\n"),
        Err(SipError::UnsupportedVersion { offset: 0 })
    ));
    assert!(matches!(
        Message::parse(b"INV\x00TE sip:a@b SIP/2.0\r\n\r\n"),
        Err(SipError::InvalidMethod { .. })
    ));
    assert!(matches!(
        Message::parse(b"INVITE sip:a@b\xff SIP/2.0\r\n\r\n"),
        Err(SipError::InvalidUri { .. })
    ));
    assert!(matches!(
        Message::parse(b"INVITE sip:a@b HTTP/1.1\r\n\r\n"),
        Err(SipError::StartLine { .. })
    ));
    assert!(matches!(
        Message::parse(b""),
        Err(SipError::Truncated { .. })
    ));
    // Methods are case-sensitive.
    assert_eq!(
        Message::parse(b"invite sip:a@b SIP/2.0\r\n\r\n")
            .unwrap()
            .method()
            .unwrap()
            .as_str(),
        "invite"
    );
}

#[test]
fn framer_answers_keepalives_and_bounds_its_buffer() {
    let mut f = Framer::new(Limits {
        max_message_size: 200,
        ..Limits::default()
    });
    f.push(b"\r\n\r\n\r\n").unwrap();
    assert_eq!(f.next_frame().unwrap(), Some(Frame::KeepAlive));
    assert_eq!(f.next_frame().unwrap(), None); // half of a ping
    let msg = with(b"l: 2\r\n\r\nok");
    f.push(&msg).unwrap();
    let Some(Frame::Message(bytes)) = f.next_frame().unwrap() else {
        panic!("frame")
    };
    assert_eq!(&bytes[..], &msg[..]);
    assert_eq!(Framer::PONG, b"\r\n");
    // A header section that never ends is refused once it hits the limit.
    let mut g = Framer::new(Limits {
        max_message_size: 100,
        ..Limits::default()
    });
    g.push(&[b'A'; 50]).unwrap();
    assert_eq!(g.next_frame().unwrap(), None);
    assert_eq!(g.remaining_capacity(), 50);
    g.push(&[b'A'; 50]).unwrap();
    assert!(matches!(
        g.next_frame(),
        Err(SipError::MessageTooLarge { .. })
    ));
    // Content-Length announcing past the limit is refused before buffering.
    let mut h = Framer::new(Limits {
        max_message_size: 200,
        ..Limits::default()
    });
    h.push(&with(b"l: 150\r\n\r\n")).unwrap();
    assert!(matches!(
        h.next_frame(),
        Err(SipError::MessageTooLarge { .. })
    ));
}

#[test]
fn known_names_are_matched_exactly_by_the_word_wise_scan() {
    // Bytes that case-fold onto a known name's `-` (CR) or letters (none
    // other) never classify as that name; control bytes, white space and
    // other non-token bytes before the colon go through the token scan.
    for bad in [
        &b"Content\rLength: 0\r\n\r\n"[..],
        b"Content\x0dLength: 0\r\n\r\n",
        b"Call\x00ID: x\r\n\r\n",
        b"Vi\x7fa: x\r\n\r\n",
        b"V\xc9a: x\r\n\r\n",
        b"Via\t\x01: x\r\n\r\n",
        b"C Seq: 1 OPTIONS\r\n\r\n",
    ] {
        let raw = with(bad);
        assert!(
            Message::parse(&raw).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let raw = with(b"MAX-FORWARDS:70\r\nmax-forwards :\t69\r\nl: 0\r\nX-Content-Length-Is-Long-Name: 5\r\n\r\n");
    let msg = Message::parse(&raw).unwrap();
    let kinds: Vec<_> = msg.headers().map(|h| h.kind()).collect();
    assert_eq!(
        kinds,
        [
            HeaderName::Via,
            HeaderName::CSeq,
            HeaderName::MaxForwards,
            HeaderName::MaxForwards,
            HeaderName::ContentLength,
            HeaderName::Other,
        ]
    );
    assert!(msg.header_at(3).unwrap().space_before_colon());
    assert_eq!(msg.header_at(3).unwrap().value(), b"69");
    assert_eq!(
        msg.header_named("x-content-length-is-long-name")
            .unwrap()
            .value(),
        b"5"
    );
}

#[test]
fn header_sections_end_within_64_kib_whatever_the_message_limit() {
    let limits = Limits {
        max_message_size: 1 << 20,
        max_headers: 10_000,
        ..Limits::default()
    };
    let line = [b"X-Pad: ".as_slice(), &[b'a'; 1001], b"\r\n"].concat();
    // 65 lines of 1,010 bytes end past 65,535; 64 do not.
    let section = |lines: usize| {
        let mut m = BASE.to_vec();
        for _ in 0..lines {
            m.extend_from_slice(&line);
        }
        m.extend_from_slice(b"Content-Length: 4\r\n\r\nbody");
        m
    };
    let ok = section(64);
    let msg = Message::parse_with(&ok, &limits).unwrap();
    assert_eq!(msg.header_count(), 2 + 64 + 1);
    assert_eq!(msg.content_length(), Some(4));
    assert_eq!(msg.body(), b"body");
    let last = msg.header_at(msg.header_count() - 1).unwrap();
    assert_eq!(last.value(), b"4");
    assert_eq!(&ok[last.line_range()], b"Content-Length: 4\r\n");
    let long = section(65);
    assert!(matches!(
        Message::parse_with(&long, &limits),
        Err(SipError::HeaderLine { .. })
    ));
    // A body may still run past 64 KiB.
    let mut big = BASE.to_vec();
    big.extend_from_slice(b"Content-Length: 100000\r\n\r\n");
    big.extend_from_slice(&[b'b'; 100_000]);
    let msg = Message::parse_with(&big, &limits).unwrap();
    assert_eq!(msg.body().len(), 100_000);
}

#[test]
fn a_head_that_is_not_utf8_still_yields_the_text_of_its_valid_values() {
    // The head is validated as UTF-8 once; when that fails (a Latin-1
    // display name), each value is converted on its own.
    let raw = b"INVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: \"Jos\xe9\" <sip:j@h>;tag=7\r\n\
Call-ID: a@b\r\n\
CSeq: 1 INVITE\r\n\r\n";
    let m = Message::parse(raw).unwrap();
    assert_eq!(m.method(), Some(voipsec::sip::Method::Invite));
    assert_eq!(m.request_line().unwrap().uri, "sip:bob@example.com");
    assert_eq!(m.request_uri_user().unwrap(), Some("bob"));
    assert_eq!(m.top_via_branch().unwrap(), Some("z9hG4bK1"));
    assert_eq!(m.from_tag().unwrap(), Some("7"));
    assert_eq!(m.call_id().unwrap(), "a@b");
    assert_eq!(m.cseq().unwrap().number, 1);
    assert_eq!(m.header(HeaderName::From).unwrap().value_str(), None);
    assert_eq!(m.header(HeaderName::From).unwrap().name(), "From");
    assert_eq!(
        m.header(HeaderName::CallId).unwrap().value_str(),
        Some("a@b")
    );
    let ok = Message::parse(&raw[..raw.len() - 4]).map(|_| ());
    assert!(
        ok.is_err(),
        "the same head without its empty line is truncated"
    );
    let response = Message::parse(b"SIP/2.0 200 \xff\r\nCall-ID: x\r\n\r\n").unwrap();
    assert_eq!(response.status_code(), Some(200));
    assert_eq!(response.call_id().unwrap(), "x");
}

#[test]
fn plain_and_general_header_lines_index_alike() {
    // `Name:` lines take the parser's one-pass path when they are plain;
    // `Name :` always takes the general one. Both must agree.
    for value in [
        "x", " x", "  x", "x ", "x  ", "\tx", "x\ty", "x\u{1}y", "", " ", "a b  c", "x\u{7f}",
    ] {
        for name in [
            "Via",
            "v",
            "Call-ID",
            "Content-Length",
            "X-Other",
            "WWW-Authenticate",
        ] {
            let plain = with(format!("{name}:{value}\r\n\r\n").as_bytes());
            let general = with(format!("{name} :{value}\r\n\r\n").as_bytes());
            let (p, g) = (Message::parse(&plain), Message::parse(&general));
            match (&p, &g) {
                (Ok(p), Ok(g)) => {
                    let (hp, hg) = (p.header_at(2).unwrap(), g.header_at(2).unwrap());
                    assert_eq!(hp.kind(), hg.kind(), "{name:?} {value:?}");
                    assert_eq!(hp.value(), hg.value(), "{name:?} {value:?}");
                    assert_eq!(hp.name(), hg.name());
                    assert_eq!(hp.line_range().end + 1, hg.line_range().end);
                    assert_eq!(hp.value_range().start + 1, hg.value_range().start);
                    assert!(!hp.space_before_colon() && hg.space_before_colon());
                }
                (Err(_), Err(_)) => {}
                _ => panic!("{name:?} {value:?}: {p:?} vs {g:?}"),
            }
        }
    }
}

#[test]
fn to_user_agrees_with_the_full_to_parse_on_the_torture_corpus() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sip-torture");
    let mut compared = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        let Ok(msg) = Message::parse(&raw) else {
            continue;
        };
        // Wherever the full parse accepts To, the hot accessor answers
        // the same.
        if let Ok(to) = msg.to() {
            assert_eq!(msg.to_user(), Ok(to.uri().user()), "{}", path.display());
            compared += 1;
        }
        if let Ok(Some(user)) = msg.to_user() {
            assert!(!user.is_empty() && user.bytes().all(|b| b.is_ascii_graphic()));
        }
    }
    assert!(compared > 30, "{compared}");
}

#[test]
fn framing_headers_are_checked_on_complete_values_after_every_line() {
    let base = BASE.len();
    // A folded Content-Length counts with its continuation.
    let raw = with(b"Content-Length:\r\n 2\r\n\r\nab");
    assert_eq!(Message::parse(&raw).unwrap().body(), b"ab");
    let raw = with(b"Content-Length: 2\r\nl:\r\n 3\r\n\r\nabc");
    assert_eq!(
        Message::parse(&raw).unwrap_err(),
        SipError::ConflictingContentLength {
            offset: base + b"Content-Length: 2\r\nl:\r\n ".len()
        }
    );
    // A first line that alone would be wrong, completed by its fold.
    let raw = with(b"Content-Length: 1\r\nl: \r\n 1\r\n\r\na");
    assert_eq!(Message::parse(&raw).unwrap().body(), b"a");
    // Folded Via entries are all counted (BASE holds one).
    let vias = Limits {
        max_vias: 2,
        ..Limits::default()
    };
    let raw = with(b"v: SIP/2.0/UDP a,\r\n SIP/2.0/UDP b\r\n\r\n");
    assert_eq!(
        Message::parse_with(&raw, &vias).unwrap_err(),
        SipError::TooManyVias { limit: 2 }
    );
    let raw = with(b"v: SIP/2.0/UDP a\r\n\r\n");
    assert!(Message::parse_with(&raw, &vias).is_ok());
    // A badly framed line after a bad Content-Length is reported first...
    let raw = with(b"l: x\r\nBad Line\r\n\r\n");
    assert!(matches!(
        Message::parse(&raw).unwrap_err(),
        SipError::HeaderLine { .. }
    ));
    // ...and of the framing errors the first in header order wins.
    let raw = with(b"l: x\r\nv: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n\r\n");
    assert_eq!(
        Message::parse_with(&raw, &vias).unwrap_err(),
        SipError::InvalidContentLength {
            offset: base + b"l: ".len()
        }
    );
    let raw = with(b"v: SIP/2.0/UDP a, SIP/2.0/UDP b\r\nl: x\r\n\r\n");
    assert_eq!(
        Message::parse_with(&raw, &vias).unwrap_err(),
        SipError::TooManyVias { limit: 2 }
    );
}

#[test]
fn lookups_find_first_fields_anywhere_in_a_long_index() {
    let many = Limits {
        max_headers: 400,
        ..Limits::default()
    };
    // BASE holds two fields: the Call-ID lands at index `at + 2`.
    let cases = [
        (10, 3),
        (40, 33),
        (300, 100),
        (300, 252),
        (300, 253),
        (300, 254),
        (300, 290),
    ];
    for (fillers, at) in cases {
        let mut extra = Vec::new();
        for i in 0..fillers {
            if i == at {
                extra.extend_from_slice(format!("i: id{i}\r\n").as_bytes());
            }
            extra.extend_from_slice(format!("X-F: {i}\r\n").as_bytes());
        }
        extra.extend_from_slice(b"Call-ID: later\r\n\r\n");
        let raw = with(&extra);
        let msg = Message::parse_with(&raw, &many).unwrap();
        let scanned = msg
            .headers()
            .find(|h| h.kind() == HeaderName::CallId)
            .map(|h| h.value());
        assert_eq!(
            msg.header(HeaderName::CallId).map(|h| h.value()),
            scanned,
            "{fillers} {at}"
        );
        assert_eq!(msg.call_id().unwrap(), format!("id{at}"), "{fillers} {at}");
        assert!(msg.header(HeaderName::Expires).is_none());
        assert_eq!(
            msg.header(HeaderName::Via).map(|h| h.value()),
            Some(&b"SIP/2.0/UDP h;branch=z9hG4bK1"[..])
        );
    }
    // The first field of a kind that appears only past the 255th.
    let mut extra = Vec::new();
    for i in 0..300 {
        extra.extend_from_slice(format!("X-F: {i}\r\n").as_bytes());
    }
    extra.extend_from_slice(b"Expires: 5\r\nExpires: 6\r\n\r\n");
    let raw = with(&extra);
    let msg = Message::parse_with(&raw, &many).unwrap();
    assert_eq!(msg.expires().unwrap(), 5);
    assert!(msg.header(HeaderName::Contact).is_none());
}
