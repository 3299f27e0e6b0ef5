//! The dominator tree as children lists (compressed sparse rows).

/// For each node, the nodes it immediately dominates, in node order.
pub struct DominatorChildren {
    first: Vec<u32>,
    children: Vec<u32>,
}

impl DominatorChildren {
    /// Builds the lists from each node's immediate dominator (a counting sort by dominator).
    ///
    /// Sequential on purpose: a parallel sort needs a node-sized histogram per task, and this
    /// runs when the analysis holds the most memory, for about 0.1 s on 11 M nodes.
    pub fn new(dominator: &[u32], root: u32) -> Self {
        let n = dominator.len();
        let mut first = vec![0u32; n + 1];
        for (v, &d) in dominator.iter().enumerate() {
            if v as u32 != root {
                first[d as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut cursor = first.clone();
        let mut children = vec![0u32; n.saturating_sub(1)];
        for (v, &d) in dominator.iter().enumerate() {
            if v as u32 != root {
                children[cursor[d as usize] as usize] = v as u32;
                cursor[d as usize] += 1;
            }
        }
        Self { first, children }
    }

    /// The nodes `v` immediately dominates.
    pub fn get(&self, v: u32) -> &[u32] {
        &self.children[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }
}
