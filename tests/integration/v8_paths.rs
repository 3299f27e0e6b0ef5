//! Retainer paths: Yen's k shortest paths against brute-force enumeration on random graphs, the
//! paths, chains and merged paths on the committed samples, node filters, and exports.

use std::collections::HashSet;

use heapscope::analysis::analyze;
use heapscope::analysis::paths::{
    IgnoreSet, RetainerPath, ShortestPathTree, devtools_chain, k_shortest_paths, merge_paths, path_shape, shortest_path,
};
use heapscope::compare::filters::{NodeQuery, duplicated_strings, retained_by_console, search};
use heapscope::export::paths::{PathDocument, document, dot, markdown};
use heapscope::export::write_atomically;
use heapscope::{HeapGraph, NoProgress};

use crate::common::{analyzed_sample, run_cli};
use crate::dominators::{RandomGraph, Rng, WEAK, load, to_json};

/// Every simple path from node 0 to `target` over non-weak edges avoiding `ignored`, as edge
/// lists (edge indexes as the loader numbers them: per node, in order); `None` past `cap`.
fn all_simple_paths(g: &RandomGraph, target: usize, ignored: Option<usize>, cap: usize) -> Option<Vec<Vec<u32>>> {
    struct Walk<'a> {
        g: &'a RandomGraph,
        first: Vec<u32>,
        target: usize,
        ignored: Option<usize>,
        on_path: Vec<bool>,
        edges: Vec<u32>,
        out: Vec<Vec<u32>>,
        cap: usize,
    }
    impl Walk<'_> {
        /// False once more than `cap` paths were found.
        fn from(&mut self, v: usize) -> bool {
            if v == self.target {
                self.out.push(self.edges.clone());
                return self.out.len() <= self.cap;
            }
            self.on_path[v] = true;
            for (j, &(ty, t)) in self.g.edges[v].iter().enumerate() {
                if ty == WEAK || self.on_path[t] || (Some(t) == self.ignored && t != self.target) {
                    continue;
                }
                self.edges.push(self.first[v] + j as u32);
                let ok = self.from(t);
                self.edges.pop();
                if !ok {
                    return false;
                }
            }
            self.on_path[v] = false;
            true
        }
    }
    let mut first = vec![0u32; g.edges.len()];
    for v in 1..g.edges.len() {
        first[v] = first[v - 1] + g.edges[v - 1].len() as u32;
    }
    let mut walk = Walk {
        g,
        first,
        target,
        ignored,
        on_path: vec![false; g.edges.len()],
        edges: Vec::new(),
        out: Vec::new(),
        cap,
    };
    walk.from(0).then_some(walk.out)
}

fn small_random_graph(rng: &mut Rng) -> RandomGraph {
    let n = 2 + rng.below(9);
    let types: Vec<usize> = (0..n).map(|v| if v == 0 { 1 } else { rng.below(2) * 2 }).collect();
    let sizes = (0..n).map(|_| 8).collect();
    let edges = (0..n)
        .map(|_| {
            (0..rng.below(4))
                .map(|_| {
                    let ty = if rng.below(6) == 0 { WEAK } else { 2 };
                    (ty, rng.below(n))
                })
                .collect()
        })
        .collect();
    RandomGraph { types, sizes, edges }
}

fn assert_valid(graph: &HeapGraph, path: &RetainerPath, target: u32, ignore: &IgnoreSet) {
    assert_eq!(path.nodes.first(), Some(&graph.root()));
    assert_eq!(path.target(), target);
    assert_eq!(path.edges.len() + 1, path.nodes.len());
    let mut seen = HashSet::new();
    for (i, &e) in path.edges.iter().enumerate() {
        let from = path.nodes[i];
        assert!(graph.edges_of(from).contains(&e), "edge {e} does not leave node {from}");
        assert_eq!(graph.edge_target(e), path.nodes[i + 1]);
        assert_ne!(graph.edge_type_name(e), "weak");
    }
    for &v in &path.nodes {
        assert!(seen.insert(v), "node {v} repeats: not a simple path");
        assert!(v == target || !ignore.contains(v), "the path passes through ignored node {v}");
    }
}

