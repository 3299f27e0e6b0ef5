//! The command-line interface: one module per subcommand, text tables or `--json`.

mod info;
mod load;
mod nodes;
mod progress_bar;
mod statistics;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use progress_bar::TerminalProgress;
pub use summary::SortKey;

/// heapscope: analyze V8 heap snapshots and Python tracemalloc dumps.
#[derive(Debug, Parser)]
#[command(name = "heapscope", version, about, long_about = None)]
pub struct Cli {
    /// The command to run; without one, the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files to open in the desktop app (with no command).
    pub files: Vec<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the format, counts and load timings of a snapshot.
    Info {
        /// The snapshot file (plain or gzip-compressed).
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The Summary: one row per class with count, shallow and retained size, as DevTools.
    Summary {
        /// The snapshot file.
        file: PathBuf,
        /// Print at most this many rows.
        #[arg(long)]
        limit: Option<usize>,
        /// Sort order.
        #[arg(long, value_enum, default_value_t = SortKey::Retained)]
        sort: SortKey,
        /// Only classes whose name matches this regular expression.
        #[arg(long)]
        filter: Option<String>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The heap's composition: code, strings, JS arrays, typed arrays, system, native.
    Statistics {
        /// The snapshot file.
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print every node with its class, shallow and retained size, dominator and distance, as
    /// DevTools computes them: one JSON object per line.
    Nodes {
        /// The snapshot file.
        file: PathBuf,
        /// JSON lines (the only output format; accepted for symmetry with other commands).
        #[arg(long)]
        json: bool,
    },
}

/// Runs a subcommand; returns the process exit code (0 ok, 2 error).
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Info { file, json } => info::run(&file, json),
        Command::Nodes { file, json } => nodes::run(&file, json),
        Command::Statistics { file, json } => statistics::run(&file, json),
        Command::Summary { file, limit, sort, filter, json } => {
            summary::run(&file, &summary::SummaryOptions { limit, sort, filter: filter.as_deref(), json })
        }
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`heapscope ... | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("heapscope: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
