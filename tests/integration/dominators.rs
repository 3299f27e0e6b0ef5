//! Dominators and retained sizes on random graphs, against petgraph's `simple_fast` on the
//! graph DevTools dominates (essential edges plus a virtual root edge to every orphan).

use std::collections::{BTreeMap, VecDeque};

use heapscope::analysis::aggregates::{RowObjects, aggregates_by};
use heapscope::analysis::bits::BitVec;
use heapscope::analysis::essential::{WeakMapNames, essential_edges, essential_retainer_slots};
use heapscope::analysis::kinds::Kinds;
use heapscope::analysis::{Parts, analyze, analyze_with_summary};
use heapscope::graph::EdgeFinder;
use heapscope::snapshot::{LoadOptions, load_v8_bytes};
use heapscope::{HeapGraph, NoProgress};
use petgraph::algo::dominators::simple_fast;
use petgraph::graph::{DiGraph, NodeIndex};

pub(crate) const NODE_TYPES: [&str; 4] = ["object", "synthetic", "hidden", "array"];
pub(crate) const EDGE_TYPES: [&str; 7] = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];
const ELEMENT: usize = 1;
const SHORTCUT: usize = 5;
pub(crate) const WEAK: usize = 6;

/// A small deterministic PRNG (xorshift64*).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub(crate) struct RandomGraph {
    pub(crate) types: Vec<usize>,
    pub(crate) sizes: Vec<u64>,
    /// Per node: (edge type, target), in order.
    pub(crate) edges: Vec<Vec<(usize, usize)>>,
}

pub(crate) fn random_graph(rng: &mut Rng) -> RandomGraph {
    let n = 1 + rng.below(40);
    let types: Vec<usize> = (0..n).map(|v| if v == 0 { 1 } else { rng.below(NODE_TYPES.len()) }).collect();
    let sizes: Vec<u64> = (0..n).map(|_| rng.below(100) as u64).collect();
    let density = 1 + rng.below(4);
    let edges: Vec<Vec<(usize, usize)>> = (0..n)
        .map(|_| {
            (0..rng.below(density * 2 + 1))
                .map(|_| {
                    let ty = match rng.below(10) {
                        0 => WEAK,
                        1 => SHORTCUT,
                        2 => ELEMENT,
                        _ => 2,
                    };
                    (ty, rng.below(n))
                })
                .collect()
        })
        .collect();
    RandomGraph { types, sizes, edges }
}

pub(crate) fn to_json(g: &RandomGraph) -> String {
    let mut nodes = Vec::new();
    for (v, ty) in g.types.iter().enumerate() {
        let type_index =
            ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic"]
                .iter()
                .position(|t| *t == NODE_TYPES[*ty])
                .unwrap_or(3);
        nodes.push(format!("{type_index},1,{},{},{}", v * 2 + 1, g.sizes[v], g.edges[v].len()));
    }
    let mut edges = Vec::new();
    for list in &g.edges {
        for &(ty, to) in list {
            let name = if ty == ELEMENT { 0 } else { 2 };
            edges.push(format!("{ty},{name},{}", to * 5));
        }
    }
    let edge_count: usize = g.edges.iter().map(Vec::len).sum();
    format!(
        r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count"],
        "node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number"],
        "edge_fields":["type","name_or_index","to_node"],
        "edge_types":[{},"string_or_number","node"]}},"node_count":{},"edge_count":{}}},
        "nodes":[{}],"edges":[{}],"strings":["<dummy>","Thing","p"]}}"#,
        serde_json::to_string(&EDGE_TYPES).unwrap_or_default(),
        g.types.len(),
        edge_count,
        nodes.join(","),
        edges.join(",")
    )
}

/// The reference: essential edges decided independently, orphans linked to the root, then
/// petgraph's `simple_fast`; nodes it cannot reach are dominated by the root.
fn reference_dominators(g: &RandomGraph) -> Vec<usize> {
    let n = g.types.len();
    // Page objects: reachable from the root's shortcut targets over non-weak edges.
    let mut page = vec![false; n];
    let mut queue: VecDeque<usize> = g.edges[0].iter().filter(|(ty, _)| *ty == SHORTCUT).map(|&(_, t)| t).collect();
    for &t in &queue {
        page[t] = true;
    }
    while let Some(v) = queue.pop_front() {
        for &(ty, t) in &g.edges[v] {
            if ty != WEAK && !page[t] {
                page[t] = true;
                queue.push_back(t);
            }
        }
    }
    let essential = |src: usize, ty: usize, to: usize| -> bool {
        if ty == WEAK || src == to {
            return false;
        }
        if src == 0 {
            return true;
        }
        let into_page = page[to] && !page[src];
        ty != SHORTCUT && !into_page
    };
    let mut graph: DiGraph<(), ()> = DiGraph::new();
    let ids: Vec<NodeIndex> = (0..n).map(|_| graph.add_node(())).collect();
    let mut has_essential_retainer = vec![false; n];
    for (src, list) in g.edges.iter().enumerate() {
        for &(ty, to) in list {
            if essential(src, ty, to) {
                graph.add_edge(ids[src], ids[to], ());
                has_essential_retainer[to] = true;
            }
        }
    }
    for v in 1..n {
        if !has_essential_retainer[v] {
            graph.add_edge(ids[0], ids[v], ());
        }
    }
    let doms = simple_fast(&graph, ids[0]);
    (0..n).map(|v| if v == 0 { 0 } else { doms.immediate_dominator(ids[v]).map_or(0, |d| d.index()) }).collect()
}

