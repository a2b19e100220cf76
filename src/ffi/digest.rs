//! SIP digest authentication for C: a verifier that issues challenges and
//! checks `Authorization` headers against a secret the caller looked up.

use std::cell::RefCell;
use std::ffi::{CStr, c_char};

use super::boundary::{self, catch};
use super::status::voipsec_status;
use crate::digest::{
    Algorithm, ChallengeKind, CredentialStore, Credentials, DigestConfig, DigestError,
    DigestRequest, HexDigest, InMemoryNonceCounts, MAX_USERNAME_LEN, NonceSecret, UserSecret,
    Verdict, Verifier, unix_now,
};

/// Bit set of digest algorithms a verifier offers and accepts (the `-sess`
/// variants are not offered).
pub type voipsec_digest_algorithms = u32;
/// `MD5` (RFC 2617): what most deployed SIP phones speak.
pub const VOIPSEC_DIGEST_MD5: voipsec_digest_algorithms = 1;
/// `SHA-256` (RFC 7616, RFC 8760).
pub const VOIPSEC_DIGEST_SHA256: voipsec_digest_algorithms = 2;
/// `SHA-512-256` (RFC 7616, RFC 8760).
pub const VOIPSEC_DIGEST_SHA512_256: voipsec_digest_algorithms = 4;

/// Which challenge header to write: one of the `VOIPSEC_DIGEST_*_AUTHENTICATE`
/// constants.
pub type voipsec_digest_challenge_kind = u32;
/// `WWW-Authenticate` (send in a 401; the client answers with `Authorization`).
pub const VOIPSEC_DIGEST_WWW_AUTHENTICATE: voipsec_digest_challenge_kind = 1;
/// `Proxy-Authenticate` (send in a 407; answered with `Proxy-Authorization`).
pub const VOIPSEC_DIGEST_PROXY_AUTHENTICATE: voipsec_digest_challenge_kind = 2;

/// What the caller's secret is: one of the `VOIPSEC_DIGEST_SECRET_*` constants.
pub type voipsec_digest_secret_kind = u32;
/// A clear-text password.
pub const VOIPSEC_DIGEST_SECRET_PASSWORD: voipsec_digest_secret_kind = 1;
/// An HA1, `H(username ":" realm ":" password)` in hex, for the algorithm the
/// credentials use (32 digits for MD5, 64 for SHA-256 and SHA-512-256).
pub const VOIPSEC_DIGEST_SECRET_HA1: voipsec_digest_secret_kind = 2;

/// Why a verification ended as it did: one of the `VOIPSEC_DIGEST_REASON_*`
/// constants. For the server's counters and logs only: a client must only
/// ever see a new challenge (or 403), never the reason.
pub type voipsec_digest_reason = u32;
/// The credentials are valid.
pub const VOIPSEC_DIGEST_REASON_AUTHENTICATED: voipsec_digest_reason = 0;
/// The scheme is not `Digest`.
pub const VOIPSEC_DIGEST_REASON_UNSUPPORTED_SCHEME: voipsec_digest_reason = 1;
/// The header does not parse, or a parameter is missing or out of range.
pub const VOIPSEC_DIGEST_REASON_MALFORMED: voipsec_digest_reason = 2;
/// `realm` is not the verifier's.
pub const VOIPSEC_DIGEST_REASON_REALM_MISMATCH: voipsec_digest_reason = 3;
/// `algorithm` unknown or not enabled.
pub const VOIPSEC_DIGEST_REASON_ALGORITHM_NOT_ALLOWED: voipsec_digest_reason = 4;
/// `qop` missing, unknown or not enabled.
pub const VOIPSEC_DIGEST_REASON_QOP_NOT_ALLOWED: voipsec_digest_reason = 5;
/// `userhash=true` is not enabled.
pub const VOIPSEC_DIGEST_REASON_USERHASH_NOT_ALLOWED: voipsec_digest_reason = 6;
/// `uri` does not match the Request-URI.
pub const VOIPSEC_DIGEST_REASON_URI_MISMATCH: voipsec_digest_reason = 7;
/// The nonce was not issued by this verifier (or its secret).
pub const VOIPSEC_DIGEST_REASON_INVALID_NONCE: voipsec_digest_reason = 8;
/// The username is not the one the caller gave the secret for.
pub const VOIPSEC_DIGEST_REASON_UNKNOWN_USER: voipsec_digest_reason = 9;
/// Wrong response: a wrong password, or a guess.
pub const VOIPSEC_DIGEST_REASON_WRONG_RESPONSE: voipsec_digest_reason = 10;
/// Right response, expired nonce: challenge again with `stale=true`.
pub const VOIPSEC_DIGEST_REASON_STALE_NONCE: voipsec_digest_reason = 11;
/// Right response, but its nonce-count was already used: a replay.
pub const VOIPSEC_DIGEST_REASON_REPLAYED_NONCE_COUNT: voipsec_digest_reason = 12;
/// The nonce-count store failed (fail closed).
pub const VOIPSEC_DIGEST_REASON_STORE_UNAVAILABLE: voipsec_digest_reason = 13;

