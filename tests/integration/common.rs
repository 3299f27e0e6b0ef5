//! Helpers shared by the integration tests: paths, loading one input every way the loader can
//! read it (several chunk sizes, bytes or file, mapped or read, plain or gzip), and a plain-data
//! dump of a graph so that two loads can be compared field by field.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use heapscope::graph::{Location, SnapshotMeta, TraceTreeNode};
use heapscope::snapshot::{LoadOptions, V8Load, load_v8_bytes, load_v8_file};
use heapscope::{Error, HeapGraph, NoProgress};

/// The source name given to in-memory loads; every error message starts with it.
pub const NAME: &str = "test.heapsnapshot";

/// The root of the repository (the crate's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file in `sample-snapshots/`.
pub fn sample(name: &str) -> PathBuf {
    repo_root().join("sample-snapshots").join(name)
}

/// The chunk sizes every small input is loaded with: tiny ones put a chunk boundary inside
/// every token, the default one reads the whole input at once.
pub fn chunk_sizes() -> [usize; 4] {
    [1, 7, 64, LoadOptions::default().chunk_size]
}

/// Load options with the given chunk size (and the default memory-map setting).
pub fn options(chunk_size: usize) -> LoadOptions {
    LoadOptions { chunk_size, ..Default::default() }
}

/// Loads a snapshot held in memory, streaming it in chunks of `chunk_size` bytes.
pub fn load_bytes_chunked(bytes: &[u8], chunk_size: usize) -> Result<HeapGraph, Error> {
    load_v8_bytes(bytes.to_vec(), NAME, options(chunk_size), &NoProgress)
}

/// Loads a JSON snapshot held in memory with the default chunk size.
pub fn load_bytes(json: &str) -> Result<HeapGraph, Error> {
    load_bytes_chunked(json.as_bytes(), LoadOptions::default().chunk_size)
}

/// Loads a file with the default options.
pub fn load_file(path: &Path) -> Result<V8Load, Error> {
    load_v8_file(path, LoadOptions::default(), &NoProgress)
}

/// Writes `bytes` to a new temporary file (deleted when the returned value is dropped).
pub fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".heapsnapshot").tempfile().expect("create a temp file");
    file.write_all(bytes).expect("write the temp file");
    file.flush().expect("flush the temp file");
    file
}

/// Gzip-compresses `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// Decompresses a gzip file.
pub fn gunzip_file(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::io::BufReader::new(file))
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("gunzip {}: {e}", path.display()));
    out
}

/// One way of loading an input, for messages.
#[derive(Clone, Copy, Debug)]
pub enum Way {
    /// `load_v8_bytes` with this chunk size.
    Bytes(usize),
    /// `load_v8_bytes` of the gzip-compressed input with this chunk size.
    GzipBytes(usize),
    /// `load_v8_file` of a plain file, memory-mapped, with this chunk size.
    MappedFile(usize),
    /// `load_v8_file` of a plain file, read as a stream, with this chunk size.
    ReadFile(usize),
    /// `load_v8_file` of a gzip file with this chunk size.
    GzipFile(usize),
}

/// Every way of loading a small input: bytes, gzip bytes, mapped file, read file and gzip file,
/// each with every chunk size of [`chunk_sizes`].
pub fn every_way() -> Vec<Way> {
    let mut ways = Vec::new();
    for chunk in chunk_sizes() {
        ways.extend([Way::Bytes(chunk), Way::GzipBytes(chunk), Way::MappedFile(chunk), Way::ReadFile(chunk)]);
        ways.push(Way::GzipFile(chunk));
    }
    ways
}

/// Loads `bytes` one way. Errors are returned as their message with the file name replaced by
/// [`NAME`], so that the messages of file loads and of in-memory loads can be compared.
pub fn load_one_way(bytes: &[u8], way: Way) -> Result<HeapGraph, String> {
    let from_file = |contents: &[u8], chunk_size: usize, memory_map: bool| {
        let file = temp_file(contents);
        let path = file.path().to_path_buf();
        let result = load_v8_file(&path, LoadOptions { chunk_size, memory_map, ..Default::default() }, &NoProgress);
        result.map(|load| load.graph).map_err(|e| {
            let message = e.to_string();
            let prefix = format!("{}: ", path.display());
            assert!(message.starts_with(&prefix), "{way:?}: the message {message:?} does not start with the path");
            assert_eq!(e.source_name, path, "{way:?}: the error names another file");
            format!("{NAME}: {}", &message[prefix.len()..])
        })
    };
    match way {
        Way::Bytes(chunk) => load_bytes_chunked(bytes, chunk).map_err(|e| checked_message(&e)),
        Way::GzipBytes(chunk) => load_bytes_chunked(&gzip(bytes), chunk).map_err(|e| checked_message(&e)),
        Way::MappedFile(chunk) => from_file(bytes, chunk, true),
        Way::ReadFile(chunk) => from_file(bytes, chunk, false),
        Way::GzipFile(chunk) => from_file(&gzip(bytes), chunk, true),
    }
}

