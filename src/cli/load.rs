//! Loading and analyzing a snapshot for a subcommand, with a progress bar and phase timings.

use std::path::Path;
use std::time::{Duration, Instant};

use super::TerminalProgress;
use crate::analysis::{Analysis, analyze};
use crate::graph::HeapGraph;
use crate::progress::{Phase, PhaseTimer};
use crate::snapshot::{LoadOptions, load_v8_file};

/// A loaded and analyzed V8 snapshot.
pub struct Analyzed {
    /// The graph.
    pub graph: HeapGraph,
    /// The analysis.
    pub analysis: Analysis,
    /// Time of each load and analysis phase.
    pub phases: Vec<(Phase, Duration)>,
    /// Total wall time.
    pub took: Duration,
}

/// Loads and analyzes `path`, showing progress on a terminal.
pub fn load_and_analyze(path: &Path) -> anyhow::Result<Analyzed> {
    let started = Instant::now();
    let bar = TerminalProgress::new();
    let result = (|| {
        let load = load_v8_file(path, LoadOptions::default(), &bar)?;
        let timer = PhaseTimer::new(&bar);
        let analysis = analyze(&load.graph, &timer).map_err(|kind| crate::Error::new(path, kind))?;
        let mut phases = load.phases;
        phases.extend(timer.finish());
        Ok::<_, crate::Error>(Analyzed { graph: load.graph, analysis, phases, took: started.elapsed() })
    })();
    bar.finish();
    Ok(result?)
}

/// Phase timings as a JSON object of milliseconds.
pub fn phases_json(phases: &[(Phase, Duration)]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = phases
        .iter()
        .map(|(phase, took)| (phase.name().to_string(), serde_json::json!((took.as_secs_f64() * 1e6).round() / 1e3)))
        .collect();
    serde_json::Value::Object(map)
}
