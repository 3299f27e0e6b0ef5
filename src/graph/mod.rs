//! The heap graph: the compact, immutable model every analysis reads.
//!
//! Nodes are stored as a struct of arrays indexed by a `u32` ordinal (V8 caps a snapshot at
//! 2^28 entries), edges in compressed sparse row (CSR) form grouped by source node in file
//! order, and retainers (incoming edges) in a reverse CSR.
//!
//! Memory per node: type 1 + name 4 + id 4 + self size 4 + first edge 4 + first retainer 4
//! = **21 bytes**, plus 1 byte when the snapshot has `detachedness` and 4 bytes when it has
//! `trace_node_id`. A self size of 4 GiB or more (rare: large external buffers) takes 16
//! bytes more, in a side list. Memory per edge: type 1 + name/index 4 + target 4 (forward) +
//! source 4 (reverse) = **13 bytes**. A retainer slot holds only the retaining node: its edge
//! is found again in that node's edge list (see [`retainers`]). Strings cost their decoded
//! UTF-8 bytes plus 8 bytes each.

mod build;
pub(crate) mod group;
pub mod retainers;
mod sizes;
mod strings;
pub mod visit;

pub use build::{EdgeIndex as BuiltEdgeIndex, GraphParts, build_graph, index_edges};
pub(crate) use build::{bad_edge_target, offsets_to_ordinals};
pub use retainers::{EdgeFinder, RetainerEdges};
pub use sizes::{SizeColumn, SizeColumnEditor};
pub use strings::StringTable;

/// A node ordinal: the node's position in the `nodes` array divided by the node field count.
pub type NodeIndex = u32;
/// An edge ordinal: the edge's position in the `edges` array divided by the edge field count.
pub type EdgeIndex = u32;

/// The snapshot's type vocabularies and header values, as declared in `snapshot.meta`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// `meta.node_fields`, in file order.
    pub node_fields: Vec<String>,
    /// `meta.node_types[0]`: the node type names, indexed by a node's type.
    pub node_types: Vec<String>,
    /// `meta.edge_fields`, in file order.
    pub edge_fields: Vec<String>,
    /// `meta.edge_types[0]`: the edge type names, indexed by an edge's type.
    pub edge_types: Vec<String>,
    /// `meta.location_fields`, when present.
    pub location_fields: Vec<String>,
    /// `snapshot.trace_function_count` (0 when allocation tracking was off).
    pub trace_function_count: u64,
    /// `snapshot.extra_native_bytes` (0 when absent).
    pub extra_native_bytes: u64,
    /// The root node's ordinal (`snapshot.root_index` / node field count; 0 when absent).
    pub root: NodeIndex,
}

impl SnapshotMeta {
    /// The index of a node type name, if declared.
    pub fn node_type_index(&self, name: &str) -> Option<u8> {
        self.node_types.iter().position(|t| t == name).and_then(|i| u8::try_from(i).ok())
    }

    /// The index of an edge type name, if declared.
    pub fn edge_type_index(&self, name: &str) -> Option<u8> {
        self.edge_types.iter().position(|t| t == name).and_then(|i| u8::try_from(i).ok())
    }

    /// True when nodes carry a `detachedness` field.
    pub fn has_detachedness(&self) -> bool {
        self.node_fields.iter().any(|f| f == "detachedness")
    }

    /// True when nodes carry a `trace_node_id` field.
    pub fn has_trace_node_id(&self) -> bool {
        self.node_fields.iter().any(|f| f == "trace_node_id")
    }
}

/// One entry of the `locations` array: where the constructor of an object was defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// The node the location belongs to.
    pub node: NodeIndex,
    /// V8's script id.
    pub script_id: u32,
    /// Ordinal of the Script node (newer snapshots only).
    pub script_node: Option<NodeIndex>,
    /// Line, as stored (0-based).
    pub line: u32,
    /// Column, as stored (0-based).
    pub column: u32,
}

