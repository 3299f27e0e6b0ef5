//! Loading and analyzing a snapshot for a subcommand, with a progress bar and phase timings.

use std::path::Path;
use std::time::{Duration, Instant};

use super::TerminalProgress;
use crate::analysis::aggregates::{ClassAggregate, RowObjects};
use crate::analysis::{Analysis, Parts, analyze_with};
use crate::graph::HeapGraph;
use crate::progress::{NoProgress, Phase, PhaseTimer, Progress};
use crate::snapshot::{LoadOptions, V8Load, load_v8_file};

/// A loaded and analyzed V8 snapshot.
pub struct Analyzed {
    /// The graph.
    pub graph: HeapGraph,
    /// The analysis.
    pub analysis: Analysis,
    /// The Summary rows, when they were asked for.
    pub summary: Option<Vec<ClassAggregate>>,
    /// Time of each load and analysis phase.
    pub phases: Vec<(Phase, Duration)>,
    /// Total wall time.
    pub took: Duration,
}

/// Loads and analyzes `path`, showing progress on a terminal.
pub fn load_and_analyze(path: &Path) -> anyhow::Result<Analyzed> {
    load_and_analyze_all(path, None)
}

/// Loads and analyzes `path` and computes its Summary rows (with their objects kept as
/// `objects` says; see [`Analyzed::summary`]), showing progress on a terminal.
pub fn load_and_summarize(path: &Path, objects: RowObjects) -> anyhow::Result<Analyzed> {
    load_and_analyze_all(path, Some(objects))
}

fn load_and_analyze_all(path: &Path, summary: Option<RowObjects>) -> anyhow::Result<Analyzed> {
    let bar = TerminalProgress::new();
    let work = Work { parts: Parts::ALL, summary };
    let result = load_and_analyze_with(path, &bar, work, &|_| ()).map(|(analyzed, ())| analyzed);
    bar.finish();
    Ok(result?)
}

/// What an analysis computes.
#[derive(Clone, Copy)]
struct Work {
    parts: Parts,
    summary: Option<RowObjects>,
}

impl Work {
    /// A comparison's: no distances, no Summary rows.
    const FOR_COMPARISON: Work = Work { parts: Parts::FOR_COMPARISON, summary: None };
}

/// Loads and analyzes two snapshots for a comparison: class rows and retained sizes, without
/// distances ([`Parts::FOR_COMPARISON`]). `beside` runs on each graph during its analysis.
///
/// The larger file is loaded first, alone: its load keeps every core busy. The smaller one is
/// loaded and analysed beside the larger one's analysis, whose dominator pass is sequential
/// and leaves a core free. The progress shown on a terminal is the larger one's. When both
/// fail, the error of `first` is the one reported.
pub fn load_and_analyze_pair<T: Send>(
    first: &Path,
    second: &Path,
    beside: impl Fn(&HeapGraph) -> T + Sync,
) -> anyhow::Result<((Analyzed, T), (Analyzed, T))> {
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let second_is_larger = size(second) > size(first);
    let (large, small) = if second_is_larger { (second, first) } else { (first, second) };
    let bar = TerminalProgress::new();
    let started = Instant::now();
    let large_load = match load_v8_file(large, LoadOptions::default(), &bar) {
        Ok(load) => load,
        Err(err) => {
            bar.finish();
            if second_is_larger {
                load_v8_file(first, LoadOptions::default(), &NoProgress)?;
            }
            return Err(err.into());
        }
    };
    let (large_result, small_result) = rayon::join(
        || analyze_loaded(large, large_load, &bar, started, Work::FOR_COMPARISON, &beside),
        || load_and_analyze_with(small, &NoProgress, Work::FOR_COMPARISON, &beside),
    );
    bar.finish();
    let (first_result, second_result) =
        if second_is_larger { (small_result, large_result) } else { (large_result, small_result) };
    Ok((first_result?, second_result?))
}

/// Runs `work` on two snapshots at once (each one's sequential steps leave cores the other
/// can use), showing the progress of `second` on a terminal. When both fail, the error of
/// `first` is the one reported.
fn both<T: Send>(
    first: &Path,
    second: &Path,
    work: impl Fn(&Path, &dyn Progress) -> Result<T, crate::Error> + Sync,
) -> anyhow::Result<(T, T)> {
    let bar = TerminalProgress::new();
    let (a, b) = rayon::join(|| work(first, &NoProgress), || work(second, &bar));
    bar.finish();
    Ok((a?, b?))
}

fn load_and_analyze_with<T: Send>(
    path: &Path,
    progress: &dyn Progress,
    work: Work,
    beside: &(dyn Fn(&HeapGraph) -> T + Sync),
) -> Result<(Analyzed, T), crate::Error> {
    let started = Instant::now();
    let load = load_v8_file(path, LoadOptions::default(), progress)?;
    analyze_loaded(path, load, progress, started, work, beside)
}

/// The analysis half of [`load_and_analyze_with`]; `started` is when the load started.
fn analyze_loaded<T: Send>(
    path: &Path,
    load: V8Load,
    progress: &dyn Progress,
    started: Instant,
    work: Work,
    beside: &(dyn Fn(&HeapGraph) -> T + Sync),
) -> Result<(Analyzed, T), crate::Error> {
    let timer = PhaseTimer::new(progress);
    let (analysis, extra) =
        rayon::join(|| analyze_with(&load.graph, &timer, work.parts, work.summary), || beside(&load.graph));
    let (analysis, summary) = analysis.map_err(|kind| crate::Error::new(path, kind))?;
    let mut phases = load.phases;
    phases.extend(timer.finish());
    Ok((Analyzed { graph: load.graph, analysis, summary, phases, took: started.elapsed() }, extra))
}

/// Phase timings as a JSON object of milliseconds.
pub fn phases_json(phases: &[(Phase, Duration)]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = phases
        .iter()
        .map(|(phase, took)| (phase.name().to_string(), serde_json::json!((took.as_secs_f64() * 1e6).round() / 1e3)))
        .collect();
    serde_json::Value::Object(map)
}

/// The sorted node ids of two V8 snapshots, both loaded at once (see [`both`]); each graph is
/// dropped as soon as its ids are read.
pub fn load_ids_both(first: &Path, second: &Path) -> anyhow::Result<(Vec<u32>, Vec<u32>)> {
    both(first, second, |path, progress| {
        load_v8_file(path, LoadOptions::default(), progress).map(|load| crate::compare::leaks::sorted_ids(&load.graph))
    })
}

/// Node ordinals of V8 ids, or an error naming the first id the snapshot does not have.
pub fn ordinals_of(graph: &HeapGraph, path: &Path, ids: &[u32]) -> anyhow::Result<Vec<u32>> {
    let mut by_id: std::collections::HashMap<u32, u32> = std::collections::HashMap::with_capacity(ids.len());
    for &id in ids {
        by_id.insert(id, u32::MAX);
    }
    for (v, id) in graph.node_ids().iter().enumerate() {
        if let Some(slot) = by_id.get_mut(id) {
            *slot = v as u32;
        }
    }
    ids.iter()
        .map(|id| match by_id.get(id) {
            Some(&v) if v != u32::MAX => Ok(v),
            _ => Err(anyhow::anyhow!("{}: there is no object with id @{id}", path.display())),
        })
        .collect()
}
