//! The V8 loader against hand-written tiny snapshots, one per variant of `snapshot.meta` and of
//! the document layout. Every snapshot is loaded every way (chunk sizes 1, 7, 64 and the default;
//! bytes, gzip, mapped and read files) and every way must give the same graph, which is then
//! asserted whole.

use heapscope::graph::{Location, TraceTreeNode};

use crate::common::{
    ExpectedEdge, ExpectedNode, assert_graph, detachedness, load_json, retainers, strings, trace_node_ids,
};

/// The 15 node types of V8 before `wasm object`.
macro_rules! node_types_15 {
    () => {
        r#"[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"]"#
    };
}

/// The 16 node types of Node 20 (V8 11.3).
macro_rules! node_types_16 {
    () => {
        r#"[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape","wasm object"],"string","number","number","number","number","number"]"#
    };
}

/// The 7 edge types of V8.
macro_rules! edge_types {
    () => {
        r#"[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]"#
    };
}

/// The strings of the base graph, in every encoding below.
macro_rules! base_strings {
    () => {
        r#"["","(GC roots)","Object","a","global","hello","Window","b"]"#
    };
}

/// The base graph that most variants encode: a root with a shortcut to an object and an element
/// edge to `(GC roots)`; a hidden edge to a native node whose id is above `i32::MAX`; an object
/// with a property and an internal edge; a cycle object <-> native.
const BASE_NODES: &[ExpectedNode<'static>] = &[
    ("synthetic", "", 1, 0),
    ("synthetic", "(GC roots)", 3, 0),
    ("object", "Object", 5, 40),
    ("string", "hello", 7, 16),
    ("native", "Window", 4_000_000_000, 100),
];

const BASE_EDGES: &[ExpectedEdge<'static>] = &[
    (0, "shortcut", "global", 2),
    (0, "element", "1", 1),
    (1, "hidden", "0", 4),
    (2, "property", "a", 3),
    (2, "internal", "b", 4),
    (4, "property", "a", 2),
];

const BASE_STRINGS: &[&str] = &["", "(GC roots)", "Object", "a", "global", "hello", "Window", "b"];

/// The base graph with 6 node fields ending in `detachedness` (V8 without allocation tracking).
const BASE_6_DETACHEDNESS: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#"},"node_count":5,"edge_count":6,"trace_function_count":0},
"nodes":[9,0,1,0,2,0
,9,1,3,0,1,0
,3,2,5,40,2,1
,2,5,7,16,0,0
,8,6,4000000000,100,1,2],
"edges":[5,4,12
,1,1,6
,4,0,24
,2,3,18
,3,7,24
,2,3,12],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn six_node_fields_with_detachedness_and_without_trace_node_id() {
    let g = load_json(BASE_6_DETACHEDNESS);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    // The retainers spelled out, in ascending (source, edge) order.
    assert_eq!(retainers(&g, 0), []);
    assert_eq!(retainers(&g, 1), [(0, 1)]);
    assert_eq!(retainers(&g, 2), [(0, 0), (4, 5)]);
    assert_eq!(retainers(&g, 3), [(2, 3)]);
    assert_eq!(retainers(&g, 4), [(1, 2), (2, 4)]);
    assert_eq!(detachedness(&g), [0, 0, 1, 0, 2]);
    assert_eq!(trace_node_ids(&g), [0; 5]);
    assert!(g.meta.has_detachedness());
    assert!(!g.meta.has_trace_node_id());
    assert_eq!(g.meta.node_fields, ["type", "name", "id", "self_size", "edge_count", "detachedness"]);
    assert_eq!(g.meta.edge_fields, ["type", "name_or_index", "to_node"]);
    assert_eq!(g.meta.node_types.len(), 15);
    assert_eq!(g.meta.edge_types, ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]);
    assert_eq!(g.meta.trace_function_count, 0);
    assert_eq!(g.meta.extra_native_bytes, 0);
    assert_eq!(g.root(), 0);
    assert_eq!(strings(&g), BASE_STRINGS);
    assert_eq!(g.total_self_size(), 156);
    assert!(g.locations.is_empty());
    assert!(g.trace_function_infos.is_empty());
    assert!(g.trace_tree.is_empty());
    assert!(g.samples.is_empty());
    // Numeric names of element and hidden edges, string names of the others.
    assert!(g.edge_has_index(1) && g.edge_has_index(2));
    assert!(!g.edge_has_index(0) && !g.edge_has_index(3));
    assert_eq!(g.edge_name_or_index(0), 4);
}

/// The base graph as Node 20 writes it: 7 node fields, every auxiliary array present (empty
/// ones too), in V8's key order.
const NODE20_7_FIELDS: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":"#,
    node_types_16!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#","trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]},"node_count":5,"edge_count":6,"trace_function_count":0},
