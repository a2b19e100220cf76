//! Topology hiding on the [`Editor`]: what an SBC does to a message
//! leaving the trusted network so that it names no internal host, and the
//! reverse for what comes back.
//!
//! * headers are stripped by a deny-list or an allow-list ([`HeaderFilter`]);
//! * a request's Via set becomes one Via at the public address, and every
//!   Record-Route set one entry at the public address; each carries the
//!   original set in one opaque parameter, sealed: AES-256-CTR encrypted
//!   (the addresses are hidden, not merely encoded) and authenticated
//!   with HMAC-SHA256 over the ciphertext, the set's kind and the Call-ID
//!   (encrypt-then-MAC; a seal cannot be forged, altered, or moved to
//!   another call or header);
//! * Contact hosts are replaced by the public address.
//!
//! [`restore_topology`] opens the seals in what comes back (the top Via of
//! a response, Record-Route in responses, Route in requests) and puts the
//! original sets back; any tampering is [`EditError::SealInvalid`].

use core::fmt;

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::BytesMut;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::address::{Contact, NameAddr};
use super::edit::{EditError, Editor};
use super::header::{Header, HeaderName};
use super::lexical::is_token_str;
use super::message::Message;
use super::normalize;
use super::uri::Uri;
use super::via::Via;

/// Largest set (bytes of header values) one seal can hold; the policy's
/// bound ([`TopologyPolicy::with_max_sealed`]) is at most this.
const MAX_SEALED: usize = 2048;
const VERSION: u8 = 1;
const IV_LEN: usize = 16;
/// HMAC-SHA256 truncated to 128 bits (RFC 2104 §5 allows truncation to
/// half the hash; 128 bits is the usual strength for a MAC tag).
const TAG_LEN: usize = 16;
const OVERHEAD: usize = 1 + IV_LEN + TAG_LEN;
/// Base64 text of the largest blob.
const MAX_TEXT: usize = (MAX_SEALED + OVERHEAD).div_ceil(3) * 4;
/// Room for one rebuilt Via or Record-Route value besides its seal.
const VALUE_ROOM: usize = 512;

/// Which set a seal holds: bound into the MAC, so that a Via seal is
/// refused where a Record-Route seal is expected and vice versa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SealKind {
    /// A request's Via set, top first.
    Via = 1,
    /// A request's Record-Route set, in order (restored in the
    /// Record-Route of responses and the Route of later requests).
    RecordRoute = 2,
    /// A response's internal Record-Route entries reversed: the route
    /// set as the outside UAC uses it (restored in Route only).
    RouteSet = 3,
}

/// The secret that seals and opens topology parameters: two 256-bit keys
/// (AES-256-CTR and HMAC-SHA256) derived from one master key. Zeroized on
/// drop; `Debug` prints nothing of it.
///
/// ```
/// use voipsec::sip::TopologyKey;
/// let key = TopologyKey::new(&[7u8; 32]); // shared by every SBC node
/// let fresh = TopologyKey::generate();     // or one per process
/// assert_eq!(format!("{key:?}"), "TopologyKey(<redacted>)");
/// # drop(fresh);
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TopologyKey {
    enc: [u8; 32],
    mac: [u8; 32],
}

impl fmt::Debug for TopologyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TopologyKey(<redacted>)")
    }
}

fn hmac(key: &[u8]) -> Result<Hmac<Sha256>, EditError> {
    // HMAC takes keys of any length: the error cannot happen.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| EditError::SealInvalid)
}

impl TopologyKey {
    /// Derives the keys from a 32-byte master key (HMAC-SHA256 of the
    /// master key over a label per use, RFC 5869 §2.3 with one block).
    pub fn new(master: &[u8; 32]) -> TopologyKey {
        let derive = |label: &[u8]| {
            let mut out = [0u8; 32];
            if let Ok(mut m) = hmac(master) {
                m.update(label);
                out.copy_from_slice(&m.finalize().into_bytes());
            }
            out
        };
        TopologyKey {
            enc: derive(b"voipsec topology hiding: encryption\x01"),
            mac: derive(b"voipsec topology hiding: authentication\x01"),
        }
    }

