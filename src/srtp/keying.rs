//! Keying helpers: SDES `a=crypto` attributes (RFC 4568) and the DTLS-SRTP
//! exporter split (RFC 5764 §4.2).

use core::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::context::{MAX_MKI_LEN, Policy, SrtpContext};
use super::error::{Error, Result};
use super::profile::Profile;

/// Longest attribute value parsed (far above any real `a=crypto` line).
const MAX_ATTRIBUTE_LEN: usize = 4096;

/// One SDES `a=crypto` attribute (RFC 4568 §9.1) with a single `inline:` key.
///
/// `Display` writes the attribute value (what follows `a=crypto:`);
/// `Debug` redacts the key.
///
/// ```
/// use voipsec::srtp::{Policy, Profile, SdesCrypto};
/// let line = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \
///             inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4";
/// let c = SdesCrypto::parse(line)?;
/// assert_eq!(c.tag, 1);
/// assert_eq!(c.profile, Profile::Aes128CmHmacSha1_80);
/// assert_eq!(c.lifetime, Some(1 << 20));
/// assert_eq!(c.mki, Some((1, 4)));
/// assert_eq!(c.to_string(), &line["a=crypto:".len()..]);
/// let _rx = c.context(Policy::inbound())?;
/// # Ok::<(), voipsec::srtp::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SdesCrypto {
    /// The attribute tag (decimal, 1..=999999999).
    #[zeroize(skip)]
    pub tag: u32,
    /// The crypto suite.
    #[zeroize(skip)]
    pub profile: Profile,
    key_salt: Vec<u8>,
    /// Master key lifetime in packets (`|2^20` or `|1048576`).
    pub lifetime: Option<u64>,
    /// MKI value and its length in bytes (`|1:4`).
    pub mki: Option<(u64, u8)>,
    /// `KDR=n`: key derivation rate 2^n.
    pub kdr: Option<u8>,
    /// `UNENCRYPTED_SRTCP` session parameter.
    pub unencrypted_srtcp: bool,
    /// `UNENCRYPTED_SRTP` session parameter (only meaningful for NULL).
    pub unencrypted_srtp: bool,
}

impl fmt::Debug for SdesCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdesCrypto")
            .field("tag", &self.tag)
            .field("profile", &self.profile)
            .field("key", &"[REDACTED]")
            .field("lifetime", &self.lifetime)
            .field("mki", &self.mki)
            .finish_non_exhaustive()
    }
}

fn bad(what: &'static str, offset: usize) -> Error {
    Error::BadKeying { what, offset }
}

/// Largest master key lifetime an attribute may state: the SRTP limit of
/// 2^48 packets (RFC 3711 §9.2), in either notation, so that the value
/// [`SdesCrypto`] prints (`2^n` for powers of two) always parses again.
const MAX_LIFETIME: u64 = 1 << 48;

fn parse_lifetime(s: &str, at: usize) -> Result<u64> {
    let value = match s.strip_prefix("2^") {
        Some(exp) => exp
            .parse::<u32>()
            .ok()
            .filter(|e| *e <= 48)
            .map(|e| 1u64 << e),
        None => s.parse::<u64>().ok(),
    };
    value
        .filter(|v| (1..=MAX_LIFETIME).contains(v))
        .ok_or(bad("lifetime", at))
}

impl SdesCrypto {
    /// A fresh attribute with a random master key and salt (OS-seeded CSPRNG).
    pub fn generate(tag: u32, profile: Profile) -> Self {
        let mut key_salt = vec![0u8; profile.master_key_len() + profile.master_salt_len()];
        rand::fill(&mut key_salt[..]);
        SdesCrypto {
            tag,
            profile,
            key_salt,
            lifetime: None,
            mki: None,
            kdr: None,
            unencrypted_srtcp: false,
            unencrypted_srtp: false,
        }
    }

    /// Builds an attribute from explicit key and salt.
    pub fn from_keys(
        tag: u32,
        profile: Profile,
        master_key: &[u8],
        master_salt: &[u8],
    ) -> Result<Self> {
        if master_key.len() != profile.master_key_len() {
            return Err(Error::BadKeyLength {
                what: "master key",
                expected: profile.master_key_len(),
                got: master_key.len(),
            });
        }
        if master_salt.len() != profile.master_salt_len() {
            return Err(Error::BadKeyLength {
                what: "master salt",
                expected: profile.master_salt_len(),
                got: master_salt.len(),
            });
        }
        let mut c = SdesCrypto::generate(tag, profile);
        c.key_salt.clear();
        c.key_salt.extend_from_slice(master_key);
        c.key_salt.extend_from_slice(master_salt);
        Ok(c)
    }

