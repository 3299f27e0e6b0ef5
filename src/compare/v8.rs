//! DevTools' Comparison view of two V8 snapshots (spec §2.11), plus what DevTools lacks: each
//! class's retained size in both snapshots, and the new objects with their retained sizes.
//!
//! Per class key, the objects' V8 ids are merge-joined: an id only in the base snapshot is a
//! deleted object, an id only in the current one a new object; a surviving object counts
//! nowhere (its size change is not counted). The base snapshot is classed with the current
//! snapshot's inferred interfaces, as DevTools does, so `{a, b}` classes line up.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::analysis::Analysis;
use crate::analysis::aggregates::{ClassAggregate, RowObjects, aggregates, aggregates_by};
use crate::analysis::names::class_names_with;
use crate::graph::HeapGraph;

/// One snapshot of a comparison: its graph and analysis.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    /// The graph.
    pub graph: &'a HeapGraph,
    /// Its analysis.
    pub analysis: &'a Analysis,
}

/// One Comparison row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassDiff {
    /// The class name (the current snapshot's; for a class only the base has, the base's).
    pub name: String,
    /// The public class key (see `ClassAggregate::key`).
    pub key: String,
    /// Objects only in the current snapshot (`# New`).
    pub new_count: u64,
    /// Objects only in the base snapshot (`# Deleted`).
    pub deleted_count: u64,
    /// Shallow size of the new objects (`Alloc. Size`).
    pub alloc_size: u64,
    /// Shallow size of the deleted objects (`Freed Size`).
    pub freed_size: u64,
    /// The class's retained size in the base snapshot.
    pub retained_before: u64,
    /// The class's retained size in the current snapshot.
    pub retained_after: u64,
    /// The new objects (current snapshot ordinals), largest retained size first.
    pub new_objects: Vec<u32>,
    /// The deleted objects (base snapshot ordinals), largest shallow size first.
    pub deleted_objects: Vec<u32>,
}

impl ClassDiff {
    /// `# Delta`: new minus deleted.
    pub fn count_delta(&self) -> i64 {
        self.new_count as i64 - self.deleted_count as i64
    }

    /// `Size Delta`: allocated minus freed.
    pub fn size_delta(&self) -> i64 {
        self.alloc_size as i64 - self.freed_size as i64
    }

    /// Retained size after minus before.
    pub fn retained_delta(&self) -> i64 {
        self.retained_after as i64 - self.retained_before as i64
    }
}

/// A whole comparison.
#[derive(Clone, Debug)]
pub struct SnapshotDiff {
    /// Rows with at least one new or deleted object, largest size delta first.
    pub classes: Vec<ClassDiff>,
    /// Ids present in both snapshots.
    pub common_ids: u64,
    /// Common ids whose node has the same type and name in both.
    pub agreeing_ids: u64,
    /// Total size of the base snapshot.
    pub base_total: u64,
    /// Total size of the current snapshot.
    pub current_total: u64,
}

impl SnapshotDiff {
    /// True when the snapshots look like two moments of one process: they share ids, and most
    /// shared ids name the same kind of object. Ids of different processes overlap by chance.
    pub fn same_process(&self) -> bool {
        self.common_ids > 0 && self.agreeing_ids * 2 >= self.common_ids
    }
}

/// A node's V8 id and ordinal packed in one word, so that sorting compares one integer:
/// ordered by id, then by ordinal.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct IdAndOrdinal(u64);

impl IdAndOrdinal {
    fn new(id: u32, ordinal: u32) -> Self {
        Self(u64::from(id) << 32 | u64::from(ordinal))
    }

    fn id(self) -> u32 {
        (self.0 >> 32) as u32
    }

    fn ordinal(self) -> u32 {
        self.0 as u32
    }
}

/// A graph's nodes by ascending V8 id: what [`compare_sorted`] matches objects with. It
/// needs only the graph, so it can be made while the analysis runs.
pub struct SortedIds(Vec<IdAndOrdinal>);

impl SortedIds {
    /// Sorts `graph`'s node ids.
    pub fn of(graph: &HeapGraph) -> Self {
        let mut ids: Vec<IdAndOrdinal> =
            graph.node_ids().par_iter().enumerate().map(|(v, &id)| IdAndOrdinal::new(id, v as u32)).collect();
        ids.par_sort_unstable();
        Self(ids)
    }
}

