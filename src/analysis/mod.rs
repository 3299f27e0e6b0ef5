//! The engine: everything DevTools computes from a heap graph, computed the same way
//! (spec `heap-formats-spec.md` §2), in parallel where order does not matter.
//!
//! Order: DOM state, detached DOM nodes and "Detached " names -> WeakMap edge names and
//! page-owned objects -> essential edges (and their retainer slots) -> dominators, beside the
//! distances, the shallow-size transfer, the statistics, class names (with inferred
//! interfaces) and, when asked for ([`analyze_with_summary`]), the classing of the Summary
//! rows -> retained sizes, beside the rows' outermost objects -> the rows' retained sizes.
//! The dominator tree's children lists are built on first use
//! ([`Analysis::dominator_children`]). DevTools' queriable flag only matters to a live
//! console; it is computed on demand by [`queriable_nodes`].

pub mod aggregates;
pub mod bits;
pub mod dom;
pub mod dominators;
pub mod essential;
pub mod interfaces;
pub mod kinds;
pub mod names;
pub mod paths;
pub mod prefetch;
pub mod reach;
pub mod sizes;
pub mod statistics;
pub mod tree;

pub mod distances;

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::error::ErrorKind;
use crate::graph::{HeapGraph, SizeColumn};
use crate::progress::{Phase, Progress};
use bits::BitVec;
use dom::DomState;
use essential::WeakMapNames;
use kinds::Kinds;
use names::{ClassNames, NodeNames};
pub use statistics::Statistics;
use tree::DominatorChildren;

/// Everything computed from one heap graph. Immutable; share it with `Arc`.
pub struct Analysis {
    /// Type indexes by role.
    pub kinds: Kinds,
    /// Detached DOM nodes and renamed nodes.
    pub dom: DomState,
    /// One bit per node: owned by the page (reachable from a global object or a document
    /// tree), spec §2.3.
    pub page_objects: BitVec,
    /// WeakMap value edge names.
    pub weak_maps: WeakMapNames,
    /// Shallow sizes after the transfer of owned nodes' sizes.
    pub self_sizes: SizeColumn,
    /// Each node's immediate dominator (the root's is itself).
    pub dominator: Vec<u32>,
    /// The dominator tree as children lists, built on first use ([`Analysis::dominator_children`]).
    children: OnceLock<DominatorChildren>,
    /// The root node.
    root: u32,
    /// Retained sizes.
    pub retained: SizeColumn,
    /// DevTools distances (see [`distances`]); empty when the analysis ran without them
    /// ([`Parts::distances`]).
    pub distance: Vec<i32>,
    /// Class names.
    pub classes: ClassNames,
    /// Statistics (code, strings, arrays, ...).
    pub statistics: Statistics,
}

impl Analysis {
    /// The dominator tree as children lists. Built on first use (in parallel; about a tenth of
    /// a second for ten million nodes): call it on a worker thread before a view needs it.
    pub fn dominator_children(&self) -> &DominatorChildren {
        self.children.get_or_init(|| DominatorChildren::new(&self.dominator, self.root))
    }

    /// Node names with DOM-state renames applied.
    pub fn names<'a>(&'a self, graph: &'a HeapGraph) -> NodeNames<'a> {
        NodeNames {
            graph,
            renamed: &self.dom.renamed,
            new_names: &self.dom.new_names,
            renamed_bits: &self.dom.renamed_bits,
        }
    }

    /// A node's class name.
    pub fn class_name<'a>(&'a self, graph: &'a HeapGraph, v: u32) -> &'a str {
        self.classes.text(graph, &self.dom.new_names, v)
    }

    /// A node's display name, as DevTools shows it.
    pub fn display_name(&self, graph: &HeapGraph, v: u32) -> String {
        names::display_name(&self.names(graph), &self.kinds, v)
    }

    /// Total size: the root's retained size plus `extra_native_bytes`.
    pub fn total_size(&self, graph: &HeapGraph) -> u64 {
        self.retained.get(graph.root() as usize) + graph.meta.extra_native_bytes
    }
}