    /// The master key.
    pub fn master_key(&self) -> &[u8] {
        self.key_salt
            .get(..self.profile.master_key_len())
            .unwrap_or(&[])
    }

    /// The master salt.
    pub fn master_salt(&self) -> &[u8] {
        self.key_salt
            .get(self.profile.master_key_len()..)
            .unwrap_or(&[])
    }

    /// The MKI bytes as they appear in packets (big-endian value), if any.
    pub fn mki_bytes(&self) -> Option<Vec<u8>> {
        let (value, len) = self.mki?;
        let bytes = value.to_be_bytes();
        let len = usize::from(len);
        let mut out = vec![0u8; len];
        let n = len.min(8);
        out[len - n..].copy_from_slice(&bytes[8 - n..]);
        Some(out)
    }

    /// Parses an attribute, with or without the leading `a=crypto:`.
    /// Only the first key of a multi-key list (`;`) is kept. Unknown session
    /// parameters are ignored (RFC 4568 §6.3 allows this for non-mandatory
    /// ones); `FEC_ORDER`, `WSH` etc. are ignored.
    pub fn parse(attribute: &str) -> Result<Self> {
        if attribute.len() > MAX_ATTRIBUTE_LEN {
            return Err(bad("attribute too long", MAX_ATTRIBUTE_LEN));
        }
        let (base, value) = match attribute.strip_prefix("a=crypto:") {
            Some(v) => (9, v),
            None => (0, attribute),
        };
        let value = value.trim_end_matches(['\r', '\n']);
        let mut fields = value.split(' ').filter(|f| !f.is_empty());
        let offset_of =
            |s: &str| base + (s.as_ptr() as usize).saturating_sub(value.as_ptr() as usize);

        let tag_s = fields.next().ok_or(bad("missing tag", base))?;
        let tag = tag_s
            .parse::<u32>()
            .ok()
            .filter(|t| tag_s.len() <= 9 && *t <= 999_999_999)
            .ok_or(bad("tag", offset_of(tag_s)))?;
        let suite = fields
            .next()
            .ok_or(bad("missing crypto suite", base + value.len()))?;
        let profile =
            Profile::from_sdes_name(suite).ok_or(bad("unknown crypto suite", offset_of(suite)))?;
        let key_params = fields
            .next()
            .ok_or(bad("missing key parameters", base + value.len()))?;
        let first = key_params.split(';').next().unwrap_or(key_params);
        let info = first
            .strip_prefix("inline:")
            .ok_or(bad("key method is not inline", offset_of(first)))?;
        let mut parts = info.split('|');
        let b64 = parts.next().unwrap_or("");
        let key_salt = STANDARD_PAD_INDIFFERENT
            .decode(b64)
            .map_err(|_| bad("base64 key", offset_of(b64)))?;
        if key_salt.len() != profile.master_key_len() + profile.master_salt_len() {
            return Err(bad(
                "key||salt length does not match the suite",
                offset_of(b64),
            ));
        }
        let mut c = SdesCrypto {
            tag,
            profile,
            key_salt,
            lifetime: None,
            mki: None,
            kdr: None,
            unencrypted_srtcp: false,
            unencrypted_srtp: false,
        };
        for part in parts {
            let at = offset_of(part);
            match part.split_once(':') {
                Some((value, len)) => {
                    let len = len
                        .parse::<u8>()
                        .ok()
                        .filter(|l| (1..=8).contains(l) && usize::from(*l) <= MAX_MKI_LEN);
                    let len = len.ok_or(bad("MKI length", at))?;
                    let value = value.parse::<u64>().map_err(|_| bad("MKI value", at))?;
                    if len < 8 && value >> (8 * u32::from(len)) != 0 {
                        return Err(bad("MKI value does not fit its length", at));
                    }
                    c.mki = Some((value, len));
                }
                None => c.lifetime = Some(parse_lifetime(part, at)?),
            }
        }
        for param in fields {
            let at = offset_of(param);
            if let Some(n) = param.strip_prefix("KDR=") {
                c.kdr = Some(
                    n.parse::<u8>()
                        .ok()
                        .filter(|n| *n <= 24)
                        .ok_or(bad("KDR", at))?,
                );
            } else if param == "UNENCRYPTED_SRTCP" {
                c.unencrypted_srtcp = true;
            } else if param == "UNENCRYPTED_SRTP" {
                c.unencrypted_srtp = true;
            }
        }
        Ok(c)
    }