#[test]
fn k_shortest_paths_agree_with_brute_force_on_random_graphs() {
    let mut rng = Rng(0x5eed_cafe);
    let mut checked = 0;
    for _ in 0..600 {
        let g = small_random_graph(&mut rng);
        let graph = load(&to_json(&g));
        let analysis = analyze(&graph, &NoProgress).expect("analysis");
        let n = g.types.len();
        let target = 1 + rng.below(n - 1);
        let ignored = (rng.below(3) == 0).then(|| rng.below(n)).filter(|&v| v != 0 && v != target);
        let ignore = IgnoreSet::new(ignored.map(|v| v as u32));
        let Some(mut all) = all_simple_paths(&g, target, ignored, 20_000) else { continue };
        all.sort_by_key(Vec::len);
        let k = 1 + rng.below(5);
        let found = k_shortest_paths(&graph, &analysis, target as u32, k, &ignore);
        assert_eq!(found.len(), k.min(all.len()), "graph {:?}, target {target}", g.edges);
        let lengths: Vec<usize> = found.iter().map(RetainerPath::len).collect();
        let expected: Vec<usize> = all.iter().take(k).map(Vec::len).collect();
        assert_eq!(lengths, expected, "graph {:?}, target {target}, ignored {ignored:?}", g.edges);
        let distinct: HashSet<&Vec<u32>> = found.iter().map(|p| &p.edges).collect();
        assert_eq!(distinct.len(), found.len(), "paths repeat");
        for p in &found {
            assert_valid(&graph, p, target as u32, &ignore);
            assert!(all.contains(&p.edges));
        }
        // The single shortest path and the breadth-first tree agree on the length.
        let shortest = shortest_path(&graph, &analysis, target as u32, &ignore);
        assert_eq!(shortest.as_ref().map(RetainerPath::len), all.first().map(Vec::len));
        let tree = ShortestPathTree::new(&graph, &analysis, &ignore);
        assert_eq!(tree.path(target as u32).map(|p| p.len()), all.first().map(Vec::len));
        checked += 1;
    }
    assert!(checked > 400, "only {checked} graphs checked");
}

#[test]
fn paths_to_a_leaked_record_go_through_request_history() {
    let (graph, analysis) = analyzed_sample("request-history.final.heapsnapshot.gz");
    let records: Vec<u32> =
        (0..graph.node_count() as u32).filter(|&v| analysis.class_name(&graph, v) == "{data}").collect();
    // The 4010 entries, and the object literal's boilerplate that V8 keeps in an allocation site.
    assert_eq!(records.len(), 4011);
    let record = records[records.len() / 2];
    let none = IgnoreSet::default();
    let paths = k_shortest_paths(&graph, &analysis, record, 3, &none);
    assert_eq!(paths.len(), 3);
    let names =
        |p: &RetainerPath| -> Vec<String> { p.edges.iter().map(|&e| graph.edge_name(e).into_owned()).collect() };
    assert_eq!(names(&paths[0])[1], "requestHistory", "{:?}", names(&paths[0]));
    assert!(paths.windows(2).all(|w| w[0].len() <= w[1].len()));
    for p in &paths {
        assert_valid(&graph, p, record, &none);
    }
    // DevTools' chain stops at `global` (distance 1) and reads global.requestHistory[i].
    let chain = devtools_chain(&graph, &analysis, record, &none);
    assert_eq!(analysis.display_name(&graph, chain.nodes[0]), "global");
    assert_eq!(names(&chain)[0], "requestHistory");
    assert_eq!(graph.edge_type_name(chain.edges[1]), "element");
    // Ignoring the global object: the paths avoid it (through the GC roots' handles instead),
    // or there are none.
    let global = chain.nodes[0];
    let ignore = IgnoreSet::new([global]);
    for p in k_shortest_paths(&graph, &analysis, record, 3, &ignore) {
        assert_valid(&graph, &p, record, &ignore);
    }
    // Merged paths: all 4010 records hang off the one array; the counts add up.
    let tree = ShortestPathTree::new(&graph, &analysis, &none);
    let merged = merge_paths(&graph, &analysis, &tree, &records);
    assert_eq!(merged.iter().map(|m| m.objects.len()).sum::<usize>(), records.len());
    let top = &merged[0];
    assert!(top.objects.len() >= 4000, "{}", top.objects.len());
    assert_eq!(top.path.target(), top.objects[0]);
    assert_eq!(analysis.class_name(&graph, top.path.nodes[top.path.len() - 1]), "Array");
}

