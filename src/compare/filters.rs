//! Node selections for views and searches: objects allocated between two snapshots, detached
//! DOM nodes, duplicated strings, objects retained by the DevTools console, and search by name
//! (substring or `/regex/`) or by `@id`.

use std::collections::{HashMap, VecDeque};

use rayon::prelude::*;

use super::leaks::allocated_between;
use crate::analysis::Analysis;
use crate::graph::HeapGraph;

/// Objects of `later` whose ids `earlier` does not have (ordinals of `later`, ascending).
pub fn objects_allocated_between(earlier: &HeapGraph, later: &HeapGraph) -> Vec<u32> {
    let ids = allocated_between(earlier, later);
    (0..later.node_count() as u32).into_par_iter().filter(|&v| ids.binary_search(&later.node_id(v)).is_ok()).collect()
}

/// Native nodes of detached DOM trees.
pub fn detached_dom(graph: &HeapGraph, analysis: &Analysis) -> Vec<u32> {
    (0..graph.node_count() as u32).into_par_iter().filter(|&v| analysis.dom.detached.get(v as usize)).collect()
}

/// A string value held by more than one string object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateString {
    /// The value (as the snapshot stores it: V8 keeps at most the first 1024 characters).
    pub value: String,
    /// The string objects, in node order.
    pub nodes: Vec<u32>,
    /// Their shallow sizes together.
    pub total_size: u64,
    /// What all but one of them cost.
    pub wasted_size: u64,
}

/// Flat strings whose value appears in two or more string objects, most wasted bytes first.
pub fn duplicated_strings(graph: &HeapGraph, analysis: &Analysis) -> Vec<DuplicateString> {
    let mut by_value: HashMap<u32, Vec<u32>> = HashMap::new();
    for v in 0..graph.node_count() as u32 {
        if graph.node_type(v) == analysis.kinds.string {
            by_value.entry(graph.node_name_index(v)).or_default().push(v);
        }
    }
    let mut duplicates: Vec<DuplicateString> = by_value
        .into_iter()
        .filter(|(_, nodes)| nodes.len() > 1)
        .map(|(name, nodes)| {
            let sizes: Vec<u64> = nodes.iter().map(|&v| analysis.self_sizes.get(v as usize)).collect();
            let total_size: u64 = sizes.iter().sum();
            let largest = sizes.iter().copied().max().unwrap_or(0);
            DuplicateString {
                value: graph.strings.get(name).to_string(),
                nodes,
                total_size,
                wasted_size: total_size - largest,
            }
        })
        .collect();
    duplicates.sort_by(|a, b| b.wasted_size.cmp(&a.wasted_size).then_with(|| a.value.cmp(&b.value)));
    duplicates
}

/// True for an edge the DevTools console holds objects by.
fn is_console_edge(graph: &HeapGraph, edge: u32) -> bool {
    !graph.edge_has_index(edge) && graph.edge_name(edge).contains("DevTools console")
}

/// Objects that only the DevTools console keeps alive: reachable (over non-weak edges) from an
/// edge named "DevTools console...", and not reachable from the root without such an edge.
pub fn retained_by_console(graph: &HeapGraph, analysis: &Analysis) -> Vec<u32> {
    let weak = analysis.kinds.e_weak;
    let reach = |starts: Vec<u32>, skip_console: bool| -> Vec<bool> {
        let mut seen = vec![false; graph.node_count()];
        let mut queue: VecDeque<u32> = VecDeque::new();
        for s in starts {
            if !seen[s as usize] {
                seen[s as usize] = true;
                queue.push_back(s);
            }
        }
        while let Some(v) = queue.pop_front() {
            for e in graph.edges_of(v) {
                let t = graph.edge_target(e);
                if seen[t as usize] || graph.edge_type(e) == weak || (skip_console && is_console_edge(graph, e)) {
                    continue;
                }
                seen[t as usize] = true;
                queue.push_back(t);
            }
        }
        seen
    };
    let console_targets: Vec<u32> = (0..graph.edge_count() as u32)
        .into_par_iter()
        .filter(|&e| is_console_edge(graph, e))
        .map(|e| graph.edge_target(e))
        .collect();
    if console_targets.is_empty() {
        return Vec::new();
    }
    let (by_console, without_console) =
        rayon::join(|| reach(console_targets, false), || reach(vec![graph.root()], true));
    (0..graph.node_count() as u32).filter(|&v| by_console[v as usize] && !without_console[v as usize]).collect()
}

/// A search over nodes.
#[derive(Clone, Debug)]
pub enum NodeQuery {
    /// `@123`: the node with this id.
    Id(u32),
    /// `/re/`: class or name matches the regular expression.
    Regex(regex::Regex),
    /// Anything else: class or name contains the text, ignoring case.
    Text(String),
}

impl NodeQuery {
    /// Parses `@id`, `/regex/` or plain text.
    pub fn parse(query: &str) -> Result<Self, regex::Error> {
        let query = query.trim();
        if let Some(id) = query.strip_prefix('@').and_then(|rest| rest.parse::<u32>().ok()) {
            return Ok(NodeQuery::Id(id));
        }
        if query.len() >= 2 && query.starts_with('/') && query.ends_with('/') {
            return Ok(NodeQuery::Regex(regex::Regex::new(&query[1..query.len() - 1])?));
        }
        Ok(NodeQuery::Text(query.to_lowercase()))
    }

    fn matches_text(&self, text: &str) -> bool {
        match self {
            NodeQuery::Id(_) => false,
            NodeQuery::Regex(re) => re.is_match(text),
            NodeQuery::Text(needle) => text.to_lowercase().contains(needle.as_str()),
        }
    }
}

/// The nodes a query finds, in node order.
pub fn search(graph: &HeapGraph, analysis: &Analysis, query: &NodeQuery) -> Vec<u32> {
    if let NodeQuery::Id(id) = query {
        return graph.node_ids().iter().position(|&x| x == *id).map(|v| vec![v as u32]).unwrap_or_default();
    }
    let names = analysis.names(graph);
    (0..graph.node_count() as u32)
        .into_par_iter()
        .filter(|&v| query.matches_text(analysis.class_name(graph, v)) || query.matches_text(names.raw_name(v)))
        .collect()
}
