//! The SIP C entry points: parsing into an owning handle, every accessor,
//! NULL pointers, errors and `_free(NULL)`.
#![cfg(feature = "capi")]

use std::ptr;
use voipsec::ffi::voipsec_status::*;
use voipsec::ffi::*;

const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnashds8\r\n\
Max-Forwards: 70\r\n\
t: Bob <sip:bob@example.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33.example.com\r\n\
CSeq: 314159 INVITE\r\n\
X-Custom: one\r\n\
Content-Length: 4\r\n\r\nv=0\n";

struct Msg(*mut voipsec_sip_message);

impl Drop for Msg {
    fn drop(&mut self) {
        voipsec_sip_message_free(self.0);
    }
}

fn parse(bytes: &[u8]) -> Result<Msg, (voipsec_status, usize)> {
    let mut out = ptr::null_mut();
    let mut at = 77;
    match voipsec_sip_message_parse(bytes.as_ptr(), bytes.len(), &mut out, &mut at) {
        VOIPSEC_OK => {
            assert_eq!(at, 0);
            Ok(Msg(out))
        }
        status => {
            assert!(out.is_null());
            Err((status, at))
        }
    }
}

/// The bytes a slice points at, copied out while the message is alive.
fn text(s: voipsec_slice) -> String {
    if s.len == 0 {
        return String::new();
    }
    // SAFETY: every slice read here comes from a message the test keeps
    // alive until after this copy (the C API's contract: `len` bytes at
    // `ptr`, valid until the message is freed).
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn get(
    f: extern "C" fn(*const voipsec_sip_message, *mut voipsec_slice) -> voipsec_status,
    m: &Msg,
) -> Result<String, voipsec_status> {
    let mut s = voipsec_slice::EMPTY;
    match f(m.0, &mut s) {
        VOIPSEC_OK => Ok(text(s)),
        status => Err(status),
    }
}

fn header(m: &Msg, name: &str, index: usize) -> Result<String, voipsec_status> {
    let mut s = voipsec_slice::EMPTY;
    match voipsec_sip_header_get(m.0, name.as_ptr(), name.len(), index, &mut s) {
        VOIPSEC_OK => Ok(text(s)),
        status => Err(status),
    }
}

#[test]
fn every_accessor_reads_the_message_it_owns() {
    let mut input = INVITE.to_vec();
    let m = parse(&input).unwrap();
    // The handle owns a copy: the caller's buffer can be reused at once.
    input.fill(b'x');

    let mut line = voipsec_sip_start_line {
        is_request: false,
        method: voipsec_slice::EMPTY,
        request_uri: voipsec_slice::EMPTY,
        status_code: 9,
        reason: voipsec_slice::EMPTY,
    };
    assert_eq!(voipsec_sip_start_line_get(m.0, &mut line), VOIPSEC_OK);
    assert!(line.is_request);
    assert_eq!(text(line.method), "INVITE");
    assert_eq!(text(line.request_uri), "sip:bob@example.com");
    assert_eq!(line.status_code, 0);

    assert_eq!(get(voipsec_sip_via_branch, &m).unwrap(), "z9hG4bK776asdhds");
    assert_eq!(get(voipsec_sip_from_tag, &m).unwrap(), "1928301774");
    assert_eq!(get(voipsec_sip_to_tag, &m).unwrap(), "a6c85cf");
    assert_eq!(
        get(voipsec_sip_call_id, &m).unwrap(),
        "a84b4c76e66710@pc33.example.com"
    );
    assert_eq!(get(voipsec_sip_body, &m).unwrap(), "v=0\n");
    let (mut n, mut method) = (0, voipsec_slice::EMPTY);
    assert_eq!(voipsec_sip_cseq(m.0, &mut n, &mut method), VOIPSEC_OK);
    assert_eq!((n, text(method).as_str()), (314159, "INVITE"));

    // Compact and long forms, any case; the index walks repeated fields.
    for name in ["v", "Via", "VIA"] {
        assert_eq!(
            header(&m, name, 0).unwrap(),
            "SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds"
        );
        assert_eq!(
            header(&m, name, 1).unwrap(),
            "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnashds8"
        );
        assert_eq!(header(&m, name, 2), Err(VOIPSEC_ERR_NOT_FOUND));
    }
    assert_eq!(
        header(&m, "call-id", 0).unwrap(),
        "a84b4c76e66710@pc33.example.com"
    );
    assert_eq!(header(&m, "x-custom", 0).unwrap(), "one");
    assert_eq!(header(&m, "Subject", 0), Err(VOIPSEC_ERR_NOT_FOUND));

    let mut count = 0;
    assert_eq!(voipsec_sip_header_count(m.0, &mut count), VOIPSEC_OK);
    assert_eq!(count, 9);
    let (mut name, mut value) = (voipsec_slice::EMPTY, voipsec_slice::EMPTY);
    assert_eq!(
        voipsec_sip_header_at(m.0, 0, &mut name, &mut value),
        VOIPSEC_OK
    );
    assert_eq!(
        (text(name).as_str(), text(value).as_str()),
        ("v", "SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds")
    );
    assert_eq!(
        voipsec_sip_header_at(m.0, 9, &mut name, &mut value),
        VOIPSEC_ERR_NOT_FOUND
    );
    assert_eq!(voipsec_sip_message_validate(m.0), VOIPSEC_OK);
}

#[test]
fn a_response_has_a_status_line() {
    let m =
        parse(b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\n\r\n")
            .unwrap();
    let mut line = voipsec_sip_start_line {
        is_request: true,
        method: voipsec_slice::EMPTY,
        request_uri: voipsec_slice::EMPTY,
        status_code: 0,
        reason: voipsec_slice::EMPTY,
    };
    assert_eq!(voipsec_sip_start_line_get(m.0, &mut line), VOIPSEC_OK);
    assert!(!line.is_request);
    assert_eq!(
        (line.status_code, text(line.reason).as_str()),
        (180, "Ringing")
    );
    assert_eq!(get(voipsec_sip_from_tag, &m), Err(VOIPSEC_ERR_NOT_FOUND));
    let (mut n, mut method) = (0, voipsec_slice::EMPTY);
    assert_eq!(
        voipsec_sip_cseq(m.0, &mut n, &mut method),
        VOIPSEC_ERR_NOT_FOUND
    );
}

#[test]
fn malformed_input_is_a_status_with_an_offset() {
    assert_eq!(
        parse(b"INVITE  sip:a@b SIP/2.0\r\n\r\n").err().map(|e| e.0),
        Some(VOIPSEC_ERR_PARSE)
    );
    let (status, at) = parse(b"INVITE sip:a@b SIP/2.0\nVia: x\r\n\r\n")
        .err()
        .unwrap();
    assert_eq!(status, VOIPSEC_ERR_PARSE);
    assert!(at < 40, "offset {at}");
    assert!(parse(b"").is_err());
    let huge = vec![b'a'; 70_000];
    assert_eq!(parse(&huge).err().map(|e| e.0), Some(VOIPSEC_ERR_LIMIT));
    // Parsing succeeds, the typed header does not.
    let m = parse(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: x OPTIONS\r\n\r\n",
    )
    .unwrap();
    let (mut n, mut method) = (0, voipsec_slice::EMPTY);
    assert_eq!(
        voipsec_sip_cseq(m.0, &mut n, &mut method),
        VOIPSEC_ERR_PARSE
    );
    assert_eq!(voipsec_sip_message_validate(m.0), VOIPSEC_ERR_PARSE);
}

#[test]
fn null_pointers_and_bad_names_are_reported() {
    let mut out = ptr::null_mut();
    assert_eq!(
        voipsec_sip_message_parse(ptr::null(), 10, &mut out, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_message_parse(
            INVITE.as_ptr(),
            INVITE.len(),
            ptr::null_mut(),
            ptr::null_mut()
        ),
        VOIPSEC_ERR_NULL_POINTER
    );
    // error_offset is optional.
    assert_eq!(
        voipsec_sip_message_parse(INVITE.as_ptr(), INVITE.len(), &mut out, ptr::null_mut()),
        VOIPSEC_OK
    );
    let m = Msg(out);
    let mut s = voipsec_slice::EMPTY;
    assert_eq!(
        voipsec_sip_call_id(ptr::null(), &mut s),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_call_id(m.0, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_header_get(m.0, ptr::null(), 3, 0, &mut s),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_header_get(m.0, b"\xff".as_ptr(), 1, 0, &mut s),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    let mut n = 0;
    assert_eq!(
        voipsec_sip_cseq(m.0, ptr::null_mut(), &mut s),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_cseq(m.0, &mut n, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_header_at(m.0, 0, ptr::null_mut(), &mut s),
        VOIPSEC_ERR_NULL_POINTER
    );
    let mut count = 0usize;
    assert_eq!(
        voipsec_sip_header_count(ptr::null(), &mut count),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_message_validate(ptr::null()),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_start_line_get(m.0, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
    voipsec_sip_message_free(ptr::null_mut());
}

#[test]
fn sanity_reports_the_status_and_a_truncated_reason() {
    let m = parse(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n",
    )
    .unwrap();
    let (mut code, mut full) = (999u16, 999usize);
    let mut reason = [0xffu8; 64];
    assert_eq!(
        voipsec_sip_sanity_check(m.0, &mut code, reason.as_mut_ptr(), reason.len(), &mut full),
        VOIPSEC_OK
    );
    assert_eq!((code, full, reason[0]), (0, 0, 0));

    let hops = parse(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(
        voipsec_sip_sanity_check(
            hops.0,
            &mut code,
            reason.as_mut_ptr(),
            reason.len(),
            &mut full
        ),
        VOIPSEC_ERR_REJECTED
    );
    assert_eq!(code, 483);
    let text = std::ffi::CStr::from_bytes_until_nul(&reason)
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(text.len(), full);
    assert!(text.starts_with("483"), "{text}");
    // Truncated like snprintf, still NUL-terminated; the full length reported.
    let mut small = [0xffu8; 5];
    assert_eq!(
        voipsec_sip_sanity_check(
            hops.0,
            &mut code,
            small.as_mut_ptr(),
            small.len(),
            &mut full
        ),
        VOIPSEC_ERR_REJECTED
    );
    assert_eq!(&small, b"483 \0");
    assert_eq!(full, text.len());
    // No reason buffer at all.
    assert_eq!(
        voipsec_sip_sanity_check(hops.0, &mut code, ptr::null_mut(), 0, ptr::null_mut()),
        VOIPSEC_ERR_REJECTED
    );
    assert_eq!(
        voipsec_sip_sanity_check(hops.0, ptr::null_mut(), ptr::null_mut(), 0, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
}

#[test]
fn normalize_writes_the_canonical_form_or_reports_the_needed_size() {
    let m = parse(INVITE).unwrap();
    let mut n = 0;
    assert_eq!(
        voipsec_sip_normalize(m.0, ptr::null_mut(), 0, &mut n),
        VOIPSEC_ERR_BUFFER_TOO_SMALL
    );
    let mut out = vec![0u8; n];
    let needed = n;
    assert_eq!(
        voipsec_sip_normalize(m.0, out.as_mut_ptr(), out.len(), &mut n),
        VOIPSEC_OK
    );
    assert_eq!(n, needed);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\r\nVia: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nCall-ID: a84b4c76e66710@pc33.example.com\r\n"),
        "{text}"
    );
    assert!(text.ends_with("Content-Length: 4\r\n\r\nv=0\n"), "{text}");
    // Normalizing is idempotent.
    let again = parse(text.as_bytes()).unwrap();
    let mut twice = vec![0u8; n];
    assert_eq!(
        voipsec_sip_normalize(again.0, twice.as_mut_ptr(), twice.len(), &mut n),
        VOIPSEC_OK
    );
    assert_eq!(twice, text.as_bytes());
    assert_eq!(
        voipsec_sip_normalize(ptr::null(), twice.as_mut_ptr(), 1, &mut n),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_sip_normalize(m.0, twice.as_mut_ptr(), 1, ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
}
