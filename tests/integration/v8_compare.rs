//! The V8 Comparison: against the rows DevTools' own heap snapshot worker computes for the
//! committed pairs, and against an independent merge of the two node lists.

use std::collections::{BTreeMap, BTreeSet};

use heapscope::compare::v8::{Side, compare};
use serde_json::Value;

use crate::common::{analyzed_sample, repo_root, run_cli};

fn devtools_rows(scenario: &str) -> Vec<(String, u64, u64, u64, u64)> {
    let path = repo_root().join(format!("tests/data/devtools/{scenario}.after-vs-before.diff.json"));
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).expect("read the DevTools diff")).expect("JSON");
    let mut rows: Vec<(String, u64, u64, u64, u64)> = doc["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("{k} in {c}"));
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                n("addedCount"),
                n("removedCount"),
                n("addedSize"),
                n("removedSize"),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn comparison_equals_devtools_for_every_committed_pair() {
    for scenario in ["request-history", "map-cache", "emitter-listeners"] {
        let base = analyzed_sample(&format!("{scenario}.before.heapsnapshot.gz"));
        let current = analyzed_sample(&format!("{scenario}.after.heapsnapshot.gz"));
        let diff =
            compare(Side { graph: &base.0, analysis: &base.1 }, Side { graph: &current.0, analysis: &current.1 });
        let mut ours: Vec<(String, u64, u64, u64, u64)> = diff
            .classes
            .iter()
            .map(|c| (c.name.clone(), c.new_count, c.deleted_count, c.alloc_size, c.freed_size))
            .collect();
        ours.sort();
        assert_eq!(ours, devtools_rows(scenario), "{scenario}");
        assert!(diff.same_process(), "{scenario}: before and after come from one process");
        // The extra columns: new objects are exactly `# New`, sorted by retained size.
        for c in &diff.classes {
            assert_eq!(c.new_objects.len() as u64, c.new_count);
            assert!(
                c.new_objects
                    .windows(2)
                    .all(|w| current.1.retained.get(w[0] as usize) >= current.1.retained.get(w[1] as usize))
            );
        }
    }
}

/// Node lists as `heapscope nodes` prints them: (id, class name, shallow size), visible nodes
/// only. With `interfaces`, plain objects are classed by those definitions instead (DevTools
/// classes the base snapshot with the current one's), by a naive search: the definition with
/// the most properties, all of them among the object's, the earliest on ties.
fn node_list(
    graph: &heapscope::HeapGraph,
    analysis: &heapscope::analysis::Analysis,
    interfaces: Option<&[heapscope::analysis::names::InterfaceDefinition]>,
) -> Vec<(u32, String, u64)> {
    let names = analysis.names(graph);
    let property = graph.meta.edge_type_index("property");
    (0..graph.node_count() as u32)
        .filter(|&v| analysis.self_sizes.get(v as usize) > 0)
        .map(|v| {
            let mut class = analysis.class_name(graph, v).to_string();
            if let Some(definitions) =
                interfaces.filter(|_| graph.node_type_name(v) == "object" && names.raw_name(v) == "Object")
            {
                let props: BTreeSet<String> = graph
                    .edges_of(v)
                    .filter(|&e| Some(graph.edge_type(e)) == property)
                    .map(|e| graph.edge_name(e).into_owned())
                    .collect();
                let best = definitions
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.properties.iter().all(|p| props.contains(p)))
                    .max_by(|(i, a), (j, b)| a.properties.len().cmp(&b.properties.len()).then(j.cmp(i)));
                class = best.map_or_else(|| "Object".to_string(), |(_, d)| d.name.clone());
            }
            (graph.node_id(v), class, analysis.self_sizes.get(v as usize))
        })
        .collect()
}

