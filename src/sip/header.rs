//! Header names (long and compact forms), the one-pass header index, and
//! the raw view of one header field.

use core::ops::Range;

use super::lexical::Split;
/// A header field name: the known names of RFC 3261 and its extensions,
/// each matching its long and (where defined) compact form, or [`HeaderName::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum HeaderName {
    /// `Accept`.
    Accept,
    /// `Accept-Contact` (compact `a`).
    AcceptContact,
    /// `Accept-Encoding`.
    AcceptEncoding,
    /// `Accept-Language`.
    AcceptLanguage,
    /// `Alert-Info`.
    AlertInfo,
    /// `Allow`.
    Allow,
    /// `Allow-Events` (compact `u`).
    AllowEvents,
    /// `Authentication-Info`.
    AuthenticationInfo,
    /// `Authorization`.
    Authorization,
    /// `Call-ID` (compact `i`).
    CallId,
    /// `Call-Info`.
    CallInfo,
    /// `Contact` (compact `m`).
    Contact,
    /// `Content-Disposition`.
    ContentDisposition,
    /// `Content-Encoding` (compact `e`).
    ContentEncoding,
    /// `Content-Language`.
    ContentLanguage,
    /// `Content-Length` (compact `l`).
    ContentLength,
    /// `Content-Type` (compact `c`).
    ContentType,
    /// `CSeq`.
    CSeq,
    /// `Date`.
    Date,
    /// `Error-Info`.
    ErrorInfo,
    /// `Event` (compact `o`).
    Event,
    /// `Expires`.
    Expires,
    /// `From` (compact `f`).
    From,
    /// `Identity` (compact `y`).
    Identity,
    /// `Identity-Info` (compact `n`).
    IdentityInfo,
    /// `In-Reply-To`.
    InReplyTo,
    /// `Max-Forwards`.
    MaxForwards,
    /// `MIME-Version`.
    MimeVersion,
    /// `Min-Expires`.
    MinExpires,
    /// `Min-SE`.
    MinSe,
    /// `Organization`.
    Organization,
    /// `Path`.
    Path,
    /// `Priority`.
    Priority,
    /// `Proxy-Authenticate`.
    ProxyAuthenticate,
    /// `Proxy-Authorization`.
    ProxyAuthorization,
    /// `Proxy-Require`.
    ProxyRequire,
    /// `RAck`.
    RAck,
    /// `Reason`.
    Reason,
    /// `Record-Route`.
    RecordRoute,
    /// `Refer-To` (compact `r`).
    ReferTo,
    /// `Referred-By` (compact `b`).
    ReferredBy,
    /// `Reject-Contact` (compact `j`).
    RejectContact,
    /// `Reply-To`.
    ReplyTo,
    /// `Request-Disposition` (compact `d`).
    RequestDisposition,
    /// `Require`.
    Require,
    /// `Retry-After`.
    RetryAfter,
    /// `Route`.
    Route,
    /// `RSeq`.
    RSeq,
    /// `Server`.
    Server,
    /// `Service-Route`.
    ServiceRoute,
    /// `Session-Expires` (compact `x`).
    SessionExpires,
    /// `Subject` (compact `s`).
    Subject,
    /// `Subscription-State`.
    SubscriptionState,
    /// `Supported` (compact `k`).
    Supported,
    /// `Timestamp`.
    Timestamp,
    /// `To` (compact `t`).
    To,
    /// `Unsupported`.
    Unsupported,
    /// `User-Agent`.
    UserAgent,
    /// `Via` (compact `v`).
    Via,
    /// `Warning`.
    Warning,
    /// `WWW-Authenticate`.
    WwwAuthenticate,
    /// Any other name (compare the raw name).
    Other,
}