"nodes":[9,0,1,0,2,0,0
,9,1,3,0,1,0,0
,3,2,5,40,2,0,1
,2,5,7,16,0,0,0
,8,6,4000000000,100,1,0,2],
"edges":[5,4,14
,1,1,7
,4,0,28
,2,3,21
,3,7,28
,2,3,14],
"trace_function_infos":[],
"trace_tree":[],
"samples":[],
"locations":[14,3,10,5],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn seven_node_fields_as_node_20_writes_them() {
    let g = load_json(NODE20_7_FIELDS);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(detachedness(&g), [0, 0, 1, 0, 2]);
    assert_eq!(trace_node_ids(&g), [0; 5]);
    assert!(g.meta.has_detachedness() && g.meta.has_trace_node_id());
    assert_eq!(g.meta.node_types.len(), 16);
    assert_eq!(g.meta.node_types[15], "wasm object");
    assert_eq!(g.meta.location_fields, ["object_index", "script_id", "line", "column"]);
    assert_eq!(g.locations, [Location { node: 2, script_id: 3, script_node: None, line: 10, column: 5 }]);
    assert!(g.trace_function_infos.is_empty());
    assert!(g.trace_tree.is_empty());
    assert!(g.samples.is_empty());
    assert_eq!(strings(&g), BASE_STRINGS);
}

/// The base graph with allocation tracking on: trace ids, function infos and a trace tree.
const TRACED_7_FIELDS: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":"#,
    node_types_16!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#","trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]},"node_count":5,"edge_count":6,"trace_function_count":2},
"nodes":[9,0,1,0,2,0,0
,9,1,3,0,1,0,0
,3,2,5,40,2,2,1
,2,5,7,16,0,4,0
,8,6,4000000000,100,1,3,2],
"edges":[5,4,14
,1,1,7
,4,0,28
,2,3,21
,3,7,28
,2,3,14],
"trace_function_infos":[1,3,5,1,10,2
,2,4,5,1,20,4],
"trace_tree":[1,0,0,0,[2,1,3,100,[],3,0,1,50,[4,1,1,8,[]]]],
"samples":[0,5,1500,9],
"locations":[],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn seven_node_fields_with_allocation_tracking() {
    let g = load_json(TRACED_7_FIELDS);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(trace_node_ids(&g), [0, 0, 2, 4, 3]);
    assert_eq!(detachedness(&g), [0, 0, 1, 0, 2]);
    assert_eq!(g.meta.trace_function_count, 2);
    assert_eq!(g.trace_function_infos, [1, 3, 5, 1, 10, 2, 2, 4, 5, 1, 20, 4]);
    // Pre-order, with the position of each node's parent.
    let node =
        |id, function_info_index, count, size, parent| TraceTreeNode { id, function_info_index, count, size, parent };
    assert_eq!(
        g.trace_tree,
        [node(1, 0, 0, 0, u32::MAX), node(2, 1, 3, 100, 0), node(3, 0, 1, 50, 0), node(4, 1, 1, 8, 2)]
    );
    assert_eq!(g.samples, [0, 5, 1500, 9]);
    assert!(g.locations.is_empty());
}

/// The base graph as old V8 wrote it: `trace_node_id` always, no `detachedness`.
const OLD_6_TRACE_NODE_ID: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#"},"node_count":5,"edge_count":6,"trace_function_count":0},
"nodes":[9,0,1,0,2,0,9,1,3,0,1,0,3,2,5,40,2,0,2,5,7,16,0,0,8,6,4000000000,100,1,0],
"edges":[5,4,12,1,1,6,4,0,24,2,3,18,3,7,24,2,3,12],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn old_six_node_fields_with_trace_node_id_and_without_detachedness() {
    let g = load_json(OLD_6_TRACE_NODE_ID);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert!(!g.meta.has_detachedness());
    assert!(g.meta.has_trace_node_id());
    assert_eq!(detachedness(&g), [0; 5]);
    assert_eq!(trace_node_ids(&g), [0; 5]);
}

/// Old V8 with allocation tracking: 6 fields, the last one `trace_node_id`, which is read.
const OLD_6_TRACED: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#","trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"]},"node_count":5,"edge_count":6,"trace_function_count":1},
"nodes":[9,0,1,0,2,0,9,1,3,0,1,0,3,2,5,40,2,7,2,5,7,16,0,7,8,6,4000000000,100,1,0],
"edges":[5,4,12,1,1,6,4,0,24,2,3,18,3,7,24,2,3,12],
"trace_function_infos":[9,3,5,2,1,1],
"trace_tree":[7,0,2,56,[]],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn old_six_node_fields_with_allocation_tracking() {
    let g = load_json(OLD_6_TRACED);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(trace_node_ids(&g), [0, 0, 7, 7, 0]);
    assert_eq!(detachedness(&g), [0; 5]);
    assert_eq!(g.trace_function_infos, [9, 3, 5, 2, 1, 1]);
    assert_eq!(g.trace_tree, [TraceTreeNode { id: 7, function_info_index: 0, count: 2, size: 56, parent: u32::MAX }]);
}

