//! Shallow sizes after DevTools' transfer of owned arrays and hidden nodes to their single
//! owner (spec §2.5), and retained sizes from the dominator tree (spec §2.8).

use super::bits::BitVec;
use super::kinds::Kinds;
use super::names::NodeNames;
use super::prefetch::prefetch;
use crate::graph::{HeapGraph, SizeColumn, SizeColumnEditor};

/// How many nodes ahead a node's dominator is fetched.
const PREFETCH_FAR: usize = 16;
/// How many nodes ahead a node's dominator's retained size is fetched.
const PREFETCH_NEAR: usize = 8;

const UNVISITED: u32 = u32::MAX;
const MULTIPLE: u32 = u32::MAX - 1;

/// Shallow sizes with the sizes of owned nodes moved to their owner. `has_user_roots` is
/// false for "expose internals" snapshots, which keep their sizes as written.
pub fn transferred_self_sizes(
    graph: &HeapGraph,
    kinds: &Kinds,
    names: &NodeNames<'_>,
    has_user_roots: bool,
) -> SizeColumn {
    if !has_user_roots {
        return graph.self_sizes().clone();
    }
    let n = graph.node_count();
    let owned = |v: u32| {
        let ty = graph.node_type(v);
        ty == kinds.hidden
            || ty == kinds.array
            || (ty == kinds.native && names.raw_name(v) == "system / ExternalStringData")
    };
    // Only owned nodes ever change owner: a bit per node (which stays in cache) lets the walk
    // skip every edge into an unowned node without touching `owner`.
    let owned_bits = BitVec::from_fn(n, |v| owned(v as u32));
    let mut owner: Vec<u32> = (0..n as u32).map(|v| if owned_bits.get(v as usize) { UNVISITED } else { v }).collect();
    let mut worklist: Vec<u32> = (0..n as u32).filter(|&v| !owned_bits.get(v as usize)).collect();
    while let Some(id) = worklist.pop() {
        let id_owner = owner[id as usize];
        for e in graph.edges_of(id) {
            let t = graph.edge_target(e);
            if !owned_bits.get(t as usize) || graph.edge_type(e) == kinds.e_weak {
                continue;
            }
            let current = owner[t as usize];
            if current == UNVISITED {
                owner[t as usize] = id_owner;
                prefetch(&graph.first_edge, t as usize);
                worklist.push(t);
            } else if current == t || current == id_owner || current == MULTIPLE {
            } else {
                owner[t as usize] = MULTIPLE;
                prefetch(&graph.first_edge, t as usize);
                worklist.push(t);
            }
        }
    }
    let root = graph.root();
    // Owners are never owned, so every moved size is the owned node's size as written.
    let mut sizes = SizeColumnEditor::new(graph.self_sizes());
    for i in 0..n as u32 {
        let o = owner[i as usize];
        if o == UNVISITED || o == MULTIPLE || o == i {
            continue;
        }
        if graph.node_type(o) == kinds.synthetic || o == root {
            continue;
        }
        let moved = sizes.get(i);
        sizes.set(i, 0);
        sizes.add(o, moved);
    }
    sizes.finish()
}

/// Retained sizes: a node's own size plus the retained sizes of the nodes it immediately
/// dominates. `order` lists the reached nodes so that every dominator comes before the nodes
/// it dominates, and `listed` marks them; nodes missing from it are dominated by the root and
/// retain only themselves. The result is written into `buffer`'s memory (a buffer whose
/// memory the process already has costs no fresh pages).
pub fn retained_sizes(
    self_sizes: &SizeColumn,
    dominator: &[u32],
    order: &[u32],
    listed: &BitVec,
    root: u32,
    buffer: Vec<u32>,
) -> SizeColumn {
    let mut retained = SizeColumnEditor::reusing(self_sizes, buffer);
    let unlisted: u64 = (0..self_sizes.len()).filter(|&v| !listed.get(v)).map(|v| self_sizes.get(v)).sum();
    for i in (0..order.len()).rev() {
        let v = order[i];
        // Dominators are scattered: fetch the ones a few steps ahead (in reverse order).
        if let Some(&ahead) = i.checked_sub(PREFETCH_FAR).and_then(|j| order.get(j)) {
            prefetch(dominator, ahead as usize);
        }
        if let Some(&ahead) = i.checked_sub(PREFETCH_NEAR).and_then(|j| order.get(j)) {
            prefetch(retained.narrow_values(), dominator[ahead as usize] as usize);
        }
        if v == root {
            continue;
        }
        let d = dominator[v as usize];
        retained.add(d, retained.get(v));
    }
    retained.add(root, unlisted);
    retained.finish()
}