impl HeaderName {
    /// Every known name, in alphabetical order of the long name.
    pub const ALL: [HeaderName; 61] = [
        HeaderName::Accept,
        HeaderName::AcceptContact,
        HeaderName::AcceptEncoding,
        HeaderName::AcceptLanguage,
        HeaderName::AlertInfo,
        HeaderName::Allow,
        HeaderName::AllowEvents,
        HeaderName::AuthenticationInfo,
        HeaderName::Authorization,
        HeaderName::CallId,
        HeaderName::CallInfo,
        HeaderName::Contact,
        HeaderName::ContentDisposition,
        HeaderName::ContentEncoding,
        HeaderName::ContentLanguage,
        HeaderName::ContentLength,
        HeaderName::ContentType,
        HeaderName::CSeq,
        HeaderName::Date,
        HeaderName::ErrorInfo,
        HeaderName::Event,
        HeaderName::Expires,
        HeaderName::From,
        HeaderName::Identity,
        HeaderName::IdentityInfo,
        HeaderName::InReplyTo,
        HeaderName::MaxForwards,
        HeaderName::MimeVersion,
        HeaderName::MinExpires,
        HeaderName::MinSe,
        HeaderName::Organization,
        HeaderName::Path,
        HeaderName::Priority,
        HeaderName::ProxyAuthenticate,
        HeaderName::ProxyAuthorization,
        HeaderName::ProxyRequire,
        HeaderName::RAck,
        HeaderName::Reason,
        HeaderName::RecordRoute,
        HeaderName::ReferTo,
        HeaderName::ReferredBy,
        HeaderName::RejectContact,
        HeaderName::ReplyTo,
        HeaderName::RequestDisposition,
        HeaderName::Require,
        HeaderName::RetryAfter,
        HeaderName::Route,
        HeaderName::RSeq,
        HeaderName::Server,
        HeaderName::ServiceRoute,
        HeaderName::SessionExpires,
        HeaderName::Subject,
        HeaderName::SubscriptionState,
        HeaderName::Supported,
        HeaderName::Timestamp,
        HeaderName::To,
        HeaderName::Unsupported,
        HeaderName::UserAgent,
        HeaderName::Via,
        HeaderName::Warning,
        HeaderName::WwwAuthenticate,
    ];