    /// A key from the OS-seeded CSPRNG (seals then open only in this process).
    pub fn generate() -> TopologyKey {
        let mut master = [0u8; 32];
        rand::fill(&mut master);
        let key = TopologyKey::new(&master);
        master.zeroize();
        key
    }

    fn tag(
        &self,
        kind: SealKind,
        call_id: &str,
        iv_and_ct: &[u8],
    ) -> Result<[u8; TAG_LEN], EditError> {
        let mut m = hmac(&self.mac)?;
        m.update(&[VERSION, kind as u8]);
        m.update(&(call_id.len() as u32).to_be_bytes());
        m.update(call_id.as_bytes());
        m.update(iv_and_ct);
        let full = m.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(full.get(..TAG_LEN).unwrap_or_default());
        Ok(tag)
    }

    fn keystream(&self, iv: &[u8], data: &mut [u8]) -> Result<(), EditError> {
        let mut c = Ctr128BE::<Aes256>::new_from_slices(&self.enc, iv)
            .map_err(|_| EditError::SealInvalid)?;
        c.apply_keystream(data);
        Ok(())
    }

    /// Seals `plain` into `out` as base64url text; returns its length.
    fn seal(
        &self,
        kind: SealKind,
        call_id: &str,
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<usize, EditError> {
        let n = plain.len();
        if n > MAX_SEALED {
            return Err(EditError::SealTooLarge {
                size: n,
                limit: MAX_SEALED,
            });
        }
        let mut blob = [0u8; MAX_SEALED + OVERHEAD];
        let (head, rest) = blob.split_at_mut(1 + IV_LEN);
        let ct = rest.get_mut(..n).unwrap_or_default();
        ct.copy_from_slice(plain);
        if let Some((version, iv)) = head.split_first_mut() {
            *version = VERSION;
            rand::fill(iv);
            self.keystream(iv, ct)?;
        }
        let tag = self.tag(
            kind,
            call_id,
            blob.get(1..1 + IV_LEN + n).unwrap_or_default(),
        )?;
        let end = 1 + IV_LEN + n;
        if let Some(dst) = blob.get_mut(end..end + TAG_LEN) {
            dst.copy_from_slice(&tag);
        }
        let len = URL_SAFE_NO_PAD
            .encode_slice(blob.get(..end + TAG_LEN).unwrap_or_default(), out)
            .map_err(|_| EditError::SealTooLarge {
                size: n,
                limit: MAX_SEALED,
            });
        blob.zeroize();
        len
    }

    /// Opens base64url `text`, sealed as one of `kinds`, into `out`;
    /// returns the plaintext length.
    fn open(
        &self,
        kinds: &[SealKind],
        call_id: &str,
        text: &[u8],
        out: &mut [u8],
    ) -> Result<usize, EditError> {
        let mut blob = [0u8; MAX_SEALED + OVERHEAD];
        if text.len() > MAX_TEXT {
            return Err(EditError::SealInvalid);
        }
        let len = URL_SAFE_NO_PAD
            .decode_slice(text, &mut blob)
            .map_err(|_| EditError::SealInvalid)?;
        let n = len.checked_sub(OVERHEAD).ok_or(EditError::SealInvalid)?;
        let body = blob.get(1..1 + IV_LEN + n).unwrap_or_default();
        let got = blob.get(1 + IV_LEN + n..len).unwrap_or_default();
        let mut authentic = subtle::Choice::from(0);
        for &kind in kinds {
            authentic |= self.tag(kind, call_id, body)?.ct_eq(got);
        }
        if !(bool::from(authentic) && blob.first() == Some(&VERSION)) {
            return Err(EditError::SealInvalid);
        }
        let plain = out.get_mut(..n).ok_or(EditError::SealInvalid)?;
        plain.copy_from_slice(blob.get(1 + IV_LEN..1 + IV_LEN + n).unwrap_or_default());
        self.keystream(blob.get(1..1 + IV_LEN).unwrap_or_default(), plain)?;
        blob.zeroize();
        Ok(n)
    }
}

/// Which headers leave the trusted network. Patterns compare
/// case-insensitively with the long name of known headers (compact forms
/// included) or the name as sent; a trailing `*` matches a prefix (`X-*`,
/// `P-*`). The headers topology hiding itself rewrites or that define the
/// dialog (Via, Route, Record-Route, From, To, Call-ID, CSeq, Contact,
/// Max-Forwards, Content-Length, Content-Type) are always kept.
///
/// ```
/// use voipsec::sip::HeaderFilter;
/// let deny = HeaderFilter::Deny(&["Server", "User-Agent", "X-*", "P-Asserted-Identity"]);
/// assert!(!deny.keeps("x-internal-id"));
/// assert!(deny.keeps("Subject"));
/// let allow = HeaderFilter::Allow(&["Allow", "Supported", "Content-*"]);
/// assert!(!allow.keeps("Subject") && allow.keeps("Content-Disposition") && allow.keeps("Via"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFilter<'p> {
    /// Keep everything except these.
    Deny(&'p [&'p str]),
    /// Keep only these (and the dialog headers).
    Allow(&'p [&'p str]),
}

