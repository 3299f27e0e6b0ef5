//! A column of byte sizes, one per node, in 4 bytes each: sizes of 4 GiB or more are rare
//! (large external buffers, the objects retaining them), and live in a sorted side list.

use rayon::prelude::*;

use super::NodeIndex;

/// The narrow value that stands for "look in the side list".
const IN_SIDE_LIST: u32 = u32::MAX;

/// Byte sizes by node: `u32` each, with the sizes of `u32::MAX` bytes or more in a side list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizeColumn {
    narrow: Vec<u32>,
    /// (node, size) for every node whose narrow value is [`IN_SIDE_LIST`], ascending by node.
    large: Vec<(NodeIndex, u64)>,
}

impl SizeColumn {
    /// A column from its narrow values and its side list (ascending by node; every node whose
    /// narrow value is `u32::MAX` should be listed, and an unlisted one reads as `u32::MAX`).
    pub fn from_parts(narrow: Vec<u32>, large: Vec<(NodeIndex, u64)>) -> Self {
        debug_assert!(large.is_sorted_by_key(|&(node, _)| node));
        Self { narrow, large }
    }

    /// A column holding `sizes`.
    #[cfg(test)]
    pub fn from_sizes(sizes: &[u64]) -> Self {
        let narrow: Vec<u32> = sizes.par_iter().map(|&s| narrow_value(s)).collect();
        let large = (0..sizes.len() as NodeIndex)
            .into_par_iter()
            .filter(|&v| narrow[v as usize] == IN_SIDE_LIST)
            .map(|v| (v, sizes[v as usize]))
            .collect();
        Self { narrow, large }
    }

    /// Node `v`'s size.
    #[inline]
    pub fn get(&self, v: usize) -> u64 {
        match self.narrow[v] {
            IN_SIDE_LIST => self.large_size(v as NodeIndex),
            size => u64::from(size),
        }
    }

    #[cold]
    fn large_size(&self, v: NodeIndex) -> u64 {
        match self.large.binary_search_by_key(&v, |&(node, _)| node) {
            Ok(i) => self.large[i].1,
            Err(_) => u64::from(IN_SIDE_LIST),
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.narrow.len()
    }

    /// True when the column has no nodes.
    pub fn is_empty(&self) -> bool {
        self.narrow.is_empty()
    }

    /// The sizes in node order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len()).map(|v| self.get(v))
    }

    /// The sizes as plain numbers.
    pub fn to_vec(&self) -> Vec<u64> {
        (0..self.len()).into_par_iter().map(|v| self.get(v)).collect()
    }

    /// The sum of all sizes.
    pub fn total(&self) -> u64 {
        let narrow: u64 = self.narrow.par_iter().map(|&s| if s == IN_SIDE_LIST { 0 } else { u64::from(s) }).sum();
        narrow + self.large.iter().map(|&(_, size)| size).sum::<u64>()
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.narrow.len() * 4 + self.large.len() * 16
    }
}

/// The narrow value of a size.
fn narrow_value(size: u64) -> u32 {
    u32::try_from(size).unwrap_or(IN_SIDE_LIST)
}

/// Builds a [`SizeColumn`] from a column by changing some of its sizes.
pub struct SizeColumnEditor {
    narrow: Vec<u32>,
    /// The side list, by node, while it changes.
    large: rustc_hash::FxHashMap<NodeIndex, u64>,
}

impl SizeColumnEditor {
    /// Starts from `column`'s sizes.
    pub fn new(column: &SizeColumn) -> Self {
        Self::reusing(column, Vec::new())
    }

    /// Starts from `column`'s sizes, copied into `buffer` (emptied first): a buffer whose
    /// memory the process already has costs no fresh pages.
    pub fn reusing(column: &SizeColumn, mut buffer: Vec<u32>) -> Self {
        buffer.clear();
        buffer.extend_from_slice(&column.narrow);
        Self { narrow: buffer, large: column.large.iter().copied().collect() }
    }

    /// Node `v`'s size.
    #[inline]
    pub fn get(&self, v: NodeIndex) -> u64 {
        match self.narrow[v as usize] {
            IN_SIDE_LIST => self.large.get(&v).copied().unwrap_or(u64::from(IN_SIDE_LIST)),
            size => u64::from(size),
        }
    }

    /// Adds `amount` to node `v`'s size.
    #[inline]
    pub fn add(&mut self, v: NodeIndex, amount: u64) {
        let narrow = self.narrow[v as usize];
        if narrow != IN_SIDE_LIST
            && let Some(sum) = u64::from(narrow).checked_add(amount)
            && sum < u64::from(IN_SIDE_LIST)
        {
            self.narrow[v as usize] = sum as u32;
            return;
        }
        self.set(v, self.get(v).saturating_add(amount));
    }

    /// The narrow values, for prefetching.
    pub fn narrow_values(&self) -> &[u32] {
        &self.narrow
    }

    /// Sets node `v`'s size.
    #[inline]
    pub fn set(&mut self, v: NodeIndex, size: u64) {
        if self.narrow[v as usize] == IN_SIDE_LIST {
            self.large.remove(&v);
        }
        let narrow = narrow_value(size);
        self.narrow[v as usize] = narrow;
        if narrow == IN_SIDE_LIST {
            self.large.insert(v, size);
        }
    }

    /// The finished column.
    pub fn finish(self) -> SizeColumn {
        let mut large: Vec<(NodeIndex, u64)> = self.large.into_iter().collect();
        large.sort_unstable();
        SizeColumn { narrow: self.narrow, large }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_of_4_gib_and_more_survive_every_change() {
        let big = u64::from(u32::MAX);
        let sizes = vec![0, 7, big - 1, big, big + 1, 5 << 32, 12];
        let column = SizeColumn::from_sizes(&sizes);
        assert_eq!(column.to_vec(), sizes);
        assert_eq!(column.total(), sizes.iter().sum::<u64>());
        assert_eq!(column.large, vec![(3, big), (4, big + 1), (5, 5 << 32)]);

        let mut editor = SizeColumnEditor::new(&column);
        editor.add(2, 1); // just reaches u32::MAX: moves to the side list
        editor.add(1, big); // crosses it
        editor.set(5, 3); // leaves the side list
        editor.add(6, 0);
        editor.add(4, 1 << 40);
        let edited = editor.finish();
        let expected = vec![0, 7 + big, big, big, big + 1 + (1 << 40), 3, 12];
        assert_eq!(edited.to_vec(), expected);
        assert_eq!(edited.large, vec![(1, 7 + big), (2, big), (3, big), (4, big + 1 + (1 << 40))]);
        assert_eq!(edited, SizeColumn::from_sizes(&expected));
    }
}
