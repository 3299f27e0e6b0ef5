//! `Snapshot.statistics()` and `Snapshot.compare_to()`: the same groups, sizes, counts and order
//! as CPython's `tracemalloc` (`Snapshot._group_by`, `Statistic._sort_key`,
//! `StatisticDiff._sort_key`).
//!
//! Grouping runs in two steps: traces are summed per unique traceback, then the traceback sums
//! are spread over the key (the traceback itself, its most recent frame, that frame's file, or
//! with `cumulative` every frame / every frame's file). The result is the same as Python's
//! per-trace loop, because each trace adds its size and a count of one per key occurrence.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::{AllocationTraces, FileId, FrameId, FrameTable, NO_FILE, TracebackId};

/// How traces are grouped (Python's `key_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// By whole traceback.
    Traceback,
    /// By file name of the most recent frame (or of every frame, cumulative).
    Filename,
    /// By file name and line of the most recent frame (or of every frame, cumulative).
    Lineno,
}

impl KeyType {
    /// Python's name for the key type.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Traceback => "traceback",
            KeyType::Filename => "filename",
            KeyType::Lineno => "lineno",
        }
    }
}

/// A group key for a traceback without frames (Python fails on it for `filename`; heapscope
/// shows it as a group of its own).
pub const EMPTY_KEY: u32 = u32::MAX - 1;

/// A group: a traceback id ([`KeyType::Traceback`]), a frame id ([`KeyType::Lineno`]) or a file
/// id ([`KeyType::Filename`]), or [`EMPTY_KEY`].
pub type GroupKey = u32;

/// One row of `statistics()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statistic {
    /// The group.
    pub key: GroupKey,
    /// Sum of the sizes of its traces.
    pub size: u64,
    /// Number of traces (cumulative: number of frame occurrences).
    pub count: u64,
}

/// One row of `compare_to()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatisticDiff {
    /// The group.
    pub key: GroupKey,
    /// Size in the new snapshot.
    pub size: u64,
    /// New size minus old size.
    pub size_diff: i128,
    /// Count in the new snapshot.
    pub count: u64,
    /// New count minus old count.
    pub count_diff: i128,
}

/// The misuse Python refuses with a `ValueError`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cumulative mode cannot be used with key type 'traceback'")]
pub struct CumulativeTraceback;

/// A grouping request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grouping {
    /// The key.
    pub key: KeyType,
    /// Count every frame of a traceback, not only the most recent one.
    pub cumulative: bool,
}

impl Grouping {
    /// A grouping; `cumulative` needs `lineno` or `filename`.
    pub fn new(key: KeyType, cumulative: bool) -> Result<Self, CumulativeTraceback> {
        if cumulative && key == KeyType::Traceback { Err(CumulativeTraceback) } else { Ok(Self { key, cumulative }) }
    }
}

/// `statistics()` rows of one snapshot, sorted as Python sorts them.
#[derive(Clone, Debug)]
pub struct Statistics {
    /// How the traces were grouped.
    pub grouping: Grouping,
    /// Rows, largest first.
    pub rows: Vec<Statistic>,
}

/// `compare_to()` rows of two snapshots, sorted as Python sorts them; keys live in `table`.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// How the traces were grouped.
    pub grouping: Grouping,
    /// The new snapshot's frames and tracebacks, followed by those only the old one has.
    pub table: FrameTable,
    /// Rows, largest change first.
    pub rows: Vec<StatisticDiff>,
}

/// Sums per traceback of the selected traces.
pub(crate) fn per_traceback(traces: &AllocationTraces, selected: Option<&[bool]>) -> (Vec<u64>, Vec<u64>) {
    let n = traces.table.traceback_count();
    let (mut size, mut count) = (vec![0u64; n], vec![0u64; n]);
    for (i, (&tb, &s)) in traces.traceback.iter().zip(&traces.size).enumerate() {
        if selected.is_some_and(|keep| !keep[i]) {
            continue;
        }
        let tb = tb as usize;
        size[tb] = size[tb].saturating_add(s);
        count[tb] += 1;
    }
    (size, count)
}

