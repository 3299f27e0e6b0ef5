//! `heapscope check BASELINE TARGET [FINAL] --max-growth SIZE`: a memory budget for CI.
//!
//! Exit codes: 0 within budget, 1 over budget (one line per violation on stdout), 2 on error.
//! - V8 snapshots: the total size may grow by at most `--max-growth` from baseline to target;
//!   with `--class NAME`, each named class's retained size may grow by at most that instead;
//!   with FINAL, the objects `leaks` finds may retain at most `--max-leaked` (default: the
//!   growth budget).
//! - tracemalloc dumps: the total traced size may grow by at most `--max-growth`.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use super::load::{load_and_analyze, load_and_analyze_pair};
use crate::analysis::aggregates::{RowObjects, aggregates_by};
use crate::compare::leaks::{find_leaks_among, ids_not_in, sorted_ids};
use crate::format::{human_size, signed_size};
use crate::snapshot::Format;

/// The budget.
pub struct Budget<'a> {
    /// Most bytes the heap (or each `classes` entry) may grow by.
    pub max_growth: u64,
    /// Classes to check instead of the total.
    pub classes: &'a [String],
    /// Most bytes leaked objects may retain (with a final snapshot).
    pub max_leaked: Option<u64>,
}

fn budget_text(bytes: u64) -> String {
    format!("{} ({bytes} bytes)", human_size(bytes))
}

/// Runs `check`.
pub fn run(baseline: &Path, target: &Path, final_path: Option<&Path>, budget: &Budget<'_>) -> anyhow::Result<ExitCode> {
    let formats = (super::detect(baseline)?, super::detect(target)?);
    let violations = match formats {
        (Format::Pickle, Format::Pickle) => {
            if !budget.classes.is_empty() || final_path.is_some() || budget.max_leaked.is_some() {
                anyhow::bail!("for tracemalloc dumps, check takes two dumps and --max-growth only");
            }
            let load = |p: &Path| crate::snapshot::tracemalloc::load_file(p, &crate::NoProgress);
            let (old, new) = (load(baseline)?.traces, load(target)?.traces);
            let growth = new.total_size() as i64 - old.total_size() as i64;
            let mut violations = Vec::new();
            if growth > budget.max_growth as i64 {
                violations.push(format!(
                    "traced memory grew by {} ({growth} bytes), over the budget of {}",
                    signed_size(growth),
                    budget_text(budget.max_growth)
                ));
            }
            report_ok(&violations, || format!("traced memory grew by {}", signed_size(growth)));
            violations
        }
        (Format::V8, Format::V8) => v8_violations(baseline, target, final_path, budget)?,
        _ => anyhow::bail!("check takes files of one kind: two or three V8 snapshots, or two tracemalloc dumps"),
    };
    for violation in &violations {
        println!("{violation}");
    }
    Ok(if violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn report_ok(violations: &[String], summary: impl FnOnce() -> String) {
    if violations.is_empty() {
        println!("ok: {}", summary());
    }
}

fn v8_violations(
    baseline: &Path,
    target: &Path,
    final_path: Option<&Path>,
    budget: &Budget<'_>,
) -> anyhow::Result<Vec<String>> {
    let mut violations = Vec::new();
    let mut summary = Vec::new();
    let (between, growth_lines) = {
        // With a final snapshot, the ids of both are sorted while they are analysed.
        let ids = |graph: &crate::graph::HeapGraph| final_path.map(|_| sorted_ids(graph));
        let ((base, base_ids), (current, current_ids)) = load_and_analyze_pair(baseline, target, ids)?;
        let mut lines = Vec::new();
        if budget.classes.is_empty() {
            let growth =
                current.analysis.total_size(&current.graph) as i64 - base.analysis.total_size(&base.graph) as i64;
            summary.push(format!("heap grew by {}", signed_size(growth)));
            if growth > budget.max_growth as i64 {
                lines.push(format!(
                    "heap grew by {} ({growth} bytes), over the budget of {}",
                    signed_size(growth),
                    budget_text(budget.max_growth)
                ));
            }
        } else {
            let retained_by_class = |analyzed: &super::load::Analyzed| -> HashMap<String, u64> {
                let mut sums = HashMap::new();
                let (graph, analysis) = (&analyzed.graph, &analyzed.analysis);
                for row in aggregates_by(graph, analysis, &analysis.classes, None, RowObjects::Counted) {
                    *sums.entry(row.name).or_insert(0) += row.retained_size;
                }
                sums
            };
            let (before, after) = (retained_by_class(&base), retained_by_class(&current));
            for class in budget.classes {
                let growth = *after.get(class).unwrap_or(&0) as i64 - *before.get(class).unwrap_or(&0) as i64;
                summary.push(format!("{class} grew by {}", signed_size(growth)));
                if growth > budget.max_growth as i64 {
                    lines.push(format!(
                        "class {class} grew by {} ({growth} bytes) of retained size, over the budget of {}",
                        signed_size(growth),
                        budget_text(budget.max_growth)
                    ));
                }
            }
        }
        let between = current_ids.zip(base_ids).map(|(current_ids, base_ids)| ids_not_in(&current_ids, &base_ids));
        (between, lines)
    };
    violations.extend(growth_lines);
    if let (Some(final_path), Some(between)) = (final_path, between) {
        let last = load_and_analyze(final_path)?;
        let leaks = find_leaks_among(&between, &last.graph, &last.analysis);
        let leaked: u64 = leaks.clusters.iter().map(|c| c.retained_size).sum();
        let objects: usize = leaks.clusters.iter().map(|c| c.objects.len()).sum();
        let limit = budget.max_leaked.unwrap_or(budget.max_growth);
        summary.push(format!("{objects} leaked objects retain {}", human_size(leaked)));
        if leaked > limit {
            let largest = leaks
                .clusters
                .first()
                .map(|c| {
                    format!(
                        "; largest: {} x{} retaining {}",
                        c.class_name,
                        c.objects.len(),
                        human_size(c.retained_size)
                    )
                })
                .unwrap_or_default();
            violations.push(format!(
                "{objects} objects allocated between baseline and target are still alive in final, in {} clusters \
                 retaining {}, over the budget of {}{largest}",
                leaks.clusters.len(),
                budget_text(leaked),
                budget_text(limit)
            ));
        }
    }
    report_ok(&violations, || summary.join("; "));
    Ok(violations)
}