    /// A context keyed from this attribute: MKI, lifetime, KDR and
    /// `UNENCRYPTED_SRTCP` are applied to `policy`.
    pub fn context(&self, mut policy: Policy) -> Result<SrtpContext> {
        if let Some(l) = self.lifetime {
            policy.rtp_key_lifetime = policy.rtp_key_lifetime.min(l);
            policy.rtcp_key_lifetime = policy.rtcp_key_lifetime.min(l);
        }
        if let Some(k) = self.kdr {
            policy.kdr = if k == 0 { 0 } else { 1u64 << k };
        }
        if self.unencrypted_srtcp {
            policy.encrypt_rtcp = false;
        }
        match self.mki_bytes() {
            Some(mki) => SrtpContext::new_with_mki(
                self.profile,
                &mki,
                self.master_key(),
                self.master_salt(),
                policy,
            ),
            None => SrtpContext::new(self.profile, self.master_key(), self.master_salt(), policy),
        }
    }
}

impl fmt::Display for SdesCrypto {
    /// Writes `tag suite inline:base64[|lifetime][|mki:len][ params]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} inline:{}",
            self.tag,
            self.profile.sdes_name(),
            STANDARD.encode(&self.key_salt)
        )?;
        if let Some(l) = self.lifetime {
            if l.is_power_of_two() {
                write!(f, "|2^{}", l.trailing_zeros())?;
            } else {
                write!(f, "|{l}")?;
            }
        }
        if let Some((v, len)) = self.mki {
            write!(f, "|{v}:{len}")?;
        }
        if let Some(k) = self.kdr {
            write!(f, " KDR={k}")?;
        }
        if self.unencrypted_srtcp {
            f.write_str(" UNENCRYPTED_SRTCP")?;
        }
        if self.unencrypted_srtp {
            f.write_str(" UNENCRYPTED_SRTP")?;
        }
        Ok(())
    }
}

/// Keys and salts split out of the DTLS-SRTP exporter output (RFC 5764
/// §4.2): `client_key || server_key || client_salt || server_salt`, exported
/// with the label `EXTRACTOR-dtls_srtp`. Zeroized on drop.
///
/// ```
/// use voipsec::srtp::{DtlsSrtpKeys, Policy, Profile};
/// let profile = Profile::Aes128CmHmacSha1_80;
/// let material = vec![1u8; DtlsSrtpKeys::exporter_len(profile)];
/// let keys = DtlsSrtpKeys::split(profile, &material)?;
/// assert_eq!(keys.client_key().len(), 16);
/// let _tx = keys.outbound_context(true, Policy::outbound())?;
/// let _rx = keys.inbound_context(true, Policy::inbound())?;
/// # Ok::<(), voipsec::srtp::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DtlsSrtpKeys {
    #[zeroize(skip)]
    profile: Profile,
    material: Vec<u8>,
}

