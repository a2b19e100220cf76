//! One SSRC: packet-index estimation (RFC 3711 §3.3.1, Appendix A), the
//! replay windows, the SRTCP index, and session keys when KDR ≠ 0.

use super::cipher::SessionKeys;
use super::error::{Error, Result};
use super::replay::ReplayWindow;

/// Highest SRTP packet index + 1 (48 bits, RFC 3711 §3.3.1).
pub(crate) const SRTP_INDEX_LIMIT: u64 = 1 << 48;
/// Highest SRTCP index + 1 (31 bits, RFC 3711 §3.4).
pub(crate) const SRTCP_INDEX_LIMIT: u32 = 1 << 31;

/// Session keys derived for one `r = index DIV kdr` (RFC 3711 §4.3.1), kept
/// per stream because they depend on the stream's index.
pub(crate) struct RekeyedKeys {
    pub(crate) slot: usize,
    pub(crate) r: u64,
    pub(crate) keys: SessionKeys,
}

/// Per-SSRC state.
pub(crate) struct Stream {
    /// Highest RTP index accepted (sent or received); `None` before the first.
    rtp_top: Option<u64>,
    /// ROC to use for the first packet (set by `set_roc` before any packet).
    initial_roc: u32,
    pub(crate) rtp_replay: ReplayWindow,
    pub(crate) rtcp_replay: ReplayWindow,
    /// Last SRTCP index sent (0 = none yet; the first sent is 1, as libsrtp).
    rtcp_sent: u32,
    /// Session keys when the key derivation rate is non-zero.
    pub(crate) rtp_rekeyed: Option<Box<RekeyedKeys>>,
    pub(crate) rtcp_rekeyed: Option<Box<RekeyedKeys>>,
}

impl Stream {
    pub(crate) fn new(window: usize) -> Self {
        Stream {
            rtp_top: None,
            initial_roc: 0,
            rtp_replay: ReplayWindow::new(window),
            rtcp_replay: ReplayWindow::new(window),
            rtcp_sent: 0,
            rtp_rekeyed: None,
            rtcp_rekeyed: None,
        }
    }

    /// Estimates the 48-bit index of a packet with sequence number `seq`
    /// (RFC 3711 Appendix A). Never guesses ROC − 1 while ROC is 0, so early
    /// reordering of a stream cannot wrap to ROC 2^32 − 1 (the libsrtp rule).
    pub(crate) fn estimate_index(&self, seq: u16) -> Result<u64> {
        estimate_index(self.rtp_top, self.initial_roc, seq)
    }

    /// Records an accepted RTP index (after it authenticated / was sent).
    pub(crate) fn accept_rtp(&mut self, index: u64) {
        self.rtp_replay.accept(index);
        if self.rtp_top.is_none_or(|t| index > t) {
            self.rtp_top = Some(index);
        }
    }

    /// The ROC: of the highest index seen, or the one set for the first packet.
    pub(crate) fn roc(&self) -> u32 {
        self.rtp_top.map_or(self.initial_roc, |t| (t >> 16) as u32)
    }

    /// Sets the ROC (RFC 4568 §6.4.1 joining, DTLS re-keying): the next packet
    /// is estimated against `roc`, keeping the highest sequence number seen;
    /// the replay window restarts.
    pub(crate) fn set_roc(&mut self, roc: u32) {
        match self.rtp_top {
            None => self.initial_roc = roc,
            Some(t) => self.rtp_top = Some((u64::from(roc) << 16) | (t & 0xffff)),
        }
        self.rtp_replay.reset();
    }

    /// Next SRTCP index to send, or `KeyExpired` after 2^31 − 1.
    pub(crate) fn next_rtcp_index(&self) -> Result<u32> {
        let next = self
            .rtcp_sent
            .checked_add(1)
            .filter(|i| *i < SRTCP_INDEX_LIMIT);
        next.ok_or(Error::KeyExpired)
    }

    pub(crate) fn commit_rtcp_index(&mut self, index: u32) {
        self.rtcp_sent = index;
    }
}

/// RFC 3711 Appendix A with `top` the highest index so far.
pub(crate) fn estimate_index(top: Option<u64>, initial_roc: u32, seq: u16) -> Result<u64> {
    let Some(top) = top else {
        return Ok((u64::from(initial_roc) << 16) | u64::from(seq));
    };
    let roc = top >> 16;
    let s_l = (top & 0xffff) as u16;
    let seq32 = u32::from(seq);
    let s_l32 = u32::from(s_l);
    let v = if s_l < 0x8000 {
        if seq32 > s_l32 + 0x8000 && roc > 0 {
            roc - 1
        } else {
            roc
        }
    } else if seq32 + 0x8000 < s_l32 {
        roc + 1
    } else {
        roc
    };
    let index = (v << 16) | u64::from(seq);
    if index >= SRTP_INDEX_LIMIT {
        return Err(Error::KeyExpired);
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimation_follows_appendix_a() {
        // Fresh stream: ROC 0, no ROC - 1 guess.
        assert_eq!(estimate_index(None, 0, 65000).unwrap(), 65000);
        assert_eq!(estimate_index(Some(10), 0, 65000).unwrap(), 65000);
        // Wrap forward.
        assert_eq!(estimate_index(Some(65530), 0, 3).unwrap(), 0x1_0003);
        // Reordering across the wrap: a late packet from the old ROC.
        assert_eq!(estimate_index(Some(0x1_0003), 0, 65534).unwrap(), 65534);
        // Set ROC before the first packet.
        assert_eq!(estimate_index(None, 7, 40000).unwrap(), (7 << 16) | 40000);
        // Index space exhausted.
        assert_eq!(
            estimate_index(Some(0xffff_ffff_fff0), 0, 2),
            Err(Error::KeyExpired)
        );
    }

    #[test]
    fn set_roc_keeps_sequence_and_resets_window() {
        let mut s = Stream::new(128);
        s.accept_rtp(100);
        s.set_roc(5);
        assert_eq!(s.roc(), 5);
        assert_eq!(s.estimate_index(101).unwrap(), (5 << 16) | 101);
        assert!(s.rtp_replay.check(100).is_ok());
    }
}
