//! Retainer paths: what keeps an object alive.
//!
//! - [`devtools_chain`]: the chain DevTools' Retainers view expands by itself (spec §2.12): from
//!   the object, repeatedly the first retainer in DevTools' order, up to 20 retainers.
//! - [`shortest_path`]: a shortest path from the root to the object over non-weak edges.
//! - [`k_shortest_paths`]: the `k` shortest distinct simple paths (Yen's algorithm).
//! - [`ShortestPathTree`]: one breadth-first search from the root giving a shortest path to every
//!   node at once, and [`merge_paths`], MAT's "merge shortest paths" for a set of objects, with
//!   paths of the same [`path_shape`] merged.
//!
//! Every search takes an ignore set: nodes a path may not pass through ("ignore this
//! retainer"). Paths run from the root side to the object.

use std::collections::{HashMap, HashSet, VecDeque};

use rustc_hash::FxHashSet;

use super::Analysis;
use super::bits::BitVec;
use super::names::js_cmp;
use crate::graph::{EdgeFinder, HeapGraph};

/// Distance DevTools gives unreachable retainers in the Retainers view.
pub const UNREACHABLE_VIEW_DISTANCE: i64 = 200_000_000;

/// Most retainers the DevTools chain follows.
pub const DEVTOOLS_CHAIN_LENGTH: usize = 20;

/// A path through the heap graph: `nodes[0]` is where it starts (the root, or for a DevTools
/// chain the outermost retainer shown), the last node is the object, and `edges[i]` leads from
/// `nodes[i]` to `nodes[i + 1]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RetainerPath {
    /// The nodes, outermost first.
    pub nodes: Vec<u32>,
    /// The edges between consecutive nodes.
    pub edges: Vec<u32>,
}

impl RetainerPath {
    /// The path of a single node (no edges).
    pub fn single(node: u32) -> Self {
        Self { nodes: vec![node], edges: Vec::new() }
    }

    /// The object the path leads to.
    pub fn target(&self) -> u32 {
        self.nodes.last().copied().unwrap_or(0)
    }

    /// Number of edges.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    /// True for a path without edges.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }
}

/// Nodes a path may not pass through (the object itself and the root are never ignored).
#[derive(Clone, Debug, Default)]
pub struct IgnoreSet {
    nodes: HashSet<u32>,
}

impl IgnoreSet {
    /// An ignore set of these node ordinals.
    pub fn new(nodes: impl IntoIterator<Item = u32>) -> Self {
        Self { nodes: nodes.into_iter().collect() }
    }

    /// True when `node` is ignored.
    pub fn contains(&self, node: u32) -> bool {
        self.nodes.contains(&node)
    }

    /// Adds a node ("ignore this retainer").
    pub fn insert(&mut self, node: u32) {
        self.nodes.insert(node);
    }

    /// Removes a node ("restore").
    pub fn remove(&mut self, node: u32) {
        self.nodes.remove(&node);
    }

    /// The ignored nodes, ascending.
    pub fn sorted(&self) -> Vec<u32> {
        let mut nodes: Vec<u32> = self.nodes.iter().copied().collect();
        nodes.sort_unstable();
        nodes
    }
}

/// True when the edge is the table-to-value half of a WeakMap pair (DevTools ignores it).
fn is_weak_map_table_edge(graph: &HeapGraph, analysis: &Analysis, source: u32, edge: u32) -> bool {
    graph.edge_type(edge) == analysis.kinds.e_internal
        && analysis
            .weak_maps
            .get(graph.edge_name_or_index(edge))
            .is_some_and(|wm| wm.table_id == u64::from(graph.node_id(source)))
}

/// The distance the Retainers view sorts a retainer by.
fn view_distance(graph: &HeapGraph, analysis: &Analysis, source: u32, edge: u32) -> i64 {
    let d = i64::from(analysis.distance[source as usize]);
    if is_weak_map_table_edge(graph, analysis, source, edge) || d < 0 {
        UNREACHABLE_VIEW_DISTANCE + d.max(0)
    } else {
        d
    }
}