/// The base graph with 5 node fields in another order ("id" first) and the edge fields in
/// another order: offsets must come from `meta`, and `to_node` is a multiple of 5.
const REORDERED_5_FIELDS: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["id","edge_count","name","self_size","type"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["to_node","type","name_or_index"],"edge_types":"#,
    edge_types!(),
    r#"},"node_count":5,"edge_count":6},
"nodes":[1,2,0,0,9
,3,1,1,0,9
,5,2,2,40,3
,7,0,5,16,2
,4000000000,1,6,100,8],
"edges":[10,5,4
,5,1,1
,20,4,0
,15,2,3
,20,3,7
,10,2,3],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn node_and_edge_fields_in_another_order() {
    let g = load_json(REORDERED_5_FIELDS);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(detachedness(&g), [0; 5]);
    assert_eq!(trace_node_ids(&g), [0; 5]);
    assert_eq!(g.meta.node_fields, ["id", "edge_count", "name", "self_size", "type"]);
    assert_eq!(g.meta.edge_fields, ["to_node", "type", "name_or_index"]);
}

/// The base graph with unknown node and edge fields (8 node fields, 4 edge fields); unknown
/// fields may hold any unsigned number.
const UNKNOWN_FIELDS: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","future_a","name","id","self_size","edge_count","detachedness","future_b"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","future_c","to_node"],"edge_types":"#,
    edge_types!(),
    r#"},"node_count":5,"edge_count":6},
"nodes":[9,7,0,1,0,2,0,99999999999
,9,7,1,3,0,1,0,0
,3,7,2,5,40,2,1,0
,2,7,5,7,16,0,0,0
,8,7,6,4000000000,100,1,2,9999999999999999999],
"edges":[5,4,123,16
,1,1,0,8
,4,0,0,32
,2,3,0,24
,3,7,0,32
,2,3,5000000000,16],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn unknown_node_and_edge_fields_are_skipped() {
    let g = load_json(UNKNOWN_FIELDS);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(detachedness(&g), [0, 0, 1, 0, 2]);
    assert_eq!(g.meta.node_fields.len(), 8);
    assert_eq!(g.meta.edge_fields.len(), 4);
}

/// The base graph with 4 location fields (old V8).
const LOCATIONS_4: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#","location_fields":["object_index","script_id","line","column"]},"node_count":5,"edge_count":6,"trace_function_count":0},
"nodes":[9,0,1,0,2,0,9,1,3,0,1,0,3,2,5,40,2,1,2,5,7,16,0,0,8,6,4000000000,100,1,2],
"edges":[5,4,12,1,1,6,4,0,24,2,3,18,3,7,24,2,3,12],
"locations":[12,17,0,0
,24,4294967295,12,4294967295
,0,1,2,3],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn four_location_fields() {
    let g = load_json(LOCATIONS_4);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(
        g.locations,
        [
            Location { node: 2, script_id: 17, script_node: None, line: 0, column: 0 },
            Location { node: 4, script_id: u32::MAX, script_node: None, line: 12, column: u32::MAX },
            Location { node: 0, script_id: 1, script_node: None, line: 2, column: 3 },
        ]
    );
}

/// The base graph with 5 location fields (new V8: `script_object_index` is the nodes-array
/// offset of the Script node), in V8's order, which is not the order of the 4-field list.
const LOCATIONS_5: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#","location_fields":["object_index","script_id","script_object_index","line","column"]},"node_count":5,"edge_count":6,"trace_function_count":0,"extra_native_bytes":0},
"nodes":[9,0,1,0,2,0,9,1,3,0,1,0,3,2,5,40,2,1,2,5,7,16,0,0,8,6,4000000000,100,1,2],
"edges":[5,4,12,1,1,6,4,0,24,2,3,18,3,7,24,2,3,12],
"locations":[12,17,18,4,9
,24,18,6,0,1],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn five_location_fields_with_script_object_index() {
    let g = load_json(LOCATIONS_5);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(g.meta.location_fields, ["object_index", "script_id", "script_object_index", "line", "column"]);
    assert_eq!(
        g.locations,
        [
            Location { node: 2, script_id: 17, script_node: Some(3), line: 4, column: 9 },
            Location { node: 4, script_id: 18, script_node: Some(1), line: 0, column: 1 },
        ]
    );
}

/// `extra_native_bytes` (new V8), above 2^32, plus `root_index` (accepted by DevTools).
const EXTRA_NATIVE_BYTES: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#"},"node_count":5,"edge_count":6,"trace_function_count":0,"extra_native_bytes":6000000123},
"nodes":[9,0,1,0,2,0,9,1,3,0,1,0,3,2,5,40,2,1,2,5,7,16,0,0,8,6,4000000000,100,1,2],
"edges":[5,4,12,1,1,6,4,0,24,2,3,18,3,7,24,2,3,12],
"strings":"#,
    base_strings!(),
    "}"
);

