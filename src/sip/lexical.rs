//! Lexical rules shared by every SIP grammar (RFC 3261 §25.1): character
//! classes, linear white space, quoted strings, digits, and splitting a
//! value on a separator outside quotes and angle brackets.

use crate::swar::{array_at, bytes_below, bytes_equal, first_marked, splat};

/// A set of bytes: a 256-entry membership table, so a lookup is one load.
#[derive(Debug)]
pub(crate) struct CharClass([bool; 256]);

impl CharClass {
    /// ALPHA / DIGIT (when `alnum`) plus the bytes of `extra`.
    // Only ever evaluated at compile time (statics): a bad index would fail
    // the build, never a run.
    #[allow(clippy::indexing_slicing)]
    const fn new(alnum: bool, extra: &[u8]) -> CharClass {
        let mut t = [false; 256];
        let mut c = 0u8;
        loop {
            if alnum && c.is_ascii_alphanumeric() {
                t[c as usize] = true;
            }
            if c == 255 {
                break;
            }
            c += 1;
        }
        let mut i = 0;
        while i < extra.len() {
            t[extra[i] as usize] = true;
            i += 1;
        }
        CharClass(t)
    }

    /// True when `b` is in the class.
    #[inline]
    #[allow(clippy::indexing_slicing)] // a u8 index into 256 entries cannot be out of bounds
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[b as usize]
    }
}

const fn class(extra: &[u8]) -> CharClass {
    CharClass::new(true, extra)
}

/// `token` (RFC 3261 §25.1).
pub(crate) static TOKEN: CharClass = class(b"-.!%*_+`'~");
/// An unquoted `gen-value` of a header parameter: token, host (IPv4,
/// names) or IPv6 reference characters (RFC 3261 §25.1, RFC 5118 §4.5).
pub(crate) static GEN_VALUE: CharClass = class(b"-.!%*_+`'~:[]");
/// `word` (Call-ID): token plus `( ) < > : \ " / [ ] ? { }`.
pub(crate) static WORD: CharClass = class(b"-.!%*_+`'~()<>:\\\"/[]?{}");
/// `user`: unreserved / user-unreserved (escapes checked separately).
pub(crate) static USER: CharClass = class(b"-_.!~*'()&=+$,;?/");
/// `password`: unreserved / `& = + $ ,`.
pub(crate) static PASSWORD: CharClass = class(b"-_.!~*'()&=+$,");
/// `paramchar`: param-unreserved / unreserved.
pub(crate) static PARAM: CharClass = class(b"[]/:&+$-_.!~*'()");
/// `hname` / `hvalue` characters: hnv-unreserved / unreserved.
pub(crate) static HNV: CharClass = class(b"[]/?:+$-_.!~*'()");
/// `uric` for absolute URIs of other schemes (RFC 2396): reserved /
/// unreserved (escapes checked separately).
pub(crate) static URIC: CharClass = class(b";/?:@&=+$,-_.!~*'()");
/// Host names: alphanum, `-`, `.`, and `_` (seen in practice).
pub(crate) static HOSTNAME: CharClass = class(b"-._");
/// DIGIT.
pub(crate) static DIGIT: CharClass = CharClass::new(false, b"0123456789");
/// SP / HTAB / CR / LF: [`is_lws`] as a class.
pub(crate) static LWS: CharClass = CharClass::new(false, b" \t\r\n");
/// SP / HTAB (white space inside one physical line).
pub(crate) static SP_HT: CharClass = CharClass::new(false, b" \t");

#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN.contains(b)
}

/// LWS inside an already framed header value: the CRLF of a folded line is
/// part of the value span, so it counts as white space (RFC 3261 §7.3.1).
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Index of the first non-LWS byte at or after `i` (or `s.len()`).
#[inline]
pub(crate) fn skip_lws(s: &[u8], i: usize) -> usize {
    // Values are mostly separated by no or one space: test the first two
    // bytes before entering the loop (list and parameter separators in
    // the bench INVITE: 150 instructions fewer).
    match s.get(i) {
        Some(&b) if is_lws(b) => match s.get(i + 1) {
            Some(&c) if is_lws(c) => i + 2 + run(s, i + 2, &LWS),
            _ => i + 1,
        },
        _ => i,
    }
}