#[test]
fn comparison_equals_a_merge_of_the_node_lists() {
    let base = analyzed_sample("request-history.after.heapsnapshot.gz");
    let current = analyzed_sample("request-history.final.heapsnapshot.gz");
    let diff = compare(Side { graph: &base.0, analysis: &base.1 }, Side { graph: &current.0, analysis: &current.1 });
    // Per class name: ids only in one list are new or deleted (DevTools' §2.11 rule).
    let group = |list: Vec<(u32, String, u64)>| {
        let mut by_class: BTreeMap<String, BTreeMap<u32, u64>> = BTreeMap::new();
        for (id, class, size) in list {
            by_class.entry(class).or_default().insert(id, size);
        }
        by_class
    };
    let interfaces = &current.1.classes.interfaces;
    let (before, after) =
        (group(node_list(&base.0, &base.1, Some(interfaces))), group(node_list(&current.0, &current.1, None)));
    let classes: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let empty = BTreeMap::new();
    let mut expected = Vec::new();
    for class in classes {
        let (b, a) = (before.get(class).unwrap_or(&empty), after.get(class).unwrap_or(&empty));
        let new: Vec<u64> = a.iter().filter(|(id, _)| !b.contains_key(id)).map(|(_, s)| *s).collect();
        let deleted: Vec<u64> = b.iter().filter(|(id, _)| !a.contains_key(id)).map(|(_, s)| *s).collect();
        if !new.is_empty() || !deleted.is_empty() {
            expected.push((
                class.clone(),
                new.len() as u64,
                deleted.len() as u64,
                new.iter().sum::<u64>(),
                deleted.iter().sum::<u64>(),
            ));
        }
    }
    let mut ours: Vec<_> = diff
        .classes
        .iter()
        .map(|c| (c.name.clone(), c.new_count, c.deleted_count, c.alloc_size, c.freed_size))
        .collect();
    ours.sort();
    assert_eq!(ours, expected);
    let history = diff.classes.iter().find(|c| c.name == "{data}").expect("the leaking records");
    assert_eq!((history.new_count, history.deleted_count), (2000, 0));
    assert!(history.retained_after > history.retained_before + 2000 * 40);
}

/// A tiny snapshot whose objects have the ids `first_id`, `first_id + 2`, ...
fn tiny_snapshot(first_id: u32) -> String {
    let nodes: Vec<String> = (0..4u32)
        .map(|i| {
            let (ty, edges) = if i == 0 { (9, 3) } else { (3, 0) };
            format!(
                "{ty},{},{},{},{edges},0",
                if i == 0 { 0 } else { 1 },
                first_id + 2 * i,
                if i == 0 { 0 } else { 16 }
            )
        })
        .collect();
    format!(
        r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","detachedness"],
        "node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number"],
        "edge_fields":["type","name_or_index","to_node"],
        "edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]}},"node_count":4,"edge_count":3}},
        "nodes":[{}],"edges":[1,0,6,1,1,12,1,2,18],"strings":["","Thing"]}}"#,
        nodes.join(",")
    )
}

