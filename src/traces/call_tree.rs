//! The allocation call tree: root, outermost frame, ..., allocating line.
//!
//! Every traceback is a path from the root (read oldest frame first). A node's *self* numbers
//! are the traces whose traceback ends there; its *total* numbers add everything below it. On
//! this tree the heap-graph notions carry over: a node's dominator is its parent, its retained
//! size is its total size, and its retainer path is the traceback ([`CallTree::path`]).

use std::collections::HashMap;

use super::stats::{KeyOrder, KeyType, per_traceback};
use super::{AllocationTraces, FrameId, TracebackId};

/// Index of a node; the root is 0.
pub type CallNode = u32;

/// The frame of the root node, which has none.
pub const ROOT_FRAME: FrameId = u32::MAX;

/// The call tree of a set of traces.
#[derive(Clone, Debug)]
pub struct CallTree {
    /// Each node's frame ([`ROOT_FRAME`] for the root).
    pub frame: Vec<FrameId>,
    /// Each node's parent (the root's is itself).
    pub parent: Vec<CallNode>,
    /// Bytes allocated at this node itself (tracebacks that end here).
    pub self_size: Vec<u64>,
    /// Traces that end here.
    pub self_count: Vec<u64>,
    /// Bytes allocated at or below this node.
    pub total_size: Vec<u64>,
    /// Traces at or below this node.
    pub total_count: Vec<u64>,
    child_start: Vec<u32>,
    children: Vec<CallNode>,
}

impl CallTree {
    /// Builds the tree of the selected traces (`selected[i]` keeps trace `i`; `None` keeps all).
    pub fn build(traces: &AllocationTraces, selected: Option<&[bool]>) -> Self {
        let table = &traces.table;
        let (tb_size, tb_count) = per_traceback(traces, selected);
        let mut tree = CallTree {
            frame: vec![ROOT_FRAME],
            parent: vec![0],
            self_size: vec![0],
            self_count: vec![0],
            total_size: vec![0],
            total_count: vec![0],
            child_start: Vec::new(),
            children: Vec::new(),
        };
        let mut child_of: HashMap<(CallNode, FrameId), CallNode> = HashMap::new();
        for t in 0..table.traceback_count() {
            let (size, count) = (tb_size[t], tb_count[t]);
            if count == 0 {
                continue;
            }
            let mut node: CallNode = 0;
            tree.add_total(node, size, count);
            for &frame in table.traceback(t as TracebackId).iter().rev() {
                node = *child_of.entry((node, frame)).or_insert_with(|| tree.push_node(node, frame));
                tree.add_total(node, size, count);
            }
            let n = node as usize;
            tree.self_size[n] = tree.self_size[n].saturating_add(size);
            tree.self_count[n] += count;
        }
        tree.index_children(&KeyOrder::new(table, KeyType::Lineno));
        tree
    }

    fn push_node(&mut self, parent: CallNode, frame: FrameId) -> CallNode {
        self.frame.push(frame);
        self.parent.push(parent);
        self.self_size.push(0);
        self.self_count.push(0);
        self.total_size.push(0);
        self.total_count.push(0);
        self.frame.len() as CallNode - 1
    }

    fn add_total(&mut self, node: CallNode, size: u64, count: u64) {
        let n = node as usize;
        self.total_size[n] = self.total_size[n].saturating_add(size);
        self.total_count[n] += count;
    }

    /// Children lists, each sorted by total size (largest first), then by frame.
    fn index_children(&mut self, order: &KeyOrder<'_>) {
        let n = self.frame.len();
        let mut start = vec![0u32; n + 1];
        for &p in &self.parent[1..] {
            start[p as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut children = vec![0; n.saturating_sub(1)];
        for node in 1..n {
            let p = self.parent[node] as usize;
            children[fill[p] as usize] = node as CallNode;
            fill[p] += 1;
        }
        for p in 0..n {
            let list = &mut children[start[p] as usize..start[p + 1] as usize];
            list.sort_unstable_by(|&a, &b| {
                self.total_size[b as usize]
                    .cmp(&self.total_size[a as usize])
                    .then_with(|| order.compare(self.frame[a as usize], self.frame[b as usize]))
            });
        }
        self.child_start = start;
        self.children = children;
    }

    /// Number of nodes, the root included.
    pub fn node_count(&self) -> usize {
        self.frame.len()
    }

    /// The root node.
    pub fn root(&self) -> CallNode {
        0
    }

    /// A node's children, largest total size first.
    pub fn children(&self, node: CallNode) -> &[CallNode] {
        let n = node as usize;
        &self.children[self.child_start[n] as usize..self.child_start[n + 1] as usize]
    }

    /// The node's dominator: its parent (`None` for the root).
    pub fn dominator(&self, node: CallNode) -> Option<CallNode> {
        (node != 0).then(|| self.parent[node as usize])
    }

    /// The node's retained size: its total size.
    pub fn retained_size(&self, node: CallNode) -> u64 {
        self.total_size[node as usize]
    }

    /// The nodes from the root's first child down to `node`: the traceback, oldest frame first.
    pub fn path(&self, node: CallNode) -> Vec<CallNode> {
        let mut path = Vec::new();
        let mut at = node;
        while at != 0 {
            path.push(at);
            at = self.parent[at as usize];
        }
        path.reverse();
        path
    }

    /// The node a traceback (raw order, most recent frame first) ends at, if the tree has it.
    pub fn find(&self, frames: &[FrameId]) -> Option<CallNode> {
        let mut node = 0;
        for &frame in frames.iter().rev() {
            node = *self.children(node).iter().find(|&&c| self.frame[c as usize] == frame)?;
        }
        Some(node)
    }
}
