//! `heapscope paths FILE (--id N | --class NAME)`: what keeps objects alive, as the k shortest
//! retainer paths of one object, the DevTools retainer chain, or the merged shortest paths of
//! all objects of a class; printed or exported as JSON, Markdown or DOT.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use super::leaks::path_line;
use super::load::{load_and_analyze, ordinals_of};
use crate::analysis::paths::{
    IgnoreSet, RetainerPath, ShortestPathTree, devtools_chain, k_shortest_paths, merge_paths,
};
use crate::export::paths::{document, dot, markdown};
use crate::export::write_atomically;

/// Output formats of `paths`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PathFormat {
    /// One line per path.
    Text,
    /// The versioned JSON document.
    Json,
    /// Markdown tables.
    Md,
    /// A Graphviz digraph.
    Dot,
}

/// What `paths` looks for.
pub struct PathsRequest<'a> {
    /// An object by V8 id.
    pub id: Option<u32>,
    /// Every object of a class.
    pub class: Option<&'a str>,
    /// How many paths.
    pub k: usize,
    /// Retainers (V8 ids) no path may pass through.
    pub ignore: &'a [u32],
    /// DevTools' retainer chain instead of shortest paths (with `--id`).
    pub chain: bool,
    /// Output format.
    pub format: PathFormat,
    /// Write to this file (atomically) instead of stdout.
    pub output: Option<PathBuf>,
}

/// Runs `paths`.
pub fn run(path: &Path, request: &PathsRequest<'_>) -> anyhow::Result<ExitCode> {
    let analyzed = load_and_analyze(path)?;
    let (graph, analysis) = (&analyzed.graph, &analyzed.analysis);
    let ignore = IgnoreSet::new(ordinals_of(graph, path, request.ignore)?);
    let paths: Vec<(RetainerPath, u64)> = match (request.id, request.class) {
        (Some(id), None) => {
            let target = ordinals_of(graph, path, &[id])?[0];
            if request.chain {
                vec![(devtools_chain(graph, analysis, target, &ignore), 1)]
            } else {
                k_shortest_paths(graph, analysis, target, request.k.max(1), &ignore)
                    .into_iter()
                    .map(|p| (p, 1))
                    .collect()
            }
        }
        (None, Some(class)) => {
            let objects: Vec<u32> = (0..graph.node_count() as u32)
                .filter(|&v| analysis.self_sizes.get(v as usize) > 0 && analysis.class_name(graph, v) == class)
                .collect();
            if objects.is_empty() {
                anyhow::bail!("{}: no object of class {class:?}", path.display());
            }
            let tree = ShortestPathTree::new(graph, analysis, &ignore);
            merge_paths(graph, analysis, &tree, &objects)
                .into_iter()
                .take(request.k.max(1))
                .map(|merged| (merged.path, merged.objects.len() as u64))
                .collect()
        }
        _ => anyhow::bail!("give exactly one of --id and --class"),
    };
    if paths.is_empty() {
        anyhow::bail!("{}: no retainer path reaches the object (every path is weak or ignored)", path.display());
    }
    let doc = document(graph, analysis, &path.display().to_string(), &paths);
    let text = match request.format {
        PathFormat::Json => serde_json::to_string_pretty(&doc)? + "\n",
        PathFormat::Md => markdown(&doc),
        PathFormat::Dot => dot(&doc),
        PathFormat::Text => {
            let mut text = String::new();
            for (i, (p, count)) in paths.iter().enumerate() {
                let objects = if *count > 1 { format!(" ({count} objects)") } else { String::new() };
                text.push_str(&format!("path {}{objects}: {}\n", i + 1, path_line(graph, analysis, p)));
            }
            text
        }
    };
    match &request.output {
        Some(file) => write_atomically(file, |out| out.write_all(text.as_bytes()))
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", file.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