#[test]
fn extra_native_bytes() {
    let g = load_json(EXTRA_NATIVE_BYTES);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(g.meta.extra_native_bytes, 6_000_000_123);
    // The sum of self sizes does not include the extra native bytes.
    assert_eq!(g.total_self_size(), 156);
}

#[test]
fn root_index_names_the_root() {
    let json = EXTRA_NATIVE_BYTES.replace(r#""extra_native_bytes":6000000123"#, r#""root_index":12"#);
    let g = load_json(&json);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(g.root(), 2);
    assert_eq!(g.meta.root, 2);
    assert_eq!(g.meta.extra_native_bytes, 0);
}

#[test]
fn header_counts_written_as_doubles() {
    // Old V8 wrote some header numbers through a double.
    let json = BASE_6_DETACHEDNESS.replace(
        r#""node_count":5,"edge_count":6,"trace_function_count":0"#,
        r#""node_count":5.0,"edge_count":6e0,"trace_function_count":0.0"#,
    );
    assert!(json.contains("6e0"), "the replacement must have happened");
    let g = load_json(&json);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
}

/// 16 node types (with `wasm object`) and a custom edge type list: 8 types in another order,
/// with an extra type. Which edges have numeric names is decided by the type *name*.
const CUSTOM_TYPES: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_16!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":[["weak","property","custom","hidden","context","element","internal","shortcut"],"string_or_number","node"]},"node_count":4,"edge_count":6,"trace_function_count":0},
"nodes":[9,0,1,0,3,0
,15,1,3,64,2,0
,14,2,5,20,1,0
,13,3,7,16,0,0],
"edges":[5,9,6
,2,4,12
,7,1,18
,3,3000000000,18
,0,2,0
,4,3,6],
"strings":["","WasmInstance","system / Map","bigint","custom edge"]}"#
);

#[test]
fn sixteen_node_types_and_a_custom_edge_type_list() {
    let g = load_json(CUSTOM_TYPES);
    assert_graph(
        &g,
        &[
            ("synthetic", "", 1, 0),
            ("wasm object", "WasmInstance", 3, 64),
            ("object shape", "system / Map", 5, 20),
            ("bigint", "bigint", 7, 16),
        ],
        &[
            (0, "element", "9", 1),
            (0, "custom", "custom edge", 2),
            (0, "shortcut", "WasmInstance", 3),
            (1, "hidden", "3000000000", 3),
            (1, "weak", "system / Map", 0),
            (2, "context", "bigint", 1),
        ],
    );
    assert_eq!(g.meta.node_types.len(), 16);
    assert_eq!(g.meta.node_type_index("wasm object"), Some(15));
    assert_eq!(g.meta.edge_types.len(), 8);
    assert_eq!(g.meta.edge_type_index("custom"), Some(2));
    assert_eq!(g.meta.edge_type_index("element"), Some(5));
    assert!(g.edge_has_index(0) && g.edge_has_index(3));
    assert!(!g.edge_has_index(1) && !g.edge_has_index(2) && !g.edge_has_index(4) && !g.edge_has_index(5));
}

/// Element and hidden edges whose index is far beyond the string count (they are numbers, not
/// string indexes), up to `u32::MAX`.
const BIG_EDGE_INDEXES: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#"},"node_count":2,"edge_count":4,"trace_function_count":0},
"nodes":[9,0,1,0,4,0,1,1,3,32,0,0],
"edges":[1,4294967295,6,4,100,6,1,2,6,4,3,0],
"strings":["","(array)"]}"#
);

#[test]
fn element_and_hidden_indexes_beyond_the_string_count() {
    let g = load_json(BIG_EDGE_INDEXES);
    assert_graph(
        &g,
        &[("synthetic", "", 1, 0), ("array", "(array)", 3, 32)],
        &[(0, "element", "4294967295", 1), (0, "hidden", "100", 1), (0, "element", "2", 1), (0, "hidden", "3", 0)],
    );
    assert_eq!(g.edge_name_or_index(0), u32::MAX);
}

/// Self sizes above 2^32 (V8 keeps 48 bits) are kept exactly.
const HUGE_SELF_SIZE: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#"},"node_count":3,"edge_count":2,"trace_function_count":0},
"nodes":[9,0,1,0,2,0,1,1,3,5000000000,0,0,8,2,5,281474976710655,0,0],
"edges":[1,0,6,1,1,12],
"strings":["","ArrayBuffer","native"]}"#
);

#[test]
fn self_size_above_four_gigabytes() {
    let g = load_json(HUGE_SELF_SIZE);
    assert_graph(
        &g,
        &[("synthetic", "", 1, 0), ("array", "ArrayBuffer", 3, 5_000_000_000), ("native", "native", 5, (1 << 48) - 1)],
        &[(0, "element", "0", 1), (0, "element", "1", 2)],
    );
    assert_eq!(g.node_self_size(1), 5_000_000_000);
    assert_eq!(g.total_self_size(), 5_000_000_000 + (1 << 48) - 1);
}

