//! The `strings` array on its own: any bytes inside it, after a valid header and arrays.
#![no_main]

use heapscope::NoProgress;
use heapscope::snapshot::{LoadOptions, load_v8_bytes};
use libfuzzer_sys::fuzz_target;

const HEAD: &str = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},"node_count":2,"edge_count":1},"nodes":[9,0,1,0,1,3,1,3,16,0],"edges":[2,2,5],"strings":["#;

fuzz_target!(|data: &[u8]| {
    let mut bytes = HEAD.as_bytes().to_vec();
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"]}");
    let options = LoadOptions { chunk_size: 16, memory_map: false, ..Default::default() };
    if let Ok(graph) = load_v8_bytes(bytes, "fuzz", options, &NoProgress) {
        let _ = heapscope::analysis::analyze(&graph, &NoProgress);
    }
});
