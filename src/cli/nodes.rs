//! `heapscope nodes FILE [--json]`: every node with DevTools' numbers, one JSON object per line.
//!
//! Lines are formatted in parallel, a batch at a time, while a writer thread prints the
//! previous batch.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;
use serde::Serialize;

use super::load::load_and_analyze;
use crate::analysis::Analysis;
use crate::graph::HeapGraph;

/// Nodes formatted by one task.
const NODES_PER_TASK: usize = 8_192;
/// Tasks per batch: a batch of about 260,000 lines (some 40 MB) is printed while the next
/// one is formatted.
const TASKS_PER_BATCH: usize = 32;

/// One output line. The fields are in alphabetical order, the order the keys have always been
/// printed in.
#[derive(Serialize)]
struct NodeLine<'a> {
    class_name: &'a str,
    distance: i32,
    dominator_id: u32,
    id: u32,
    name: String,
    retained_size: u64,
    self_size: u64,
    #[serde(rename = "type")]
    node_type: &'a str,
}

/// Loads and analyzes the file, then prints every node.
pub fn run(path: &Path, _as_json: bool) -> anyhow::Result<ExitCode> {
    let analyzed = load_and_analyze(path)?;
    let (graph, analysis) = (&analyzed.graph, &analyzed.analysis);
    let (sender, receiver) = sync_channel::<Vec<Vec<u8>>>(1);
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        for batch in receiver {
            for text in batch {
                out.write_all(&text)?;
            }
        }
        out.flush()
    });
    let n = graph.node_count();
    for start in (0..n).step_by(NODES_PER_TASK * TASKS_PER_BATCH) {
        let end = (start + NODES_PER_TASK * TASKS_PER_BATCH).min(n);
        let batch: Vec<Vec<u8>> = (start..end)
            .into_par_iter()
            .step_by(NODES_PER_TASK)
            .map(|first| format_lines(graph, analysis, first..(first + NODES_PER_TASK).min(end)))
            .collect::<Result<_, _>>()?;
        if sender.send(batch).is_err() {
            break; // the writer stopped; its error is reported below
        }
    }
    drop(sender);
    writer.join().map_err(|_| anyhow::anyhow!("the output thread panicked"))??;
    Ok(ExitCode::SUCCESS)
}

/// The lines of nodes `range`.
fn format_lines(graph: &HeapGraph, analysis: &Analysis, range: std::ops::Range<usize>) -> serde_json::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(range.len() * 160);
    for i in range {
        let v = i as u32;
        let line = NodeLine {
            class_name: analysis.class_name(graph, v),
            distance: analysis.distance[i],
            dominator_id: graph.node_id(analysis.dominator[i]),
            id: graph.node_id(v),
            name: analysis.display_name(graph, v),
            retained_size: analysis.retained.get(i),
            self_size: analysis.self_sizes.get(i),
            node_type: graph.node_type_name(v),
        };
        serde_json::to_writer(&mut text, &line)?;
        text.push(b'\n');
    }
    Ok(text)
}
