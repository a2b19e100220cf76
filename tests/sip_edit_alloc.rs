//! Editing, normalizing and hiding topology write into a caller's
//! `BytesMut` without any other heap allocation once it has capacity: a
//! counting global allocator proves it (edits live in the editor's inline
//! array, seals and scratch space on the stack).
//!
//! `unsafe` here is only the `GlobalAlloc` impl, which cannot be written
//! without it; it forwards every call to the system allocator unchanged.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::BytesMut;
use voipsec::sip::{
    Editor, HeaderFilter, HeaderName, Message, NormalizeConfig, TopologyKey, TopologyPolicy,
    hide_topology, normalize, restore_topology,
};

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
const WSINV: &[u8] = include_bytes!("data/sip-torture/wsinv.sip");

fn allocations_during(f: impl FnOnce() -> usize) -> (usize, usize) {
    ALLOCATIONS.with(|n| n.set(0));
    MEASURING.with(|m| m.set(true));
    let out = f();
    MEASURING.with(|m| m.set(false));
    (ALLOCATIONS.with(Cell::get), out)
}

#[test]
fn editing_allocates_nothing_beyond_out() {
    let msg = Message::parse(INVITE).unwrap();
    let mut out = BytesMut::with_capacity(4096);
    let (allocs, n) = allocations_during(|| {
        let mut ed = Editor::new(&msg);
        ed.insert_top(HeaderName::Via, b"SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKx")
            .unwrap()
            .insert_top(HeaderName::RecordRoute, b"<sip:203.0.113.1;lr>")
            .unwrap()
            .remove_all(HeaderName::UserAgent)
            .unwrap()
            .set_request_uri("sip:bob@192.0.2.4")
            .unwrap();
        ed.decrement_max_forwards().unwrap();
        ed.write(&mut out).unwrap()
    });
    assert_eq!(allocs, 0);
    assert!(n > INVITE.len());
    Message::parse(&out).unwrap().validate().unwrap();
}

#[test]
fn normalizing_allocates_nothing_beyond_out() {
    for raw in [INVITE, REGISTER, WSINV] {
        let msg = Message::parse(raw).unwrap();
        for one_value_per_line in [false, true] {
            let config = NormalizeConfig { one_value_per_line };
            let mut out = BytesMut::with_capacity(4096);
            let (allocs, n) = allocations_during(|| normalize(&msg, &config, &mut out).unwrap());
            assert_eq!(allocs, 0);
            assert_eq!(n, out.len());
            // 100 more messages into the same, cleared buffer: still none.
            let (allocs, _) = allocations_during(|| {
                (0..100)
                    .map(|_| {
                        out.clear();
                        normalize(&msg, &config, &mut out).unwrap()
                    })
                    .sum()
            });
            assert_eq!(allocs, 0);
        }
    }
}

#[test]
fn an_empty_out_grows_once() {
    let msg = Message::parse(INVITE).unwrap();
    let mut out = BytesMut::new();
    let (allocs, _) =
        allocations_during(|| normalize(&msg, &NormalizeConfig::default(), &mut out).unwrap());
    assert_eq!(allocs, 1, "one reservation covers the whole message");
}

#[test]
fn topology_hiding_allocates_nothing_beyond_out() {
    let key = TopologyKey::new(&[9; 32]);
    let policy = TopologyPolicy::new("203.0.113.10:5060")
        .unwrap()
        .with_filter(HeaderFilter::DEFAULT_DENY);
    let msg = Message::parse(INVITE).unwrap();
    let mut out = BytesMut::with_capacity(4096);
    // The first call on a thread seeds the thread-local CSPRNG (one-off).
    hide_topology(&msg, &policy, &key, &mut out).unwrap();
    out.clear();
    let (allocs, _) = allocations_during(|| hide_topology(&msg, &policy, &key, &mut out).unwrap());
    assert_eq!(allocs, 0);
    // The way back: a response through the sealed Via and Record-Route.
    let hidden = Message::parse(&out).unwrap();
    let mut resp = b"SIP/2.0 200 OK\r\n".to_vec();
    for h in hidden.headers().filter(|h| {
        !matches!(
            h.kind(),
            HeaderName::MaxForwards | HeaderName::ContentLength
        )
    }) {
        resp.extend_from_slice(&out[h.line_range()]);
    }
    resp.extend_from_slice(b"\r\n");
    let resp = Message::parse(&resp).unwrap();
    let mut back = BytesMut::with_capacity(4096);
    let (allocs, _) =
        allocations_during(|| restore_topology(&resp, &policy, &key, &mut back).unwrap());
    assert_eq!(allocs, 0);
    assert_eq!(Message::parse(&back).unwrap().vias().count(), 2);
}
