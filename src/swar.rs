//! Word-at-a-time byte scans ("SIMD within a register") shared by the SIP
//! and digest parsers: header values run to a few dozen bytes, too short
//! for a library call's set-up to pay, so eight bytes are tested per step
//! in a general-purpose register.
//!
//! Each test maps a little-endian word to one with the high bit set in
//! every byte that matches. Subtraction borrows run upwards only, so the
//! lowest flagged byte is exact and bits above it may be spurious: a scan
//! may use the lowest flag, never count flags.

/// 0x01 in every byte of a word.
pub(crate) const WORD_ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// `byte` in every byte of a word.
#[inline(always)]
pub(crate) const fn splat(byte: u8) -> u64 {
    WORD_ONES * byte as u64
}

/// Flags the bytes of `x` that are zero (exact at the lowest).
#[inline(always)]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(WORD_ONES) & !x
}

/// Flags the bytes of `w` equal to `byte` (exact at the lowest).
#[inline(always)]
pub(crate) fn bytes_equal(w: u64, byte: u8) -> u64 {
    zero_bytes(w ^ splat(byte))
}

/// Flags the bytes of `w` below `bound` (at most 0x80; exact at the
/// lowest): bytes with the high bit set are never flagged.
#[inline(always)]
pub(crate) fn bytes_below(w: u64, bound: u8) -> u64 {
    w.wrapping_sub(splat(bound)) & !w
}

/// Offset of the first byte of `s` at or after `from` that `marks` says,
/// eight bytes at a time: `word` flags the marked bytes of a word as the
/// functions above do; the last bytes go one by one through `marks`.
/// `None` when there is none (or `from` is past the end).
#[inline(always)]
pub(crate) fn first_marked(
    s: &[u8],
    from: usize,
    word: impl Fn(u64) -> u64,
    marks: impl Fn(u8) -> bool,
) -> Option<usize> {
    let rest = s.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for chunk in chunks.by_ref() {
        let hits = word(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]))) & HIGH_BITS;
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| marks(c))
        .map(|k| at + k)
}

/// The decimal digits that start `w` (a little-endian load: its first
/// bytes in memory order): their value and how many there are (0..=8).
/// Every test is exact per byte (no sum crosses a byte), and the digits
/// are combined pairwise in three multiplications instead of one
/// multiply-add per digit.
#[inline(always)]
pub(crate) fn leading_digits(w: u64) -> (u32, usize) {
    let low = w & splat(0x7f);
    // High bit set: above '9' (or not ASCII), or below '0'.
    let above_nine = low.wrapping_add(splat(0x7f - b'9')) | w;
    let below_zero = !low.wrapping_add(splat(0x80 - b'0'));
    let count = (((above_nine | below_zero) & HIGH_BITS).trailing_zeros() / 8) as usize;
    if count == 0 {
        return (0, 0);
    }
    // The digits moved to the top bytes, most significant first; the
    // zero bytes shifted in below them are leading zeros (count 1..=8:
    // the shift is 0..=56 bits).
    let d = (w & splat(0x0f)) << (8 * (8 - count));
    // Pairs, then quads, then all eight: no lane overflows (99, 9999).
    let d = (d.wrapping_mul(10) + (d >> 8)) & 0x00ff_00ff_00ff_00ff;
    let d = (d.wrapping_mul(100) + (d >> 16)) & 0x0000_ffff_0000_ffff;
    let d = (d.wrapping_mul(10_000) + (d >> 32)) & 0xffff_ffff;
    (d as u32, count)
}

/// The `N` bytes of `b` from `at`, when there are that many: a fixed-size
/// load, not a length-dependent copy.
#[inline(always)]
pub(crate) fn array_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// `a == b` for short byte strings (names, methods: a few to two dozen
/// bytes): two overlapping word compares instead of a library call.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| array_at::<8>(s, at).map(u64::from_le_bytes);
    let half = |s: &[u8], at: usize| array_at::<4>(s, at).map(u32::from_le_bytes);
    match n {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_is_equality() {
        let a: Vec<u8> = (0..24u8).map(|i| b'A' + i).collect();
        for n in 0..=a.len() {
            let x = &a[..n];
            assert!(same_bytes(x, x));
            assert!(!same_bytes(x, &a[..n.saturating_sub(1)]) || n == 0);
            for i in 0..n {
                let mut y = x.to_vec();
                y[i] ^= 0x20;
                assert!(!same_bytes(x, &y), "{n} {i}");
            }
        }
    }

    #[test]
    fn leading_digits_agree_with_a_digit_loop() {
        let alphabet = b"0123456789/:+- \x00\x7f\x80\xb0\xb9\xffa";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bytes = [0u8; 8];
            for (i, b) in bytes.iter_mut().enumerate() {
                // Digits mostly, so that long runs occur.
                let k = (seed >> (i * 8)) as usize;
                *b = if !k.is_multiple_of(4) {
                    b'0' + (k % 10) as u8
                } else {
                    alphabet[k / 4 % alphabet.len()]
                };
            }
            let count = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let value = bytes[..count]
                .iter()
                .fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
            assert_eq!(
                leading_digits(u64::from_le_bytes(bytes)),
                (value, count),
                "{bytes:?}"
            );
        }
        assert_eq!(
            leading_digits(u64::from_le_bytes(*b"99999999")),
            (99_999_999, 8)
        );
        assert_eq!(leading_digits(u64::from_le_bytes(*b"00000001")), (1, 8));
        assert_eq!(leading_digits(u64::from_le_bytes(*b"31862 IN")), (31862, 5));
    }

    #[test]
    fn array_at_reads_only_whole_arrays() {
        assert_eq!(array_at::<2>(b"abc", 1), Some(*b"bc"));
        assert_eq!(array_at::<2>(b"abc", 2), None);
        assert_eq!(array_at::<2>(b"abc", usize::MAX), None);
    }
}
