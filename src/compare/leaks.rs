//! Three-snapshot leak finding (the method memlab automates): objects allocated between a
//! `baseline` and a `target` snapshot that are still alive in a `final` snapshot taken after the
//! action that should have released them.
//!
//! Objects are matched by V8 id. Noise is left out: only JavaScript objects, closures, regular
//! expressions and detached DOM nodes count (not strings, numbers, arrays' backing stores, code
//! or V8's `system / ...` internals, which belong to the objects that hold them), and only those
//! reachable from a user root through strong edges (not objects kept only by weak edges or only
//! by V8 itself, its inline caches or the DevTools console). The leaked objects are grouped into clusters whose DevTools retainer chains
//! have the same shape (edge kinds, edge names with indexes folded, classes), and clusters are
//! ranked by retained size, counting objects nested in objects of the same cluster once.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::analysis::Analysis;
use crate::analysis::paths::{IgnoreSet, RetainerPath, devtools_chain, path_shape};
use crate::graph::HeapGraph;

/// Distances from this value on are V8's own (system) objects.
const SYSTEM_DISTANCE: i32 = 100_000_000;

/// A group of leaked objects with the same retainer chain shape.
#[derive(Clone, Debug)]
pub struct LeakCluster {
    /// The class of the objects (of the representative, when they differ).
    pub class_name: String,
    /// The objects (ordinals in the final snapshot), largest retained size first.
    pub objects: Vec<u32>,
    /// Their retained size, nested objects of the cluster counted once.
    pub retained_size: u64,
    /// The retainer chain of the representative (the largest object), from the outermost
    /// retainer, prefixed with the root.
    pub path: RetainerPath,
    /// The shape key the objects share.
    pub shape: String,
}

/// The result of a three-snapshot search.
#[derive(Clone, Debug)]
pub struct Leaks {
    /// Clusters, largest retained size first.
    pub clusters: Vec<LeakCluster>,
    /// Objects allocated between baseline and target (any kind).
    pub allocated_between: u64,
    /// Of those, still alive in the final snapshot (any kind).
    pub still_alive: u64,
}

/// Sorted, distinct ids of a graph.
pub fn sorted_ids(graph: &HeapGraph) -> Vec<u32> {
    let mut ids = graph.node_ids().to_vec();
    ids.par_sort_unstable();
    ids.dedup();
    ids
}

/// The ids in `target` that are not in `baseline`, ascending.
pub fn allocated_between(baseline: &HeapGraph, target: &HeapGraph) -> Vec<u32> {
    let (old, new) = rayon::join(|| sorted_ids(baseline), || sorted_ids(target));
    ids_not_in(&new, &old)
}

/// The ids of `later` (sorted) that `earlier` (sorted) has not.
pub fn ids_not_in(later: &[u32], earlier: &[u32]) -> Vec<u32> {
    later.par_iter().copied().filter(|id| earlier.binary_search(id).is_err()).collect()
}

/// True for the objects a leak report shows (see the module docs).
pub fn is_reportable(graph: &HeapGraph, analysis: &Analysis, v: u32) -> bool {
    let kinds = &analysis.kinds;
    let distance = analysis.distance[v as usize];
    if !(0..SYSTEM_DISTANCE).contains(&distance) || analysis.self_sizes.get(v as usize) == 0 {
        return false;
    }
    let ty = graph.node_type(v);
    if ty == kinds.native {
        return analysis.dom.detached.get(v as usize);
    }
    (ty == kinds.object && !graph.node_name(v).starts_with("system / ")) || ty == kinds.closure || ty == kinds.regexp
}

/// Finds the leaks: objects of the final snapshot whose ids `target` has and `baseline` has not.
pub fn find_leaks(
    baseline: &HeapGraph,
    target: &HeapGraph,
    final_graph: &HeapGraph,
    final_analysis: &Analysis,
) -> Leaks {
    find_leaks_among(&allocated_between(baseline, target), final_graph, final_analysis)
}

