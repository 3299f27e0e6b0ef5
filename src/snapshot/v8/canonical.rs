//! The fast path of the numeric-array parser, for the layout V8 writes: unsigned decimal
//! numbers separated by commas, with a newline before the comma that ends each row
//! (`9,1,1,0,7,0,0\n,9,2,3,...`).
//!
//! Instead of walking the bytes number by number (each step waiting for the previous one to
//! find its end), 64 bytes at a time are classified into digit, comma and newline bit masks.
//! The layout is checked on the masks, and the starts and ends of the numbers are set bits.
//! Each number's digits are taken as one word from its start, independently of the others,
//! into a small buffer; a batch of words is then turned into values in bulk (vectorized) and
//! spread over the typed columns, one column at a time.
//!
//! Anything outside that layout (other whitespace, a missing number, a value too large for
//! its column, more than 19 digits) makes [`parse_canonical`] give up; the caller then parses
//! the same bytes with the exact parser, which reports the error precisely.

use std::mem::MaybeUninit;

use super::numbers::Slot;

/// Numbers per buffered batch (a multiple of every stride is taken below it).
const BATCH: usize = 1024;

/// Parses `rows` rows of `slots.len()` numbers from `bytes` into `slots`. Returns `false`
/// when `bytes` is not in the canonical layout or a value does not fit its column; the
/// slots may then hold partial output and must be written again by the exact parser.
pub(super) fn parse_canonical(bytes: &[u8], rows: usize, slots: &mut [Slot<'_>]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { parse_canonical_avx512(bytes, rows, slots) };
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { parse_canonical_avx2(bytes, rows, slots) };
    }
    parse_canonical_with::<false, false>(bytes, rows, slots)
}

/// Whether the CPU can run [`parse_canonical_avx2`].
#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has!("bmi1") && has!("bmi2") && has!("avx2")
}

/// Whether the CPU can run [`parse_canonical_avx512`].
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has_avx2()
        && has!("popcnt")
        && has!("avx512f")
        && has!("avx512bw")
        && has!("avx512cd")
        && has!("avx512vbmi")
        && has!("avx512vbmi2")
}