fn check(progress: &dyn Progress) -> Result<(), ErrorKind> {
    if progress.is_cancelled() { Err(ErrorKind::Cancelled) } else { Ok(()) }
}

/// The optional parts of an analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// Compute DevTools distances (the Summary's Distance column, retainer path order, the
    /// leak filter). A comparison of two snapshots does without them.
    pub distances: bool,
}

impl Parts {
    /// Everything.
    pub const ALL: Parts = Parts { distances: true };
    /// What a comparison of class rows and retained sizes reads: no distances.
    pub const FOR_COMPARISON: Parts = Parts { distances: false };
}

/// Runs the whole analysis.
pub fn analyze(graph: &HeapGraph, progress: &dyn Progress) -> Result<Analysis, ErrorKind> {
    analyze_parts(graph, progress, Parts::ALL)
}

/// Runs the analysis with only the optional `parts` asked for.
pub fn analyze_parts(graph: &HeapGraph, progress: &dyn Progress, parts: Parts) -> Result<Analysis, ErrorKind> {
    analyze_with(graph, progress, parts, None).map(|(analysis, _)| analysis)
}

/// Runs the analysis and computes the Summary rows of every node (as
/// [`aggregates::aggregates`] does, with the rows' `objects` as asked), classing the nodes
/// into rows beside the dominators.
pub fn analyze_with_summary(
    graph: &HeapGraph,
    progress: &dyn Progress,
    parts: Parts,
    objects: aggregates::RowObjects,
) -> Result<(Analysis, Vec<aggregates::ClassAggregate>), ErrorKind> {
    let (analysis, rows) = analyze_with(graph, progress, parts, Some(objects))?;
    Ok((analysis, rows.unwrap_or_default()))
}

