//! Turns parsed columns into a [`HeapGraph`]: validates references, builds the edge index and
//! the reverse (retainer) index, in parallel.

use rayon::prelude::*;

use super::{HeapGraph, Location, SnapshotMeta, StringTable, TraceTreeNode};
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
    /// Node shallow sizes.
    pub node_self_size: Vec<u64>,
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
    /// Edge targets as nodes-array offsets.
    pub edge_to_offset: Vec<u32>,
    /// The strings.
    pub strings: StringTable,
    /// `locations`, flat, with `meta.location_fields.len()` numbers per row.
    pub locations: Vec<u32>,
    /// `trace_function_infos`, flat.
    pub trace_function_infos: Vec<u32>,
    /// `trace_tree`, flattened.
    pub trace_tree: Vec<TraceTreeNode>,
    /// `samples`, flat.
    pub samples: Vec<u64>,
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
        node_edge_count,
        node_trace_id,
        node_detachedness,
        edge_type,
        edge_name,
        mut edge_to_offset,
        strings,
        locations,
        trace_function_infos,
        trace_tree,
        samples,
    } = parts;
    let node_count = node_type.len();
    let edge_count = edge_type.len();
    progress.phase(Phase::Index, 5);
    if u32::try_from(edge_count).is_err() || u32::try_from(node_count).is_err() {
        return Err(ErrorKind::TooLarge(format!(
            "{node_count} nodes and {edge_count} edges; at most 2^32 - 1 of each are supported"
        )));
    }
    validate_types(&node_type, meta.node_types.len(), &edge_type, meta.edge_types.len())?;
    validate_names(&node_name, &edge_type, &edge_name, &meta, strings.len())?;
    let first_edge = edge_index(&node_edge_count, edge_count)?;
    drop(node_edge_count);
    progress.set_done(1);
    check_cancel(progress)?;

    offsets_to_ordinals(&mut edge_to_offset, node_field_count, node_count)?;
    let edge_to = edge_to_offset;
    meta.root = root_ordinal(meta.root, node_field_count, node_count)?;
    progress.set_done(2);
    check_cancel(progress)?;

    let (first_retainer, retainer_node, retainer_edge) =
        retainer_index(&first_edge, &edge_to, node_count);
    progress.set_done(4);
    check_cancel(progress)?;

    let locations = resolve_locations(&locations, &meta.location_fields, node_field_count, node_count)?;
    progress.set_done(5);

    Ok(HeapGraph {
        meta,
        node_type,
        node_name,
        node_id,
        node_self_size,
        node_trace_id,
        node_detachedness,
        first_edge,
        edge_type,
        edge_name,
        edge_to,
        first_retainer,
        retainer_node,
        retainer_edge,
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
    if let Some(node) = node_type.par_iter().position_first(|&t| t as usize >= node_types) {
        return Err(ErrorKind::UnknownNodeType {
            node: node as u64,
            type_index: u64::from(node_type[node]),
            type_count: node_types,
        });
    }
    if let Some(edge) = edge_type.par_iter().position_first(|&t| t as usize >= edge_types) {
        return Err(ErrorKind::UnknownEdgeType {
            edge: edge as u64,
            type_index: u64::from(edge_type[edge]),
            type_count: edge_types,
        });
    }
    Ok(())
}

fn validate_names(
    node_name: &[u32],
    edge_type: &[u8],
    edge_name: &[u32],
    meta: &SnapshotMeta,
    string_count: usize,
) -> KindResult<()> {
    if let Some(node) = node_name.par_iter().position_first(|&s| s as usize >= string_count) {
        return Err(ErrorKind::BadStringIndex {
            what: "node",
            index: node as u64,
            string: u64::from(node_name[node]),
            count: string_count,
        });
    }
    let numeric: Vec<bool> =
        meta.edge_types.iter().map(|t| t == "element" || t == "hidden").collect();
    let bad_edge = edge_type.par_iter().zip(edge_name.par_iter()).position_first(|(&t, &s)| {
        !numeric.get(t as usize).copied().unwrap_or(false) && s as usize >= string_count
    });
    if let Some(edge) = bad_edge {
        return Err(ErrorKind::BadStringIndex {
            what: "edge",
            index: edge as u64,
            string: u64::from(edge_name[edge]),
            count: string_count,
        });
    }
    Ok(())
}

/// Prefix sums of the edge counts: `first_edge[n]..first_edge[n + 1]` are node `n`'s edges.
fn edge_index(edge_counts: &[u32], edge_count: usize) -> KindResult<Vec<u32>> {
    let mut first_edge = Vec::with_capacity(edge_counts.len() + 1);
    let mut sum: u64 = 0;
    first_edge.push(0);
    for &count in edge_counts {
        sum += u64::from(count);
        // Saturate rather than wrap; the total is checked just below.
        first_edge.push(u32::try_from(sum).unwrap_or(u32::MAX));
    }
    if sum != edge_count as u64 {
        return Err(ErrorKind::EdgeCountSum { sum, actual: edge_count as u64 });
    }
    Ok(first_edge)
}

/// Divides every `to_node` offset by the node field count, checking it names a real node.
fn offsets_to_ordinals(to: &mut [u32], node_field_count: usize, node_count: usize) -> KindResult<()> {
    match node_field_count {
        6 => offsets_to_ordinals_by::<6>(to, node_count),
        7 => offsets_to_ordinals_by::<7>(to, node_count),
        nf => to.par_chunks_mut(ROWS_PER_TASK).enumerate().try_for_each(|(chunk, slice)| {
            convert_offsets(slice, chunk * ROWS_PER_TASK, nf as u32, node_count)
        }),
    }
}

fn offsets_to_ordinals_by<const NF: u32>(to: &mut [u32], node_count: usize) -> KindResult<()> {
    to.par_chunks_mut(ROWS_PER_TASK)
        .enumerate()
        .try_for_each(|(chunk, slice)| convert_offsets(slice, chunk * ROWS_PER_TASK, NF, node_count))
}

#[inline(always)]
fn convert_offsets(slice: &mut [u32], base: usize, nf: u32, node_count: usize) -> KindResult<()> {
    let bad = slice.iter().fold(false, |bad, &v| bad | (v % nf != 0) | ((v / nf) as usize >= node_count));
    if bad {
        // Slow path: describe the first offending edge.
        for (i, &v) in slice.iter().enumerate() {
            let reason = if v % nf != 0 {
                format!("which is not a multiple of the node field count {nf}")
            } else if (v / nf) as usize >= node_count {
                format!("beyond the last node (there are {node_count} nodes)")
            } else {
                continue;
            };
            return Err(ErrorKind::BadEdgeTarget { edge: (base + i) as u64, to_node: u64::from(v), reason });
        }
    }
    for v in slice.iter_mut() {
        *v /= nf;
    }
    Ok(())
}

fn root_ordinal(root_offset: u32, node_field_count: usize, node_count: usize) -> KindResult<u32> {
    let nf = node_field_count as u32;
    if root_offset % nf != 0 || (root_offset / nf) as usize >= node_count {
        return Err(ErrorKind::BadHeader(format!(
            "root_index {root_offset} does not name a node (node field count {nf}, {node_count} nodes)"
        )));
    }
    Ok(root_offset / nf)
}

/// Builds the reverse CSR: for each node, its retainers in ascending (source, edge) order.
///
/// Work is split by target range: each task scans all edges but counts and fills only the
/// targets it owns, so the slots of a task form one contiguous block and no atomics are needed.
fn retainer_index(first_edge: &[u32], edge_to: &[u32], node_count: usize) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let tasks = rayon::current_num_threads().clamp(1, 64);
    let span = node_count.div_ceil(tasks).max(1);
    let mut counts = vec![0u32; node_count + 1];
    counts[..node_count].par_chunks_mut(span).enumerate().for_each(|(task, chunk)| {
        let lo = (task * span) as u32;
        let hi = lo + chunk.len() as u32;
        for &t in edge_to {
            if t >= lo && t < hi {
                chunk[(t - lo) as usize] += 1;
            }
        }
    });
    // Exclusive prefix sum in place: counts becomes first_retainer.
    let mut sum = 0u32;
    for c in counts.iter_mut() {
        let here = *c;
        *c = sum;
        sum += here;
    }
    let first_retainer = counts;

    let mut retainer_node = vec![0u32; edge_to.len()];
    let mut retainer_edge = vec![0u32; edge_to.len()];
    let mut node_slices = Vec::with_capacity(tasks);
    let mut edge_slices = Vec::with_capacity(tasks);
    {
        let mut rest_nodes = retainer_node.as_mut_slice();
        let mut rest_edges = retainer_edge.as_mut_slice();
        let mut consumed = 0usize;
        for task in 0..node_count.div_ceil(span) {
            let hi = ((task + 1) * span).min(node_count);
            let end = first_retainer[hi] as usize;
            let (a, b) = rest_nodes.split_at_mut(end - consumed);
            let (c, d) = rest_edges.split_at_mut(end - consumed);
            node_slices.push(a);
            edge_slices.push(c);
            rest_nodes = b;
            rest_edges = d;
            consumed = end;
        }
    }
    node_slices.into_par_iter().zip(edge_slices).enumerate().for_each(|(task, (nodes, edges))| {
        let lo = task * span;
        let hi = ((task + 1) * span).min(node_count);
        let base = first_retainer[lo];
        let mut cursor: Vec<u32> = first_retainer[lo..hi].iter().map(|&f| f - base).collect();
        let (lo, hi) = (lo as u32, hi as u32);
        for src in 0..node_count {
            let range = first_edge[src] as usize..first_edge[src + 1] as usize;
            for (e, &t) in edge_to[range.clone()].iter().enumerate() {
                if t >= lo && t < hi {
                    let c = &mut cursor[(t - lo) as usize];
                    nodes[*c as usize] = src as u32;
                    edges[*c as usize] = (range.start + e) as u32;
                    *c += 1;
                }
            }
        }
    });
    (first_retainer, retainer_node, retainer_edge)
}

