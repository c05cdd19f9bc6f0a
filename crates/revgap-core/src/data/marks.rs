//! Finding the field separators and line ends of a block of rows, 64 bytes at a time (SSE2 on
//! x86-64, plain integer arithmetic elsewhere): the row scanners' one pass over the text.

/// Finds the separators and line ends of a text 64 bytes at a time: the lines of a panel are
/// a few dozen bytes, and one library search per field cost more than all the parsing.
pub(super) struct Marks<'a> {
    text: &'a [u8],
    /// Offset of the 64 bytes `found` describes.
    window: usize,
    /// Bit `i` set: byte `window + i` is a mark not handed out yet.
    found: u64,
    separator: u8,
}

impl<'a> Marks<'a> {
    pub(super) fn new(text: &'a [u8], separator: u8) -> Self {
        let mut marks = Self {
            text,
            window: 0,
            found: 0,
            separator,
        };
        marks.found = marks.scan();
        marks
    }

    fn scan(&self) -> u64 {
        let rest = &self.text[self.window.min(self.text.len())..];
        match rest.first_chunk::<64>() {
            Some(window) => marks_of(window, self.separator),
            None => {
                let mut padded = [0; 64];
                padded[..rest.len()].copy_from_slice(rest);
                marks_of(&padded, self.separator) & ((1u64 << rest.len()) - 1)
            }
        }
    }

    /// The position of the next separator or line end.
    #[inline]
    pub(super) fn next(&mut self) -> Option<usize> {
        while self.found == 0 {
            self.window += 64;
            if self.window >= self.text.len() {
                return None;
            }
            self.found = self.scan();
        }
        let position = self.window + self.found.trailing_zeros() as usize;
        self.found &= self.found - 1;
        Some(position)
    }
}

/// Bit `i` set where byte `i` of `window` is `separator` or a line feed.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn marks_of(window: &[u8; 64], separator: u8) -> u64 {
    // SAFETY: the intrinsics need SSE2 only, and this build has it (the cfg above; every
    // x86-64 target includes it).
    unsafe { marks_of_sse2(window, separator) }
}

/// `marks_of` sixteen bytes at a time.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn marks_of_sse2(window: &[u8; 64], separator: u8) -> u64 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8,
    };
    let separators = _mm_set1_epi8(separator as i8);
    let line_ends = _mm_set1_epi8(b'\n' as i8);
    let (lanes, _) = window.as_chunks::<16>();
    let mut marks = 0;
    for (lane, bytes) in lanes.iter().enumerate() {
        let bytes = u128::from_le_bytes(*bytes);
        let vector = _mm_set_epi64x((bytes >> 64) as i64, bytes as i64);
        let equal = _mm_or_si128(
            _mm_cmpeq_epi8(vector, separators),
            _mm_cmpeq_epi8(vector, line_ends),
        );
        marks |= u64::from(_mm_movemask_epi8(equal) as u16) << (16 * lane);
    }
    marks
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn marks_of(window: &[u8; 64], separator: u8) -> u64 {
    marks_of_words(window, separator)
}

/// `marks_of` eight bytes at a time in plain integer arithmetic (other processors).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
fn marks_of_words(window: &[u8; 64], separator: u8) -> u64 {
    const EVERY_BYTE: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte equal to the broadcast `byte`, exactly (no carries between
    // bytes, so no false marks).
    let equal = |word: u64, byte: u8| {
        let differing = word ^ (EVERY_BYTE * u64::from(byte));
        !(((differing & !HIGH_BITS) + !HIGH_BITS) | differing) & HIGH_BITS
    };
    let (words, _) = window.as_chunks::<8>();
    let mut marks = 0;
    for (index, bytes) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*bytes);
        let high = equal(word, separator) | equal(word, b'\n');
        // Gathers the eight high bits into one byte, byte 0's bit lowest.
        let bits = (high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        marks |= bits << (8 * index);
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, RngExt, SeedableRng};

    fn naive_marks(window: &[u8; 64], separator: u8) -> u64 {
        (0..64)
            .filter(|i| window[*i] == separator || window[*i] == b'\n')
            .fold(0, |marks, i| marks | 1 << i)
    }

    #[test]
    fn marks_are_exactly_the_separators_and_line_ends() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        let alphabet = b",;\n\r\t 0123456789.-\x00\x80\xff\x2b\x2d\x0a\x8a\xac";
        for round in 0..20_000 {
            let mut window = [0u8; 64];
            for byte in &mut window {
                *byte = if round % 2 == 0 {
                    alphabet[rng.random_range(0..alphabet.len())]
                } else {
                    rng.next_u64() as u8
                };
            }
            for separator in [b',', b';', b'\t', 0, 0xff, 0x8a] {
                let expected = naive_marks(&window, separator);
                assert_eq!(marks_of(&window, separator), expected, "{window:?}");
                assert_eq!(marks_of_words(&window, separator), expected, "{window:?}");
            }
        }
    }
}