impl HeaderFilter<'_> {
    /// The usual deny-list: what names software, versions and internal
    /// identities (RFC 3325 `P-*` headers must not leave the trust domain).
    pub const DEFAULT_DENY: HeaderFilter<'static> = HeaderFilter::Deny(&[
        "Server",
        "User-Agent",
        "Organization",
        "Warning",
        "X-*",
        "P-*",
    ]);

    /// True when a field with this name passes the filter.
    pub fn keeps(&self, name: &str) -> bool {
        let kind = HeaderName::from_bytes(name.as_bytes());
        if is_dialog_header(kind) {
            return true;
        }
        let name = normalize::canonical_name(name);
        let hit = |patterns: &[&str]| {
            patterns.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => name
                    .get(..prefix.len())
                    .is_some_and(|n| n.eq_ignore_ascii_case(prefix)),
                None => name.eq_ignore_ascii_case(p),
            })
        };
        match self {
            HeaderFilter::Deny(patterns) => !hit(patterns),
            HeaderFilter::Allow(patterns) => hit(patterns),
        }
    }
}

fn is_dialog_header(kind: HeaderName) -> bool {
    matches!(
        kind,
        HeaderName::Via
            | HeaderName::Route
            | HeaderName::RecordRoute
            | HeaderName::From
            | HeaderName::To
            | HeaderName::CallId
            | HeaderName::CSeq
            | HeaderName::Contact
            | HeaderName::MaxForwards
            | HeaderName::ContentLength
            | HeaderName::ContentType
    )
}

/// How to hide: the public address, the filter, the name and bound of the
/// sealed parameter.
///
/// ```
/// use voipsec::sip::{HeaderFilter, TopologyPolicy};
/// let policy = TopologyPolicy::new("203.0.113.10:5060")?
///     .with_filter(HeaderFilter::Deny(&["User-Agent", "X-*"]))
///     .with_param("th")?;
/// assert_eq!(policy.public_address(), "203.0.113.10:5060");
/// assert!(TopologyPolicy::new("not an address").is_err());
/// # Ok::<(), voipsec::sip::EditError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopologyPolicy<'p> {
    public: &'p str,
    filter: HeaderFilter<'p>,
    param: &'p str,
    max_sealed: usize,
}

impl<'p> TopologyPolicy<'p> {
    /// A policy for the public `host[:port]` (IPv6 in brackets), with
    /// [`HeaderFilter::DEFAULT_DENY`], parameter `vsth` and a 1024-byte
    /// bound on each sealed set.
    pub fn new(public_address: &'p str) -> Result<Self, EditError> {
        let mut text = [0u8; VALUE_ROOM];
        let mut w = SliceWriter::new(&mut text);
        w.put(b"sip:");
        w.put(public_address.as_bytes());
        let uri =
            core::str::from_utf8(w.done()?).map_err(|_| EditError::InvalidValue { offset: 0 })?;
        let parsed = Uri::parse(uri)?;
        if parsed.host_port_range() != Some(4..uri.len()) {
            return Err(EditError::InvalidValue { offset: 0 });
        }
        Ok(TopologyPolicy {
            public: public_address,
            filter: HeaderFilter::DEFAULT_DENY,
            param: "vsth",
            max_sealed: 1024,
        })
    }

