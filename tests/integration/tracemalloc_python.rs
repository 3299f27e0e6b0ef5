//! tracemalloc statistics and comparisons against CPython's own output, entry by entry, in order.
//!
//! `sample-snapshots/tracemalloc-expected.py` runs Python's `statistics()` and `compare_to()`
//! for every key type, cumulative flag and a list of filter sets, and writes the rows as JSON.
//! The committed samples come with that output committed; when `python3` is present, fresh dumps
//! are also made and checked the same way (and `HEAPSCOPE_REQUIRE_TOOLS=1`, set in CI, makes a
//! missing `python3` a failure).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use heapscope::NoProgress;
use heapscope::snapshot::tracemalloc::load_file;
use heapscope::traces::AllocationTraces;
use heapscope::traces::filter::{DomainFilter, Filter, TraceFilter, select};
use heapscope::traces::stats::{Grouping, KeyType, compare, key_frames, key_text, statistics};
use heapscope::traces::text::{statistic_diff_text, statistic_text};
use serde_json::Value;

use crate::common::sample;

fn load(path: &Path) -> AllocationTraces {
    match load_file(path, &NoProgress) {
        Ok(load) => load.traces,
        Err(err) => panic!("{err}"),
    }
}

fn read_json(path: &Path) -> Value {
    let raw = std::fs::read(path).expect("read the expected output");
    let mut text = String::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut text).expect("gunzip the expected output");
    } else {
        text = String::from_utf8(raw).expect("utf-8 JSON");
    }
    serde_json::from_str(&text).expect("parse the expected output")
}

fn grouping(case: &Value) -> Grouping {
    let key = match case["key"].as_str() {
        Some("traceback") => KeyType::Traceback,
        Some("lineno") => KeyType::Lineno,
        Some("filename") => KeyType::Filename,
        other => panic!("unknown key {other:?}"),
    };
    Grouping::new(key, case["cumulative"].as_bool().unwrap_or(false)).expect("a valid grouping")
}

/// The filters a case names, built as the Python script builds them.
fn filters(case: &Value) -> Vec<TraceFilter> {
    case["filters"]
        .as_array()
        .expect("a filter list")
        .iter()
        .map(|spec| {
            let inclusive = spec["inclusive"].as_bool().expect("inclusive");
            let domain = spec["domain"].as_u64().map(|d| d as u32);
            if spec["kind"] == "domain" {
                TraceFilter::Domain(DomainFilter { inclusive, domain: domain.expect("a domain") })
            } else {
                TraceFilter::Frames(Filter::new(
                    inclusive,
                    spec["pattern"].as_str().expect("a pattern"),
                    spec["lineno"].as_i64(),
                    spec["all_frames"].as_bool().unwrap_or(false),
                    domain,
                ))
            }
        })
        .collect()
}

fn frames_json(frames: &[(&str, i64)]) -> Value {
    Value::Array(frames.iter().map(|&(file, line)| serde_json::json!([file, line])).collect())
}