/// A snapshot whose strings use every JSON escape, surrogate pairs, lone surrogates and raw
/// UTF-8 text; node `i` is named by string `i`.
fn escapes_snapshot(strings_json: &str, count: usize) -> String {
    let mut nodes = String::new();
    for i in 0..count {
        if i > 0 {
            nodes.push(',');
        }
        nodes.push_str(&format!("2,{i},{},{},0,0", 2 * i + 1, i));
    }
    format!(
        concat!(
            r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
            node_types_15!(),
            r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
            edge_types!(),
            r#"}},"node_count":{count},"edge_count":0}},"nodes":[{nodes}],"edges":[],"strings":{strings}}}"#
        ),
        count = count,
        nodes = nodes,
        strings = strings_json
    )
}

#[test]
fn strings_with_every_escape_surrogates_and_raw_utf8() {
    let strings_json = r#"[
        "quote \" backslash \\ slash \/ end",
        "\b\f\n\r\t",
        "\u00e9\u00E9 \u0000 \u001f \u20AC",
        "\ud83d\ude00",
        "a\ud800b",
        "a\udc00b",
        "\ud800",
        "\udc00",
        "\ud800\ud800\ude00",
        "\udc00\ud83d\ude00\ud800\n",
        "héllo wörld 世界 😀",
        "",
        "\\u00e9 is not an escape here",
        "x\"\\\"\\"
    ]"#;
    let expected = [
        "quote \" backslash \\ slash / end",
        "\u{8}\u{c}\n\r\t",
        "éé \u{0} \u{1f} €",
        "😀",
        "a\u{FFFD}b",
        "a\u{FFFD}b",
        "\u{FFFD}",
        "\u{FFFD}",
        // A lone high surrogate, then a pair: U+D800 U+DE00 is U+10200.
        "\u{FFFD}\u{10200}",
        "\u{FFFD}😀\u{FFFD}\n",
        "héllo wörld 世界 😀",
        "",
        "\\u00e9 is not an escape here",
        "x\"\\\"\\",
    ];
    let g = load_json(&escapes_snapshot(strings_json, expected.len()));
    assert_eq!(strings(&g), expected);
    for (n, name) in expected.iter().enumerate() {
        assert_eq!(g.node_name(n as u32), *name, "node {n}");
    }
    assert_eq!(g.strings.byte_len(), expected.iter().map(|s| s.len()).sum::<usize>());
}

#[test]
fn invalid_utf8_in_strings_becomes_replacement_characters() {
    let mut bytes = escapes_snapshot(r#"["ok","a@b","@@","\u00e9@"]"#, 4).into_bytes();
    // Replace each '@' by a byte that is never valid UTF-8.
    for b in bytes.iter_mut().filter(|b| **b == b'@') {
        *b = 0xff;
    }
    let g = crate::common::load_every_way(&bytes);
    assert_eq!(strings(&g), ["ok", "a\u{FFFD}b", "\u{FFFD}\u{FFFD}", "é\u{FFFD}"]);
}

/// The base graph with unknown top-level keys (values that contain brackets and braces inside
/// strings), and the sections in another order after the header.
const UNKNOWN_KEYS_AND_ORDER: &str = concat!(
    r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
    node_types_15!(),
    r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
    edge_types!(),
    r#","future":{"x":"}]"}},"node_count":5,"edge_count":6,"trace_function_count":0},
"scopes":[[1,2],{"a":"]","b":[{}],"c":"\"]}"}],
"strings":"#,
    base_strings!(),
    r#",
"scope_context_vars": -1.5e+3,
"edges":[5,4,12,1,1,6,4,0,24,2,3,18,3,7,24,2,3,12],
"scope_uses": "a \\\" ] } string",
"flag": true, "nothing": null, "number": 42,
"nodes":[9,0,1,0,2,0,9,1,3,0,1,0,3,2,5,40,2,1,2,5,7,16,0,0,8,6,4000000000,100,1,2],
"empty_object": {}, "empty_array": [],
"trace_tree":[],
"samples":[1,2,3],
"locations":[0,0,0,0]}"#
);

#[test]
fn unknown_top_level_keys_are_skipped_and_sections_may_come_in_any_order() {
    let g = load_json(UNKNOWN_KEYS_AND_ORDER);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(detachedness(&g), [0, 0, 1, 0, 2]);
    assert_eq!(strings(&g), BASE_STRINGS);
    // Without sample_fields and location_fields in meta, `samples` and `locations` are skipped.
    assert!(g.samples.is_empty());
    assert!(g.locations.is_empty());
}

