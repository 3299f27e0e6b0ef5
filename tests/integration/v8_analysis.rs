//! The analysis against Chrome DevTools' own numbers, and the samples' leaks where a user
//! looks for them.

use std::io::{BufRead as _, BufReader};

use heapscope::analysis::aggregates::{ClassAggregate, RowObjects, aggregates, aggregates_by};
use heapscope::analysis::{Analysis, Parts, analyze, analyze_parts, analyze_with_summary, queriable_nodes};
use heapscope::snapshot::{LoadOptions, load_v8_file};
use heapscope::{HeapGraph, NoProgress};

use crate::common::sample;

fn load_and_analyze(path: &std::path::Path) -> (HeapGraph, Analysis) {
    let graph = match load_v8_file(path, LoadOptions::default(), &NoProgress) {
        Ok(load) => load.graph,
        Err(e) => panic!("{e}"),
    };
    let analysis = analyze(&graph, &NoProgress).expect("analysis");
    (graph, analysis)
}

fn oracle_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracle");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "the DevTools oracle is missing at {}", dir.display());
    eprintln!("note: {} not found; skipping the DevTools comparison", dir.display());
    None
}

#[test]
fn every_node_matches_devtools_on_the_oracle_snapshot() {
    let Some(dir) = oracle_dir() else { return };
    assert_every_node_matches(&dir.join("node-cache.heapsnapshot.gz"), &dir.join("node-cache.devtools-nodes.jsonl.gz"));
}

/// A snapshot with WeakMap and WeakSet entries: DevTools' ephemeron rules for distances and
/// essential edges (its numbers made by `../shared/tools/devtools-oracle`, see
/// `tests/data/devtools/README.md`).
#[test]
fn every_node_matches_devtools_on_a_snapshot_with_weakmap_entries() {
    let devtools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/devtools");
    assert_every_node_matches(&sample("weakmap.heapsnapshot.gz"), &devtools.join("weakmap.devtools-nodes.jsonl.gz"));
}

#[test]
fn every_node_matches_devtools_where_the_distance_filters_apply() {
    // A hand-written snapshot: a NativeContext's `sloppy_function_map` edge and a
    // `(map descriptors)` array's elements 4 and "7" lead to nodes that are nearer that way
    // than by any edge DevTools' distance follows.
    let devtools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/devtools");
    assert_every_node_matches(
        &devtools.join("distance-filters.heapsnapshot"),
        &devtools.join("distance-filters.devtools-nodes.jsonl.gz"),
    );
}

/// Every node's id, display name, type, shallow and retained size, dominator, distance and
/// class equal DevTools' (one JSON object per line, in node order, gzip-compressed).
fn assert_every_node_matches(snapshot: &std::path::Path, devtools_nodes: &std::path::Path) {
    let (graph, analysis) = load_and_analyze(snapshot);
    let file = std::fs::File::open(devtools_nodes).expect("oracle nodes");
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut mismatches: Vec<String> = Vec::new();
    let mut count = 0u32;
    for (v, line) in reader.lines().enumerate() {
        let line = line.expect("oracle line");
        let want: serde_json::Value = serde_json::from_str(&line).expect("oracle JSON");
        let v = v as u32;
        let i = v as usize;
        let got = serde_json::json!({
            "id": graph.node_id(v),
            "name": analysis.display_name(&graph, v),
            "type": graph.node_type_name(v),
            "self_size": analysis.self_sizes.get(i),
            "retained_size": analysis.retained.get(i),
            "dominator_id": graph.node_id(analysis.dominator[i]),
            "distance": analysis.distance[i],
            "class_name": analysis.class_name(&graph, v),
        });
        if got != want && mismatches.len() < 10 {
            mismatches.push(format!("node {v}:\n  got  {got}\n  want {want}"));
        }
        count += 1;
    }
    assert_eq!(count as usize, graph.node_count());
    assert!(mismatches.is_empty(), "mismatches with DevTools:\n{}", mismatches.join("\n"));
}

