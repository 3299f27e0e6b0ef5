//! Immediate dominators of a heap graph, as Chrome DevTools defines them.
//!
//! DevTools runs Lengauer-Tarjan from the root over *essential* edges only, after first
//! attaching every *orphan* (a non-root node with no essential retainer) to the root by a
//! virtual edge, in ascending node order. Nodes still unreached (retained only by other
//! unreachable nodes, "cliques") get the root as their immediate dominator. Because immediate
//! dominators are unique, any correct algorithm on that graph gives DevTools' answer; this one
//! is SEMI-NCA (Georgiadis' semidominator + nearest-common-ancestor variant of
//! Lengauer-Tarjan), iterative, with path compression.

use super::bits::BitVec;
use super::prefetch::prefetch;

/// The graph the dominator computation walks: forward and reverse CSR plus an edge filter.
pub struct DominatorGraph<'a> {
    /// `first_edge[n]..first_edge[n + 1]` are node `n`'s out-edges (length N + 1).
    pub first_edge: &'a [u32],
    /// Edge targets.
    pub edge_to: &'a [u32],
    /// `first_retainer[n]..first_retainer[n + 1]` index the retainer slots (length N + 1).
    pub first_retainer: &'a [u32],
    /// The retainer slots' source nodes.
    pub retainers: &'a [u32],
    /// Whether each edge counts for dominance.
    pub essential: &'a super::bits::BitVec,
    /// Whether each retainer slot's edge counts for dominance.
    pub essential_slots: &'a super::bits::BitVec,
    /// The root node.
    pub root: u32,
}

/// Sentinel for "not numbered yet".
const UNSEEN: u32 = u32::MAX;

/// Immediate dominators and the order they were found in.
pub struct Dominators {
    /// Each node's immediate dominator (the root's is the root).
    pub idom: Vec<u32>,
    /// The nodes reached from the root or an orphan, in DFS preorder: every node comes after
    /// its immediate dominator. Nodes not listed (cliques) are dominated by the root.
    pub preorder: Vec<u32>,
    /// Each listed node's immediate dominator, both as places in `preorder` (the root's is
    /// 0, itself).
    pub idom_in_preorder: Vec<u32>,
    /// One bit per node: listed in `preorder`.
    pub listed: BitVec,
}

/// The depth-first search from the root and the orphans: preorder numbers and DFS parents.
struct Search<'g, 'a> {
    g: &'g DominatorGraph<'a>,
    /// Preorder number -> node.
    order: Vec<u32>,
    /// The link-eval forest of the semidominator pass, by node. Before a node is linked,
    /// `best` is its preorder number (UNSEEN for a node never numbered), so evaluating an
    /// unlinked retainer gives its number: the search writes it.
    forest: Vec<ForestEntry>,
    /// Preorder number -> the DFS parent's preorder number.
    parent: Vec<u32>,
    /// "Numbered yet", one bit per node: tested for every edge, and a bit array stays in
    /// cache where a column of numbers does not.
    seen: BitVec,
    /// (node, its DFS parent's preorder number) still to visit: at most one entry per
    /// essential edge, and in heap graphs far fewer.
    stack: Vec<(u32, u32)>,
}

impl Search<'_, '_> {
    /// Numbers every node reachable from `start` over essential edges and not numbered yet,
    /// `start` as a child of `parent_number`. Every unnumbered child is pushed at once and
    /// numbered when popped, unless it was numbered meanwhile through another path: the
    /// recursive visit, with each node's edges scanned in one pass (pushed last to first, so
    /// they are taken first to last).
    fn visit_from(&mut self, start: u32, parent_number: u32) {
        let g = self.g;
        self.stack.push((start, parent_number));
        while let Some((v, p)) = self.stack.pop() {
            let v = v as usize;
            if self.seen.get(v) {
                continue;
            }
            // The entries a few places down the stack are popped soon: fetch their edges.
            if let Some(&(ahead, _)) = self.stack.len().checked_sub(WALK_AHEAD).and_then(|i| self.stack.get(i))
                && let Some(&first) = g.first_edge.get(ahead as usize)
            {
                prefetch(g.edge_to, first as usize);
            }
            self.seen.set(v);
            let number = self.order.len() as u32;
            self.forest[v].best = number;
            self.parent[number as usize] = p;
            self.order.push(v as u32);
            let (first, end) = (g.first_edge[v] as usize, g.first_edge[v + 1] as usize);
            for e in (first..end).rev() {
                let t = g.edge_to[e] as usize;
                if g.essential.get(e) && !self.seen.get(t) {
                    // Popped soon (last in, first out): fetch its edge range now.
                    prefetch(g.first_edge, t);
                    self.stack.push((t as u32, number));
                }
            }
        }
    }
}