/// Checks every statistics and comparison case of an expected-output document; returns how many
/// rows were compared.
fn check_against_python(expected: &Value, new: &AllocationTraces, old: Option<&AllocationTraces>) -> usize {
    let mut compared = 0;
    for case in expected["statistics"].as_array().expect("statistics cases") {
        let grouping = grouping(case);
        let selected = select(new, &filters(case));
        let stats = statistics(new, grouping, selected.as_deref());
        let want = case["rows"].as_array().expect("rows");
        let label = format!(
            "statistics({:?}, cumulative={}) with filters {}",
            grouping.key, grouping.cumulative, case["filters"]
        );
        assert_eq!(stats.rows.len(), want.len(), "{label}: number of rows");
        for (i, (row, want)) in stats.rows.iter().zip(want).enumerate() {
            let frames = key_frames(&new.table, grouping.key, row.key);
            let got = serde_json::json!([
                frames_json(&frames),
                row.size,
                row.count,
                statistic_text(&key_text(&new.table, grouping.key, row.key), row.size, row.count)
            ]);
            assert_eq!(&got, want, "{label}: row {i}");
            compared += 1;
        }
    }
    let Some(old) = old else { return compared };
    for case in expected["compare"].as_array().expect("compare cases") {
        let grouping = grouping(case);
        let filters = filters(case);
        let (new_sel, old_sel) = (select(new, &filters), select(old, &filters));
        let diff = compare(new, new_sel.as_deref(), old, old_sel.as_deref(), grouping);
        let want = case["rows"].as_array().expect("rows");
        let label = format!(
            "compare_to({:?}, cumulative={}) with filters {}",
            grouping.key, grouping.cumulative, case["filters"]
        );
        assert_eq!(diff.rows.len(), want.len(), "{label}: number of rows");
        for (i, (row, want)) in diff.rows.iter().zip(want).enumerate() {
            let frames = key_frames(&diff.table, grouping.key, row.key);
            let text = statistic_diff_text(
                &key_text(&diff.table, grouping.key, row.key),
                row.size,
                row.size_diff,
                row.count,
                row.count_diff,
            );
            let got = serde_json::json!([
                frames_json(&frames),
                row.size,
                row.size_diff as i64,
                row.count,
                row.count_diff as i64,
                text
            ]);
            assert_eq!(&got, want, "{label}: row {i}");
            compared += 1;
        }
    }
    compared
}

#[test]
fn committed_samples_match_python() {
    let expected = read_json(&sample("request-history.final-vs-after.expected.json.gz"));
    let new = load(&sample("request-history.final.tracemalloc.gz"));
    let old = load(&sample("request-history.after.tracemalloc.gz"));
    let compared = check_against_python(&expected, &new, Some(&old));
    // 11 filter sets x 5 groupings, statistics and compare_to: thousands of rows.
    assert!(compared > 5_000, "only {compared} rows compared");
    assert_eq!(expected["statistics"].as_array().map(Vec::len), Some(55));
    assert_eq!(expected["compare"].as_array().map(Vec::len), Some(55));
}

/// `python3`, or `None` when it is missing and CI did not ask for it.
fn python() -> Option<&'static str> {
    let found = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("HEAPSCOPE_REQUIRE_TOOLS").is_some() {
        panic!("python3 is required (HEAPSCOPE_REQUIRE_TOOLS is set) but was not found");
    }
    found.then_some("python3")
}

