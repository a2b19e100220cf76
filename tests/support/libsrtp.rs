//! The system libsrtp 2 (`libsrtp2-dev`, /usr/include/srtp2/srtp.h) behind a
//! small safe wrapper, shared by the interop test (`tests/srtp_interop.rs`)
//! and the differential fuzz target (`fuzz/bodies/srtp_protect_libsrtp.rs`):
//! include it with `#[path = "support/libsrtp.rs"] mod libsrtp;`. Linking
//! needs the library; a build without it fails, it never skips.
//!
//! `unsafe` is only the FFI calls, each on a session this wrapper owns.
#![allow(dead_code)] // each user needs part of it
#![allow(unsafe_code)]

use std::ffi::{c_int, c_uint, c_ulong, c_void};
use std::sync::Once;

use voipsec::srtp::Profile;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SsrcT {
    pub kind: c_int, // srtp_ssrc_type_t
    pub value: c_uint,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CryptoPolicy {
    cipher_type: u32,
    cipher_key_len: c_int,
    auth_type: u32,
    auth_key_len: c_int,
    auth_tag_len: c_int,
    sec_serv: c_int,
}

#[repr(C)]
struct MasterKeyT {
    key: *mut u8,
    mki_id: *mut u8,
    mki_size: c_uint,
}

/// `srtp_policy_t` of /usr/include/srtp2/srtp.h (libsrtp 2.5).
#[repr(C)]
struct PolicyT {
    ssrc: SsrcT,
    rtp: CryptoPolicy,
    rtcp: CryptoPolicy,
    key: *mut u8,
    keys: *mut *mut MasterKeyT,
    num_master_keys: c_ulong,
    deprecated_ekt: *mut c_void,
    window_size: c_ulong,
    allow_repeat_tx: c_int,
    enc_xtn_hdr: *mut c_int,
    enc_xtn_hdr_count: c_int,
    next: *mut PolicyT,
}

type SrtpT = *mut c_void;

#[link(name = "srtp2")]
unsafe extern "C" {
    fn srtp_init() -> c_int;
    fn srtp_create(session: *mut SrtpT, policy: *const PolicyT) -> c_int;
    fn srtp_dealloc(s: SrtpT) -> c_int;
    fn srtp_protect_mki(
        ctx: SrtpT,
        hdr: *mut c_void,
        len: *mut c_int,
        use_mki: c_uint,
        mki_index: c_uint,
    ) -> c_int;
    fn srtp_unprotect_mki(ctx: SrtpT, hdr: *mut c_void, len: *mut c_int, use_mki: c_uint) -> c_int;
    fn srtp_protect_rtcp_mki(
        ctx: SrtpT,
        hdr: *mut c_void,
        len: *mut c_int,
        use_mki: c_uint,
        mki_index: c_uint,
    ) -> c_int;
    fn srtp_unprotect_rtcp_mki(
        ctx: SrtpT,
        hdr: *mut c_void,
        len: *mut c_int,
        use_mki: c_uint,
    ) -> c_int;
    fn srtp_set_stream_roc(s: SrtpT, ssrc: u32, roc: u32) -> c_int;
    fn srtp_get_stream_roc(s: SrtpT, ssrc: u32, roc: *mut u32) -> c_int;
}

pub const SSRC_SPECIFIC: c_int = 1;
pub const SSRC_ANY_INBOUND: c_int = 2;
pub const SSRC_ANY_OUTBOUND: c_int = 3;
pub const ERR_AUTH_FAIL: c_int = 7;
pub const ERR_REPLAY_FAIL: c_int = 9;
pub const ERR_BAD_MKI: c_int = 25;

fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| assert_eq!(unsafe { srtp_init() }, 0, "srtp_init"));
}

/// The libsrtp crypto policy of one of our profiles (RTP or RTCP).
fn crypto_policy(profile: Profile, rtcp: bool, encrypt: bool) -> CryptoPolicy {
    let (cipher_type, auth_type) = match profile {
        Profile::Aes128CmHmacSha1_80 | Profile::Aes128CmHmacSha1_32 => (1, 3),
        Profile::Aes192CmHmacSha1_80 | Profile::Aes192CmHmacSha1_32 => (4, 3),
        Profile::Aes256CmHmacSha1_80 | Profile::Aes256CmHmacSha1_32 => (5, 3),
        Profile::AeadAes128Gcm => (6, 0),
        Profile::AeadAes256Gcm => (7, 0),
        Profile::NullHmacSha1_80 | Profile::NullHmacSha1_32 => (0, 3),
    };
    let aead = profile.is_aead();
    let null = cipher_type == 0;
    CryptoPolicy {
        cipher_type,
        cipher_key_len: (profile.master_key_len() + profile.master_salt_len()) as c_int,
        auth_type,
        auth_key_len: if aead { 0 } else { 20 },
        auth_tag_len: if rtcp {
            profile.rtcp_tag_len()
        } else {
            profile.rtp_tag_len()
        } as c_int,
        sec_serv: if null || (rtcp && !encrypt) { 2 } else { 3 },
    }
}

/// One libsrtp session (any inbound / any outbound, or one specific SSRC).
pub struct Lib {
    session: SrtpT,
    use_mki: bool,
    // Keep the key material the policy points at alive for the session.
    _keys: Vec<Vec<u8>>,
    _mkis: Vec<Vec<u8>>,
    #[allow(clippy::vec_box)] // boxes keep the addresses libsrtp was given stable
    _structs: Vec<Box<MasterKeyT>>,
}

