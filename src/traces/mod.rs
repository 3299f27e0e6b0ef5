//! The tracemalloc model: the live allocations of one `tracemalloc` snapshot, in columns, with
//! their frames and tracebacks interned.
//!
//! A dump holds one trace per live memory block: `(domain, size, traceback)`. Tracebacks repeat
//! (the same call site allocates many blocks) and frames repeat across tracebacks, so both are
//! interned: memory grows with the number of *unique* frames and tracebacks, and a trace costs
//! 20 bytes (domain u32, size u64, traceback id u32, total_nframe u32).
//!
//! - [`stats`]: `Snapshot.statistics()` and `Snapshot.compare_to()`, with Python's numbers and order.
//! - [`filter`]: `Snapshot.filter_traces()` with `Filter` and `DomainFilter`.
//! - [`call_tree`]: the allocation call tree (root, outermost frame, ..., allocating line).
//! - [`text`]: Python's text forms of sizes, frames and statistics.

pub mod call_tree;
pub mod filter;
pub mod fnmatch;
pub mod stats;
pub mod text;

/// Index of an interned file name.
pub type FileId = u32;
/// Index of an interned frame.
pub type FrameId = u32;
/// Index of an interned traceback.
pub type TracebackId = u32;

/// The file id of a frame whose file name is `None` (some CPython 3.6 builds wrote that).
pub const NO_FILE: FileId = u32::MAX;

/// The trace tuple layout a dump was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceLayout {
    /// `(size, frames)`: CPython 3.4 and 3.5.
    SizeFrames,
    /// `(domain, size, frames)`: CPython 3.6 to 3.8.
    DomainSizeFrames,
    /// `(domain, size, frames, total_nframe)`: CPython 3.9 and later.
    DomainSizeFramesTotal,
}

impl TraceLayout {
    /// The tuple, as Python names its fields.
    pub fn describe(self) -> &'static str {
        match self {
            TraceLayout::SizeFrames => "(size, frames) (CPython 3.4-3.5)",
            TraceLayout::DomainSizeFrames => "(domain, size, frames) (CPython 3.6-3.8)",
            TraceLayout::DomainSizeFramesTotal => "(domain, size, frames, total_nframe) (CPython 3.9+)",
        }
    }
}

/// Interned file names, frames and tracebacks.
///
/// Tracebacks keep the dump's raw order, **most recent frame first**; Python's `Traceback`
/// objects show (and compare) them reversed, oldest first.
#[derive(Clone, Debug, Default)]
pub struct FrameTable {
    /// File names by [`FileId`].
    pub files: Vec<Box<str>>,
    /// Each frame's file ([`NO_FILE`] for `None`).
    pub frame_file: Vec<FileId>,
    /// Each frame's line number.
    pub frame_line: Vec<i64>,
    /// Traceback `t` is `traceback_frames[traceback_start[t]..traceback_start[t + 1]]`.
    pub traceback_start: Vec<u32>,
    /// The frames of all tracebacks, each most recent first.
    pub traceback_frames: Vec<FrameId>,
}

impl FrameTable {
    /// An empty table (with the start offset of traceback 0).
    pub fn new() -> Self {
        Self { traceback_start: vec![0], ..Default::default() }
    }

    /// Number of unique frames.
    pub fn frame_count(&self) -> usize {
        self.frame_file.len()
    }

    /// Number of unique tracebacks.
    pub fn traceback_count(&self) -> usize {
        self.traceback_start.len() - 1
    }

    /// The frames of a traceback, most recent first (the dump's order).
    pub fn traceback(&self, traceback: TracebackId) -> &[FrameId] {
        let t = traceback as usize;
        &self.traceback_frames[self.traceback_start[t] as usize..self.traceback_start[t + 1] as usize]
    }

    /// A file name, or `None` for [`NO_FILE`].
    pub fn file_name(&self, file: FileId) -> Option<&str> {
        self.files.get(file as usize).map(|name| &**name)
    }

    /// A frame's file name as Python prints it (`None` for a missing one).
    pub fn frame_file_text(&self, frame: FrameId) -> &str {
        self.file_name(self.frame_file[frame as usize]).unwrap_or("None")
    }

    /// A frame's line number.
    pub fn frame_line(&self, frame: FrameId) -> i64 {
        self.frame_line[frame as usize]
    }

    /// Bytes held by the table.
    pub fn heap_bytes(&self) -> usize {
        self.files.iter().map(|f| f.len() + 16).sum::<usize>()
            + self.frame_file.capacity() * 4
            + self.frame_line.capacity() * 8
            + self.traceback_start.capacity() * 4
            + self.traceback_frames.capacity() * 4
    }
}

/// The traces of one tracemalloc snapshot, in columns (trace `i` is row `i` of each column).
#[derive(Clone, Debug)]
pub struct AllocationTraces {
    /// Interned files, frames and tracebacks.
    pub table: FrameTable,
    /// Each trace's domain (0 for Python's allocators).
    pub domain: Vec<u32>,
    /// Each trace's block size in bytes.
    pub size: Vec<u64>,
    /// Each trace's traceback.
    pub traceback: Vec<TracebackId>,
    /// Each trace's untruncated traceback depth (CPython 3.9+; otherwise the stored depth).
    pub total_nframe: Vec<u32>,
    /// `Snapshot.traceback_limit`: the most frames a traceback holds.
    pub traceback_limit: i64,
    /// The tuple layout of the dump's traces.
    pub layout: TraceLayout,
}

impl AllocationTraces {
    /// Number of traces (live memory blocks).
    pub fn trace_count(&self) -> usize {
        self.size.len()
    }

    /// Sum of all traces' sizes.
    pub fn total_size(&self) -> u64 {
        self.size.iter().fold(0u64, |sum, &s| sum.saturating_add(s))
    }

    /// The deepest untruncated traceback (`total_nframe`), 0 without traces.
    pub fn max_total_nframe(&self) -> u32 {
        self.total_nframe.iter().copied().max().unwrap_or(0)
    }

    /// The distinct domains, ascending.
    pub fn domains(&self) -> Vec<u32> {
        let mut domains = self.domain.clone();
        domains.sort_unstable();
        domains.dedup();
        domains
    }

    /// Bytes held by the traces and the frame table.
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
            + self.domain.capacity() * 4
            + self.size.capacity() * 8
            + self.traceback.capacity() * 4
            + self.total_nframe.capacity() * 4
    }
}
