//! Turns parsed columns into a [`HeapGraph`]: validates references, builds the edge index and
//! the reverse (retainer) index, in parallel.

use rayon::prelude::*;

use super::group::{KeyedItems, group_by_key};
use super::{HeapGraph, Location, NodeIndex, SizeColumn, SnapshotMeta, StringTable, TraceTreeNode};
use crate::error::{ErrorKind, KindResult};
use crate::progress::{Phase, Progress};

/// The columns a loader parsed, before validation and indexing.
#[derive(Debug, Default)]
pub struct GraphParts {
    /// Header values; `root` is still a nodes-array offset here.
    pub meta: SnapshotMeta,
    /// Number of fields per node (the divisor of `to_node` offsets).
    pub node_field_count: usize,
    /// Node types.
    pub node_type: Vec<u8>,
    /// Node name string indexes.
    pub node_name: Vec<u32>,
    /// Node ids.
    pub node_id: Vec<u32>,
    /// Node shallow sizes; `u32::MAX` for a size listed in `large_self_sizes`.
    pub node_self_size: Vec<u32>,
    /// Shallow sizes of `u32::MAX` bytes or more, as (node ordinal, size), by node.
    pub large_self_sizes: Vec<(u64, u64)>,
    /// Node edge counts.
    pub node_edge_count: Vec<u32>,
    /// Node trace ids (empty when absent).
    pub node_trace_id: Vec<u32>,
    /// Node detachedness (empty when absent).
    pub node_detachedness: Vec<u8>,
    /// Edge types.
    pub edge_type: Vec<u8>,
    /// Edge names or indexes.
    pub edge_name: Vec<u32>,
    /// Edge targets as node ordinals (the parser divides the `to_node` offsets by the node
    /// field count as it reads them; see [`offsets_to_ordinals`]).
    pub edge_to: Vec<u32>,
    /// The strings.
    pub strings: StringTable,
    /// `locations`, one column per `meta.location_fields` entry.
    pub locations: Vec<Vec<u32>>,
    /// `trace_function_infos`, flat.
    pub trace_function_infos: Vec<u32>,
    /// `trace_tree`, flattened.
    pub trace_tree: Vec<TraceTreeNode>,
    /// `samples`, flat.
    pub samples: Vec<u64>,
    /// The edge and retainer indexes, when a loader built them early (see [`index_edges`]).
    pub edge_index: Option<EdgeIndex>,
}

/// The edge index (CSR) and the retainer index (reverse CSR).
#[derive(Debug, Default)]
pub struct EdgeIndex {
    first_edge: Vec<u32>,
    edge_to: Vec<u32>,
    first_retainer: Vec<u32>,
    retainers: Vec<NodeIndex>,
}