#[test]
fn statistics_and_top_classes_match_devtools() {
    let Some(dir) = oracle_dir() else { return };
    let (graph, analysis) = load_and_analyze(&dir.join("node-cache.heapsnapshot.gz"));
    let summary: serde_json::Value =
        serde_json::from_reader(std::fs::File::open(dir.join("node-cache.devtools-summary.json")).expect("summary"))
            .expect("summary JSON");
    let s = &analysis.statistics;
    let want = &summary["statistics"];
    assert_eq!(s.total, want["total"]);
    assert_eq!(s.native, want["native"]["total"]);
    assert_eq!(s.typed_arrays, want["native"]["typedArrays"]);
    assert_eq!(s.v8heap, want["v8heap"]["total"]);
    assert_eq!(s.code, want["v8heap"]["code"]);
    assert_eq!(s.js_arrays, want["v8heap"]["jsArrays"]);
    assert_eq!(s.strings, want["v8heap"]["strings"]);
    assert_eq!(s.system, want["v8heap"]["system"]);
    let mut rows = aggregates(&graph, &analysis, None);
    rows.sort_by_key(|row| std::cmp::Reverse(row.retained_size));
    let top = summary["top_classes_by_retained"].as_array().expect("top classes");
    assert_eq!(top.len(), 15);
    for (row, want) in rows.iter().zip(top) {
        let got = serde_json::json!({
            "name": row.name, "count": row.count, "self": row.self_size,
            "maxRet": row.retained_size, "distance": row.distance,
        });
        assert_eq!(&got, want);
    }
}

/// Nodes that hold a property named `name`, with the property's target.
fn properties_named(graph: &HeapGraph, name: &str) -> Vec<(u32, u32)> {
    let mut found = Vec::new();
    for v in 0..graph.node_count() as u32 {
        for e in graph.edges_of(v) {
            if graph.edge_type_name(e) == "property" && graph.edge_name(e) == name {
                found.push((v, graph.edge_target(e)));
            }
        }
    }
    found
}

/// Targets of `v`'s element edges.
fn elements(graph: &HeapGraph, v: u32) -> Vec<u32> {
    graph.edges_of(v).filter(|&e| graph.edge_type_name(e) == "element").map(|e| graph.edge_target(e)).collect()
}

#[test]
fn the_request_history_array_retains_its_entries() {
    let (graph, analysis) = load_and_analyze(&sample("request-history.final.heapsnapshot.gz"));
    let holders = properties_named(&graph, "requestHistory");
    let (_, array) = *holders.iter().find(|(_, t)| graph.node_name(*t) == "Array").expect("the requestHistory array");
    let entries = elements(&graph, array);
    assert_eq!(entries.len(), 4010, "before: 10, after: +2000, final: +2000 requests");
    let entries_retained: u64 = entries.iter().map(|&e| analysis.retained.get(e as usize)).sum();
    assert!(entries_retained > 0);
    assert!(
        analysis.retained.get(array as usize) >= entries_retained,
        "the array retains {} but its entries retain {entries_retained}",
        analysis.retained.get(array as usize)
    );
    // Every entry is kept alive by the array alone (directly or through its element store).
    for &entry in &entries {
        let mut d = analysis.dominator[entry as usize];
        while d != array && d != graph.root() {
            d = analysis.dominator[d as usize];
        }
        assert_eq!(d, array, "entry @{} is not dominated by the array", graph.node_id(entry));
    }
    // And the array is the biggest retainer below the global object.
    let mut by_retained: Vec<u32> = (0..graph.node_count() as u32)
        .filter(|&v| analysis.distance[v as usize] >= 2 && analysis.distance[v as usize] < 100_000_000)
        .collect();
    by_retained.sort_by_key(|&v| std::cmp::Reverse(analysis.retained.get(v as usize)));
    let rank = by_retained.iter().position(|&v| v == array).expect("array is reachable");
    assert!(rank < 3, "the requestHistory array ranks {rank} by retained size");
}

#[test]
fn the_leaky_class_instances_retain_their_big_strings() {
    let (graph, analysis) = load_and_analyze(&sample("emitter-listeners.final.heapsnapshot.gz"));
    let rows = aggregates(&graph, &analysis, None);
    let leaky = rows.iter().find(|r| r.name == "LeakyClass").expect("a LeakyClass row");
    assert_eq!(leaky.count, 410, "10 + 200 + 200 instances");
    assert!(leaky.retained_size >= 410 * 10_016, "LeakyClass retains {}", leaky.retained_size);
    for &v in &leaky.nodes {
        assert!(analysis.retained.get(v as usize) >= 10_016, "instance @{} retains too little", graph.node_id(v));
    }
    // The emitter's listener array holds them all.
    let (_, bus) =
        *properties_named(&graph, "bus").iter().find(|(_, t)| graph.node_name(*t) == "EventEmitter").expect("bus");
    assert!(
        analysis.retained.get(bus as usize) >= leaky.retained_size,
        "the bus retains less than its listeners' objects"
    );
}

