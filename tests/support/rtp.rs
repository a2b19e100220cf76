//! Plain RTP and RTCP packets for the SRTP tests (RFC 3550 §5.1, §6.4.1).

/// An RTP packet: version 2, no CSRC, payload type 0, timestamp 1, and
/// `payload` bytes counting up from 0.
pub fn rtp(ssrc: u32, seq: u16, payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..payload).map(|i| i as u8));
    p
}

/// A sender report of `ssrc` (28 bytes, one report block's worth of 0x5a).
pub fn rtcp(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x81, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0x5a; 20]);
    p
}