pub(crate) fn load(json: &str) -> HeapGraph {
    match load_v8_bytes(json.as_bytes().to_vec(), "random.heapsnapshot", LoadOptions::default(), &NoProgress) {
        Ok(g) => g,
        Err(e) => panic!("{e}\n{json}"),
    }
}

#[test]
fn dominators_agree_with_the_reference_on_random_graphs() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut nontrivial = 0;
    for case in 0..1500 {
        let g = random_graph(&mut rng);
        let json = to_json(&g);
        let graph = load(&json);
        let analysis = analyze(&graph, &NoProgress).expect("analysis");
        let expected = reference_dominators(&g);
        let got: Vec<usize> = analysis.dominator.iter().map(|&d| d as usize).collect();
        assert_eq!(got, expected, "case {case}: dominators differ\n{json}");
        nontrivial += usize::from(expected.iter().enumerate().any(|(v, &d)| v != 0 && d != 0));
    }
    // The generator must produce real trees, not only stars under the root.
    assert!(nontrivial > 500, "only {nontrivial} graphs had a non-root dominator");
}

/// Gives one or two nodes long edge lists (65 to 200 edges) over a few targets, so the same
/// (source, target) pair repeats many times, some of its edges weak or shortcuts and some not.
fn add_hubs(g: &mut RandomGraph, rng: &mut Rng) {
    let n = g.types.len();
    for _ in 0..1 + rng.below(2) {
        let hub = rng.below(n);
        let targets: Vec<usize> = (0..1 + rng.below(4)).map(|_| rng.below(n)).collect();
        let ty = |rng: &mut Rng| match rng.below(8) {
            0 | 1 => WEAK,
            2 => SHORTCUT,
            _ => 2,
        };
        g.edges[hub] = (0..65 + rng.below(136)).map(|_| (ty(rng), targets[rng.below(targets.len())])).collect();
    }
}

#[test]
fn dominators_agree_with_the_reference_when_long_edge_lists_repeat_targets() {
    let mut rng = Rng(0xD1CE_5EED);
    for case in 0..400 {
        let mut g = random_graph(&mut rng);
        add_hubs(&mut g, &mut rng);
        let json = to_json(&g);
        let graph = load(&json);
        let analysis = analyze(&graph, &NoProgress).expect("analysis");
        let got: Vec<usize> = analysis.dominator.iter().map(|&d| d as usize).collect();
        assert_eq!(got, reference_dominators(&g), "case {case}: dominators differ\n{json}");
    }
}

#[test]
fn every_retainer_slot_finds_its_own_edge_and_essential_bit() {
    let mut rng = Rng(0xBEEF_0001);
    let mut repeated_weak = 0;
    for case in 0..300 {
        let mut g = random_graph(&mut rng);
        add_hubs(&mut g, &mut rng);
        let graph = load(&to_json(&g));
        let n = graph.node_count() as u32;
        let graph = &graph;
        let edges_to = |t: u32| -> Vec<(u32, u32)> {
            (0..n)
                .flat_map(|s| graph.edges_of(s).filter(move |&e| graph.edge_target(e) == t).map(move |e| (s, e)))
                .collect()
        };
        let kinds = Kinds::new(&graph.meta);
        // Page objects do not matter here: which bit a slot gets does.
        let essential = essential_edges(graph, &kinds, &WeakMapNames::default(), &BitVec::zeros(graph.node_count()));
        let slots = essential_retainer_slots(graph, &essential);
        let mut finder = EdgeFinder::default();
        let mut found = Vec::new();
        for t in 0..n {
            let expected = edges_to(t);
            let pairs: Vec<(u32, u32)> = graph.retainer_edges(t).collect();
            assert_eq!(pairs, expected, "case {case}: retainers of node {t}");
            for (slot, &(source, edge)) in graph.retainers_of(t).zip(&pairs) {
                assert_eq!(graph.retainer_node_at(slot), source, "case {case}, slot {slot}");
                assert_eq!(
                    slots.get(slot as usize),
                    essential.get(edge as usize),
                    "case {case}, slot {slot}, edge {edge}"
                );
                let twins = pairs.iter().filter(|p| p.0 == source).count();
                repeated_weak += usize::from(twins > 1 && !essential.get(edge as usize));
            }
            // Asked three times, so long edge lists are served from their index too.
            for _ in 0..3 {
                for s in 0..n {
                    finder.edges_between(graph, s, t, &mut found);
                    let scan: Vec<u32> = expected.iter().filter(|p| p.0 == s).map(|p| p.1).collect();
                    assert_eq!(found, scan, "case {case}: edges from {s} to {t}");
                }
            }
        }
    }
    assert!(repeated_weak > 1000, "only {repeated_weak} non-essential slots shared their source with another");
}