#[test]
fn samples_and_locations_present() {
    let json = NODE20_7_FIELDS
        .replace(r#""samples":[]"#, r#""samples":[0,1,250000,5,500000,9]"#)
        .replace(r#""locations":[14,3,10,5]"#, r#""locations":[14,3,10,5,28,4,0,0,0,9,8,7]"#);
    let g = load_json(&json);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(g.samples, [0, 1, 250_000, 5, 500_000, 9]);
    assert_eq!(
        g.locations,
        [
            Location { node: 2, script_id: 3, script_node: None, line: 10, column: 5 },
            Location { node: 4, script_id: 4, script_node: None, line: 0, column: 0 },
            Location { node: 0, script_id: 9, script_node: None, line: 8, column: 7 },
        ]
    );
}

#[test]
fn whitespace_everywhere_is_accepted() {
    // The base strings hold no ',', ':', '[', ']', '{' or '}', so these replacements only touch
    // the JSON structure.
    let spaced = NODE20_7_FIELDS
        .replace(',', " ,\n\t ")
        .replace(':', " \r\n: ")
        .replace('[', "[ \n ")
        .replace(']', " \n ]")
        .replace('{', "\n { ")
        .replace('}', " } \n");
    let g = load_json(&spaced);
    assert_graph(&g, BASE_NODES, BASE_EDGES);
    assert_eq!(detachedness(&g), [0, 0, 1, 0, 2]);
    assert_eq!(strings(&g), BASE_STRINGS);
    assert_eq!(g.locations, [Location { node: 2, script_id: 3, script_node: None, line: 10, column: 5 }]);
}

#[test]
fn a_snapshot_without_edges() {
    let json = concat!(
        r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
        node_types_15!(),
        r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
        edge_types!(),
        r#"},"node_count":1,"edge_count":0},"nodes":[9,0,1,0,0,0],"edges":[ ],"strings":["(root)"]}"#
    );
    let g = load_json(json);
    assert_graph(&g, &[("synthetic", "(root)", 1, 0)], &[]);
}

#[test]
fn many_nodes_cross_many_chunk_boundaries() {
    // A chain of 300 nodes, each with an element edge to the next and a property edge back to
    // the root; long enough that every chunk size splits rows in every possible place.
    let count = 300u32;
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for i in 0..count {
        let edge_count = if i + 1 < count { 2 } else { 1 };
        nodes.push(format!("{},{},{},{},{edge_count},{}", 3, i % 3, 2 * i + 1, 10 + i, i % 3));
        if i + 1 < count {
            edges.push(format!("1,{i},{}", 6 * (i + 1)));
        }
        edges.push(format!("2,{},0", i % 3));
    }
    let json = format!(
        concat!(
            r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","detachedness"],"node_types":"#,
            node_types_15!(),
            r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
            edge_types!(),
            r#"}},"node_count":{},"edge_count":{}}},"nodes":[{}],"edges":[{}],"strings":["zero","one","two"]}}"#
        ),
        count,
        edges.len(),
        nodes.join(",\n"),
        edges.join(",\n")
    );
    let g = load_json(&json);
    let names = ["zero", "one", "two"];
    let expected_nodes: Vec<ExpectedNode<'_>> =
        (0..count).map(|i| ("object", names[(i % 3) as usize], 2 * i + 1, u64::from(10 + i))).collect();
    let index_names: Vec<String> = (0..count).map(|i| i.to_string()).collect();
    let mut expected_edges: Vec<ExpectedEdge<'_>> = Vec::new();
    for i in 0..count {
        if i + 1 < count {
            expected_edges.push((i, "element", index_names[i as usize].as_str(), i + 1));
        }
        expected_edges.push((i, "property", names[(i % 3) as usize], 0));
    }
    assert_graph(&g, &expected_nodes, &expected_edges);
    assert_eq!(detachedness(&g), (0..count).map(|i| (i % 3) as u8).collect::<Vec<_>>());
    assert_eq!(g.retainers_of(0).len(), count as usize);
}

/// A snapshot of one node per value, with the value as self size, written in two layouts: self
/// size as the first node field (always followed by a comma) and as the last one (followed by
/// a comma, or by the closing bracket for the last node).
fn numbers_snapshot(values: &[u64], self_size_first: bool) -> String {
    let fields = if self_size_first {
        r#"["self_size","type","name","id","edge_count"]"#
    } else {
        r#"["type","name","id","edge_count","self_size"]"#
    };
    let rows: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            // Ids of every length too, up to u32::MAX.
            let id = if i == 0 { u32::MAX } else { (i as u32).wrapping_pow(3).wrapping_mul(2).wrapping_add(1) };
            if self_size_first { format!("{v},3,0,{id},0") } else { format!("3,0,{id},0,{v}") }
        })
        .collect();
    format!(
        concat!(
            r#"{{"snapshot":{{"meta":{{"node_fields":{},"node_types":"#,
            node_types_15!(),
            r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
            edge_types!(),
            r#"}},"node_count":{},"edge_count":0}},"nodes":[{}],"edges":[],"strings":["n"]}}"#
        ),
        fields,
        values.len(),
        rows.join(",")
    )
}

