//! Digest algorithms (RFC 7616 §3.4.2, RFC 8760 §2) and the hex digests
//! they produce.

use core::fmt;

use md5::Md5;
use sha2::{Sha256, Sha512_256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::stream::PieceHash;

/// A digest algorithm token as it appears in `algorithm=`.
///
/// The `-sess` variants derive a per-session HA1 from the nonce and cnonce
/// (RFC 7616 §3.4.2). `SHA-512-256` is FIPS 180-4 SHA-512/256 (its own
/// initial values), *not* SHA-512 truncated to 256 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (RFC 2617), the only algorithm most deployed SIP clients speak.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256` (RFC 7616, RFC 8760).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl Algorithm {
    /// All algorithms, strongest first.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Md5,
        Algorithm::Md5Sess,
    ];

    /// Parses an `algorithm` token, case-insensitively (RFC 7616 §3.3).
    ///
    /// ```
    /// use voipsec::digest::Algorithm;
    /// assert_eq!(Algorithm::from_token(b"sha-256"), Some(Algorithm::Sha256));
    /// assert_eq!(Algorithm::from_token(b"AKAv1-MD5"), None);
    /// ```
    pub fn from_token(token: &[u8]) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str().as_bytes().eq_ignore_ascii_case(token))
    }

    /// The canonical token, e.g. `SHA-512-256-sess`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// Whether this is a `-sess` variant.
    pub const fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// The non-`-sess` algorithm with the same hash function: the one whose
    /// HA1 a credential store keeps.
    pub const fn base(self) -> Algorithm {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => Algorithm::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => Algorithm::Sha256,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => Algorithm::Sha512_256,
        }
    }

    /// Number of lowercase hex digits in a digest of this algorithm.
    pub const fn hex_len(self) -> usize {
        match self.base() {
            Algorithm::Md5 => 32,
            _ => 64,
        }
    }

    /// `HA1 = H(username ":" realm ":" password)` (RFC 7616 §3.4.2), the
    /// value a credential store may keep instead of the password. For
    /// `-sess` algorithms this is the stored part; the verifier derives the
    /// session HA1 from it.
    ///
    /// ```
    /// use voipsec::digest::Algorithm;
    /// // RFC 2617 §3.5
    /// let ha1 = Algorithm::Md5.ha1(b"Mufasa", b"testrealm@host.com", b"Circle Of Life");
    /// assert_eq!(ha1.as_str(), "939e7578ed9e3c518a452acee763bce9");
    /// ```
    pub fn ha1(self, username: &[u8], realm: &[u8], password: &[u8]) -> HexDigest {
        let mut h = Hasher::new(self);
        h.update(username);
        h.update(b":");
        h.update(realm);
        h.update(b":");
        h.update(password);
        h.finish()
    }

    /// The RFC 7616 §3.4.4 userhash: `H(username ":" realm)`.
    ///
    /// ```
    /// use voipsec::digest::Algorithm;
    /// let uh = Algorithm::Sha512_256.userhash("Jäsøn Doe".as_bytes(), b"api@example.org");
    /// assert!(uh.as_str().starts_with("793263ca"));
    /// ```
    pub fn userhash(self, username: &[u8], realm: &[u8]) -> HexDigest {
        let mut h = Hasher::new(self);
        h.update(username);
        h.update(b":");
        h.update(realm);
        h.finish()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hash function behind an [`Algorithm`], fed incrementally so that
/// `a ":" b ":" c` never has to be concatenated into a buffer.
pub(crate) enum Hasher {
    Md5(Md5),
    Sha256(Sha256),
    Sha512_256(Sha512_256),
}

impl Hasher {
    pub(crate) fn new(algorithm: Algorithm) -> Hasher {
        match algorithm.base() {
            Algorithm::Md5 => Hasher::Md5(PieceHash::new()),
            Algorithm::Sha256 => Hasher::Sha256(PieceHash::new()),
            _ => Hasher::Sha512_256(PieceHash::new()),
        }
    }

    #[inline]
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => PieceHash::update(h, data),
            Hasher::Sha256(h) => PieceHash::update(h, data),
            Hasher::Sha512_256(h) => PieceHash::update(h, data),
        }
    }

    pub(crate) fn finish(self) -> HexDigest {
        let raw = match self {
            Hasher::Md5(h) => PieceHash::finish(h),
            Hasher::Sha256(h) => PieceHash::finish(h),
            Hasher::Sha512_256(h) => PieceHash::finish(h),
        };
        HexDigest::encode(raw.as_bytes())
    }
}

