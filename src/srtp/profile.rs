//! Protection profiles (crypto suites): RFC 3711, RFC 6188, RFC 7714, RFC 5764.

/// An SRTP protection profile: cipher, key sizes and tag lengths.
///
/// RTCP always uses an 80-bit HMAC tag for the `_32` profiles (RFC 3711 §5.2,
/// RFC 4568 §6.2.1), as libsrtp does.
///
/// ```
/// use voipsec::srtp::Profile;
/// let p = Profile::Aes128CmHmacSha1_80;
/// assert_eq!((p.master_key_len(), p.master_salt_len(), p.rtp_tag_len()), (16, 14, 10));
/// assert_eq!(Profile::from_sdes_name("AEAD_AES_256_GCM"), Some(Profile::AeadAes256Gcm));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// AES-128 counter mode, HMAC-SHA1 80-bit tag (RFC 3711 default).
    Aes128CmHmacSha1_80,
    /// AES-128 counter mode, HMAC-SHA1 32-bit RTP tag.
    Aes128CmHmacSha1_32,
    /// AES-192 counter mode, HMAC-SHA1 80-bit tag (RFC 6188).
    Aes192CmHmacSha1_80,
    /// AES-192 counter mode, HMAC-SHA1 32-bit RTP tag (RFC 6188).
    Aes192CmHmacSha1_32,
    /// AES-256 counter mode, HMAC-SHA1 80-bit tag (RFC 6188).
    Aes256CmHmacSha1_80,
    /// AES-256 counter mode, HMAC-SHA1 32-bit RTP tag (RFC 6188).
    Aes256CmHmacSha1_32,
    /// AES-128-GCM AEAD, 16-byte tag (RFC 7714).
    AeadAes128Gcm,
    /// AES-256-GCM AEAD, 16-byte tag (RFC 7714).
    AeadAes256Gcm,
    /// No encryption, HMAC-SHA1 80-bit tag (authentication only).
    NullHmacSha1_80,
    /// No encryption, HMAC-SHA1 32-bit RTP tag (authentication only).
    NullHmacSha1_32,
}

/// Which transform a profile uses; internal dispatch key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CipherKind {
    Null,
    Ctr,
    Gcm,
}

impl Profile {
    /// Every profile, for iteration in tests and tools.
    pub const ALL: [Profile; 10] = [
        Profile::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32,
        Profile::Aes192CmHmacSha1_80,
        Profile::Aes192CmHmacSha1_32,
        Profile::Aes256CmHmacSha1_80,
        Profile::Aes256CmHmacSha1_32,
        Profile::AeadAes128Gcm,
        Profile::AeadAes256Gcm,
        Profile::NullHmacSha1_80,
        Profile::NullHmacSha1_32,
    ];

    pub(crate) fn cipher_kind(self) -> CipherKind {
        match self {
            Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => CipherKind::Gcm,
            Profile::NullHmacSha1_80 | Profile::NullHmacSha1_32 => CipherKind::Null,
            _ => CipherKind::Ctr,
        }
    }

    /// Whether the profile is an AEAD (GCM) profile.
    pub fn is_aead(self) -> bool {
        self.cipher_kind() == CipherKind::Gcm
    }

    /// Master key length in bytes. The NULL profiles key the KDF with AES-128
    /// (as libsrtp does), so their master key is 16 bytes.
    pub fn master_key_len(self) -> usize {
        match self {
            Profile::Aes192CmHmacSha1_80 | Profile::Aes192CmHmacSha1_32 => 24,
            Profile::Aes256CmHmacSha1_80
            | Profile::Aes256CmHmacSha1_32
            | Profile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master salt length in bytes: 14, or 12 for GCM (RFC 7714 §11).
    pub fn master_salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// Session cipher key length (0 for NULL).
    pub(crate) fn session_key_len(self) -> usize {
        if self.cipher_kind() == CipherKind::Null {
            0
        } else {
            self.master_key_len()
        }
    }

    /// SRTP (RTP) authentication tag length in bytes.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => 16,
            Profile::Aes128CmHmacSha1_32
            | Profile::Aes192CmHmacSha1_32
            | Profile::Aes256CmHmacSha1_32
            | Profile::NullHmacSha1_32 => 4,
            _ => 10,
        }
    }

    /// SRTCP authentication tag length in bytes (80 bits for every HMAC profile).
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() { 16 } else { 10 }
    }

    /// The RFC 4568 / IANA SDES crypto-suite name.
    pub fn sdes_name(self) -> &'static str {
        match self {
            Profile::Aes128CmHmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Profile::Aes128CmHmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Profile::Aes192CmHmacSha1_80 => "AES_192_CM_HMAC_SHA1_80",
            Profile::Aes192CmHmacSha1_32 => "AES_192_CM_HMAC_SHA1_32",
            Profile::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            Profile::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            Profile::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Profile::AeadAes256Gcm => "AEAD_AES_256_GCM",
            Profile::NullHmacSha1_80 => "NULL_HMAC_SHA1_80",
            Profile::NullHmacSha1_32 => "NULL_HMAC_SHA1_32",
        }
    }

    /// Looks a profile up by its SDES crypto-suite name (case-sensitive, as
    /// RFC 4568 registers them).
    pub fn from_sdes_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.sdes_name() == name)
    }

    /// The DTLS-SRTP protection profile identifier (RFC 5764 §4.1.2, RFC 7714
    /// §14), for the profiles that have one.
    pub fn dtls_id(self) -> Option<u16> {
        match self {
            Profile::Aes128CmHmacSha1_80 => Some(0x0001),
            Profile::Aes128CmHmacSha1_32 => Some(0x0002),
            Profile::NullHmacSha1_80 => Some(0x0005),
            Profile::NullHmacSha1_32 => Some(0x0006),
            Profile::AeadAes128Gcm => Some(0x0007),
            Profile::AeadAes256Gcm => Some(0x0008),
            _ => None,
        }
    }

    /// Looks a profile up by DTLS-SRTP identifier.
    pub fn from_dtls_id(id: u16) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.dtls_id() == Some(id))
    }
}