impl Lib {
    pub fn new(
        profile: Profile,
        keys: &[(Vec<u8>, Vec<u8>)],
        mkis: &[Vec<u8>],
        ssrc: SsrcT,
        encrypt_rtcp: bool,
    ) -> Lib {
        init();
        let mut key_bufs: Vec<Vec<u8>> = keys
            .iter()
            .map(|(k, s)| {
                let mut v = k.clone();
                v.extend_from_slice(s);
                v.resize(64, 0);
                v
            })
            .collect();
        let mut mki_bufs: Vec<Vec<u8>> = mkis.to_vec();
        let mut structs: Vec<Box<MasterKeyT>> = Vec::new();
        let mut ptrs: Vec<*mut MasterKeyT> = Vec::new();
        if !mkis.is_empty() {
            for (k, m) in key_bufs.iter_mut().zip(mki_bufs.iter_mut()) {
                let mut b = Box::new(MasterKeyT {
                    key: k.as_mut_ptr(),
                    mki_id: m.as_mut_ptr(),
                    mki_size: m.len() as c_uint,
                });
                ptrs.push(&mut *b);
                structs.push(b);
            }
        }
        let policy = PolicyT {
            ssrc,
            rtp: crypto_policy(profile, false, true),
            rtcp: crypto_policy(profile, true, encrypt_rtcp),
            key: if mkis.is_empty() {
                key_bufs[0].as_mut_ptr()
            } else {
                std::ptr::null_mut()
            },
            keys: if mkis.is_empty() {
                std::ptr::null_mut()
            } else {
                ptrs.as_mut_ptr()
            },
            num_master_keys: if mkis.is_empty() {
                0
            } else {
                ptrs.len() as c_ulong
            },
            deprecated_ekt: std::ptr::null_mut(),
            window_size: 128,
            allow_repeat_tx: 0,
            enc_xtn_hdr: std::ptr::null_mut(),
            enc_xtn_hdr_count: 0,
            next: std::ptr::null_mut(),
        };
        let mut session: SrtpT = std::ptr::null_mut();
        let rc = unsafe { srtp_create(&mut session, &policy) };
        assert_eq!(rc, 0, "srtp_create for {profile:?}");
        Lib {
            session,
            use_mki: !mkis.is_empty(),
            _keys: key_bufs,
            _mkis: mki_bufs,
            _structs: structs,
        }
    }

    fn call(
        &self,
        f: unsafe extern "C" fn(SrtpT, *mut c_void, *mut c_int, c_uint, c_uint) -> c_int,
        pkt: &[u8],
        mki_index: u32,
    ) -> Result<Vec<u8>, c_int> {
        let mut buf = pkt.to_vec();
        buf.resize(pkt.len() + 256, 0);
        let mut len = pkt.len() as c_int;
        let rc = unsafe {
            f(
                self.session,
                buf.as_mut_ptr().cast(),
                &mut len,
                self.use_mki as c_uint,
                mki_index,
            )
        };
        if rc != 0 {
            return Err(rc);
        }
        buf.truncate(len as usize);
        Ok(buf)
    }

    pub fn protect(&self, pkt: &[u8], mki_index: u32) -> Result<Vec<u8>, c_int> {
        self.call(srtp_protect_mki, pkt, mki_index)
    }

    pub fn protect_rtcp(&self, pkt: &[u8], mki_index: u32) -> Result<Vec<u8>, c_int> {
        self.call(srtp_protect_rtcp_mki, pkt, mki_index)
    }

    pub fn unprotect(&self, pkt: &[u8]) -> Result<Vec<u8>, c_int> {
        self.unprotect_with(srtp_unprotect_mki, pkt)
    }

    pub fn unprotect_rtcp(&self, pkt: &[u8]) -> Result<Vec<u8>, c_int> {
        self.unprotect_with(srtp_unprotect_rtcp_mki, pkt)
    }

    fn unprotect_with(
        &self,
        f: unsafe extern "C" fn(SrtpT, *mut c_void, *mut c_int, c_uint) -> c_int,
        pkt: &[u8],
    ) -> Result<Vec<u8>, c_int> {
        let mut buf = pkt.to_vec();
        let mut len = pkt.len() as c_int;
        // SAFETY: the session is live; `buf` holds `len` writable bytes and
        // unprotect only shrinks the packet.
        let rc = unsafe {
            f(
                self.session,
                buf.as_mut_ptr().cast(),
                &mut len,
                self.use_mki as c_uint,
            )
        };
        if rc != 0 {
            return Err(rc);
        }
        buf.truncate(len as usize);
        Ok(buf)
    }

    /// Sets the ROC of one SSRC's stream (`srtp_set_stream_roc`).
    pub fn set_roc(&self, ssrc: u32, roc: u32) -> Result<(), c_int> {
        // SAFETY: the session is live (owned by self).
        match unsafe { srtp_set_stream_roc(self.session, ssrc, roc) } {
            0 => Ok(()),
            rc => Err(rc),
        }
    }

    /// The ROC of one SSRC's stream (`srtp_get_stream_roc`).
    pub fn roc(&self, ssrc: u32) -> Result<u32, c_int> {
        let mut roc = 0u32;
        // SAFETY: the session is live and `roc` is a valid out-pointer.
        match unsafe { srtp_get_stream_roc(self.session, ssrc, &mut roc) } {
            0 => Ok(roc),
            rc => Err(rc),
        }
    }
}

impl Drop for Lib {
    fn drop(&mut self) {
        unsafe { srtp_dealloc(self.session) };
    }
}
