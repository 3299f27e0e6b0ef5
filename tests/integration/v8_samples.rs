//! The V8 loader against the committed Node.js samples in `sample-snapshots/`. The expected
//! numbers were computed independently of heapscope, by a Python script that reads each
//! gzipped JSON with the `json` and `gzip` modules and finds every column through
//! `snapshot.meta` (node_count = len(nodes) / len(node_fields), and so on).

use heapscope::snapshot::{Format, LoadOptions, load_v8_file};
use heapscope::{HeapGraph, NoProgress};

use crate::common::{GraphDump, gunzip_file, load_bytes_chunked, load_file, sample, temp_file};

/// What the Python script computed for one sample.
struct Expected {
    file: &'static str,
    nodes: usize,
    edges: usize,
    /// Σ self_size over all nodes.
    self_size: u64,
    /// Σ id over all nodes.
    id_sum: u64,
    /// Number of nodes whose detachedness is 2 (detached).
    detached: usize,
    /// Σ over all edges of the target's ordinal (to_node / len(node_fields)).
    target_sum: u64,
    strings: usize,
    /// Σ of the strings' UTF-8 lengths.
    string_bytes: usize,
    locations: usize,
}

const SAMPLES: [Expected; 10] = [
    Expected {
        file: "emitter-listeners.after.heapsnapshot.gz",
        nodes: 44211,
        edges: 199537,
        self_size: 5342454,
        id_sum: 141701615168,
        detached: 8,
        target_sum: 2640091532,
        strings: 23830,
        string_bytes: 466448,
        locations: 4970,
    },
    Expected {
        file: "emitter-listeners.before.heapsnapshot.gz",
        nodes: 43230,
        edges: 195612,
        self_size: 3294494,
        id_sum: 143723978305,
        detached: 8,
        target_sum: 2539726424,
        strings: 23770,
        string_bytes: 464938,
        locations: 4570,
    },
    Expected {
        file: "emitter-listeners.final.heapsnapshot.gz",
        nodes: 45018,
        edges: 202748,
        self_size: 7375982,
        id_sum: 143898174461,
        detached: 8,
        target_sum: 2632834677,
        strings: 23830,
        string_bytes: 466448,
        locations: 5370,
    },
    Expected {
        file: "map-cache.after.heapsnapshot.gz",
        nodes: 70569,
        edges: 275181,
        self_size: 4261726,
        id_sum: 87539117942,
        detached: 8,
        target_sum: 4325782464,
        strings: 35120,
        string_bytes: 553235,
        locations: 4549,
    },
    Expected {
        file: "map-cache.before.heapsnapshot.gz",
        nodes: 43281,
        edges: 195717,
        self_size: 3195726,
        id_sum: 83876010404,
        detached: 8,
        target_sum: 2547330463,
        strings: 23810,
        string_bytes: 464077,
        locations: 4549,
    },
    Expected {
        file: "map-cache.final.heapsnapshot.gz",
        nodes: 97587,
        edges: 353099,
        self_size: 5341334,
        id_sum: 91203066120,
        detached: 8,
        target_sum: 7643989779,
        strings: 51315,
        string_bytes: 664290,
        locations: 4549,
    },
    Expected {
        file: "request-history.after.heapsnapshot.gz",
        nodes: 54276,
        edges: 222044,
        self_size: 3674782,
        id_sum: 41120994475,
        detached: 8,
        target_sum: 3206860098,
        strings: 26244,
        string_bytes: 567734,
        locations: 4549,
    },
    Expected {
        file: "request-history.before.heapsnapshot.gz",
        nodes: 43208,
        edges: 195458,
        self_size: 3192422,
        id_sum: 41990545329,
        detached: 8,
        target_sum: 2540830907,
        strings: 23784,
        string_bytes: 464376,
        locations: 4549,
    },
    Expected {
        file: "request-history.final.heapsnapshot.gz",
        nodes: 65094,
        edges: 247879,
        self_size: 4140422,
        id_sum: 43375443959,
        detached: 8,
        target_sum: 4053358638,
        strings: 28644,
        string_bytes: 672134,
        locations: 4549,
    },
    Expected {
        file: "weakmap.heapsnapshot.gz",
        nodes: 40664,
        edges: 184223,
        self_size: 3013050,
        id_sum: 62349772004,
        detached: 8,
        target_sum: 2272760938,
        strings: 23098,
        string_bytes: 463217,
        locations: 4263,
    },
];