/// The retainers DevTools lists for `node`, in its default order: `(source, edge)` pairs whose
/// edge is neither weak nor invisible and whose source is not the root, sorted by the source's
/// distance, then its display name (JavaScript string order), then retainer slot descending.
pub fn devtools_retainers(graph: &HeapGraph, analysis: &Analysis, node: u32, ignore: &IgnoreSet) -> Vec<(u32, u32)> {
    let kinds = &analysis.kinds;
    let root = graph.root();
    let first_slot = graph.retainers_of(node).start;
    let mut list: Vec<(i64, String, u32, u32, u32)> = (first_slot..)
        .zip(graph.retainer_edges(node))
        .filter_map(|(slot, (source, edge))| {
            let ty = graph.edge_type(edge);
            if ty == kinds.e_weak || ty == kinds.e_invisible || source == root || ignore.contains(source) {
                return None;
            }
            Some((
                view_distance(graph, analysis, source, edge),
                analysis.display_name(graph, source),
                slot,
                source,
                edge,
            ))
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| js_cmp(&a.1, &b.1)).then_with(|| b.2.cmp(&a.2)));
    list.into_iter().map(|(_, _, _, source, edge)| (source, edge)).collect()
}

/// The retainer chain DevTools expands by itself for `node` (spec §2.12): up to 20 retainers,
/// each the first in DevTools' order, stopping at a retainer at distance 1 or less (a user
/// root) or unreachable. The result starts at the outermost retainer.
pub fn devtools_chain(graph: &HeapGraph, analysis: &Analysis, node: u32, ignore: &IgnoreSet) -> RetainerPath {
    let mut nodes = vec![node];
    let mut edges = Vec::new();
    let mut at = node;
    let mut seen: HashSet<u32> = HashSet::from([node]);
    for _ in 0..DEVTOOLS_CHAIN_LENGTH {
        let Some(&(source, edge)) = devtools_retainers(graph, analysis, at, ignore).first() else { break };
        nodes.push(source);
        edges.push(edge);
        let d = i64::from(analysis.distance[source as usize]);
        if d <= 1 || d >= UNREACHABLE_VIEW_DISTANCE || !seen.insert(source) {
            break;
        }
        at = source;
    }
    nodes.reverse();
    edges.reverse();
    RetainerPath { nodes, edges }
}

/// True when a path may use this edge: not weak, and not from an ignored node.
fn usable(graph: &HeapGraph, analysis: &Analysis, source: u32, edge: u32, ignore: &IgnoreSet) -> bool {
    graph.edge_type(edge) != analysis.kinds.e_weak && !ignore.contains(source)
}

/// A shortest path from the root to `target` over non-weak edges that avoids the ignored nodes
/// (breadth-first from the target backwards over its retainers); `None` when there is none.
pub fn shortest_path(graph: &HeapGraph, analysis: &Analysis, target: u32, ignore: &IgnoreSet) -> Option<RetainerPath> {
    let bans = Bans::default();
    shortest_between(graph, analysis, graph.root(), target, ignore, &bans, &mut Search::default())
}

/// Nodes and edges one search may not use (Yen's spur searches).
#[derive(Default)]
struct Bans {
    nodes: FxHashSet<u32>,
    edges: FxHashSet<u32>,
}

/// The buffers of a backward search, kept between the searches of one [`k_shortest_paths`]
/// (a search from far away can visit millions of nodes).
#[derive(Default)]
struct Search {
    /// Nodes reached, one bit each (cleared again after each search).
    seen: BitVec,
    /// The nodes reached, in breadth-first order: (node, index of the node one step closer to
    /// the target, the edge between them).
    reached: Vec<(u32, u32, u32)>,
    /// Finds the edges of retainer slots.
    finder: EdgeFinder,
    /// The edges between a retainer and the node it retains.
    candidates: Vec<u32>,
}