fn reason_of(verdict: &Verdict) -> voipsec_digest_reason {
    match verdict {
        Verdict::Authenticated { .. } => VOIPSEC_DIGEST_REASON_AUTHENTICATED,
        Verdict::UnsupportedScheme => VOIPSEC_DIGEST_REASON_UNSUPPORTED_SCHEME,
        Verdict::Malformed(_) => VOIPSEC_DIGEST_REASON_MALFORMED,
        Verdict::RealmMismatch => VOIPSEC_DIGEST_REASON_REALM_MISMATCH,
        Verdict::AlgorithmNotAllowed => VOIPSEC_DIGEST_REASON_ALGORITHM_NOT_ALLOWED,
        Verdict::QopNotAllowed => VOIPSEC_DIGEST_REASON_QOP_NOT_ALLOWED,
        Verdict::UserhashNotAllowed => VOIPSEC_DIGEST_REASON_USERHASH_NOT_ALLOWED,
        Verdict::UriMismatch => VOIPSEC_DIGEST_REASON_URI_MISMATCH,
        Verdict::InvalidNonce => VOIPSEC_DIGEST_REASON_INVALID_NONCE,
        Verdict::UnknownUser => VOIPSEC_DIGEST_REASON_UNKNOWN_USER,
        Verdict::WrongResponse => VOIPSEC_DIGEST_REASON_WRONG_RESPONSE,
        Verdict::StaleNonce => VOIPSEC_DIGEST_REASON_STALE_NONCE,
        Verdict::ReplayedNonceCount => VOIPSEC_DIGEST_REASON_REPLAYED_NONCE_COUNT,
        Verdict::StoreUnavailable(_) => VOIPSEC_DIGEST_REASON_STORE_UNAVAILABLE,
    }
}

/// A static, NUL-terminated label for `reason` (the Rust `Verdict::reason`
/// labels, e.g. `"wrong_response"`; `"unknown"` for any other value).
/// Never NULL; must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_digest_reason_str(reason: voipsec_digest_reason) -> *const c_char {
    let text: &'static CStr = match reason {
        VOIPSEC_DIGEST_REASON_AUTHENTICATED => c"authenticated",
        VOIPSEC_DIGEST_REASON_UNSUPPORTED_SCHEME => c"unsupported_scheme",
        VOIPSEC_DIGEST_REASON_MALFORMED => c"malformed",
        VOIPSEC_DIGEST_REASON_REALM_MISMATCH => c"realm_mismatch",
        VOIPSEC_DIGEST_REASON_ALGORITHM_NOT_ALLOWED => c"algorithm_not_allowed",
        VOIPSEC_DIGEST_REASON_QOP_NOT_ALLOWED => c"qop_not_allowed",
        VOIPSEC_DIGEST_REASON_USERHASH_NOT_ALLOWED => c"userhash_not_allowed",
        VOIPSEC_DIGEST_REASON_URI_MISMATCH => c"uri_mismatch",
        VOIPSEC_DIGEST_REASON_INVALID_NONCE => c"invalid_nonce",
        VOIPSEC_DIGEST_REASON_UNKNOWN_USER => c"unknown_user",
        VOIPSEC_DIGEST_REASON_WRONG_RESPONSE => c"wrong_response",
        VOIPSEC_DIGEST_REASON_STALE_NONCE => c"stale_nonce",
        VOIPSEC_DIGEST_REASON_REPLAYED_NONCE_COUNT => c"replayed_nonce_count",
        VOIPSEC_DIGEST_REASON_STORE_UNAVAILABLE => c"store_unavailable",
        _ => c"unknown",
    };
    text.as_ptr()
}

