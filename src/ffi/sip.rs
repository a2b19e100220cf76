//! SIP messages for C: parse once, then read the start line, any header by
//! name (compact forms too) and the dialog identifiers.

use super::boundary::{self, catch};
use super::slice::voipsec_slice;
use super::status::voipsec_status;
use crate::sip::{Message, SipError, StartLine};

impl From<SipError> for voipsec_status {
    fn from(error: SipError) -> Self {
        match error {
            SipError::MessageTooLarge { .. }
            | SipError::LineTooLong { .. }
            | SipError::UriTooLong { .. }
            | SipError::TooManyHeaders { .. }
            | SipError::TooManyVias { .. } => voipsec_status::VOIPSEC_ERR_LIMIT,
            SipError::MissingHeader { .. } => voipsec_status::VOIPSEC_ERR_NOT_FOUND,
            // Every other variant is malformed input (and variants added
            // later default to that, the conservative reading).
            _ => voipsec_status::VOIPSEC_ERR_PARSE,
        }
    }
}

/// A parsed SIP message. It owns a copy of the bytes it was parsed from, so
/// the caller's buffer may be reused as soon as `voipsec_sip_message_parse`
/// returns; every `voipsec_slice` read from the message points into that
/// copy and stays valid until `voipsec_sip_message_free`.
///
/// Thread safety: read-only after parsing; any number of threads may call
/// the accessors on one message at the same time. Freeing needs exclusive
/// access (no accessor running, no slice used afterwards).
pub struct voipsec_sip_message {
    // Borrows the heap buffer of `bytes`. Declared first so it is dropped
    // first; the 'static is never handed out (see `message`).
    parsed: Message<'static>,
    // Never written, grown or moved out after parsing: the heap buffer the
    // Message points into stays where it is for the handle's life. (A Vec,
    // not a Box, so moving the handle asserts no uniqueness over the buffer.)
    bytes: Vec<u8>,
}

impl voipsec_sip_message {
    fn parse(input: &[u8]) -> Result<Self, SipError> {
        let bytes = input.to_vec();
        // SAFETY: the slice covers exactly the initialised contents of
        // `bytes`' heap buffer, which is never mutated, reallocated or freed
        // before `parsed` (which borrows it) is dropped: both live in the
        // same struct, `parsed` is dropped first, and `bytes` is private and
        // never touched again. Moving the Vec moves only its pointer.
        let view: &'static [u8] =
            unsafe { std::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) };
        let parsed = Message::parse(view)?;
        Ok(voipsec_sip_message { parsed, bytes })
    }

    /// The message, with its lifetime shortened to the handle's borrow.
    fn message(&self) -> &Message<'_> {
        debug_assert_eq!(self.parsed.as_bytes().as_ptr(), self.bytes.as_ptr());
        &self.parsed
    }
}