/// The message of an in-memory load error, after checking it names [`NAME`].
fn checked_message(e: &Error) -> String {
    assert_eq!(e.source_name, Path::new(NAME));
    let message = e.to_string();
    assert!(message.starts_with(&format!("{NAME}: ")), "{message:?} does not start with the file name");
    message
}

/// Loads `bytes` every way (see [`every_way`]), asserts every load gives the same graph and
/// returns it.
pub fn load_every_way(bytes: &[u8]) -> HeapGraph {
    let reference = load_bytes_chunked(bytes, LoadOptions::default().chunk_size)
        .unwrap_or_else(|e| panic!("the snapshot does not load: {e}"));
    let expected = GraphDump::of(&reference);
    for way in every_way() {
        let graph = load_one_way(bytes, way).unwrap_or_else(|e| panic!("{way:?}: the snapshot does not load: {e}"));
        let dump = GraphDump::of(&graph);
        assert!(dump == expected, "{way:?} gives another graph:\n{dump:#?}\nexpected:\n{expected:#?}");
    }
    reference
}

/// Loads a JSON snapshot every way (see [`load_every_way`]).
pub fn load_json(json: &str) -> HeapGraph {
    load_every_way(json.as_bytes())
}

/// Loads `bytes` every way, asserts every load fails with the same message (never panics, the
/// message always starts with the file name) and returns the message.
pub fn load_err_every_way(bytes: &[u8]) -> String {
    let expected = match load_bytes_chunked(bytes, LoadOptions::default().chunk_size) {
        Ok(_) => panic!("the input loads, but it should not"),
        Err(e) => checked_message(&e),
    };
    for way in every_way() {
        match load_one_way(bytes, way) {
            Ok(_) => panic!("{way:?}: the input loads, but it should not (default chunk: {expected:?})"),
            Err(message) => assert_eq!(message, expected, "{way:?} gives another message"),
        }
    }
    expected
}

/// Loads a JSON snapshot every way and returns the (identical) error message.
pub fn json_err(json: &str) -> String {
    load_err_every_way(json.as_bytes())
}

/// Everything the public API tells about a graph, as plain data that can be compared.
#[derive(Debug, PartialEq)]
pub struct GraphDump {
    pub meta: SnapshotMeta,
    pub root: u32,
    pub nodes: Vec<NodeDump>,
    pub edges: Vec<EdgeDump>,
    /// (source node, edge) of every retainer slot, node by node.
    pub retainers: Vec<(u32, u32)>,
    pub strings: Vec<String>,
    pub locations: Vec<Location>,
    pub trace_function_infos: Vec<u32>,
    pub trace_tree: Vec<TraceTreeNode>,
    pub samples: Vec<u64>,
}

/// One node of a [`GraphDump`].
#[derive(Debug, PartialEq)]
pub struct NodeDump {
    pub type_index: u8,
    pub name_index: u32,
    pub id: u32,
    pub self_size: u64,
    pub trace_node_id: u32,
    pub detachedness: u8,
    pub edges: std::ops::Range<u32>,
    pub retainers: std::ops::Range<u32>,
}

/// One edge of a [`GraphDump`].
#[derive(Debug, PartialEq)]
pub struct EdgeDump {
    pub type_index: u8,
    pub name_or_index: u32,
    pub to: u32,
}

impl GraphDump {
    /// Reads everything through the public API.
    pub fn of(g: &HeapGraph) -> Self {
        let nodes = (0..g.node_count() as u32)
            .map(|n| NodeDump {
                type_index: g.node_type(n),
                name_index: g.node_name_index(n),
                id: g.node_id(n),
                self_size: g.node_self_size(n),
                trace_node_id: g.node_trace_node_id(n),
                detachedness: g.node_detachedness(n),
                edges: g.edges_of(n),
                retainers: g.retainers_of(n),
            })
            .collect();
        let edges = (0..g.edge_count() as u32)
            .map(|e| EdgeDump {
                type_index: g.edge_type(e),
                name_or_index: g.edge_name_or_index(e),
                to: g.edge_target(e),
            })
            .collect();
        let retainers = (0..g.node_count() as u32).flat_map(|n| g.retainer_edges(n)).collect();
        Self {
            meta: g.meta.clone(),
            root: g.root(),
            nodes,
            edges,
            retainers,
            strings: g.strings.iter().map(str::to_owned).collect(),
            locations: g.locations.clone(),
            trace_function_infos: g.trace_function_infos.clone(),
            trace_tree: g.trace_tree.clone(),
            samples: g.samples.clone(),
        }
    }
}