/// A shortest path from `from` to `target`, avoiding ignored and banned nodes and banned edges.
fn shortest_between(
    graph: &HeapGraph,
    analysis: &Analysis,
    from: u32,
    target: u32,
    ignore: &IgnoreSet,
    bans: &Bans,
    search: &mut Search,
) -> Option<RetainerPath> {
    if from == target {
        return Some(RetainerPath::single(target));
    }
    if search.seen.len() != graph.node_count() {
        search.seen = BitVec::zeros(graph.node_count());
    }
    let Search { seen, reached, finder, candidates } = search;
    reached.clear();
    reached.push((target, u32::MAX, u32::MAX));
    seen.set(target as usize);
    let mut found = None;
    let mut head = 0;
    'search: while head < reached.len() {
        let v = reached[head].0;
        let slots = graph.retainers_of(v);
        for slot in slots.clone() {
            let source = graph.retainer_node_at(slot);
            // A source's slots are adjacent; the first one looks at all its edges to `v`.
            if (slot > slots.start && graph.retainer_node_at(slot - 1) == source)
                || seen.get(source as usize)
                || bans.nodes.contains(&source)
            {
                continue;
            }
            finder.edges_between(graph, source, v, candidates);
            let allowed = |&&edge: &&u32| {
                !bans.edges.contains(&edge)
                    && (source == from || usable(graph, analysis, source, edge, ignore))
                    && graph.edge_type(edge) != analysis.kinds.e_weak
            };
            let Some(&edge) = candidates.iter().find(allowed) else { continue };
            seen.set(source as usize);
            reached.push((source, head as u32, edge));
            if source == from {
                found = Some(reached.len() - 1);
                break 'search;
            }
        }
        head += 1;
    }
    let path = found.map(|mut at| {
        let (mut nodes, mut edges) = (vec![from], Vec::new());
        while reached[at].1 != u32::MAX {
            let (_, closer, edge) = reached[at];
            edges.push(edge);
            nodes.push(reached[closer as usize].0);
            at = closer as usize;
        }
        RetainerPath { nodes, edges }
    });
    for &(node, _, _) in reached.iter() {
        seen.clear(node as usize);
    }
    path
}

/// The `k` shortest distinct simple paths from the root to `target` (Yen's algorithm over
/// breadth-first searches), shortest first; fewer when the graph has fewer.
pub fn k_shortest_paths(
    graph: &HeapGraph,
    analysis: &Analysis,
    target: u32,
    k: usize,
    ignore: &IgnoreSet,
) -> Vec<RetainerPath> {
    let Some(first) = shortest_path(graph, analysis, target, ignore) else { return Vec::new() };
    let mut found: Vec<RetainerPath> = vec![first];
    let mut candidates: Vec<RetainerPath> = Vec::new();
    let mut search = Search::default();
    while found.len() < k {
        let last = found[found.len() - 1].clone();
        for spur in 0..last.len() {
            let spur_node = last.nodes[spur];
            let root_nodes = &last.nodes[..=spur];
            let root_edges = &last.edges[..spur];
            let edges: FxHashSet<u32> = found
                .iter()
                .chain(candidates.iter())
                .filter(|p| {
                    p.nodes.len() > spur + 1 && p.nodes[..=spur] == *root_nodes && p.edges[..spur] == *root_edges
                })
                .map(|p| p.edges[spur])
                .collect();
            let bans = Bans { nodes: root_nodes[..spur].iter().copied().collect(), edges };
            let Some(spur_path) = shortest_between(graph, analysis, spur_node, target, ignore, &bans, &mut search)
            else {
                continue;
            };
            let mut nodes = root_nodes[..spur].to_vec();
            nodes.extend_from_slice(&spur_path.nodes);
            let mut edges = root_edges.to_vec();
            edges.extend_from_slice(&spur_path.edges);
            let candidate = RetainerPath { nodes, edges };
            if !found.contains(&candidate) && !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
        // The shortest candidate next (ties: the one found first).
        let Some(best) = candidates.iter().enumerate().min_by_key(|(i, p)| (p.len(), *i)).map(|(i, _)| i) else {
            break;
        };
        found.push(candidates.remove(best));
    }
    found
}

/// A breadth-first search tree from the root over non-weak edges: a shortest path to every
/// reachable node, in one pass.
pub struct ShortestPathTree {
    /// Each node's parent edge (`u32::MAX` for the root and unreached nodes).
    parent_edge: Vec<u32>,
    /// Each node's parent node.
    parent: Vec<u32>,
    root: u32,
}

impl ShortestPathTree {
    /// Runs the search, never entering an ignored node.
    pub fn new(graph: &HeapGraph, analysis: &Analysis, ignore: &IgnoreSet) -> Self {
        let n = graph.node_count();
        let root = graph.root();
        let mut parent = vec![u32::MAX; n];
        let mut parent_edge = vec![u32::MAX; n];
        let mut queue = VecDeque::from([root]);
        parent[root as usize] = root;
        while let Some(v) = queue.pop_front() {
            for e in graph.edges_of(v) {
                let t = graph.edge_target(e);
                if parent[t as usize] != u32::MAX || !usable(graph, analysis, v, e, ignore) || ignore.contains(t) {
                    continue;
                }
                parent[t as usize] = v;
                parent_edge[t as usize] = e;
                queue.push_back(t);
            }
        }
        Self { parent_edge, parent, root }
    }

    /// The path from the root to `node`, if it is reachable.
    pub fn path(&self, node: u32) -> Option<RetainerPath> {
        if self.parent[node as usize] == u32::MAX {
            return None;
        }
        let mut nodes = vec![node];
        let mut edges = Vec::new();
        let mut at = node;
        while at != self.root {
            edges.push(self.parent_edge[at as usize]);
            at = self.parent[at as usize];
            nodes.push(at);
        }
        nodes.reverse();
        edges.reverse();
        Some(RetainerPath { nodes, edges })
    }
}

/// One group of a merged-paths result: objects whose shortest paths have the same shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedPath {
    /// The shortest path to the group's first object, standing for all of them.
    pub path: RetainerPath,
    /// The objects, in the order given.
    pub objects: Vec<u32>,
}