#[test]
fn numbers_of_every_length() {
    // 1 to 19 digits: every split between the one-word fast path and the slow path.
    let mut values = Vec::new();
    for digits in 1..=19 {
        values.push("1234567890123456789"[..digits].parse::<u64>().unwrap());
        values.push("9999999999999999999"[..digits].parse::<u64>().unwrap());
        values.push(10u64.pow(digits as u32 - 1));
    }
    values.push(0);
    values.push(u64::MAX / 10);
    for self_size_first in [true, false] {
        let g = load_json(&numbers_snapshot(&values, self_size_first));
        let sizes: Vec<u64> = (0..g.node_count() as u32).map(|n| g.node_self_size(n)).collect();
        assert_eq!(sizes, values, "self size first: {self_size_first}");
        let ids: Vec<u32> =
            (0..values.len() as u32).map(|i| if i == 0 { u32::MAX } else { i.pow(3) * 2 + 1 }).collect();
        assert_eq!(g.node_ids(), ids);
        let total = values.iter().fold(0u64, |sum, v| sum.wrapping_add(*v));
        assert_eq!(g.total_self_size(), total);
    }
}

/// Sizes of 4 GiB or more (and exactly `u32::MAX`) among many small ones, in an array parsed in
/// parallel parts and read in chunks of every size: each keeps its node.
#[test]
fn wide_self_sizes_in_every_part_and_chunk() {
    let values: Vec<u64> = (0..60_000u64)
        .map(|i| match i {
            _ if i % 997 == 0 => (1 << 32) + i,
            _ if i % 991 == 0 => u64::from(u32::MAX),
            _ => i % 1000 + u64::from(i % 7 == 0) * u64::from(u32::MAX - 1),
        })
        .collect();
    let json = numbers_snapshot(&values, false);
    for chunk_size in crate::common::chunk_sizes() {
        let g = crate::common::load_bytes_chunked(json.as_bytes(), chunk_size).expect("loads");
        let sizes: Vec<u64> = (0..g.node_count() as u32).map(|n| g.node_self_size(n)).collect();
        assert!(sizes == values, "chunk size {chunk_size}");
        assert_eq!(g.self_sizes().to_vec(), values);
        assert_eq!(g.total_self_size(), values.iter().sum::<u64>());
    }
}

/// A random number with 1 to 19 digits, short ones most often (as in real snapshots).
fn random_number(rng: &mut crate::dominators::Rng) -> u64 {
    let digits = match rng.below(10) {
        0..=5 => 1 + rng.below(4),
        6..=8 => 5 + rng.below(6),
        _ => 11 + rng.below(9),
    };
    let value = rng.next() % 10u64.pow(digits as u32);
    // Sometimes the largest value of that length (all nines).
    if rng.below(8) == 0 { 10u64.pow(digits as u32) - 1 } else { value }
}

/// The nodes array text of `rows` in one of three layouts: V8's own (a newline before the
/// comma that ends each row), plain commas, or whitespace of every kind around every comma.
fn numbers_text(rows: &[[u64; 5]], layout: usize, rng: &mut crate::dominators::Rng) -> String {
    let mut text = String::new();
    for (r, row) in rows.iter().enumerate() {
        for (f, value) in row.iter().enumerate() {
            if r + f > 0 {
                match layout {
                    0 if f == 0 => text.push_str("\n,"),
                    0 | 1 => text.push(','),
                    _ => {
                        for _ in 0..rng.below(3) {
                            text.push([' ', '\t', '\r', '\n'][rng.below(4)]);
                        }
                        text.push(',');
                        for _ in 0..rng.below(3) {
                            text.push([' ', '\t', '\r', '\n'][rng.below(4)]);
                        }
                    }
                }
            }
            text.push_str(&value.to_string());
        }
    }
    if layout == 0 {
        text.push('\n');
    }
    text
}

/// A snapshot of `node_count` nodes with the fields self size, id, type, name and edge count,
/// whose nodes array is `nodes` (as written), one string and no edges.
fn five_field_snapshot(node_count: usize, nodes: &str) -> String {
    format!(
        concat!(
            r#"{{"snapshot":{{"meta":{{"node_fields":["self_size","id","type","name","edge_count"],"node_types":"#,
            node_types_15!(),
            r#","edge_fields":["type","name_or_index","to_node"],"edge_types":"#,
            edge_types!(),
            r#"}},"node_count":{},"edge_count":0}},"nodes":[{}],"edges":[],"strings":["n"]}}"#
        ),
        node_count, nodes
    )
}

