//! The whole V8 loader and the analysis, on any bytes (plain or gzip), in small chunks.
#![no_main]

use heapscope::NoProgress;
use heapscope::snapshot::{LoadOptions, load_v8_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = LoadOptions { chunk_size: 37, memory_map: false, ..Default::default() };
    if let Ok(graph) = load_v8_bytes(data.to_vec(), "fuzz", options, &NoProgress) {
        let _ = heapscope::analysis::analyze(&graph, &NoProgress);
    }
});
