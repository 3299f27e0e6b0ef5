//! Load errors: one enum of everything that can be wrong with an input file, and a wrapper that
//! names the file.

use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong with an input. Every variant says where (a byte offset or an array index) when
/// that is known, so a user can look at the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system refused to read the file.
    #[error("cannot read the file: {0}")]
    Io(std::io::Error),
    /// The path names a directory.
    #[error("is a directory, not a snapshot file")]
    IsDirectory,
    /// The file has no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The gzip stream is damaged.
    #[error("the gzip stream is damaged: {0}")]
    Gzip(String),
    /// The content is some other known format than the one expected.
    #[error("this is {found}, not {expected}")]
    WrongFormat {
        /// The format that was expected (e.g. "a V8 heap snapshot").
        expected: &'static str,
        /// The format that was found.
        found: &'static str,
    },
    /// The content is not recognised at all.
    #[error("not a heap snapshot or tracemalloc dump: {0}")]
    UnknownFormat(String),
    /// A JSON syntax error.
    #[error("not valid JSON at byte {offset}: expected {expected}, found {found}")]
    Syntax {
        /// Byte offset in the (decompressed) input.
        offset: u64,
        /// What the parser expected.
        expected: &'static str,
        /// What it found, quoted or described.
        found: String,
    },
    /// The input ends in the middle of something.
    #[error("the file is truncated: it ends at byte {offset} inside {inside}")]
    Truncated {
        /// Where the input ended.
        offset: u64,
        /// What was being read.
        inside: String,
    },
    /// A required part of the snapshot is absent.
    #[error("the snapshot has no {0} section")]
    MissingSection(&'static str),
    /// A section appears twice.
    #[error("the snapshot has two {0} sections")]
    DuplicateSection(&'static str),
    /// A `locations` row names no node.
    #[error(
        "location {row} (index {index} of the locations array) names nodes-array offset {offset}, which is not a node"
    )]
    BadLocation {
        /// The row.
        row: u64,
        /// Index of the offending number in the array.
        index: u64,
        /// The value.
        offset: u64,
    },
    /// The `snapshot` header object is present but unusable.
    #[error("bad snapshot header: {0}")]
    BadHeader(String),
    /// A number in an array is not an unsigned integer that fits its column.
    #[error("bad number in the {array} array at index {index} (byte {offset}): {reason}")]
    BadNumber {
        /// The array ("nodes", "edges", ...).
        array: &'static str,
        /// Index of the number within the array.
        index: u64,
        /// Byte offset in the input.
        offset: u64,
        /// Why it was refused.
        reason: String,
    },
    /// An array's length is not a multiple of its row width.
    #[error("the {array} array has {len} numbers, which is not a multiple of its {stride} fields")]
    Stride {
        /// The array.
        array: &'static str,
        /// How many numbers it holds.
        len: u64,
        /// The row width from `snapshot.meta`.
        stride: usize,
    },
    /// The header count disagrees with the array.
    #[error("the header says {declared} {what}, but the {array} array holds {actual}")]
    CountMismatch {
        /// "nodes" or "edges".
        what: &'static str,
        /// The array holding them.
        array: &'static str,
        /// The header's count.
        declared: u64,
        /// The array's count.
        actual: u64,
    },
    /// The sum of the nodes' edge counts differs from the number of edges.
    #[error("the nodes' edge_count fields add up to {sum} edges, but the edges array holds {actual}")]
    EdgeCountSum {
        /// Σ edge_count.
        sum: u64,
        /// Edges actually present.
        actual: u64,
    },
    /// An edge points at a node that does not exist.
    #[error("edge {edge} points to nodes-array offset {to_node}, {reason}")]
    BadEdgeTarget {
        /// The edge's index (row in the edges array).
        edge: u64,
        /// The raw `to_node` value.
        to_node: u64,
        /// Why it is invalid.
        reason: String,
    },
    /// A node's type index is outside `meta.node_types[0]`.
    #[error("node {node} has type index {type_index}, but only {type_count} node types are declared")]
    UnknownNodeType {
        /// The node's ordinal.
        node: u64,
        /// Its type index.
        type_index: u64,
        /// Length of the declared list.
        type_count: usize,
    },
    /// An edge's type index is outside `meta.edge_types[0]`.
    #[error("edge {edge} has type index {type_index}, but only {type_count} edge types are declared")]
    UnknownEdgeType {
        /// The edge's index.
        edge: u64,
        /// Its type index.
        type_index: u64,
        /// Length of the declared list.
        type_count: usize,
    },
    /// A name refers past the end of the strings array.
    #[error("{what} {index} names string {string}, but there are only {count} strings")]
    BadStringIndex {
        /// "node" or "edge".
        what: &'static str,
        /// The node or edge index.
        index: u64,
        /// The string index.
        string: u64,
        /// The strings array length.
        count: usize,
    },
    /// A pickle that is not a tracemalloc dump (another object, or a global or opcode that a
    /// dump never uses).
    #[error("not a tracemalloc dump: {0}")]
    NotTracemalloc(String),
    /// A pickle that breaks the pickle machine's rules (stack underflow, unknown memo entry...).
    #[error("bad pickle at byte {offset}: {reason}")]
    BadPickle {
        /// Byte offset of the opcode in the (decompressed) input.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Loading and analysing would need more memory than the system has available.
    #[error(
        "loading and analysing it needs about {} ({} nodes and {} edges), but only {} of memory is available; \
         close other programs or use a machine with more memory (set HEAPSCOPE_NO_MEMORY_CHECK=1 to try anyway)",
        crate::format::human_size(*needed), crate::format::group_digits(*nodes), crate::format::group_digits(*edges),
        crate::format::human_size(*available)
    )]
    NotEnoughMemory {
        /// The estimate, in bytes.
        needed: u64,
        /// Memory available, in bytes.
        available: u64,
        /// Nodes the header declares.
        nodes: u64,
        /// Edges the header declares.
        edges: u64,
    },
    /// The snapshot is larger than this program can index.
    #[error("too large: {0}")]
    TooLarge(String),
    /// The user cancelled the load.
    #[error("cancelled")]
    Cancelled,
}

impl From<std::io::Error> for ErrorKind {
    fn from(err: std::io::Error) -> Self {
        ErrorKind::Io(err)
    }
}

/// A load error, naming the file it came from.
#[derive(Debug)]
pub struct Error {
    /// The file (or a description of the source, for in-memory input).
    pub source_name: PathBuf,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// Attaches a file name to an error kind.
    pub fn new(source_name: impl AsRef<Path>, kind: ErrorKind) -> Self {
        Self { source_name: source_name.as_ref().to_path_buf(), kind }
    }

    /// True when the user cancelled the load.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, ErrorKind::Cancelled)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source_name.display(), self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.kind.source()
    }
}

/// Result of a load step that does not know the file name yet.
pub type KindResult<T> = std::result::Result<T, ErrorKind>;

/// Result of a load.
pub type Result<T> = std::result::Result<T, Error>;
