//! Proves the hot path allocates nothing: after setup (contexts built,
//! streams created by their first packets), protect and unprotect of RTP and
//! RTCP run under a counting global allocator with zero allocations.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

use voipsec::srtp::{Policy, Profile, SrtpContext};

fn rtp_into(buf: &mut [u8], ssrc: u32, seq: u16, payload: usize) -> usize {
    buf[..12].copy_from_slice(&[0x90, 0x60, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
    // One-word header extension, then the payload.
    buf[12..20].copy_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]);
    for (i, b) in buf[20..20 + payload].iter_mut().enumerate() {
        *b = i as u8;
    }
    20 + payload
}

fn rtcp_into(buf: &mut [u8], ssrc: u32) -> usize {
    buf[..8].copy_from_slice(&[0x81, 200, 0, 6, 0, 0, 0, 0]);
    buf[4..8].copy_from_slice(&ssrc.to_be_bytes());
    buf[8..28].fill(0x5a);
    28
}

#[test]
fn protect_and_unprotect_allocate_nothing_per_packet() {
    // The counter itself works: a Vec on this thread is seen.
    let (seen, _) = allocations_during(|| std::hint::black_box(vec![0u8; 32]));
    assert!(seen > 0, "counting allocator not active");
    for profile in Profile::ALL {
        for kdr in [0u64, 1 << 4] {
            let k = &[9u8; 32][..profile.master_key_len()];
            let s = &[3u8; 14][..profile.master_salt_len()];
            let (mut ptx, mut prx) = (Policy::outbound(), Policy::inbound());
            ptx.kdr = kdr;
            prx.kdr = kdr;
            let mut tx = SrtpContext::new_with_mki(profile, &[1, 2], k, s, ptx).unwrap();
            let mut rx = SrtpContext::new_with_mki(profile, &[1, 2], k, s, prx).unwrap();
            let mut buf = vec![0u8; 1500];
            let ssrcs = [0x1111_1111u32, 0x2222_2222, 0x3333_3333];
            // Setup: each stream's first RTP and RTCP packet creates it (and,
            // with KDR, its rekeyed-key cache).
            for &ssrc in &ssrcs {
                let n = rtp_into(&mut buf, ssrc, 65_530, 160);
                let n = tx.protect_rtp(&mut buf, n).unwrap();
                rx.unprotect_rtp(&mut buf[..n]).unwrap();
                let n = rtcp_into(&mut buf, ssrc);
                let n = tx.protect_rtcp(&mut buf, n).unwrap();
                rx.unprotect_rtcp(&mut buf[..n]).unwrap();
            }
            let (allocations, ()) = allocations_during(|| {
                for i in 1..=200u16 {
                    for &ssrc in &ssrcs {
                        let seq = 65_530u16.wrapping_add(i); // wraps the ROC
                        let n = rtp_into(&mut buf, ssrc, seq, if i % 2 == 0 { 160 } else { 1200 });
                        let n = tx.protect_rtp(&mut buf, n).unwrap();
                        rx.unprotect_rtp(&mut buf[..n]).unwrap();
                        let n = rtcp_into(&mut buf, ssrc);
                        let n = tx.protect_rtcp(&mut buf, n).unwrap();
                        rx.unprotect_rtcp(&mut buf[..n]).unwrap();
                        // Rejected packets do not allocate either.
                        let n = rtp_into(&mut buf, ssrc, seq, 160);
                        buf[n..n + 12].fill(0);
                        assert!(rx.unprotect_rtp(&mut buf[..n + 12]).is_err());
                        // Junk from unknown SSRCs creates (allocates) nothing.
                        let n = rtp_into(&mut buf, ssrc ^ u32::from(i) ^ 0x8000_0000, seq, 160);
                        buf[n..n + 12].fill(0);
                        assert!(rx.unprotect_rtp(&mut buf[..n + 12]).is_err());
                    }
                }
            });
            assert_eq!(
                allocations, 0,
                "{profile:?} kdr {kdr}: allocations on the hot path"
            );
        }
    }
}