/// Runs the analysis with only the optional `parts` asked for, and the Summary rows (as
/// [`analyze_with_summary`] computes them) when `summary` says how their objects are kept.
pub fn analyze_with(
    graph: &HeapGraph,
    progress: &dyn Progress,
    parts: Parts,
    summary: Option<aggregates::RowObjects>,
) -> Result<(Analysis, Option<Vec<aggregates::ClassAggregate>>), ErrorKind> {
    let kinds = Kinds::new(&graph.meta);
    progress.phase(Phase::Analysis("flags"), 1);
    let dom = dom::propagate(graph, &kinds);
    let names = NodeNames { graph, renamed: &dom.renamed, new_names: &dom.new_names, renamed_bits: &dom.renamed_bits };
    // The page-object pass, the essential edges and the dominators are the longest chain of
    // steps: the pass runs on every thread, and the dominators beside everything else.
    let (weak_maps, page_objects) =
        rayon::join(|| WeakMapNames::find(graph), || page_owned_objects(graph, &kinds, &names));
    let essential = essential::essential_edges(graph, &kinds, &weak_maps, &page_objects);
    let essential_slots = essential::essential_retainer_slots(graph, &essential);
    check(progress)?;

    progress.phase(Phase::Analysis("dominators, distances, classes, statistics"), 1);
    let has_user_roots =
        graph.edges_of(graph.root()).any(|e| distances::is_user_root(graph, &kinds, &names, graph.edge_target(e)));
    let dominators = || {
        let g = dominators::DominatorGraph {
            first_edge: &graph.first_edge,
            edge_to: &graph.edge_to,
            first_retainer: &graph.first_retainer,
            retainers: &graph.retainers,
            essential: &essential,
            essential_slots: &essential_slots,
            root: graph.root(),
        };
        dominators::immediate_dominators(&g, &|| progress.is_cancelled())
    };
    // The other steps are independent of the dominators. They run one after the other on the
    // second thread: the sequential ones first, the class names and rows (mostly parallel
    // loops) last, so the first thread to finish its share helps with them rather than wait.
    let the_rest = || {
        let distance =
            parts.distances.then(|| distances::distances(graph, &kinds, &names, &weak_maps, &HashSet::new()));
        let self_sizes = sizes::transferred_self_sizes(graph, &kinds, &names, has_user_roots);
        let statistics = statistics::compute(graph, &kinds, &names, &self_sizes);
        let classes = names::class_names(&names, &kinds);
        let rows = summary.map(|objects| {
            let sources = aggregates::RowSources {
                graph,
                self_sizes: &self_sizes,
                distance: distance.as_deref().unwrap_or_default(),
                classes: &classes,
                new_names: &dom.new_names,
                object_type: kinds.object,
            };
            aggregates::ClassRows::classify(&sources, None, objects)
        });
        (self_sizes, statistics, classes, distance, rows)
    };
    let (dominator, (self_sizes, statistics, classes, distance, rows)) = rayon::join(dominators, the_rest);
    drop((essential, essential_slots));
    let dominators::Dominators { idom: dominator, preorder, idom_in_preorder, listed } =
        dominator.ok_or(ErrorKind::Cancelled)?;
    check(progress)?;

    progress.phase(Phase::Analysis("retained sizes"), 1);
    // The retained sizes are one sequential pass; beside it, the rows' outermost nodes.
    let root = graph.root();
    let retained = |buffer| sizes::retained_sizes(&self_sizes, &dominator, &preorder, &listed, root, buffer);
    let (retained, outermost) = match &rows {
        Some(rows) => rayon::join(|| retained(Vec::new()), || rows.outermost(&preorder, idom_in_preorder, &listed)),
        // Without rows, the dominators' places are free memory for the retained sizes.
        None => (retained(idom_in_preorder), None),
    };
    drop(preorder);
    debug_assert_eq!(statistics.total, retained.get(root as usize) + graph.meta.extra_native_bytes);
    let analysis = Analysis {
        kinds,
        dom,
        page_objects,
        weak_maps,
        self_sizes,
        dominator,
        children: OnceLock::new(),
        root,
        retained,
        distance: distance.unwrap_or_default(),
        classes,
        statistics,
    };
    let rows = rows.map(|rows| {
        progress.phase(Phase::Analysis("class summary"), 1);
        match outermost {
            Some(outermost) => rows.finish_outermost(&outermost, &analysis.retained),
            None => rows.finish(graph, analysis.dominator_children(), &analysis.retained),
        }
    });
    Ok((analysis, rows))
}

/// DevTools' queriable objects (spec §2.3): everything reachable from the root's
/// non-synthetic children over edges that are not hidden, invisible, internal or weak. These
/// are the objects DevTools lets a live console refer to; no view here needs them for every
/// node, so the analysis does not compute them.
pub fn queriable_nodes(graph: &HeapGraph, kinds: &Kinds) -> BitVec {
    let seeds: Vec<u32> = graph
        .edges_of(graph.root())
        .map(|e| graph.edge_target(e))
        .filter(|&t| graph.node_type(t) != kinds.synthetic)
        .collect();
    let skipped = [kinds.e_hidden, kinds.e_invisible, kinds.e_internal, kinds.e_weak];
    reach::reachable(graph, seeds, &|e| !skipped.contains(&graph.edge_type(e)))
}

/// Everything reachable over non-weak edges from the root's shortcut targets and its
/// `(Document DOM trees)` element, walked in parallel.
fn page_owned_objects(graph: &HeapGraph, kinds: &Kinds, names: &NodeNames<'_>) -> BitVec {
    let seeds: Vec<u32> = graph
        .edges_of(graph.root())
        .filter(|&e| {
            let (ty, t) = (graph.edge_type(e), graph.edge_target(e));
            if ty == kinds.e_element {
                graph.node_type(t) == kinds.synthetic && names.raw_name(t) == "(Document DOM trees)"
            } else {
                ty == kinds.e_shortcut
            }
        })
        .map(|e| graph.edge_target(e))
        .collect();
    reach::reachable(graph, seeds, &|e| graph.edge_type(e) != kinds.e_weak)
}