#[test]
fn the_cache_map_retains_its_entries() {
    let (graph, analysis) = load_and_analyze(&sample("map-cache.final.heapsnapshot.gz"));
    let (_, cache) =
        *properties_named(&graph, "cache").iter().find(|(_, t)| graph.node_name(*t) == "Map").expect("the cache Map");
    let rows = aggregates(&graph, &analysis, None);
    let users = rows
        .iter()
        .filter(|r| r.name.starts_with("{name, email, profile"))
        .max_by_key(|r| r.count)
        .expect("the cached user objects' class");
    assert!(users.count >= 6010, "6010 cached users, found {}", users.count);
    let users_retained: u64 = users.nodes.iter().map(|&v| analysis.retained.get(v as usize)).sum();
    assert!(analysis.retained.get(cache as usize) >= users_retained);
}

#[test]
fn property_names_sort_in_javascript_string_order() {
    use heapscope::analysis::names::js_cmp;
    let samples =
        ["", "a", "ab", "b", "Z", "é", "\u{E000}", "\u{FFFD}", "😀", "😁", "\u{10000}", "a😀", "a\u{FFFF}", "ä"];
    for a in samples {
        for b in samples {
            assert_eq!(js_cmp(a, b), a.encode_utf16().cmp(b.encode_utf16()), "{a:?} vs {b:?}");
        }
    }
}

/// `heapscope nodes` prints exactly DevTools' node list: the same keys and values on every
/// line, in node order.
#[test]
fn the_nodes_command_prints_devtools_node_list() {
    let Some(dir) = oracle_dir() else { return };
    let snapshot = dir.join("node-cache.heapsnapshot.gz");
    let (code, stdout, stderr) = crate::common::run_cli(&["nodes", &snapshot.to_string_lossy()]);
    assert_eq!(code, Some(0), "{stderr}");
    let expected = std::io::read_to_string(flate2::read::GzDecoder::new(
        std::fs::File::open(dir.join("node-cache.devtools-nodes.jsonl.gz")).expect("the oracle node list"),
    ))
    .expect("read the oracle node list");
    let parse = |line: &str| serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let (ours, theirs): (Vec<&str>, Vec<&str>) = (stdout.lines().collect(), expected.lines().collect());
    assert_eq!(ours.len(), theirs.len());
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(parse(a), parse(b), "node {i}");
    }
}

#[test]
fn queriable_objects_are_what_a_user_root_reaches_over_named_strong_edges() {
    let (graph, analysis) = load_and_analyze(&sample("request-history.final.heapsnapshot.gz"));
    let queriable = queriable_nodes(&graph, &analysis.kinds);
    // The leaked entries hang from a global through properties and elements only.
    let (_, array) = *properties_named(&graph, "requestHistory")
        .iter()
        .find(|(_, t)| graph.node_name(*t) == "Array")
        .expect("the requestHistory array");
    let entries = elements(&graph, array);
    assert!(queriable.get(array as usize));
    assert!(entries.iter().all(|&e| queriable.get(e as usize)), "every requestHistory entry is queriable");
    // Every queriable object is on the user side of the graph, and the synthetic roots and
    // the objects only internal edges reach are not queriable.
    let count = (0..graph.node_count()).filter(|&v| queriable.get(v)).count();
    assert!(count > 4010 && count < graph.node_count() / 2, "{count} queriable objects");
    for v in (0..graph.node_count()).filter(|&v| queriable.get(v)) {
        let distance = analysis.distance[v];
        assert!((1..100_000_000).contains(&distance), "queriable @{} has distance {distance}", graph.node_id(v as u32));
    }
    assert!(!queriable.get(graph.root() as usize));
    let gc_roots =
        graph.edges_of(graph.root()).map(|e| graph.edge_target(e)).find(|&t| graph.node_name(t) == "(GC roots)");
    assert!(!queriable.get(gc_roots.expect("(GC roots)") as usize));
}