/// `s` without leading and trailing LWS, and the offset of what remains.
#[inline]
pub(crate) fn trim_lws(s: &str) -> (usize, &str) {
    let bytes = s.as_bytes();
    let start = skip_lws(bytes, 0);
    let mut end = bytes.len();
    while end > start && bytes.get(end - 1).is_some_and(|&b| is_lws(b)) {
        end -= 1;
    }
    (start, s.get(start..end).unwrap_or(""))
}

/// Offset of the first control byte (below 0x20, or DEL) in `s` at or
/// after `i`: eight bytes at a time, since header lines run to a few dozen
/// bytes and a library call per line costs more than the scan.
#[inline(always)]
pub(crate) fn find_control(s: &[u8], i: usize) -> Option<usize> {
    // Controls and DEL flagged word-wise (see `swar`).
    let hits = |w: u64| (bytes_below(w, 0x20) | bytes_equal(w, 0x7f)) & splat(0x80);
    let rest = s.get(i..)?;
    let mut pairs = rest.chunks_exact(16);
    let mut at = i;
    for pair in pairs.by_ref() {
        // A branch-free "any" over sixteen bytes compiles to a handful of
        // vector instructions (compare, or, movemask); only the chunk that
        // holds a hit pays for its exact position, word-wise.
        let Ok(pair) = <&[u8; 16]>::try_from(pair) else {
            break;
        };
        if pair
            .iter()
            .fold(false, |any, &b| any | (b < 0x20) | (b == 0x7f))
        {
            let (a, b) = pair.split_at(8);
            let a = hits(u64::from_le_bytes(a.try_into().unwrap_or([0; 8])));
            let b = hits(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
            let bit = if a != 0 {
                a.trailing_zeros()
            } else {
                64 + b.trailing_zeros()
            };
            return Some(at + (bit / 8) as usize);
        }
        at += 16;
    }
    pairs
        .remainder()
        .iter()
        .position(|&b| b < 0x20 || b == 0x7f)
        .map(|k| at + k)
}

/// Offset of the first byte of `s` that is not visible ASCII (outside
/// 0x21..=0x7E: white space, controls, DEL, non-ASCII), eight bytes at a
/// time (a Request-URI runs to dozens of bytes).
#[inline]
pub(crate) fn find_invisible(s: &[u8]) -> Option<usize> {
    first_marked(
        s,
        0,
        // Below 0x21, high bit set, or DEL.
        |w| bytes_below(w, 0x21) | w | bytes_equal(w, 0x7f),
        |c| !(0x21..=0x7e).contains(&c),
    )
}

/// Offset of the first of `a`, `b` or `c` in `s` at or after `i`, eight
/// bytes at a time: the separators a hot-field accessor skips to sit a
/// few dozen bytes in, too close for a library call to pay off.
#[inline]
pub(crate) fn find_any3(s: &[u8], i: usize, a: u8, b: u8, c: u8) -> Option<usize> {
    // Each needle's lowest hit is exact, so the lowest of all is.
    first_marked(
        s,
        i,
        |w| bytes_equal(w, a) | bytes_equal(w, b) | bytes_equal(w, c),
        |x| x == a || x == b || x == c,
    )
}

/// True when some byte of `s` satisfies `hit`, sixteen bytes per
/// branch-free step: with a predicate made of comparisons the step
/// compiles to a few vector instructions (compare, or, movemask). The
/// tail is one more step over the last sixteen bytes (overlapping).
#[inline(always)]
pub(crate) fn any_byte(s: &[u8], hit: impl Fn(u8) -> bool + Copy) -> bool {
    let step = |c: &[u8; 16]| c.iter().fold(false, |any, &b| any | hit(b));
    if s.len() < 16 {
        return s.iter().fold(false, |any, &b| any | hit(b));
    }
    let mut chunks = s.chunks_exact(16);
    for chunk in chunks.by_ref() {
        if <&[u8; 16]>::try_from(chunk).is_ok_and(step) {
            return true;
        }
    }
    !chunks.remainder().is_empty()
        && s.get(s.len() - 16..)
            .and_then(|tail| <&[u8; 16]>::try_from(tail).ok())
            .is_some_and(step)
}

/// True when `s` holds `byte` (see [`any_byte`]).
#[inline]
pub(crate) fn contains_byte(s: &[u8], byte: u8) -> bool {
    any_byte(s, |b| b == byte)
}

/// Length of the run of bytes in `class` starting at `i`.
#[inline]
pub(crate) fn run(s: &[u8], i: usize, class: &CharClass) -> usize {
    let Some(rest) = s.get(i..) else {
        return 0;
    };
    // Four bytes per step: one bounds test and loop branch per four
    // table look-ups instead of per one.
    let mut quads = rest.chunks_exact(4);
    let mut n = 0;
    for q in quads.by_ref() {
        let &[a, b, c, d] = q else { break };
        if !class.contains(a) {
            return n;
        }
        if !class.contains(b) {
            return n + 1;
        }
        if !class.contains(c) {
            return n + 2;
        }
        if !class.contains(d) {
            return n + 3;
        }
        n += 4;
    }
    let tail = quads.remainder();
    n + tail
        .iter()
        .position(|&b| !class.contains(b))
        .unwrap_or(tail.len())
}

/// True when `s` is non-empty and every byte is a token character.
pub(crate) fn is_token_str(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token(b))
}

