//! `heapscope leaks BASELINE TARGET FINAL`: objects allocated between baseline and target that
//! are still alive in final, in clusters by retainer chain.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use super::load::{load_and_analyze, load_ids_both};
use crate::analysis::Analysis;
use crate::compare::leaks::{Leaks, find_leaks_among, ids_not_in};
use crate::export::paths::{Step, steps};
use crate::format::human_size;
use crate::graph::HeapGraph;

/// A leaked-objects search of three V8 snapshots: the first two loaded at once (only their
/// ids are kept), then the last one.
pub fn search(baseline: &Path, target: &Path, final_path: &Path) -> anyhow::Result<(super::load::Analyzed, Leaks)> {
    let (baseline_ids, target_ids) = load_ids_both(baseline, target)?;
    let between = ids_not_in(&target_ids, &baseline_ids);
    drop((baseline_ids, target_ids));
    let last = load_and_analyze(final_path)?;
    let leaks = find_leaks_among(&between, &last.graph, &last.analysis);
    Ok((last, leaks))
}

/// One step of a cluster's path in JSON.
#[derive(Serialize)]
struct PathStepJson {
    node_id: u32,
    name: String,
    #[serde(rename = "type")]
    node_type: String,
    edge_name: Option<String>,
    edge_type: Option<String>,
}

impl From<Step> for PathStepJson {
    fn from(step: Step) -> Self {
        Self {
            node_id: step.node_id,
            name: step.name,
            node_type: step.node_type,
            edge_name: step.edge_name,
            edge_type: step.edge_type,
        }
    }
}

/// One cluster in JSON.
#[derive(Serialize)]
struct ClusterJson {
    class_name: String,
    count: usize,
    retained_size: u64,
    path: Vec<PathStepJson>,
    object_ids: Vec<u32>,
}

/// The JSON document.
#[derive(Serialize)]
struct LeaksJson {
    baseline: String,
    target: String,
    #[serde(rename = "final")]
    final_snapshot: String,
    allocated_between: u64,
    still_alive: u64,
    cluster_count: usize,
    clusters: Vec<ClusterJson>,
}

/// A path on one line: `(root) -shortcut-> global -property requestHistory-> Array ...`.
pub fn path_line(graph: &HeapGraph, analysis: &Analysis, path: &crate::analysis::paths::RetainerPath) -> String {
    let mut line = String::new();
    for (i, &v) in path.nodes.iter().enumerate() {
        if i > 0 {
            let e = path.edges[i - 1];
            line.push_str(&format!(" -{} {}-> ", graph.edge_type_name(e), graph.edge_name(e)));
        }
        let mut name: String = analysis.display_name(graph, v).chars().take(60).collect();
        if name.is_empty() {
            name = analysis.class_name(graph, v).to_string();
        }
        line.push_str(&format!("{name} @{}", graph.node_id(v)));
    }
    line
}

/// Runs `leaks`.
pub fn run(
    baseline: &Path,
    target: &Path,
    final_path: &Path,
    limit: Option<usize>,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let (last, leaks) = search(baseline, target, final_path)?;
    let (graph, analysis) = (&last.graph, &last.analysis);
    let shown = &leaks.clusters[..limit.unwrap_or(leaks.clusters.len()).min(leaks.clusters.len())];
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if as_json {
        let doc = LeaksJson {
            baseline: baseline.display().to_string(),
            target: target.display().to_string(),
            final_snapshot: final_path.display().to_string(),
            allocated_between: leaks.allocated_between,
            still_alive: leaks.still_alive,
            cluster_count: leaks.clusters.len(),
            clusters: shown
                .iter()
                .map(|c| ClusterJson {
                    class_name: c.class_name.clone(),
                    count: c.objects.len(),
                    retained_size: c.retained_size,
                    path: steps(graph, analysis, &c.path).into_iter().map(PathStepJson::from).collect(),
                    object_ids: c.objects.iter().map(|&v| graph.node_id(v)).collect(),
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{} objects allocated between baseline and target, {} still alive in final; {} leak clusters",
            leaks.allocated_between,
            leaks.still_alive,
            leaks.clusters.len()
        )?;
        for (i, c) in shown.iter().enumerate() {
            writeln!(
                out,
                "\n#{} {} x{}, retained {} ({} bytes)",
                i + 1,
                c.class_name,
                c.objects.len(),
                human_size(c.retained_size),
                c.retained_size
            )?;
            writeln!(out, "  {}", path_line(graph, analysis, &c.path))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