/// Validates node and edge types and builds the edge and retainer indexes. Needs the nodes and
/// edges but not the strings, so a loader can run it while it parses them. `node_edge_count`
/// and `edge_to` (already node ordinals) are consumed (their buffers are reused).
pub fn index_edges(
    meta: &SnapshotMeta,
    node_type: &[u8],
    node_edge_count: Vec<u32>,
    edge_type: &[u8],
    edge_to: Vec<u32>,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> KindResult<EdgeIndex> {
    let node_count = node_type.len();
    let edge_count = edge_type.len();
    if u32::try_from(edge_count).is_err() || u32::try_from(node_count).is_err() {
        return Err(ErrorKind::TooLarge(format!(
            "{node_count} nodes and {edge_count} edges; at most 2^32 - 1 of each are supported"
        )));
    }
    validate_types(node_type, meta.node_types.len(), edge_type, meta.edge_types.len())?;
    let first_edge = edge_index(node_edge_count, edge_count)?;
    if cancelled() {
        return Err(ErrorKind::Cancelled);
    }
    let (first_retainer, retainers) = retainer_index(&first_edge, &edge_to, node_count);
    Ok(EdgeIndex { first_edge, edge_to, first_retainer, retainers })
}

/// Validates the parsed columns and builds the indexed graph.
pub fn build_graph(parts: GraphParts, progress: &dyn Progress) -> KindResult<HeapGraph> {
    let GraphParts {
        mut meta,
        node_field_count,
        node_type,
        node_name,
        node_id,
        node_self_size,
        large_self_sizes,
        node_edge_count,
        node_trace_id,
        node_detachedness,
        edge_type,
        edge_name,
        edge_to,
        strings,
        locations,
        trace_function_infos,
        trace_tree,
        samples,
        edge_index: edge_index_parts,
    } = parts;
    let node_count = node_type.len();
    progress.phase(Phase::Index, 3);
    let index = match edge_index_parts {
        Some(index) => index,
        None => index_edges(&meta, &node_type, node_edge_count, &edge_type, edge_to, &|| progress.is_cancelled())?,
    };
    progress.set_done(1);
    validate_names(&node_name, &edge_type, &edge_name, &meta, strings.len())?;
    meta.root = root_ordinal(meta.root, node_field_count, node_count)?;
    progress.set_done(2);
    check_cancel(progress)?;
    let EdgeIndex { first_edge, edge_to, first_retainer, retainers } = index;

    let locations = resolve_locations(&locations, &meta.location_fields, node_field_count, node_count)?;
    progress.set_done(3);

    Ok(HeapGraph {
        meta,
        node_type,
        node_name,
        node_id,
        node_self_size: SizeColumn::from_parts(
            node_self_size,
            large_self_sizes.into_iter().map(|(node, size)| (node as u32, size)).collect(),
        ),
        node_trace_id,
        node_detachedness,
        first_edge,
        edge_type,
        edge_name,
        edge_to,
        first_retainer,
        retainers,
        strings,
        locations,
        trace_function_infos,
        trace_tree,
        samples,
    })
}

fn check_cancel(progress: &dyn Progress) -> KindResult<()> {
    if progress.is_cancelled() { Err(ErrorKind::Cancelled) } else { Ok(()) }
}

/// Rows per parallel work item in the validation passes.
const ROWS_PER_TASK: usize = 1 << 16;

fn validate_types(node_type: &[u8], node_types: usize, edge_type: &[u8], edge_types: usize) -> KindResult<()> {
    if let Some(node) = first_at_or_above(node_type, node_types) {
        return Err(ErrorKind::UnknownNodeType {
            node: node as u64,
            type_index: u64::from(node_type[node]),
            type_count: node_types,
        });
    }
    if let Some(edge) = first_at_or_above(edge_type, edge_types) {
        return Err(ErrorKind::UnknownEdgeType {
            edge: edge as u64,
            type_index: u64::from(edge_type[edge]),
            type_count: edge_types,
        });
    }
    Ok(())
}

/// Index of the first value `>= limit`, checking blocks in parallel with a vectorizable max.
fn first_at_or_above<T: Copy + Ord + Default + Send + Sync + TryFrom<usize>>(
    values: &[T],
    limit: usize,
) -> Option<usize> {
    let limit = T::try_from(limit).ok()?;
    let block = values
        .par_chunks(ROWS_PER_TASK)
        .position_first(|chunk| chunk.iter().copied().fold(T::default(), T::max) >= limit)?;
    let start = block * ROWS_PER_TASK;
    values[start..].iter().position(|&v| v >= limit).map(|i| start + i)
}

fn validate_names(
    node_name: &[u32],
    edge_type: &[u8],
    edge_name: &[u32],
    meta: &SnapshotMeta,
    string_count: usize,
) -> KindResult<()> {
    if let Some(node) = first_at_or_above(node_name, string_count) {
        return Err(ErrorKind::BadStringIndex {
            what: "node",
            index: node as u64,
            string: u64::from(node_name[node]),
            count: string_count,
        });
    }
    // Edges whose name is a number (element, hidden) may hold any value; give them a limit
    // no u32 reaches.
    let mut limit = [u64::from(u32::MAX) + 1; 256];
    for (i, t) in meta.edge_types.iter().enumerate().take(256) {
        if t != "element" && t != "hidden" {
            limit[i] = string_count as u64;
        }
    }
    let is_bad = |t: u8, s: u32| u64::from(s) >= limit[t as usize];
    let bad_block = edge_type
        .par_chunks(ROWS_PER_TASK)
        .zip(edge_name.par_chunks(ROWS_PER_TASK))
        .position_first(|(types, names)| types.iter().zip(names).fold(false, |bad, (&t, &s)| bad | is_bad(t, s)));
    if let Some(block) = bad_block {
        let start = block * ROWS_PER_TASK;
        let edge = (start..edge_type.len()).find(|&e| is_bad(edge_type[e], edge_name[e])).unwrap_or(start);
        return Err(ErrorKind::BadStringIndex {
            what: "edge",
            index: edge as u64,
            string: u64::from(edge_name[edge]),
            count: string_count,
        });
    }
    Ok(())
}

/// Prefix sums of the edge counts, in place: `first_edge[n]..first_edge[n + 1]` are node
/// `n`'s edges.
fn edge_index(mut counts: Vec<u32>, edge_count: usize) -> KindResult<Vec<u32>> {
    let mut sum: u64 = 0;
    for slot in counts.iter_mut() {
        let count = u64::from(*slot);
        // Saturate rather than wrap; the total is checked just below.
        *slot = u32::try_from(sum).unwrap_or(u32::MAX);
        sum += count;
    }
    if sum != edge_count as u64 {
        return Err(ErrorKind::EdgeCountSum { sum, actual: edge_count as u64 });
    }
    counts.push(u32::try_from(sum).unwrap_or(u32::MAX));
    Ok(counts)
}

/// Turns `to_node` offsets into node ordinals in place: divides each by the node field count
/// `nf` (taken as at least 1), checking it names one of `node_count` nodes. On a bad offset
/// nothing is changed and the first one is returned as (index within `to`, offset).
pub(crate) fn offsets_to_ordinals(to: &mut [u32], nf: usize, node_count: usize) -> Result<(), (usize, u32)> {
    match nf {
        // The usual field counts, so the division is by a constant.
        6 => convert_offsets::<6>(to, node_count),
        7 => convert_offsets::<7>(to, node_count),
        nf => convert_offsets_by(to, u32::try_from(nf.max(1)).unwrap_or(u32::MAX), node_count),
    }
}

fn convert_offsets<const NF: u32>(to: &mut [u32], node_count: usize) -> Result<(), (usize, u32)> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { convert_offsets_avx2::<NF>(to, node_count) };
    }
    convert_offsets_by(to, NF, node_count)
}

