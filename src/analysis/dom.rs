//! DOM state: which embedder (native) nodes are attached to or detached from a document, and
//! the "Detached " names DevTools gives the detached ones.

use std::collections::HashMap;

use super::bits::BitVec;
use super::kinds::Kinds;
use crate::graph::HeapGraph;

/// Unknown state.
pub const UNKNOWN: u8 = 0;
/// Attached to a live document.
pub const ATTACHED: u8 = 1;
/// Detached from every document.
pub const DETACHED: u8 = 2;

/// The result: the detached native nodes, and the renamed nodes.
pub struct DomState {
    /// One bit per node: a native node in a detached DOM tree (spec §2.3's detached flag).
    pub detached: BitVec,
    /// Nodes renamed to "Detached <name>": node -> index into `new_names`.
    pub renamed: HashMap<u32, u32>,
    /// The new names, one per distinct original name.
    pub new_names: Vec<String>,
    /// One bit per node: set for renamed nodes (a fast test before the map lookup).
    pub renamed_bits: BitVec,
}

/// Propagates DOM state as DevTools does (spec §2.2): known native nodes pass their state to
/// native nodes of unknown state over non-hidden, non-weak edges (attached first, then
/// detached); propagation never passes through JavaScript nodes.
pub fn propagate(graph: &HeapGraph, kinds: &Kinds) -> DomState {
    let n = graph.node_count();
    let mut state: Vec<u8> = (0..n as u32).map(|v| graph.node_detachedness(v) & 3).collect();
    let mut renamed = HashMap::new();
    let mut new_names = Vec::new();
    if !graph.meta.has_detachedness() {
        // Old snapshots: native nodes named "Detached ..." are detached; nothing propagates.
        for v in 0..n as u32 {
            if graph.node_type(v) == kinds.native && graph.node_name(v).starts_with("Detached ") {
                state[v as usize] = DETACHED;
            }
        }
        let renamed_bits = BitVec::zeros(n);
        return DomState { detached: detached_natives(graph, kinds, &state), renamed, new_names, renamed_bits };
    }
    let mut visited = vec![false; n];
    let mut attached: Vec<u32> = Vec::new();
    let mut detached: Vec<u32> = Vec::new();
    let mut name_cache: HashMap<u32, u32> = HashMap::new();
    let mut process = |v: u32, new_state: u8, state: &mut [u8], attached: &mut Vec<u32>, detached: &mut Vec<u32>| {
        if visited[v as usize] {
            return;
        }
        visited[v as usize] = true;
        if graph.node_type(v) != kinds.native {
            return;
        }
        state[v as usize] = new_state;
        if new_state == ATTACHED {
            attached.push(v);
        } else if new_state == DETACHED {
            let old = graph.node_name_index(v);
            let index = *name_cache.entry(old).or_insert_with(|| {
                new_names.push(format!("Detached {}", graph.strings.get(old)));
                (new_names.len() - 1) as u32
            });
            renamed.insert(v, index);
            detached.push(v);
        }
    };
    for v in 0..n as u32 {
        let s = state[v as usize];
        if s != UNKNOWN {
            process(v, s, &mut state, &mut attached, &mut detached);
        }
    }
    let follows = |e: u32| {
        let t = graph.edge_type(e);
        t != kinds.e_hidden && t != kinds.e_invisible && t != kinds.e_weak
    };
    for (new_state, use_attached) in [(ATTACHED, true), (DETACHED, false)] {
        loop {
            let next = if use_attached { attached.pop() } else { detached.pop() };
            let Some(v) = next else { break };
            for e in graph.edges_of(v) {
                if follows(e) {
                    process(graph.edge_target(e), new_state, &mut state, &mut attached, &mut detached);
                }
            }
        }
    }
    let mut renamed_bits = BitVec::zeros(n);
    for &v in renamed.keys() {
        renamed_bits.set(v as usize);
    }
    DomState { detached: detached_natives(graph, kinds, &state), renamed, new_names, renamed_bits }
}

/// The native nodes whose state is detached.
fn detached_natives(graph: &HeapGraph, kinds: &Kinds, state: &[u8]) -> BitVec {
    BitVec::from_fn(state.len(), |v| state[v] == DETACHED && graph.node_type(v as u32) == kinds.native)
}
