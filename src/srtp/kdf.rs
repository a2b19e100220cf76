//! RFC 3711 §4.3 key derivation (AES-CM PRF), with RFC 6188 (AES-192/256)
//! and RFC 7714 §11 (12-byte GCM master salt) variants.

use aes08::{Aes128, Aes192, Aes256};
use ctr09::cipher::{BlockCipher, BlockEncrypt, BlockSizeUser, KeyInit, consts::U16};
use zeroize::Zeroize;

use super::error::{Error, Result};

/// Key derivation labels, RFC 3711 §4.3.1 and §4.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Label {
    RtpCipher = 0,
    RtpAuth = 1,
    RtpSalt = 2,
    RtcpCipher = 3,
    RtcpAuth = 4,
    RtcpSalt = 5,
}

/// Longest master key (AES-256) and salt (14 bytes).
pub(crate) const MAX_KEY_LEN: usize = 32;
pub(crate) const SALT_LEN: usize = 14;

/// A master key and salt, zeroized on drop; never printed.
#[derive(Clone, Zeroize, zeroize::ZeroizeOnDrop)]
pub(crate) struct MasterKey {
    key: [u8; MAX_KEY_LEN],
    key_len: usize,
    /// Master salt, left-aligned and zero-padded to 14 bytes: a 12-byte GCM
    /// salt is padded on the right, as libsrtp does (RFC 7714 §11).
    salt: [u8; SALT_LEN],
}

impl core::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl MasterKey {
    /// Checks the lengths the profile requires and copies key and salt.
    pub(crate) fn new(key: &[u8], salt: &[u8], key_len: usize, salt_len: usize) -> Result<Self> {
        if key.len() != key_len {
            return Err(Error::BadKeyLength {
                what: "master key",
                expected: key_len,
                got: key.len(),
            });
        }
        if salt.len() != salt_len {
            return Err(Error::BadKeyLength {
                what: "master salt",
                expected: salt_len,
                got: salt.len(),
            });
        }
        let mut m = MasterKey {
            key: [0; MAX_KEY_LEN],
            key_len,
            salt: [0; SALT_LEN],
        };
        m.key[..key_len].copy_from_slice(key);
        m.salt[..salt_len].copy_from_slice(salt);
        Ok(m)
    }

    /// The master key libsrtp 2.x (without OpenSSL's KDF) effectively uses
    /// for AES-192: the KDF runs AES-256 keyed with `key(24) || salt[..8]`
    /// and the salt is `salt[8..14]` followed by zeros.
    pub(crate) fn libsrtp_aes192_kdf(&self) -> MasterKey {
        let mut m = MasterKey {
            key: [0; MAX_KEY_LEN],
            key_len: 32,
            salt: [0; SALT_LEN],
        };
        m.key[..24].copy_from_slice(&self.key[..24]);
        m.key[24..32].copy_from_slice(&self.salt[..8]);
        m.salt[..6].copy_from_slice(&self.salt[8..14]);
        m
    }

    /// Fills `out` with the PRF output for `label` at `r = index DIV kdr`
    /// (RFC 3711 §4.3.1): `AES-CM(master_key, (salt XOR (label || r)) · 2^16)`.
    pub(crate) fn derive(&self, label: Label, r: u64, out: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..SALT_LEN].copy_from_slice(&self.salt);
        // key_id = label || r (48-bit r), right-aligned on the 112-bit salt.
        iv[7] ^= label as u8;
        let r_bytes = r.to_be_bytes();
        for (dst, src) in iv[8..14].iter_mut().zip(&r_bytes[2..8]) {
            *dst ^= src;
        }
        out.fill(0);
        let key = &self.key[..self.key_len];
        match self.key_len {
            24 => keystream::<Aes192>(key, &iv, out),
            32 => keystream::<Aes256>(key, &iv, out),
            _ => keystream::<Aes128>(key, &iv, out),
        }
        iv.zeroize();
    }
}