    /// Uses this header filter.
    pub fn with_filter(mut self, filter: HeaderFilter<'p>) -> Self {
        self.filter = filter;
        self
    }

    /// Names the sealed parameter (a token).
    pub fn with_param(mut self, name: &'p str) -> Result<Self, EditError> {
        if !is_token_str(name.as_bytes()) {
            return Err(EditError::InvalidName);
        }
        self.param = name;
        Ok(self)
    }

    /// Bounds each sealed set to `bytes` (at most 2048): the sealed
    /// parameter is then at most about 4/3 of that.
    pub fn with_max_sealed(mut self, bytes: usize) -> Self {
        self.max_sealed = bytes.min(MAX_SEALED);
        self
    }

    /// The public `host[:port]`.
    pub fn public_address(&self) -> &'p str {
        self.public
    }
}

/// Writes into a fixed slice; remembers overflow instead of failing each call.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: bool,
}

impl<'b> SliceWriter<'b> {
    fn new(buf: &'b mut [u8]) -> Self {
        SliceWriter {
            buf,
            len: 0,
            overflow: false,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
    }

    /// Room left, for writing in place.
    fn spare(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.len..).unwrap_or_default()
    }

    fn advance(&mut self, n: usize) {
        self.len += n;
    }

    fn done(self) -> Result<&'b [u8], EditError> {
        if self.overflow {
            return Err(EditError::SealTooLarge {
                size: self.len,
                limit: self.buf.len(),
            });
        }
        Ok(self.buf.get(..self.len).unwrap_or_default())
    }
}

/// Takes the first `n` bytes off `free` as an immutable slice.
fn take<'x>(free: &mut &'x mut [u8], n: usize) -> &'x [u8] {
    let all = core::mem::take(free);
    let (used, rest) = all.split_at_mut(n.min(all.len()));
    *free = rest;
    used
}

/// The values of every field of `kind`, unfolded, joined with `, `.
fn collect_set(
    msg: &Message<'_>,
    kind: HeaderName,
    limit: usize,
    out: &mut [u8],
) -> Result<usize, EditError> {
    let mut w = SliceWriter::new(out.get_mut(..limit).unwrap_or_default());
    for (k, h) in msg.headers_of(kind).enumerate() {
        if k > 0 {
            w.put(b", ");
        }
        normalize::unfold(h.value(), |b| w.put(b));
    }
    let n = w.len;
    w.done()
        .map_err(|_| EditError::SealTooLarge { size: n, limit })?;
    Ok(n)
}