/// Longest hex digest any supported algorithm produces.
pub(crate) const MAX_HEX_LEN: usize = 64;

/// A lowercase-hex digest (32 or 64 digits) held inline, no allocation.
///
/// HA1 values are password-equivalent, so this type is zeroized on drop and
/// its `Debug` output shows only the length. Compare with
/// [`HexDigest::ct_eq`], which runs in constant time.
#[derive(Clone)]
pub struct HexDigest {
    buf: [u8; MAX_HEX_LEN],
    len: u8,
}

/// Lowercase hex digit of a nibble (0..=15), without a branch: the digits
/// of a digest are random, so a data-dependent branch mispredicts about
/// once per digit (≈100 ns per 32-digit digest).
#[inline]
fn hex_digit(nibble: u8) -> u8 {
    // 0xff when nibble > 9: skip the 39 characters between '9' and 'a'.
    let letter = 0u8.wrapping_sub(u8::from(nibble > 9));
    b'0' + nibble + (letter & (b'a' - b'0' - 10))
}

/// Copies `hex` into `out` lowercased, requiring every byte to be a hex
/// digit (either case). Branch-free per byte (see [`hex_digit`]); `false`
/// if a byte is not a hex digit or the lengths differ.
#[inline]
pub(crate) fn lowercase_hex_into(hex: &[u8], out: &mut [u8]) -> bool {
    if hex.len() != out.len() {
        return false;
    }
    let mut bad = false;
    for (dst, &c) in out.iter_mut().zip(hex) {
        // Digits already have bit 5 set, so `| 0x20` lowercases letters
        // and keeps digits.
        let lower = c | 0x20;
        let digit = c.wrapping_sub(b'0') < 10;
        let letter = lower.wrapping_sub(b'a') < 6;
        bad |= !(digit | letter);
        *dst = lower;
    }
    !bad
}

/// Constant-time equality of two byte strings of public, equal length,
/// eight bytes per `subtle` comparison: `subtle` hides each result behind
/// an optimisation barrier, which costs as much per word as per byte.
pub(crate) fn ct_eq_words(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    if a.len() != b.len() {
        return false;
    }
    let word = |chunk: &[u8]| <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_words.remainder().ct_eq(b_words.remainder());
    let words = a_words
        .zip(b_words)
        .fold(tail, |eq, (x, y)| eq & word(x).ct_eq(&word(y)));
    words.into()
}

/// Decodes hex digits (either case) into `out`, two digits per byte,
/// branch-free per byte like [`lowercase_hex_into`]; `false` if a byte is
/// not a hex digit or `hex` is not twice as long as `out`.
#[inline]
pub(crate) fn decode_hex_into(hex: &[u8], out: &mut [u8]) -> bool {
    if hex.len() != out.len() * 2 {
        return false;
    }
    let mut bad = false;
    let mut nibble = |c: u8| {
        let digit = c.wrapping_sub(b'0') < 10;
        let letter = (c | 0x20).wrapping_sub(b'a') < 6;
        bad |= !(digit | letter);
        // '0'..'9' -> 0..9; 'a'..'f' / 'A'..'F' (bit 6 set) -> 1..6 + 9.
        (c & 0x0f) + 9 * (c >> 6)
    };
    for (dst, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        if let [hi, lo] = *pair {
            *dst = (nibble(hi) << 4) | nibble(lo);
        }
    }
    !bad
}