fn expected(file: &str) -> &'static Expected {
    SAMPLES.iter().find(|e| e.file == file).unwrap_or_else(|| panic!("no expected numbers for {file}"))
}

/// Loads a committed sample from its gzip file.
fn load_sample(file: &str) -> HeapGraph {
    let path = sample(file);
    let load = load_file(&path).unwrap_or_else(|e| panic!("{file} does not load: {e}"));
    assert!(load.detected.gzip, "{file} is detected as gzip");
    assert_eq!(load.detected.format, Format::V8);
    load.graph
}

/// Asserts every number the Python script computed, and the invariants of a Node 20 snapshot.
fn check(g: &HeapGraph, e: &Expected) {
    let file = e.file;
    assert_eq!(g.node_count(), e.nodes, "{file}: node count");
    assert_eq!(g.edge_count(), e.edges, "{file}: edge count");
    assert_eq!(g.total_self_size(), e.self_size, "{file}: total self size");
    assert_eq!(g.self_sizes().iter().sum::<u64>(), e.self_size, "{file}: self sizes");
    assert_eq!(g.node_ids().iter().map(|&id| u64::from(id)).sum::<u64>(), e.id_sum, "{file}: Σ id");
    let detached = (0..g.node_count() as u32).filter(|&n| g.node_detachedness(n) == 2).count();
    assert_eq!(detached, e.detached, "{file}: detached nodes");
    let targets: u64 = (0..g.edge_count() as u32).map(|edge| u64::from(g.edge_target(edge))).sum();
    assert_eq!(targets, e.target_sum, "{file}: Σ edge target");
    assert_eq!(g.strings.len(), e.strings, "{file}: strings");
    assert_eq!(g.strings.byte_len(), e.string_bytes, "{file}: string bytes");
    assert_eq!(g.locations.len(), e.locations, "{file}: locations");
    // Node 20: 7 node fields, 16 node types, ids 1 and 3 for the root and (GC roots).
    assert_eq!(g.meta.node_fields.len(), 7, "{file}");
    assert_eq!(g.meta.node_types.len(), 16, "{file}");
    assert_eq!(g.meta.trace_function_count, 0, "{file}");
    assert_eq!(g.root(), 0, "{file}");
    assert_eq!((g.node_type_name(0), g.node_name(0), g.node_id(0)), ("synthetic", "", 1), "{file}: root");
    assert_eq!((g.node_type_name(1), g.node_name(1), g.node_id(1)), ("synthetic", "(GC roots)", 3), "{file}");
    // Every edge is somebody's retainer, exactly once.
    let slots: usize = (0..g.node_count() as u32).map(|n| g.retainers_of(n).len()).sum();
    assert_eq!(slots, e.edges, "{file}: retainer slots");
}

#[test]
fn every_committed_sample_is_tested_and_loads() {
    let mut files: Vec<String> = std::fs::read_dir(sample(""))
        .expect("sample-snapshots/ exists")
        .map(|entry| entry.expect("read sample-snapshots/").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".heapsnapshot.gz"))
        .collect();
    files.sort();
    let mut known: Vec<&str> = SAMPLES.iter().map(|e| e.file).collect();
    known.sort();
    assert_eq!(files, known, "every committed sample has expected numbers");
    assert_eq!(files.len(), 10);
    for file in &files {
        let g = load_sample(file);
        let e = expected(file);
        assert_eq!((g.node_count(), g.edge_count()), (e.nodes, e.edges), "{file}");
    }
}

macro_rules! sample_tests {
    ($($name:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check(&load_sample($file), expected($file));
            }
        )*
    };
}

