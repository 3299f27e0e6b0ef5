//! A node's retainers as `(source, edge)` pairs.
//!
//! A retainer slot holds only the retaining node (4 bytes per edge where the pair would take
//! 8). A node's slots and every node's edges are both in edge order, so the k-th slot of
//! `target` that names `source` stands for the k-th edge of `source` to `target`: a slot's edge
//! is found again by scanning `source`'s edge list. [`HeapGraph::retainer_edges`] scans each
//! source once per node; [`EdgeFinder`] serves walks that ask about many nodes, and indexes the
//! long edge lists it is asked about more than once, so no walk rescans a long list.

use std::ops::Range;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{EdgeIndex, HeapGraph, NodeIndex};

impl HeapGraph {
    /// The edges from `source` to `target`, in edge order.
    pub fn edges_between(&self, source: NodeIndex, target: NodeIndex) -> impl Iterator<Item = EdgeIndex> + '_ {
        self.edges_of(source).filter(move |&e| self.edge_target(e) == target)
    }

    /// Node `n`'s retainers as `(source, edge)` pairs, one per incoming edge, in edge order.
    /// Costs one scan of each distinct source's edge list.
    pub fn retainer_edges(&self, n: NodeIndex) -> RetainerEdges<'_> {
        RetainerEdges { graph: self, target: n, slots: self.retainers_of(n), source: None, edges: 0..0 }
    }
}

/// The iterator of [`HeapGraph::retainer_edges`].
pub struct RetainerEdges<'a> {
    graph: &'a HeapGraph,
    target: NodeIndex,
    slots: Range<u32>,
    /// The source of the previous slot.
    source: Option<NodeIndex>,
    /// That source's edges not scanned yet.
    edges: Range<EdgeIndex>,
}

impl Iterator for RetainerEdges<'_> {
    type Item = (NodeIndex, EdgeIndex);

    fn next(&mut self) -> Option<(NodeIndex, EdgeIndex)> {
        let source = self.graph.retainer_node_at(self.slots.next()?);
        if self.source != Some(source) {
            self.source = Some(source);
            self.edges = self.graph.edges_of(source);
        }
        let target = self.target;
        let edge = self.edges.find(|&e| self.graph.edge_target(e) == target)?;
        Some((source, edge))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

/// Edge lists at least this long are indexed by target when asked about a second time.
const LONG_EDGE_LIST: usize = 64;

/// Finds the edges between many pairs of nodes (a walk over retainers finding each retainer's
/// edge). A long edge list asked about a second time is indexed by target, so a walk that
/// meets a node with a million edges over and over pays for one sort, not a scan each time.
#[derive(Debug, Default)]
pub struct EdgeFinder {
    /// Sources with long edge lists asked about once.
    asked_once: FxHashSet<NodeIndex>,
    /// Long edge lists as `(target, edge)`, sorted.
    indexed: FxHashMap<NodeIndex, Box<[(NodeIndex, EdgeIndex)]>>,
}

impl EdgeFinder {
    /// Replaces the contents of `out` with the edges from `source` to `target`, in edge order.
    pub fn edges_between(&mut self, graph: &HeapGraph, source: NodeIndex, target: NodeIndex, out: &mut Vec<EdgeIndex>) {
        out.clear();
        if let Some(index) = self.indexed.get(&source) {
            let start = index.partition_point(|&(t, _)| t < target);
            out.extend(index[start..].iter().take_while(|&&(t, _)| t == target).map(|&(_, e)| e));
            return;
        }
        if graph.edge_count_of(source) >= LONG_EDGE_LIST && !self.asked_once.insert(source) {
            let mut index: Vec<(NodeIndex, EdgeIndex)> =
                graph.edges_of(source).map(|e| (graph.edge_target(e), e)).collect();
            index.sort_unstable();
            self.indexed.insert(source, index.into_boxed_slice());
            return self.edges_between(graph, source, target, out);
        }
        out.extend(graph.edges_between(source, target));
    }
}