#[test]
fn retained_size_is_self_plus_dominated_children() {
    let mut rng = Rng(42);
    for case in 0..1000 {
        let mut g = random_graph(&mut rng);
        // Every third graph has sizes around 4 GiB, whose sums (the transfer to owners, the
        // retained sizes) pass the 32 bits of the narrow size columns.
        if case % 3 == 0 {
            for size in &mut g.sizes {
                *size = (*size << 27) + rng.below(1 << 20) as u64;
            }
        }
        let graph = load(&to_json(&g));
        let a = analyze(&graph, &NoProgress).expect("analysis");
        let n = graph.node_count();
        let mut expected: Vec<u64> = a.self_sizes.to_vec();
        let mut children_sum = vec![0u64; n];
        for v in 1..n {
            children_sum[a.dominator[v] as usize] += a.retained.get(v);
        }
        for v in 0..n {
            expected[v] += children_sum[v];
            assert_eq!(a.retained.get(v), expected[v], "case {case}, node {v}");
        }
        // Every node is in the tree: the root retains everything.
        assert_eq!(a.retained.get(0), a.self_sizes.iter().sum::<u64>(), "case {case}");
        // The transfer moves sizes, never loses them.
        assert_eq!(a.self_sizes.total(), g.sizes.iter().sum::<u64>(), "case {case}");
    }
}

#[test]
fn petgraph_runs_on_the_heap_graph_itself() {
    // Graphs where every edge retains (no weak, shortcut or WeakMap edges) and every node is
    // reachable from the root: there, DevTools' dominators are the plain graph dominators,
    // which petgraph computes through the heap graph's own visit traits.
    let mut rng = Rng(7);
    for case in 0..500 {
        let n = 2 + rng.below(40);
        let types: Vec<usize> = (0..n).map(|v| if v == 0 { 1 } else { 0 }).collect();
        let sizes: Vec<u64> = (0..n).map(|_| rng.below(50) as u64).collect();
        let edges: Vec<Vec<(usize, usize)>> = (0..n)
            .map(|v| {
                let mut list: Vec<(usize, usize)> = (0..rng.below(4)).map(|_| (2, rng.below(n))).collect();
                // Keep every later node reachable through some earlier one.
                list.extend((v + 1..n).filter(|_| rng.below(4) == 0).map(|w| (2, w)));
                list
            })
            .collect();
        let mut g = RandomGraph { types, sizes, edges };
        for w in 1..n {
            if !g.edges.iter().take(w).any(|list| list.iter().any(|&(_, t)| t == w)) {
                let from = rng.below(w);
                g.edges[from].push((2, w));
            }
        }
        let graph = load(&to_json(&g));
        let analysis = analyze(&graph, &NoProgress).expect("analysis");
        let reference = simple_fast(&graph, graph.root());
        for v in 1..graph.node_count() as u32 {
            assert_eq!(Some(analysis.dominator[v as usize]), reference.immediate_dominator(v), "case {case}, node {v}");
        }
    }
}

/// Summary rows' retained sizes from the slow definition: the sum over the objects (nodes
/// with a shallow size) that no object of their class dominates, by class name; and how many
/// objects an object of their class dominates.
fn reference_class_retained(
    graph: &HeapGraph,
    analysis: &heapscope::analysis::Analysis,
) -> (BTreeMap<String, u64>, usize) {
    let root = graph.root();
    let (mut sums, mut nested_count) = (BTreeMap::new(), 0);
    for v in 0..graph.node_count() as u32 {
        if analysis.self_sizes.get(v as usize) == 0 {
            continue;
        }
        let class = analysis.class_name(graph, v);
        let mut nested = false;
        let mut d = v;
        while d != root {
            d = analysis.dominator[d as usize];
            nested |= analysis.self_sizes.get(d as usize) > 0 && analysis.class_name(graph, d) == class;
        }
        if nested {
            nested_count += 1;
        } else {
            *sums.entry(class.to_string()).or_insert(0) += analysis.retained.get(v as usize);
        }
    }
    (sums, nested_count)
}

#[test]
fn class_retained_sizes_agree_with_the_slow_definition_on_random_graphs() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut nested = 0;
    for case in 0..600 {
        let g = random_graph(&mut rng);
        let json = to_json(&g);
        let graph = load(&json);
        let (analysis, rows) = analyze_with_summary(&graph, &NoProgress, Parts::ALL, RowObjects::Counted)
            .unwrap_or_else(|e| panic!("case {case}: {e}"));
        // Beside the dominators (the outermost objects found in preorder) and after them (the
        // dominator tree walked) the rows are the same.
        let walked = aggregates_by(&graph, &analysis, &analysis.classes, None, RowObjects::Counted);
        assert_eq!(rows, walked, "case {case}\n{json}");
        let got: BTreeMap<String, u64> = rows.iter().map(|r| (r.name.clone(), r.retained_size)).collect();
        let (expected, nested_objects) = reference_class_retained(&graph, &analysis);
        assert_eq!(got, expected, "case {case}\n{json}");
        nested += usize::from(nested_objects > 0);
    }
    assert!(nested > 100, "only {nested} graphs nest objects of a class");
}