/// Hides the topology of `msg` (a message leaving the trusted network)
/// and writes the result at the end of `out`; returns the bytes written.
///
/// Strips headers by the policy's filter; in a request, replaces the Via
/// set with one Via at the public address (transport and branch of the
/// top Via kept) carrying the sealed set; replaces every Record-Route set
/// with `<sip:PUBLIC;lr;PARAM=SEAL>`; replaces Contact hosts with the
/// public address. Allocates nothing when `out` has the capacity (the
/// CSPRNG of the first call on a thread aside).
///
/// ```
/// use bytes::BytesMut;
/// use voipsec::sip::{Message, TopologyKey, TopologyPolicy, hide_topology, restore_topology};
/// let key = TopologyKey::new(&[42u8; 32]);
/// let policy = TopologyPolicy::new("203.0.113.10")?;
/// let invite = b"INVITE sip:bob@example.net SIP/2.0\r\n\
/// Via: SIP/2.0/UDP 10.1.1.5:5060;branch=z9hG4bKa1\r\n\
/// Via: SIP/2.0/UDP 10.1.1.2;branch=z9hG4bKa0\r\n\
/// Record-Route: <sip:10.1.1.5;lr>\r\n\
/// From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.net>\r\n\
/// Call-ID: c1@pbx\r\nCSeq: 1 INVITE\r\nMax-Forwards: 69\r\n\
/// Contact: <sip:alice@10.1.1.2:5060>\r\nUser-Agent: PBX 4.2\r\n\r\n";
/// let mut out = BytesMut::with_capacity(2048);
/// hide_topology(&Message::parse(invite)?, &policy, &key, &mut out)?;
/// let hidden = Message::parse(&out)?;
/// assert!(!out.windows(5).any(|w| w == b"10.1."));
/// assert_eq!(hidden.top_via()?.branch(), Some("z9hG4bKa1"));
/// assert!(hidden.user_agent().is_none());
///
/// // The answer comes back through the public Via and Record-Route.
/// let mut ok = b"SIP/2.0 200 OK\r\n".to_vec();
/// for h in hidden.headers().filter(|h| h.name() != "Max-Forwards") {
///     ok.extend_from_slice(&out[h.line_range()]);
/// }
/// ok.extend_from_slice(b"\r\n");
/// let mut back = BytesMut::with_capacity(2048);
/// restore_topology(&Message::parse(&ok)?, &policy, &key, &mut back)?;
/// let restored = Message::parse(&back)?;
/// let vias: Vec<_> = restored.vias().map(|v| v.map(|v| v.branch())).collect::<Result<_, _>>()?;
/// assert_eq!(vias, [Some("z9hG4bKa1"), Some("z9hG4bKa0")]);
/// assert_eq!(restored.record_routes().next().unwrap()?.uri().as_str(), "sip:10.1.1.5;lr");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hide_topology(
    msg: &Message<'_>,
    policy: &TopologyPolicy<'_>,
    key: &TopologyKey,
    out: &mut BytesMut,
) -> Result<usize, EditError> {
    let call_id = msg.call_id()?;
    let mut arena = [0u8; 2 * (MAX_TEXT + VALUE_ROOM)];
    let mut plain = [0u8; MAX_SEALED];
    let mut free: &mut [u8] = &mut arena;
    let mut ed = Editor::new(msg);
    for (i, h) in msg.headers().enumerate() {
        if !policy.filter.keeps(h.name()) {
            ed.remove(i)?;
        }
    }
    if msg.is_request()
        && let Some(first) = msg.headers().position(|h| h.kind() == HeaderName::Via)
    {
        let top = msg.top_via()?;
        let n = collect_set(msg, HeaderName::Via, policy.max_sealed, &mut plain)?;
        let mut w = SliceWriter::new(&mut *free);
        w.put(b"SIP/2.0/");
        w.put(top.transport().as_bytes());
        w.put(b" ");
        w.put(policy.public.as_bytes());
        if let Some(branch) = top.branch() {
            w.put(b";branch=");
            w.put(branch.as_bytes());
        }
        put_seal(
            &mut w,
            policy,
            key,
            SealKind::Via,
            call_id,
            plain.get(..n).unwrap_or_default(),
        )?;
        let len = w.len;
        w.done()?;
        let value = take(&mut free, len);
        ed.remove_all(HeaderName::Via)?;
        ed.insert_before(first, "Via", value)?;
    }
    if let Some(first) = msg
        .headers()
        .position(|h| h.kind() == HeaderName::RecordRoute)
    {
        let entries = || {
            msg.headers_of(HeaderName::RecordRoute)
                .flat_map(|h| h.values())
        };
        // A request's whole set is internal. In a response the internal
        // entries are those above the SBC's own (public) entry, in the
        // order the outside UAC will use them (reversed, RFC 3261
        // §12.1.2); the SBC's entry and those below stay as they are.
        let (internal, kind) = if msg.is_request() {
            (entries().count(), SealKind::RecordRoute)
        } else {
            let own = entries().position(|e| is_public_entry(e, policy.public));
            (own.unwrap_or(entries().count()), SealKind::RouteSet)
        };
        if internal > 0 {
            let mut set = SliceWriter::new(plain.get_mut(..policy.max_sealed).unwrap_or_default());
            for k in 0..internal {
                let j = if kind == SealKind::RouteSet {
                    internal - 1 - k
                } else {
                    k
                };
                if k > 0 {
                    set.put(b", ");
                }
                normalize::unfold(entries().nth(j).unwrap_or("").as_bytes(), |b| set.put(b));
            }
            let n = set.len;
            set.done().map_err(|_| EditError::SealTooLarge {
                size: n,
                limit: policy.max_sealed,
            })?;
            let mut w = SliceWriter::new(&mut *free);
            w.put(b"<sip:");
            w.put(policy.public.as_bytes());
            w.put(b";lr");
            put_seal(
                &mut w,
                policy,
                key,
                kind,
                call_id,
                plain.get(..n).unwrap_or_default(),
            )?;
            w.put(b">");
            let len = w.len;
            w.done()?;
            let sealed = take(&mut free, len);
            let mut w = SliceWriter::new(&mut *free);
            for (k, e) in entries().skip(internal).enumerate() {
                if k > 0 {
                    w.put(b", ");
                }
                normalize::unfold(e.as_bytes(), |b| w.put(b));
            }
            let len = w.len;
            w.done()?;
            let kept = take(&mut free, len);
            ed.remove_all(HeaderName::RecordRoute)?;
            ed.insert_before(first, "Record-Route", sealed)?;
            if !kept.is_empty() {
                ed.insert_before(first, "Record-Route", kept)?;
            }
        }
    }
    plain.zeroize();
    for h in msg.headers_of(HeaderName::Contact) {
        let mut values = h.values();
        while let Some((at, v)) = values.next_with_offset() {
            if let Contact::Address(a) = Contact::parse(v).map_err(|e| e.shifted(at))?
                && let Some(r) = a.uri().host_port_range()
            {
                let uri_at = at + offset_in(v, a.uri().as_str()).ok_or(EditError::SealInvalid)?;
                ed.splice(uri_at + r.start..uri_at + r.end, policy.public.as_bytes())?;
            }
        }
    }
    ed.write(out)
}