/// The user and secret the C caller supplied for the verification running
/// on this thread.
struct CallerSecret {
    username: [u8; MAX_USERNAME_LEN],
    username_len: usize,
    secret: UserSecret,
}

thread_local! {
    // Set only for the duration of one voipsec_digest_verify call on this
    // thread (cleared by `SecretScope`'s Drop, even on panic), so a
    // verifier shared by many threads needs no lock for it.
    static CALLER_SECRET: RefCell<Option<CallerSecret>> = const { RefCell::new(None) };
}

struct SecretScope;

impl SecretScope {
    fn enter(secret: CallerSecret) -> SecretScope {
        CALLER_SECRET.with(|slot| *slot.borrow_mut() = Some(secret));
        SecretScope
    }
}

impl Drop for SecretScope {
    fn drop(&mut self) {
        // Dropping the secret zeroizes it (UserSecret is ZeroizeOnDrop).
        CALLER_SECRET.with(|slot| slot.borrow_mut().take());
    }
}

/// The credential store of a C verifier: the one user whose secret the
/// caller passed to this call.
struct CallerCredentials;

impl CredentialStore for CallerCredentials {
    fn lookup(&self, username: &[u8], _realm: &[u8], _algorithm: Algorithm) -> Option<UserSecret> {
        CALLER_SECRET.with(|slot| {
            let slot = slot.borrow();
            let caller = slot.as_ref()?;
            let expected = caller.username.get(..caller.username_len)?;
            (expected == username).then(|| caller.secret.clone())
        })
    }
}

/// A digest verifier: realm, algorithms, nonce secret and a bounded
/// nonce-count store (replays are refused).
///
/// Thread safety: fully thread-safe. Any number of threads may call
/// `voipsec_digest_challenge` and `voipsec_digest_verify` on one verifier at
/// the same time; only `voipsec_digest_verifier_free` needs exclusive access.
pub struct voipsec_digest_verifier {
    verifier: Verifier<CallerCredentials, InMemoryNonceCounts>,
}

fn algorithms_from_c(set: voipsec_digest_algorithms) -> Result<Vec<Algorithm>, voipsec_status> {
    let known = VOIPSEC_DIGEST_MD5 | VOIPSEC_DIGEST_SHA256 | VOIPSEC_DIGEST_SHA512_256;
    if set & !known != 0 {
        return Err(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT);
    }
    // Strongest first: RFC 8760 §2.4, the client takes the first it knows.
    Ok([
        (VOIPSEC_DIGEST_SHA512_256, Algorithm::Sha512_256),
        (VOIPSEC_DIGEST_SHA256, Algorithm::Sha256),
        (VOIPSEC_DIGEST_MD5, Algorithm::Md5),
    ]
    .into_iter()
    .filter(|(bit, _)| set & bit != 0)
    .map(|(_, a)| a)
    .collect())
}

/// Creates a verifier for `realm` (UTF-8, `realm_len` bytes).
///
/// `secret` signs the stateless nonces: exactly 32 bytes, the same on every
/// node that must accept the others' nonces; or NULL with `secret_len` 0 for
/// a random per-process secret. `algorithms` is a set of `VOIPSEC_DIGEST_*`
/// bits, or 0 for the default (SHA-256 and MD5). Defaults otherwise: qop
/// `auth`, 300 s nonces, Request-URI host check, nonce-counts tracked.
///
/// Errors: `VOIPSEC_ERR_NULL_POINTER`; `VOIPSEC_ERR_INVALID_ARGUMENT` (realm
/// not UTF-8 or empty, secret not 32 bytes, unknown algorithm bits).
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_digest_verifier_new(
    realm: *const u8,
    realm_len: usize,
    secret: *const u8,
    secret_len: usize,
    algorithms: voipsec_digest_algorithms,
    out: *mut *mut voipsec_digest_verifier,
) -> voipsec_status {
    catch(|| {
        // SAFETY: the caller passes `realm_len` readable bytes at `realm`,
        // only read (copied) during this call.
        let realm = unsafe { boundary::bytes(realm, realm_len) }?;
        // SAFETY: as above, for `secret_len` bytes at `secret`.
        let secret = unsafe { boundary::bytes(secret, secret_len) }?;
        if out.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        let realm = std::str::from_utf8(realm)
            .ok()
            .filter(|r| !r.is_empty())
            .ok_or(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT)?;
        let secret = match secret.len() {
            0 => NonceSecret::generate(),
            _ => NonceSecret::from_bytes(
                secret
                    .try_into()
                    .map_err(|_| voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT)?,
            ),
        };
        let mut config = DigestConfig::new(realm);
        if algorithms != 0 {
            config.algorithms = algorithms_from_c(algorithms)?;
        }
        let verifier = Verifier::new(
            config,
            secret,
            CallerCredentials,
            InMemoryNonceCounts::default(),
        );
        // SAFETY: `out` is non-NULL and valid for a write (header contract).
        unsafe { boundary::give(out, voipsec_digest_verifier { verifier }) }
    })
}

