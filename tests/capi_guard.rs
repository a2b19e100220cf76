//! The guard C entry points: a scanner is blocked and reported through the
//! event callback, a malformed datagram carries its SIP status, arguments
//! are checked.
#![cfg(feature = "capi")]

use std::ffi::c_void;
use std::ptr;
use voipsec::ffi::voipsec_status::*;
use voipsec::ffi::*;

const SWEEP: &[u8] = b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bK-1\r\n\
From: <sip:100@192.0.2.1>;tag=1\r\nTo: <sip:100@192.0.2.1>\r\n\
Call-ID: 1@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n";

const FRIENDLY: &[u8] = b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-2\r\n\
From: <sip:200@192.0.2.1>;tag=2\r\nTo: <sip:100@192.0.2.1>\r\n\
Call-ID: 2@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

unsafe extern "C" fn collect(userdata: *mut c_void, json: *const u8, len: usize) {
    // SAFETY: userdata is the Vec<String> the test registered; json is
    // valid for len bytes during the call (the callback's contract).
    let (events, line) = unsafe {
        (
            &mut *userdata.cast::<Vec<String>>(),
            std::slice::from_raw_parts(json, len),
        )
    };
    events.push(String::from_utf8(line.to_vec()).unwrap());
}

fn text(s: voipsec_slice) -> String {
    // SAFETY: rule and reason slices point to static strings.
    String::from_utf8(unsafe { std::slice::from_raw_parts(s.ptr, s.len) }.to_vec()).unwrap()
}

fn feed(
    g: *mut voipsec_guard,
    addr: &[u8],
    datagram: &[u8],
    now_ms: u64,
) -> voipsec_guard_decision {
    let mut d = std::mem::MaybeUninit::<voipsec_guard_decision>::uninit();
    let st = voipsec_guard_on_datagram(
        g,
        addr.as_ptr(),
        addr.len(),
        datagram.as_ptr(),
        datagram.len(),
        now_ms,
        1_700_000_000_000 + now_ms,
        d.as_mut_ptr(),
    );
    assert_eq!(st, VOIPSEC_OK);
    // SAFETY: VOIPSEC_OK means the decision was written.
    unsafe { d.assume_init() }
}

#[test]
fn a_scanner_is_blocked_reported_and_then_dropped_unread() {
    let mut events: Vec<String> = Vec::new();
    let mut g = ptr::null_mut();
    let st = voipsec_guard_new(
        ptr::null(),
        0,
        Some(collect),
        (&mut events as *mut Vec<String>).cast(),
        &mut g,
    );
    assert_eq!(st, VOIPSEC_OK);

    let friend = feed(g, &[192, 0, 2, 7], FRIENDLY, 1_000);
    assert_eq!(friend.action, VOIPSEC_GUARD_ALLOW);
    assert_eq!(friend.sip_status, 0);

    let scanner = [198, 51, 100, 66];
    let d = feed(g, &scanner, SWEEP, 1_000);
    assert_eq!(d.action, VOIPSEC_GUARD_BLOCK);
    assert!(d.duration_ms > 0);
    assert_eq!(text(d.rule), "scanner.user_agent");
    assert!(!text(d.reason).is_empty());
    let again = feed(g, &scanner, b"garbage", 2_000);
    assert_eq!(text(again.rule), "block.active");
    voipsec_guard_free(g);
    assert!(
        events
            .iter()
            .any(|e| e.contains("\"rule\":\"scanner.user_agent\"") && e.ends_with('\n')),
        "{events:?}"
    );
}

#[test]
fn a_malformed_datagram_carries_the_status_a_uas_would_answer() {
    let mut g = ptr::null_mut();
    assert_eq!(
        voipsec_guard_new(ptr::null(), 0, None, ptr::null_mut(), &mut g),
        VOIPSEC_OK
    );
    let v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
    let d = feed(
        g,
        &v6,
        b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 0\r\n\r\n",
        10,
    );
    assert_ne!(d.action, VOIPSEC_GUARD_ALLOW);
    assert!(d.sip_status >= 400, "{}", d.sip_status);

    let mut out = std::mem::MaybeUninit::<voipsec_guard_decision>::uninit();
    let addr = [1u8, 2, 3];
    assert_eq!(
        voipsec_guard_on_datagram(
            g,
            addr.as_ptr(),
            3,
            SWEEP.as_ptr(),
            SWEEP.len(),
            0,
            0,
            out.as_mut_ptr()
        ),
        VOIPSEC_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        voipsec_guard_on_datagram(
            g,
            addr.as_ptr(),
            4,
            SWEEP.as_ptr(),
            SWEEP.len(),
            0,
            0,
            ptr::null_mut()
        ),
        VOIPSEC_ERR_NULL_POINTER
    );
    assert_eq!(
        voipsec_guard_on_datagram(
            ptr::null_mut(),
            addr.as_ptr(),
            4,
            SWEEP.as_ptr(),
            SWEEP.len(),
            0,
            0,
            out.as_mut_ptr()
        ),
        VOIPSEC_ERR_NULL_POINTER
    );
    voipsec_guard_free(g);
    voipsec_guard_free(ptr::null_mut());
}

#[test]
fn guard_configuration_errors_are_statuses() {
    let mut g = ptr::null_mut();
    let bad = b"no such key = 1\n";
    assert_eq!(
        voipsec_guard_new(bad.as_ptr(), bad.len(), None, ptr::null_mut(), &mut g),
        VOIPSEC_ERR_PARSE
    );
    assert!(g.is_null());
    assert_eq!(
        voipsec_guard_new(ptr::null(), 0, None, ptr::null_mut(), ptr::null_mut()),
        VOIPSEC_ERR_NULL_POINTER
    );
}