/// Validates `%HH` escapes and that every other byte is in `class`.
/// Returns the offset of the first bad byte.
pub(crate) fn check_escaped(s: &[u8], class: &CharClass) -> Result<(), usize> {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            let ok = s.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(i);
            }
            i += 3;
        } else if class.contains(b) {
            i += 1;
        } else {
            return Err(i);
        }
    }
    Ok(())
}

/// Given `s[i] == '"'`, returns the index just past the closing quote.
/// quoted-pair (`\` + any octet but CR/LF) is honoured (RFC 3261 §25.1).
pub(crate) fn quoted_end(s: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        // Word-wise: display names run to a dozen bytes or more, and a
        // memchr call costs more than it saves below a few dozen.
        j = find_any3(s, j, b'"', b'\\', b'"')?;
        match *s.get(j)? {
            b'"' => return Some(j + 1),
            _ => {
                if matches!(s.get(j + 1)?, b'\r' | b'\n') {
                    return None;
                }
                j += 2;
            }
        }
    }
}

/// Parses `1*DIGIT` into a u64, `None` on an empty run, a non-digit or an
/// overflow. Leading zeros are fine (RFC 4475 §3.1.1.1 uses them).
pub(crate) fn parse_digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// Iterates the parts of a value separated by `sep` outside quoted strings
/// and `<...>`, each with its offset in the value. Parts are not trimmed.
/// An unterminated quote or bracket makes the rest one part (its grammar
/// parser then reports it).
#[derive(Debug, Clone)]
pub(crate) struct Split<'a> {
    s: &'a str,
    pos: usize,
    sep: u8,
    done: bool,
}

impl<'a> Split<'a> {
    pub(crate) fn new(s: &'a str, sep: u8) -> Self {
        Split {
            s,
            pos: 0,
            sep,
            done: false,
        }
    }
}

/// Offset of the first `sep` in `s` at or after `from` that is outside
/// quoted strings and `<...>` (a URI holds neither `"` nor `>`). `None`
/// when there is none or a quote or bracket is left open.
#[inline]
pub(crate) fn find_unquoted(s: &[u8], from: usize, sep: u8) -> Option<usize> {
    let mut i = from;
    loop {
        let rest = s.get(i..)?;
        // Past a few bytes memchr3's vector scan beats a byte loop.
        let at = i + if rest.len() >= 16 {
            memchr::memchr3(sep, b'"', b'<', rest)?
        } else {
            rest.iter()
                .position(|&b| b == sep || b == b'"' || b == b'<')?
        };
        match *s.get(at)? {
            b'"' => i = quoted_end(s, at)?,
            b'<' if sep != b'<' => {
                i = at + 1 + s.get(at + 1..)?.iter().position(|&b| b == b'>')? + 1
            }
            _ => return Some(at),
        }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let start = self.pos;
        let bytes = self.s.as_bytes();
        match find_unquoted(bytes, start, self.sep) {
            Some(at) => {
                self.pos = at + 1;
                Some((start, self.s.get(start..at).unwrap_or("")))
            }
            None => {
                self.done = true;
                Some((start, self.s.get(start..).unwrap_or("")))
            }
        }
    }
}