/// [`parse_canonical`] compiled for CPUs with AVX-512 byte permutes: the numbers of a block
/// are gathered eight at a time (see [`super::canonical_avx512`]).
///
/// # Safety
/// The CPU must support AVX-512 F, BW, CD, VBMI and VBMI2, AVX2, BMI1, BMI2 and POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi1,bmi2,popcnt,avx2,avx512f,avx512bw,avx512cd,avx512vbmi,avx512vbmi2")]
unsafe fn parse_canonical_avx512(bytes: &[u8], rows: usize, slots: &mut [Slot<'_>]) -> bool {
    parse_canonical_with::<true, true>(bytes, rows, slots)
}

/// [`parse_canonical`] compiled for CPUs with AVX2 and the bit-manipulation instructions: the
/// words of digits are read four at a time, lowest set bits are cleared in one step, and
/// shifts take their count from any register.
///
/// # Safety
/// The CPU must support AVX2, BMI1 and BMI2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi1,bmi2,avx2")]
unsafe fn parse_canonical_avx2(bytes: &[u8], rows: usize, slots: &mut [Slot<'_>]) -> bool {
    parse_canonical_with::<true, false>(bytes, rows, slots)
}

/// The parser; `AVX2` and `AVX512` say the CPU has AVX2 and the AVX-512 byte permutes (the
/// caller is compiled for them).
#[inline(always)]
fn parse_canonical_with<const AVX2: bool, const AVX512: bool>(
    bytes: &[u8],
    rows: usize,
    slots: &mut [Slot<'_>],
) -> bool {
    let stride = slots.len();
    let total = rows * stride;
    if stride == 0 || stride > BATCH || total == 0 {
        return false;
    }
    let batch_rows = BATCH / stride;
    let mut sink = Sink {
        buf: [0; BATCH + 64],
        len: 0,
        long: Vec::new(),
        flush_at: batch_rows * stride,
        row: 0,
        stride,
        fits: true,
    };
    let mut scan = Scanner::new(bytes);
    while let Some(block) = scan.next_block::<AVX512>() {
        if !scan.emit_block::<AVX512>(block, &mut sink) {
            return false;
        }
        if sink.len >= sink.flush_at {
            sink.flush::<AVX2>(slots, batch_rows);
        }
    }
    if !scan.finish(&mut sink) {
        return false;
    }
    let rows_left = sink.len / stride;
    sink.flush::<AVX2>(slots, rows_left);
    sink.fits && sink.len == 0 && sink.row == rows
}

/// Bit masks of one 64-byte block (bit `i` is byte `i`).
#[derive(Clone, Copy)]
struct Block {
    digits: u64,
    commas: u64,
    newlines: u64,
    /// Bytes that are inside the input (all ones except in the last block).
    valid: u64,
    /// Offset of the block's first byte.
    base: usize,
}

/// Walks the input block by block, carrying the last byte's class into the next block.
struct Scanner<'a> {
    bytes: &'a [u8],
    next: usize,
    /// The previous block's digit mask (its top bits carry number lengths across blocks).
    prev_digits: u64,
    /// Whether the previous block's last byte is a comma (bit 0).
    prev_comma: u64,
    /// Whether the previous block's last byte is a newline (bit 0).
    prev_newline: u64,
    /// Where the number running into the next block starts.
    start: usize,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        // A virtual comma before the input: it must start with a digit.
        Self { bytes, next: 0, prev_digits: 0, prev_comma: 1, prev_newline: 0, start: 0 }
    }

    #[inline(always)]
    fn next_block<const AVX512: bool>(&mut self) -> Option<Block> {
        let base = self.next;
        let rest = self.bytes.get(base..)?;
        if rest.is_empty() {
            return None;
        }
        self.next = base + 64;
        Some(if rest.len() >= 64 {
            #[cfg(target_arch = "x86_64")]
            if AVX512 {
                // SAFETY: `AVX512` is true only in code compiled for, and run on, CPUs with
                // AVX-512; `rest` has 64 bytes.
                let (digits, commas, newlines) = unsafe { super::canonical_avx512::classify(rest[..64].as_ptr()) };
                return Some(Block { digits, commas, newlines, valid: u64::MAX, base });
            }
            let (digits, commas, newlines) = classify(&rest[..64]);
            Block { digits, commas, newlines, valid: u64::MAX, base }
        } else {
            let mut padded = [b' '; 64];
            padded[..rest.len()].copy_from_slice(rest);
            let (digits, commas, newlines) = classify(&padded);
            Block { digits, commas, newlines, valid: (1u64 << rest.len()) - 1, base }
        })
    }

    /// Checks the block's layout and emits every number that ends in it. Returns `false` on
    /// anything outside the canonical layout.
    #[inline(always)]
    fn emit_block<const AVX512: bool>(&mut self, b: Block, sink: &mut Sink) -> bool {
        let carry_digit = self.prev_digits >> 63;
        let after_digit = (b.digits << 1) | carry_digit;
        let after_comma = (b.commas << 1) | self.prev_comma;
        let after_newline = (b.newlines << 1) | self.prev_newline;
        let other = b.valid & !(b.digits | b.commas | b.newlines);
        let bad = other
            | (b.commas & !(after_digit | after_newline))
            | (b.newlines & !after_digit)
            | (after_newline & b.valid & !b.commas)
            | (after_comma & b.valid & !b.digits);
        if bad != 0 {
            return false;
        }
        // A number starts at a digit after a non-digit and ends before a non-digit after a
        // digit; starts and ends alternate, and a number running in from the previous block
        // has its start in `self.start`.
        let mut starts = b.digits & !after_digit;
        let mut ends = after_digit & !b.digits & b.valid;
        let mut start = self.start;
        let mut pop_start = carry_digit == 0;
        let Sink { buf, len: buffered, long, .. } = sink;
        let Some(out) = buf.get_mut(*buffered..*buffered + 64).and_then(|o| <&mut [u64; 64]>::try_from(o).ok()) else {
            return false;
        };
        #[cfg(target_arch = "x86_64")]
        if AVX512 && b.base + 72 <= self.bytes.len() {
            let block = self.bytes[b.base..].as_ptr();
            // SAFETY: `AVX512` is true only in code compiled for, and run on, CPUs with the
            // features; the block's 64 bytes are in the input, and so are the 64 before it
            // when `b.base >= 64`.
            if let Some(count) = unsafe { super::canonical_avx512::block_words(block, b.base >= 64, ends, out) } {
                *buffered += count;
                self.carry_over(&b, starts);
                return true;
            }
        }
        let mut n = 0usize;
        // Every number that starts before the block's end can be read as a whole word when the
        // input goes on for 8 bytes after the block.
        let whole_words = b.base + 72 <= self.bytes.len();
        while ends != 0 {
            let end = b.base + ends.trailing_zeros() as usize;
            ends &= ends - 1;
            if pop_start {
                start = b.base + starts.trailing_zeros() as usize;
                starts &= starts.wrapping_sub(1);
            }
            pop_start = true;
            let len = end - start;
            let digits = if whole_words && len <= 8 {
                // SAFETY: `start < b.base + 64`, so `start + 8 <= self.bytes.len()`.
                let word = unsafe { self.bytes.as_ptr().add(start).cast::<u64>().read_unaligned() };
                // Little-endian: the digits move to the top bytes, the bytes after them fall off.
                u64::from_le(word) << (8 * (8 - len))
            } else {
                match self.long_number(start, end) {
                    Some(value) => long.push((*buffered + n, value)),
                    None => return false,
                }
                0
            };
            // A block holds at most 32 numbers, and `out` has room for 64.
            out[n & 63] = digits;
            n += 1;
        }
        *buffered += n;
        // At most one start is left: that of a number running into the next block.
        self.carry_over(&b, starts);
        true
    }

    /// Keeps what the next block needs of `b`: its last bits, and the last of `starts` (the
    /// start of a number running into the next block, if one does).
    #[inline(always)]
    fn carry_over(&mut self, b: &Block, starts: u64) {
        if starts != 0 {
            self.start = b.base + 63 - starts.leading_zeros() as usize;
        }
        self.prev_digits = b.digits;
        self.prev_comma = b.commas >> 63;
        self.prev_newline = b.newlines >> 63;
    }

    /// The value of a number of 9 or more digits, or of one too near the end of the input to
    /// read a whole word from its start.
    #[cold]
    fn long_number(&self, start: usize, end: usize) -> Option<u64> {
        let digits = self.bytes.get(start..end)?;
        if digits.is_empty() || digits.len() > 19 {
            return None;
        }
        Some(digits.iter().fold(0u64, |v, &d| v * 10 + u64::from(d.wrapping_sub(b'0'))))
    }

    /// Emits the number that runs to the end of the input, if any, and checks the ending.
    fn finish(&mut self, sink: &mut Sink) -> bool {
        let end = self.bytes.len();
        match self.bytes.last() {
            None | Some(b',') => false,
            Some(b) if b.is_ascii_digit() => match self.long_number(self.start, end) {
                Some(value) => sink.push_value(value),
                None => false,
            },
            Some(_) => true,
        }
    }
}

/// Classifies 64 bytes into digit, comma and newline masks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify(bytes: &[u8]) -> (u64, u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    assert!(bytes.len() >= 64);
    let (mut digits, mut commas, mut newlines) = (0u64, 0u64, 0u64);
    // SAFETY: SSE2 is part of x86_64; the four 16-byte loads are within the 64 bytes
    // asserted above (unaligned loads).
    unsafe {
        let below_zero = _mm_set1_epi8((b'0' - 1) as i8);
        let above_nine = _mm_set1_epi8((b'9' + 1) as i8);
        let comma = _mm_set1_epi8(b',' as i8);
        let newline = _mm_set1_epi8(b'\n' as i8);
        for lane in 0..4 {
            let v = _mm_loadu_si128(bytes.as_ptr().add(lane * 16).cast::<__m128i>());
            // Signed compares: bytes of 0x80 and above are negative, so never digits.
            let is_digit = _mm_and_si128(_mm_cmpgt_epi8(v, below_zero), _mm_cmpgt_epi8(above_nine, v));
            let shift = lane * 16;
            digits |= u64::from(_mm_movemask_epi8(is_digit) as u16) << shift;
            commas |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)) as u16) << shift;
            newlines |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)) as u16) << shift;
        }
    }
    (digits, commas, newlines)
}

