//! Parsing the benchmark messages and reading the fields a proxy reads
//! performs no heap allocation: a counting global allocator proves it.
//!
//! `unsafe` here is only the `GlobalAlloc` impl, which cannot be written
//! without it; it forwards every call to the system allocator unchanged.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use voipsec::sip::sanity::Sanity;
use voipsec::sip::{Contact, Message, NormalizeConfig, normalize};

struct Counting;

thread_local! {
    /// Only this thread's allocations while measuring count (the test
    /// harness allocates on other threads).
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    /// This thread's count: tests run in parallel, and one test's
    /// allocations must not show up in another's measurement.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if MEASURING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if MEASURING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const INVITE: &[u8] = include_bytes!("data/sip/bench-invite.sip");
const REGISTER: &[u8] = include_bytes!("data/sip/bench-register.sip");

fn allocations_during(f: impl FnOnce() -> usize) -> (usize, usize) {
    ALLOCATIONS.with(|n| n.set(0));
    MEASURING.with(|m| m.set(true));
    let out = f();
    MEASURING.with(|m| m.set(false));
    (ALLOCATIONS.with(Cell::get), out)
}

/// What the benchmark reads, plus validate and the list accessors.
fn proxy_work(raw: &[u8]) -> usize {
    let msg = Message::parse(raw).unwrap();
    msg.validate().unwrap();
    let mut n = msg.top_via().unwrap().branch().unwrap().len();
    n += msg.from().unwrap().tag().unwrap().len();
    n += msg.to().unwrap().uri().host().is_some() as usize;
    n += msg.call_id().unwrap().len();
    n += msg.cseq().unwrap().number as usize;
    n += msg.content_length().unwrap();
    n += msg.request_uri().unwrap().user().map_or(0, str::len);
    n += msg.vias().filter_map(Result::ok).count();
    n += msg
        .contacts()
        .filter(|c| matches!(c, Ok(Contact::Address(_))))
        .count();
    n += msg.max_forwards().unwrap() as usize;
    n += msg.user_agent().unwrap().len();
    n
}

#[test]
fn parsing_allocates_nothing() {
    // Warm up lazily initialised state (memchr's CPU feature detection).
    proxy_work(INVITE);
    let (count, n) = allocations_during(|| proxy_work(INVITE));
    assert!(n > 0);
    assert_eq!(count, 0, "INVITE: {count} heap allocations");
    let (count, _) = allocations_during(|| proxy_work(REGISTER));
    assert_eq!(count, 0, "REGISTER: {count} heap allocations");
    // Sanity checks and normalizing into a buffer with enough capacity
    // allocate nothing either.
    let msg = Message::parse(INVITE).unwrap();
    let mut out = bytes::BytesMut::with_capacity(2 * INVITE.len());
    let sanity = Sanity::default();
    let (count, _) = allocations_during(|| {
        sanity.check(&msg).unwrap();
        normalize(&msg, &NormalizeConfig::default(), &mut out).unwrap()
    });
    assert_eq!(count, 0, "sanity + normalize: {count} heap allocations");
    // The counter works: a message with more header fields than the
    // inline index holds makes exactly the one allocation of the spill.
    let mut big = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    for i in 0..40 {
        big.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    big.extend_from_slice(b"\r\n");
    let (count, _) = allocations_during(|| Message::parse(&big).unwrap().header_count());
    assert_eq!(count, 1, "the spilled index is one allocation");
}