/// Finds the leaks among the objects of the final snapshot whose ids are in `between` (sorted:
/// the ids allocated between the baseline and the target, see [`allocated_between`]).
pub fn find_leaks_among(between: &[u32], final_graph: &HeapGraph, final_analysis: &Analysis) -> Leaks {
    let alive: Vec<u32> = (0..final_graph.node_count() as u32)
        .into_par_iter()
        .filter(|&v| between.binary_search(&final_graph.node_id(v)).is_ok())
        .collect();
    let leaked: Vec<u32> =
        alive.par_iter().copied().filter(|&v| is_reportable(final_graph, final_analysis, v)).collect();
    let ignore = IgnoreSet::default();
    let root = final_graph.root();
    let (leaked, chains): (Vec<u32>, Vec<(String, RetainerPath)>) = leaked
        .par_iter()
        .filter_map(|&v| {
            let mut path = devtools_chain(final_graph, final_analysis, v, &ignore);
            if held_by_engine(final_graph, &path) {
                return None;
            }
            if let Some(edge) = first_edge_from_root(final_graph, path.nodes[0]) {
                path.nodes.insert(0, root);
                path.edges.insert(0, edge);
            }
            Some((v, (path_shape(final_graph, final_analysis, &path), path)))
        })
        .unzip();
    let mut by_shape: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (shape, _)) in chains.iter().enumerate() {
        by_shape.entry(shape.as_str()).or_default().push(i);
    }
    let mut cluster_of = vec![u32::MAX; final_graph.node_count()];
    let groups: Vec<Vec<usize>> = by_shape.into_values().collect();
    for (c, members) in groups.iter().enumerate() {
        for &i in members {
            cluster_of[leaked[i] as usize] = c as u32;
        }
    }
    let counted = counted_once(final_graph, final_analysis, &cluster_of);
    let retained = &final_analysis.retained;
    let mut clusters: Vec<LeakCluster> = groups
        .iter()
        .map(|members| {
            let mut objects: Vec<u32> = members.iter().map(|&i| leaked[i]).collect();
            objects.sort_by(|&a, &b| retained.get(b as usize).cmp(&retained.get(a as usize)).then(a.cmp(&b)));
            let representative = members.iter().copied().find(|&i| leaked[i] == objects[0]).unwrap_or(members[0]);
            let retained_size =
                objects.iter().filter(|&&v| counted[v as usize]).map(|&v| retained.get(v as usize)).sum();
            LeakCluster {
                class_name: final_analysis.class_name(final_graph, objects[0]).to_string(),
                retained_size,
                path: chains[representative].1.clone(),
                shape: chains[representative].0.clone(),
                objects,
            }
        })
        .collect();
    clusters.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then_with(|| b.objects.len().cmp(&a.objects.len()))
            .then(a.shape.cmp(&b.shape))
    });
    Leaks { clusters, allocated_between: between.len() as u64, still_alive: alive.len() as u64 }
}

/// True when a retainer chain runs through V8's inline caches (a function's feedback cell:
/// literal boilerplates, allocation sites) or the DevTools console: the engine or the debugger
/// holds the object, not the program (memlab leaves these edges out of its traces too).
fn held_by_engine(graph: &HeapGraph, path: &RetainerPath) -> bool {
    path.edges.iter().any(|&e| {
        !graph.edge_has_index(e) && {
            let name = graph.edge_name(e);
            name == "feedback_cell" || name.contains("DevTools console")
        }
    })
}

/// An edge from the root to `node`, if there is one.
fn first_edge_from_root(graph: &HeapGraph, node: u32) -> Option<u32> {
    let root = graph.root();
    if node == root {
        return None;
    }
    graph.edges_of(root).find(|&e| graph.edge_target(e) == node)
}

/// For each node of a cluster: true unless an object of the same cluster dominates it (then
/// its retained size is already inside that object's).
fn counted_once(graph: &HeapGraph, analysis: &Analysis, cluster_of: &[u32]) -> Vec<bool> {
    let children = &analysis.dominator_children();
    let mut counted = vec![false; graph.node_count()];
    // Depth-first over the dominator tree, with the number of open objects per cluster.
    let mut open: HashMap<u32, u32> = HashMap::new();
    let mut stack: Vec<(u32, bool)> = vec![(graph.root(), false)];
    while let Some((v, closing)) = stack.pop() {
        let cluster = cluster_of[v as usize];
        if closing {
            if let Some(count) = open.get_mut(&cluster) {
                *count -= 1;
            }
            continue;
        }
        if cluster != u32::MAX {
            let count = open.entry(cluster).or_insert(0);
            counted[v as usize] = *count == 0;
            *count += 1;
            stack.push((v, true));
        }
        stack.extend(children.get(v).iter().map(|&c| (c, false)));
    }
    counted
}
