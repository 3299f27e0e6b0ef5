//! Grouping items by a small integer key into compressed sparse rows, in parallel, keeping
//! the items' order within each key: the counting sort behind the retainer index.
//!
//! The items come in parts (contiguous ranges of their source, in order). Each part counts
//! its keys in its own histogram; the histograms become per-part write cursors, part `p`
//! writing key `k`'s items after those of every earlier part; then every part places its
//! items independently.

use rayon::prelude::*;

/// Rows per parallel work item when combining the histograms.
const ROWS_PER_TASK: usize = 1 << 16;

/// Items to group, visited part by part.
///
/// # Safety
/// `visit(p, ..)` must yield the same keys, in the same order, every time it is called for
/// a part, and all parts together exactly `item_count` items (see [`group_by_key`]):
/// [`group_by_key`] writes the second visit's items into slots laid out by the first.
pub(crate) unsafe trait KeyedItems: Sync {
    /// The grouped value.
    type Item: Copy + Send;
    /// How many parts there are.
    fn parts(&self) -> usize;
    /// Calls `emit(key, item)` for each item of part `part`, in order.
    fn visit(&self, part: usize, emit: impl FnMut(u32, Self::Item));
    /// Calls `emit(key)` for each item of part `part`: [`Self::visit`] without the items,
    /// for a source that has a quicker way to list only the keys.
    fn visit_keys(&self, part: usize, mut emit: impl FnMut(u32)) {
        self.visit(part, |key, _| emit(key));
    }
}

/// Groups `items` by key: returns `first` (length `key_count + 1`) and the items, so that
/// `items[first[k]..first[k + 1]]` are key `k`'s items in part order, then visit order.
///
/// # Panics
/// If a key is not below `key_count`, or the parts do not yield `item_count` items.
pub(crate) fn group_by_key<S: KeyedItems>(source: &S, key_count: usize, item_count: usize) -> (Vec<u32>, Vec<S::Item>) {
    assert!(u32::try_from(item_count).is_ok(), "at most 2^32 - 1 items can be grouped");
    let parts = source.parts();
    let mut cursors: Vec<Vec<u32>> = (0..parts)
        .into_par_iter()
        .map(|part| {
            let mut histogram = vec![0u32; key_count];
            source.visit_keys(part, |key| histogram[key as usize] += 1);
            histogram
        })
        .collect();

    // first[k] = number of items with a key below k.
    let mut first = vec![0u32; key_count + 1];
    first[..key_count].par_chunks_mut(ROWS_PER_TASK).enumerate().for_each(|(chunk, out)| {
        let start = chunk * ROWS_PER_TASK;
        for (i, total) in out.iter_mut().enumerate() {
            *total = cursors.iter().map(|c| c[start + i]).fold(0u32, u32::wrapping_add);
        }
    });
    let mut sum = 0u64;
    for slot in first.iter_mut() {
        let total = u64::from(*slot);
        *slot = u32::try_from(sum).unwrap_or(u32::MAX);
        sum += total;
    }
    assert_eq!(sum, item_count as u64, "the parts yielded a different number of items than declared");

    // Each part's histogram becomes its write cursors: part p writes key k's items from
    // first[k] + Σ_{p' < p} histogram_p'[k].
    let mut by_chunk: Vec<Vec<&mut [u32]>> = (0..key_count.div_ceil(ROWS_PER_TASK)).map(|_| Vec::new()).collect();
    for cursor in cursors.iter_mut() {
        for (chunk, piece) in cursor.chunks_mut(ROWS_PER_TASK).enumerate() {
            by_chunk[chunk].push(piece);
        }
    }
    by_chunk.into_par_iter().enumerate().for_each(|(chunk, mut pieces)| {
        let start = chunk * ROWS_PER_TASK;
        for i in 0..pieces.first().map_or(0, |p| p.len()) {
            let mut cursor = first[start + i];
            for piece in pieces.iter_mut() {
                let count = piece[i];
                piece[i] = cursor;
                cursor += count;
            }
        }
    });

    let mut items: Vec<S::Item> = Vec::with_capacity(item_count);
    let slots = SharedSlots(items.as_mut_ptr());
    cursors.par_iter_mut().enumerate().for_each(|(part, cursor)| {
        let slots = &slots;
        source.visit(part, |key, item| {
            let c = &mut cursor[key as usize];
            let slot = *c as usize;
            *c += 1;
            assert!(slot < item_count);
            // SAFETY: part p's cursor for key k runs through [first[k] + Σ_{p'<p} h_p'[k],
            // + h_p[k]): these ranges are disjoint across parts and keys and tile
            // [0, item_count), as the visits yield the keys the histograms counted.
            unsafe { slots.write(slot, item) };
        });
    });
    // SAFETY: every slot in [0, item_count) was written once (the ranges above tile it).
    unsafe { items.set_len(item_count) };
    (first, items)
}

/// A raw pointer into a buffer that several tasks write at disjoint indexes.
struct SharedSlots<T>(*mut T);

// SAFETY: used only for writes at indexes that no two tasks share (see `group_by_key`).
unsafe impl<T: Send> Sync for SharedSlots<T> {}

impl<T> SharedSlots<T> {
    /// # Safety
    /// `index` must be in bounds and written by no other task.
    #[inline(always)]
    unsafe fn write(&self, index: usize, value: T) {
        // SAFETY: guaranteed by the caller.
        unsafe { self.0.add(index).write(value) };
    }
}