/// Python's `_group_by`: unsorted groups of the selected traces (`selected[i]` keeps trace `i`).
pub fn group(traces: &AllocationTraces, grouping: Grouping, selected: Option<&[bool]>) -> Vec<Statistic> {
    let table = &traces.table;
    let (tb_size, tb_count) = per_traceback(traces, selected);
    let used = || (0..tb_size.len()).filter(|&t| tb_count[t] > 0);
    if grouping.key == KeyType::Traceback {
        return used().map(|t| Statistic { key: t as GroupKey, size: tb_size[t], count: tb_count[t] }).collect();
    }
    // Dense sums over frames or files, plus one slot for the empty traceback.
    let slots = match grouping.key {
        KeyType::Lineno => table.frame_count(),
        _ => table.files.len() + 1,
    };
    let empty_slot = slots;
    let mut size = vec![0u64; slots + 1];
    let mut count = vec![0u64; slots + 1];
    let slot_of = |frame: FrameId| match grouping.key {
        KeyType::Lineno => frame as usize,
        _ => file_slot(table.frame_file[frame as usize], table.files.len()),
    };
    for t in used() {
        let frames = table.traceback(t as TracebackId);
        let mut add = |slot: usize| {
            size[slot] = size[slot].saturating_add(tb_size[t]);
            count[slot] += tb_count[t];
        };
        match (frames.first(), grouping.cumulative) {
            (None, _) => add(empty_slot),
            (Some(&first), false) => add(slot_of(first)),
            (Some(_), true) => frames.iter().for_each(|&f| add(slot_of(f))),
        }
    }
    (0..=slots)
        .filter(|&slot| count[slot] > 0)
        .map(|slot| {
            let key = if slot == empty_slot {
                EMPTY_KEY
            } else if grouping.key == KeyType::Filename && slot == table.files.len() {
                NO_FILE
            } else {
                slot as GroupKey
            };
            Statistic { key, size: size[slot], count: count[slot] }
        })
        .collect()
}

/// The dense slot of a file id (`NO_FILE` gets the slot after the last file).
fn file_slot(file: FileId, files: usize) -> usize {
    if file == NO_FILE { files } else { file as usize }
}

/// `Snapshot.statistics(key_type, cumulative)` over the selected traces.
pub fn statistics(traces: &AllocationTraces, grouping: Grouping, selected: Option<&[bool]>) -> Statistics {
    let mut rows = group(traces, grouping, selected);
    let order = KeyOrder::new(&traces.table, grouping.key);
    rows.sort_unstable_by(|a, b| (b.size, b.count).cmp(&(a.size, a.count)).then_with(|| order.compare(b.key, a.key)));
    Statistics { grouping, rows }
}

/// `new.compare_to(old, key_type, cumulative)` over the selected traces of each.
pub fn compare(
    new: &AllocationTraces,
    new_selected: Option<&[bool]>,
    old: &AllocationTraces,
    old_selected: Option<&[bool]>,
    grouping: Grouping,
) -> Comparison {
    let new_rows = group(new, grouping, new_selected);
    let old_rows = group(old, grouping, old_selected);
    let (table, remap) = merge_tables(&new.table, &old.table);
    let mut old_by_key: HashMap<GroupKey, Statistic> = old_rows
        .into_iter()
        .map(|row| {
            let key = remap.key(grouping.key, row.key);
            (key, Statistic { key, ..row })
        })
        .collect();
    let mut rows: Vec<StatisticDiff> = new_rows
        .iter()
        .map(|row| {
            let (old_size, old_count) = old_by_key.remove(&row.key).map_or((0, 0), |old| (old.size, old.count));
            StatisticDiff {
                key: row.key,
                size: row.size,
                size_diff: i128::from(row.size) - i128::from(old_size),
                count: row.count,
                count_diff: i128::from(row.count) - i128::from(old_count),
            }
        })
        .collect();
    rows.extend(old_by_key.into_values().map(|old| StatisticDiff {
        key: old.key,
        size: 0,
        size_diff: -i128::from(old.size),
        count: 0,
        count_diff: -i128::from(old.count),
    }));
    let order = KeyOrder::new(&table, grouping.key);
    rows.sort_unstable_by(|a, b| {
        (b.size_diff.abs(), b.size, b.count_diff.abs(), b.count)
            .cmp(&(a.size_diff.abs(), a.size, a.count_diff.abs(), a.count))
            .then_with(|| order.compare(b.key, a.key))
    });
    Comparison { grouping, table, rows }
}

/// Python's ordering of group keys: their tracebacks compared as tuples of
/// `(filename, lineno)`, oldest frame first.
pub struct KeyOrder<'a> {
    table: &'a FrameTable,
    key: KeyType,
    /// Rank of each file name in code-point order; `None` (`NO_FILE`) ranks first.
    file_rank: Vec<u32>,
}

impl<'a> KeyOrder<'a> {
    /// The order of `key` groups over `table`.
    pub fn new(table: &'a FrameTable, key: KeyType) -> Self {
        let mut by_name: Vec<u32> = (0..table.files.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| table.files[a as usize].cmp(&table.files[b as usize]));
        let mut file_rank = vec![0u32; table.files.len()];
        for (rank, &file) in by_name.iter().enumerate() {
            file_rank[file as usize] = rank as u32 + 1;
        }
        Self { table, key, file_rank }
    }

    fn rank(&self, file: FileId) -> u32 {
        if file == NO_FILE { 0 } else { self.file_rank[file as usize] }
    }

