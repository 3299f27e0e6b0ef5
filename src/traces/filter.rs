//! `Snapshot.filter_traces(filters)` with `tracemalloc.Filter` and `tracemalloc.DomainFilter`.
//!
//! A trace is kept when it matches at least one inclusive filter (if there are any) and every
//! exclusive filter. A `Filter` looks at the most recent frame of a traceback, or with
//! `all_frames` at any frame; file names are normalised as Python does (`os.path.normcase`, and
//! `.pyc` read as `.py`) and matched with `fnmatch`. Matches are worked out once per unique frame
//! and traceback, then per trace only the domain is looked at.

use super::fnmatch::Pattern;
use super::{AllocationTraces, FrameTable, NO_FILE};

/// `tracemalloc.Filter(inclusive, filename_pattern, lineno, all_frames, domain)`.
#[derive(Clone, Debug)]
pub struct Filter {
    /// Keep matching traces (true) or drop them (false).
    pub inclusive: bool,
    /// The normalised pattern.
    pub filename_pattern: String,
    /// Only this line, when set.
    pub lineno: Option<i64>,
    /// Look at every frame, not only the most recent one.
    pub all_frames: bool,
    /// Only this domain, when set.
    pub domain: Option<u32>,
    pattern: Pattern,
}

impl Filter {
    /// A filter, as `tracemalloc.Filter(...)` builds it.
    pub fn new(
        inclusive: bool,
        filename_pattern: &str,
        lineno: Option<i64>,
        all_frames: bool,
        domain: Option<u32>,
    ) -> Self {
        let filename_pattern = normalize_filename(filename_pattern);
        let pattern = Pattern::new(&filename_pattern);
        Self { inclusive, filename_pattern, lineno, all_frames, domain, pattern }
    }

    fn matches_frame(&self, file: Option<&str>, line: i64) -> bool {
        // Python would fail on a `None` file name; it matches no pattern here.
        let Some(file) = file else { return false };
        self.pattern.matches(&normalize_filename(file)) && self.lineno.is_none_or(|wanted| wanted == line)
    }
}

/// `tracemalloc.DomainFilter(inclusive, domain)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainFilter {
    /// Keep the domain (true) or drop it (false).
    pub inclusive: bool,
    /// The domain.
    pub domain: u32,
}

/// Either kind of filter.
#[derive(Clone, Debug)]
pub enum TraceFilter {
    /// A file-name filter.
    Frames(Filter),
    /// A domain filter.
    Domain(DomainFilter),
}

impl TraceFilter {
    fn inclusive(&self) -> bool {
        match self {
            TraceFilter::Frames(f) => f.inclusive,
            TraceFilter::Domain(d) => d.inclusive,
        }
    }
}

/// `_normalize_filename`: `os.path.normcase`, then `.pyc` becomes `.py`.
pub fn normalize_filename(name: &str) -> String {
    let mut name = normcase(name);
    if name.ends_with(".pyc") {
        name.pop();
    }
    name
}

#[cfg(windows)]
fn normcase(name: &str) -> String {
    name.replace('/', "\\").to_lowercase()
}

#[cfg(not(windows))]
fn normcase(name: &str) -> String {
    name.to_string()
}

/// Python's `Filter._match(trace)` for every traceback, ignoring the domain part.
fn traceback_matches(table: &FrameTable, filter: &Filter) -> Vec<bool> {
    let frame_hits: Vec<bool> = (0..table.frame_count())
        .map(|f| {
            let file = table.frame_file[f];
            let name = if file == NO_FILE { None } else { table.file_name(file) };
            filter.matches_frame(name, table.frame_line[f])
        })
        .collect();
    (0..table.traceback_count() as u32)
        .map(|t| {
            let frames = table.traceback(t);
            if filter.all_frames {
                let any = frames.iter().any(|&f| frame_hits[f as usize]);
                if any { filter.inclusive } else { !filter.inclusive }
            } else {
                let hit = frames.first().is_some_and(|&f| frame_hits[f as usize]);
                hit ^ !filter.inclusive
            }
        })
        .collect()
}

/// Which traces `filter_traces(filters)` keeps; `None` when there are no filters (all kept).
pub fn select(traces: &AllocationTraces, filters: &[TraceFilter]) -> Option<Vec<bool>> {
    if filters.is_empty() {
        return None;
    }
    let per_traceback: Vec<Option<Vec<bool>>> = filters
        .iter()
        .map(|filter| match filter {
            TraceFilter::Frames(f) => Some(traceback_matches(&traces.table, f)),
            TraceFilter::Domain(_) => None,
        })
        .collect();
    let matches = |k: usize, trace: usize| -> bool {
        let domain = traces.domain[trace];
        match &filters[k] {
            TraceFilter::Domain(d) => (domain == d.domain) ^ !d.inclusive,
            TraceFilter::Frames(f) => {
                let hits = per_traceback[k].as_deref().unwrap_or(&[]);
                let res = hits[traces.traceback[trace] as usize];
                match f.domain {
                    None => res,
                    Some(wanted) if f.inclusive => res && domain == wanted,
                    Some(wanted) => res || domain != wanted,
                }
            }
        }
    };
    let include: Vec<usize> = (0..filters.len()).filter(|&k| filters[k].inclusive()).collect();
    let exclude: Vec<usize> = (0..filters.len()).filter(|&k| !filters[k].inclusive()).collect();
    Some(
        (0..traces.trace_count())
            .map(|trace| {
                (include.is_empty() || include.iter().any(|&k| matches(k, trace)))
                    && exclude.iter().all(|&k| matches(k, trace))
            })
            .collect(),
    )
}