    /// The canonical long name (`Call-ID`, `CSeq`, `WWW-Authenticate`...); `""` for `Other`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderName::Accept => "Accept",
            HeaderName::AcceptContact => "Accept-Contact",
            HeaderName::AcceptEncoding => "Accept-Encoding",
            HeaderName::AcceptLanguage => "Accept-Language",
            HeaderName::AlertInfo => "Alert-Info",
            HeaderName::Allow => "Allow",
            HeaderName::AllowEvents => "Allow-Events",
            HeaderName::AuthenticationInfo => "Authentication-Info",
            HeaderName::Authorization => "Authorization",
            HeaderName::CallId => "Call-ID",
            HeaderName::CallInfo => "Call-Info",
            HeaderName::Contact => "Contact",
            HeaderName::ContentDisposition => "Content-Disposition",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::ContentLanguage => "Content-Language",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::CSeq => "CSeq",
            HeaderName::Date => "Date",
            HeaderName::ErrorInfo => "Error-Info",
            HeaderName::Event => "Event",
            HeaderName::Expires => "Expires",
            HeaderName::From => "From",
            HeaderName::Identity => "Identity",
            HeaderName::IdentityInfo => "Identity-Info",
            HeaderName::InReplyTo => "In-Reply-To",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::MimeVersion => "MIME-Version",
            HeaderName::MinExpires => "Min-Expires",
            HeaderName::MinSe => "Min-SE",
            HeaderName::Organization => "Organization",
            HeaderName::Path => "Path",
            HeaderName::Priority => "Priority",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::RAck => "RAck",
            HeaderName::Reason => "Reason",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::ReferredBy => "Referred-By",
            HeaderName::RejectContact => "Reject-Contact",
            HeaderName::ReplyTo => "Reply-To",
            HeaderName::RequestDisposition => "Request-Disposition",
            HeaderName::Require => "Require",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::Route => "Route",
            HeaderName::RSeq => "RSeq",
            HeaderName::Server => "Server",
            HeaderName::ServiceRoute => "Service-Route",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::Subject => "Subject",
            HeaderName::SubscriptionState => "Subscription-State",
            HeaderName::Supported => "Supported",
            HeaderName::Timestamp => "Timestamp",
            HeaderName::To => "To",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Via => "Via",
            HeaderName::Warning => "Warning",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::Other => "",
        }
    }

    /// [`HeaderName::as_str`] as bytes by one table load (the `match`
    /// compiles to a jump per call): what the normalizer compares every
    /// name with.
    #[inline]
    pub(crate) fn long_name(self) -> &'static [u8] {
        LONG_NAMES.get(self as usize).copied().unwrap_or_default()
    }

    /// The compact form (RFC 3261 §7.3.3 and the extensions that define one).
    pub const fn compact(self) -> Option<u8> {
        match self {
            HeaderName::AcceptContact => Some(b'a'),
            HeaderName::AllowEvents => Some(b'u'),
            HeaderName::CallId => Some(b'i'),
            HeaderName::Contact => Some(b'm'),
            HeaderName::ContentEncoding => Some(b'e'),
            HeaderName::ContentLength => Some(b'l'),
            HeaderName::ContentType => Some(b'c'),
            HeaderName::Event => Some(b'o'),
            HeaderName::From => Some(b'f'),
            HeaderName::Identity => Some(b'y'),
            HeaderName::IdentityInfo => Some(b'n'),
            HeaderName::ReferTo => Some(b'r'),
            HeaderName::ReferredBy => Some(b'b'),
            HeaderName::RejectContact => Some(b'j'),
            HeaderName::RequestDisposition => Some(b'd'),
            HeaderName::SessionExpires => Some(b'x'),
            HeaderName::Subject => Some(b's'),
            HeaderName::Supported => Some(b'k'),
            HeaderName::To => Some(b't'),
            HeaderName::Via => Some(b'v'),
            _ => None,
        }
    }

    /// True for headers whose grammar is a comma-separated list
    /// (`#element`), so several fields may be combined into one (RFC 3261 §7.3.1).
    pub const fn is_list(self) -> bool {
        matches!(
            self,
            HeaderName::Accept
                | HeaderName::AcceptContact
                | HeaderName::AcceptEncoding
                | HeaderName::AcceptLanguage
                | HeaderName::AlertInfo
                | HeaderName::Allow
                | HeaderName::AllowEvents
                | HeaderName::CallInfo
                | HeaderName::Contact
                | HeaderName::ContentEncoding
                | HeaderName::ContentLanguage
                | HeaderName::ErrorInfo
                | HeaderName::InReplyTo
                | HeaderName::Path
                | HeaderName::ProxyRequire
                | HeaderName::Reason
                | HeaderName::RecordRoute
                | HeaderName::RejectContact
                | HeaderName::RequestDisposition
                | HeaderName::Require
                | HeaderName::Route
                | HeaderName::ServiceRoute
                | HeaderName::Supported
                | HeaderName::Unsupported
                | HeaderName::Via
                | HeaderName::Warning
        )
    }

    /// Classifies a raw header name, case-insensitively, compact forms included.
    ///
    /// ```
    /// use voipsec::sip::HeaderName;
    /// assert_eq!(HeaderName::from_bytes(b"v"), HeaderName::Via);
    /// assert_eq!(HeaderName::from_bytes(b"cALL-iD"), HeaderName::CallId);
    /// assert_eq!(HeaderName::from_bytes(b"X-Foo"), HeaderName::Other);
    /// ```
    #[inline]
    pub fn from_bytes(name: &[u8]) -> HeaderName {
        // Folding with 0x20 is exact for token bytes; of the others only CR
        // folds onto a byte of a known name ('-').
        if name.contains(&b'\r') {
            return HeaderName::Other;
        }
        Self::from_token(name)
    }

    /// [`HeaderName::from_bytes`] for a name already checked to be a
    /// `token` (the parser's case): no CR can be in it.
    #[inline]
    pub(crate) fn from_token(name: &[u8]) -> HeaderName {
        // Long names by hash slot and one compare of the name case-folded
        // into three words: no allocation.
        if name.is_empty() || name.len() > 24 {
            return HeaderName::Other;
        }
        // Zero-padded into three words: the key masks off the padding.
        let mut padded = [0u8; 24];
        if let Some(dst) = padded.get_mut(..name.len()) {
            dst.copy_from_slice(name);
        }
        let word =
            |at: usize| crate::swar::array_at::<8>(&padded, at).map_or(0, u64::from_le_bytes);
        Self::from_name_words(name.len(), [word(0), word(8), word(16)])
    }

    /// The kind of a one-byte (compact) name, case-insensitively.
    #[inline]
    fn from_compact(byte: u8) -> HeaderName {
        match byte | 0x20 {
            b'a' => HeaderName::AcceptContact,
            b'u' => HeaderName::AllowEvents,
            b'i' => HeaderName::CallId,
            b'm' => HeaderName::Contact,
            b'e' => HeaderName::ContentEncoding,
            b'l' => HeaderName::ContentLength,
            b'c' => HeaderName::ContentType,
            b'o' => HeaderName::Event,
            b'f' => HeaderName::From,
            b'y' => HeaderName::Identity,
            b'n' => HeaderName::IdentityInfo,
            b'r' => HeaderName::ReferTo,
            b'b' => HeaderName::ReferredBy,
            b'j' => HeaderName::RejectContact,
            b'd' => HeaderName::RequestDisposition,
            b'x' => HeaderName::SessionExpires,
            b's' => HeaderName::Subject,
            b'k' => HeaderName::Supported,
            b't' => HeaderName::To,
            b'v' => HeaderName::Via,
            _ => HeaderName::Other,
        }
    }

    /// Classifies a name of `len` (1..=24) bytes, given the little-endian
    /// words at its offsets 0, 8 and 16 (bytes past `len` are ignored, words
    /// wholly past it may hold anything): the parser's path, which has
    /// already loaded those words while looking for the colon.
    ///
    /// The name must hold no CR (the only byte besides the letters and `-`
    /// of a known name that case-folds onto one of them).
    #[inline(always)]
    pub(crate) fn from_name_words(len: usize, words: [u64; 3]) -> HeaderName {
        if len == 1 {
            return Self::from_compact(words[0] as u8);
        }
        if !(2..=24).contains(&len) {
            return HeaderName::Other;
        }
        // One branch on the length (the common names fit one word), the
        // same key as `name_key`.
        let mask = |w: u64, k: usize| (w | FOLD) & (u64::MAX >> (64 - 8 * k));
        let key = if len <= 8 {
            [mask(words[0], len), 0, 0]
        } else if len <= 16 {
            [words[0] | FOLD, mask(words[1], len - 8), 0]
        } else {
            [words[0] | FOLD, words[1] | FOLD, mask(words[2], len - 16)]
        };
        // One slot of a collision-free hash of the folded key, then one
        // compare of key and length: equal length plus equal key means
        // equal names (every byte is covered by the key).
        let i = KNOWN_NAMES
            .slots
            .get(name_slot(len, key))
            .copied()
            .unwrap_or(u8::MAX);
        let (Some(&kind), Some(k), Some(&known_len)) = (
            HeaderName::ALL.get(usize::from(i)),
            KNOWN_NAMES.keys.get(usize::from(i)),
            KNOWN_NAMES.lens.get(usize::from(i)),
        ) else {
            return HeaderName::Other;
        };
        // Word by word with `&&`: a vectorised compare of the key array
        // would reload it from the stack and stall on store forwarding.
        if usize::from(known_len) == len && k[0] == key[0] && k[1] == key[1] && k[2] == key[2] {
            kind
        } else {
            HeaderName::Other
        }
    }
}

