//! Integration tests of heapscope, in one test binary.

/// The binaries' allocator, so every test also exercises it.
#[global_allocator]
static ALLOCATOR: heapscope::alloc::MappingAllocator = heapscope::alloc::MappingAllocator;

// Shared helpers: paths, loading one input every way, graph dumps and whole-graph assertions.
mod common;
// V8 loader against hand-written tiny snapshots, one per meta/format variant.
mod v8_variants;
// V8 loader error messages for malformed, truncated, foreign and cancelled inputs.
mod v8_malformed;
// V8 loader against the committed Node.js samples, with counts computed independently.
mod v8_samples;
// V8 loader against the Chrome DevTools reference output for node-cache.heapsnapshot.gz.
mod v8_oracle;
// Dominators and retained sizes on random graphs against a slow reference.
mod dominators;
// Parallel reachability on random graphs against a sequential walk.
mod reach;
// The desktop app, driven headlessly.
mod app_shell;
// The analysis against DevTools, and the samples' leaks.
mod v8_analysis;
// tracemalloc statistics and comparisons against CPython's own output.
mod tracemalloc_python;
// The tracemalloc loader on hand-built, hostile and broken pickles.
mod tracemalloc_pickles;
// The tracemalloc model on the committed samples: counts, call tree, leak ranking.
mod tracemalloc_model;
// V8 comparison against DevTools and against a merge of the node lists.
mod v8_compare;
// Retainer paths, filters and exports.
mod v8_paths;
// Three-snapshot leaks and the `check` gate.
mod v8_leaks;
// Hostile and broken inputs, fuzz regressions, bit flips.
mod hostile_inputs;
