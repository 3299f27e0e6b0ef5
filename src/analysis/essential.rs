//! Which edges count for dominance ("essential" edges, spec §2.6), and the WeakMap ephemeron
//! edge names both the essential-edge rule and the distance BFS look for.

use std::collections::HashMap;

use rayon::prelude::*;
use regex::Regex;
use rustc_hash::FxHashMap;

use super::bits::BitVec;
use super::kinds::Kinds;
use crate::graph::HeapGraph;

/// A parsed WeakMap value edge name:
/// `"<n> / part of key (<k> @<kid>) -> value (<v> @<vid>) pair in WeakMap (table @<tid>)"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeakMapEdge {
    /// The part after the leading number, shared by the key->value and table->value edges.
    pub duplicated_part: String,
    /// The table's node id.
    pub table_id: u64,
    /// A small number identifying `duplicated_part` (equal parts, equal numbers).
    pub pair_id: u32,
}

/// The WeakMap edge names of a snapshot, by string index (looked up for internal edges).
#[derive(Debug, Default)]
pub struct WeakMapNames {
    names: HashMap<u32, WeakMapEdge>,
}

impl WeakMapNames {
    /// Finds every string that is a WeakMap value edge name (only internal edges' names are
    /// looked up in the result).
    pub fn find(graph: &HeapGraph) -> Self {
        // JS regex semantics: `\d` is ASCII, `.` excludes line terminators.
        let pattern = r"^[0-9]+(?<dup> / part of key \([^\n\r\u{2028}\u{2029}]*? @[0-9]+\) -> value \([^\n\r\u{2028}\u{2029}]*? @[0-9]+\) pair in WeakMap \(table @(?<tid>[0-9]+)\))$";
        let Ok(regex) = Regex::new(pattern) else { return Self::default() };
        // Only a string holding this can be such a name; the strings are searched in one pass
        // (an edge names it only if it is there, so no edge needs to be read).
        let mut parsed: Vec<(u32, String, u64)> = graph
            .strings
            .containing(" pair in WeakMap (table @")
            .into_par_iter()
            .filter_map(|i| {
                let name = graph.strings.get(i);
                if !name.ends_with(')') {
                    return None;
                }
                let captures = regex.captures(name)?;
                let table_id = captures.name("tid")?.as_str().parse::<u64>().unwrap_or(u64::MAX);
                let duplicated_part = captures.name("dup")?.as_str().to_string();
                Some((i, duplicated_part, table_id))
            })
            .collect();
        parsed.sort_by(|a, b| a.1.cmp(&b.1));
        let mut names = HashMap::with_capacity(parsed.len());
        let mut pair_id = 0u32;
        let mut previous: Option<String> = None;
        for (index, duplicated_part, table_id) in parsed {
            if previous.as_ref().is_some_and(|p| *p != duplicated_part) {
                pair_id += 1;
            }
            previous = Some(duplicated_part.clone());
            names.insert(index, WeakMapEdge { duplicated_part, table_id, pair_id });
        }
        Self { names }
    }

    /// The parsed name, when string `name` is a WeakMap value edge name.
    pub fn get(&self, name: u32) -> Option<&WeakMapEdge> {
        self.names.get(&name)
    }

