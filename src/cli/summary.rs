//! `heapscope summary FILE`: the DevTools Summary table (one row per class).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::json;

use super::load::{load_and_summarize, phases_json};
use crate::analysis::aggregates::{ClassAggregate, RowObjects};
use crate::export::tables::{SummaryRow, csv};
use crate::export::write_atomically;
use crate::format::{distance_text, human_size};

/// Summary sort orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// Retained size, largest first.
    Retained,
    /// Shallow size, largest first.
    Shallow,
    /// Object count, largest first.
    Count,
    /// Distance, nearest first.
    Distance,
    /// Class name, A to Z.
    Name,
}

/// Options of `summary`.
pub struct SummaryOptions<'a> {
    /// Rows to print (all when `None`).
    pub limit: Option<usize>,
    /// Sort order.
    pub sort: SortKey,
    /// Class-name filter.
    pub filter: Option<&'a str>,
    /// JSON output.
    pub json: bool,
    /// Also write the whole (filtered, sorted) table as CSV to this file.
    pub csv: Option<&'a Path>,
}

/// Sorts Summary rows.
pub fn sort_rows(rows: &mut [ClassAggregate], sort: SortKey) {
    match sort {
        SortKey::Retained => {
            rows.sort_by(|a, b| b.retained_size.cmp(&a.retained_size).then_with(|| a.name.cmp(&b.name)))
        }
        SortKey::Shallow => rows.sort_by(|a, b| b.self_size.cmp(&a.self_size).then_with(|| a.name.cmp(&b.name))),
        SortKey::Count => rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name))),
        SortKey::Distance => rows.sort_by(|a, b| a.distance.cmp(&b.distance).then_with(|| a.name.cmp(&b.name))),
        SortKey::Name => rows.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key))),
    }
}

/// Runs `summary`.
pub fn run(path: &Path, options: &SummaryOptions<'_>) -> anyhow::Result<ExitCode> {
    let filter = options.filter.map(regex::Regex::new).transpose()?;
    // The table is all this prints: the rows need not list their objects.
    let mut analyzed = load_and_summarize(path, RowObjects::Counted)?;
    let mut rows = analyzed.summary.take().unwrap_or_default();
    let (graph, analysis) = (&analyzed.graph, &analyzed.analysis);
    let total = analysis.total_size(graph).max(1);
    if let Some(filter) = &filter {
        rows.retain(|r| filter.is_match(&r.name));
    }
    sort_rows(&mut rows, options.sort);
    if let Some(path) = options.csv {
        let table: Vec<SummaryRow<'_>> = rows.iter().map(SummaryRow::from).collect();
        write_atomically(path, |out| csv(&table, out).map_err(std::io::Error::other))
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    }
    let shown = &rows[..options.limit.unwrap_or(rows.len()).min(rows.len())];
    let percent = |v: u64| v as f64 * 100.0 / total as f64;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if options.json {
        let rows_json: Vec<serde_json::Value> = shown
            .iter()
            .map(|r| {
                json!({
                    "class_name": r.name,
                    "key": r.key,
                    "distance": r.distance,
                    "count": r.count,
                    "shallow_size": r.self_size,
                    "shallow_percent": percent(r.self_size),
                    "retained_size": r.retained_size,
                    "retained_percent": percent(r.retained_size),
                })
            })
            .collect();
        let doc = json!({
            "file": path.display().to_string(),
            "format": "v8-heapsnapshot",
            "node_count": graph.node_count(),
            "total_size": analysis.total_size(graph),
            "class_count": rows.len(),
            "rows": rows_json,
            "phases_ms": phases_json(&analyzed.phases),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(
            out,
            "{:<48} {:>9} {:>10} {:>12} {:>6} {:>12} {:>6}",
            "Class", "Distance", "Count", "Shallow", "%", "Retained", "%"
        )?;
        for r in shown {
            let mut name: String = r.name.chars().take(48).collect();
            if name.len() < r.name.len() {
                name.pop();
                name.push('…');
            }
            writeln!(
                out,
                "{:<48} {:>9} {:>10} {:>12} {:>5.1}% {:>12} {:>5.1}%",
                name,
                distance_text(r.distance),
                r.count,
                human_size(r.self_size),
                percent(r.self_size),
                human_size(r.retained_size),
                percent(r.retained_size),
            )?;
        }
        writeln!(
            out,
            "{} classes, {} shown; total {} ({} bytes); analysed in {:.0} ms",
            rows.len(),
            shown.len(),
            human_size(analysis.total_size(graph)),
            analysis.total_size(graph),
            analyzed.took.as_secs_f64() * 1e3
        )?;
    }
    out.flush()?;
    // The process exits next: the kernel takes the graph and the analysis back with the whole
    // address space, sooner than freeing them mapping by mapping (10-30 ms on the 832 MB
    // benchmark snapshot, in three alternating comparisons).
    std::mem::forget(analyzed);
    Ok(ExitCode::SUCCESS)
}