/// [`HeaderName::as_str`] of every known name, by discriminant.
static LONG_NAMES: [&[u8]; HeaderName::ALL.len()] = long_names();

// Only ever evaluated at compile time (a static): a bad index, or a name
// out of discriminant order in `ALL`, fails the build, never a run.
#[allow(clippy::indexing_slicing)]
const fn long_names() -> [&'static [u8]; HeaderName::ALL.len()] {
    let mut table: [&[u8]; HeaderName::ALL.len()] = [b""; HeaderName::ALL.len()];
    let mut i = 0;
    while i < HeaderName::ALL.len() {
        assert!(HeaderName::ALL[i] as usize == i);
        table[i] = HeaderName::ALL[i].as_str().as_bytes();
        i += 1;
    }
    table
}

/// Multiplier of the name hash: chosen (by search) so that the 61 known
/// long names land in 61 distinct slots of 256; the unit test that
/// resolves every name fails if a name is added that collides.
const NAME_HASH: u64 = 0x6f65_516f_f5fc_31c5;

/// The slot of a folded name key in [`KNOWN_NAMES`].
#[inline]
const fn name_slot(len: usize, key: [u64; 3]) -> usize {
    let x = key[0] ^ key[1].rotate_left(21) ^ key[2].rotate_left(43) ^ len as u64;
    (x.wrapping_mul(NAME_HASH) >> 56) as usize
}