/// Each leaked listener holds its `LeakyClass` through a closure of its own, so no two
/// shortest paths share their retainers; merged by shape, they are one group: every instance,
/// through the emitter's listener array.
#[test]
fn merged_paths_group_objects_by_path_shape() {
    let (graph, analysis) = analyzed_sample("emitter-listeners.final.heapsnapshot.gz");
    let instances: Vec<u32> = (0..graph.node_count() as u32)
        .filter(|&v| analysis.self_sizes.get(v as usize) > 0 && analysis.class_name(&graph, v) == "LeakyClass")
        .collect();
    assert_eq!(instances.len(), 410);
    let tree = ShortestPathTree::new(&graph, &analysis, &IgnoreSet::default());
    let merged = merge_paths(&graph, &analysis, &tree, &instances);
    assert_eq!(merged.len(), 1, "one shape");
    assert_eq!(merged[0].objects, instances);
    let path = &merged[0].path;
    assert_eq!(path.target(), instances[0]);
    let edges: Vec<String> = path.edges.iter().map(|&e| graph.edge_name(e).into_owned()).collect();
    assert_eq!(&edges[1..4], ["bus", "_events", "tick"], "{edges:?}");
    // Every instance's own shortest path has that shape, through its own closure.
    let shape = path_shape(&graph, &analysis, path);
    let closures: HashSet<u32> = instances
        .iter()
        .map(|&v| tree.path(v).expect("a path"))
        .inspect(|p| assert_eq!(path_shape(&graph, &analysis, p), shape))
        .map(|p| p.nodes[p.len() - 2])
        .collect();
    assert_eq!(closures.len(), instances.len());
}

#[test]
fn filters_and_search() {
    let (graph, analysis) = analyzed_sample("request-history.final.heapsnapshot.gz");
    let record =
        (0..graph.node_count() as u32).find(|&v| analysis.class_name(&graph, v) == "{data}").expect("a record");
    let id = graph.node_id(record);
    assert_eq!(search(&graph, &analysis, &NodeQuery::parse(&format!("@{id}")).expect("query")), vec![record]);
    let by_text = search(&graph, &analysis, &NodeQuery::parse("{DATA}").expect("query"));
    assert_eq!(by_text.len(), 4011, "case-insensitive substring of the class name");
    let by_regex = search(&graph, &analysis, &NodeQuery::parse(r"/^\{data\}$/").expect("query"));
    assert_eq!(by_regex, by_text);
    assert!(NodeQuery::parse("/[/").is_err());
    // Duplicated strings: each group's value is shared by every node in it, most waste first.
    let duplicates = duplicated_strings(&graph, &analysis);
    assert!(!duplicates.is_empty());
    for d in duplicates.iter().take(20) {
        assert!(d.nodes.len() > 1);
        assert!(d.nodes.iter().all(|&v| graph.node_name(v) == d.value && graph.node_type_name(v) == "string"));
        assert_eq!(d.total_size, d.nodes.iter().map(|&v| analysis.self_sizes.get(v as usize)).sum::<u64>());
    }
    assert!(duplicates.windows(2).all(|w| w[0].wasted_size >= w[1].wasted_size));
    // Node has no DevTools console handles.
    assert!(retained_by_console(&graph, &analysis).is_empty());
}

/// A tiny snapshot: the root holds `a` by a "DevTools console" edge and `b` by a property; `a`
/// holds `c`; `b` holds `d`, which `a` also holds.
const CONSOLE_SNAPSHOT: &str = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],
"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},"node_count":5,"edge_count":5},
"nodes":[9,0,1,0,2, 3,1,3,10,2, 3,2,5,10,1, 3,3,7,10,0, 3,4,9,10,0],
"edges":[3,5,5, 2,6,10, 2,7,15, 2,7,20, 2,7,20],
"strings":["","A","B","C","D","(DevTools console) 1","b","x"]}"#;

#[test]
fn objects_only_the_console_keeps() {
    let graph = load(CONSOLE_SNAPSHOT);
    let analysis = analyze(&graph, &NoProgress).expect("analysis");
    let names: Vec<&str> = retained_by_console(&graph, &analysis).iter().map(|&v| graph.node_name(v)).collect();
    assert_eq!(names, ["A", "C"]);
}