fn resolve_locations(
    flat: &[u32],
    fields: &[String],
    node_field_count: usize,
    node_count: usize,
) -> KindResult<Vec<Location>> {
    if flat.is_empty() {
        return Ok(Vec::new());
    }
    let stride = fields.len();
    let find = |name: &str| fields.iter().position(|f| f == name);
    let (Some(object), Some(script), Some(line), Some(column)) =
        (find("object_index"), find("script_id"), find("line"), find("column"))
    else {
        return Err(ErrorKind::BadHeader(format!(
            "location_fields {fields:?} lack one of object_index, script_id, line, column"
        )));
    };
    let script_object = find("script_object_index");
    let nf = node_field_count as u32;
    let to_node = |offset: u32, row: usize| -> KindResult<u32> {
        if offset % nf != 0 || (offset / nf) as usize >= node_count {
            return Err(ErrorKind::BadNumber {
                array: "locations",
                index: row as u64,
                offset: 0,
                reason: format!("node offset {offset} does not name a node"),
            });
        }
        Ok(offset / nf)
    };
    flat.chunks_exact(stride)
        .enumerate()
        .map(|(row, r)| {
            Ok(Location {
                node: to_node(r[object], row)?,
                script_id: r[script],
                script_node: script_object.map(|i| to_node(r[i], row)).transpose()?,
                line: r[line],
                column: r[column],
            })
        })
        .collect()
}
