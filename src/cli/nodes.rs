//! `heapscope nodes FILE [--json]`: every node with DevTools' numbers, one JSON object per line.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use super::load::load_and_analyze;

/// Loads and analyzes the file, then prints every node.
pub fn run(path: &Path, _as_json: bool) -> anyhow::Result<ExitCode> {
    let analyzed = load_and_analyze(path)?;
    let (graph, analysis) = (&analyzed.graph, &analyzed.analysis);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for v in 0..graph.node_count() as u32 {
        let i = v as usize;
        let line = json!({
            "id": graph.node_id(v),
            "name": analysis.display_name(graph, v),
            "type": graph.node_type_name(v),
            "class_name": analysis.class_name(graph, v),
            "self_size": analysis.self_sizes[i],
            "retained_size": analysis.retained[i],
            "dominator_id": graph.node_id(analysis.dominator[i]),
            "distance": analysis.distance[i],
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
