//! Differential fuzz body (`--features interop` in fuzz/, needs the system
//! libsrtp 2): voipsec and libsrtp protect the same RTP and RTCP packets
//! under the same profile and master key, and must agree byte for byte;
//! each side then unprotects what the other produced back to the plaintext.
//!
//! The input chooses the profile, the key, the SSRC and a run of packets
//! (RTP with CSRCs, header extensions, payload sizes and forward sequence
//! steps that wrap the ROC; RTCP of every report type). Packets are
//! well-formed on purpose: the unprotect fuzz targets cover hostile bytes,
//! this one the bit-exactness of what both sides accept.

#[path = "../../tests/support/libsrtp.rs"]
mod libsrtp;

use libsrtp::{Lib, SSRC_ANY_INBOUND, SSRC_ANY_OUTBOUND, SsrcT};
use voipsec::srtp::{Policy, Profile, SrtpContext};

/// Packets per input: enough to wrap the sequence number (steps up to 1024).
const MAX_PACKETS: usize = 96;

pub fn run(data: &[u8]) {
    let mut input = Input(data);
    let Some(selector) = input.byte() else {
        return;
    };
    let profile = Profile::ALL[usize::from(selector) % Profile::ALL.len()];
    let encrypt_rtcp = selector & 0x80 == 0;
    let (Some(key), Some(salt)) = (
        input.take(profile.master_key_len()),
        input.take(profile.master_salt_len()),
    ) else {
        return;
    };
    let (Some(ssrc), Some(first_seq)) = (input.u32(), input.u16()) else {
        return;
    };

    let policy = |mut policy: Policy| {
        policy.encrypt_rtcp = encrypt_rtcp;
        // libsrtp 2.5 without OpenSSL keys the AES-192 KDF as AES-256
        // (see `Policy::libsrtp_aes192_kdf`).
        policy.libsrtp_aes192_kdf = true;
        policy
    };
    let mut our_tx = SrtpContext::new(profile, key, salt, policy(Policy::outbound()))
        .expect("a key of the profile's length is accepted");
    let mut our_rx = SrtpContext::new(profile, key, salt, policy(Policy::inbound()))
        .expect("a key of the profile's length is accepted");
    let keys = [(key.to_vec(), salt.to_vec())];
    let any = |kind| SsrcT { kind, value: 0 };
    let lib_tx = Lib::new(profile, &keys, &[], any(SSRC_ANY_OUTBOUND), encrypt_rtcp);
    let lib_rx = Lib::new(profile, &keys, &[], any(SSRC_ANY_INBOUND), encrypt_rtcp);

    let mut seq = first_seq;
    for _ in 0..MAX_PACKETS {
        let Some(kind) = input.byte() else {
            return;
        };
        let (plain, rtcp) = if kind & 1 == 0 {
            let step = 1 + (u16::from(kind >> 1) << 3) + u16::from(input.byte().unwrap_or(0) & 7);
            seq = seq.wrapping_add(step);
            (rtp_packet(&mut input, ssrc, seq), false)
        } else {
            (rtcp_packet(&mut input, ssrc, kind), true)
        };

        let ours = protect(&mut our_tx, &plain, rtcp);
        let theirs = if rtcp {
            lib_tx.protect_rtcp(&plain, 0)
        } else {
            lib_tx.protect(&plain, 0)
        };
        let (ours, theirs) = match (ours, theirs) {
            (Some(ours), Ok(theirs)) => (ours, theirs),
            (None, Err(_)) => continue,
            (ours, theirs) => panic!(
                "{profile:?} rtcp={rtcp}: voipsec protect ok={} but libsrtp {theirs:?}",
                ours.is_some()
            ),
        };
        assert_eq!(
            ours, theirs,
            "{profile:?} rtcp={rtcp} seq={seq}: protected bytes differ"
        );

        let lib_plain = if rtcp {
            lib_rx.unprotect_rtcp(&ours)
        } else {
            lib_rx.unprotect(&ours)
        };
        assert_eq!(
            lib_plain.as_deref(),
            Ok(&plain[..]),
            "libsrtp unprotects ours"
        );
        let mut buf = theirs;
        let n = if rtcp {
            our_rx.unprotect_rtcp(&mut buf)
        } else {
            our_rx.unprotect_rtp(&mut buf)
        };
        let n = n.unwrap_or_else(|e| panic!("{profile:?} voipsec unprotects libsrtp's: {e}"));
        assert_eq!(
            buf.get(..n),
            Some(&plain[..]),
            "voipsec unprotects libsrtp's"
        );
    }
}

/// RTP (RFC 3550 §5.1): version 2, CSRCs and a one-byte-header extension
/// (RFC 8285) as the input says, then up to 255 bytes of payload.
fn rtp_packet(input: &mut Input, ssrc: u32, seq: u16) -> Vec<u8> {
    let shape = input.byte().unwrap_or(0);
    let csrcs = shape & 0x0f;
    let extension_words = if shape & 0x10 != 0 {
        (shape >> 5) as u16
    } else {
        0
    };
    let mut packet = vec![
        0x80 | csrcs | if shape & 0x10 != 0 { 0x10 } else { 0 },
        input.byte().unwrap_or(0) & 0x7f,
    ];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&input.u32().unwrap_or(0).to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    for _ in 0..csrcs {
        packet.extend_from_slice(&input.u32().unwrap_or(0).to_be_bytes());
    }
    if shape & 0x10 != 0 {
        packet.extend_from_slice(&[0xbe, 0xde]);
        packet.extend_from_slice(&extension_words.to_be_bytes());
        for _ in 0..extension_words {
            packet.extend_from_slice(&input.u32().unwrap_or(0).to_be_bytes());
        }
    }
    let payload = usize::from(input.byte().unwrap_or(0));
    packet.extend((0..payload).map(|_| input.byte().unwrap_or(0)));
    packet
}

/// RTCP (RFC 3550 §6.4): a compound packet's first report (SR, RR, SDES,
/// BYE or APP) with a length field that matches its words.
fn rtcp_packet(input: &mut Input, ssrc: u32, kind: u8) -> Vec<u8> {
    let words = u16::from(input.byte().unwrap_or(0) & 0x3f) + 1;
    let mut packet = vec![0x80 | (kind >> 3 & 0x1f), 200 + (kind >> 1) % 5];
    packet.extend_from_slice(&words.to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    for _ in 1..words {
        packet.extend_from_slice(&input.u32().unwrap_or(0).to_be_bytes());
    }
    packet
}

fn protect(ctx: &mut SrtpContext, plain: &[u8], rtcp: bool) -> Option<Vec<u8>> {
    // Room for the longest tag, MKI and SRTCP index.
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + 64, 0);
    let n = if rtcp {
        ctx.protect_rtcp(&mut buf, plain.len())
    } else {
        ctx.protect_rtp(&mut buf, plain.len())
    };
    buf.truncate(n.ok()?);
    Some(buf)
}

/// The fuzz input, consumed front to back.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}
