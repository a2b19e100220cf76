//! The policy guard for C: feed each datagram and its source address, get
//! the decision (allow, challenge, throttle, reject, drop, block) and why.

use std::ffi::c_void;
use std::io::{self, Write};
use std::time::Duration;

use super::boundary::{self, catch};
use super::ratelimit::ip_from_bytes;
use super::slice::voipsec_slice;
use super::status::voipsec_status;
use crate::guard::{Action, Decision, Engine, EngineConfig, JsonLinesSink, Unread};

/// What to do with a message: one of the `VOIPSEC_GUARD_*` action constants.
pub type voipsec_guard_action = u32;
/// Let it through.
pub const VOIPSEC_GUARD_ALLOW: voipsec_guard_action = 0;
/// Let it through and raise the event to an operator.
pub const VOIPSEC_GUARD_ALERT: voipsec_guard_action = 1;
/// Answer with a digest challenge (401/407).
pub const VOIPSEC_GUARD_CHALLENGE: voipsec_guard_action = 2;
/// Answer 503 with `Retry-After` (`duration_ms`, rounded up to seconds).
pub const VOIPSEC_GUARD_THROTTLE: voipsec_guard_action = 3;
/// Answer 403 Forbidden.
pub const VOIPSEC_GUARD_REJECT: voipsec_guard_action = 4;
/// Send nothing back.
pub const VOIPSEC_GUARD_DROP: voipsec_guard_action = 5;
/// Drop this and everything from the source for `duration_ms`.
pub const VOIPSEC_GUARD_BLOCK: voipsec_guard_action = 6;

/// Receives each security event as one JSON object ending in `\n` (`len`
/// bytes at `json`, valid only during the call), with the `userdata` given
/// to `voipsec_guard_new`. Called on the thread feeding the guard; it must
/// not call back into the same guard.
pub type voipsec_guard_event_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, json: *const u8, len: usize)>;

/// A decision about one datagram.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct voipsec_guard_decision {
    /// What to do (`VOIPSEC_GUARD_*`).
    pub action: voipsec_guard_action,
    /// For THROTTLE the retry-after, for BLOCK the block length, in
    /// milliseconds; 0 otherwise.
    pub duration_ms: u64,
    /// The rule that fired, a stable machine name (e.g.
    /// `scanner.user_agent`); static, valid for the program's life.
    pub rule: voipsec_slice,
    /// A short human sentence; static, valid for the program's life.
    pub reason: voipsec_slice,
    /// What was counted (0 where nothing is).
    pub observed: u64,
    /// The limit it was compared with (0 where there is none).
    pub limit: u64,
    /// When the datagram failed parsing or the sanity checks: the status
    /// code a UAS would answer a request with (400, 416, 420, 483, 513...);
    /// 0 when it parsed and passed.
    pub sip_status: u16,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl voipsec_guard_decision {
    fn new(decision: &Decision, sip_status: u16) -> Self {
        let (action, duration_ms) = match decision.action {
            Action::Allow => (VOIPSEC_GUARD_ALLOW, 0),
            Action::Alert => (VOIPSEC_GUARD_ALERT, 0),
            Action::Challenge => (VOIPSEC_GUARD_CHALLENGE, 0),
            Action::Throttle { retry_after } => (VOIPSEC_GUARD_THROTTLE, millis(retry_after)),
            Action::Reject => (VOIPSEC_GUARD_REJECT, 0),
            Action::DropSilently => (VOIPSEC_GUARD_DROP, 0),
            Action::Block { duration } => (VOIPSEC_GUARD_BLOCK, millis(duration)),
        };
        voipsec_guard_decision {
            action,
            duration_ms,
            rule: decision.reason.rule.name().into(),
            reason: decision.reason.text.into(),
            observed: decision.reason.observed,
            limit: decision.reason.limit,
            sip_status,
        }
    }
}

/// Hands each JSON line the sink writes to the C callback.
struct CallbackWriter {
    callback: voipsec_guard_event_cb,
    userdata: *mut c_void,
}