/// [`convert_offsets`] with eight offsets at a time (the division by a constant becomes a
/// vector multiply).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn convert_offsets_avx2<const NF: u32>(to: &mut [u32], node_count: usize) -> Result<(), (usize, u32)> {
    convert_offsets_by(to, NF, node_count)
}

/// Whether nodes-array offset `offset` is the start of one of `node_count` nodes of `nf` fields.
#[inline(always)]
fn names_a_node(offset: u32, nf: u32, node_count: usize) -> bool {
    offset.is_multiple_of(nf) & (((offset / nf) as usize) < node_count)
}

#[inline(always)]
fn convert_offsets_by(to: &mut [u32], nf: u32, node_count: usize) -> Result<(), (usize, u32)> {
    let is_bad = |v: u32| !names_a_node(v, nf, node_count);
    if to.iter().fold(false, |bad, &v| bad | is_bad(v)) {
        return Err(to.iter().enumerate().find(|&(_, &v)| is_bad(v)).map_or((0, 0), |(i, &v)| (i, v)));
    }
    for v in to.iter_mut() {
        *v /= nf;
    }
    Ok(())
}

/// The error for edge `edge`, whose `to_node` offset `offset` names no node.
pub(crate) fn bad_edge_target(edge: u64, offset: u32, nf: usize, node_count: usize) -> ErrorKind {
    let reason = if !(offset as usize).is_multiple_of(nf.max(1)) {
        format!("which is not a multiple of the node field count {nf}")
    } else {
        format!("beyond the last node (there are {node_count} nodes)")
    };
    ErrorKind::BadEdgeTarget { edge, to_node: u64::from(offset), reason }
}

fn root_ordinal(root_offset: u32, node_field_count: usize, node_count: usize) -> KindResult<u32> {
    let nf = node_field_count as u32;
    if !names_a_node(root_offset, nf, node_count) {
        return Err(ErrorKind::BadHeader(format!(
            "root_index {root_offset} does not name a node (node field count {nf}, {node_count} nodes)"
        )));
    }
    Ok(root_offset / nf)
}

