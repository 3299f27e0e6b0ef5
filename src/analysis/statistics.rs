//! DevTools' statistics (spec §2.13): how the total splits into code, strings, JS arrays,
//! typed arrays, system and native memory.

use serde::Serialize;

use super::kinds::Kinds;
use super::names::NodeNames;
use crate::graph::{HeapGraph, SizeColumn};

/// The composition of the heap, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Statistics {
    /// Everything: the root's retained size plus `extra_native_bytes`.
    pub total: u64,
    /// The V8 heap (total minus native).
    pub v8heap: u64,
    /// Compiled code.
    pub code: u64,
    /// Strings of every kind.
    pub strings: u64,
    /// JS arrays and their uniquely-owned element stores.
    pub js_arrays: u64,
    /// Hidden (system) objects.
    pub system: u64,
    /// Native (embedder) memory, including `extra_native_bytes`.
    pub native: u64,
    /// Typed-array backing stores (part of native).
    pub typed_arrays: u64,
}

impl Statistics {
    /// The composition as labelled rows, parts indented under their whole (depth 0 or 1);
    /// "Other JS objects" is what the V8 heap holds besides the listed kinds.
    pub fn breakdown(&self) -> [(&'static str, u64, usize); 9] {
        let other = self.v8heap.saturating_sub(self.code + self.strings + self.js_arrays + self.system);
        [
            ("Total", self.total, 0),
            ("V8 heap", self.v8heap, 0),
            ("Code", self.code, 1),
            ("Strings", self.strings, 1),
            ("JS arrays", self.js_arrays, 1),
            ("System objects", self.system, 1),
            ("Other JS objects", other, 1),
            ("Native", self.native, 0),
            ("Typed arrays", self.typed_arrays, 1),
        ]
    }
}

/// Computes the statistics from the transferred shallow sizes.
pub fn compute(graph: &HeapGraph, kinds: &Kinds, names: &NodeNames<'_>, self_sizes: &SizeColumn) -> Statistics {
    let mut s = Statistics { native: graph.meta.extra_native_bytes, ..Statistics::default() };
    // Names are compared as string indexes, not read (most nodes are tested for "Array").
    let array_names = graph.strings.indexes_of("Array");
    let buffer_data_names = graph.strings.indexes_of("system / JSArrayBufferData");
    let elements_names = graph.strings.indexes_of("elements");
    for v in 0..graph.node_count() as u32 {
        let size = self_sizes.get(v as usize);
        let ty = graph.node_type(v);
        if ty == kinds.hidden {
            s.system += size;
        } else if ty == kinds.native {
            s.native += size;
            if names.is_named(v, &buffer_data_names) {
                s.typed_arrays += size;
            }
        } else if ty == kinds.code {
            s.code += size;
        } else if ty == kinds.cons_string || ty == kinds.sliced_string || ty == kinds.string {
            s.strings += size;
        } else if names.is_named(v, &array_names) {
            s.js_arrays += size;
            for e in graph.edges_of(v) {
                if graph.edge_type(e) != kinds.e_internal || !elements_names.contains(&graph.edge_name_or_index(e)) {
                    continue;
                }
                let elements = graph.edge_target(e);
                if graph.retainers_of(elements).len() == 1 {
                    s.js_arrays += self_sizes.get(elements as usize);
                }
                break;
            }
        }
    }
    // The root retains every node (unreachable ones are dominated by it too), so its retained
    // size is the sum of all shallow sizes; summing here lets this run beside the retained
    // sizes.
    s.total = self_sizes.total() + graph.meta.extra_native_bytes;
    s.v8heap = s.total - s.native.min(s.total);
    s
}