impl Write for CallbackWriter {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        if let Some(callback) = self.callback {
            // SAFETY: the C caller registered `callback` and `userdata` for
            // this guard (header contract); `line` is valid for the call.
            unsafe { callback(self.userdata, line.as_ptr(), line.len()) };
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The policy engine: per-source flood limits, parse and sanity checks,
/// ACLs, scanner fingerprints, enumeration, challenges and escalating bans.
/// Memory is reserved at creation and bounded by the configuration.
///
/// Thread safety: not thread-safe. Use one guard per thread, or serialise
/// every call on it with a lock; the event callback runs on the calling
/// thread.
pub struct voipsec_guard {
    engine: Engine<JsonLinesSink<CallbackWriter>>,
}

/// Creates a guard. `config` (`config_len` bytes of UTF-8) is the guard's
/// text configuration (`key = value` lines, see the Rust `EngineConfig`);
/// NULL with 0 for the defaults. `on_event` (may be NULL) receives every
/// security event as a JSON line, with `userdata`.
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`; `VOIPSEC_ERR_PARSE` (configuration
/// text invalid); `VOIPSEC_ERR_INVALID_ARGUMENT` (a setting out of range).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_guard_new(
    config: *const u8,
    config_len: usize,
    on_event: voipsec_guard_event_cb,
    userdata: *mut c_void,
    out: *mut *mut voipsec_guard,
) -> voipsec_status {
    catch(|| {
        // SAFETY: the caller passes `config_len` readable bytes at `config`,
        // only read during this call.
        let text = unsafe { boundary::bytes(config, config_len) }?;
        if out.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        let config = if text.is_empty() {
            EngineConfig::default()
        } else {
            let text = std::str::from_utf8(text).map_err(|_| voipsec_status::VOIPSEC_ERR_PARSE)?;
            EngineConfig::parse(text).map_err(|_| voipsec_status::VOIPSEC_ERR_PARSE)?
        };
        let sink = JsonLinesSink::new(CallbackWriter {
            callback: on_event,
            userdata,
        });
        let engine =
            Engine::new(config, sink).map_err(|_| voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT)?;
        // SAFETY: `out` is non-NULL and valid for a write (header contract).
        unsafe { boundary::give(out, voipsec_guard { engine }) }
    })
}

/// Frees a guard. `voipsec_guard_free(NULL)` is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_guard_free(guard: *mut voipsec_guard) {
    // SAFETY: a non-NULL `guard` comes from voipsec_guard_new and the
    // caller gives up every use of it.
    unsafe { boundary::free_handle(guard) }
}

/// Screens one UDP datagram (`len` bytes) received from the source address
/// `addr` (4 bytes IPv4 or 16 bytes IPv6, network order) at `now_ms`
/// (monotonic milliseconds, any origin: every window uses it) and `wall_ms`
/// (Unix milliseconds, for events): source blocks and floods first, then
/// parsing and sanity checks, then the policies. Writes the decision to
/// `*decision` and returns `VOIPSEC_OK` whatever the decision is.
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`, `VOIPSEC_ERR_INVALID_ARGUMENT`
/// (`addr_len` neither 4 nor 16).
// Flat (pointer, length) pairs are the C calling convention here.
#[allow(clippy::too_many_arguments)]
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_guard_on_datagram(
    guard: *mut voipsec_guard,
    addr: *const u8,
    addr_len: usize,
    datagram: *const u8,
    len: usize,
    now_ms: u64,
    wall_ms: u64,
    decision: *mut voipsec_guard_decision,
) -> voipsec_status {
    catch(|| {
        if decision.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        // SAFETY: a non-NULL `guard` comes from voipsec_guard_new and is used
        // by one thread at a time (the handle's documented contract).
        let handle = unsafe { boundary::handle_mut(guard) }?;
        // SAFETY: the caller passes `addr_len` readable bytes at `addr`.
        let addr = unsafe { boundary::bytes(addr, addr_len) }?;
        // SAFETY: the caller passes `len` readable bytes at `datagram`, only
        // read during this call.
        let datagram = unsafe { boundary::bytes(datagram, len) }?;
        let source = ip_from_bytes(addr).ok_or(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT)?;
        let seen = handle.engine.on_datagram(source, datagram, now_ms, wall_ms);
        let sip_status = match &seen.message {
            Ok(_) | Err(Unread::Refused) => 0,
            Err(Unread::Parse(e)) => e.status_code(),
            Err(Unread::Sanity(rejection)) => rejection.status,
        };
        let outcome = voipsec_guard_decision::new(&seen.decision, sip_status);
        // SAFETY: `decision` is non-NULL and valid for a write.
        unsafe { boundary::write_out(decision, outcome) }
    })
}
