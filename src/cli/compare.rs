//! `heapscope compare BASE CURRENT` on two V8 snapshots: DevTools' Comparison with retained
//! sizes before and after.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use super::load::load_and_analyze_pair;
use crate::compare::v8::{ClassDiff, Side, SnapshotDiff, SortedIds, compare_sorted};
use crate::export::tables::{ComparisonRow, csv};
use crate::export::write_atomically;
use crate::format::{human_size, signed_size};

/// Options of a V8 `compare`.
pub struct CompareOptions<'a> {
    /// Rows to print (all when `None`).
    pub limit: Option<usize>,
    /// New objects listed per class in JSON.
    pub new_objects: usize,
    /// JSON output.
    pub json: bool,
    /// Also write the whole table as CSV to this file.
    pub csv: Option<&'a Path>,
}

/// A new object in JSON output.
#[derive(Serialize)]
struct NewObject {
    id: u32,
    name: String,
    self_size: u64,
    retained_size: u64,
}

/// One JSON row: the exported columns plus the largest new objects.
#[derive(Serialize)]
struct RowJson<'a> {
    #[serde(flatten)]
    row: ComparisonRow<'a>,
    new_objects: Vec<NewObject>,
}

/// The JSON document.
#[derive(Serialize)]
struct CompareJson<'a> {
    base: String,
    current: String,
    format: &'static str,
    same_process: bool,
    common_ids: u64,
    agreeing_ids: u64,
    base_total_size: u64,
    current_total_size: u64,
    row_count: usize,
    rows: Vec<RowJson<'a>>,
}

/// The warning printed when the snapshots cannot be from one process.
pub fn process_warning(diff: &SnapshotDiff) -> Option<String> {
    (!diff.same_process()).then(|| {
        format!(
            "warning: these snapshots do not look like one process ({} common object ids, {} of them the same kind \
             of object); objects are matched by id, so the comparison is not meaningful",
            diff.common_ids, diff.agreeing_ids
        )
    })
}

/// Runs the comparison.
pub fn run(base_path: &Path, current_path: &Path, options: &CompareOptions<'_>) -> anyhow::Result<ExitCode> {
    let ((base, base_ids), (current, current_ids)) = load_and_analyze_pair(base_path, current_path, SortedIds::of)?;
    let diff = compare_sorted(
        Side { graph: &base.graph, analysis: &base.analysis },
        Side { graph: &current.graph, analysis: &current.analysis },
        base_ids,
        current_ids,
    );
    if let Some(path) = options.csv {
        let rows: Vec<ComparisonRow<'_>> = diff.classes.iter().map(ComparisonRow::from).collect();
        write_atomically(path, |out| csv(&rows, out).map_err(std::io::Error::other))
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    }
    let shown: &[ClassDiff] = &diff.classes[..options.limit.unwrap_or(diff.classes.len()).min(diff.classes.len())];
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if options.json {
        let (graph, analysis) = (&current.graph, &current.analysis);
        let rows = shown
            .iter()
            .map(|row| RowJson {
                row: ComparisonRow::from(row),
                new_objects: row
                    .new_objects
                    .iter()
                    .take(options.new_objects)
                    .map(|&v| NewObject {
                        id: graph.node_id(v),
                        name: analysis.display_name(graph, v),
                        self_size: analysis.self_sizes.get(v as usize),
                        retained_size: analysis.retained.get(v as usize),
                    })
                    .collect(),
            })
            .collect();
        let doc = CompareJson {
            base: base_path.display().to_string(),
            current: current_path.display().to_string(),
            format: "v8-heapsnapshot",
            same_process: diff.same_process(),
            common_ids: diff.common_ids,
            agreeing_ids: diff.agreeing_ids,
            base_total_size: diff.base_total,
            current_total_size: diff.current_total,
            row_count: diff.classes.len(),
            rows,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        if let Some(warning) = process_warning(&diff) {
            eprintln!("{warning}");
        }
        writeln!(
            out,
            "{:<40} {:>8} {:>9} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
            "Class",
            "# New",
            "# Deleted",
            "# Delta",
            "Alloc.",
            "Freed",
            "Size Δ",
            "Ret. before",
            "Ret. after",
            "Ret. Δ"
        )?;
        for row in shown {
            let mut name: String = row.name.chars().take(40).collect();
            if name.len() < row.name.len() {
                name.pop();
                name.push('…');
            }
            writeln!(
                out,
                "{:<40} {:>8} {:>9} {:>+8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
                name,
                row.new_count,
                row.deleted_count,
                row.count_delta(),
                human_size(row.alloc_size),
                human_size(row.freed_size),
                signed_size(row.size_delta()),
                human_size(row.retained_before),
                human_size(row.retained_after),
                signed_size(row.retained_delta()),
            )?;
        }
        writeln!(
            out,
            "{} classes changed, {} shown; total {} -> {} ({})",
            diff.classes.len(),
            shown.len(),
            human_size(diff.base_total),
            human_size(diff.current_total),
            signed_size(diff.current_total as i64 - diff.base_total as i64)
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
