//! The subcommands on tracemalloc dumps: `info`, `summary` (Python's `statistics()`) and
//! `compare` (Python's `compare_to()`), printing what Python prints.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::json;

use super::TerminalProgress;
use super::load::phases_json;
use crate::snapshot::tracemalloc::{TracemallocLoad, load_file};
use crate::traces::filter::{DomainFilter, Filter, TraceFilter, select};
use crate::traces::stats::{GroupKey, Grouping, KeyType, compare, key_frames, key_text, statistics};
use crate::traces::text::{statistic_diff_text, statistic_text};
use crate::traces::{AllocationTraces, FrameTable};

/// Python's `key_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyArg {
    /// Group by the most recent frame's file and line.
    Lineno,
    /// Group by the most recent frame's file.
    Filename,
    /// Group by the whole traceback.
    Traceback,
}

impl From<KeyArg> for KeyType {
    fn from(key: KeyArg) -> Self {
        match key {
            KeyArg::Lineno => KeyType::Lineno,
            KeyArg::Filename => KeyType::Filename,
            KeyArg::Traceback => KeyType::Traceback,
        }
    }
}

/// Grouping and `filter_traces` options shared by `summary` and `compare` on tracemalloc dumps.
#[derive(Clone, Debug, Default, Args)]
pub struct TraceOptions {
    /// tracemalloc dumps: group by `lineno` (default), `filename` or `traceback`.
    #[arg(long, value_enum)]
    pub key: Option<KeyArg>,
    /// tracemalloc dumps: count every frame of a traceback, not only the most recent one.
    #[arg(long)]
    pub cumulative: bool,
    /// tracemalloc dumps: keep only traces whose most recent frame matches this fnmatch pattern,
    /// optionally `PATTERN:LINE` (`tracemalloc.Filter(True, ...)`); repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// tracemalloc dumps: drop traces whose most recent frame matches (`Filter(False, ...)`).
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// tracemalloc dumps: `--include` and `--exclude` look at every frame (`all_frames=True`).
    #[arg(long)]
    pub all_frames: bool,
    /// tracemalloc dumps: keep only this allocation domain (`DomainFilter(True, N)`); repeatable.
    #[arg(long, value_name = "N")]
    pub domain: Vec<u32>,
    /// tracemalloc dumps: drop this allocation domain (`DomainFilter(False, N)`); repeatable.
    #[arg(long, value_name = "N")]
    pub exclude_domain: Vec<u32>,
}

impl TraceOptions {
    /// True when any tracemalloc-only option is set.
    pub fn any_set(&self) -> bool {
        self.key.is_some()
            || self.cumulative
            || !self.include.is_empty()
            || !self.exclude.is_empty()
            || self.all_frames
            || !self.domain.is_empty()
            || !self.exclude_domain.is_empty()
    }

    fn grouping(&self) -> anyhow::Result<Grouping> {
        let key = self.key.map_or(KeyType::Lineno, KeyType::from);
        Ok(Grouping::new(key, self.cumulative)?)
    }

    /// The filters, in the order Python would get them.
    pub fn filters(&self) -> Vec<TraceFilter> {
        let frames = |inclusive: bool, spec: &String| {
            let (pattern, lineno) = split_line(spec);
            TraceFilter::Frames(Filter::new(inclusive, pattern, lineno, self.all_frames, None))
        };
        let mut filters: Vec<TraceFilter> = self.include.iter().map(|s| frames(true, s)).collect();
        filters.extend(self.exclude.iter().map(|s| frames(false, s)));
        filters.extend(self.domain.iter().map(|&domain| TraceFilter::Domain(DomainFilter { inclusive: true, domain })));
        filters.extend(
            self.exclude_domain.iter().map(|&domain| TraceFilter::Domain(DomainFilter { inclusive: false, domain })),
        );
        filters
    }
}

/// `PATTERN:LINE` into the pattern and the line (a pattern without a numeric suffix has none).
fn split_line(spec: &str) -> (&str, Option<i64>) {
    match spec.rsplit_once(':') {
        Some((pattern, line)) if !pattern.is_empty() => match line.parse::<i64>() {
            Ok(line) => (pattern, Some(line)),
            Err(_) => (spec, None),
        },
        _ => (spec, None),
    }
}