sample_tests! {
    emitter_listeners_before => "emitter-listeners.before.heapsnapshot.gz",
    emitter_listeners_after => "emitter-listeners.after.heapsnapshot.gz",
    emitter_listeners_final => "emitter-listeners.final.heapsnapshot.gz",
    map_cache_before => "map-cache.before.heapsnapshot.gz",
    map_cache_after => "map-cache.after.heapsnapshot.gz",
    map_cache_final => "map-cache.final.heapsnapshot.gz",
    request_history_before => "request-history.before.heapsnapshot.gz",
    request_history_after => "request-history.after.heapsnapshot.gz",
    request_history_final => "request-history.final.heapsnapshot.gz",
    weakmap => "weakmap.heapsnapshot.gz",
}

#[test]
fn plain_and_gzip_give_the_same_graph() {
    let file = "request-history.before.heapsnapshot.gz";
    let gz_path = sample(file);
    let reference = load_sample(file);
    check(&reference, expected(file));
    let expected_dump = GraphDump::of(&reference);

    let plain = gunzip_file(&gz_path);
    assert!(plain.starts_with(br#"{"snapshot":"#));
    let from_plain_bytes = load_bytes_chunked(&plain, LoadOptions::default().chunk_size).expect("plain bytes load");
    assert!(GraphDump::of(&from_plain_bytes) == expected_dump, "plain bytes give another graph");
    let gz_bytes = std::fs::read(&gz_path).expect("read the sample");
    let from_gz_bytes = load_bytes_chunked(&gz_bytes, LoadOptions::default().chunk_size).expect("gzip bytes load");
    assert!(GraphDump::of(&from_gz_bytes) == expected_dump, "gzip bytes give another graph");

    let plain_file = temp_file(&plain);
    for (chunk_size, memory_map) in [(LoadOptions::default().chunk_size, true), (4093, true), (65_536, false)] {
        let load =
            load_v8_file(plain_file.path(), LoadOptions { chunk_size, memory_map, ..Default::default() }, &NoProgress)
                .unwrap_or_else(|e| panic!("the plain file does not load: {e}"));
        assert!(!load.detected.gzip);
        assert_eq!(load.detected.format, Format::V8);
        assert!(
            GraphDump::of(&load.graph) == expected_dump,
            "the plain file (chunk {chunk_size}, mapped {memory_map}) gives another graph"
        );
    }
}

#[test]
fn small_chunks_give_the_same_graph_on_a_real_snapshot() {
    let file = "emitter-listeners.before.heapsnapshot.gz";
    let plain = gunzip_file(&sample(file));
    let reference = GraphDump::of(&load_sample(file));
    for chunk in [1021, 8191] {
        let g = load_bytes_chunked(&plain, chunk).unwrap_or_else(|e| panic!("chunk {chunk}: {e}"));
        assert!(GraphDump::of(&g) == reference, "chunk {chunk} gives another graph");
    }
}

#[test]
fn a_mapped_file_larger_than_the_released_window() {
    // A 12 MiB value skipped before the nodes makes the mapped reader release pages it has
    // passed; the graph must not change.
    let file = "map-cache.before.heapsnapshot.gz";
    let plain = gunzip_file(&sample(file));
    let at = plain.windows(10).position(|w| w == b"\n\"nodes\":[").expect("the nodes key") + 1;
    let mut padded = plain[..at].to_vec();
    padded.extend_from_slice(b"\"padding\":\"");
    padded.resize(padded.len() + (12 << 20), b'x');
    padded.extend_from_slice(b"\",\n");
    padded.extend_from_slice(&plain[at..]);
    let reference = GraphDump::of(&load_sample(file));
    let padded_file = temp_file(&padded);
    for chunk_size in [1 << 20, 4096] {
        let load = load_v8_file(
            padded_file.path(),
            LoadOptions { chunk_size, memory_map: true, ..Default::default() },
            &NoProgress,
        )
        .unwrap_or_else(|e| panic!("the padded file does not load: {e}"));
        assert!(GraphDump::of(&load.graph) == reference, "chunk {chunk_size} gives another graph");
    }
}