/// Frees a verifier. `voipsec_digest_verifier_free(NULL)` is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_digest_verifier_free(verifier: *mut voipsec_digest_verifier) {
    // SAFETY: a non-NULL `verifier` comes from voipsec_digest_verifier_new
    // and the caller gives up every use of it.
    unsafe { boundary::free_handle(verifier) }
}

/// Writes the challenge header lines for a 401 or 407 into `buf` (`cap`
/// bytes): one `WWW-Authenticate:` / `Proxy-Authenticate:` line per
/// algorithm, strongest first, each ending in CRLF, with one fresh nonce;
/// not NUL-terminated. `*out_len` receives the length, or the needed
/// capacity with `VOIPSEC_ERR_BUFFER_TOO_SMALL` (512 bytes always suffice
/// for realms up to 100 bytes). Pass `stale` true after a
/// `VOIPSEC_DIGEST_REASON_STALE_NONCE` verdict.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_digest_challenge(
    verifier: *const voipsec_digest_verifier,
    kind: voipsec_digest_challenge_kind,
    stale: bool,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> voipsec_status {
    catch(|| {
        if out_len.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        let kind = match kind {
            VOIPSEC_DIGEST_WWW_AUTHENTICATE => ChallengeKind::WwwAuthenticate,
            VOIPSEC_DIGEST_PROXY_AUTHENTICATE => ChallengeKind::ProxyAuthenticate,
            _ => return Err(voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT),
        };
        // SAFETY: a non-NULL `verifier` comes from voipsec_digest_verifier_new
        // and is not being freed concurrently.
        let handle = unsafe { boundary::handle(verifier) }?;
        // SAFETY: the caller passes `cap` writable bytes at `buf`.
        let buf = unsafe { boundary::bytes_mut(buf, cap) }?;
        let mut headers = String::new();
        handle
            .verifier
            .write_challenges(kind, None, unix_now(), stale, &mut headers);
        let fits = buf
            .get_mut(..headers.len())
            .map(|dst| dst.copy_from_slice(headers.as_bytes()));
        // SAFETY: `out_len` is non-NULL and valid for a write (header contract).
        unsafe { boundary::write_out(out_len, headers.len()) }?;
        fits.ok_or(voipsec_status::VOIPSEC_ERR_BUFFER_TOO_SMALL)
    })
}