#[test]
fn a_comparison_analysis_differs_only_by_having_no_distances() {
    let path = sample("map-cache.after.heapsnapshot.gz");
    let (graph, full) = load_and_analyze(&path);
    let lite = analyze_parts(&graph, &NoProgress, Parts::FOR_COMPARISON).expect("analysis");
    assert!(lite.distance.is_empty());
    assert_eq!(full.distance.len(), graph.node_count());
    assert_eq!(lite.dominator, full.dominator);
    assert_eq!(lite.retained, full.retained);
    assert_eq!(lite.self_sizes, full.self_sizes);
    assert_eq!((&lite.page_objects, &lite.dom.detached), (&full.page_objects, &full.dom.detached));
    let strip = |rows: Vec<ClassAggregate>| -> Vec<ClassAggregate> {
        rows.into_iter().map(|r| ClassAggregate { distance: 0, ..r }).collect()
    };
    let (full_rows, lite_rows) = (aggregates(&graph, &full, None), aggregates(&graph, &lite, None));
    assert!(full_rows.iter().any(|r| r.distance != 0));
    assert!(lite_rows.iter().all(|r| r.distance == 0));
    assert_eq!(strip(lite_rows), strip(full_rows));
}

#[test]
fn an_object_listed_twice_in_locations_is_classed_by_its_last_location() {
    // Objects 1 and 2 (offsets 6 and 12) are `Foo`s with locations; object 3 has none. Object 1
    // is listed twice, after object 2: its last entry puts it in object 2's row.
    let json = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"location_fields":["object_index","script_id","line","column"]},"node_count":4,"edge_count":3},
"nodes":[9,0,1,0,3,0, 3,1,3,10,0,0, 3,1,5,10,0,0, 3,1,7,10,0,0],
"edges":[2,2,6, 2,3,12, 2,4,18],
"locations":[12,1,20,7, 6,1,10,5, 6,1,20,7],
"strings":["","Foo","a","b","c"]}"#;
    let graph = crate::common::load_json(json);
    let analysis = analyze(&graph, &NoProgress).expect("analysis");
    let mut rows: Vec<(String, u64, Vec<u32>)> =
        aggregates(&graph, &analysis, None).into_iter().map(|r| (r.key, r.count, r.nodes)).collect();
    rows.sort();
    assert_eq!(rows, [(",Foo".to_string(), 1, vec![3]), ("1,20,7,Foo".to_string(), 2, vec![1, 2])]);
}

#[test]
fn summary_rows_list_every_sized_object_once_or_only_count_them() {
    let (graph, analysis) = crate::common::analyzed_sample("map-cache.final.heapsnapshot.gz");
    let listed = aggregates(&graph, &analysis, None);
    // Objects of many classes span several parallel blocks of nodes.
    assert!(listed.iter().any(|row| row.nodes.first().zip(row.nodes.last()).is_some_and(|(a, b)| b - a > 1 << 16)));
    let mut seen = vec![false; graph.node_count()];
    for row in &listed {
        assert_eq!(row.nodes.len() as u64, row.count, "{}", row.key);
        assert!(row.nodes.windows(2).all(|w| w[0] < w[1]), "{}: objects out of node order", row.key);
        for &v in &row.nodes {
            assert!(!std::mem::replace(&mut seen[v as usize], true), "object {v} is in two rows");
            assert_eq!(analysis.class_name(&graph, v), row.name);
        }
    }
    for (v, seen) in seen.into_iter().enumerate() {
        assert_eq!(seen, analysis.self_sizes.get(v) > 0, "object {v}");
    }
    let counted = aggregates_by(&graph, &analysis, &analysis.classes, None, RowObjects::Counted);
    let without_objects: Vec<ClassAggregate> =
        listed.into_iter().map(|row| ClassAggregate { nodes: Vec::new(), ..row }).collect();
    assert_eq!(counted, without_objects);
}

#[test]
fn summary_rows_classed_beside_the_dominators_equal_the_rows_classed_after() {
    for name in
        ["map-cache.final.heapsnapshot.gz", "emitter-listeners.final.heapsnapshot.gz", "weakmap.heapsnapshot.gz"]
    {
        let graph = crate::common::load_file(&sample(name)).unwrap_or_else(|e| panic!("{e}")).graph;
        for objects in [RowObjects::Listed, RowObjects::Counted] {
            let (analysis, rows) = analyze_with_summary(&graph, &NoProgress, Parts::ALL, objects).expect("analysis");
            assert!(rows.len() > 10, "{name}: {} rows", rows.len());
            assert_eq!(rows, aggregates_by(&graph, &analysis, &analysis.classes, None, objects), "{name}");
        }
    }
}

