//! DevTools distances (spec §2.4): BFS from the user roots (distance 1), then from the root
//! for everything else (system distances from 100000000), skipping weak edges, the
//! `sloppy_function_map` of native contexts, descriptor slots of `(map descriptors)` arrays, and
//! the first half of each WeakMap value pair.

use std::collections::{HashSet, VecDeque};

use super::essential::WeakMapNames;
use super::kinds::Kinds;
use super::names::NodeNames;
use super::prefetch::prefetch;
use crate::graph::HeapGraph;

/// How many queued nodes ahead a node's edge range is fetched.
const PREFETCH_FAR: usize = 16;
/// How many queued nodes ahead a node's edges are fetched.
const PREFETCH_NEAR: usize = 8;

/// No distance (never reached).
pub const NO_DISTANCE: i32 = -5;
/// The base of system distances.
pub const BASE_SYSTEM_DISTANCE: i32 = 100_000_000;
/// The base of distances of unreachable nodes in the retainers view.
pub const BASE_UNREACHABLE_DISTANCE: i32 = 200_000_000;

/// True for nodes DevTools treats as user roots: non-synthetic nodes, and the synthetic
/// `(Document DOM trees)`.
pub fn is_user_root(graph: &HeapGraph, kinds: &Kinds, names: &NodeNames<'_>, v: u32) -> bool {
    graph.node_type(v) != kinds.synthetic || names.raw_name(v) == "(Document DOM trees)"
}

/// JavaScript's `parseInt(s, 10)`: leading whitespace, an optional sign, then digits.
fn js_parse_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return None;
    }
    let value = digits[..end].parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -value } else { value })
}

/// Computes every node's distance, optionally skipping edges into `ignored` nodes (the
/// retainers view's "ignore this retainer").
pub fn distances(
    graph: &HeapGraph,
    kinds: &Kinds,
    names: &NodeNames<'_>,
    weak_maps: &WeakMapNames,
    ignored: &HashSet<u32>,
) -> Vec<i32> {
    let n = graph.node_count();
    let mut distance = vec![NO_DISTANCE; n];
    // WeakMap pairs whose first half was seen (shared by both BFS passes).
    let mut pending: HashSet<u32> = HashSet::new();
    // Without WeakMap edges, an internal edge's name need not be read.
    let has_weak_maps = !weak_maps.is_empty();
    // The names the filter looks for, as string indexes: comparing numbers instead of reading
    // a scattered string for every edge of a hidden or array node.
    let sloppy_function_map = graph.strings.indexes_of("sloppy_function_map");
    let native_context = graph.strings.indexes_of("system / NativeContext");
    let map_descriptors = graph.strings.indexes_of("(map descriptors)");
    let mut filter = |src: u32, e: u32| -> bool {
        if ignored.contains(&graph.edge_target(e)) {
            return false;
        }
        let src_type = graph.node_type(src);
        if src_type == kinds.hidden
            && !graph.edge_has_index(e)
            && sloppy_function_map.contains(&graph.edge_name_or_index(e))
            && names.is_named(src, &native_context)
        {
            return false;
        }
        if src_type == kinds.array && names.is_named(src, &map_descriptors) {
            let index = if graph.edge_has_index(e) {
                Some(i64::from(graph.edge_name_or_index(e)))
            } else {
                js_parse_int(graph.strings.get(graph.edge_name_or_index(e)))
            };
            return index.is_none_or(|i| i < 2 || i % 3 != 1);
        }
        if has_weak_maps
            && graph.edge_type(e) == kinds.e_internal
            && let Some(pair) = weak_maps.get(graph.edge_name_or_index(e))
            && !pending.remove(&pair.pair_id)
        {
            pending.insert(pair.pair_id);
            return false;
        }
        true
    };
    // "Has a distance", one bit per node: tested for every edge, and small enough to stay
    // in cache where `distance` does not.
    let mut reached = super::bits::BitVec::zeros(n);
    // The queue is a ring buffer: it holds the frontier, not every node reached.
    let mut bfs = |queue: &mut VecDeque<u32>, distance: &mut [i32], reached: &mut super::bits::BitVec| {
        while let Some(src) = queue.pop_front() {
            // The queue says which nodes come next: fetch their edge ranges, then their
            // edges, a few nodes ahead.
            if let Some(&ahead) = queue.get(PREFETCH_FAR - 1) {
                prefetch(&graph.first_edge, ahead as usize);
                prefetch(&*distance, ahead as usize);
            }
            if let Some(&ahead) = queue.get(PREFETCH_NEAR - 1) {
                let first = graph.first_edge[ahead as usize] as usize;
                prefetch(&graph.edge_to, first);
                prefetch(&graph.edge_type, first);
                if has_weak_maps {
                    prefetch(&graph.edge_name, first);
                }
            }
            let d = distance[src as usize] + 1;
            for e in graph.edges_of(src) {
                if graph.edge_type(e) == kinds.e_weak {
                    continue;
                }
                let t = graph.edge_target(e);
                if reached.get(t as usize) || !filter(src, e) {
                    continue;
                }
                reached.set(t as usize);
                distance[t as usize] = d;
                queue.push_back(t);
            }
        }
    };
    let root = graph.root();
    let mut queue: VecDeque<u32> = VecDeque::new();
    for e in graph.edges_of(root) {
        let t = graph.edge_target(e);
        if is_user_root(graph, kinds, names, t) {
            distance[t as usize] = 1;
            reached.set(t as usize);
            queue.push_back(t);
        }
    }
    let had_user_roots = !queue.is_empty();
    bfs(&mut queue, &mut distance, &mut reached);
    distance[root as usize] = if had_user_roots { BASE_SYSTEM_DISTANCE } else { 0 };
    reached.set(root as usize);
    queue.push_back(root);
    bfs(&mut queue, &mut distance, &mut reached);
    distance
}