impl HexDigest {
    pub(crate) fn encode(raw: &[u8]) -> HexDigest {
        let mut out = HexDigest {
            buf: [0; MAX_HEX_LEN],
            len: 0,
        };
        let len = (raw.len() * 2).min(MAX_HEX_LEN);
        for (pair, byte) in out.buf.chunks_exact_mut(2).zip(raw) {
            if let [hi, lo] = pair {
                *hi = hex_digit(byte >> 4);
                *lo = hex_digit(byte & 0x0f);
            }
        }
        out.len = u8::try_from(len).unwrap_or(0);
        out
    }

    /// Accepts 32 or 64 hex digits in either case and keeps them lowercase,
    /// e.g. an HA1 read from a user database. `None` for anything else.
    ///
    /// ```
    /// use voipsec::digest::HexDigest;
    /// let ha1 = HexDigest::from_hex(b"939E7578ED9E3C518A452ACEE763BCE9").unwrap();
    /// assert_eq!(ha1.as_str(), "939e7578ed9e3c518a452acee763bce9");
    /// assert!(HexDigest::from_hex(b"7587245234b3434cc3412213e5f113a5432").is_none());
    /// ```
    pub fn from_hex(hex: &[u8]) -> Option<HexDigest> {
        if hex.len() != 32 && hex.len() != MAX_HEX_LEN {
            return None;
        }
        let mut out = HexDigest {
            buf: [0; MAX_HEX_LEN],
            len: u8::try_from(hex.len()).ok()?,
        };
        lowercase_hex_into(hex, out.buf.get_mut(..hex.len())?).then_some(out)
    }

    /// All zero digits, as long as `algorithm`'s digests: the stand-in HA1
    /// hashed for unknown users (the verdict is `UnknownUser` whatever the
    /// response).
    pub(crate) fn zero(algorithm: Algorithm) -> HexDigest {
        let len = algorithm.hex_len();
        let mut out = HexDigest {
            buf: [0; MAX_HEX_LEN],
            len: 0,
        };
        if let Some(digits) = out.buf.get_mut(..len) {
            digits.fill(b'0');
            out.len = u8::try_from(len).unwrap_or(0);
        }
        out
    }

    /// The hex digits.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The hex digits as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// Constant-time comparison (`subtle`); lengths are public.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        ct_eq_words(self.as_bytes(), other)
    }
}

impl Drop for HexDigest {
    fn drop(&mut self) {
        // Only the first `len` bytes were ever written: wiping those (not
        // all 64) halves the cost for MD5 on the verify hot path.
        if let Some(used) = self.buf.get_mut(..usize::from(self.len)) {
            used.zeroize();
        }
        self.len.zeroize();
    }
}

impl ZeroizeOnDrop for HexDigest {}

impl fmt::Debug for HexDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexDigest(<redacted {} hex digits>)", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_free_hex_matches_std_on_every_byte() {
        for c in 0..=255u8 {
            let mut out = [0u8; 1];
            assert_eq!(
                lowercase_hex_into(&[c], &mut out),
                c.is_ascii_hexdigit(),
                "byte {c:#04x}"
            );
            if c.is_ascii_hexdigit() {
                assert_eq!(out[0], c.to_ascii_lowercase());
            }
        }
        for n in 0..16u8 {
            assert_eq!(
                char::from(hex_digit(n)),
                char::from_digit(n.into(), 16).unwrap()
            );
        }
        assert!(!lowercase_hex_into(b"ab", &mut [0u8; 3]));
    }

    #[test]
    fn ct_eq_compares_every_digit() {
        let d = HexDigest::from_hex(&[b'a'; 64]).unwrap();
        assert!(d.ct_eq(&[b'a'; 64]));
        for i in 0..64 {
            let mut other = [b'a'; 64];
            other[i] = b'b';
            assert!(!d.ct_eq(&other), "digit {i}");
        }
        assert!(!d.ct_eq(&[b'a'; 32]));
    }
}
