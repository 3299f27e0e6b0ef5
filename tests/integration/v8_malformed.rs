//! The V8 loader's errors: every malformed input must give an error (never a panic, never a
//! graph) whose message names the file and says what is wrong, the same way for every chunk
//! size and every way of reading the input.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use heapscope::snapshot::{LoadOptions, load_v8_bytes, load_v8_file};
use heapscope::{NoProgress, Phase, Progress};

use crate::common::{
    NAME, assert_graph, chunk_sizes, gzip, json_err, load_bytes, load_bytes_chunked, load_err_every_way, load_file,
    temp_file,
};

/// The header of the small snapshots below, up to the counts.
const META: &str = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},"#;

const NODES: &str = r#""nodes":[9,0,1,0,2,0,3,1,3,32,1,0,2,2,5,16,0,0]"#;
const EDGES: &str = r#""edges":[1,0,6,2,3,12,2,3,12]"#;
const STRINGS: &str = r#""strings":["","Object","tab\there","a"]"#;

/// A snapshot with the given header counts and the given sections (everything after the header).
fn snapshot(node_count: u64, edge_count: u64, body: &str) -> String {
    format!("{META}\"node_count\":{node_count},\"edge_count\":{edge_count}}},\n{body}}}")
}

/// A snapshot with the given nodes, edges and strings sections and consistent counts for the
/// valid ones (3 nodes, 3 edges).
fn with(nodes: &str, edges: &str, strings: &str) -> String {
    snapshot(3, 3, &format!("{nodes},\n{edges},\n{strings}"))
}

/// The valid small snapshot every malformed one is derived from.
fn valid() -> String {
    with(NODES, EDGES, STRINGS)
}

/// Asserts `message` is exactly `test.heapsnapshot: <rest>`.
fn assert_message(message: &str, rest: &str) {
    assert_eq!(message, format!("{NAME}: {rest}"));
}

#[test]
fn the_valid_base_snapshot_loads() {
    let g = crate::common::load_json(&valid());
    assert_graph(
        &g,
        &[("synthetic", "", 1, 0), ("object", "Object", 3, 32), ("string", "tab\there", 5, 16)],
        &[(0, "element", "0", 1), (0, "property", "a", 2), (1, "property", "a", 2)],
    );
}

// ---------------------------------------------------------------------------------------------
// Not a V8 snapshot at all.

#[test]
fn not_json() {
    assert_message(
        &load_err_every_way(b"hello world"),
        r#"not a heap snapshot or tracemalloc dump: it starts with "hello world""#,
    );
}

#[test]
fn binary_garbage_is_shown_escaped_and_cut_to_16_bytes() {
    assert_message(
        &load_err_every_way(b"\x00\x01PK\x03\x04 and a long tail that is not shown"),
        r#"not a heap snapshot or tracemalloc dump: it starts with "\x00\x01PK\x03\x04 and a lon""#,
    );
}