/// The long names of [`HeaderName::ALL`] by hash slot, with their folded
/// keys and lengths, built at compile time from [`HeaderName::as_str`].
struct KnownNames {
    /// Index into `ALL` per slot, `u8::MAX` when empty.
    slots: [u8; 256],
    keys: [[u64; 3]; HeaderName::ALL.len()],
    lens: [u8; HeaderName::ALL.len()],
}

static KNOWN_NAMES: KnownNames = known_names();

// Only ever evaluated at compile time (a static): a bad index would fail
// the build, never a run.
#[allow(clippy::indexing_slicing)]
const fn known_names() -> KnownNames {
    let mut table = KnownNames {
        slots: [u8::MAX; 256],
        keys: [[0; 3]; HeaderName::ALL.len()],
        lens: [0; HeaderName::ALL.len()],
    };
    let mut i = 0;
    while i < HeaderName::ALL.len() {
        let name = HeaderName::ALL[i].as_str().as_bytes();
        let key = name_key_const(name);
        table.keys[i] = key;
        table.lens[i] = name.len() as u8;
        table.slots[name_slot(name.len(), key)] = i as u8;
        i += 1;
    }
    table
}

const FOLD: u64 = 0x2020_2020_2020_2020;

/// The bytes `lo..lo + 8` of a name of `len` bytes, read as the
/// little-endian word `w`, case-folded (`| 0x20` per byte) and with the
/// bytes past the name zeroed.
#[inline(always)]
const fn fold_word(w: u64, len: usize, lo: usize) -> u64 {
    if len <= lo {
        0
    } else if len >= lo + 8 {
        w | FOLD
    } else {
        (w | FOLD) & (u64::MAX >> (64 - 8 * (len - lo)))
    }
}

/// A name of up to 24 bytes case-folded into three words (its words at
/// offsets 0, 8 and 16, see [`fold_word`]): equal length plus equal key
/// means equal names (the known names are compared at their own length,
/// so every byte is covered).
#[inline(always)]
const fn name_key(len: usize, w: [u64; 3]) -> [u64; 3] {
    [
        fold_word(w[0], len, 0),
        fold_word(w[1], len, 8),
        fold_word(w[2], len, 16),
    ]
}

/// [`name_key`] of a name given as bytes, for the compile-time table.
#[allow(clippy::indexing_slicing)]
const fn name_key_const(name: &[u8]) -> [u64; 3] {
    let mut w = [0u64; 3];
    let mut i = 0;
    while i < name.len() && i < 24 {
        w[i / 8] |= (name[i] as u64) << (8 * (i % 8));
        i += 1;
    }
    name_key(name.len(), w)
}

/// Flags recorded for each header line while indexing.
pub(crate) const FOLDED: u8 = 1;
pub(crate) const SPACE_BEFORE_COLON: u8 = 2;
/// A control byte (below 0x20 or DEL, HT included) somewhere in the
/// value's lines, CRLF of folding aside: without it the value holds none.
pub(crate) const CONTROL: u8 = 4;

/// One indexed header field: spans into the message buffer. `u16`
/// offsets keep the entry at 12 bytes (the inline index at 384): the
/// parser rejects a header section that does not end within 64 KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderEntry {
    pub(crate) name_start: u16,
    pub(crate) value_start: u16,
    pub(crate) value_end: u16,
    /// Just past the CRLF of the field's last physical line.
    pub(crate) line_end: u16,
    pub(crate) name_len: u16,
    pub(crate) kind: HeaderName,
    pub(crate) flags: u8,
}

impl HeaderEntry {
    /// `*self = entry`, field by field. A whole-struct assignment is a
    /// 12-byte copy (one 8- and one 4-byte load) of an entry the parser
    /// has just written field by field (2- and 1-byte stores): those loads
    /// cannot be forwarded from the narrower stores and stall on every
    /// header line. Field by field, the values go from registers to the
    /// slot (INVITE parse measured 268-280 ns, 262-263 this way).
    #[inline(always)]
    pub(crate) fn assign(&mut self, entry: HeaderEntry) {
        let HeaderEntry {
            name_start,
            value_start,
            value_end,
            line_end,
            name_len,
            kind,
            flags,
        } = entry;
        self.name_start = name_start;
        self.value_start = value_start;
        self.value_end = value_end;
        self.line_end = line_end;
        self.name_len = name_len;
        self.kind = kind;
        self.flags = flags;
    }