/// What the loader must make of a nodes array with the fields self size, id, type, name and
/// edge count (and one string, no edges): every comma-separated item read on its own.
fn reference_reading(text: &str, node_count: usize) -> Option<(Vec<u64>, Vec<u32>)> {
    let json_ws: &[char] = &[' ', '\t', '\r', '\n'];
    let mut values = Vec::new();
    if !text.trim_matches(json_ws).is_empty() {
        for item in text.split(',') {
            let item = item.trim_matches(json_ws);
            if item.is_empty() || item.len() > 19 || !item.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            values.push(item.parse::<u64>().ok()?);
        }
    }
    if values.len() != node_count * 5 {
        return None;
    }
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    for row in values.chunks(5) {
        // Type 3 of 15, name 0 of one string, no edges.
        if row[2] >= 15 || row[3] != 0 || row[4] != 0 {
            return None;
        }
        ids.push(u32::try_from(row[1]).ok()?);
        sizes.push(row[0]);
    }
    Some((sizes, ids))
}

/// Numbers of every length in random layouts, many damaged at random bytes, in arrays small
/// and large enough to be parsed in parallel parts: the loader gives exactly the values a plain
/// item-by-item reading gives, and fails exactly when that reading finds something wrong.
#[test]
fn random_number_layouts_and_damage_load_as_a_plain_reading_says() {
    let mut rng = crate::dominators::Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..400 {
        let node_count = if case % 40 == 39 { 60_000 + rng.below(20_000) } else { 1 + rng.below(600) };
        let rows: Vec<[u64; 5]> =
            (0..node_count).map(|_| [random_number(&mut rng), rng.next() % (1 << 32), 3, 0, 0]).collect();
        let layout = rng.below(3);
        let mut text = numbers_text(&rows, layout, &mut rng).into_bytes();
        // Odd cases are damaged once, every fourth twice (two faults can balance the count of
        // numbers, which alone would catch most single faults).
        for _ in 0..(case % 2 + case % 4 / 3) {
            let at = rng.below(text.len());
            let byte = b", -x.\n9\t0"[rng.below(9)];
            match rng.below(3) {
                0 => text.insert(at, byte),
                1 => {
                    text.remove(at);
                }
                _ => text[at] = byte,
            }
        }
        let text = String::from_utf8(text).expect("ASCII");
        let expected = reference_reading(&text, node_count);
        let json = five_field_snapshot(node_count, &text);
        let chunks: &[usize] = if node_count > 1000 { &[16 << 20, 100_003] } else { &[16 << 20, 64, 7] };
        for &chunk_size in chunks {
            let loaded = crate::common::load_bytes_chunked(json.as_bytes(), chunk_size);
            match (&expected, loaded) {
                (Some((sizes, ids)), Ok(g)) => {
                    assert!(
                        g.self_sizes().to_vec() == *sizes,
                        "case {case}, chunk size {chunk_size}: self sizes differ"
                    );
                    assert!(g.node_ids() == ids.as_slice(), "case {case}, chunk size {chunk_size}: ids differ");
                }
                (None, Err(_)) => {}
                (Some(_), Err(e)) => panic!("case {case}, chunk size {chunk_size}: refused a good array: {e}"),
                (None, Ok(_)) => panic!("case {case}, chunk size {chunk_size}: accepted a bad array"),
            }
        }
    }
}

/// One-node arrays with faults that keep the count of commas (so only the reading of each item
/// can catch them), and good ones in unusual layouts.
#[test]
fn faults_that_keep_the_comma_count_are_caught() {
    let cases: &[(&str, bool)] = &[
        ("7,1,3,0,0", true),
        ("7,1,3,0,0\n", true),
        ("7,1,3,0,0\n\n", true),
        ("\n7,1,3,0\n,0", true),
        ("7\n\n,1,3,0,0", true),
        ("7\r\n,1,3,0,0", true),
        ("7,1,3,0\n0,0", false),
        ("7\n,\n1,3,0,0", true),
        ("7,1,3,0,\n0", true),
        ("7,,13,0,0", false),
        ("7,1 3,0,0,0", false),
        ("7,1,3,0,0,", false),
        ("-7,1,3,0,0", false),
        ("7,1,3,0,0x", false),
        ("7,1,3,0,00000000000000000000", false),
        ("7,4294967296,3,0,0", false),
        ("7,1,256,0,0", false),
    ];
    for &(text, good) in cases {
        let json = five_field_snapshot(1, text);
        for chunk_size in crate::common::chunk_sizes() {
            let loaded = crate::common::load_bytes_chunked(json.as_bytes(), chunk_size);
            match loaded {
                Ok(g) => {
                    assert!(good, "{text:?} accepted (chunk size {chunk_size})");
                    assert_eq!((g.self_sizes().to_vec(), g.node_ids()), (vec![7], &[1][..]), "{text:?}");
                }
                Err(e) => assert!(!good, "{text:?} refused (chunk size {chunk_size}): {e}"),
            }
        }
    }
}