/// True when the name-addr `entry` points at the public address.
fn is_public_entry(entry: &str, public: &str) -> bool {
    NameAddr::parse(entry).is_ok_and(|a| {
        let uri = a.uri();
        uri.host_port_range()
            .and_then(|r| uri.as_str().get(r))
            .is_some_and(|hp| hp.eq_ignore_ascii_case(public))
    })
}

/// Appends `;PARAM=SEAL` to `w`.
fn put_seal(
    w: &mut SliceWriter<'_>,
    policy: &TopologyPolicy<'_>,
    key: &TopologyKey,
    kind: SealKind,
    call_id: &str,
    set: &[u8],
) -> Result<(), EditError> {
    w.put(b";");
    w.put(policy.param.as_bytes());
    w.put(b"=");
    let n = key.seal(kind, call_id, set, w.spare())?;
    w.advance(n);
    Ok(())
}

/// Offset of `inner` in `outer` when `inner` is a sub-slice of it.
fn offset_in(outer: &str, inner: &str) -> Option<usize> {
    let at = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (at + inner.len() <= outer.len()).then_some(at)
}

/// Restores what [`hide_topology`] sealed, in a message coming back from
/// the public side: the top Via of a response, the Record-Route entries
/// of a response and the Route entries of a request that carry the
/// sealed parameter are replaced by the sets they hold. Writes the result
/// at the end of `out` and returns the bytes written. A seal that does
/// not authenticate (forged, altered, another key, another Call-ID) is
/// [`EditError::SealInvalid`]: drop the message.
pub fn restore_topology(
    msg: &Message<'_>,
    policy: &TopologyPolicy<'_>,
    key: &TopologyKey,
    out: &mut BytesMut,
) -> Result<usize, EditError> {
    let call_id = msg.call_id()?;
    let mut arena = [0u8; 2 * MAX_SEALED];
    let mut free: &mut [u8] = &mut arena;
    let mut ed = Editor::new(msg);
    if !msg.is_request()
        && let Some(h) = msg.header(HeaderName::Via)
    {
        let mut values = h.values();
        if let Some((at, v)) = values.next_with_offset()
            && let Some(seal) = Via::parse(v)
                .map_err(|e| e.shifted(at))?
                .params()
                .value(policy.param)
        {
            let n = key.open(&[SealKind::Via], call_id, seal.as_bytes(), free)?;
            ed.splice(at..at + v.len(), take(&mut free, n))?;
        }
    }
    let route_kind = if msg.is_request() {
        HeaderName::Route
    } else {
        HeaderName::RecordRoute
    };
    for h in msg.headers_of(route_kind) {
        restore_routes(&h, policy, key, call_id, &mut free, &mut ed)?;
    }
    ed.write(out)
}

