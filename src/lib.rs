//! heapscope: a fast analyzer for V8 `.heapsnapshot` files and Python `tracemalloc` dumps.
//!
//! - [`snapshot`]: format sniffing and loaders (input).
//! - [`graph`]: the compact heap graph every analysis reads (the V8 model).
//! - [`traces`]: tracemalloc traces in columns, their statistics, comparison and call tree.
//! - [`compare`]: V8 snapshot comparison, three-snapshot leak search, node filters.
//! - [`export`]: retainer paths and tables to JSON, Markdown, DOT and CSV, written atomically.
//! - [`progress`]: progress reporting and cancellation for long-running work.
//! - [`error`]: load errors that name the file and what is wrong with it.
//! - [`cli`]: the command-line interface.
//! - [`alloc`]: the binaries' global allocator (large allocations mapped directly and reused).
//! - [`app`]: the desktop app.

pub mod alloc;
pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod compare;
pub mod error;
pub mod export;
pub mod format;
pub mod graph;
pub mod progress;
pub mod snapshot;
pub mod traces;

pub use error::{Error, ErrorKind};
pub use graph::HeapGraph;
pub use progress::{NoProgress, Phase, Progress};