/// Copies the username an `Authorization` / `Proxy-Authorization` header
/// value claims into `buf` (`cap` bytes) — `username` unescaped, or RFC 7616
/// `username*` decoded: the name `voipsec_digest_verify` authenticates — so
/// the caller can look up that user's password or HA1 and key its policies
/// on it. `*out_len` receives the length, or the needed capacity with
/// `VOIPSEC_ERR_BUFFER_TOO_SMALL`.
///
/// Errors: `VOIPSEC_ERR_PARSE` (not a digest header, no username, or a bad
/// `username*`), `VOIPSEC_ERR_LIMIT` (longer than 256 bytes),
/// `VOIPSEC_ERR_NULL_POINTER`.
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_digest_username(
    authorization: *const u8,
    authorization_len: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> voipsec_status {
    catch(|| {
        if out_len.is_null() {
            return Err(voipsec_status::VOIPSEC_ERR_NULL_POINTER);
        }
        // SAFETY: the caller passes `authorization_len` readable bytes.
        let header = unsafe { boundary::bytes(authorization, authorization_len) }?;
        // SAFETY: the caller passes `cap` writable bytes at `buf`, distinct
        // from the header bytes.
        let buf = unsafe { boundary::bytes_mut(buf, cap) }?;
        let creds = Credentials::parse(header).map_err(|_| voipsec_status::VOIPSEC_ERR_PARSE)?;
        // The name the verifier authenticates (unescaped, or `username*`
        // decoded), so a C caller's lookups and policies key on it too.
        let mut scratch = [0u8; MAX_USERNAME_LEN];
        let name = creds.claimed_username(&mut scratch).map_err(|e| match e {
            DigestError::MissingParam { .. } => voipsec_status::VOIPSEC_ERR_NOT_FOUND,
            DigestError::ValueTooLong { .. } => voipsec_status::VOIPSEC_ERR_LIMIT,
            _ => voipsec_status::VOIPSEC_ERR_PARSE,
        })?;
        let fits = buf
            .get_mut(..name.len())
            .map(|dst| dst.copy_from_slice(name));
        // SAFETY: `out_len` is non-NULL and valid for a write (header contract).
        unsafe { boundary::write_out(out_len, name.len()) }?;
        fits.ok_or(voipsec_status::VOIPSEC_ERR_BUFFER_TOO_SMALL)
    })
}

/// Verifies an `Authorization` / `Proxy-Authorization` header value
/// (`authorization`, without the header name) for a request with `method`
/// and Request-URI `uri`, at the current time, with the secret the caller
/// looked up for `username` (see `voipsec_digest_username`): a password or an
/// HA1 (`secret_kind`).
///
/// Returns `VOIPSEC_OK` when authenticated and `VOIPSEC_ERR_AUTH_FAILED`
/// when refused; either way `*reason` (may be NULL) says why. Credentials
/// for another username than `username` are refused as
/// `VOIPSEC_DIGEST_REASON_UNKNOWN_USER`. Other errors:
/// `VOIPSEC_ERR_NULL_POINTER`, `VOIPSEC_ERR_INVALID_ARGUMENT` (unknown
/// `secret_kind`, HA1 not 32/64 hex digits, password over 255 bytes,
/// username over 256 bytes).
// Flat (pointer, length) pairs are the C calling convention here.
#[allow(clippy::too_many_arguments)]
#[unsafe(no_mangle)]
pub extern "C" fn voipsec_digest_verify(
    verifier: *const voipsec_digest_verifier,
    authorization: *const u8,
    authorization_len: usize,
    method: *const u8,
    method_len: usize,
    uri: *const u8,
    uri_len: usize,
    username: *const u8,
    username_len: usize,
    secret_kind: voipsec_digest_secret_kind,
    secret: *const u8,
    secret_len: usize,
    reason: *mut voipsec_digest_reason,
) -> voipsec_status {
    catch(|| {
        // SAFETY: a non-NULL `verifier` comes from voipsec_digest_verifier_new
        // and is not being freed concurrently.
        let handle = unsafe { boundary::handle(verifier) }?;
        // SAFETY (these five): the caller passes the stated number of
        // readable bytes at each pointer, only read during this call.
        let header = unsafe { boundary::bytes(authorization, authorization_len) }?;
        // SAFETY: see above.
        let method = unsafe { boundary::bytes(method, method_len) }?;
        // SAFETY: see above.
        let uri = unsafe { boundary::bytes(uri, uri_len) }?;
        // SAFETY: see above.
        let user = unsafe { boundary::bytes(username, username_len) }?;
        // SAFETY: see above.
        let secret = unsafe { boundary::bytes(secret, secret_len) }?;
        let invalid = voipsec_status::VOIPSEC_ERR_INVALID_ARGUMENT;
        let secret = match secret_kind {
            VOIPSEC_DIGEST_SECRET_PASSWORD => UserSecret::password(secret).ok_or(invalid)?,
            VOIPSEC_DIGEST_SECRET_HA1 => {
                UserSecret::ha1(&HexDigest::from_hex(secret).ok_or(invalid)?)
            }
            _ => return Err(invalid),
        };
        let mut caller = CallerSecret {
            username: [0; MAX_USERNAME_LEN],
            username_len: user.len(),
            secret,
        };
        caller
            .username
            .get_mut(..user.len())
            .ok_or(invalid)?
            .copy_from_slice(user);
        let request = DigestRequest {
            method,
            uri,
            body: b"",
            client: None,
        };
        let verdict = {
            let _scope = SecretScope::enter(caller);
            handle.verifier.verify(header, &request, unix_now())
        };
        if !reason.is_null() {
            // SAFETY: non-NULL and valid for a write (header contract).
            unsafe { boundary::write_out(reason, reason_of(&verdict)) }?;
        }
        if verdict.is_authenticated() {
            Ok(())
        } else {
            Err(voipsec_status::VOIPSEC_ERR_AUTH_FAILED)
        }
    })
}