/// Counts the ids both graphs have, and those whose nodes agree on type and name, from both
/// graphs' [`SortedIds`]: a merge of the two lists, in parallel pieces of `a` (each with the
/// part of `b` in its id range).
fn common_ids(base: &HeapGraph, current: &HeapGraph, a: &[IdAndOrdinal], b: &[IdAndOrdinal]) -> (u64, u64) {
    const PIECE: usize = 1 << 16;
    a.par_chunks(PIECE)
        .map(|piece| {
            let (Some(first), Some(last)) = (piece.first(), piece.last()) else { return (0, 0) };
            let from = b.partition_point(|x| x.id() < first.id());
            let to = b.partition_point(|x| x.id() <= last.id());
            merge_common(base, current, piece, &b[from..to])
        })
        .reduce(|| (0, 0), |x, y| (x.0 + y.0, x.1 + y.1))
}

/// [`common_ids`] of two sorted lists, sequentially.
fn merge_common(base: &HeapGraph, current: &HeapGraph, a: &[IdAndOrdinal], b: &[IdAndOrdinal]) -> (u64, u64) {
    let (mut i, mut j) = (0, 0);
    let (mut common, mut agreeing) = (0u64, 0u64);
    while i < a.len() && j < b.len() {
        match a[i].id().cmp(&b[j].id()) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                let (u, v) = (a[i].ordinal(), b[j].ordinal());
                if base.node_type_name(u) == current.node_type_name(v) && base.node_name(u) == current.node_name(v) {
                    agreeing += 1;
                }
                i += 1;
                j += 1;
            }
        }
    }
    (common, agreeing)
}

/// The objects of each aggregate as `(id, ordinal)`, ascending by id: the graph's sorted ids
/// dealt out to the rows, so no row is sorted on its own.
fn ids_by_row(rows: &[ClassAggregate], sorted: &[IdAndOrdinal], node_count: usize) -> Vec<Vec<(u32, u32)>> {
    let mut row_of = vec![u32::MAX; node_count];
    for (i, row) in rows.iter().enumerate() {
        for &v in &row.nodes {
            row_of[v as usize] = i as u32;
        }
    }
    let mut lists: Vec<Vec<(u32, u32)>> = rows.iter().map(|row| Vec::with_capacity(row.nodes.len())).collect();
    for &pair in sorted {
        let v = pair.ordinal();
        if let Some(list) = lists.get_mut(row_of[v as usize] as usize) {
            list.push((pair.id(), v));
        }
    }
    lists
}

/// Each row's index by its public key.
fn index_by_key(rows: &[ClassAggregate]) -> HashMap<&str, usize> {
    rows.iter().enumerate().map(|(i, r)| (r.key.as_str(), i)).collect()
}

/// Compares `current` with `base`.
pub fn compare(base: Side<'_>, current: Side<'_>) -> SnapshotDiff {
    let (base_sorted, current_sorted) = rayon::join(|| SortedIds::of(base.graph), || SortedIds::of(current.graph));
    compare_sorted(base, current, base_sorted, current_sorted)
}