    /// An unused slot. All bytes zero (`Accept` is discriminant 0), so that
    /// filling the inline index is a plain memset; slots past the length
    /// are never read.
    pub(crate) const EMPTY: HeaderEntry = HeaderEntry {
        name_start: 0,
        value_start: 0,
        value_end: 0,
        line_end: 0,
        name_len: 0,
        kind: HeaderName::Accept,
        flags: 0,
    };
}

/// Header fields stored inline before the index spills to the heap: the
/// benchmark INVITE and nearly all real messages fit, so parsing them
/// allocates nothing.
pub(crate) const INLINE_HEADERS: usize = 32;

/// The header index: an inline array for the common case, a `Vec` (one
/// allocation, bounded by `Limits::max_headers`) beyond it.
#[derive(Debug, Clone)]
pub(crate) struct HeaderIndex {
    len: usize,
    /// Per kind, the position of its first entry, noted as the entries
    /// are pushed, so that the lookups every packet makes (Via, From,
    /// Call-ID, CSeq...) are one load instead of a scan.
    /// [`NOT_NOTED`] when the kind has no entry among the first 255.
    first_at: [u8; HEADER_KINDS],
    inline: [HeaderEntry; INLINE_HEADERS],
    spill: Vec<HeaderEntry>,
}

/// Slots for the [`HeaderName`] kinds (`Other` is the last): a power of
/// two, so that a kind masked to a slot needs no bounds check.
const HEADER_KINDS: usize = (HeaderName::Other as usize + 1).next_power_of_two();

/// The slot of `kind` in `first_at` (its discriminant; the mask only
/// tells the compiler so).
#[inline(always)]
fn kind_slot(kind: HeaderName) -> usize {
    kind as usize & (HEADER_KINDS - 1)
}

/// A kind without a noted first entry; positions from this one on are
/// not noted (the index then falls back to a scan).
const NOT_NOTED: u8 = u8::MAX;

