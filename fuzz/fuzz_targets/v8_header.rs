//! The `snapshot` header on its own: any bytes where the header goes, then valid empty arrays.
#![no_main]

use heapscope::NoProgress;
use heapscope::snapshot::{LoadOptions, load_v8_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"{\"snapshot\":".to_vec();
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b",\"nodes\":[],\"edges\":[],\"strings\":[]}");
    if let Ok(graph) = load_v8_bytes(bytes, "fuzz", LoadOptions::default(), &NoProgress) {
        let _ = heapscope::analysis::analyze(&graph, &NoProgress);
    }
});
