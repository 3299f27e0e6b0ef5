//! The numbers of one 64-byte block of a numeric array, gathered eight at a time with
//! AVX-512 byte permutes (the fast path of [`super::canonical`] on CPUs that have them).
//!
//! The positions where numbers end are packed into a vector by one compress. For each group
//! of eight numbers, one two-table permute over this block and the one before gathers the
//! eight bytes before each end into a 64-bit lane; the digits at the top of each lane are
//! kept and the bytes below them shifted out, which is the word of digits the scalar path
//! makes one number at a time.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::{
    __m512i, _mm512_add_epi8, _mm512_cmpeq_epi8_mask, _mm512_cmpeq_epi64_mask, _mm512_cmpge_epu8_mask,
    _mm512_cmple_epu8_mask, _mm512_loadu_si512, _mm512_lzcnt_epi64, _mm512_maskz_compress_epi8, _mm512_movm_epi8,
    _mm512_permutex2var_epi8, _mm512_permutexvar_epi8, _mm512_set1_epi8, _mm512_set1_epi64, _mm512_sllv_epi64,
    _mm512_srlv_epi64, _mm512_storeu_si512, _mm512_sub_epi8, _mm512_sub_epi64, _pext_u64,
};

/// A permute table: byte `i` is `offset + (i / divisor) % modulus`.
const fn byte_table(divisor: usize, modulus: usize, offset: u8) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        bytes[i] = offset + ((i / divisor) % modulus) as u8;
        i += 1;
    }
    bytes
}

/// Byte `i` is `i`.
static IOTA: [u8; 64] = byte_table(1, 64, 0);

/// Lane `j` (bytes `8j..8j + 8`) holds `j` in every byte: spreads element `j` of a packed
/// byte vector over lane `j`.
static SPREAD: [u8; 64] = byte_table(8, 64, 0);

/// Byte `i` of every lane is `56 + i`: added to an end position `e`, the indexes of the
/// eight bytes before `e` in the two-block table (the previous block is indexes 0..64).
static BEFORE_END: [u8; 64] = byte_table(1, 8, 56);

/// Classifies 64 bytes into digit, comma and newline masks.
///
/// # Safety
/// The CPU must support AVX-512 F and BW; `bytes` must point to 64 readable bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) unsafe fn classify(bytes: *const u8) -> (u64, u64, u64) {
    // SAFETY: the caller guarantees the 64 bytes.
    unsafe {
        let v = _mm512_loadu_si512(bytes.cast::<__m512i>());
        let digits = _mm512_cmpge_epu8_mask(v, _mm512_set1_epi8(b'0' as i8))
            & _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(b'9' as i8));
        let commas = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b',' as i8));
        let newlines = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\n' as i8));
        (digits, commas, newlines)
    }
}

/// Writes the words of digits of the numbers that end in a block, in order, to `out`, and
/// returns how many there are; `None` when one of them has more than 8 digits (the caller
/// then reads the block the scalar way).
///
/// `ends` has bit `i` set when a number ends just before byte `i` of the block.
///
/// # Safety
/// The CPU must support AVX-512 F, BW, CD, VBMI and VBMI2, BMI2 and POPCNT. `block` must point to 64 readable
/// bytes, and, when `has_previous`, so must `block - 64`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512cd,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
pub(super) unsafe fn block_words(
    block: *const u8,
    has_previous: bool,
    ends: u64,
    out: &mut [u64; 64],
) -> Option<usize> {
    // SAFETY: the loads are within the bytes the caller guarantees; the stores write at most
    // 4 groups of 8 words into the 64 words of `out`.
    unsafe {
        let current = _mm512_loadu_si512(block.cast::<__m512i>());
        // Before the first block there is no number: blanks stand for the bytes.
        let previous = if has_previous {
            _mm512_loadu_si512(block.sub(64).cast::<__m512i>())
        } else {
            _mm512_set1_epi8(b' ' as i8)
        };
        let iota = _mm512_loadu_si512(IOTA.as_ptr().cast::<__m512i>());
        let spread = _mm512_loadu_si512(SPREAD.as_ptr().cast::<__m512i>());
        let before_end = _mm512_loadu_si512(BEFORE_END.as_ptr().cast::<__m512i>());
        let zero = _mm512_set1_epi8(b'0' as i8);
        let nine = _mm512_set1_epi8(b'9' as i8);
        let is_digit = |v: __m512i| _mm512_cmpge_epu8_mask(v, zero) & _mm512_cmple_epu8_mask(v, nine);
        let mut positions = _mm512_maskz_compress_epi8(ends, iota);
        let count = ends.count_ones() as usize;
        let mut group = 0;
        while group * 8 < count {
            // Lane j: the eight bytes before the end of number 8 * group + j.
            let index = _mm512_add_epi8(_mm512_permutexvar_epi8(spread, positions), before_end);
            let bytes = _mm512_permutex2var_epi8(previous, index, current);
            // Each lane's top run of digits is the number: count it (leading zero bits of the
            // lane's non-digit flags, 8 per digit) and shift the bytes below it out.
            let others = _mm512_movm_epi8(!is_digit(bytes));
            let digit_bits = _mm512_lzcnt_epi64(others);
            let below = _mm512_sub_epi64(_mm512_set1_epi64(64), digit_bits);
            let words = _mm512_sllv_epi64(_mm512_srlv_epi64(bytes, below), below);
            // A lane of eight digits may hold the end of a longer number: look one byte further
            // back (the lanes past the last number do not matter).
            let lanes = count - group * 8;
            let live = if lanes >= 8 { u8::MAX } else { (1u8 << lanes) - 1 };
            let full = _mm512_cmpeq_epi64_mask(digit_bits, _mm512_set1_epi64(64)) & live;
            if full != 0 {
                let ninth =
                    is_digit(_mm512_permutex2var_epi8(previous, _mm512_sub_epi8(index, _mm512_set1_epi8(1)), current));
                // Byte 0 of lane j is bit 8j.
                if _pext_u64(ninth, 0x0101_0101_0101_0101) as u8 & full != 0 {
                    return None;
                }
            }
            _mm512_storeu_si512(out.as_mut_ptr().add(group * 8).cast::<__m512i>(), words);
            // The next eight positions move to the front.
            positions = _mm512_permutexvar_epi8(_mm512_add_epi8(iota, _mm512_set1_epi8(8)), positions);
            group += 1;
        }
        Some(count)
    }
}
