//! Sliding replay window (RFC 3711 §3.3.2).
//!
//! The window is a ring of bits indexed by `index mod size`; advancing the
//! top clears only the bits that enter the window, so the usual one-packet
//! step costs one bit operation regardless of the window size.

use super::error::{Error, Result};

/// Default window size in packets (libsrtp's default).
pub const DEFAULT_REPLAY_WINDOW: usize = 128;
/// Largest supported window (libsrtp's limit, 0x8000).
pub const MAX_REPLAY_WINDOW: usize = 0x8000;

/// A replay window over 48-bit (SRTP) or 31-bit (SRTCP) packet indices.
#[derive(Clone)]
pub(crate) struct ReplayWindow {
    /// Highest index accepted so far; meaningless while `empty`.
    top: u64,
    empty: bool,
    /// Window size in packets, a multiple of 64.
    size: u64,
    /// Ring length in bits − 1: the ring is the next power of two ≥ `size`,
    /// so a bit position is a mask, not a 64-bit division, per packet.
    mask: u64,
    bits: Box<[u64]>,
}

impl ReplayWindow {
    /// `size` is rounded up to a multiple of 64 (the caller checked bounds).
    pub(crate) fn new(size: usize) -> Self {
        let words = size.div_ceil(64).max(1);
        let ring_words = words.next_power_of_two();
        ReplayWindow {
            top: 0,
            empty: true,
            size: (words * 64) as u64,
            mask: (ring_words * 64 - 1) as u64,
            bits: vec![0; ring_words].into_boxed_slice(),
        }
    }

    fn bit(&self, index: u64) -> (usize, u64) {
        let pos = index & self.mask;
        ((pos / 64) as usize, 1u64 << (pos % 64))
    }

    /// Checks `index` without recording it.
    pub(crate) fn check(&self, index: u64) -> Result<()> {
        if self.empty || index > self.top {
            return Ok(());
        }
        if self.top - index >= self.size {
            return Err(Error::TooOld { index });
        }
        let (w, m) = self.bit(index);
        match self.bits.get(w) {
            Some(word) if word & m != 0 => Err(Error::Replayed { index }),
            _ => Ok(()),
        }
    }

    /// Records `index` (after it authenticated).
    pub(crate) fn accept(&mut self, index: u64) {
        if self.empty {
            self.empty = false;
            self.top = index;
        } else if index > self.top {
            let advance = index - self.top;
            if advance > self.mask {
                self.bits.fill(0);
            } else {
                for i in self.top + 1..index {
                    let (w, m) = self.bit(i);
                    if let Some(word) = self.bits.get_mut(w) {
                        *word &= !m;
                    }
                }
            }
            self.top = index;
        } else if self.top - index >= self.size {
            return;
        }
        let (w, m) = self.bit(index);
        if let Some(word) = self.bits.get_mut(w) {
            *word |= m;
        }
    }

    /// Forgets everything (after a ROC reset).
    pub(crate) fn reset(&mut self) {
        self.empty = true;
        self.top = 0;
        self.bits.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_and_too_old_are_distinct() {
        let mut w = ReplayWindow::new(128);
        for i in 1000..1010 {
            w.check(i).unwrap();
            w.accept(i);
        }
        assert_eq!(w.check(1005), Err(Error::Replayed { index: 1005 }));
        assert_eq!(w.check(1009 - 128), Err(Error::TooOld { index: 881 }));
        assert!(w.check(1009 - 127).is_ok());
        // A big jump clears the ring.
        w.accept(5000);
        assert!(w.check(4999).is_ok());
        assert_eq!(w.check(5000), Err(Error::Replayed { index: 5000 }));
        assert_eq!(w.check(1009), Err(Error::TooOld { index: 1009 }));
    }

    #[test]
    fn window_not_a_power_of_two() {
        // 192 packets of window in a 256-bit ring.
        let mut w = ReplayWindow::new(150);
        w.accept(1000);
        assert!(w.check(1000 - 191).is_ok());
        assert_eq!(w.check(1000 - 192), Err(Error::TooOld { index: 808 }));
        w.accept(809);
        w.accept(1100); // 809 leaves the window; its bit is cleared on reuse
        assert_eq!(w.check(909), Ok(()));
        w.accept(1300);
        assert_eq!(
            w.check(1300 - 256),
            Ok(()).and(Err(Error::TooOld { index: 1044 }))
        );
        assert!(w.check(1299).is_ok());
    }

    #[test]
    fn large_window_tracks_reordering() {
        let mut w = ReplayWindow::new(1024);
        w.accept(2000);
        for i in (1000..2000).rev() {
            w.check(i).unwrap();
            w.accept(i);
        }
        for i in 1000..=2000 {
            assert_eq!(w.check(i), Err(Error::Replayed { index: i }));
        }
        assert_eq!(w.check(976), Err(Error::TooOld { index: 976 }));
        // Advancing by less than the window clears only entering bits.
        w.accept(2100);
        assert!(w.check(2050).is_ok());
        assert_eq!(w.check(1999), Err(Error::Replayed { index: 1999 }));
    }
}