fn load(path: &Path) -> anyhow::Result<TracemallocLoad> {
    let progress = TerminalProgress::new();
    let load = load_file(path, &progress);
    progress.finish();
    Ok(load?)
}

/// `heapscope info` on a dump.
pub fn info(path: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let load = load(path)?;
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    let traces = &load.traces;
    let format = if load.gzip { "tracemalloc+gzip" } else { "tracemalloc" };
    let mut stdout = std::io::stdout().lock();
    if as_json {
        let out = json!({
            "file": path.display().to_string(),
            "format": format,
            "layout": traces.layout.describe(),
            "trace_count": traces.trace_count(),
            "frame_count": traces.table.frame_count(),
            "traceback_count": traces.table.traceback_count(),
            "file_count": traces.table.files.len(),
            "traceback_limit": traces.traceback_limit,
            "max_total_nframe": traces.max_total_nframe(),
            "domains": traces.domains(),
            "total_size": traces.total_size(),
            "pickle_bytes": load.pickle_bytes,
            "model_bytes": traces.heap_bytes(),
            "phases_ms": phases_json(&load.phases),
            "total_ms": (total_ms * 1e3).round() / 1e3,
        });
        writeln!(stdout, "{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        writeln!(stdout, "file:             {}", path.display())?;
        writeln!(stdout, "format:           {format}")?;
        writeln!(stdout, "trace layout:     {}", traces.layout.describe())?;
        writeln!(stdout, "traces:           {}", traces.trace_count())?;
        writeln!(stdout, "unique frames:    {}", traces.table.frame_count())?;
        writeln!(stdout, "unique tracebacks: {}", traces.table.traceback_count())?;
        writeln!(stdout, "files:            {}", traces.table.files.len())?;
        writeln!(stdout, "traceback limit:  {}", traces.traceback_limit)?;
        writeln!(stdout, "deepest stack:    {} frames", traces.max_total_nframe())?;
        let domains: Vec<String> = traces.domains().iter().map(|d| d.to_string()).collect();
        writeln!(stdout, "domains:          {}", domains.join(", "))?;
        writeln!(stdout, "total size:       {} bytes", traces.total_size())?;
        let timings: Vec<String> = load
            .phases
            .iter()
            .map(|(phase, took)| format!("{} {:.0} ms", phase.name(), took.as_secs_f64() * 1e3))
            .collect();
        writeln!(stdout, "phases:           {} (total {total_ms:.0} ms)", timings.join(", "))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One frame of a JSON row.
#[derive(Serialize)]
struct FrameJson<'a> {
    file: &'a str,
    line: i64,
}

/// One JSON row of `summary` or `compare`.
#[derive(Serialize)]
struct RowJson<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<i64>,
    traceback: Vec<FrameJson<'a>>,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_diff: Option<i128>,
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    count_diff: Option<i128>,
    text: String,
}

/// The `summary --json` document.
#[derive(Serialize)]
struct SummaryJson<'a> {
    file: String,
    format: &'static str,
    key: &'static str,
    cumulative: bool,
    trace_count: usize,
    selected_trace_count: usize,
    total_size: u64,
    row_count: usize,
    rows: Vec<RowJson<'a>>,
}

/// The `compare --json` document.
#[derive(Serialize)]
struct CompareJson<'a> {
    old: String,
    new: String,
    format: &'static str,
    key: &'static str,
    cumulative: bool,
    old_total_size: u64,
    new_total_size: u64,
    row_count: usize,
    rows: Vec<RowJson<'a>>,
}

fn row_json<'a>(table: &'a FrameTable, grouping: Grouping, key: GroupKey, text: String) -> RowJson<'a> {
    let frames = key_frames(table, grouping.key, key);
    let (file, line) = frames.first().copied().unwrap_or(("", 0));
    RowJson {
        file,
        line: (grouping.key != KeyType::Filename).then_some(line),
        traceback: frames.iter().map(|&(file, line)| FrameJson { file, line }).collect(),
        size: 0,
        size_diff: None,
        count: 0,
        count_diff: None,
        text,
    }
}

