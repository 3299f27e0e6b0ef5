//! A fixed-size bit vector, filled in parallel by blocks of edges or nodes.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

/// One bit per item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BitVec {
    words: Vec<u64>,
    len: usize,
}

/// Items per parallel block (a multiple of 64).
const BLOCK: usize = 1 << 16;

impl BitVec {
    /// `len` bits, each `f(i)`, computed in parallel; `f` receives whole blocks as
    /// `(first_index, &mut [u64])` and sets the bits of its block.
    pub fn from_blocks(len: usize, f: impl Fn(usize, &mut [u64]) + Sync) -> Self {
        let mut words = vec![0u64; len.div_ceil(64)];
        words.par_chunks_mut(BLOCK / 64).enumerate().for_each(|(block, chunk)| f(block * BLOCK, chunk));
        Self { words, len }
    }

    /// `len` bits, bit `i` being `f(i)`, computed in parallel blocks.
    pub fn from_fn(len: usize, f: impl Fn(usize) -> bool + Sync) -> Self {
        Self::from_blocks(len, |start, words| {
            for (w, word) in words.iter_mut().enumerate() {
                let first = start + w * 64;
                for bit in 0..64.min(len.saturating_sub(first)) {
                    if f(first + bit) {
                        *word |= 1 << bit;
                    }
                }
            }
        })
    }

    /// The bits of `words` (bit `i` is bit `i % 64` of word `i / 64`), `len` of them.
    pub fn from_words(words: Vec<u64>, len: usize) -> Self {
        debug_assert!(words.len() == len.div_ceil(64));
        Self { words, len }
    }

    /// `len` zero bits.
    pub fn zeros(len: usize) -> Self {
        Self { words: vec![0; len.div_ceil(64)], len }
    }

    /// `len` one bits (the bits past the end stay 0).
    pub fn ones(len: usize) -> Self {
        Self::from_blocks(len, |start, words| {
            for (w, word) in words.iter_mut().enumerate() {
                *word = valid_bits(len, start + w * 64);
            }
        })
    }

    /// The indexes of the 0 bits, ascending, found a word at a time in parallel (for bit
    /// arrays with few of them).
    pub fn zero_indexes(&self) -> Vec<u32> {
        (0..self.words.len())
            .into_par_iter()
            .with_min_len(1024)
            .flat_map_iter(|w| {
                let mut zeros = !self.words[w] & valid_bits(self.len, w * 64);
                std::iter::from_fn(move || {
                    (zeros != 0).then(|| {
                        let bit = zeros.trailing_zeros();
                        zeros &= zeros - 1;
                        (w * 64) as u32 + bit
                    })
                })
            })
            .collect()
    }

    /// Asks the processor to fetch the word holding bit `i` (see
    /// [`super::prefetch::prefetch`]).
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        super::prefetch::prefetch(&self.words, i / 64);
    }

    /// Bit `i`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> bool {
        (self.words[i / 64] >> (i % 64)) & 1 == 1
    }

    /// Sets bit `i`.
    #[inline(always)]
    pub fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    /// Clears bit `i`.
    #[inline(always)]
    pub fn clear(&mut self, i: usize) {
        self.words[i / 64] &= !(1 << (i % 64));
    }

    /// Word `w`: bits `64 * w` to `64 * w + 63`, the lowest bit first (the bits past the
    /// end are 0).
    #[inline]
    pub fn word(&self, w: usize) -> u64 {
        self.words[w]
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The mask of the bits of the word starting at bit `first` that lie below `len`.
fn valid_bits(len: usize, first: usize) -> u64 {
    match len.saturating_sub(first) {
        0 => 0,
        n if n >= 64 => u64::MAX,
        n => (1u64 << n) - 1,
    }
}

/// A bit array that many threads set bits in at once.
pub struct SharedBits {
    words: Vec<AtomicU64>,
}

impl SharedBits {
    /// `len` cleared bits.
    pub fn zeros(len: usize) -> Self {
        Self { words: (0..len.div_ceil(64)).map(|_| AtomicU64::new(0)).collect() }
    }

    /// Sets bit `i`; true when this call set it (false when it was set already, or `i` is past
    /// the end). A bit that is already set costs only a read: most callers set the same bits
    /// over and over, and a read-modify-write on a shared word would make the cores take turns
    /// owning it.
    #[inline(always)]
    pub fn set(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|word| {
            let bit = 1u64 << (i % 64);
            word.load(Ordering::Relaxed) & bit == 0 && word.fetch_or(bit, Ordering::Relaxed) & bit == 0
        })
    }

    /// The bits as a [`BitVec`] of `len` bits.
    pub fn into_bit_vec(self, len: usize) -> BitVec {
        BitVec::from_words(self.words.into_iter().map(AtomicU64::into_inner).collect(), len)
    }

    /// Bit `i` (false past the end).
    #[inline(always)]
    pub fn get(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|word| (word.load(Ordering::Relaxed) >> (i % 64)) & 1 == 1)
    }
}