fn run_python(python: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let output = Command::new(python).args(args).output().expect("run python3");
    assert!(output.status.success(), "python3 {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

fn script(name: &str) -> PathBuf {
    sample(name)
}

#[test]
fn fresh_dumps_match_python() {
    let Some(python) = python() else {
        eprintln!("python3 not found: fresh tracemalloc dumps not checked");
        return;
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    run_python(python, &[script("gen-tracemalloc-samples.py").as_os_str(), dir.path().as_os_str(), "--plain".as_ref()]);
    let final_path = dir.path().join("request-history.final.tracemalloc");
    let before_path = dir.path().join("request-history.before.tracemalloc");
    let out = run_python(
        python,
        &[script("tracemalloc-expected.py").as_os_str(), final_path.as_os_str(), before_path.as_os_str()],
    );
    let expected: Value = serde_json::from_slice(&out).expect("the script's JSON");
    let compared = check_against_python(&expected, &load(&final_path), Some(&load(&before_path)));
    assert!(compared > 5_000, "only {compared} rows compared");
}

/// Python re-pickles a committed dump with every protocol it has (2 to 5); each copy loads to
/// exactly the same traces.
#[test]
fn python_pickles_of_every_protocol_load_the_same() {
    let Some(python) = python() else {
        eprintln!("python3 not found: re-pickled dumps not checked");
        return;
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let source = sample("request-history.after.tracemalloc.gz");
    let code = "import gzip,pickle,sys\n\
                s=pickle.load(gzip.open(sys.argv[1]))\n\
                for p in range(2, pickle.HIGHEST_PROTOCOL+1):\n    \
                    open('%s/p%d.pickle' % (sys.argv[2], p), 'wb').write(pickle.dumps(s, protocol=p))\n";
    run_python(python, &["-c".as_ref(), code.as_ref(), source.as_os_str(), dir.path().as_os_str()]);
    let reference = load(&source);
    for protocol in 2..=5 {
        let path = dir.path().join(format!("p{protocol}.pickle"));
        let traces = load(&path);
        assert_eq!(traces.trace_count(), reference.trace_count(), "protocol {protocol}");
        assert_eq!(traces.size, reference.size, "protocol {protocol}");
        assert_eq!(traces.domain, reference.domain, "protocol {protocol}");
        assert_eq!(traces.total_nframe, reference.total_nframe, "protocol {protocol}");
        let frames = |t: &AllocationTraces, i: usize| -> Vec<(String, i64)> {
            t.table
                .traceback(t.traceback[i])
                .iter()
                .map(|&f| (t.table.frame_file_text(f).to_string(), t.table.frame_line(f)))
                .collect()
        };
        for i in 0..traces.trace_count() {
            assert_eq!(frames(&traces, i), frames(&reference, i), "protocol {protocol}, trace {i}");
        }
    }
}

/// The CLI's `compare --json` rows carry Python's numbers and the documented keys.
#[test]
fn cli_compare_json_rows() {
    let expected = read_json(&sample("request-history.final-vs-after.expected.json.gz"));
    let case = expected["compare"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["key"] == "lineno" && c["cumulative"] == false && c["filters"] == serde_json::json!([]))
        })
        .expect("the plain lineno comparison");
    let output = Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(["compare", "--json", "--limit", "10"])
        .arg(sample("request-history.after.tracemalloc.gz"))
        .arg(sample("request-history.final.tracemalloc.gz"))
        .output()
        .expect("run heapscope");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let doc: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 10);
    for (row, want) in rows.iter().zip(case["rows"].as_array().expect("rows")) {
        let frame = &want[0][0];
        assert_eq!(row["file"], frame[0]);
        assert_eq!(row["line"], frame[1]);
        assert_eq!(row["size"], want[1]);
        assert_eq!(row["size_diff"], want[2]);
        assert_eq!(row["count"], want[3]);
        assert_eq!(row["count_diff"], want[4]);
        assert_eq!(row["text"], want[5]);
        assert_eq!(row["traceback"][0]["file"], frame[0]);
    }
    // The text output is what Python prints for the same rows.
    let output = Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(["compare", "--limit", "3"])
        .arg(sample("request-history.after.tracemalloc.gz"))
        .arg(sample("request-history.final.tracemalloc.gz"))
        .output()
        .expect("run heapscope");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let want: Vec<&str> =
        case["rows"].as_array().expect("rows")[..3].iter().map(|r| r[5].as_str().unwrap_or("")).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), want);
}

/// Commands that need one format say so, naming the file, when given the other.
#[test]
fn cli_says_which_format_a_command_needs() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_heapscope"))
            .args(args)
            .current_dir(crate::common::repo_root())
            .output()
            .expect("run heapscope");
        (output.status.code(), String::from_utf8_lossy(&output.stderr).trim().to_string())
    };
    let dump = "sample-snapshots/request-history.final.tracemalloc.gz";
    let v8 = "sample-snapshots/request-history.final.heapsnapshot.gz";
    assert_eq!(
        run(&["statistics", dump]),
        (
            Some(2),
            format!(
                "heapscope: {dump}: `statistics` needs a V8 heap snapshot; this is a tracemalloc dump (try `heapscope \
                 summary` or `heapscope info`)"
            )
        )
    );
    assert_eq!(
        run(&["summary", "--key", "traceback", "--cumulative", dump]),
        (Some(2), "heapscope: cumulative mode cannot be used with key type 'traceback'".to_string())
    );
    let (code, message) = run(&["summary", "--key", "lineno", v8]);
    assert_eq!(code, Some(2));
    assert!(message.ends_with("apply to tracemalloc dumps; this is a V8 heap snapshot"), "{message}");
    let (code, message) = run(&["compare", v8, dump]);
    assert_eq!(code, Some(2));
    assert!(message.ends_with("compare takes two files of the same kind"), "{message}");
    let (code, message) = run(&["info", "--json", dump]);
    assert_eq!((code, message.as_str()), (Some(0), ""));
}