#[test]
fn snapshots_without_common_ids_are_called_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a.heapsnapshot"), dir.path().join("b.heapsnapshot"));
    std::fs::write(&a, tiny_snapshot(1)).expect("write");
    std::fs::write(&b, tiny_snapshot(1001)).expect("write");
    let (code, out, err) = run_cli(&["compare", &a.display().to_string(), &b.display().to_string()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("warning: these snapshots do not look like one process (0 common object ids"), "{err}");
    assert!(out.starts_with("Class"), "{out}");
    let (_, json, _) = run_cli(&["compare", "--json", &a.display().to_string(), &b.display().to_string()]);
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["same_process"], false);
    assert_eq!(doc["common_ids"], 0);
    let thing = doc["rows"].as_array().and_then(|r| r.iter().find(|r| r["class_name"] == "Thing")).expect("Thing row");
    for (key, value) in
        [("new_count", 3), ("deleted_count", 3), ("count_delta", 0), ("alloc_size", 48), ("freed_size", 48)]
    {
        assert_eq!(thing[key], value, "{key}");
    }
    // The same pair as CSV, through an atomic write.
    let csv_path = dir.path().join("diff.csv");
    let (code, _, err) = run_cli(&[
        "compare",
        "--csv",
        &csv_path.display().to_string(),
        &a.display().to_string(),
        &a.display().to_string(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let csv_text = std::fs::read_to_string(&csv_path).expect("the CSV file");
    assert_eq!(csv_text, "", "a snapshot compared with itself has no changed class");
}

#[test]
fn cli_compare_json_has_the_documented_columns() {
    let (code, out, err) = run_cli(&[
        "compare",
        "--json",
        "--limit",
        "3",
        "sample-snapshots/request-history.before.heapsnapshot.gz",
        "sample-snapshots/request-history.after.heapsnapshot.gz",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["same_process"], true);
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    for key in [
        "class_name",
        "new_count",
        "deleted_count",
        "count_delta",
        "alloc_size",
        "freed_size",
        "size_delta",
        "retained_before",
        "retained_after",
        "retained_delta",
        "new_objects",
    ] {
        assert!(rows[0].get(key).is_some(), "missing {key}");
    }
    let data = rows.iter().find(|r| r["class_name"] == "{data}").expect("{data} in the top 3");
    assert_eq!(data["new_count"], 2001);
    assert_eq!(data["new_objects"].as_array().map(Vec::len), Some(10));
}

/// `summary --csv` writes the same rows as `summary --json`, with a header row.
#[test]
fn summary_table_exports_as_csv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("summary.csv");
    let snapshot = "sample-snapshots/map-cache.final.heapsnapshot.gz";
    let (code, out, err) = run_cli(&["summary", "--json", "--csv", &file.display().to_string(), snapshot]);
    assert_eq!(code, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let mut reader = csv::Reader::from_path(&file).expect("the CSV file");
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(header, ["class_name", "distance", "count", "shallow_size", "retained_size"]);
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("records");
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(records.len(), rows.len());
    for (record, row) in records.iter().zip(rows) {
        assert_eq!(record.get(0), row["class_name"].as_str());
        assert_eq!(record.get(2).and_then(|c| c.parse::<u64>().ok()), row["count"].as_u64());
        assert_eq!(record.get(4).and_then(|c| c.parse::<u64>().ok()), row["retained_size"].as_u64());
    }
}

#[test]
fn a_bad_snapshot_in_a_pair_is_named_whichever_is_larger() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.heapsnapshot");
    std::fs::write(&good, tiny_snapshot(1)).expect("write");
    // Larger than the good one, so it is the one loaded first.
    let big_bad = dir.path().join("big-bad.heapsnapshot");
    std::fs::write(&big_bad, format!("{{\"snapshot\": {}", " ".repeat(4096))).expect("write");
    let small_bad = dir.path().join("small-bad.heapsnapshot");
    std::fs::write(&small_bad, "{\"snapshot\": {}}").expect("write");
    let path = |p: &std::path::Path| p.display().to_string();
    for (args, named) in [
        ([path(&good), path(&big_bad)], &big_bad),
        ([path(&big_bad), path(&good)], &big_bad),
        ([path(&good), path(&small_bad)], &small_bad),
        ([path(&small_bad), path(&good)], &small_bad),
        // Both bad: the first one given is reported, larger or not.
        ([path(&small_bad), path(&big_bad)], &small_bad),
        ([path(&big_bad), path(&small_bad)], &big_bad),
    ] {
        for command in ["compare", "check"] {
            let mut argv = vec![command, &args[0], &args[1]];
            if command == "check" {
                argv.extend(["--max-growth", "1MiB"]);
            }
            let (code, _, err) = run_cli(&argv);
            assert_eq!(code, Some(2), "{argv:?}: {err}");
            assert!(err.contains(&path(named)), "{argv:?} should name {}: {err}", named.display());
            assert_eq!(err.lines().count(), 1, "{argv:?}: one error line: {err}");
        }
    }
}