/// True when the `N` bytes of `s` at `at` spell `word` (lowercase
/// letters and other bytes) with its letters in either case: one
/// fixed-size load and a branch-free compare, for the names a hot
/// accessor expects at a known place (`branch`, `tag`, `sip:`).
#[inline(always)]
pub(crate) fn is_word_ic_at<const N: usize>(s: &[u8], at: usize, word: &[u8; N]) -> bool {
    // `| 0x20` folds exactly the two cases of a lowercase letter onto it;
    // any other byte of `word` must match as is.
    array_at::<N>(s, at).is_some_and(|p| {
        p.iter().zip(word).fold(0, |d, (&x, &y)| {
            let fold = if y.is_ascii_lowercase() { 0x20 } else { 0 };
            d | ((x | fold) ^ y)
        }) == 0
    })
}

/// ASCII-case-insensitive comparison.
#[inline]
pub(crate) fn eq_ic(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Offset of the first `byte` in `s` at or after `i`, eight bytes at a
/// time: for the short runs (start-line fields, a URI's userinfo, a
/// bracketed URI) where a library call costs more than the scan.
#[inline]
pub(crate) fn find_byte(s: &[u8], i: usize, byte: u8) -> Option<usize> {
    first_marked(s, i, |w| bytes_equal(w, byte), |x| x == byte)
}

/// End of `word ["@" word]` (a Call-ID, RFC 3261 §25.1) starting at `i`;
/// `None` when either word is empty. `@` is not a word character, so the
/// first word stops at it. What follows the end is the caller's business.
#[inline]
pub(crate) fn call_id_end(b: &[u8], i: usize) -> Option<usize> {
    let first = run_long(b, i, &WORD);
    if first == 0 {
        return None;
    }
    let end = i + first;
    if b.get(end) != Some(&b'@') {
        return Some(end);
    }
    let second = run_long(b, end + 1, &WORD);
    (second > 0).then_some(end + 1 + second)
}

/// [`run`] for runs expected to be long (a Call-ID, a branch): eight
/// bytes at a time through the table, one branch per eight bytes, then
/// byte by byte from the first chunk that leaves the class. (For the
/// short runs of most grammar rules the plain loop is faster.)
#[inline]
pub(crate) fn run_long(s: &[u8], i: usize, class: &CharClass) -> usize {
    let Some(rest) = s.get(i..) else {
        return 0;
    };
    let mut chunks = rest.chunks_exact(8);
    let mut n = 0;
    for chunk in chunks.by_ref() {
        if !chunk.iter().fold(true, |all, &b| all & class.contains(b)) {
            break;
        }
        n += 8;
    }
    n + run(rest, n, class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_compare_folds_the_case_of_letters_only() {
        for s in ["sip:", "SIP:", "sIp:x"] {
            assert!(is_word_ic_at(s.as_bytes(), 0, b"sip:"), "{s}");
        }
        // `:` | 0x20 is `:`, and so is 0x1a | 0x20: only letters fold.
        for s in ["sip\x1a", "sipx", "sip", "sop:", "si"] {
            assert!(!is_word_ic_at(s.as_bytes(), 0, b"sip:"), "{s}");
        }
        assert!(is_word_ic_at(b";BrAnCh=", 1, b"branch"));
        assert!(!is_word_ic_at(b";BrAnCh", 2, b"branch"));
        assert!(!is_word_ic_at(b"x", usize::MAX, b"x"));
    }

    #[test]
    fn word_wise_scans_agree_with_byte_loops() {
        for bad in [0u8, 9, 0x20, 0x21, b',', 0x7e, 0x7f, 0x80, 0xff] {
            for at in 0..40 {
                let mut s: Vec<u8> = (0..40u32).map(|i| 0x22 + (i * 37 % 0x5c) as u8).collect();
                s[(at + 5) % 40] = 0xff;
                s[at] = bad;
                for len in 0..=40 {
                    let s = &s[..len];
                    let naive = s.iter().position(|&c| !(0x21..=0x7e).contains(&c));
                    assert_eq!(find_invisible(s), naive, "{bad} at {at} len {len}");
                    assert_eq!(contains_byte(s, b','), s.contains(&b','), "{bad} at {at}");
                    for from in 0..=len + 1 {
                        let naive = s
                            .get(from..)
                            .and_then(|r| r.iter().position(|&c| c == bad))
                            .map(|k| from + k);
                        assert_eq!(find_byte(s, from, bad), naive, "{bad} at {at} from {from}");
                    }
                    for from in 0..=len + 1 {
                        let naive = s
                            .get(from..)
                            .and_then(|r| r.iter().position(|&c| matches!(c, b',' | 0x7f | 0x80)));
                        assert_eq!(
                            find_any3(s, from, b',', 0x7f, 0x80),
                            naive.map(|k| from + k),
                            "{bad} at {at} from {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn any_byte_agrees_with_a_byte_loop() {
        for len in 0..50 {
            for at in 0..=len {
                let mut s = vec![b'a'; len];
                if let Some(b) = s.get_mut(at) {
                    *b = b',';
                }
                assert_eq!(contains_byte(&s, b','), at < len, "{len} {at}");
                assert_eq!(any_byte(&s, |b| b < b'b'), len > 0, "{len} {at}");
            }
        }
    }

    #[test]
    fn run_long_agrees_with_run() {
        for len in 0..40 {
            for stop in 0..=len {
                let mut s = vec![b'a'; len];
                if let Some(b) = s.get_mut(stop) {
                    *b = b' ';
                }
                for from in 0..=len + 1 {
                    assert_eq!(run_long(&s, from, &TOKEN), run(&s, from, &TOKEN));
                }
            }
        }
    }

    #[test]
    fn find_control_agrees_with_a_byte_loop() {
        // Every byte value at every position of 40-byte buffers, with
        // high bytes and borrows around it, from every start offset.
        for bad in [0u8, 9, 10, 13, 0x1f, 0x7f, 0x20, 0x7e, 0x80, 0xff] {
            for at in 0..40 {
                let mut s: Vec<u8> = (0..40u32).map(|i| 0x21 + (i * 37 % 0x5e) as u8).collect();
                s[(at + 7) % 40] = 0xa0;
                s[at] = bad;
                for from in 0..=41 {
                    let naive = s
                        .get(from..)
                        .and_then(|r| r.iter().position(|&b| b < 0x20 || b == 0x7f))
                        .map(|k| from + k);
                    assert_eq!(find_control(&s, from), naive, "{bad} at {at} from {from}");
                }
            }
        }
    }

    #[test]
    fn split_respects_quotes_and_brackets() {
        let parts: Vec<_> = Split::new(r#""a,b" <sip:x,y@h>;p=1, c"#, b',')
            .map(|(_, s)| s)
            .collect();
        assert_eq!(parts, vec![r#""a,b" <sip:x,y@h>;p=1"#, " c"]);
    }

    #[test]
    fn quoted_pair_skips_escaped_quote() {
        assert_eq!(quoted_end(br#""a\"b" x"#, 0), Some(6));
        assert_eq!(quoted_end(br#""abc"#, 0), None);
    }

    #[test]
    fn digits_reject_overflow_and_signs() {
        assert_eq!(parse_digits(b"0068"), Some(68));
        assert_eq!(parse_digits(b"-1"), None);
        assert_eq!(parse_digits(b"+1"), None);
        assert_eq!(parse_digits(b"99999999999999999999999"), None);
        assert_eq!(parse_digits(b""), None);
    }
}
