//! petgraph's visit traits over the heap graph, so petgraph's algorithms (DFS, BFS, Tarjan's
//! strongly connected components, Cooper-Harvey-Kennedy dominators, ...) run directly on the
//! compact CSR arrays without copying them. Nodes are ordinals; edges are edge ordinals.

use std::ops::Range;

use fixedbitset::FixedBitSet;
use petgraph::Direction;
use petgraph::visit::{
    GraphBase, IntoNeighbors, IntoNeighborsDirected, IntoNodeIdentifiers, NodeCount, NodeIndexable, Visitable,
};

use super::{HeapGraph, NodeIndex};

impl GraphBase for HeapGraph {
    type NodeId = NodeIndex;
    type EdgeId = u32;
}

/// The targets of a node's outgoing edges, in edge order.
pub struct Successors<'a> {
    graph: &'a HeapGraph,
    edges: Range<u32>,
}

impl Iterator for Successors<'_> {
    type Item = NodeIndex;

    fn next(&mut self) -> Option<NodeIndex> {
        self.edges.next().map(|e| self.graph.edge_target(e))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.edges.size_hint()
    }
}

/// The sources of a node's retainers, in ascending (source, edge) order.
pub struct Predecessors<'a> {
    graph: &'a HeapGraph,
    slots: Range<u32>,
}

impl Iterator for Predecessors<'_> {
    type Item = NodeIndex;

    fn next(&mut self) -> Option<NodeIndex> {
        self.slots.next().map(|s| self.graph.retainer_node_at(s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

/// Either direction of [`IntoNeighborsDirected`].
pub enum Neighbors<'a> {
    /// Outgoing edges' targets.
    Out(Successors<'a>),
    /// Incoming edges' sources.
    In(Predecessors<'a>),
}

impl Iterator for Neighbors<'_> {
    type Item = NodeIndex;

    fn next(&mut self) -> Option<NodeIndex> {
        match self {
            Neighbors::Out(it) => it.next(),
            Neighbors::In(it) => it.next(),
        }
    }
}

impl<'a> IntoNeighbors for &'a HeapGraph {
    type Neighbors = Successors<'a>;

    fn neighbors(self, n: NodeIndex) -> Successors<'a> {
        Successors { graph: self, edges: self.edges_of(n) }
    }
}

impl<'a> IntoNeighborsDirected for &'a HeapGraph {
    type NeighborsDirected = Neighbors<'a>;

    fn neighbors_directed(self, n: NodeIndex, direction: Direction) -> Neighbors<'a> {
        match direction {
            Direction::Outgoing => Neighbors::Out(Successors { graph: self, edges: self.edges_of(n) }),
            Direction::Incoming => Neighbors::In(Predecessors { graph: self, slots: self.retainers_of(n) }),
        }
    }
}

impl IntoNodeIdentifiers for &HeapGraph {
    type NodeIdentifiers = Range<NodeIndex>;

    fn node_identifiers(self) -> Range<NodeIndex> {
        0..self.node_count() as NodeIndex
    }
}

impl NodeCount for HeapGraph {
    fn node_count(&self) -> usize {
        HeapGraph::node_count(self)
    }
}

impl NodeIndexable for HeapGraph {
    fn node_bound(&self) -> usize {
        HeapGraph::node_count(self)
    }

    fn to_index(&self, n: NodeIndex) -> usize {
        n as usize
    }

    fn from_index(&self, i: usize) -> NodeIndex {
        i as NodeIndex
    }
}

impl Visitable for HeapGraph {
    type Map = FixedBitSet;

    fn visit_map(&self) -> FixedBitSet {
        FixedBitSet::with_capacity(HeapGraph::node_count(self))
    }

    fn reset_map(&self, map: &mut FixedBitSet) {
        map.clear();
        map.grow(HeapGraph::node_count(self));
    }
}