    /// True when no string of the snapshot is a WeakMap value edge name.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Computes the essential-edge bit of every edge:
/// not the table->value half of a WeakMap pair, not weak, not a self edge, and (except from
/// the root) not a shortcut and not an edge from a non-page object into a page object.
pub fn essential_edges(graph: &HeapGraph, kinds: &Kinds, weak_maps: &WeakMapNames, page_object: &BitVec) -> BitVec {
    let root = graph.root();
    let first_edge = &graph.first_edge;
    let check_weak_maps = !weak_maps.is_empty();
    BitVec::from_blocks(graph.edge_count(), |start, words| {
        let end = (start + words.len() * 64).min(graph.edge_count());
        if start >= end {
            return;
        }
        // The node owning edge `start`; then each source's edges in this block in turn, so
        // what depends on the source is read once per source.
        let mut src = first_edge.partition_point(|&f| (f as usize) <= start).saturating_sub(1);
        let mut from = start;
        while from < end {
            let to = (first_edge[src + 1] as usize).min(end);
            let source = src as u32;
            // Nearly every source is a page object, so the target's (scattered) bit is read
            // only for the few that are not.
            let src_is_page = page_object.get(src);
            let from_root = source == root;
            let types = &graph.edge_type[from..to];
            let targets = &graph.edge_to[from..to];
            for (i, (&ty, &target)) in types.iter().zip(targets).enumerate() {
                let weak_map_table_to_value = check_weak_maps
                    && ty == kinds.e_internal
                    && weak_maps
                        .get(graph.edge_name_or_index((from + i) as u32))
                        .is_some_and(|wm| wm.table_id == u64::from(graph.node_id(source)));
                let essential = ty != kinds.e_weak
                    && target != source
                    && !weak_map_table_to_value
                    // Below the root: not a shortcut, and not from a non-page object into a
                    // page object.
                    && (from_root || (ty != kinds.e_shortcut && (src_is_page || !page_object.get(target as usize))));
                let bit = from + i - start;
                words[bit / 64] |= u64::from(essential) << (bit % 64);
            }
            from = to;
            src += 1;
        }
    })
}

/// The essential bit of every retainer slot: the bit of the edge the slot stands for (the k-th
/// slot of a target naming a source is the k-th edge of that source to the target). Few edges
/// are not essential, so every slot starts essential and each non-essential edge clears its
/// own slot, found by binary search among its target's slots (which are sorted by source).
pub fn essential_retainer_slots(graph: &HeapGraph, essential: &BitVec) -> BitVec {
    // The non-essential edges, in edge (so source) order.
    let non_essential = essential.zero_indexes();
    // Grouped by source node.
    let mut groups: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    for (i, &e) in non_essential.iter().enumerate() {
        match groups.last_mut() {
            Some((source, range)) if graph.edges_of(*source).contains(&e) => range.end = i + 1,
            last => {
                let after = last.map_or(0, |(source, _)| *source);
                groups.push((source_at_or_after(&graph.first_edge, after, e), i..i + 1));
            }
        }
    }
    let cleared: Vec<u32> = groups
        .par_iter()
        .fold(Vec::new, |mut cleared, (source, range)| {
            non_essential_slots(graph, *source, &non_essential[range.clone()], &mut cleared);
            cleared
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    let mut bits = BitVec::ones(graph.retainer_nodes().len());
    for slot in cleared {
        bits.clear(slot as usize);
    }
    bits
}

/// The node owning edge `e`, known to be `from` or a later node: galloping forward from
/// `from`, so a run of lookups in edge order costs about one pass over `first_edge` at most,
/// and a few steps each when they are far apart.
fn source_at_or_after(first_edge: &[u32], from: u32, e: u32) -> u32 {
    let owns_later = |node: usize| first_edge.get(node + 1).is_some_and(|&f| f <= e);
    let (mut low, mut step) = (from as usize, 1usize);
    while owns_later(low + step) {
        low += step;
        step *= 2;
    }
    // The owner is in low..=low + step: the last node whose first edge is at or before `e`.
    let window = &first_edge[low..(low + step + 1).min(first_edge.len())];
    (low + window.partition_point(|&f| f <= e) - 1) as u32
}

/// Appends to `cleared` the retainer slots of `source`'s non-essential edges (`edges`, in
/// order).
fn non_essential_slots(graph: &HeapGraph, source: u32, edges: &[u32], cleared: &mut Vec<u32>) {
    let sources = graph.retainer_nodes();
    // (edge, target, the target's first slot naming `source`), for the edges whose target has
    // more than one slot naming `source`: those need the edge's rank among them.
    let mut repeated: Vec<(u32, u32, u32)> = Vec::new();
    for &e in edges {
        let target = graph.edge_target(e);
        let slots = graph.retainers_of(target);
        let of_target = &sources[slots.start as usize..slots.end as usize];
        let first = of_target.partition_point(|&s| s < source);
        let slot = slots.start + first as u32;
        if of_target.get(first + 1) == Some(&source) {
            repeated.push((e, target, slot));
        } else {
            cleared.push(slot);
        }
    }
    if repeated.is_empty() {
        return;
    }
    // One pass over the list, counting the edges to each repeated target so far.
    let mut counts: FxHashMap<u32, u32> = repeated.iter().map(|&(_, target, _)| (target, 0)).collect();
    let mut next = repeated.iter().peekable();
    for f in graph.edges_of(source) {
        let Some(count) = counts.get_mut(&graph.edge_target(f)) else { continue };
        if let Some(&&(e, _, slot)) = next.peek()
            && e == f
        {
            cleared.push(slot + *count);
            next.next();
        }
        *count += 1;
    }
}
