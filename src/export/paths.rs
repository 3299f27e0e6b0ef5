//! Retainer paths as documents: JSON (schema below), Markdown tables and Graphviz DOT.
//!
//! The JSON document (`"format": "heapscope-retainer-paths", "version": 1`):
//!
//! ```text
//! { "format": "heapscope-retainer-paths", "version": 1, "snapshot": "<file>",
//!   "paths": [ { "target_id": 123, "count": 1,
//!                "steps": [ { "node_id", "name", "type", "class_name", "self_size",
//!                             "retained_size", "distance", "edge_name", "edge_type" }, ... ] } ] }
//! ```
//!
//! Steps run from the outermost node (usually the root) to the object; `edge_name` and
//! `edge_type` describe the edge from the previous step into this one (`null` on the first).
//! `count` is how many objects share the path (merged paths), otherwise 1.

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::analysis::paths::RetainerPath;
use crate::graph::HeapGraph;

/// The JSON schema's format name.
pub const FORMAT: &str = "heapscope-retainer-paths";
/// The JSON schema's version.
pub const VERSION: u32 = 1;

/// One node of an exported path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The V8 object id.
    pub node_id: u32,
    /// The display name.
    pub name: String,
    /// The node type.
    #[serde(rename = "type")]
    pub node_type: String,
    /// The class name.
    pub class_name: String,
    /// Shallow size (after DevTools' size transfer).
    pub self_size: u64,
    /// Retained size.
    pub retained_size: u64,
    /// DevTools distance.
    pub distance: i32,
    /// The name of the edge into this node (`None` on the first step).
    pub edge_name: Option<String>,
    /// The type of that edge.
    pub edge_type: Option<String>,
}

/// One exported path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRecord {
    /// The object the path leads to.
    pub target_id: u32,
    /// How many objects share this path.
    pub count: u64,
    /// The nodes, outermost first.
    pub steps: Vec<Step>,
}

/// The whole document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathDocument {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The snapshot the paths come from.
    pub snapshot: String,
    /// The paths.
    pub paths: Vec<PathRecord>,
}

/// The steps of a path.
pub fn steps(graph: &HeapGraph, analysis: &Analysis, path: &RetainerPath) -> Vec<Step> {
    path.nodes
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let edge = (i > 0).then(|| path.edges[i - 1]);
            Step {
                node_id: graph.node_id(v),
                name: analysis.display_name(graph, v),
                node_type: graph.node_type_name(v).to_string(),
                class_name: analysis.class_name(graph, v).to_string(),
                self_size: analysis.self_sizes.get(v as usize),
                retained_size: analysis.retained.get(v as usize),
                distance: analysis.distance[v as usize],
                edge_name: edge.map(|e| graph.edge_name(e).into_owned()),
                edge_type: edge.map(|e| graph.edge_type_name(e).to_string()),
            }
        })
        .collect()
}

/// A document of paths, each with the number of objects that share it.
pub fn document(graph: &HeapGraph, analysis: &Analysis, snapshot: &str, paths: &[(RetainerPath, u64)]) -> PathDocument {
    PathDocument {
        format: FORMAT.to_string(),
        version: VERSION,
        snapshot: snapshot.to_string(),
        paths: paths
            .iter()
            .map(|(path, count)| PathRecord {
                target_id: graph.node_id(path.target()),
                count: *count,
                steps: steps(graph, analysis, path),
            })
            .collect(),
    }
}

impl Step {
    /// The name to show: the display name, or the class name for nodes without one (the root,
    /// anonymous closures).
    pub fn label(&self) -> &str {
        if self.name.is_empty() { &self.class_name } else { &self.name }
    }
}

/// Escapes a cell of a Markdown table.
fn md_cell(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    let short = if short.len() < text.len() { format!("{short}…") } else { short };
    short.replace('\\', "\\\\").replace('|', "\\|").replace('\n', " ").replace('`', "'")
}

/// The document as Markdown: one table per path, outermost node first.
pub fn markdown(doc: &PathDocument) -> String {
    let mut out = format!("# Retainer paths in `{}`\n", md_cell(&doc.snapshot));
    for (i, path) in doc.paths.iter().enumerate() {
        let objects = if path.count > 1 { format!(" ({} objects)", path.count) } else { String::new() };
        out.push_str(&format!("\n## Path {} to @{}{objects}\n\n", i + 1, path.target_id));
        out.push_str("| # | edge | node | type | self size | retained size | distance |\n");
        out.push_str("|---:|---|---|---|---:|---:|---:|\n");
        for (n, step) in path.steps.iter().enumerate() {
            let edge = match (&step.edge_type, &step.edge_name) {
                (Some(ty), Some(name)) => format!("{} `{}`", ty, md_cell(name)),
                _ => String::new(),
            };
            out.push_str(&format!(
                "| {n} | {edge} | {} @{} | {} | {} | {} | {} |\n",
                md_cell(step.label()),
                step.node_id,
                step.node_type,
                step.self_size,
                step.retained_size,
                crate::format::distance_text(step.distance)
            ));
        }
    }
    out
}

/// Quotes a DOT string.
fn dot_string(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    let short = if short.len() < text.len() { format!("{short}…") } else { short };
    format!("\"{}\"", short.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

/// The document as a Graphviz digraph: every node once (by id), every path's edges.
pub fn dot(doc: &PathDocument) -> String {
    let mut out = String::from("digraph retainers {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    let mut declared = std::collections::HashSet::new();
    let mut drawn = std::collections::HashSet::new();
    for path in &doc.paths {
        for (i, step) in path.steps.iter().enumerate() {
            if declared.insert(step.node_id) {
                let label = format!(
                    "{} @{}\n{} | self {} | retained {}",
                    step.label(),
                    step.node_id,
                    step.node_type,
                    step.self_size,
                    step.retained_size
                );
                let style = if step.node_id == path.target_id { ", style=filled, fillcolor=\"#ffe0e0\"" } else { "" };
                out.push_str(&format!("  n{} [label={}{style}];\n", step.node_id, dot_string(&label)));
            }
            if i > 0 {
                let from = path.steps[i - 1].node_id;
                let label =
                    format!("{} {}", step.edge_type.as_deref().unwrap_or(""), step.edge_name.as_deref().unwrap_or(""));
                if drawn.insert((from, step.node_id, label.clone())) {
                    out.push_str(&format!("  n{from} -> n{} [label={}];\n", step.node_id, dot_string(&label)));
                }
            }
        }
    }
    out.push_str("}\n");
    out
}