/// Writes the traceback of a `traceback`-key row as `Traceback.format()` does (without source).
fn write_frames(
    out: &mut impl std::io::Write,
    table: &FrameTable,
    grouping: Grouping,
    key: GroupKey,
) -> std::io::Result<()> {
    if grouping.key == KeyType::Traceback {
        for (file, line) in key_frames(table, grouping.key, key) {
            writeln!(out, "  File \"{file}\", line {line}")?;
        }
    }
    Ok(())
}

fn selection(traces: &AllocationTraces, options: &TraceOptions) -> Option<Vec<bool>> {
    select(traces, &options.filters())
}

/// `heapscope summary` on a dump: `Snapshot.statistics(key, cumulative)`.
pub fn summary(path: &Path, options: &TraceOptions, limit: Option<usize>, as_json: bool) -> anyhow::Result<ExitCode> {
    let grouping = options.grouping()?;
    let load = load(path)?;
    let traces = &load.traces;
    let selected = selection(traces, options);
    let stats = statistics(traces, grouping, selected.as_deref());
    let shown = &stats.rows[..limit.unwrap_or(stats.rows.len()).min(stats.rows.len())];
    let table = &traces.table;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if as_json {
        let rows: Vec<RowJson<'_>> = shown
            .iter()
            .map(|row| {
                let text = statistic_text(&key_text(table, grouping.key, row.key), row.size, row.count);
                RowJson { size: row.size, count: row.count, ..row_json(table, grouping, row.key, text) }
            })
            .collect();
        let doc = SummaryJson {
            file: path.display().to_string(),
            format: "tracemalloc",
            key: grouping.key.name(),
            cumulative: grouping.cumulative,
            trace_count: traces.trace_count(),
            selected_trace_count: selected.as_ref().map_or(traces.trace_count(), |s| s.iter().filter(|&&k| k).count()),
            total_size: traces.total_size(),
            row_count: stats.rows.len(),
            rows,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        for row in shown {
            writeln!(out, "{}", statistic_text(&key_text(table, grouping.key, row.key), row.size, row.count))?;
            write_frames(&mut out, table, grouping, row.key)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `heapscope compare OLD NEW` on two dumps: `new.compare_to(old, key, cumulative)`.
pub fn compare_dumps(
    old_path: &Path,
    new_path: &Path,
    options: &TraceOptions,
    limit: Option<usize>,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let grouping = options.grouping()?;
    let (old, new) = (load(old_path)?, load(new_path)?);
    let old_selected = selection(&old.traces, options);
    let new_selected = selection(&new.traces, options);
    let diff = compare(&new.traces, new_selected.as_deref(), &old.traces, old_selected.as_deref(), grouping);
    let shown = &diff.rows[..limit.unwrap_or(diff.rows.len()).min(diff.rows.len())];
    let table = &diff.table;
    let text = |row: &crate::traces::stats::StatisticDiff| {
        statistic_diff_text(&key_text(table, grouping.key, row.key), row.size, row.size_diff, row.count, row.count_diff)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if as_json {
        let rows: Vec<RowJson<'_>> = shown
            .iter()
            .map(|row| RowJson {
                size: row.size,
                size_diff: Some(row.size_diff),
                count: row.count,
                count_diff: Some(row.count_diff),
                ..row_json(table, grouping, row.key, text(row))
            })
            .collect();
        let doc = CompareJson {
            old: old_path.display().to_string(),
            new: new_path.display().to_string(),
            format: "tracemalloc",
            key: grouping.key.name(),
            cumulative: grouping.cumulative,
            old_total_size: old.traces.total_size(),
            new_total_size: new.traces.total_size(),
            row_count: diff.rows.len(),
            rows,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        for row in shown {
            writeln!(out, "{}", text(row))?;
            write_frames(&mut out, table, grouping, row.key)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
