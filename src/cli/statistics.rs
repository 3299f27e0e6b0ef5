//! `heapscope statistics FILE`: how the heap splits into code, strings, arrays, system and
//! native memory (DevTools' Statistics view).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use super::load::load_and_analyze;
use crate::format::human_size;

/// Runs `statistics`.
pub fn run(path: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let analyzed = load_and_analyze(path)?;
    let s = analyzed.analysis.statistics;
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = json!({
            "file": path.display().to_string(),
            "total": s.total,
            "v8heap": {"total": s.v8heap, "code": s.code, "strings": s.strings, "js_arrays": s.js_arrays, "system": s.system},
            "native": {"total": s.native, "typed_arrays": s.typed_arrays},
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for (label, value, depth) in s.breakdown() {
            let label = format!("{}{label}", "  ".repeat(depth));
            writeln!(out, "{label:<20} {:>12} {value:>14}", human_size(value))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