/// One node of the allocation trace tree (`trace_tree`), flattened in pre-order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceTreeNode {
    /// The trace node id that nodes' `trace_node_id` refers to.
    pub id: u32,
    /// Index into [`HeapGraph::trace_function_infos`] (in rows).
    pub function_info_index: u32,
    /// Live objects allocated here.
    pub count: u32,
    /// Their total size.
    pub size: u64,
    /// Position of the parent in the flattened list (`u32::MAX` for top-level nodes).
    pub parent: u32,
}

/// The V8 heap graph. Immutable once built; share it with `Arc`.
#[derive(Debug, Default)]
pub struct HeapGraph {
    /// Header values and type vocabularies.
    pub meta: SnapshotMeta,
    pub(crate) node_type: Vec<u8>,
    pub(crate) node_name: Vec<u32>,
    pub(crate) node_id: Vec<u32>,
    pub(crate) node_self_size: SizeColumn,
    /// Empty when the snapshot has no `trace_node_id` field.
    pub(crate) node_trace_id: Vec<u32>,
    /// Empty when the snapshot has no `detachedness` field.
    pub(crate) node_detachedness: Vec<u8>,
    /// `first_edge[n]..first_edge[n + 1]` are node `n`'s outgoing edges; length N + 1.
    pub(crate) first_edge: Vec<EdgeIndex>,
    pub(crate) edge_type: Vec<u8>,
    /// A string index, or a plain number for `element` and `hidden` edges.
    pub(crate) edge_name: Vec<u32>,
    pub(crate) edge_to: Vec<NodeIndex>,
    /// `first_retainer[n]..first_retainer[n + 1]` index `retainers`; length N + 1.
    pub(crate) first_retainer: Vec<u32>,
    /// The sources of each node's incoming edges, in edge order (so ascending).
    pub(crate) retainers: Vec<NodeIndex>,
    /// The string table.
    pub strings: StringTable,
    /// `locations`, resolved to node ordinals.
    pub locations: Vec<Location>,
    /// `trace_function_infos`, flat, one row per `meta` trace function field.
    pub trace_function_infos: Vec<u32>,
    /// `trace_tree`, flattened in pre-order.
    pub trace_tree: Vec<TraceTreeNode>,
    /// `samples`, flat `(timestamp_us, last_assigned_id)` pairs.
    pub samples: Vec<u64>,
}