/// XORs the AES-CTR keystream for `iv` into `out` (which the caller zeroed).
fn keystream<C>(key: &[u8], iv: &[u8; 16], out: &mut [u8])
where
    C: KeyInit + BlockCipher + BlockEncrypt + BlockSizeUser<BlockSize = U16>,
{
    // Key lengths were checked in `MasterKey::new`, so this cannot fail;
    // if it ever did, `out` stays zero and every tag check fails closed.
    if let Ok(cipher) = C::new_from_slice(key) {
        super::cipher::ctr_xor(&cipher, iv, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::srtp::test_hex::hex;

    /// RFC 3711 B.2, RFC 6188 §7.1/7.3: keystream blocks 0, 1, 2, 0xfeff, 0xff00, 0xff01.
    #[test]
    fn aes_cm_keystream() {
        let mut iv = [0u8; 16];
        iv[..14].copy_from_slice(&hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
        let cases: [(&str, [&str; 6]); 3] = [
            (
                "2B7E151628AED2A6ABF7158809CF4F3C",
                [
                    "E03EAD0935C95E80E166B16DD92B4EB4",
                    "D23513162B02D0F72A43A2FE4A5F97AB",
                    "41E95B3BB0A2E8DD477901E4FCA894C0",
                    "EC8CDF7398607CB0F2D21675EA9EA1E4",
                    "362B7C3C6773516318A077D7FC5073AE",
                    "6A2CC3787889374FBEB4C81B17BA6C44",
                ],
            ),
            (
                "eab234764e517b2d3d160d587d8c86219740f65f99b6bcf7",
                [
                    "35096CBA4610028DC1B57503804CE37C",
                    "5DE986291DCCE161D5165EC4568F5C9A",
                    "474A40C77894BC17180202272A4C264D",
                    "D108D1A31A00BAD6367EC23EB044B415",
                    "C8F57129FDEB970B59F917B257662D4C",
                    "A5DAB625811034E8CEBDFEB6DC158DD3",
                ],
            ),
            (
                "57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98",
                [
                    "92BDD28A93C3F52511C677D08B5515A4",
                    "9DA71B2378A854F67050756DED165BAC",
                    "63C4868B7096D88421B563B8C94C9A31",
                    "CEA518C90FD91CED9CBB18C078A54711",
                    "3DBC4814F4DA5F00A08772B63C6A046D",
                    "6EB246913062A16891433E97DD01A57F",
                ],
            ),
        ];
        for (key, blocks) in cases {
            let key = hex(key);
            let mut out = vec![0u8; 0xff02 * 16];
            match key.len() {
                24 => keystream::<Aes192>(&key, &iv, &mut out),
                32 => keystream::<Aes256>(&key, &iv, &mut out),
                _ => keystream::<Aes128>(&key, &iv, &mut out),
            }
            for (at, want) in [0usize, 1, 2, 0xfeff, 0xff00, 0xff01]
                .into_iter()
                .zip(blocks)
            {
                assert_eq!(
                    &out[at * 16..at * 16 + 16],
                    &hex(want)[..],
                    "key {} block {at:#x}",
                    key.len()
                );
            }
        }
    }

    fn check_kdf(key: &str, salt: &str, expect: &[(Label, &str)]) {
        let (key, salt) = (hex(key), hex(salt));
        let m = MasterKey::new(&key, &salt, key.len(), salt.len()).unwrap();
        for (label, want) in expect {
            let want = hex(want);
            let mut out = vec![0u8; want.len()];
            m.derive(*label, 0, &mut out);
            assert_eq!(out, want, "label {label:?}");
        }
    }

    /// RFC 3711 B.3 (and the SRTCP labels of the same PRF).
    #[test]
    fn rfc3711_b3_key_derivation() {
        check_kdf(
            "E1F97A0D3E018BE0D64FA32C06DE4139",
            "0EC675AD498AFEEBB6960B3AABE6",
            &[
                (Label::RtpCipher, "C61E7A93744F39EE10734AFE3FF7A087"),
                (Label::RtpSalt, "30CBBC08863D8C85D49DB34A9AE1"),
                (
                    Label::RtpAuth,
                    "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE
                E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25
                6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2",
                ),
                (Label::RtcpCipher, "4C1AA45A81F73D61C800BBB00FBB1EAA"),
                (Label::RtcpAuth, "8D54534FEB49AE8E7993A6BD0B844FC323A93DFD"),
                (Label::RtcpSalt, "9581C7AD87B3E530BF3E4454A8B3"),
            ],
        );
    }

    /// RFC 6188 §7.2: AES-256 PRF.
    #[test]
    fn rfc6188_aes256_key_derivation() {
        check_kdf(
            "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6",
            "3b04803de51ee7c96423ab5b78d2",
            &[
                (
                    Label::RtpCipher,
                    "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4",
                ),
                (Label::RtpSalt, "fa31791685ca444a9e07c6c64e93"),
                (
                    Label::RtpAuth,
                    "fd9c32d39ed5fbb5a9dc96b30818454d1313dc053a84dee41c05faa6a60014da
                    a924fb02b8680e0621addacfd9d8b0f70ab0ce4ff9468ebaeb038792c2ca01b8
                    cfc61d0e38c323074e2475a92c9ea321e39704bb371a7fff3d3f9bb249bf",
                ),
            ],
        );
    }

    /// A non-zero `r` (KDR ≠ 0) changes the key_id and so the keys; r = 0
    /// equals KDR 0 (RFC 3711 §4.3.1).
    #[test]
    fn kdr_r_enters_key_id() {
        let m = MasterKey::new(&[1; 16], &[2; 14], 16, 14).unwrap();
        let (mut a, mut b, mut c) = ([0u8; 16], [0u8; 16], [0u8; 16]);
        m.derive(Label::RtpCipher, 0, &mut a);
        m.derive(Label::RtpCipher, 1, &mut b);
        m.derive(Label::RtpCipher, 1 << 40, &mut c);
        assert_ne!(a, b);
        assert_ne!(b, c);
        // r XORs into IV bytes 8..14: r = 1 is the same as salt[13] ^= 1.
        let m2 = MasterKey::new(
            &[1; 16],
            &[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3],
            16,
            14,
        )
        .unwrap();
        let mut d = [0u8; 16];
        m2.derive(Label::RtpCipher, 0, &mut d);
        assert_eq!(b, d);
    }
}
