//! Two or three V8 snapshots of one process, matched by object id.
//!
//! - [`v8`]: DevTools' Comparison (new, deleted, delta, allocated, freed, size delta per class),
//!   plus retained sizes before and after and the new objects.
//! - [`leaks`]: the three-snapshot leak search, with clusters by retainer chain shape.
//! - [`filters`]: node selections for views and searches (allocated between two snapshots,
//!   detached DOM, duplicated strings, retained by the DevTools console, name and `@id` search).
//!
//! Two tracemalloc dumps are compared in [`crate::traces::stats::compare`].

pub mod filters;
pub mod leaks;
pub mod v8;
