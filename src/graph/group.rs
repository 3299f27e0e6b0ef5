//! Grouping items by a small integer key into compressed sparse rows, in parallel, keeping
//! the items' order within each key: the counting sort behind the retainer index.
//!
//! The items come in parts (contiguous ranges of their source, in order). Each part counts
//! its items per bucket of keys in its own histogram; the histograms become per-part write
//! cursors, part `p` writing a bucket's items after those of every earlier part; then every
//! part deals its items out to the buckets independently, and every bucket is sorted by key
//! on its own (see [`group_by_key`]).

use rayon::prelude::*;

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

/// Keys per bucket of the first pass: a key's offset within its bucket fits in one byte, so
/// the offsets kept beside the items take a byte each (fresh memory is costly: with 4,096
/// keys and two-byte offsets, building the retainer index of an 11 M-node graph took 30-40 ms
/// longer and 31 MiB more). The buckets' write cursors still stay in the caches.
const BUCKET_BITS: u32 = 8;
const BUCKET_KEYS: usize = 1 << BUCKET_BITS;

/// Buckets with more items than this (16 per key on average) are not sorted in the second
/// pass (their keys are counted one by one beforehand, and their items go straight to their
/// places).
const HEAVY_BUCKET: u32 = 1 << 12;

/// Groups `items` by key: returns `first` (length `key_count + 1`) and the items, so that
/// `items[first[k]..first[k + 1]]` are key `k`'s items in part order, then visit order.
///
/// Two stable passes, each with good locality (a one-pass counting sort would scatter every
/// item to a random place in a big array):
/// 1. every part deals its items out to buckets of [`BUCKET_KEYS`] consecutive keys, writing
///    each item and its key's offset within the bucket at the bucket's cursor (a few
///    thousand write streams, one per bucket);
/// 2. every bucket is counting-sorted by those offsets on its own, in cache, in parallel.
///
/// Keys with very many items (a heap's most shared objects) would make their buckets too
/// big to sort in cache: the keys of such heavy buckets are counted one by one first, and
/// the first pass puts their items straight into place.
///
/// # Panics
/// If a key is not below `key_count`, or the parts do not yield `item_count` items.
pub(crate) fn group_by_key<S: KeyedItems>(source: &S, key_count: usize, item_count: usize) -> (Vec<u32>, Vec<S::Item>) {
    assert!(u32::try_from(item_count).is_ok(), "at most 2^32 - 1 items can be grouped");
    let parts = source.parts();
    let buckets = key_count.div_ceil(BUCKET_KEYS);
    // Per part, the item count of every bucket; then, in place, the part's write cursors.
    let mut cursors: Vec<Vec<u32>> = (0..parts)
        .into_par_iter()
        .map(|part| {
            let mut histogram = vec![0u32; buckets];
            source.visit_keys(part, |key| histogram[(key >> BUCKET_BITS) as usize] += 1);
            histogram
        })
        .collect();
    // Bucket b's items start at bucket_start[b]; part p writes them after every earlier part's.
    let mut bucket_start = Vec::with_capacity(buckets + 1);
    let mut sum = 0u64;
    for b in 0..buckets {
        bucket_start.push(u32::try_from(sum).unwrap_or(u32::MAX));
        for cursor in cursors.iter_mut() {
            let count = cursor[b];
            cursor[b] = u32::try_from(sum).unwrap_or(u32::MAX);
            sum += u64::from(count);
        }
    }
    assert_eq!(sum, item_count as u64, "the parts yielded a different number of items than declared");
    bucket_start.push(item_count as u32);
    let heavy = HeavyKeys::count(source, &bucket_start);

    let mut items: Vec<S::Item> = Vec::with_capacity(item_count);
    let mut offsets: Vec<u8> = Vec::with_capacity(item_count);
    let item_slots = SharedSlots(items.as_mut_ptr());
    let offset_slots = SharedSlots(offsets.as_mut_ptr());
    let HeavyKeys { index: heavy_index, cursors: key_cursors, first: heavy_first } = heavy;
    cursors.par_iter_mut().zip(key_cursors).enumerate().for_each(|(part, (cursor, mut key_cursor))| {
        let (item_slots, offset_slots, heavy_index) = (&item_slots, &offset_slots, &heavy_index);
        source.visit(part, |key, item| {
            let bucket = (key >> BUCKET_BITS) as usize;
            let offset = key as usize % BUCKET_KEYS;
            let c = match heavy_index[bucket] {
                NOT_HEAVY => &mut cursor[bucket],
                h => &mut key_cursor[h as usize * BUCKET_KEYS + offset],
            };
            let slot = *c as usize;
            *c += 1;
            assert!(slot < item_count);
            // SAFETY: part p's cursor for a bucket (or for a key of a heavy bucket) runs
            // through its own range of that bucket's (key's) slots, after the earlier parts'
            // counts; these ranges are disjoint and tile [0, item_count), as the visits yield
            // the keys the histograms counted.
            unsafe {
                item_slots.write(slot, item);
                offset_slots.write(slot, offset as u8);
            }
        });
    });
    // SAFETY: every slot in [0, item_count) of both buffers was written once.
    unsafe {
        items.set_len(item_count);
        offsets.set_len(item_count);
    }

    // Sort each bucket by key offset, stably, and note where each key's items start.
    let mut first = vec![0u32; key_count + 1];
    first[key_count] = item_count as u32;
    let mut bucket_items: Vec<&mut [S::Item]> = Vec::with_capacity(buckets);
    let mut rest = items.as_mut_slice();
    for b in 0..buckets {
        let (head, tail) = rest.split_at_mut((bucket_start[b + 1] - bucket_start[b]) as usize);
        bucket_items.push(head);
        rest = tail;
    }
    first[..key_count].par_chunks_mut(BUCKET_KEYS).zip(bucket_items).enumerate().for_each_init(
        Vec::new,
        |scratch, (b, (first, bucket))| match heavy_index[b] {
            NOT_HEAVY => {
                let start = bucket_start[b] as usize;
                sort_bucket(bucket, &offsets[start..start + bucket.len()], start as u32, first, scratch);
            }
            h => {
                let h = h as usize * BUCKET_KEYS;
                first.copy_from_slice(&heavy_first[h..h + first.len()]);
            }
        },
    );
    (first, items)
}

