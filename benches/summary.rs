//! Benchmark: load + full analysis + class summary of one snapshot, heapscope against
//! Microsoft's `v8-heap-parser` crate on the same file, in the same run.
//!
//! ```sh
//! cargo bench --bench summary -- /tmp/large/large.heapsnapshot [--runs 3]
//! ```
//!
//! Each measurement runs in a fresh child process (this binary, re-run with `--child`), so
//! each tool's peak resident memory is its own (read from `/proc/self/status` `VmHWM`). The
//! output gives the wall time of each run, the medians, and their ratio.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The allocator the heapscope binary uses, for both tools alike.
#[global_allocator]
static ALLOCATOR: heapscope::alloc::MappingAllocator = heapscope::alloc::MappingAllocator;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs one tool once in this process and prints `seconds peak_mib detail`.
fn child(tool: &str, file: &Path) {
    let started = Instant::now();
    let detail = match tool {
        "heapscope" => {
            let load = heapscope::snapshot::load_v8_file(
                file,
                heapscope::snapshot::LoadOptions::default(),
                &heapscope::NoProgress,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            // As `heapscope summary` does: the rows count their objects without listing them.
            let (_analysis, rows) = heapscope::analysis::analyze_with_summary(
                &load.graph,
                &heapscope::NoProgress,
                heapscope::analysis::Parts::ALL,
                heapscope::analysis::aggregates::RowObjects::Counted,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let top = rows.iter().max_by_key(|r| r.retained_size).map(|r| r.name.clone()).unwrap_or_default();
            format!("{} nodes, {} classes, top class {top}", load.graph.node_count(), rows.len())
        }
        "v8-heap-parser" => {
            let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file).expect("open"));
            let graph = v8_heap_parser::decode_reader(reader).expect("v8-heap-parser decode");
            let groups = graph.get_class_groups(false);
            format!("{} nodes, {} classes", graph.nodes().len(), groups.len())
        }
        other => panic!("unknown tool {other}"),
    };
    println!("{:.3} {:.0} {detail}", started.elapsed().as_secs_f64(), peak_rss_mib());
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    heapscope::alloc::configure_from_env();
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], Path::new(&args[2]));
        return;
    }
    let Some(file) = args.iter().find(|a| !a.starts_with("--") && a.parse::<u32>().is_err()).map(PathBuf::from) else {
        eprintln!("usage: cargo bench --bench summary -- FILE.heapsnapshot [--runs N]");
        eprintln!(
            "make a large file with: node --max-old-space-size=16000 --expose-gc sample-snapshots/gen-large.js --out /tmp/large"
        );
        return;
    };
    let runs: usize =
        args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|r| r.parse().ok()).unwrap_or(3);
    let me = std::env::current_exe().expect("own path");
    println!("file: {} ({:.0} MB)", file.display(), std::fs::metadata(&file).map_or(0.0, |m| m.len() as f64 / 1e6));
    let mut medians = Vec::new();
    for tool in ["heapscope", "v8-heap-parser"] {
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        for run in 0..runs {
            let out = Command::new(&me).args(["--child", tool]).arg(&file).output().expect("run child");
            let text = String::from_utf8_lossy(&out.stdout);
            let mut parts = text.trim().splitn(3, ' ');
            let seconds: f64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
            let peak: f64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
            let detail = parts.next().unwrap_or("").to_string();
            if !out.status.success() {
                println!("{tool}: run {run} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
                continue;
            }
            println!("{tool:>15} run {run}: {seconds:.3} s, peak RSS {peak:.0} MiB ({detail})");
            times.push(seconds);
            peaks.push(peak);
        }
        if !times.is_empty() {
            let m = median(&mut times);
            println!("{tool:>15} median: {m:.3} s, peak RSS {:.0} MiB", median(&mut peaks));
            medians.push(m);
        }
    }
    if let [ours, theirs] = medians[..] {
        println!("ratio: heapscope is {:.1}x faster than v8-heap-parser (median wall time)", theirs / ours);
    }
}