/// Parses the SIP message in `buf[0..len]` (one UDP datagram, or one frame
/// from a stream) into `*out`: framing, start line and header index, with
/// the default limits (64 KiB, 128 headers, 8 KiB lines). The header
/// grammar is checked lazily by the accessors.
///
/// `error_offset` may be NULL; otherwise it receives the byte offset of a
/// parse error (`SIZE_MAX` when the error has none, 0 on success).
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`, `VOIPSEC_ERR_PARSE` (malformed),
/// `VOIPSEC_ERR_LIMIT` (a limit exceeded).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_message_parse(
    buf: *const u8,
    len: usize,
    out: *mut *mut voipsec_sip_message,
    error_offset: *mut usize,
) -> voipsec_status {
    catch(|| {
        // SAFETY: the caller passes `len` readable bytes at `buf`; they are
        // copied before this call returns.
        let input = unsafe { boundary::bytes(buf, len) }?;
        if out.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        let (result, offset) = match voipsec_sip_message::parse(input) {
            Ok(message) => (Ok(message), 0),
            Err(e) => (Err(e), e.offset().unwrap_or(usize::MAX)),
        };
        if !error_offset.is_null() {
            // SAFETY: non-NULL and valid for a write (header contract).
            unsafe { boundary::write_out(error_offset, offset) }?;
        }
        // SAFETY: `out` is non-NULL and valid for a write (header contract).
        unsafe { boundary::give(out, result?) }
    })
}

/// Frees a message. `voipsec_sip_message_free(NULL)` is a no-op; slices
/// read from the message are invalid afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_message_free(msg: *mut voipsec_sip_message) {
    // SAFETY: a non-NULL `msg` comes from voipsec_sip_message_parse and
    // the caller gives up every use of it (and of its slices).
    unsafe { boundary::free_handle(msg) }
}

/// The first line of a message: a Request-Line or a Status-Line.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct voipsec_sip_start_line {
    /// True for a request (method and request_uri set), false for a
    /// response (status_code and reason set).
    pub is_request: bool,
    /// The method, e.g. `INVITE` (requests).
    pub method: voipsec_slice,
    /// The Request-URI as sent (requests).
    pub request_uri: voipsec_slice,
    /// The status code, 100..=699 (responses; 0 for requests).
    pub status_code: u16,
    /// The reason phrase, possibly empty (responses).
    pub reason: voipsec_slice,
}

/// Runs `read` on the message behind `msg` and writes its result to `out`.
fn read<T>(
    msg: *const voipsec_sip_message,
    out: *mut T,
    read: impl FnOnce(&Message<'_>) -> Result<T, voipsec_status>,
) -> voipsec_status {
    catch(|| {
        if out.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        // SAFETY: a non-NULL `msg` comes from voipsec_sip_message_parse and
        // is not being freed concurrently (the handle's contract).
        let handle = unsafe { boundary::handle(msg) }?;
        let value = read(handle.message())?;
        // SAFETY: `out` is non-NULL and valid for a write (header contract).
        unsafe { boundary::write_out(out, value) }
    })
}

/// Reads the start line into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_start_line_get(
    msg: *const voipsec_sip_message,
    out: *mut voipsec_sip_start_line,
) -> voipsec_status {
    read(msg, out, |m| {
        Ok(match m.start_line() {
            StartLine::Request(r) => voipsec_sip_start_line {
                is_request: true,
                method: r.method.as_str().into(),
                request_uri: r.uri.into(),
                status_code: 0,
                reason: voipsec_slice::EMPTY,
            },
            StartLine::Response(s) => voipsec_sip_start_line {
                is_request: false,
                method: voipsec_slice::EMPTY,
                request_uri: voipsec_slice::EMPTY,
                status_code: s.code,
                reason: s.reason.into(),
            },
        })
    })
}

/// Reads into `*value` the value of the `index`-th (from 0) header field
/// called `name` (`name_len` bytes): case-insensitive, compact and long
/// forms equal (`"i"`, `"call-id"` and `"Call-ID"` all find Call-ID). The
/// value is raw: surrounding white space removed, folding kept.
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`; `VOIPSEC_ERR_NOT_FOUND` when there is
/// no such field (iterate with index 0, 1, ... until this);
/// `VOIPSEC_ERR_INVALID_ARGUMENT` when `name` is not UTF-8.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_header_get(
    msg: *const voipsec_sip_message,
    name: *const u8,
    name_len: usize,
    index: usize,
    value: *mut voipsec_slice,
) -> voipsec_status {
    // SAFETY: the caller passes `name_len` readable bytes at `name`, only
    // read during this call.
    let name = match unsafe { boundary::bytes(name, name_len) } {
        Ok(name) => name,
        Err(status) => return status,
    };
    read(msg, value, |m| {
        let name =
            std::str::from_utf8(name).map_err(|_| voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT)?;
        m.headers_named(name)
            .nth(index)
            .map(|h| h.value().into())
            .ok_or(voipsec_status::VOIPSEC_ERR_NOT_FOUND)
    })
}

/// The number of header fields (physical header lines; folded continuation
/// lines belong to their field).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_header_count(
    msg: *const voipsec_sip_message,
    count: *mut usize,
) -> voipsec_status {
    read(msg, count, |m| Ok(m.header_count()))
}

/// Reads the name (as sent) and raw value of the `index`-th header field,
/// in message order. Errors: `VOIPSEC_ERR_NULL_POINTER`,
/// `VOIPSEC_ERR_NOT_FOUND` past the last field.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_header_at(
    msg: *const voipsec_sip_message,
    index: usize,
    name: *mut voipsec_slice,
    value: *mut voipsec_slice,
) -> voipsec_status {
    if name.is_null() {
        return voipsec_status::VOIPSEC_ERR_NULL_POINTER;
    }
    let mut header_name = voipsec_slice::EMPTY;
    let status = read(msg, value, |m| {
        let h = m
            .header_at(index)
            .ok_or(voipsec_status::VOIPSEC_ERR_NOT_FOUND)?;
        header_name = h.name().into();
        Ok(h.value().into())
    });
    if status == voipsec_status::VOIPSEC_OK {
        // SAFETY: `name` is non-NULL and valid for a write (header contract).
        if let Err(status) = unsafe { boundary::write_out(name, header_name) } {
            return status;
        }
    }
    status
}