/// Computes each node's immediate dominator.
pub fn immediate_dominators(g: &DominatorGraph<'_>, cancelled: &dyn Fn() -> bool) -> Option<Dominators> {
    let n = g.first_edge.len() - 1;
    let root = g.root as usize;
    // Preorder numbers: the root is 0; orphans hang from it by virtual edges.
    let mut search = Search {
        g,
        order: Vec::with_capacity(n),
        forest: vec![ForestEntry { ancestor: UNSEEN, best: UNSEEN }; n],
        parent: vec![0u32; n],
        seen: BitVec::zeros(n),
        stack: Vec::new(),
    };
    search.visit_from(g.root, 0);
    // The root is numbered first.
    let root_number = 0;
    // Orphans, in ascending node order, hang from the root.
    let mut is_orphan = BitVec::zeros(n);
    for v in 0..n {
        if v == root || search.seen.get(v) {
            continue;
        }
        let mut slots = g.first_retainer[v] as usize..g.first_retainer[v + 1] as usize;
        if !slots.any(|slot| g.essential_slots.get(slot)) {
            is_orphan.set(v);
            search.visit_from(v as u32, root_number);
        }
        if v % 65_536 == 0 && cancelled() {
            return None;
        }
    }
    let Search { order, mut parent, seen, mut forest, .. } = search;
    let reached = order.len();

    // Semidominators, in reverse preorder, with the simple (path-compressing) eval. Each
    // forest entry keeps its ancestor and the smallest semidominator on its compressed path
    // side by side, so one compression step touches two entries, not four arrays; entries
    // are by node, so a node's retainers (listed in node order) are evaluated without a
    // preorder lookup and read the forest in address order.
    // The semidominators that are not the DFS parent's number, as (preorder number,
    // semidominator), in reverse preorder: the last pass reads them back in preorder, from
    // the end. Most nodes have one essential retainer, so this list is short.
    let mut semi: Vec<(u32, u32)> = Vec::new();
    let mut compress_stack: Vec<u32> = Vec::new();
    // Most heap nodes have at most one essential retainer. Then that retainer is the DFS
    // parent (or, for an orphan, the root stands for it), and the semidominator is the
    // parent: no need to walk the retainers at all. Which nodes those are is found in
    // parallel, in node order.
    let single_retainer = BitVec::from_fn(n, |v| {
        let slots = g.first_retainer[v] as usize..g.first_retainer[v + 1] as usize;
        slots.filter(|&slot| g.essential_slots.get(slot)).nth(1).is_none()
    });
    for w in (1..reached).rev() {
        if w % 65_536 == 0 && cancelled() {
            return None;
        }
        // The nodes ahead (in reverse preorder) are scattered: fetch their retainer ranges,
        // then their first retainer slots, a few nodes early.
        if w > NODES_AHEAD {
            let far = order[w - NODES_AHEAD] as usize;
            prefetch(g.first_retainer, far);
            prefetch(&forest, far);
            let near = order[w - NODES_AHEAD / 2] as usize;
            if let Some(&slot) = g.first_retainer.get(near) {
                prefetch(g.retainers, slot as usize);
            }
        }
        let node = order[w] as usize;
        if single_retainer.get(node) {
            // The parent was numbered shortly before, so its `order` entry is usually cached.
            forest[node] = ForestEntry { ancestor: order[parent[w] as usize], best: parent[w] };
            continue;
        }
        let mut s = w as u32;
        if is_orphan.get(node) {
            s = s.min(root_number);
        }
        let (first, end) = (g.first_retainer[node] as usize, g.first_retainer[node + 1] as usize);
        for slot in first..end {
            // Nodes with many retainers (maps, shared strings) dominate this loop: fetch the
            // retainers' forest entries a few slots ahead.
            if end - first > PREFETCH_FAR
                && slot + PREFETCH_FAR < end
                && let Some(&ahead) = g.retainers.get(slot + PREFETCH_FAR)
            {
                prefetch(&forest, ahead as usize);
            }
            if !g.essential_slots.get(slot) {
                continue;
            }
            // A retainer numbered before `w` is not linked yet and gives its own number; a
            // clique node gives UNSEEN, which never wins.
            s = s.min(eval(g.retainers[slot], &mut forest, &mut compress_stack));
            // Nothing is below the root's number. Shared objects (a hidden class held by
            // every object of its shape) have millions of retainers, and about half of all
            // retainer evaluations came after that.
            if s == root_number {
                break;
            }
        }
        if s != parent[w] {
            semi.push((w as u32, s));
        }
        forest[node] = ForestEntry { ancestor: order[parent[w] as usize], best: s };
    }

    // Immediate dominators by nearest common ancestor, in preorder. The semidominator pass is
    // done: free its scratch (the forest's memory is reused for the result).
    drop((is_orphan, compress_stack, single_retainer));
    parent.truncate(reached);
    let mut idom_index = parent;
    // A node whose semidominator is its parent has its parent as immediate dominator; the
    // others, in preorder, climb from the parent to the semidominator.
    for &(w, s) in semi.iter().rev() {
        let mut d = idom_index[w as usize];
        while d > s {
            d = idom_index[d as usize];
        }
        idom_index[w as usize] = d;
    }
    // The forest's pages are already the process's: the immediate dominators reuse them rather
    // than fault in fresh ones.
    let mut idom = node_column_from(forest, n, g.root);
    for w in 1..reached {
        idom[order[w] as usize] = order[idom_index[w] as usize];
    }
    idom[root] = g.root;
    Some(Dominators { idom, preorder: order, idom_in_preorder: idom_index, listed: seen })
}