/// Classifies 64 bytes into digit, comma and newline masks.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify(bytes: &[u8]) -> (u64, u64, u64) {
    let (mut digits, mut commas, mut newlines) = (0u64, 0u64, 0u64);
    for (i, &b) in bytes[..64].iter().enumerate() {
        digits |= u64::from(b.is_ascii_digit()) << i;
        commas |= u64::from(b == b',') << i;
        newlines |= u64::from(b == b'\n') << i;
    }
    (digits, commas, newlines)
}

/// The value of up to 8 ASCII digits in `word`, right-aligned (the last digit in the highest
/// byte, zero bytes below the first digit, which count as leading zeros).
#[inline(always)]
pub(super) fn eight_digits(word: u64) -> u64 {
    let v = word & 0x0F0F_0F0F_0F0F_0F0F;
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    v.wrapping_mul(10000).wrapping_add(v >> 32) & 0xFFFF_FFFF
}

/// Replaces words of digits (see [`eight_digits`]) by their values.
#[inline(always)]
fn read_words<const AVX2: bool>(words: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: `AVX2` is true only in code compiled for, and run on, CPUs with AVX2.
        unsafe { read_words_avx2(words) };
        return;
    }
    for word in words {
        *word = eight_digits(*word);
    }
}

/// [`read_words`], four words at a time: digit pairs, then quadruples, then octets are
/// combined by multiply-adds.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn read_words_avx2(words: &mut [u64]) {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_maddubs_epi16,
        _mm256_mul_epu32, _mm256_set1_epi8, _mm256_set1_epi16, _mm256_set1_epi32, _mm256_set1_epi64x,
        _mm256_srli_epi64, _mm256_storeu_si256,
    };
    let mut chunks = words.chunks_exact_mut(4);
    for chunk in &mut chunks {
        // SAFETY: `chunk` is 4 words (32 bytes); unaligned loads and stores.
        unsafe {
            let v = _mm256_loadu_si256(chunk.as_ptr().cast::<__m256i>());
            let digits = _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
            // Bytes d0 d1 (d0 first, the more significant) -> 10 * d0 + d1 in 16 bits.
            let pairs = _mm256_maddubs_epi16(digits, _mm256_set1_epi16(0x010A));
            // 16-bit pairs -> 100 * p0 + p1 in 32 bits.
            let quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x0001_0064));
            // 32-bit pairs -> 10000 * q0 + q1 in 64 bits.
            let high = _mm256_mul_epu32(quads, _mm256_set1_epi64x(10_000));
            let value = _mm256_add_epi64(high, _mm256_srli_epi64(quads, 32));
            _mm256_storeu_si256(chunk.as_mut_ptr().cast::<__m256i>(), value);
        }
    }
    for word in chunks.into_remainder() {
        *word = eight_digits(*word);
    }
}