impl HeaderIndex {
    pub(crate) fn new() -> Self {
        HeaderIndex {
            len: 0,
            first_at: [NOT_NOTED; HEADER_KINDS],
            inline: [HeaderEntry::EMPTY; INLINE_HEADERS],
            spill: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn push(&mut self, entry: HeaderEntry) {
        // Branch-free: positions only grow, and from 255 on the position
        // saturates to `NOT_NOTED`, which notes nothing.
        if let Some(first) = self.first_at.get_mut(kind_slot(entry.kind)) {
            *first = (*first).min(self.len.min(usize::from(NOT_NOTED)) as u8);
        }
        match self.inline.get_mut(self.len) {
            Some(slot) => slot.assign(entry),
            None => self.spill_push(entry),
        }
        self.len += 1;
    }

    #[cold]
    fn spill_push(&mut self, entry: HeaderEntry) {
        // One allocation covers up to twice the inline capacity.
        if self.spill.capacity() == 0 {
            self.spill.reserve_exact(INLINE_HEADERS);
        }
        self.spill.push(entry);
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut HeaderEntry> {
        if self.len > INLINE_HEADERS {
            self.spill.last_mut()
        } else {
            self.len.checked_sub(1).and_then(|i| self.inline.get_mut(i))
        }
    }

    /// The entries as the inline part and the spilled part, for plain
    /// slice loops.
    pub(crate) fn as_slices(&self) -> (&[HeaderEntry], &[HeaderEntry]) {
        let inline = self
            .inline
            .get(..self.len.min(INLINE_HEADERS))
            .unwrap_or_default();
        (inline, &self.spill)
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &HeaderEntry> + Clone + '_ {
        self.inline.iter().take(self.len).chain(self.spill.iter())
    }

    /// The first entry of `kind`: noted at push, else (past 255 entries)
    /// a plain slice search.
    #[inline]
    pub(crate) fn first(&self, kind: HeaderName) -> Option<&HeaderEntry> {
        match self.first_at.get(kind_slot(kind)) {
            Some(&at) if at != NOT_NOTED => self.get(usize::from(at)),
            _ if self.len <= usize::from(NOT_NOTED) => None,
            _ => self.scan_first(kind),
        }
    }

    /// The first entry of `kind`, searched: a plain slice search over the
    /// inline part (the chained iterator costs more per step).
    #[cold]
    fn scan_first(&self, kind: HeaderName) -> Option<&HeaderEntry> {
        let inline = self
            .inline
            .get(..self.len.min(INLINE_HEADERS))
            .unwrap_or_default();
        inline
            .iter()
            .find(|e| e.kind == kind)
            .or_else(|| self.spill.iter().find(|e| e.kind == kind))
    }

    pub(crate) fn get(&self, i: usize) -> Option<&HeaderEntry> {
        if i < INLINE_HEADERS {
            self.inline.get(i).filter(|_| i < self.len)
        } else {
            self.spill.get(i - INLINE_HEADERS)
        }
    }
}

/// One header field of a parsed message, borrowed from its buffer: name,
/// value and their byte ranges, so that later stages (sanity checks,
/// normalizer, editor) work on the original bytes without re-parsing.
///
/// ```
/// use voipsec::sip::{HeaderName, Message};
/// let msg = Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\ni : abc@h\r\nSubject: x,\r\n y\r\n\r\n").unwrap();
/// let call_id = msg.header(HeaderName::CallId).unwrap();
/// assert_eq!(call_id.name(), "i");
/// assert!(call_id.is_compact() && call_id.space_before_colon());
/// assert_eq!(call_id.value(), b"abc@h");
/// let subject = msg.header_named("subject").unwrap();
/// assert!(subject.is_folded());
/// assert_eq!(subject.value(), b"x,\r\n y");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    buf: &'a [u8],
    /// The message head as text when it is UTF-8 (see `Message`).
    head: Option<&'a str>,
    entry: HeaderEntry,
}

impl<'a> Header<'a> {
    pub(crate) fn new(buf: &'a [u8], head: Option<&'a str>, entry: HeaderEntry) -> Self {
        Header { buf, head, entry }
    }

    /// The text at `range`: a slice of the head when it is UTF-8, else
    /// converted on its own.
    #[inline]
    fn text(&self, range: Range<usize>) -> Option<&'a str> {
        match self.head {
            Some(head) => head.get(range),
            None => core::str::from_utf8(self.buf.get(range)?).ok(),
        }
    }

    fn name_end(&self) -> usize {
        usize::from(self.entry.name_start) + usize::from(self.entry.name_len)
    }

    fn span(&self, start: usize, end: usize) -> &'a [u8] {
        self.buf.get(start..end).unwrap_or_default()
    }

    /// The known name this field carries ([`HeaderName::Other`] if unknown).
    pub fn kind(&self) -> HeaderName {
        self.entry.kind
    }