/// The memory of `forest` as a column of `n` values, each `fill` (the rest of the memory is
/// given back).
fn node_column_from(forest: Vec<ForestEntry>, n: usize, fill: u32) -> Vec<u32> {
    let mut forest = std::mem::ManuallyDrop::new(forest);
    let (entries, capacity) = (forest.as_mut_ptr(), forest.capacity());
    // SAFETY: the buffer was allocated for `capacity` entries of two `u32` each (`repr(C)`,
    // so 8 bytes and 4-byte alignment): the same size and alignment as `2 * capacity` values
    // of `u32`. The vector starts empty, so nothing is read before it is written, and the
    // original vector is never dropped.
    let mut column = unsafe { Vec::from_raw_parts(entries.cast::<u32>(), 0, capacity * 2) };
    column.resize(n, fill);
    column.shrink_to_fit();
    column
}

/// A node's entry in the link-eval forest (indexed by node).
#[derive(Clone, Copy)]
#[repr(C)]
struct ForestEntry {
    /// The node's parent in the (compressed) forest, or `UNSEEN` while the node is a tree
    /// root (not linked yet).
    ancestor: u32,
    /// Once linked: the smallest semidominator (a preorder number) on the path from this node
    /// up to, not including, the root of its tree (the semidominator of LT's `label`). Before
    /// that: the node's own preorder number, or `UNSEEN` for a node the DFS never reached.
    best: u32,
}

/// For node `v`: the minimum semidominator on the path from `v` up to (not including) the
/// root of its tree in the forest of processed nodes, compressing the path on the way; for a
/// node not linked yet, its own preorder number.
fn eval(v: u32, forest: &mut [ForestEntry], stack: &mut Vec<u32>) -> u32 {
    let entry = forest[v as usize];
    if entry.ancestor == UNSEEN {
        return entry.best;
    }
    // Collect the path to the last node whose ancestor is a tree root.
    stack.clear();
    let mut u = v;
    while forest[forest[u as usize].ancestor as usize].ancestor != UNSEEN {
        stack.push(u);
        u = forest[u as usize].ancestor;
    }
    // Compress from the top down.
    while let Some(x) = stack.pop() {
        let a = forest[forest[x as usize].ancestor as usize];
        let entry = &mut forest[x as usize];
        entry.best = entry.best.min(a.best);
        entry.ancestor = a.ancestor;
    }
    forest[v as usize].best
}

/// How far down its stack the depth-first search fetches a node's edges ahead of time.
const WALK_AHEAD: usize = 4;
/// How many nodes ahead the semidominator pass fetches a node's retainer range.
const NODES_AHEAD: usize = 16;
/// How many retainer slots ahead a retainer's forest entry is fetched.
const PREFETCH_FAR: usize = 16;