impl fmt::Debug for DtlsSrtpKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DtlsSrtpKeys")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl DtlsSrtpKeys {
    /// The TLS exporter label for DTLS-SRTP (RFC 5764 §4.2).
    pub const EXPORTER_LABEL: &'static str = "EXTRACTOR-dtls_srtp";

    /// Bytes to request from the exporter: `2 · (key + salt)`.
    pub fn exporter_len(profile: Profile) -> usize {
        2 * (profile.master_key_len() + profile.master_salt_len())
    }

    /// Splits exporter output; errors if its length is not
    /// [`exporter_len`](Self::exporter_len).
    pub fn split(profile: Profile, material: &[u8]) -> Result<Self> {
        let expected = Self::exporter_len(profile);
        if material.len() != expected {
            return Err(Error::BadKeyLength {
                what: "DTLS-SRTP exporter output",
                expected,
                got: material.len(),
            });
        }
        Ok(DtlsSrtpKeys {
            profile,
            material: material.to_vec(),
        })
    }

    fn part(&self, at: usize, len: usize) -> &[u8] {
        self.material.get(at..at + len).unwrap_or(&[])
    }

    /// The client's write master key.
    pub fn client_key(&self) -> &[u8] {
        self.part(0, self.profile.master_key_len())
    }

    /// The server's write master key.
    pub fn server_key(&self) -> &[u8] {
        let k = self.profile.master_key_len();
        self.part(k, k)
    }

    /// The client's write master salt.
    pub fn client_salt(&self) -> &[u8] {
        let (k, s) = (
            self.profile.master_key_len(),
            self.profile.master_salt_len(),
        );
        self.part(2 * k, s)
    }

    /// The server's write master salt.
    pub fn server_salt(&self) -> &[u8] {
        let (k, s) = (
            self.profile.master_key_len(),
            self.profile.master_salt_len(),
        );
        self.part(2 * k + s, s)
    }

    /// The context this endpoint sends with (its own write key).
    pub fn outbound_context(&self, is_client: bool, policy: Policy) -> Result<SrtpContext> {
        let (k, s) = if is_client {
            (self.client_key(), self.client_salt())
        } else {
            (self.server_key(), self.server_salt())
        };
        SrtpContext::new(self.profile, k, s, policy)
    }

    /// The context this endpoint receives with (the peer's write key).
    pub fn inbound_context(&self, is_client: bool, policy: Policy) -> Result<SrtpContext> {
        self.outbound_context(!is_client, policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdes_round_trip_and_errors() {
        let mut c = SdesCrypto::generate(7, Profile::AeadAes256Gcm);
        c.lifetime = Some(1 << 31);
        c.mki = Some((258, 2));
        c.kdr = Some(0);
        c.unencrypted_srtcp = true;
        let text = format!("a=crypto:{c}");
        let back = SdesCrypto::parse(&text).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.mki_bytes().unwrap(), vec![1, 2]);
        assert!(!format!("{c:?}").contains(&STANDARD.encode(&c.key_salt)));

        let e = SdesCrypto::parse("1 AES_CM_128_HMAC_SHA1_80 inline:AAAA").unwrap_err();
        assert_eq!(
            e,
            Error::BadKeying {
                what: "key||salt length does not match the suite",
                offset: 33
            }
        );
        let e = SdesCrypto::parse("1 FOO inline:AAAA").unwrap_err();
        assert_eq!(
            e,
            Error::BadKeying {
                what: "unknown crypto suite",
                offset: 2
            }
        );
        assert!(SdesCrypto::parse("x AES_CM_128_HMAC_SHA1_80").is_err());
    }

    #[test]
    fn lifetime_bounded_in_both_notations() {
        let key = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        let with = |lifetime: &str| {
            SdesCrypto::parse(&format!("1 AES_CM_128_HMAC_SHA1_80 {key}|{lifetime}"))
                .map(|c| c.lifetime)
        };
        assert_eq!(with("2^48"), Ok(Some(1 << 48)));
        assert_eq!(with("281474976710656"), Ok(Some(1 << 48)));
        assert_eq!(with("1000"), Ok(Some(1000)));
        let too_long = Err(Error::BadKeying {
            what: "lifetime",
            offset: 74,
        });
        assert_eq!(with("2^49"), too_long);
        // 2^60 in decimal: it would print as `2^60`, which must not be an
        // attribute that parses only in one of its two spellings (fuzz
        // target srtp_sdes found this; its input is in the corpus).
        assert_eq!(with("1152921504606846976"), too_long);
        assert_eq!(with("281474976710657"), too_long);
        assert_eq!(with("0"), too_long);
    }

    #[test]
    fn dtls_split_order() {
        let profile = Profile::AeadAes128Gcm;
        let material: Vec<u8> = (0..DtlsSrtpKeys::exporter_len(profile) as u8).collect();
        let k = DtlsSrtpKeys::split(profile, &material).unwrap();
        assert_eq!(k.client_key(), &material[..16]);
        assert_eq!(k.server_key(), &material[16..32]);
        assert_eq!(k.client_salt(), &material[32..44]);
        assert_eq!(k.server_salt(), &material[44..56]);
        assert!(DtlsSrtpKeys::split(profile, &material[1..]).is_err());
    }
}