/// Builds the reverse CSR: for each node, the sources of its incoming edges in edge order, by
/// a parallel counting sort over source ranges with about equal numbers of edges.
fn retainer_index(first_edge: &[u32], edge_to: &[u32], node_count: usize) -> (Vec<u32>, Vec<NodeIndex>) {
    let edge_count = edge_to.len();
    let tasks = rayon::current_num_threads().clamp(1, 8).min(node_count.max(1));
    let mut bounds = vec![0usize];
    for t in 1..tasks {
        let target_edge = (edge_count * t / tasks) as u32;
        let src = first_edge.partition_point(|&f| f < target_edge).min(node_count);
        bounds.push(src.max(*bounds.last().unwrap_or(&0)));
    }
    bounds.push(node_count);
    group_by_key(&EdgesByTarget { first_edge, edge_to, bounds }, node_count, edge_count)
}

/// The edges' sources keyed by target, in parts of contiguous source nodes.
struct EdgesByTarget<'a> {
    first_edge: &'a [u32],
    edge_to: &'a [u32],
    /// Part `p` covers the source nodes `bounds[p]..bounds[p + 1]`.
    bounds: Vec<usize>,
}

// SAFETY: both visits walk the same fixed slices in the same order.
unsafe impl KeyedItems for EdgesByTarget<'_> {
    type Item = NodeIndex;

    fn parts(&self) -> usize {
        self.bounds.len() - 1
    }

    fn visit(&self, part: usize, mut emit: impl FnMut(u32, NodeIndex)) {
        for src in self.bounds[part]..self.bounds[part + 1] {
            let range = self.first_edge[src] as usize..self.first_edge[src + 1] as usize;
            for &target in &self.edge_to[range] {
                emit(target, src as NodeIndex);
            }
        }
    }

    fn visit_keys(&self, part: usize, mut emit: impl FnMut(u32)) {
        let edges = self.first_edge[self.bounds[part]] as usize..self.first_edge[self.bounds[part + 1]] as usize;
        for &target in &self.edge_to[edges] {
            emit(target);
        }
    }
}

/// The locations from their columns (one per `fields` entry, all of one length), checked and
/// with their node offsets turned into ordinals, in parallel. A bad offset is reported for the
/// first row that has one.
fn resolve_locations(
    columns: &[Vec<u32>],
    fields: &[String],
    node_field_count: usize,
    node_count: usize,
) -> KindResult<Vec<Location>> {
    let rows = columns.first().map_or(0, Vec::len);
    if rows == 0 {
        return Ok(Vec::new());
    }
    let stride = fields.len();
    let find = |name: &str| fields.iter().position(|f| f == name).filter(|&i| i < columns.len());
    let (Some(object), Some(script), Some(line), Some(column)) =
        (find("object_index"), find("script_id"), find("line"), find("column"))
    else {
        return Err(ErrorKind::BadHeader(format!(
            "location_fields {fields:?} lack one of object_index, script_id, line, column"
        )));
    };
    let script_object = find("script_object_index");
    let nf = node_field_count.max(1) as u32;
    // The fields holding node offsets, in the order a row is checked.
    let offset_fields: Vec<usize> = std::iter::once(object).chain(script_object).collect();
    let bad =
        |row: usize| offset_fields.iter().copied().find(|&field| !names_a_node(columns[field][row], nf, node_count));
    if let Some(row) = (0..rows).into_par_iter().with_min_len(ROWS_PER_TASK).find_first(|&row| bad(row).is_some())
        && let Some(field) = bad(row)
    {
        return Err(ErrorKind::BadLocation {
            row: row as u64,
            index: (row * stride + field) as u64,
            offset: u64::from(columns[field][row]),
        });
    }
    Ok((0..rows)
        .into_par_iter()
        .with_min_len(ROWS_PER_TASK)
        .map(|row| Location {
            node: columns[object][row] / nf,
            script_id: columns[script][row],
            script_node: script_object.map(|i| columns[i][row] / nf),
            line: columns[line][row],
            column: columns[column][row],
        })
        .collect())
}