    fn compare_frames(&self, a: FrameId, b: FrameId) -> Ordering {
        let (a, b) = (a as usize, b as usize);
        let t = self.table;
        (self.rank(t.frame_file[a]), t.frame_line[a]).cmp(&(self.rank(t.frame_file[b]), t.frame_line[b]))
    }

    /// Compares two group keys as Python compares their `Traceback`s.
    pub fn compare(&self, a: GroupKey, b: GroupKey) -> Ordering {
        match (a == EMPTY_KEY, b == EMPTY_KEY) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        match self.key {
            KeyType::Lineno => self.compare_frames(a, b),
            KeyType::Filename => self.rank(a).cmp(&self.rank(b)),
            KeyType::Traceback => {
                // Oldest first: the raw frames reversed.
                let (fa, fb) = (self.table.traceback(a), self.table.traceback(b));
                for (&x, &y) in fa.iter().rev().zip(fb.iter().rev()) {
                    match self.compare_frames(x, y) {
                        Ordering::Equal => {}
                        other => return other,
                    }
                }
                fa.len().cmp(&fb.len())
            }
        }
    }
}

/// Where the old snapshot's ids land in a merged table.
struct Remap {
    file: Vec<FileId>,
    frame: Vec<FrameId>,
    traceback: Vec<TracebackId>,
}

impl Remap {
    fn key(&self, key_type: KeyType, key: GroupKey) -> GroupKey {
        if key == EMPTY_KEY || key == NO_FILE && key_type == KeyType::Filename {
            return key;
        }
        match key_type {
            KeyType::Traceback => self.traceback[key as usize],
            KeyType::Lineno => self.frame[key as usize],
            KeyType::Filename => self.file[key as usize],
        }
    }
}

/// The new table extended by what only the old one has, and where the old ids went.
fn merge_tables(new: &FrameTable, old: &FrameTable) -> (FrameTable, Remap) {
    let mut merged = new.clone();
    let mut file_ids: HashMap<&str, FileId> =
        new.files.iter().enumerate().map(|(i, name)| (&**name, i as FileId)).collect();
    let file: Vec<FileId> = old
        .files
        .iter()
        .map(|name| {
            *file_ids.entry(name).or_insert_with(|| {
                merged.files.push(name.clone());
                merged.files.len() as FileId - 1
            })
        })
        .collect();
    let map_file = |f: FileId| if f == NO_FILE { NO_FILE } else { file[f as usize] };
    let mut frame_ids: HashMap<(FileId, i64), FrameId> =
        (0..new.frame_count()).map(|f| ((new.frame_file[f], new.frame_line[f]), f as FrameId)).collect();
    let frame: Vec<FrameId> = (0..old.frame_count())
        .map(|f| {
            let key = (map_file(old.frame_file[f]), old.frame_line[f]);
            *frame_ids.entry(key).or_insert_with(|| {
                merged.frame_file.push(key.0);
                merged.frame_line.push(key.1);
                merged.frame_file.len() as FrameId - 1
            })
        })
        .collect();
    let mut traceback_ids: HashMap<Vec<FrameId>, TracebackId> =
        (0..new.traceback_count()).map(|t| (new.traceback(t as TracebackId).to_vec(), t as TracebackId)).collect();
    let traceback: Vec<TracebackId> = (0..old.traceback_count())
        .map(|t| {
            let frames: Vec<FrameId> = old.traceback(t as TracebackId).iter().map(|&f| frame[f as usize]).collect();
            *traceback_ids.entry(frames).or_insert_with_key(|frames| {
                merged.traceback_frames.extend_from_slice(frames);
                merged.traceback_start.push(merged.traceback_frames.len() as u32);
                merged.traceback_count() as TracebackId - 1
            })
        })
        .collect();
    (merged, Remap { file, frame, traceback })
}

/// A group key as Python shows its traceback: `(filename, lineno)` frames, oldest first.
pub fn key_frames(table: &FrameTable, key_type: KeyType, key: GroupKey) -> Vec<(&str, i64)> {
    if key == EMPTY_KEY {
        return Vec::new();
    }
    match key_type {
        KeyType::Traceback => {
            table.traceback(key).iter().rev().map(|&f| (table.frame_file_text(f), table.frame_line(f))).collect()
        }
        KeyType::Lineno => vec![(table.frame_file_text(key), table.frame_line(key))],
        KeyType::Filename => vec![(table.file_name(key).unwrap_or("None"), 0)],
    }
}

/// `str(traceback)` of a group: its oldest frame as `file:line`.
pub fn key_text(table: &FrameTable, key_type: KeyType, key: GroupKey) -> String {
    match key_frames(table, key_type, key).first() {
        Some(&(file, line)) => super::text::frame_text(file, line),
        None => "<no frames>".to_string(),
    }
}
