//! The dominator tree as children lists (compressed sparse rows).

use crate::graph::group::{KeyedItems, group_by_key};

/// For each node, the nodes it immediately dominates, in node order.
pub struct DominatorChildren {
    first: Vec<u32>,
    children: Vec<u32>,
}

impl DominatorChildren {
    /// Builds the lists from each node's immediate dominator: the nodes grouped by dominator
    /// (see [`group_by_key`]), in parallel.
    pub fn new(dominator: &[u32], root: u32) -> Self {
        let n = dominator.len();
        let parts = rayon::current_num_threads().clamp(1, 8).min(n.max(1));
        let by_dominator = ByDominator { dominator, root, part_len: n.div_ceil(parts).max(1), parts };
        let (first, children) = group_by_key(&by_dominator, n, n.saturating_sub(1));
        Self { first, children }
    }

    /// The nodes `v` immediately dominates.
    pub fn get(&self, v: u32) -> &[u32] {
        &self.children[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }
}

/// Every node but the root, keyed by its immediate dominator, in parts of consecutive nodes.
struct ByDominator<'a> {
    dominator: &'a [u32],
    root: u32,
    part_len: usize,
    parts: usize,
}

// SAFETY: the visits walk the same fixed slice in the same order.
unsafe impl KeyedItems for ByDominator<'_> {
    type Item = u32;

    fn parts(&self) -> usize {
        self.parts
    }

    fn visit(&self, part: usize, mut emit: impl FnMut(u32, u32)) {
        let start = (part * self.part_len).min(self.dominator.len());
        let end = ((part + 1) * self.part_len).min(self.dominator.len());
        for (v, &d) in (start as u32..).zip(&self.dominator[start..end]) {
            if v != self.root {
                emit(d, v);
            }
        }
    }
}
