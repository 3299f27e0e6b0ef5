//! `heapscope info FILE [--json]`: format, counts and load timings.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;

use super::TerminalProgress;
use super::load::phases_json;
use crate::snapshot::{LoadOptions, load_v8_file};

/// Loads the file and prints what it is.
pub fn run(path: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let progress = TerminalProgress::new();
    let load = load_v8_file(path, LoadOptions::default(), &progress);
    progress.finish();
    let load = load?;
    let graph = &load.graph;
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    let phases = phases_json(&load.phases);
    let meta = &graph.meta;
    let variant = format!(
        "{} node fields ({}), {} location fields",
        meta.node_fields.len(),
        meta.node_fields.join(", "),
        meta.location_fields.len()
    );
    let format = if load.detected.gzip { "v8-heapsnapshot+gzip" } else { "v8-heapsnapshot" };
    let huge_pages = match crate::alloc::huge_pages() {
        crate::alloc::HugePages::On => "on",
        crate::alloc::HugePages::Off => "off (the default; HEAPSCOPE_HUGE_PAGES=on or auto asks for them)",
        crate::alloc::HugePages::Auto => "on (each fresh mapping checks they are quick)",
    };
    let mut stdout = std::io::stdout().lock();
    if as_json {
        let out = json!({
            "file": path.display().to_string(),
            "format": format,
            "meta_variant": variant,
            "node_fields": meta.node_fields,
            "node_types": meta.node_types,
            "edge_types": meta.edge_types,
            "node_count": graph.node_count(),
            "edge_count": graph.edge_count(),
            "string_count": graph.strings.len(),
            "total_self_size": graph.total_self_size(),
            "extra_native_bytes": meta.extra_native_bytes,
            "trace_function_count": meta.trace_function_count,
            "location_count": graph.locations.len(),
            "graph_bytes": graph.heap_bytes(),
            "huge_pages": huge_pages,
            "phases_ms": phases,
            "total_ms": (total_ms * 1e3).round() / 1e3,
        });
        writeln!(stdout, "{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        writeln!(stdout, "file:            {}", path.display())?;
        writeln!(stdout, "format:          {format}")?;
        writeln!(stdout, "meta:            {variant}")?;
        writeln!(stdout, "nodes:           {}", graph.node_count())?;
        writeln!(stdout, "edges:           {}", graph.edge_count())?;
        writeln!(stdout, "strings:         {}", graph.strings.len())?;
        writeln!(stdout, "total self size: {} bytes", graph.total_self_size())?;
        if meta.extra_native_bytes > 0 {
            writeln!(stdout, "extra native:    {} bytes", meta.extra_native_bytes)?;
        }
        writeln!(stdout, "graph memory:    {:.1} MiB", graph.heap_bytes() as f64 / 1048576.0)?;
        writeln!(stdout, "huge pages:      {huge_pages}")?;
        let timings: Vec<String> = load
            .phases
            .iter()
            .map(|(phase, took)| format!("{} {:.0} ms", phase.name(), took.as_secs_f64() * 1e3))
            .collect();
        writeln!(stdout, "phases:          {} (total {total_ms:.0} ms)", timings.join(", "))?;
    }
    Ok(ExitCode::SUCCESS)
}
