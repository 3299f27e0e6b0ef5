//! The V8 loader against Chrome DevTools' own reading of a real snapshot: for every node of
//! `../shared/oracle/node-cache.heapsnapshot.gz`, the id, type and name DevTools' heap snapshot
//! worker reports (`node-cache.devtools-nodes.jsonl.gz`, one JSON object per node, in node order).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use crate::common::{load_file, repo_root};

/// `<repo>/../shared/oracle`.
fn oracle_dir() -> PathBuf {
    repo_root().parent().expect("the repository has a parent directory").join("shared").join("oracle")
}

/// The oracle folder, or `None` (with a note) when it is missing outside CI; on CI it must be
/// there.
fn existing_oracle_dir() -> Option<PathBuf> {
    let dir = oracle_dir();
    if !dir.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "the oracle folder {} is missing on CI", dir.display());
        eprintln!("note: {} does not exist; skipping the DevTools oracle test", dir.display());
        return None;
    }
    Some(dir)
}

/// One line of the DevTools node list (only the keys compared here).
struct OracleNode {
    id: u64,
    name: String,
    node_type: String,
}

fn read_oracle_nodes(path: &std::path::Path) -> Vec<OracleNode> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let reader = BufReader::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    reader
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = line.unwrap_or_else(|e| panic!("read line {} of {}: {e}", i + 1, path.display()));
            let value: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("line {} is not JSON: {e}", i + 1));
            let field = |key: &str| value.get(key).unwrap_or_else(|| panic!("line {} has no {key}", i + 1));
            OracleNode {
                id: field("id").as_u64().unwrap_or_else(|| panic!("line {}: id is not a number", i + 1)),
                name: field("name")
                    .as_str()
                    .unwrap_or_else(|| panic!("line {}: name is not a string", i + 1))
                    .to_owned(),
                node_type: field("type")
                    .as_str()
                    .unwrap_or_else(|| panic!("line {}: type is not a string", i + 1))
                    .to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_node_matches_devtools() {
    let Some(dir) = existing_oracle_dir() else { return };
    let load = load_file(&dir.join("node-cache.heapsnapshot.gz"))
        .unwrap_or_else(|e| panic!("the oracle snapshot does not load: {e}"));
    assert!(load.detected.gzip);
    let g = load.graph;
    assert_eq!(g.node_count(), 90569);
    assert_eq!(g.edge_count(), 321025);

    let oracle = read_oracle_nodes(&dir.join("node-cache.devtools-nodes.jsonl.gz"));
    assert_eq!(oracle.len(), g.node_count(), "one oracle line per node");

    // Names DevTools derives later, by analysis, instead of showing the raw name.
    let (mut concatenated, mut plain_objects, mut detached) = (0usize, 0usize, 0usize);
    for (i, expected) in oracle.iter().enumerate() {
        let n = i as u32;
        assert_eq!(u64::from(g.node_id(n)), expected.id, "node {i}: id");
        assert_eq!(g.node_type_name(n), expected.node_type, "node {i} (id {}): type", expected.id);
        let name = g.node_name(n);
        if name == expected.name {
            continue;
        }
        if expected.node_type == "concatenated string" {
            // DevTools shows the string's value, joined from its parts.
            concatenated += 1;
        } else if expected.node_type == "object" && name == "Object" {
            // DevTools shows `{a, b, …}` from the object's properties.
            plain_objects += 1;
        } else if expected.name.strip_prefix("Detached ") == Some(name) {
            // DevTools prefixes detached native nodes.
            detached += 1;
        } else {
            panic!(
                "node {i} (id {}, {}): name {name:?}, DevTools shows {:?}",
                expected.id, expected.node_type, expected.name
            );
        }
    }
    assert_eq!(concatenated, 10710, "concatenated strings with a derived name");
    assert_eq!(plain_objects, 7106, "plain objects with a derived name");
    assert_eq!(detached, 19, "detached natives");
}

#[test]
fn the_detached_dom_filter_lists_the_natives_devtools_calls_detached() {
    let Some(dir) = existing_oracle_dir() else { return };
    let g = load_file(&dir.join("node-cache.heapsnapshot.gz"))
        .unwrap_or_else(|e| panic!("the oracle snapshot does not load: {e}"))
        .graph;
    let analysis = heapscope::analysis::analyze(&g, &heapscope::NoProgress).expect("analysis");
    let oracle = read_oracle_nodes(&dir.join("node-cache.devtools-nodes.jsonl.gz"));
    let expected: Vec<u32> = (0..g.node_count() as u32)
        .filter(|&v| {
            let node = &oracle[v as usize];
            node.node_type == "native" && node.name.starts_with("Detached ")
        })
        .collect();
    assert_eq!(expected.len(), 19);
    assert_eq!(heapscope::compare::filters::detached_dom(&g, &analysis), expected);
}