const NOT_HEAVY: u32 = u32::MAX;

/// The keys of the heavy buckets, counted one by one.
struct HeavyKeys {
    /// Per bucket, its index among the heavy buckets, or [`NOT_HEAVY`].
    index: Vec<u32>,
    /// Per part, the write cursor of every key of every heavy bucket.
    cursors: Vec<Vec<u32>>,
    /// Where each key of every heavy bucket starts.
    first: Vec<u32>,
}

impl HeavyKeys {
    fn count<S: KeyedItems>(source: &S, bucket_start: &[u32]) -> Self {
        let buckets = bucket_start.len() - 1;
        let mut index = vec![NOT_HEAVY; buckets];
        let mut heavy = 0u32;
        for (b, slot) in index.iter_mut().enumerate() {
            if bucket_start[b + 1] - bucket_start[b] > HEAVY_BUCKET {
                *slot = heavy;
                heavy += 1;
            }
        }
        let size = heavy as usize * BUCKET_KEYS;
        if heavy == 0 {
            return Self { index, cursors: vec![Vec::new(); source.parts()], first: Vec::new() };
        }
        let mut cursors: Vec<Vec<u32>> = (0..source.parts())
            .into_par_iter()
            .map(|part| {
                let mut histogram = vec![0u32; size];
                source.visit_keys(part, |key| {
                    let h = index[(key >> BUCKET_BITS) as usize];
                    if h != NOT_HEAVY {
                        histogram[h as usize * BUCKET_KEYS + key as usize % BUCKET_KEYS] += 1;
                    }
                });
                histogram
            })
            .collect();
        let mut first = vec![0u32; size];
        for (b, &h) in index.iter().enumerate() {
            if h == NOT_HEAVY {
                continue;
            }
            let mut at = bucket_start[b];
            for k in h as usize * BUCKET_KEYS..(h as usize + 1) * BUCKET_KEYS {
                first[k] = at;
                for cursor in cursors.iter_mut() {
                    let count = cursor[k];
                    cursor[k] = at;
                    at += count;
                }
            }
        }
        Self { index, cursors, first }
    }
}