/// Buffered numbers, read and spread over the columns a batch of rows at a time.
struct Sink {
    /// Numbers of up to 8 digits as words of digits (see [`eight_digits`]), read in bulk when
    /// flushed; the others as 0, with their values in `long`.
    buf: [u64; BATCH + 64],
    len: usize,
    /// Values of the numbers with more than 8 digits, by position in `buf`.
    long: Vec<(usize, u64)>,
    /// Flush once this many values are buffered (a whole number of rows).
    flush_at: usize,
    /// Rows written to the columns so far.
    row: usize,
    stride: usize,
    /// Cleared when a value does not fit its column.
    fits: bool,
}

impl Sink {
    /// Buffers a value that is already read (not a word of digits).
    fn push_value(&mut self, value: u64) -> bool {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = 0;
                self.long.push((self.len, value));
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Writes the first `rows` buffered rows to the columns and keeps the rest.
    #[inline(always)]
    fn flush<const AVX2: bool>(&mut self, slots: &mut [Slot<'_>], rows: usize) {
        let stride = self.stride;
        let used = rows * stride;
        read_words::<AVX2>(&mut self.buf[..used]);
        for &(at, value) in &self.long {
            if let Some(slot) = self.buf[..used].get_mut(at) {
                *slot = value;
            }
        }
        self.long.retain_mut(|(at, _)| {
            *at = at.wrapping_sub(used);
            *at < BATCH + 64
        });
        let values = &self.buf[..used];
        let first = self.row;
        let Some(last) = first.checked_add(rows) else {
            self.fits = false;
            return;
        };
        for (column, slot) in slots.iter_mut().enumerate() {
            let field = values.chunks_exact(stride).map(|row| &row[column]);
            let fits = match slot {
                Slot::U8(s) => s.get_mut(first..last).is_some_and(|out| narrow(out, field, |v| v as u8)),
                Slot::U32(s) => s.get_mut(first..last).is_some_and(|out| narrow(out, field, |v| v as u32)),
                Slot::U64(s) => match s.get_mut(first..last) {
                    Some(out) => {
                        for (o, &v) in out.iter_mut().zip(field) {
                            o.write(v);
                        }
                        true
                    }
                    None => false,
                },
                Slot::U32Wide(s, wide) => match s.get_mut(first..last) {
                    Some(out) => {
                        for (r, (o, &v)) in out.iter_mut().zip(field).enumerate() {
                            if v >= u64::from(u32::MAX) {
                                wide.push((first + r, v));
                                o.write(u32::MAX);
                            } else {
                                o.write(v as u32);
                            }
                        }
                        true
                    }
                    None => false,
                },
                Slot::Skip => true,
            };
            self.fits &= fits;
        }
        self.row = last;
        self.buf.copy_within(used..self.len, 0);
        self.len -= used;
    }
}

/// Writes `values` to `out`, each cut to `T` by `cut`; tells whether every value fits in `T`
/// (whose largest value is `cut(u64::MAX)` widened back).
#[inline(always)]
fn narrow<'v, T: Copy + Into<u64>>(
    out: &mut [MaybeUninit<T>],
    values: impl Iterator<Item = &'v u64>,
    cut: impl Fn(u64) -> T,
) -> bool {
    let mut high = 0u64;
    for (o, &v) in out.iter_mut().zip(values) {
        high |= v;
        o.write(cut(v));
    }
    high <= cut(u64::MAX).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of (u8, u32, wide u32, u64) fields with values of every length, in V8's layout.
    fn sample(rows: usize, seed: u64) -> (String, Vec<[u64; 4]>) {
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let values: Vec<[u64; 4]> = (0..rows)
            .map(|_| {
                let digits = 1 + (next() % 19) as u32;
                [next() % 256, next() % (1 << 32), next() % 10u64.pow(digits), next() % 1000]
            })
            .collect();
        let text = values
            .iter()
            .map(|row| row.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
            .join("\n,");
        (text, values)
    }

    /// Parses `text` with `parse` into four columns, or `None` when it gives up.
    fn columns(
        text: &str,
        rows: usize,
        parse: impl Fn(&[u8], usize, &mut [Slot<'_>]) -> bool,
    ) -> Option<Vec<[u64; 4]>> {
        let mut a = vec![MaybeUninit::<u8>::uninit(); rows];
        let mut b = vec![MaybeUninit::<u32>::uninit(); rows];
        let mut c = vec![MaybeUninit::<u32>::uninit(); rows];
        let mut d = vec![MaybeUninit::<u64>::uninit(); rows];
        let mut slots = [Slot::U8(&mut a), Slot::U32(&mut b), Slot::U32Wide(&mut c, Vec::new()), Slot::U64(&mut d)];
        if !parse(text.as_bytes(), rows, &mut slots) {
            return None;
        }
        let Slot::U32Wide(_, wide) = &slots[2] else { unreachable!() };
        let wide: std::collections::HashMap<usize, u64> = wide.iter().copied().collect();
        // SAFETY: a successful parse writes every row of every column.
        let rows = (0..rows).map(|r| unsafe {
            let third = c[r].assume_init();
            let third = if third == u32::MAX { wide[&r] } else { u64::from(third) };
            [u64::from(a[r].assume_init()), u64::from(b[r].assume_init()), third, d[r].assume_init()]
        });
        Some(rows.collect())
    }

    /// One build of the parser.
    type Build = fn(&[u8], usize, &mut [Slot<'_>]) -> bool;

    /// Every build of the parser this CPU can run.
    fn builds() -> Vec<(&'static str, Build)> {
        let mut builds: Vec<(&'static str, Build)> =
            vec![("portable", parse_canonical_with::<false, false>), ("best", parse_canonical)];
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx2() {
                // SAFETY: the CPU has the features.
                builds.push(("avx2", |b, r, s| unsafe { parse_canonical_avx2(b, r, s) }));
            }
            if has_avx512() {
                // SAFETY: the CPU has the features.
                builds.push(("avx512", |b, r, s| unsafe { parse_canonical_avx512(b, r, s) }));
            }
        }
        builds
    }

    #[test]
    fn every_build_reads_every_value_and_gives_up_on_values_too_wide() {
        for (rows, seed) in [(1, 1), (2, 2), (7, 3), (300, 4), (5_000, 5)] {
            let (text, values) = sample(rows, seed);
            // A byte column given 256, and one row too many.
            let too_wide = text.replacen(&format!("{}", values[0][0]), "256", 1);
            let too_long = format!("{text}\n,1,2,3,4");
            for (build, parse) in builds() {
                assert!(columns(&text, rows, parse) == Some(values.clone()), "{build} misread {rows} rows");
                assert_eq!(columns(&too_wide, rows, parse), None, "{build}, {rows} rows");
                assert_eq!(columns(&too_long, rows, parse), None, "{build}, {rows} rows");
            }
        }
    }
}