/// Reads the `branch` parameter of the topmost Via.
/// Errors: `VOIPSEC_ERR_NOT_FOUND` (no Via, or no branch),
/// `VOIPSEC_ERR_PARSE` (malformed Via), `VOIPSEC_ERR_NULL_POINTER`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_via_branch(
    msg: *const voipsec_sip_message,
    branch: *mut voipsec_slice,
) -> voipsec_status {
    read(msg, branch, |m| {
        m.top_via()?
            .branch()
            .map(voipsec_slice::from)
            .ok_or(voipsec_status::VOIPSEC_ERR_NOT_FOUND)
    })
}

/// Reads the `tag` parameter of From. Errors as `voipsec_sip_via_branch`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_from_tag(
    msg: *const voipsec_sip_message,
    tag: *mut voipsec_slice,
) -> voipsec_status {
    read(msg, tag, |m| {
        m.from()?
            .tag()
            .map(voipsec_slice::from)
            .ok_or(voipsec_status::VOIPSEC_ERR_NOT_FOUND)
    })
}

/// Reads the `tag` parameter of To (absent in an out-of-dialog request:
/// `VOIPSEC_ERR_NOT_FOUND`). Errors as `voipsec_sip_via_branch`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_to_tag(
    msg: *const voipsec_sip_message,
    tag: *mut voipsec_slice,
) -> voipsec_status {
    read(msg, tag, |m| {
        m.to()?
            .tag()
            .map(voipsec_slice::from)
            .ok_or(voipsec_status::VOIPSEC_ERR_NOT_FOUND)
    })
}

/// Reads the Call-ID (checked to be `word[@word]`).
/// Errors: `VOIPSEC_ERR_NOT_FOUND`, `VOIPSEC_ERR_PARSE`, `VOIPSEC_ERR_NULL_POINTER`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_call_id(
    msg: *const voipsec_sip_message,
    call_id: *mut voipsec_slice,
) -> voipsec_status {
    read(msg, call_id, |m| Ok(m.call_id()?.into()))
}

/// Reads the CSeq: its number into `*number` and its method into `*method`.
/// Errors: `VOIPSEC_ERR_NOT_FOUND`, `VOIPSEC_ERR_PARSE`, `VOIPSEC_ERR_NULL_POINTER`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_cseq(
    msg: *const voipsec_sip_message,
    number: *mut u32,
    method: *mut voipsec_slice,
) -> voipsec_status {
    if number.is_null() {
        return voipsec_status::VOIPSEC_ERR_NULL_POINTER;
    }
    let mut sequence = 0;
    let status = read(msg, method, |m| {
        let cseq = m.cseq()?;
        sequence = cseq.number;
        Ok(cseq.method.as_str().into())
    });
    if status == voipsec_status::VOIPSEC_OK {
        // SAFETY: `number` is non-NULL and valid for a write (header contract).
        if let Err(status) = unsafe { boundary::write_out(number, sequence) } {
            return status;
        }
    }
    status
}

/// Reads the body (possibly empty).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_body(
    msg: *const voipsec_sip_message,
    body: *mut voipsec_slice,
) -> voipsec_status {
    read(msg, body, |m| Ok(m.body().into()))
}

/// Checks the grammar of every known header field (RFC 3261 §25): run it
/// on untrusted input before trusting typed values.
/// Errors: `VOIPSEC_ERR_PARSE` / `VOIPSEC_ERR_LIMIT` with the first
/// violation, `VOIPSEC_ERR_NULL_POINTER`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_message_validate(msg: *const voipsec_sip_message) -> voipsec_status {
    catch(|| {
        // SAFETY: a non-NULL `msg` comes from voipsec_sip_message_parse and
        // is not being freed concurrently (the handle's contract).
        let handle = unsafe { boundary::handle(msg) }?;
        Ok(handle.message().validate()?)
    })
}

/// Writes `text` C-string style into `buf` (`cap` bytes): at most `cap - 1`
/// bytes and a NUL when `cap > 0`, like `snprintf`; returns the full length.
fn write_truncated(text: &str, buf: &mut [u8]) -> usize {
    if let Some(room) = buf.len().checked_sub(1) {
        let n = text.len().min(room);
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), text.as_bytes().get(..n)) {
            dst.copy_from_slice(src);
        }
        if let Some(nul) = buf.get_mut(n) {
            *nul = 0;
        }
    }
    text.len()
}

