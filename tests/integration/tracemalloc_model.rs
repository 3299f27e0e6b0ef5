//! The tracemalloc model on the committed samples: the call tree's sums and paths, and the
//! request-history leak ranking where a user looks first.

use heapscope::NoProgress;
use heapscope::snapshot::tracemalloc::load_file;
use heapscope::traces::AllocationTraces;
use heapscope::traces::call_tree::{CallTree, ROOT_FRAME};
use heapscope::traces::stats::{Grouping, KeyType, compare, key_text, statistics};

use crate::common::sample;

fn load(name: &str) -> AllocationTraces {
    load_file(&sample(name), &NoProgress).unwrap_or_else(|e| panic!("{e}")).traces
}

#[test]
fn committed_dumps_have_the_expected_counts() {
    // Counts from Python: len(snapshot.traces), sum of sizes, snapshot.traceback_limit.
    for (name, traces, size) in [
        ("request-history.before.tracemalloc.gz", 2306, 284_273),
        ("request-history.after.tracemalloc.gz", 8288, 1_582_927),
        ("request-history.final.tracemalloc.gz", 14344, 2_890_195),
    ] {
        let dump = load(name);
        assert_eq!(dump.trace_count(), traces, "{name}");
        assert_eq!(dump.total_size(), size, "{name}");
        assert_eq!(dump.traceback_limit, 25, "{name}");
        assert!(dump.max_total_nframe() > 25, "{name}: the renderer recurses past the limit");
    }
}

#[test]
fn call_tree_sums_and_paths() {
    let dump = load("request-history.final.tracemalloc.gz");
    let tree = CallTree::build(&dump, None);
    assert_eq!(tree.frame[0], ROOT_FRAME);
    assert_eq!(tree.retained_size(tree.root()), dump.total_size());
    assert_eq!(tree.total_count[0], dump.trace_count() as u64);
    for node in 0..tree.node_count() as u32 {
        let children = tree.children(node);
        let n = node as usize;
        let child_size: u64 = children.iter().map(|&c| tree.total_size[c as usize]).sum();
        let child_count: u64 = children.iter().map(|&c| tree.total_count[c as usize]).sum();
        assert_eq!(tree.total_size[n], tree.self_size[n] + child_size, "node {node}");
        assert_eq!(tree.total_count[n], tree.self_count[n] + child_count, "node {node}");
        assert!(children.windows(2).all(|w| tree.total_size[w[0] as usize] >= tree.total_size[w[1] as usize]));
        for &child in children {
            assert_eq!(tree.dominator(child), Some(node));
        }
    }
    assert_eq!(tree.dominator(0), None);
    // Every traceback ends at its own node, whose path is the traceback oldest first and whose
    // self numbers are that traceback's statistics.
    let by_traceback = statistics(&dump, Grouping::new(KeyType::Traceback, false).expect("valid"), None);
    let mut leaves = std::collections::HashSet::new();
    for row in &by_traceback.rows {
        let frames = dump.table.traceback(row.key);
        let node = tree.find(frames).expect("every traceback is in the tree");
        assert!(leaves.insert(node), "two tracebacks end at node {node}");
        let path: Vec<u32> = tree.path(node).iter().map(|&n| tree.frame[n as usize]).collect();
        let oldest_first: Vec<u32> = frames.iter().rev().copied().collect();
        assert_eq!(path, oldest_first);
        assert_eq!((tree.self_size[node as usize], tree.self_count[node as usize]), (row.size, row.count));
    }
    let with_self = (0..tree.node_count()).filter(|&n| tree.self_count[n] > 0).count();
    assert_eq!(with_self, leaves.len());
}

#[test]
fn the_request_history_leak_tops_the_comparison() {
    let (after, last) = (load("request-history.after.tracemalloc.gz"), load("request-history.final.tracemalloc.gz"));
    let grouping = Grouping::new(KeyType::Lineno, false).expect("valid");
    let diff = compare(&last, None, &after, None, grouping);
    let top: Vec<String> = diff.rows[..3].iter().map(|r| key_text(&diff.table, KeyType::Lineno, r.key)).collect();
    // The payload strings (server.py:11) and the records (history.py:5) that request_history
    // keeps grow by one each per request: 1500 requests between the dumps.
    assert_eq!(top[0], "/srv/app/server.py:11");
    assert!(top.contains(&"/srv/app/history.py:5".to_string()), "{top:?}");
    let records = diff.rows.iter().find(|r| key_text(&diff.table, KeyType::Lineno, r.key) == "/srv/app/history.py:5");
    let records = records.expect("the records' line");
    assert!(records.count_diff >= 2 * 1500, "{records:?}");
    // In the call tree, the leak's allocation sites sit under `remember` (history.py:6's caller).
    let tree = CallTree::build(&last, None);
    let leak_nodes: Vec<u32> = (0..tree.node_count() as u32)
        .filter(|&n| {
            tree.frame[n as usize] != ROOT_FRAME
                && key_text(&last.table, KeyType::Lineno, tree.frame[n as usize]) == "/srv/app/history.py:5"
        })
        .collect();
    assert!(!leak_nodes.is_empty());
    let leaked: u64 = leak_nodes.iter().map(|&n| tree.retained_size(n)).sum();
    let line_size = statistics(&last, grouping, None)
        .rows
        .iter()
        .find(|r| key_text(&last.table, KeyType::Lineno, r.key) == "/srv/app/history.py:5")
        .map(|r| r.size)
        .expect("the line's statistics");
    assert_eq!(leaked, line_size, "the tree's nodes for a leaf line add up to the line's statistics");
}