/// MAT's "merge shortest paths" for a set of objects, merging paths of the same
/// [`path_shape`]: a thousand objects each held by its own closure in one listener array
/// make one group of a thousand, not a thousand groups of one. Most objects first, then
/// shorter paths first; objects no path reaches are left out.
pub fn merge_paths(
    graph: &HeapGraph,
    analysis: &Analysis,
    tree: &ShortestPathTree,
    objects: &[u32],
) -> Vec<MergedPath> {
    let mut groups: Vec<(String, MergedPath)> = Vec::new();
    let mut group_of_shape: HashMap<String, usize> = HashMap::new();
    for &object in objects {
        let Some(path) = tree.path(object) else { continue };
        let shape = path_shape(graph, analysis, &path);
        match group_of_shape.get(&shape) {
            Some(&i) => groups[i].1.objects.push(object),
            None => {
                group_of_shape.insert(shape.clone(), groups.len());
                groups.push((shape, MergedPath { path, objects: vec![object] }));
            }
        }
    }
    groups.sort_by(|(a_shape, a), (b_shape, b)| {
        b.objects
            .len()
            .cmp(&a.objects.len())
            .then_with(|| a.path.len().cmp(&b.path.len()))
            .then_with(|| a_shape.cmp(b_shape))
    });
    groups.into_iter().map(|(_, group)| group).collect()
}

/// The shape of a retainer chain: edge kinds and names (element indexes and numeric slot names
/// folded to `[]`) and the classes along it.
pub fn path_shape(graph: &HeapGraph, analysis: &Analysis, path: &RetainerPath) -> String {
    let mut shape = String::new();
    for (i, &node) in path.nodes.iter().enumerate() {
        if i > 0 {
            let edge = path.edges[i - 1];
            let name = graph.edge_name(edge);
            let folded = if graph.edge_has_index(edge) || name.bytes().all(|b| b.is_ascii_digit()) {
                "[]".to_string()
            } else if let Some(rest) = name.split_once(" / ").filter(|(n, _)| n.bytes().all(|b| b.is_ascii_digit())) {
                format!("[] / {}", rest.1)
            } else {
                name.into_owned()
            };
            shape.push_str(&format!(" -{}:{}-> ", graph.edge_type_name(edge), folded));
        }
        shape.push_str(analysis.class_name(graph, node));
    }
    shape
}