/// [`compare`] with both graphs' ids already sorted.
pub fn compare_sorted(
    base: Side<'_>,
    current: Side<'_>,
    SortedIds(base_sorted): SortedIds,
    SortedIds(current_sorted): SortedIds,
) -> SnapshotDiff {
    debug_assert_eq!(base_sorted.len(), base.graph.node_count(), "the base's sorted ids are of another graph");
    debug_assert_eq!(current_sorted.len(), current.graph.node_count(), "the current sorted ids are of another graph");
    let (current_rows, base_rows) = rayon::join(
        || aggregates(current.graph, current.analysis, None),
        || {
            let names = base.analysis.names(base.graph);
            let classes = class_names_with(&names, &base.analysis.kinds, Some(&current.analysis.classes.interfaces));
            aggregates_by(base.graph, base.analysis, &classes, None, RowObjects::Listed)
        },
    );
    let ((common, agreeing), (base_ids, current_ids)) = rayon::join(
        || common_ids(base.graph, current.graph, &base_sorted, &current_sorted),
        || {
            rayon::join(
                || ids_by_row(&base_rows, &base_sorted, base.graph.node_count()),
                || ids_by_row(&current_rows, &current_sorted, current.graph.node_count()),
            )
        },
    );
    drop((base_sorted, current_sorted));
    let (base_by_key, current_by_key) = (index_by_key(&base_rows), index_by_key(&current_rows));
    let mut keys: Vec<&str> = current_rows.iter().map(|r| r.key.as_str()).collect();
    keys.extend(base_rows.iter().map(|r| r.key.as_str()).filter(|k| !current_by_key.contains_key(k)));
    let mut classes: Vec<ClassDiff> = keys
        .par_iter()
        .filter_map(|&key| {
            let before = base_by_key.get(key).map(|&i| (&base_rows[i], base_ids[i].as_slice()));
            let after = current_by_key.get(key).map(|&i| (&current_rows[i], current_ids[i].as_slice()));
            diff_class(base, current, before, after)
        })
        .collect();
    classes.sort_by(|a, b| b.size_delta().cmp(&a.size_delta()).then_with(|| a.name.cmp(&b.name)));
    SnapshotDiff {
        classes,
        common_ids: common,
        agreeing_ids: agreeing,
        base_total: base.analysis.total_size(base.graph),
        current_total: current.analysis.total_size(current.graph),
    }
}

/// Sorts nodes by `size`, largest first, then by ordinal; the sizes are looked up once, and a
/// big class is sorted in parallel.
fn sort_largest_first(nodes: &mut [u32], size: impl Fn(u32) -> u64) {
    let mut keyed: Vec<(std::cmp::Reverse<u64>, u32)> =
        nodes.iter().map(|&v| (std::cmp::Reverse(size(v)), v)).collect();
    if keyed.len() > 1 << 16 {
        keyed.par_sort_unstable();
    } else {
        keyed.sort_unstable();
    }
    for (node, (_, v)) in nodes.iter_mut().zip(keyed) {
        *node = v;
    }
}

/// One class's row from its aggregate and `(id, ordinal)` pairs in each snapshot; `None`
/// when no object is new or deleted.
fn diff_class(
    base: Side<'_>,
    current: Side<'_>,
    before: Option<(&ClassAggregate, &[(u32, u32)])>,
    after: Option<(&ClassAggregate, &[(u32, u32)])>,
) -> Option<ClassDiff> {
    let base_ids = before.map_or(&[][..], |(_, ids)| ids);
    let current_ids = after.map_or(&[][..], |(_, ids)| ids);
    let (before, after) = (before.map(|(row, _)| row), after.map(|(row, _)| row));
    let (mut new_objects, mut deleted_objects) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < base_ids.len() || j < current_ids.len() {
        match (base_ids.get(i), current_ids.get(j)) {
            (Some(a), Some(b)) if a.0 == b.0 => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.0 < b.0 => {
                deleted_objects.push(a.1);
                i += 1;
            }
            (Some(a), None) => {
                deleted_objects.push(a.1);
                i += 1;
            }
            (_, Some(b)) => {
                new_objects.push(b.1);
                j += 1;
            }
            (None, None) => break,
        }
    }
    if new_objects.is_empty() && deleted_objects.is_empty() {
        return None;
    }
    let alloc_size = new_objects.iter().map(|&v| current.analysis.self_sizes.get(v as usize)).sum();
    let freed_size = deleted_objects.iter().map(|&v| base.analysis.self_sizes.get(v as usize)).sum();
    sort_largest_first(&mut new_objects, |v| current.analysis.retained.get(v as usize));
    sort_largest_first(&mut deleted_objects, |v| base.analysis.self_sizes.get(v as usize));
    let name = match after {
        Some(row) => row.name.clone(),
        // A class only the base has is named by its highest-id object, with the base's own classes.
        None => base_ids.last().map(|&(_, v)| base.analysis.class_name(base.graph, v).to_string()).unwrap_or_default(),
    };
    Some(ClassDiff {
        name,
        key: after.or(before).map(|r| r.key.clone()).unwrap_or_default(),
        new_count: new_objects.len() as u64,
        deleted_count: deleted_objects.len() as u64,
        alloc_size,
        freed_size,
        retained_before: before.map_or(0, |r| r.retained_size),
        retained_after: after.map_or(0, |r| r.retained_size),
        new_objects,
        deleted_objects,
    })
}