#[test]
fn exported_paths_round_trip_and_render() {
    let (graph, analysis) = analyzed_sample("request-history.final.heapsnapshot.gz");
    let records: Vec<u32> =
        (0..graph.node_count() as u32).filter(|&v| analysis.class_name(&graph, v) == "{data}").collect();
    let record = records[records.len() / 2];
    let paths: Vec<(RetainerPath, u64)> =
        k_shortest_paths(&graph, &analysis, record, 3, &IgnoreSet::default()).into_iter().map(|p| (p, 1)).collect();
    let doc = document(&graph, &analysis, "request-history.final.heapsnapshot.gz", &paths);
    assert_eq!((doc.format.as_str(), doc.version), ("heapscope-retainer-paths", 1));
    let text = serde_json::to_string_pretty(&doc).expect("JSON");
    let back: PathDocument = serde_json::from_str(&text).expect("parses back");
    assert_eq!(back, doc);
    for (record_path, (path, _)) in back.paths.iter().zip(&paths) {
        let ids: Vec<u32> = path.nodes.iter().map(|&v| graph.node_id(v)).collect();
        assert_eq!(record_path.steps.iter().map(|s| s.node_id).collect::<Vec<_>>(), ids);
        assert_eq!(record_path.steps[0].edge_name, None);
    }
    assert_eq!(back.paths[0].steps[2].edge_name.as_deref(), Some("requestHistory"));
    // Markdown: one table per path, every row with the header's number of cells.
    let md = markdown(&doc);
    let tables: Vec<&str> = md.split("\n## ").skip(1).collect();
    assert_eq!(tables.len(), 3);
    for table in tables {
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
        let cells = |row: &str| row.replace("\\|", "").matches('|').count();
        assert!(rows.len() >= 4);
        assert!(rows.iter().all(|r| cells(r) == cells(rows[0])), "{table}");
    }
    // DOT: Graphviz accepts it.
    let dot_text = dot(&doc);
    match std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(dot_text.as_bytes()).expect("write to dot");
            let output = child.wait_with_output().expect("dot runs");
            assert!(output.status.success(), "dot refused the file: {}", String::from_utf8_lossy(&output.stderr));
            assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
        }
        Err(_) if std::env::var_os("HEAPSCOPE_REQUIRE_TOOLS").is_none() => {
            eprintln!("graphviz `dot` not found: DOT not rendered")
        }
        Err(e) => panic!("graphviz `dot` is required (HEAPSCOPE_REQUIRE_TOOLS is set): {e}"),
    }
}

#[test]
fn atomic_writes_never_leave_half_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("paths.json");
    write_atomically(&path, |out| out.write_all(b"first version")).expect("write");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "first version");
    // A writer that fails half-way leaves the old content, and no temporary file behind.
    let failed = write_atomically(&path, |out| {
        out.write_all(b"half of the second")?;
        Err(std::io::Error::other("disk full"))
    });
    assert!(failed.is_err());
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "first version");
    let entries: Vec<_> = std::fs::read_dir(dir.path()).expect("list").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("paths.json")]);
    write_atomically(&path, |out| out.write_all(b"second")).expect("write");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "second");
}

#[test]
fn cli_paths_exports_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = "sample-snapshots/request-history.final.heapsnapshot.gz";
    for (format, check) in
        [("json", "\"heapscope-retainer-paths\""), ("md", "| # | edge |"), ("dot", "digraph retainers")]
    {
        let out = dir.path().join(format!("paths.{format}"));
        let (code, _, err) = run_cli(&[
            "paths",
            snapshot,
            "--class",
            "{data}",
            "--k",
            "2",
            "--format",
            format,
            "-o",
            &out.display().to_string(),
        ]);
        assert_eq!(code, Some(0), "{err}");
        let text = std::fs::read_to_string(&out).expect("the output file");
        assert!(text.contains(check), "{format}: {text}");
    }
    let doc: PathDocument =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("paths.json")).expect("read")).expect("JSON");
    assert_eq!(doc.paths.len(), 2);
    assert!(doc.paths[0].count >= 4000, "merged paths carry their object counts");
    let (code, _, err) = run_cli(&["paths", snapshot, "--id", "999999999"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("there is no object with id @999999999"), "{err}");
}