#[test]
fn a_json_document_without_a_snapshot_key() {
    let expected = r#"not a heap snapshot or tracemalloc dump: a JSON document without a "snapshot" header"#;
    assert_message(&json_err(r#"{"nodes":[1,2,3],"edges":[],"strings":[]}"#), expected);
    assert_message(&json_err(r#"[1,2,3]"#), expected);
    assert_message(&json_err(r#"{"snapshotX":{}}"#), expected);
    // The header exists but is not the first key.
    assert_message(&json_err(&format!(r#"{{"strings":[],{}"#, &valid()[1..])), expected);
}

#[test]
fn the_snapshot_key_not_first_after_long_whitespace() {
    // So much whitespace that the format sniffer only sees '{'; the loader then finds another key.
    let json = format!("{{{}\"nodes\":[],\"snapshot\":{{}}}}", " ".repeat(100));
    assert_message(&json_err(&json), "the snapshot has no snapshot header (it must be the first key) section");
}

#[test]
fn empty_input() {
    assert_message(&load_err_every_way(b""), "the file is empty");
    let err = load_bytes("").unwrap_err();
    assert_eq!(err.to_string(), "test.heapsnapshot: the file is empty");
}

#[test]
fn an_empty_file() {
    let file = temp_file(b"");
    let err = load_file(file.path()).unwrap_err();
    assert_eq!(err.to_string(), format!("{}: the file is empty", file.path().display()));
}

#[test]
fn a_directory() {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let err = load_file(dir.path()).unwrap_err();
    assert_eq!(err.to_string(), format!("{}: is a directory, not a snapshot file", dir.path().display()));
    assert_eq!(err.source_name, dir.path());
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let path = dir.path().join("nothing-here.heapsnapshot");
    let message = load_file(&path).unwrap_err().to_string();
    let prefix = format!("{}: cannot read the file: ", path.display());
    assert!(message.starts_with(&prefix), "{message}");
    assert!(message.contains("No such file or directory"), "{message}");
}

#[test]
fn a_python_pickle() {
    let expected = "this is a Python pickle (a tracemalloc dump?), not a V8 heap snapshot";
    // Protocol 4 and 5 pickles, as tracemalloc's Snapshot.dump writes them, and protocol 2.
    assert_message(&load_err_every_way(b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x0btracemalloc"), expected);
    assert_message(&load_err_every_way(b"\x80\x05\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x0btracemalloc"), expected);
    assert_message(&load_err_every_way(b"\x80\x02ctracemalloc\nSnapshot\n"), expected);
}

// ---------------------------------------------------------------------------------------------
// Truncated input.

/// What a prefix of `valid()` ends inside, when it ends inside one of the big sections.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Region {
    Header,
    Nodes,
    Edges,
    Strings,
    Other,
}

/// The position right after `open` and the position of the bracket closing that section.
fn section(json: &str, open: &str, close: char) -> (usize, usize) {
    let start = json.find(open).unwrap_or_else(|| panic!("{open} not found")) + open.len();
    let end = start + json[start..].find(close).expect("the section ends");
    (start, end)
}

#[test]
fn every_prefix_of_a_valid_snapshot_is_an_error() {
    let json = valid();
    let bytes = json.as_bytes();
    // A cut at position p keeps bytes[..p]. A cut in [start, end] of a section keeps its
    // opening bracket and loses its closing one.
    let header = (r#"{"snapshot":"#.len(), json.find(r#""edge_count":3}"#).unwrap() + r#""edge_count":3"#.len());
    let nodes = section(&json, r#""nodes":["#, ']');
    let edges = section(&json, r#""edges":["#, ']');
    let strings = (section(&json, r#""strings":["#, ']').0, json.len() - 2);
    let region = |p: usize| {
        let inside = |(a, b): (usize, usize)| a <= p && p <= b;
        if inside(header) {
            Region::Header
        } else if inside(nodes) {
            Region::Nodes
        } else if inside(edges) {
            Region::Edges
        } else if inside(strings) {
            Region::Strings
        } else {
            Region::Other
        }
    };
    let mut checked = [0usize; 5];
    for p in 0..bytes.len() {
        let prefix = &bytes[..p];
        for chunk in chunk_sizes() {
            let result = catch_unwind(AssertUnwindSafe(|| load_bytes_chunked(prefix, chunk)));
            let message = match result {
                Err(_) => panic!("the loader panics on the first {p} bytes (chunk size {chunk}): {:?}", &json[..p]),
                Ok(Ok(_)) => panic!("the first {p} bytes load (chunk size {chunk}): {:?}", &json[..p]),
                Ok(Err(e)) => e.to_string(),
            };
            assert!(message.starts_with("test.heapsnapshot: "), "{message}");
            let truncated =
                |inside: &str| format!("test.heapsnapshot: the file is truncated: it ends at byte {p} inside {inside}");
            let r = region(p);
            match r {
                Region::Header => assert_eq!(message, truncated("the snapshot header"), "cut at {p}"),
                Region::Nodes => assert_eq!(message, truncated("the nodes array"), "cut at {p}"),
                Region::Edges => assert_eq!(message, truncated("the edges array"), "cut at {p}"),
                Region::Strings => {
                    // Inside a string (its opening quote kept), right after a backslash, or
                    // between strings.
                    let before = &json[strings.0..p];
                    let quotes = before.matches('"').count() - before.matches("\\\"").count();
                    let inside = if before.ends_with('\\') {
                        "a string escape"
                    } else if quotes % 2 == 1 {
                        "a string"
                    } else {
                        "the strings array"
                    };
                    assert_eq!(message, truncated(inside), "cut at {p}");
                }
                Region::Other => {}
            }
            if chunk == 1 {
                checked[r as usize] += 1;
            }
        }
    }
    // Every region was cut somewhere (the counts are the sections' lengths).
    assert!(checked.iter().all(|&n| n > 0), "{checked:?}");
    assert_eq!(checked[Region::Nodes as usize], nodes.1 - nodes.0 + 1);
}

#[test]
fn truncated_inside_the_header() {
    let json = valid();
    let cut = json.find("node_types").unwrap();
    assert_message(
        &json_err(&json[..cut]),
        &format!("the file is truncated: it ends at byte {cut} inside the snapshot header"),
    );
}

#[test]
fn truncated_inside_the_nodes() {
    let json = valid();
    let cut = json.find("3,32,").unwrap() + 2;
    assert_message(
        &json_err(&json[..cut]),
        &format!("the file is truncated: it ends at byte {cut} inside the nodes array"),
    );
}

#[test]
fn truncated_inside_the_edges() {
    let json = valid();
    let cut = json.find("2,3,12,2").unwrap() + 5;
    assert_message(
        &json_err(&json[..cut]),
        &format!("the file is truncated: it ends at byte {cut} inside the edges array"),
    );
}

#[test]
fn truncated_inside_the_strings() {
    let json = valid();
    let between = json.find(r#""Object","#).unwrap() + 9;
    assert_message(
        &json_err(&json[..between]),
        &format!("the file is truncated: it ends at byte {between} inside the strings array"),
    );
    let inside = json.find(r#""Object","#).unwrap() + 3;
    assert_message(
        &json_err(&json[..inside]),
        &format!("the file is truncated: it ends at byte {inside} inside a string"),
    );
}

#[test]
fn truncated_inside_a_string_escape() {
    let json = valid();
    let cut = json.find(r"tab\t").unwrap() + 4;
    assert_eq!(&json[cut - 1..cut], "\\");
    assert_message(
        &json_err(&json[..cut]),
        &format!("the file is truncated: it ends at byte {cut} inside a string escape"),
    );
}

#[test]
fn truncated_inside_a_unicode_escape() {
    // The file ends after `\u00`: the escape is cut, not invalid.
    let json = valid().replace(r"tab\there", r"tab\u00e9");
    let start = json.find(r"\u00e9").unwrap();
    for cut in [start + 1, start + 2, start + 3, start + 4, start + 5] {
        assert_message(
            &json_err(&json[..cut]),
            &format!("the file is truncated: it ends at byte {cut} inside a string escape"),
        );
    }
}

#[test]
fn truncated_inside_a_top_level_key() {
    let json = valid();
    let cut = json.find(r#""edges""#).unwrap() + 3;
    assert_message(&json_err(&json[..cut]), &format!("the file is truncated: it ends at byte {cut} inside a key"));
}

#[test]
fn truncated_after_the_last_bracket() {
    let json = valid();
    assert!(json.ends_with("]}"));
    let cut = json.len() - 1;
    assert_message(
        &json_err(&json[..cut]),
        &format!("the file is truncated: it ends at byte {cut} inside the top-level object"),
    );
}

#[test]
fn truncated_inside_the_trace_tree_and_a_skipped_value() {
    let tree = with(NODES, EDGES, &format!("{STRINGS},\n\"trace_tree\":[1,0,0,0,[2,1,1,8,["));
    let cut = tree.len() - 1;
    assert_message(&json_err(&tree[..cut]), &format!("the file is truncated: it ends at byte {cut} inside trace_tree"));
    let skipped = with(NODES, EDGES, &format!("{STRINGS},\n\"scopes\":[[1,2],{{\"a\":\"]"));
    let cut = skipped.len() - 1;
    assert_message(
        &json_err(&skipped[..cut]),
        &format!("the file is truncated: it ends at byte {cut} inside a JSON value"),
    );
}

#[test]
fn a_gzip_file_cut_in_the_middle() {
    // Big enough that the compressed stream has many blocks.
    let mut body = String::from(r#""nodes":["#);
    for i in 0..20_000u32 {
        body.push_str(&format!("{}3,{},{},{},0,0", if i == 0 { "" } else { "," }, i % 4, 2 * i + 1, i));
    }
    body.push_str(r#"],"edges":[],"strings":["","Object","tab\there","a"]"#);
    let json = snapshot(20_000, 0, &body);
    assert_eq!(load_bytes(&json).expect("the whole snapshot loads").node_count(), 20_000);
    let compressed = gzip(json.as_bytes());
    let expected_rest = "the gzip stream is damaged: the compressed stream ends early (the file is truncated)";
    for cut in [compressed.len() / 2, compressed.len() - 4, compressed.len() - 8, compressed.len() - 9] {
        let file = temp_file(&compressed[..cut]);
        let err = load_file(file.path()).unwrap_err();
        assert_eq!(err.to_string(), format!("{}: {expected_rest}", file.path().display()), "cut at {cut}");
        for chunk in chunk_sizes() {
            let err = load_bytes_chunked(&compressed[..cut], chunk).unwrap_err();
            assert_message(&err.to_string(), expected_rest);
        }
    }
}

#[test]
fn a_gzip_file_cut_inside_its_header() {
    let compressed = gzip(valid().as_bytes());
    for cut in [2, 5, 9] {
        let file = temp_file(&compressed[..cut]);
        let message = load_file(file.path()).unwrap_err().to_string();
        let prefix = format!("{}: the gzip stream is damaged: ", file.path().display());
        assert!(message.starts_with(&prefix), "cut at {cut}: {message}");
    }
}

#[test]
fn a_damaged_gzip_stream() {
    let mut compressed = gzip(valid().as_bytes());
    // Overwrite the deflate data (after the 10-byte header) with bytes that are not a valid
    // deflate block sequence.
    let middle = compressed.len() / 2;
    for b in &mut compressed[10..middle] {
        *b = 0xff;
    }
    let file = temp_file(&compressed);
    let message = load_file(file.path()).unwrap_err().to_string();
    let prefix = format!("{}: the gzip stream is damaged: ", file.path().display());
    assert!(message.starts_with(&prefix), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Missing or inconsistent sections.

#[test]
fn no_edges_section() {
    assert_message(&json_err(&snapshot(3, 3, &format!("{NODES},\n{STRINGS}"))), "the snapshot has no edges section");
}

#[test]
fn no_strings_section() {
    assert_message(&json_err(&snapshot(3, 3, &format!("{NODES},\n{EDGES}"))), "the snapshot has no strings section");
}

#[test]
fn no_nodes_section() {
    assert_message(&json_err(&snapshot(3, 3, &format!("{EDGES},\n{STRINGS}"))), "the snapshot has no nodes section");
}

#[test]
fn only_a_header() {
    assert_message(
        &json_err(&format!("{META}\"node_count\":0,\"edge_count\":0}}}}")),
        "the snapshot has no nodes section",
    );
}

#[test]
fn nodes_not_a_multiple_of_the_node_fields() {
    let json = with(r#""nodes":[9,0,1,0,2,0,3,1,3,32,1,0,2,2,5,16,0]"#, EDGES, STRINGS);
    assert_message(&json_err(&json), "the nodes array has 17 numbers, which is not a multiple of its 6 fields");
}

#[test]
fn edges_not_a_multiple_of_the_edge_fields() {
    let json = with(NODES, r#""edges":[1,0,6,2,3,12,2,3]"#, STRINGS);
    assert_message(&json_err(&json), "the edges array has 8 numbers, which is not a multiple of its 3 fields");
}

#[test]
fn an_edge_target_that_is_not_a_multiple_of_the_node_field_count() {
    let json = with(NODES, r#""edges":[1,0,6,2,3,13,2,3,12]"#, STRINGS);
    assert_message(
        &json_err(&json),
        "edge 1 points to nodes-array offset 13, which is not a multiple of the node field count 6",
    );
}

#[test]
fn an_edge_target_beyond_the_last_node() {
    let json = with(NODES, r#""edges":[1,0,6,2,3,12,2,3,18]"#, STRINGS);
    assert_message(
        &json_err(&json),
        "edge 2 points to nodes-array offset 18, beyond the last node (there are 3 nodes)",
    );
}

#[test]
fn the_first_bad_edge_target_is_named_when_a_long_edges_array_has_several() {
    // Long enough to be read in parallel parts, which convert their targets independently.
    let edge_count: usize = 200_000;
    let mut edges: Vec<String> = (0..edge_count).map(|i| format!("1,{i},6")).collect();
    edges[150_000] = "1,0,12".into();
    edges[30_000] = "1,0,7".into();
    edges[170_000] = "1,0,5".into();
    let body =
        format!("\"nodes\":[9,0,1,0,{edge_count},0,3,1,3,32,0,0],\n\"edges\":[{}],\n{STRINGS}", edges.join(",\n"));
    assert_message(
        &json_err(&snapshot(2, edge_count as u64, &body)),
        "edge 30000 points to nodes-array offset 7, which is not a multiple of the node field count 6",
    );
}

#[test]
fn a_bad_stride_is_named_before_a_bad_edge_target() {
    let json = with(NODES, r#""edges":[1,0,6,2,3,18,2,3]"#, STRINGS);
    assert_message(&json_err(&json), "the edges array has 8 numbers, which is not a multiple of its 3 fields");
}

#[test]
fn edge_counts_that_do_not_add_up() {
    let more = with(r#""nodes":[9,0,1,0,2,0,3,1,3,32,2,0,2,2,5,16,0,0]"#, EDGES, STRINGS);
    assert_message(&json_err(&more), "the nodes' edge_count fields add up to 4 edges, but the edges array holds 3");
    let fewer = with(r#""nodes":[9,0,1,0,2,0,3,1,3,32,0,0,2,2,5,16,0,0]"#, EDGES, STRINGS);
    assert_message(&json_err(&fewer), "the nodes' edge_count fields add up to 2 edges, but the edges array holds 3");
}

#[test]
fn an_unknown_node_type() {
    let json = with(r#""nodes":[9,0,1,0,2,0,3,1,3,32,1,0,15,2,5,16,0,0]"#, EDGES, STRINGS);
    assert_message(&json_err(&json), "node 2 has type index 15, but only 15 node types are declared");
}

#[test]
fn an_unknown_edge_type() {
    let json = with(NODES, r#""edges":[1,0,6,7,3,12,2,3,12]"#, STRINGS);
    assert_message(&json_err(&json), "edge 1 has type index 7, but only 7 edge types are declared");
}

#[test]
fn header_counts_that_disagree_with_the_arrays() {
    let nodes = snapshot(4, 3, &format!("{NODES},\n{EDGES},\n{STRINGS}"));
    assert_message(&json_err(&nodes), "the header says 4 nodes, but the nodes array holds 3");
    let nodes = snapshot(2, 3, &format!("{NODES},\n{EDGES},\n{STRINGS}"));
    assert_message(&json_err(&nodes), "the header says 2 nodes, but the nodes array holds 3");
    let edges = snapshot(3, 2, &format!("{NODES},\n{EDGES},\n{STRINGS}"));
    assert_message(&json_err(&edges), "the header says 2 edges, but the edges array holds 3");
}

#[test]
fn a_node_name_beyond_the_strings() {
    let json = with(r#""nodes":[9,0,1,0,2,0,3,99,3,32,1,0,2,2,5,16,0,0]"#, EDGES, STRINGS);
    assert_message(&json_err(&json), "node 1 names string 99, but there are only 4 strings");
}

#[test]
fn an_edge_name_beyond_the_strings() {
    // A property edge names a string; element and hidden edges hold plain numbers.
    let json = with(NODES, r#""edges":[1,4000,6,2,4,12,2,3,12]"#, STRINGS);
    assert_message(&json_err(&json), "edge 1 names string 4, but there are only 4 strings");
}

#[test]
fn a_root_index_that_names_no_node() {
    let json = valid().replace(r#""edge_count":3}"#, r#""edge_count":3,"root_index":18}"#);
    assert_message(
        &json_err(&json),
        "bad snapshot header: root_index 18 does not name a node (node field count 6, 3 nodes)",
    );
    let json = valid().replace(r#""edge_count":3}"#, r#""edge_count":3,"root_index":7}"#);
    assert_message(
        &json_err(&json),
        "bad snapshot header: root_index 7 does not name a node (node field count 6, 3 nodes)",
    );
}

#[test]
fn a_snapshot_without_nodes_has_no_root() {
    let json = snapshot(0, 0, r#""nodes":[],"edges":[],"strings":[]"#);
    assert_message(
        &json_err(&json),
        "bad snapshot header: root_index 0 does not name a node (node field count 6, 0 nodes)",
    );
}

#[test]
fn a_location_row_that_names_no_node_reports_where() {
    // Row 1's object_index (7, not a multiple of 6) is number 4 of the array.
    let json = valid()
        .replace(
            r#""edge_types":[["#,
            r#""location_fields":["object_index","script_id","line","column"],"edge_types":[["#,
        )
        .replace(STRINGS, &format!("{STRINGS},\n\"locations\":[6,1,2,3,7,1,2,3]"));
    assert_message(
        &json_err(&json),
        "location 1 (index 4 of the locations array) names nodes-array offset 7, which is not a node",
    );
}

#[test]
fn the_first_bad_location_is_named_when_a_long_locations_array_has_several() {
    // Long enough to be checked in parallel blocks.
    let mut rows: Vec<String> = (0..300_000).map(|i| format!("6,1,{i},3")).collect();
    rows[250_000] = "18,1,2,3".into();
    rows[100_000] = "13,1,2,3".into();
    rows[200_001] = "5,1,2,3".into();
    let json = valid()
        .replace(
            r#""edge_types":[["#,
            r#""location_fields":["object_index","script_id","line","column"],"edge_types":[["#,
        )
        .replace(STRINGS, &format!("{STRINGS},\n\"locations\":[{}]", rows.join(",")));
    assert_message(
        &json_err(&json),
        "location 100000 (index 400000 of the locations array) names nodes-array offset 13, which is not a node",
    );
}

// ---------------------------------------------------------------------------------------------
// Bad header.

#[test]
fn a_header_that_is_not_an_object() {
    let body = r#""nodes":[],"edges":[],"strings":[]}"#;
    // An array is read whole and then refused by the header parser.
    let message = json_err(&format!(r#"{{"snapshot":[1,2],{body}"#));
    let expected = "test.heapsnapshot: bad snapshot header: the snapshot object: invalid type: integer `1`";
    assert!(message.starts_with(expected), "{message}");
    // A scalar is not even read.
    assert_message(
        &json_err(&format!(r#"{{"snapshot":"x",{body}"#)),
        r#"not valid JSON at byte 12: expected '{', found '"'"#,
    );
    // An object without meta fields.
    let message = json_err(&format!(r#"{{"snapshot":{{"meta":{{}},"node_count":0,"edge_count":0}},{body}"#));
    let expected = "test.heapsnapshot: bad snapshot header: the snapshot object: missing field `node_fields`";
    assert!(message.starts_with(expected), "{message}");
}

#[test]
fn a_header_without_a_required_node_field() {
    let json = valid().replace(r#""edge_count","detachedness"]"#, r#""edges","detachedness"]"#);
    assert_message(&json_err(&json), r#"bad snapshot header: meta.node_fields has no "edge_count""#);
}

#[test]
fn a_header_without_a_required_edge_field() {
    let json = valid().replace(r#""name_or_index","to_node"]"#, r#""name_or_index","to"]"#);
    assert_message(&json_err(&json), r#"bad snapshot header: meta.edge_fields has no "to_node""#);
}

#[test]
fn a_header_whose_node_types_are_not_a_list() {
    let json = valid().replace(r#""node_types":[["hidden","#, r#""node_types":["x",["hidden","#);
    assert_message(&json_err(&json), "bad snapshot header: meta.node_types[0] is not a list of type names");
}

#[test]
fn a_header_without_node_count() {
    let json = valid().replace(r#""node_count":3,"#, "");
    assert_message(&json_err(&json), "bad snapshot header: no node_count");
}

#[test]
fn a_header_with_a_negative_count() {
    let json = valid().replace(r#""edge_count":3}"#, r#""edge_count":-3}"#);
    assert_message(&json_err(&json), "bad snapshot header: edge_count is -3, not a non-negative integer");
    let json = valid().replace(r#""node_count":3,"#, r#""node_count":"3","#);
    assert_message(&json_err(&json), r#"bad snapshot header: node_count is "3", not a non-negative integer"#);
}

// ---------------------------------------------------------------------------------------------
// Bad numbers in the arrays.

#[test]
fn garbage_inside_the_nodes() {
    let json = with(r#""nodes":[9,0,x,0,2,0,3,1,3,32,1,0,2,2,5,16,0,0]"#, EDGES, STRINGS);
    let byte = json.find(",x,").unwrap() + 1;
    assert_message(
        &json_err(&json),
        &format!("bad number in the nodes array at index 2 (byte {byte}): expected an unsigned integer, found 'x'"),
    );
}

#[test]
fn garbage_late_inside_the_edges() {
    let json = with(NODES, r#""edges":[1,0,6,2,3,12,2,3,-12]"#, STRINGS);
    let byte = json.find("-12").unwrap();
    assert_message(
        &json_err(&json),
        &format!("bad number in the edges array at index 8 (byte {byte}): expected an unsigned integer, found '-'"),
    );
}

#[test]
fn a_number_with_a_fraction() {
    // The bad number is the one at index 3 ("0.5"); the message names it and its '.'.
    let json = with(r#""nodes":[9,0,1,0.5,2,0,3,1,3,32,1,0,2,2,5,16,0,0]"#, EDGES, STRINGS);
    let byte = json.find(".5").unwrap();
    assert_message(
        &json_err(&json),
        &format!("bad number in the nodes array at index 3 (byte {byte}): expected ',' between numbers, found '.'"),
    );
}

#[test]
fn a_node_type_too_large_for_its_column() {
    let json = with(r#""nodes":[9,0,1,0,2,0,300,1,3,32,1,0,2,2,5,16,0,0]"#, EDGES, STRINGS);
    let byte = json.find(",300,").unwrap() + 1;
    assert_message(
        &json_err(&json),
        &format!("bad number in the nodes array at index 6 (byte {byte}): 300 does not fit in 8 bits"),
    );
}

#[test]
fn a_node_id_too_large_for_its_column() {
    let json = with(r#""nodes":[9,0,1,0,2,0,3,1,5000000000,32,1,0,2,2,5,16,0,0]"#, EDGES, STRINGS);
    let byte = json.find("5000000000").unwrap();
    assert_message(
        &json_err(&json),
        &format!("bad number in the nodes array at index 8 (byte {byte}): 5000000000 does not fit in 32 bits"),
    );
}

#[test]
fn numbers_too_large_report_their_value() {
    // Only the message tail is checked here; the byte offset is checked above.
    for (nodes, edges, tail) in [
        (r#""nodes":[9,0,1,0,2,256,3,1,3,32,1,0,2,2,5,16,0,0]"#, EDGES, "256 does not fit in 8 bits"),
        (NODES, r#""edges":[1,5000000000,6,2,3,12,2,3,12]"#, "5000000000 does not fit in 32 bits"),
        (NODES, r#""edges":[1,0,6,2,3,12,2,3,4294967296]"#, "4294967296 does not fit in 32 bits"),
        (
            r#""nodes":[9,0,1,0,2,0,3,1,3,123456789012345678901,1,0,2,2,5,16,0,0]"#,
            EDGES,
            "the number has more than 19 digits",
        ),
    ] {
        let message = json_err(&with(nodes, edges, STRINGS));
        assert!(message.starts_with("test.heapsnapshot: bad number in the "), "{message}");
        assert!(message.ends_with(tail), "{message} should end with {tail}");
    }
}

#[test]
fn a_trailing_comma_in_the_nodes() {
    let json = with(r#""nodes":[9,0,1,0,2,0,3,1,3,32,1,0,2,2,5,16,0,0,]"#, EDGES, STRINGS);
    let byte = json.find(",]").unwrap() + 1;
    assert_message(&json_err(&json), &format!("not valid JSON at byte {byte}: expected a number after ',', found ']'"));
}

#[test]
fn a_trailing_comma_in_the_edges() {
    let json = with(NODES, r#""edges":[1,0,6,2,3,12,2,3,12,]"#, STRINGS);
    let byte = json.find(",]").unwrap() + 1;
    assert_message(&json_err(&json), &format!("not valid JSON at byte {byte}: expected a number after ',', found ']'"));
}

#[test]
fn a_trailing_comma_in_the_strings() {
    let json = with(NODES, EDGES, r#""strings":["","Object","tab\there","a",]"#);
    let byte = json.find(",]").unwrap() + 1;
    assert_message(
        &json_err(&json),
        &format!("not valid JSON at byte {byte}: expected a string in the strings array, found ']'"),
    );
}

#[test]
fn a_bad_string_escape() {
    let json = valid().replace(r"tab\there", r"tab\qhere");
    let byte = json.find(r"\q").unwrap();
    assert_message(
        &json_err(&json),
        &format!("not valid JSON at byte {byte}: expected a valid escape after '\\', found 'q'"),
    );
}

#[test]
fn a_string_that_is_not_a_string() {
    let json = valid().replace(r#""Object","#, "42,");
    let byte = json.find("42,").unwrap();
    assert_message(
        &json_err(&json),
        &format!("not valid JSON at byte {byte}: expected a string in the strings array, found '4'"),
    );
}

#[test]
fn a_duplicate_nodes_section() {
    // JSON does not forbid repeated keys; the loader refuses them rather than guessing.
    let json = with(&format!("{NODES},\n{NODES}"), EDGES, STRINGS);
    assert_message(&json_err(&json), "the snapshot has two nodes sections");
}

#[test]
fn a_duplicate_edges_section() {
    // JSON does not forbid repeated keys; the loader refuses them rather than guessing.
    let json = with(NODES, &format!("{EDGES},\n{EDGES}"), STRINGS);
    assert_message(&json_err(&json), "the snapshot has two edges sections");
}

#[test]
fn a_duplicate_strings_section() {
    // JSON does not forbid repeated keys; the loader refuses them rather than guessing.
    let json = with(NODES, EDGES, &format!("{STRINGS},\n{STRINGS}"));
    assert_message(&json_err(&json), "the snapshot has two strings sections");
}

#[test]
fn a_value_that_is_not_an_array() {
    let json = with(r#""nodes":{"a":1}"#, EDGES, STRINGS);
    let byte = json.find(r#"{"a":1}"#).unwrap();
    assert_message(
        &json_err(&json),
        &format!("not valid JSON at byte {byte}: expected '[' to start an array, found '{{'"),
    );
}

#[test]
fn garbage_after_a_section() {
    let json = with(NODES, &format!("{EDGES} x"), STRINGS);
    let byte = json.find(" x").unwrap() + 1;
    assert_message(
        &json_err(&json),
        &format!("not valid JSON at byte {byte}: expected ',' or '}}' after a top-level value, found 'x'"),
    );
}

// ---------------------------------------------------------------------------------------------
// Cancellation.

/// A progress that asks to stop once `is_cancelled` has been asked `after` times.
struct CancelAfter {
    after: u64,
    asked: AtomicU64,
}

impl Progress for CancelAfter {
    fn phase(&self, _phase: Phase, _total: u64) {}
    fn set_done(&self, _done: u64) {}
    fn is_cancelled(&self) -> bool {
        self.asked.fetch_add(1, Ordering::Relaxed) >= self.after
    }
}

#[test]
fn a_cancelled_load() {
    let cancel = CancelAfter { after: 0, asked: AtomicU64::new(0) };
    let err = load_v8_bytes(valid().into_bytes(), NAME, LoadOptions::default(), &cancel).unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(err.to_string(), "test.heapsnapshot: cancelled");

    let file = temp_file(valid().as_bytes());
    let cancel = CancelAfter { after: 0, asked: AtomicU64::new(0) };
    let err = load_v8_file(file.path(), LoadOptions::default(), &cancel).unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(err.to_string(), format!("{}: cancelled", file.path().display()));
}

#[test]
fn cancellation_at_every_point_where_it_is_checked() {
    // Cancel at the first, second, ... check: every load up to the last check is cancelled,
    // and a progress that never cancels loads the graph.
    let json = valid();
    let mut cancelled = 0;
    for after in 0..1000 {
        let cancel = CancelAfter { after, asked: AtomicU64::new(0) };
        match load_v8_bytes(
            json.clone().into_bytes(),
            NAME,
            LoadOptions { chunk_size: 7, ..Default::default() },
            &cancel,
        ) {
            Err(e) => {
                assert!(e.is_cancelled(), "{e}");
                assert_eq!(e.to_string(), "test.heapsnapshot: cancelled");
                cancelled += 1;
            }
            Ok(g) => {
                assert_eq!(g.node_count(), 3);
                assert_eq!(cancel.asked.load(Ordering::Relaxed), after, "every check was made");
                break;
            }
        }
    }
    assert!(cancelled >= 4, "the loader checks for cancellation in several places ({cancelled})");
    assert!(load_v8_bytes(json.into_bytes(), NAME, LoadOptions::default(), &NoProgress).is_ok());
}