    /// The name exactly as sent (a token, so ASCII).
    pub fn name(&self) -> &'a str {
        self.text(self.name_range()).unwrap_or_default()
    }

    /// The canonical spelling of the name: the long name of a known kind
    /// (compact forms included), the name as sent otherwise.
    pub(crate) fn canonical_name(&self) -> &'a str {
        match self.entry.kind {
            HeaderName::Other => self.name(),
            known => known.as_str(),
        }
    }

    /// The raw value: leading and trailing white space removed, folded line
    /// breaks (CRLF + SP/HT) kept as they were sent.
    pub fn value(&self) -> &'a [u8] {
        self.span(
            usize::from(self.entry.value_start),
            usize::from(self.entry.value_end),
        )
    }

    /// The value as UTF-8 (SIP header values are UTF-8, RFC 3261 §7.3.1),
    /// `None` if it is not: a slice of the message head, which the parse
    /// validated as a whole (or, when the head is not UTF-8, this value
    /// checked on its own).
    pub fn value_str(&self) -> Option<&'a str> {
        self.text(self.value_range())
    }

    /// Byte range of the name in the message.
    pub fn name_range(&self) -> Range<usize> {
        usize::from(self.entry.name_start)..self.name_end()
    }

    /// Byte range of the value in the message.
    pub fn value_range(&self) -> Range<usize> {
        usize::from(self.entry.value_start)..usize::from(self.entry.value_end)
    }

    /// Byte range of the whole field: from its name to past the CRLF of
    /// its last (continuation) line.
    pub fn line_range(&self) -> Range<usize> {
        usize::from(self.entry.name_start)..usize::from(self.entry.line_end)
    }

    /// True when the field continues on folded lines (obsolete LWS, RFC
    /// 3261 §7.3.1).
    pub fn is_folded(&self) -> bool {
        self.entry.flags & FOLDED != 0
    }

    /// True when white space separates the name from the colon (legal,
    /// RFC 3261 §7.3.1, but a canonical form removes it).
    pub fn space_before_colon(&self) -> bool {
        self.entry.flags & SPACE_BEFORE_COLON != 0
    }

    /// True when the indexer saw a control byte (HT included) in the
    /// value; false guarantees there is none but the CRLF of folding.
    pub(crate) fn may_hold_control(&self) -> bool {
        self.entry.flags & CONTROL != 0
    }

    /// True when the name is a compact form (`v`, `i`, `m`...).
    pub fn is_compact(&self) -> bool {
        self.entry.name_len == 1 && self.entry.kind != HeaderName::Other
    }

    /// The comma-separated values of this field, trimmed, commas inside
    /// quoted strings and `<...>` respected (RFC 3261 §7.3.1). Empty elements
    /// are yielded (so validation can reject them); an entirely empty value
    /// yields nothing; a value that is not UTF-8 yields nothing. Only
    /// meaningful for list headers (see [`HeaderName::is_list`]).
    pub fn values(&self) -> Values<'a> {
        let value = self.value_str().unwrap_or("");
        Values {
            split: if value.is_empty() {
                None
            } else {
                Some(Split::new(value, b','))
            },
            base: usize::from(self.entry.value_start),
        }
    }
}

/// Iterator over the comma-separated values of a header field
/// ([`Header::values`]).
#[derive(Debug, Clone)]
pub struct Values<'a> {
    split: Option<Split<'a>>,
    base: usize,
}

impl<'a> Values<'a> {
    /// Like `next`, with the byte offset of the (trimmed) value in the message.
    pub fn next_with_offset(&mut self) -> Option<(usize, &'a str)> {
        let (at, part) = self.split.as_mut()?.next()?;
        let (lead, trimmed) = super::lexical::trim_lws(part);
        Some((self.base + at + lead, trimmed))
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.next_with_offset().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_long_and_compact_name_resolves() {
        for kind in HeaderName::ALL {
            assert_eq!(HeaderName::from_bytes(kind.as_str().as_bytes()), kind);
            assert_eq!(
                HeaderName::from_bytes(kind.as_str().to_ascii_uppercase().as_bytes()),
                kind
            );
            assert_eq!(
                HeaderName::from_bytes(kind.as_str().to_ascii_lowercase().as_bytes()),
                kind
            );
            if let Some(c) = kind.compact() {
                assert_eq!(HeaderName::from_bytes(&[c]), kind);
                assert_eq!(HeaderName::from_bytes(&[c.to_ascii_uppercase()]), kind);
            }
        }
        // The hash is collision-free: every known name owns a slot.
        let used = KNOWN_NAMES.slots.iter().filter(|&&i| i != u8::MAX).count();
        assert_eq!(used, HeaderName::ALL.len());
        for (i, kind) in HeaderName::ALL.iter().enumerate() {
            let name = kind.as_str().as_bytes();
            assert_eq!(HeaderName::from_token(name), *kind);
            assert_eq!(usize::from(KNOWN_NAMES.lens[i]), name.len());
        }
        assert_eq!(HeaderName::from_bytes(b"Vib"), HeaderName::Other);
        assert_eq!(
            HeaderName::from_bytes(b"Content-Lengths"),
            HeaderName::Other
        );
        assert_eq!(HeaderName::from_bytes(b"C%6Fntact"), HeaderName::Other);
        assert_eq!(HeaderName::from_bytes(b""), HeaderName::Other);
        assert_eq!(HeaderName::from_bytes(b"q"), HeaderName::Other);
    }
}