/// Stably sorts one bucket's items by their keys' offsets within the bucket, and writes
/// where each key's items start (`base` is the bucket's first slot).
fn sort_bucket<T: Copy>(bucket: &mut [T], offsets: &[u8], base: u32, first: &mut [u32], scratch: &mut Vec<T>) {
    let mut counts = [0u32; BUCKET_KEYS];
    for &offset in offsets {
        counts[usize::from(offset)] += 1;
    }
    let mut at = 0u32;
    for (count, first) in counts.iter_mut().zip(first.iter_mut()) {
        *first = base + at;
        let n = *count;
        *count = at;
        at += n;
    }
    scratch.clear();
    scratch.extend_from_slice(bucket);
    for (&item, &offset) in scratch.iter().zip(offsets) {
        let c = &mut counts[usize::from(offset)];
        bucket[*c as usize] = item;
        *c += 1;
    }
}

/// A raw pointer into a buffer that several tasks write at disjoint indexes.
pub(crate) struct SharedSlots<T>(pub(crate) *mut T);

// SAFETY: used only for writes at indexes that no two tasks share (see `group_by_key`).
unsafe impl<T: Send> Sync for SharedSlots<T> {}

impl<T> SharedSlots<T> {
    /// # Safety
    /// `index` must be in bounds and written by no other task.
    #[inline(always)]
    pub(crate) unsafe fn write(&self, index: usize, value: T) {
        // SAFETY: guaranteed by the caller.
        unsafe { self.0.add(index).write(value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items `(part, index)` with given keys, in parts of consecutive items.
    struct Listed {
        keys: Vec<u32>,
        bounds: Vec<usize>,
    }

    // SAFETY: the visits walk the same fixed lists.
    unsafe impl KeyedItems for Listed {
        type Item = (u32, u32);

        fn parts(&self) -> usize {
            self.bounds.len() - 1
        }

        fn visit(&self, part: usize, mut emit: impl FnMut(u32, Self::Item)) {
            for i in self.bounds[part]..self.bounds[part + 1] {
                emit(self.keys[i], (part as u32, i as u32));
            }
        }
    }

    #[test]
    fn groups_like_a_stable_sort_with_heavy_and_empty_buckets() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let key_count = 5 * BUCKET_KEYS + 17;
        // Keys 3 and 2 * BUCKET_KEYS + 5 are shared by many items (two heavy buckets); the
        // bucket of 4 * BUCKET_KEYS is left empty.
        let keys: Vec<u32> = (0..300_000)
            .map(|_| match next() % 10 {
                0..=2 => 3,
                3..=5 => 2 * BUCKET_KEYS as u32 + 5,
                _ => loop {
                    let key = (next() % key_count as u64) as u32;
                    if key as usize / BUCKET_KEYS != 4 {
                        break key;
                    }
                },
            })
            .collect();
        for bounds in [vec![0, keys.len()], vec![0, 1000, 150_000, 150_000, keys.len()]] {
            let listed = Listed { keys: keys.clone(), bounds: bounds.clone() };
            let (first, items) = group_by_key(&listed, key_count, keys.len());
            let mut expected: Vec<(u32, (u32, u32))> = Vec::new();
            for part in 0..bounds.len() - 1 {
                listed.visit(part, |key, item| expected.push((key, item)));
            }
            expected.sort_by_key(|&(key, _)| key);
            assert!(items == expected.iter().map(|&(_, item)| item).collect::<Vec<_>>());
            let mut counts = vec![0u32; key_count];
            for &key in &keys {
                counts[key as usize] += 1;
            }
            let mut at = 0;
            for (k, count) in counts.into_iter().enumerate() {
                assert_eq!(first[k], at, "key {k}");
                at += count;
            }
            assert_eq!(first[key_count], keys.len() as u32);
        }
    }
}
