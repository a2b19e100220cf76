//! Fuzz body: arbitrary bytes as SRTCP packets against a fixed key (the
//! same selector byte and keys as `srtp_unprotect`; bit 5 of the selector
//! sends unencrypted SRTCP). Invariants: no panic; failures create no
//! stream; successes are not accepted twice; the bytes as plaintext RTCP
//! round-trip through protect/unprotect.

#[allow(dead_code)] // only `contexts` is shared
#[path = "srtp_unprotect.rs"]
mod srtp_body;

pub fn run(data: &[u8]) {
    let Some((&selector, packet)) = data.split_first() else {
        return;
    };
    let Some((_, mut rx)) = srtp_body::contexts(selector) else {
        return;
    };

    let mut buf = packet.to_vec();
    if let Ok(n) = rx.unprotect_rtcp(&mut buf) {
        assert!(n <= packet.len());
        assert_eq!(rx.stream_count(), 1);
        let mut again = packet.to_vec();
        assert!(rx.unprotect_rtcp(&mut again).is_err(), "replay accepted");
    } else {
        assert_eq!(rx.stream_count(), 0, "failed packet created a stream");
    }

    let Some((mut tx, mut rx2)) = srtp_body::contexts(selector) else {
        return;
    };
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + tx.rtcp_overhead(), 0);
    if let Ok(n) = tx.protect_rtcp(&mut buf, packet.len()) {
        let m = rx2
            .unprotect_rtcp(&mut buf[..n])
            .expect("own packet must verify");
        assert_eq!(&buf[..m], packet);
    }
}
