//! The three-snapshot leak search on the committed samples, and `check` as a CI gate.

use heapscope::compare::leaks::{LeakCluster, find_leaks};
use heapscope::{HeapGraph, analysis::Analysis};

use crate::common::{analyzed_sample, run_cli};

/// The leaks of one scenario, with the final snapshot they live in.
fn leaks_of(scenario: &str) -> (Vec<LeakCluster>, HeapGraph, Analysis) {
    let (baseline, _) = analyzed_sample(&format!("{scenario}.before.heapsnapshot.gz"));
    let (target, _) = analyzed_sample(&format!("{scenario}.after.heapsnapshot.gz"));
    let (graph, analysis) = analyzed_sample(&format!("{scenario}.final.heapsnapshot.gz"));
    let leaks = find_leaks(&baseline, &target, &graph, &analysis);
    (leaks.clusters, graph, analysis)
}

/// The edge names along a cluster's path.
fn edge_names(graph: &HeapGraph, cluster: &LeakCluster) -> Vec<String> {
    cluster.path.edges.iter().map(|&e| graph.edge_name(e).into_owned()).collect()
}

/// True when the cluster's path runs through `root_edge` (a property of `global`).
fn through(graph: &HeapGraph, cluster: &LeakCluster, root_edge: &str) -> bool {
    edge_names(graph, cluster).iter().any(|n| n == root_edge)
}

#[test]
fn request_history_leaks_its_records() {
    let (clusters, graph, analysis) = leaks_of("request-history");
    // 2000 requests between before and after, one {data, timestamp} record each; nothing else.
    assert_eq!(clusters.len(), 1, "{:?}", clusters.iter().map(|c| &c.shape).collect::<Vec<_>>());
    let records = &clusters[0];
    assert_eq!(records.class_name, "{data}");
    assert_eq!(records.objects.len(), 2000);
    assert!(through(&graph, records, "requestHistory"), "{:?}", edge_names(&graph, records));
    // Each record retains itself, its timestamp and its data string.
    let retained: u64 = records.objects.iter().map(|&v| analysis.retained.get(v as usize)).sum();
    assert_eq!(records.retained_size, retained);
    assert!(records.retained_size >= 2000 * (40 + 16 + 32));
    // The path ends at the object and starts at the root.
    assert_eq!(records.path.nodes[0], graph.root());
    assert!(records.objects.contains(&records.path.target()));
}

#[test]
fn emitter_listeners_leak_their_closures_and_leaky_class_instances() {
    let (clusters, graph, _) = leaks_of("emitter-listeners");
    let summary: Vec<(String, usize)> = clusters.iter().map(|c| (c.class_name.clone(), c.objects.len())).collect();
    // 200 listeners added between before and after: each a closure over a LeakyClass instance.
    assert_eq!(summary, [("Function".to_string(), 200), ("LeakyClass".to_string(), 200)]);
    for cluster in &clusters {
        let names = edge_names(&graph, cluster);
        assert!(names.windows(3).any(|w| w == ["bus", "_events", "tick"]), "{names:?}");
        // About 10 KB per instance: its string.
        assert!(cluster.retained_size >= 200 * 10_000, "{}", cluster.retained_size);
    }
    let leaky = &clusters[1];
    assert_eq!(edge_names(&graph, leaky).last().map(String::as_str), Some("this"));
}

#[test]
fn map_cache_leaks_its_users() {
    let (clusters, graph, _) = leaks_of("map-cache");
    // 3000 users cached between before and after, each with a profile and a tags array.
    let summary: Vec<(String, usize)> = clusters.iter().map(|c| (c.class_name.clone(), c.objects.len())).collect();
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert!(summary.iter().all(|(_, count)| *count == 3000), "{summary:?}");
    assert_eq!(summary[0].0, "{name, email, profile}");
    for cluster in &clusters {
        assert!(through(&graph, cluster, "cache"), "{:?}", edge_names(&graph, cluster));
        assert_eq!(graph.edge_name(cluster.path.edges[2]), "table", "the Map's table holds the users");
    }
    assert!(clusters.windows(2).all(|w| w[0].retained_size >= w[1].retained_size));
}

#[test]
fn cli_leaks_json_has_the_documented_keys() {
    let (code, out, err) = run_cli(&[
        "leaks",
        "--json",
        "sample-snapshots/emitter-listeners.before.heapsnapshot.gz",
        "sample-snapshots/emitter-listeners.after.heapsnapshot.gz",
        "sample-snapshots/emitter-listeners.final.heapsnapshot.gz",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let cluster = &doc["clusters"][1];
    assert_eq!(cluster["class_name"], "LeakyClass");
    assert_eq!(cluster["count"], 200);
    assert!(cluster["retained_size"].as_u64().is_some_and(|s| s > 2_000_000));
    let path = cluster["path"].as_array().expect("path");
    for key in ["node_id", "name", "type", "edge_name", "edge_type"] {
        assert!(path[1].get(key).is_some(), "missing {key}");
    }
    assert_eq!(path[0]["edge_name"], serde_json::Value::Null);
    assert_eq!(path.last().map(|s| s["name"].clone()), Some("LeakyClass".into()));
}

#[test]
fn check_exits_zero_one_or_two() {
    let s = |name: &str| format!("sample-snapshots/{name}");
    let (before, after, last) = (
        s("request-history.before.heapsnapshot.gz"),
        s("request-history.after.heapsnapshot.gz"),
        s("request-history.final.heapsnapshot.gz"),
    );
    // Within budget: 0, and one "ok" line.
    let (code, out, err) = run_cli(&["check", &before, &after, "--max-growth", "1MiB"]);
    assert_eq!((code, out.lines().count()), (Some(0), 1), "{out}{err}");
    assert!(out.starts_with("ok: heap grew by +"), "{out}");
    // Over budget: 1, one line per violation.
    let (code, out, _) = run_cli(&["check", &before, &after, "--max-growth", "100KiB"]);
    assert_eq!(code, Some(1));
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains("over the budget of 100.0 KiB (102400 bytes)"), "{out}");
    let (code, out, _) = run_cli(&[
        "check",
        &before,
        &after,
        &last,
        "--max-growth",
        "20KiB",
        "--class",
        "{data}",
        "--class",
        "(number)",
    ]);
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("class {data} grew by +"), "{out}");
    assert!(lines[1].starts_with("class (number) grew by +"), "{out}");
    assert!(
        lines[2].starts_with("2000 objects allocated between baseline and target are still alive in final"),
        "{out}"
    );
    let (code, out, _) = run_cli(&["check", &before, &after, &last, "--max-growth", "1MiB", "--max-leaked", "1MiB"]);
    assert_eq!(code, Some(0), "{out}");
    // tracemalloc dumps: the traced total.
    let (code, out, _) = run_cli(&[
        "check",
        &s("request-history.before.tracemalloc.gz"),
        &s("request-history.after.tracemalloc.gz"),
        "--max-growth",
        "1MB",
    ]);
    assert_eq!(code, Some(1));
    assert!(out.starts_with("traced memory grew by +1.2 MiB (1298654 bytes)"), "{out}");
    // Errors: 2.
    let (code, _, err) = run_cli(&["check", &before, "sample-snapshots/missing.heapsnapshot", "--max-growth", "1MiB"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.heapsnapshot: cannot read the file"), "{err}");
    let (code, _, err) = run_cli(&["check", &before, &after, "--max-growth", "lots"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("\"lots\" is not a size"), "{err}");
    let (code, _, err) =
        run_cli(&["check", &before, &s("request-history.after.tracemalloc.gz"), "--max-growth", "1MiB"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("check takes files of one kind"), "{err}");
}