impl HeapGraph {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_type.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edge_type.len()
    }

    /// The root node.
    pub fn root(&self) -> NodeIndex {
        self.meta.root
    }

    /// A node's type index (into `meta.node_types`).
    #[inline]
    pub fn node_type(&self, n: NodeIndex) -> u8 {
        self.node_type[n as usize]
    }

    /// A node's type name.
    pub fn node_type_name(&self, n: NodeIndex) -> &str {
        self.meta.node_types.get(self.node_type(n) as usize).map_or("", String::as_str)
    }

    /// A node's name string index.
    #[inline]
    pub fn node_name_index(&self, n: NodeIndex) -> u32 {
        self.node_name[n as usize]
    }

    /// A node's raw name as written in the file.
    pub fn node_name(&self, n: NodeIndex) -> &str {
        self.strings.get(self.node_name_index(n))
    }

    /// A node's V8 id.
    #[inline]
    pub fn node_id(&self, n: NodeIndex) -> u32 {
        self.node_id[n as usize]
    }

    /// A node's shallow size as written in the file.
    #[inline]
    pub fn node_self_size(&self, n: NodeIndex) -> u64 {
        self.node_self_size.get(n as usize)
    }

    /// A node's `trace_node_id` (0 when the field is absent).
    pub fn node_trace_node_id(&self, n: NodeIndex) -> u32 {
        self.node_trace_id.get(n as usize).copied().unwrap_or(0)
    }

    /// A node's `detachedness` (0 unknown, 1 attached, 2 detached; 0 when the field is absent).
    pub fn node_detachedness(&self, n: NodeIndex) -> u8 {
        self.node_detachedness.get(n as usize).copied().unwrap_or(0)
    }

    /// The range of node `n`'s outgoing edge ordinals, in file order.
    #[inline]
    pub fn edges_of(&self, n: NodeIndex) -> std::ops::Range<EdgeIndex> {
        self.first_edge[n as usize]..self.first_edge[n as usize + 1]
    }

    /// Number of outgoing edges of `n`.
    pub fn edge_count_of(&self, n: NodeIndex) -> usize {
        self.edges_of(n).len()
    }

    /// An edge's type index (into `meta.edge_types`).
    #[inline]
    pub fn edge_type(&self, e: EdgeIndex) -> u8 {
        self.edge_type[e as usize]
    }

    /// An edge's type name.
    pub fn edge_type_name(&self, e: EdgeIndex) -> &str {
        self.meta.edge_types.get(self.edge_type(e) as usize).map_or("", String::as_str)
    }

    /// An edge's raw `name_or_index`.
    #[inline]
    pub fn edge_name_or_index(&self, e: EdgeIndex) -> u32 {
        self.edge_name[e as usize]
    }

    /// True when the edge's `name_or_index` is a number rather than a string index
    /// (`element` and `hidden` edges).
    pub fn edge_has_index(&self, e: EdgeIndex) -> bool {
        matches!(self.edge_type_name(e), "element" | "hidden")
    }

    /// An edge's name: the string, or the decimal index for `element`/`hidden` edges.
    pub fn edge_name(&self, e: EdgeIndex) -> std::borrow::Cow<'_, str> {
        if self.edge_has_index(e) {
            std::borrow::Cow::Owned(self.edge_name_or_index(e).to_string())
        } else {
            std::borrow::Cow::Borrowed(self.strings.get(self.edge_name_or_index(e)))
        }
    }

    /// An edge's target node.
    #[inline]
    pub fn edge_target(&self, e: EdgeIndex) -> NodeIndex {
        self.edge_to[e as usize]
    }

    /// The range of node `n`'s retainer slots (see [`Self::retainer_node_at`]), one per
    /// incoming edge, in edge order (so ascending by source node). The edges themselves:
    /// [`Self::retainer_edges`].
    #[inline]
    pub fn retainers_of(&self, n: NodeIndex) -> std::ops::Range<u32> {
        self.first_retainer[n as usize]..self.first_retainer[n as usize + 1]
    }

    /// The retaining node in retainer slot `slot`.
    #[inline]
    pub fn retainer_node_at(&self, slot: u32) -> NodeIndex {
        self.retainers[slot as usize]
    }

    /// The sources of all retainer slots, slot by slot.
    pub fn retainer_nodes(&self) -> &[NodeIndex] {
        &self.retainers
    }

    /// Sum of all nodes' shallow sizes as written in the file.
    pub fn total_self_size(&self) -> u64 {
        self.node_self_size.total()
    }

    /// All node ids, in ordinal order.
    pub fn node_ids(&self) -> &[u32] {
        &self.node_id
    }

    /// All node shallow sizes as written in the file, in ordinal order.
    pub fn self_sizes(&self) -> &SizeColumn {
        &self.node_self_size
    }

    /// Bytes held by the graph's arrays (an estimate of its memory use).
    pub fn heap_bytes(&self) -> usize {
        self.node_type.len()
            + self.node_name.len() * 4
            + self.node_id.len() * 4
            + self.node_self_size.heap_bytes()
            + self.node_trace_id.len() * 4
            + self.node_detachedness.len()
            + self.first_edge.len() * 4
            + self.edge_type.len()
            + self.edge_name.len() * 4
            + self.edge_to.len() * 4
            + self.first_retainer.len() * 4
            + self.retainers.len() * 4
            + self.strings.byte_len()
            + self.strings.len() * 8
    }
}
