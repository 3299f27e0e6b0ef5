//! The restricted pickle machine, then statistics, a comparison and the call tree of what loads.
#![no_main]

use heapscope::NoProgress;
use heapscope::snapshot::tracemalloc::load_bytes;
use heapscope::traces::call_tree::CallTree;
use heapscope::traces::stats::{Grouping, KeyType, compare, statistics};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(traces) = load_bytes(data, "fuzz", &NoProgress) {
        for (key, cumulative) in [(KeyType::Lineno, true), (KeyType::Filename, false), (KeyType::Traceback, false)] {
            if let Ok(grouping) = Grouping::new(key, cumulative) {
                let _ = statistics(&traces, grouping, None);
                let _ = compare(&traces, None, &traces, None, grouping);
            }
        }
        let _ = CallTree::build(&traces, None);
    }
});
