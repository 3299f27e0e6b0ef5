//! The command-line interface: one module per subcommand, text tables or `--json`.

mod info;
mod load;
mod nodes;
mod progress_bar;
mod statistics;
mod summary;
mod tracemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::snapshot::Format;

pub use progress_bar::TerminalProgress;
pub use summary::SortKey;
pub use tracemalloc::{KeyArg, TraceOptions};

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
    /// Show the format, counts and load timings of a snapshot or tracemalloc dump.
    Info {
        /// The snapshot or dump file (plain or gzip-compressed).
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// V8: the Summary, one row per class with count, shallow and retained size, as DevTools.
    /// tracemalloc: `Snapshot.statistics(key, cumulative)`, as Python prints it.
    Summary {
        /// The snapshot or dump file.
        file: PathBuf,
        /// Print at most this many rows.
        #[arg(long)]
        limit: Option<usize>,
        /// V8 snapshots: sort order [default: retained].
        #[arg(long, value_enum)]
        sort: Option<SortKey>,
        /// V8 snapshots: only classes whose name matches this regular expression.
        #[arg(long)]
        filter: Option<String>,
        /// tracemalloc dumps: grouping and filters.
        #[command(flatten)]
        trace: TraceOptions,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// tracemalloc: `NEW.compare_to(OLD, key, cumulative)`, as Python prints it.
    Compare {
        /// The older dump.
        old: PathBuf,
        /// The newer dump.
        new: PathBuf,
        /// Print at most this many rows.
        #[arg(long)]
        limit: Option<usize>,
        /// Grouping and filters.
        #[command(flatten)]
        trace: TraceOptions,
        /// Print one JSON object instead of text.
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
        Command::Info { file, json } => match detect(&file) {
            Ok(Format::Pickle) => tracemalloc::info(&file, json),
            Ok(Format::V8) => info::run(&file, json),
            Err(err) => Err(err),
        },
        Command::Nodes { file, json } => v8_only(&file, "nodes").and_then(|()| nodes::run(&file, json)),
        Command::Statistics { file, json } => v8_only(&file, "statistics").and_then(|()| statistics::run(&file, json)),
        Command::Summary { file, limit, sort, filter, trace, json } => match detect(&file) {
            Ok(Format::Pickle) if sort.is_some() || filter.is_some() => Err(anyhow::anyhow!(
                "{}: --sort and --filter apply to V8 snapshots; a tracemalloc summary is in Python's order \
                 (use --include/--exclude to filter traces)",
                file.display()
            )),
            Ok(Format::Pickle) => tracemalloc::summary(&file, &trace, limit, json),
            Ok(Format::V8) if trace.any_set() => Err(anyhow::anyhow!(
                "{}: --key, --cumulative, --include, --exclude, --all-frames and --domain apply to tracemalloc dumps; \
                 this is a V8 heap snapshot",
                file.display()
            )),
            Ok(Format::V8) => summary::run(
                &file,
                &summary::SummaryOptions {
                    limit,
                    sort: sort.unwrap_or(SortKey::Retained),
                    filter: filter.as_deref(),
                    json,
                },
            ),
            Err(err) => Err(err),
        },
        Command::Compare { old, new, limit, trace, json } => match (detect(&old), detect(&new)) {
            (Ok(Format::Pickle), Ok(Format::Pickle)) => tracemalloc::compare_dumps(&old, &new, &trace, limit, json),
            (Ok(Format::V8), Ok(Format::V8)) => Err(anyhow::anyhow!(
                "comparing two V8 heap snapshots is not available yet; `compare` takes two tracemalloc dumps"
            )),
            (Ok(a), Ok(b)) => Err(anyhow::anyhow!(
                "{} is {} but {} is {}; compare takes two files of the same kind",
                old.display(),
                a.describe(),
                new.display(),
                b.describe()
            )),
            (Err(err), _) | (_, Err(err)) => Err(err),
        },
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

/// The content format of a file, as an error naming the file if it cannot be read.
fn detect(path: &std::path::Path) -> anyhow::Result<Format> {
    Ok(crate::snapshot::detect(path)?.format)
}

/// Refuses a tracemalloc dump for a command that needs a V8 heap graph.
fn v8_only(path: &std::path::Path, command: &str) -> anyhow::Result<()> {
    match detect(path)? {
        Format::V8 => Ok(()),
        Format::Pickle => Err(anyhow::anyhow!(
            "{}: `{command}` needs a V8 heap snapshot; this is a tracemalloc dump (try `heapscope summary` or \
             `heapscope info`)",
            path.display()
        )),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