/// An expected node: (type name, name, id, self size).
pub type ExpectedNode<'a> = (&'a str, &'a str, u32, u64);
/// An expected edge: (source node, type name, name as `edge_name` gives it, target node).
pub type ExpectedEdge<'a> = (u32, &'a str, &'a str, u32);

/// Asserts the whole graph: every node, every edge in file order (grouped by source node), and
/// every node's retainers in ascending (source, edge) order.
pub fn assert_graph(g: &HeapGraph, nodes: &[ExpectedNode<'_>], edges: &[ExpectedEdge<'_>]) {
    assert_eq!(g.node_count(), nodes.len(), "node count");
    assert_eq!(g.edge_count(), edges.len(), "edge count");
    for (n, &(ty, name, id, size)) in nodes.iter().enumerate() {
        let n = n as u32;
        assert_eq!(
            (g.node_type_name(n), g.node_name(n), g.node_id(n), g.node_self_size(n)),
            (ty, name, id, size),
            "node {n}"
        );
        // The edges of node n are the expected edges whose source is n; they must be contiguous.
        let mine: Vec<u32> = (0..edges.len() as u32).filter(|&e| edges[e as usize].0 == n).collect();
        let start = mine.first().copied().unwrap_or(g.edges_of(n).start);
        assert_eq!(g.edges_of(n), start..start + mine.len() as u32, "edges of node {n}");
        assert_eq!(g.edge_count_of(n), mine.len(), "edge count of node {n}");
    }
    for (e, &(from, ty, name, to)) in edges.iter().enumerate() {
        let e = e as u32;
        assert!(g.edges_of(from).contains(&e), "edge {e} should belong to node {from}");
        assert_eq!((g.edge_type_name(e), g.edge_name(e).as_ref(), g.edge_target(e)), (ty, name, to), "edge {e}");
    }
    for n in 0..nodes.len() as u32 {
        let expected: Vec<(u32, u32)> =
            edges.iter().enumerate().filter(|(_, edge)| edge.3 == n).map(|(e, edge)| (edge.0, e as u32)).collect();
        assert_eq!(retainers(g, n), expected, "retainers of node {n}");
    }
    let total: u64 = nodes.iter().map(|node| node.3).sum();
    assert_eq!(g.total_self_size(), total, "total self size");
}

/// A node's retainers as (source node, edge) pairs, in the graph's order; the slots name the
/// same sources.
pub fn retainers(g: &HeapGraph, n: u32) -> Vec<(u32, u32)> {
    let pairs: Vec<(u32, u32)> = g.retainer_edges(n).collect();
    let sources: Vec<u32> = g.retainers_of(n).map(|slot| g.retainer_node_at(slot)).collect();
    assert_eq!(pairs.iter().map(|&(source, _)| source).collect::<Vec<_>>(), sources, "retainer slots of node {n}");
    pairs
}

/// Every node's detachedness, in ordinal order.
pub fn detachedness(g: &HeapGraph) -> Vec<u8> {
    (0..g.node_count() as u32).map(|n| g.node_detachedness(n)).collect()
}

/// Every node's trace node id, in ordinal order.
pub fn trace_node_ids(g: &HeapGraph) -> Vec<u32> {
    (0..g.node_count() as u32).map(|n| g.node_trace_node_id(n)).collect()
}

/// The strings table as owned strings.
pub fn strings(g: &HeapGraph) -> Vec<String> {
    g.strings.iter().map(str::to_owned).collect()
}

/// A committed sample, loaded and analyzed.
pub fn analyzed_sample(name: &str) -> (HeapGraph, heapscope::analysis::Analysis) {
    let graph = match load_file(&sample(name)) {
        Ok(load) => load.graph,
        Err(e) => panic!("{e}"),
    };
    let analysis = heapscope::analysis::analyze(&graph, &NoProgress).unwrap_or_else(|e| panic!("{name}: {e}"));
    (graph, analysis)
}

/// Runs the `heapscope` binary from the repository root; returns the exit code, stdout, stderr.
pub fn run_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("run heapscope");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
