//! Benchmark: a pair of tracemalloc dumps, heapscope against CPython on the same files, in the
//! same run. Both do the same work: load the two dumps, `new.statistics('lineno')`,
//! `new.compare_to(old, 'lineno')` and `new.compare_to(old, 'traceback')`.
//!
//! ```sh
//! python3 sample-snapshots/gen-tracemalloc-large.py /tmp/tracemalloc-large
//! cargo bench --bench tracemalloc -- /tmp/tracemalloc-large [--runs 5]
//! ```
//!
//! Python runs `sample-snapshots/tracemalloc-bench.py` (its own clock, interpreter start-up
//! excluded); heapscope runs in this process. Each run's wall time is printed, then the medians
//! and their ratio. The row counts of both are compared, so a fast wrong answer shows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use heapscope::NoProgress;
use heapscope::snapshot::tracemalloc::load_file;
use heapscope::traces::stats::{Grouping, KeyType, compare, statistics};

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One heapscope run: seconds and the row counts (statistics, compare lineno, compare traceback).
fn heapscope_run(old: &Path, new: &Path) -> (f64, [usize; 3]) {
    let started = Instant::now();
    let (old, new) = rayon::join(|| load_file(old, &NoProgress), || load_file(new, &NoProgress));
    let (old, new) = (old.unwrap_or_else(|e| panic!("{e}")).traces, new.unwrap_or_else(|e| panic!("{e}")).traces);
    let lineno = Grouping::new(KeyType::Lineno, false).expect("valid");
    let traceback = Grouping::new(KeyType::Traceback, false).expect("valid");
    let stats = statistics(&new, lineno, None);
    let by_line = compare(&new, None, &old, None, lineno);
    let by_traceback = compare(&new, None, &old, None, traceback);
    (started.elapsed().as_secs_f64(), [stats.rows.len(), by_line.rows.len(), by_traceback.rows.len()])
}

/// One Python run: seconds (its own clock) and the same row counts.
fn python_run(script: &Path, old: &Path, new: &Path) -> (f64, [usize; 3]) {
    let output = Command::new("python3").arg(script).arg(old).arg(new).output().expect("run python3");
    assert!(output.status.success(), "python3 failed: {}", String::from_utf8_lossy(&output.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the script's JSON");
    let rows = |key: &str| doc["rows"][key].as_u64().unwrap_or(0) as usize;
    let seconds = doc["seconds"]["total"].as_f64().expect("total seconds");
    (seconds, [rows("statistics_lineno"), rows("compare_lineno"), rows("compare_traceback")])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let dir = PathBuf::from(args.first().map_or("/tmp/tracemalloc-large", String::as_str));
    let runs: usize =
        args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|r| r.parse().ok()).unwrap_or(5);
    let (old, new) = (dir.join("large.old.tracemalloc"), dir.join("large.new.tracemalloc"));
    if !old.exists() || !new.exists() {
        eprintln!(
            "missing {} or {}; make them with: python3 sample-snapshots/gen-tracemalloc-large.py {}",
            old.display(),
            new.display(),
            dir.display()
        );
        std::process::exit(2);
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-snapshots/tracemalloc-bench.py");
    let probe = load_file(&new, &NoProgress).unwrap_or_else(|e| panic!("{e}")).traces;
    println!(
        "pair: {} ({} bytes), {} ({} bytes, {} traces, {} unique tracebacks)",
        old.display(),
        std::fs::metadata(&old).map_or(0, |m| m.len()),
        new.display(),
        std::fs::metadata(&new).map_or(0, |m| m.len()),
        probe.trace_count(),
        probe.table.traceback_count()
    );
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for run in 0..runs {
        // Interleaved, so that machine noise hits both alike.
        let (s, rows) = heapscope_run(&old, &new);
        println!("run {run}: heapscope {:>8.1} ms  rows {rows:?}", s * 1e3);
        ours.push(s);
        if run < runs.div_ceil(2) {
            let (p, python_rows) = python_run(&script, &old, &new);
            println!("run {run}: python    {:>8.1} ms  rows {python_rows:?}", p * 1e3);
            assert_eq!(rows, python_rows, "heapscope and Python disagree on the number of rows");
            theirs.push(p);
        }
    }
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    println!(
        "median: heapscope {:.1} ms, python {:.1} ms, heapscope is {:.1}x faster",
        ours * 1e3,
        theirs * 1e3,
        theirs / ours
    );
}
