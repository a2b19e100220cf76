//! The counting global allocator shared by the allocation and memory tests
//! (`tests/*_alloc.rs`, `tests/ratelimit_memory.rs`): include it with
//! `#[path = "support/counting_alloc.rs"] mod counting_alloc;`.
//!
//! It forwards every call unchanged to the system allocator and counts, per
//! thread, the allocations made and the bytes live. Per thread matters: the
//! test harness runs tests (and allocates) on other threads at the same
//! time, and a process-wide counter would charge their allocations to the
//! test being measured. `unsafe` is only the `GlobalAlloc` impl, which cannot
//! be written without it.
#![allow(dead_code)] // each test binary uses part of it

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Const-initialised, so touching them never allocates (no recursion).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static LIVE_BYTES: Cell<usize> = const { Cell::new(0) };
    static PEAK_BYTES: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(bytes: usize) {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
    let _ = LIVE_BYTES.try_with(|live| {
        let now = live.get().wrapping_add(bytes);
        live.set(now);
        let _ = PEAK_BYTES.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn note_free(bytes: usize) {
    // Wrapping: a block allocated on another thread may be freed on this one.
    let _ = LIVE_BYTES.try_with(|live| live.set(live.get().wrapping_sub(bytes)));
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// so `System`'s guarantees hold; the bookkeeping never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_free(layout.size());
        note_alloc(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations (and reallocations) made by this thread while `f` runs,
/// with `f`'s result.
pub fn allocations_during<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

/// Heap allocations made by this thread while `f` runs.
pub fn count_allocations(f: impl FnOnce()) -> usize {
    allocations_during(f).0
}

/// Bytes allocated by this thread and not yet freed.
pub fn live_bytes() -> usize {
    LIVE_BYTES.with(Cell::get)
}

/// The highest [`live_bytes`] since the last [`set_peak_bytes`].
pub fn peak_bytes() -> usize {
    PEAK_BYTES.with(Cell::get)
}

/// Restarts peak tracking from `bytes`.
pub fn set_peak_bytes(bytes: usize) {
    PEAK_BYTES.with(|c| c.set(bytes));
}