fn restore_routes<'e>(
    h: &Header<'_>,
    policy: &TopologyPolicy<'_>,
    key: &TopologyKey,
    call_id: &str,
    free: &mut &'e mut [u8],
    ed: &mut Editor<'_, '_, 'e>,
) -> Result<(), EditError> {
    let mut values = h.values();
    while let Some((at, v)) = values.next_with_offset() {
        let entry = NameAddr::parse(v).map_err(|e| e.shifted(at))?;
        if let Some(seal) = entry.uri().params().value(policy.param) {
            let kinds: &[SealKind] = if h.kind() == HeaderName::Route {
                &[SealKind::RecordRoute, SealKind::RouteSet]
            } else {
                &[SealKind::RecordRoute]
            };
            let n = key.open(kinds, call_id, seal.as_bytes(), free)?;
            ed.splice(at..at + v.len(), take(free, n))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bit_flip_is_detected() {
        let key = TopologyKey::new(&[1; 32]);
        let mut text = [0u8; MAX_TEXT];
        let n = key
            .seal(
                SealKind::Via,
                "c@h",
                b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1",
                &mut text,
            )
            .unwrap();
        let mut blob = [0u8; MAX_SEALED + OVERHEAD];
        let len = URL_SAFE_NO_PAD.decode_slice(&text[..n], &mut blob).unwrap();
        let mut plain = [0u8; MAX_SEALED];
        let m = key
            .open(&[SealKind::Via], "c@h", &text[..n], &mut plain)
            .unwrap();
        assert_eq!(&plain[..m], b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1");
        for bit in 0..len * 8 {
            let mut flipped = blob;
            flipped[bit / 8] ^= 1 << (bit % 8);
            let mut t = [0u8; MAX_TEXT];
            let m = URL_SAFE_NO_PAD
                .encode_slice(&flipped[..len], &mut t)
                .unwrap();
            assert_eq!(
                key.open(&[SealKind::Via], "c@h", &t[..m], &mut plain),
                Err(EditError::SealInvalid),
                "bit {bit}"
            );
        }
        // Bound to the kind, the call and the key.
        let open = |k: &TopologyKey, kind, call| {
            let mut p = [0u8; MAX_SEALED];
            k.open(&[kind], call, &text[..n], &mut p)
        };
        assert!(open(&key, SealKind::RecordRoute, "c@h").is_err());
        assert!(open(&key, SealKind::Via, "d@h").is_err());
        assert!(open(&TopologyKey::new(&[2; 32]), SealKind::Via, "c@h").is_err());
        // Truncated or empty seals.
        assert!(
            key.open(&[SealKind::Via], "c@h", &text[..n - 1], &mut plain)
                .is_err()
        );
        assert!(key.open(&[SealKind::Via], "c@h", b"", &mut plain).is_err());
    }

    #[test]
    fn seals_hide_the_plaintext_and_differ_per_call() {
        let key = TopologyKey::generate();
        let (mut a, mut b) = ([0u8; MAX_TEXT], [0u8; MAX_TEXT]);
        let n = key.seal(SealKind::Via, "c", b"10.0.0.1", &mut a).unwrap();
        let m = key.seal(SealKind::Via, "c", b"10.0.0.1", &mut b).unwrap();
        assert_ne!(a[..n], b[..m], "fresh IV per seal");
        assert!(!a[..n].windows(4).any(|w| w == b"10.0"));
        let big = [b'a'; MAX_SEALED + 1];
        assert!(matches!(
            key.seal(SealKind::Via, "c", &big, &mut a),
            Err(EditError::SealTooLarge { .. })
        ));
    }
}