/// Runs the sanity checks an SBC applies before trusting a message (the
/// default profile: grammar, mandatory and duplicate headers, Max-Forwards,
/// Request-URI scheme, Require/Proxy-Require option tags, control
/// characters, Via addresses...).
///
/// Returns `VOIPSEC_OK` when the message passes (then `*sip_status` is 0),
/// or `VOIPSEC_ERR_REJECTED` with the status code to answer with in
/// `*sip_status` (400, 415, 416, 420, 483, 505, 513...) and an English
/// reason written into `reason` like `snprintf` does: at most
/// `reason_cap - 1` bytes plus a NUL, the full length in `*reason_len`.
/// `reason` may be NULL with `reason_cap` 0; `reason_len` may be NULL.
/// Errors: `VOIPSEC_ERR_NULL_POINTER`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_sanity_check(
    msg: *const voipsec_sip_message,
    sip_status: *mut u16,
    reason: *mut u8,
    reason_cap: usize,
    reason_len: *mut usize,
) -> voipsec_status {
    catch(|| {
        if sip_status.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        // SAFETY: a non-NULL `msg` comes from voipsec_sip_message_parse and
        // is not being freed concurrently (the handle's contract).
        let handle = unsafe { boundary::handle(msg) }?;
        // SAFETY: the caller passes `reason_cap` writable bytes at `reason`.
        let buf = unsafe { boundary::bytes_mut(reason, reason_cap) }?;
        let verdict = crate::sip::sanity::Sanity::default().check(handle.message());
        let (code, text, status) = match verdict {
            Ok(()) => (0, String::new(), Ok(())),
            Err(rejection) => (
                rejection.status,
                rejection.to_string(),
                Err(voipsec_status::VOIPSEC_ERR_REJECTED),
            ),
        };
        let full = write_truncated(&text, buf);
        // SAFETY: `sip_status` is non-NULL and valid for a write.
        unsafe { boundary::write_out(sip_status, code) }?;
        if !reason_len.is_null() {
            // SAFETY: non-NULL and valid for a write (header contract).
            unsafe { boundary::write_out(reason_len, full) }?;
        }
        status
    })
}

/// Writes the canonical form of the message into `buf` (`cap` bytes):
/// long header names, no folding, single spaces, Request-URI headers
/// (`?...`) dropped, exact Content-Length, body unchanged; `*out_len`
/// receives its length, or the needed capacity with
/// `VOIPSEC_ERR_BUFFER_TOO_SMALL` (nothing useful is written then).
/// Proxies that forward the normalized form close the parser-disagreement
/// holes (smuggling) that the original spelling may open downstream.
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`, `VOIPSEC_ERR_BUFFER_TOO_SMALL`,
/// `VOIPSEC_ERR_PARSE` / `VOIPSEC_ERR_LIMIT` (the Request-URI does not parse,
/// or the canonical form would break a limit).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_sip_normalize(
    msg: *const voipsec_sip_message,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> voipsec_status {
    catch(|| {
        if out_len.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        // SAFETY: a non-NULL `msg` comes from voipsec_sip_message_parse and
        // is not being freed concurrently (the handle's contract).
        let handle = unsafe { boundary::handle(msg) }?;
        // SAFETY: the caller passes `cap` writable bytes at `buf`.
        let buf = unsafe { boundary::bytes_mut(buf, cap) }?;
        let message = handle.message();
        let mut canonical = bytes::BytesMut::with_capacity(message.as_bytes().len() + 64);
        crate::sip::normalize(
            message,
            &crate::sip::NormalizeConfig::default(),
            &mut canonical,
        )
        .map_err(|e| match e {
            crate::sip::EditError::Sip(e) => e.into(),
            _ => voipsec_status::VOIPSEC_ERR_PARSE,
        })?;
        let fits = buf
            .get_mut(..canonical.len())
            .map(|dst| dst.copy_from_slice(&canonical));
        // SAFETY: `out_len` is non-NULL and valid for a write (header contract).
        unsafe { boundary::write_out(out_len, canonical.len()) }?;
        fits.ok_or(voipsec_status::VOIPSEC_ERR_BUFFER_TOO_SMALL)
    })
}