/// A snapshot with `classes` classes `C0`, `C1`, ..., each an object of 1 byte under the root
/// holding an object of the same class of 2 bytes.
fn nested_pairs_snapshot(classes: usize) -> String {
    let header = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},"#;
    let mut nodes = vec![format!("9,0,1,0,{classes},0")];
    let (mut edges, mut strings) = (Vec::new(), vec!["\"\"".to_string(), "\"x\"".to_string()]);
    for i in 0..classes {
        let (outer, inner) = (1 + 2 * i, 2 + 2 * i);
        edges.push(format!("1,{i},{}", outer * 6));
        let name = strings.len();
        strings.push(format!("\"C{i}\""));
        nodes.push(format!("3,{name},{},1,1,0", 2 * outer + 1));
        nodes.push(format!("3,{name},{},2,0,0", 2 * inner + 1));
    }
    for i in 0..classes {
        edges.push(format!("2,1,{}", (2 + 2 * i) * 6));
    }
    // Edges are listed by source: the root's first, then each outer object's one.
    let (root_edges, inner_edges) = edges.split_at(classes);
    let mut ordered: Vec<String> = root_edges.to_vec();
    ordered.extend(inner_edges.iter().cloned());
    format!(
        "{header}\"node_count\":{},\"edge_count\":{}}},\"nodes\":[{}],\"edges\":[{}],\"strings\":[{}]}}",
        nodes.len(),
        ordered.len(),
        nodes.join(","),
        ordered.join(","),
        strings.join(",")
    )
}

#[test]
fn summary_rows_count_nested_objects_once_with_more_rows_than_a_narrow_row_number_holds() {
    // 100 rows fit a 16-bit row number; 70,000 do not.
    for classes in [100, 70_000] {
        let json = nested_pairs_snapshot(classes);
        let graph = heapscope::snapshot::load_v8_bytes(json.into_bytes(), "pairs", LoadOptions::default(), &NoProgress)
            .expect("load");
        for objects in [RowObjects::Counted, RowObjects::Listed] {
            let (_, rows) = analyze_with_summary(&graph, &NoProgress, Parts::ALL, objects).expect("analysis");
            assert_eq!(rows.len(), classes);
            for (i, row) in rows.iter().enumerate() {
                assert_eq!(row.name, format!("C{i}"));
                assert_eq!((row.count, row.self_size, row.retained_size, row.distance), (2, 3, 3, 1), "{}", row.name);
                if objects == RowObjects::Listed {
                    let outer = 1 + 2 * i as u32;
                    assert_eq!(row.nodes, [outer, outer + 1]);
                }
            }
        }
    }
}

#[test]
fn summary_rows_of_a_deep_nest_of_many_classes_are_exact() {
    // The root holds C0, which holds C1, ... C1999: each class retains its object and the rest.
    let classes = 2000;
    let header = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},"#;
    let mut nodes = vec!["9,0,1,0,1,0".to_string()];
    let mut edges = vec!["1,0,6".to_string()];
    let mut strings = vec!["\"\"".to_string(), "\"next\"".to_string()];
    for i in 0..classes {
        strings.push(format!("\"C{i}\""));
        let has_next = usize::from(i + 1 < classes);
        nodes.push(format!("3,{},{},1,{has_next},0", i + 2, 2 * i + 3));
        if has_next == 1 {
            edges.push(format!("2,1,{}", (i + 2) * 6));
        }
    }
    let json = format!(
        "{header}\"node_count\":{},\"edge_count\":{}}},\"nodes\":[{}],\"edges\":[{}],\"strings\":[{}]}}",
        nodes.len(),
        edges.len(),
        nodes.join(","),
        edges.join(","),
        strings.join(",")
    );
    let graph = heapscope::snapshot::load_v8_bytes(json.into_bytes(), "chain", LoadOptions::default(), &NoProgress)
        .expect("load");
    let (analysis, rows) =
        analyze_with_summary(&graph, &NoProgress, Parts::ALL, RowObjects::Counted).expect("analysis");
    assert_eq!(rows.len(), classes);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!((row.name.as_str(), row.retained_size), (format!("C{i}").as_str(), (classes - i) as u64));
    }
    assert_eq!(rows, aggregates_by(&graph, &analysis, &analysis.classes, None, RowObjects::Counted));
}
