//! The command-line interface: one module per subcommand, text tables or `--json`.

mod check;
mod compare;
mod info;
mod leaks;
mod load;
mod nodes;
mod paths;
mod progress_bar;
mod statistics;
mod summary;
mod tracemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::snapshot::Format;

pub use paths::PathFormat;
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
        /// V8 snapshots: also write the whole table as CSV to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// tracemalloc dumps: grouping and filters.
        #[command(flatten)]
        trace: TraceOptions,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// V8: DevTools' Comparison of OLD (base) and NEW, with retained sizes before and after.
    /// tracemalloc: `NEW.compare_to(OLD, key, cumulative)`, as Python prints it.
    Compare {
        /// The older snapshot or dump.
        old: PathBuf,
        /// The newer snapshot or dump.
        new: PathBuf,
        /// Print at most this many rows.
        #[arg(long)]
        limit: Option<usize>,
        /// V8 snapshots: new objects listed per class in `--json` output.
        #[arg(long, default_value_t = 10)]
        new_objects: usize,
        /// V8 snapshots: also write the whole table as CSV to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// tracemalloc dumps: grouping and filters.
        #[command(flatten)]
        trace: TraceOptions,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Objects allocated between BASELINE and TARGET that are still alive in FINAL, in clusters
    /// by retainer chain, largest retained size first (V8 snapshots of one process).
    Leaks {
        /// The snapshot before the action.
        baseline: PathBuf,
        /// The snapshot after the action.
        target: PathBuf,
        /// The snapshot after the action was undone (or repeated).
        #[arg(value_name = "FINAL")]
        final_snapshot: PathBuf,
        /// Print at most this many clusters.
        #[arg(long)]
        limit: Option<usize>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// What keeps objects alive: the K shortest retainer paths of one object (or DevTools'
    /// retainer chain), or the merged shortest paths of every object of a class.
    Paths {
        /// The snapshot file.
        file: PathBuf,
        /// The object, by V8 id (the `@123` DevTools shows).
        #[arg(long, conflicts_with = "class", required_unless_present = "class")]
        id: Option<u32>,
        /// Every object of this class: their shortest paths, those of the same shape (classes and
        /// edge names, element indexes aside) merged into one with a count.
        #[arg(long)]
        class: Option<String>,
        /// How many paths.
        #[arg(long, default_value_t = 3)]
        k: usize,
        /// A retainer (by V8 id) no path may pass through; repeatable.
        #[arg(long, value_name = "ID")]
        ignore: Vec<u32>,
        /// With --id: DevTools' retainer chain instead of the shortest paths.
        #[arg(long, requires = "id")]
        chain: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PathFormat::Text)]
        format: PathFormat,
        /// Write to this file (atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// A memory budget for CI: exit 0 within budget, 1 over it (one line per violation), 2 on
    /// error.
    Check {
        /// The snapshot or dump before.
        baseline: PathBuf,
        /// The snapshot or dump after.
        target: PathBuf,
        /// V8: a third snapshot; objects allocated between the first two and alive in it are leaks.
        #[arg(value_name = "FINAL")]
        final_snapshot: Option<PathBuf>,
        /// Most growth allowed from BASELINE to TARGET (e.g. 10MiB, 512KiB, 2MB, 1048576).
        #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
        max_growth: u64,
        /// V8: check these classes' retained-size growth instead of the total; repeatable.
        #[arg(long, value_name = "NAME")]
        class: Vec<String>,
        /// V8 with FINAL: most bytes the leaked objects may retain [default: --max-growth].
        #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
        max_leaked: Option<u64>,
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
        Command::Summary { file, limit, sort, filter, csv, trace, json } => match detect(&file) {
            Ok(Format::Pickle) if sort.is_some() || filter.is_some() || csv.is_some() => Err(anyhow::anyhow!(
                "{}: --sort, --filter and --csv apply to V8 snapshots; a tracemalloc summary is in Python's order \
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
                    csv: csv.as_deref(),
                },
            ),
            Err(err) => Err(err),
        },
        Command::Compare { old, new, limit, new_objects, csv, trace, json } => match (detect(&old), detect(&new)) {
            (Ok(Format::Pickle), Ok(Format::Pickle)) if csv.is_some() => {
                Err(anyhow::anyhow!("--csv applies to V8 snapshots; use --json for tracemalloc dumps"))
            }
            (Ok(Format::Pickle), Ok(Format::Pickle)) => tracemalloc::compare_dumps(&old, &new, &trace, limit, json),
            (Ok(Format::V8), Ok(Format::V8)) if trace.any_set() => Err(anyhow::anyhow!(
                "--key, --cumulative, --include, --exclude, --all-frames and --domain apply to tracemalloc dumps"
            )),
            (Ok(Format::V8), Ok(Format::V8)) => {
                compare::run(&old, &new, &compare::CompareOptions { limit, new_objects, json, csv: csv.as_deref() })
            }
            (Ok(a), Ok(b)) => Err(anyhow::anyhow!(
                "{} is {} but {} is {}; compare takes two files of the same kind",
                old.display(),
                a.describe(),
                new.display(),
                b.describe()
            )),
            (Err(err), _) | (_, Err(err)) => Err(err),
        },
        Command::Leaks { baseline, target, final_snapshot, limit, json } => v8_only(&baseline, "leaks")
            .and_then(|()| v8_only(&target, "leaks"))
            .and_then(|()| v8_only(&final_snapshot, "leaks"))
            .and_then(|()| leaks::run(&baseline, &target, &final_snapshot, limit, json)),
        Command::Paths { file, id, class, k, ignore, chain, format, output } => {
            v8_only(&file, "paths").and_then(|()| {
                paths::run(
                    &file,
                    &paths::PathsRequest { id, class: class.as_deref(), k, ignore: &ignore, chain, format, output },
                )
            })
        }
        Command::Check { baseline, target, final_snapshot, max_growth, class, max_leaked } => check::run(
            &baseline,
            &target,
            final_snapshot.as_deref(),
            &check::Budget { max_growth, classes: &class, max_leaked },
        ),
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

/// A `--max-growth` style size argument.
fn parse_size_arg(text: &str) -> Result<u64, String> {
    crate::format::parse_size(text)
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
