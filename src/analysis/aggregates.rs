//! The Summary: one row per class with its count, shallow size, retained size (without
//! double-counting nested objects of the same class) and minimum distance (spec §2.10).

use std::collections::HashMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::Analysis;
use super::bits::BitVec;
use super::names::ClassNames;
use super::prefetch::prefetch;
use crate::graph::HeapGraph;
use crate::graph::group::SharedSlots;

/// The key of a class split by constructor location (`object` nodes that have one):
/// script id, line, column and class name, as DevTools keys it.
type LocatedKey = (u32, u32, u32, String);

/// Nodes per parallel block when classing nodes into rows: fewer than `u16::MAX`, so a
/// block-local row number fits a [`NarrowRow`].
const ROW_BLOCK: usize = 1 << 15;

/// A row number in a column of one per node, with a value for "no row".
trait RowNumber: Copy + PartialEq + Send + Sync {
    /// No row (the node is not counted).
    const NONE: Self;
    /// The row number as an index.
    fn index(self) -> usize;
}

/// A row number of a Summary with fewer than `u16::MAX` rows (nearly every one): the column
/// of one per node then takes half the memory.
type NarrowRow = u16;

impl RowNumber for u16 {
    const NONE: Self = u16::MAX;
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl RowNumber for u32 {
    const NONE: Self = u32::MAX;
    fn index(self) -> usize {
        self as usize
    }
}

/// Each node's row number, narrow when the rows are few enough.
enum RowColumn {
    Narrow(Vec<NarrowRow>),
    Wide(Vec<u32>),
}

/// What a row is keyed by inside one block: the packed class, or the constructor location
/// (script id, line, column) and packed class.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum RowKey {
    Class(u32),
    Located(u32, u32, u32, u32),
}

/// Subtrees retaining at least 1/this of the total are split into parallel tasks.
const SPLIT_FRACTION: u64 = 256;
/// How deep big subtrees are split at most (deeper ones are walked whole).
const MAX_SPLIT_DEPTH: usize = 64;

/// The walk over the dominator tree that sums retained sizes per row: a row is "open" inside
/// the subtree of its outermost counted object, and objects of an open row are not counted
/// again.
struct ClassWalk<'a, R> {
    children: &'a super::tree::DominatorChildren,
    row_of: &'a [R],
    retained: &'a crate::graph::SizeColumn,
    row_count: usize,
    /// The retained size from which a subtree is split rather than walked whole.
    big: u64,
}

impl<R: RowNumber> ClassWalk<'_, R> {
    /// Walks the subtree of `start` with the rows `open` at its top, adding to `sums`; leaves
    /// `open` as it found it.
    fn visit(&self, start: u32, open: &mut [bool], sums: &mut [u64]) {
        let mut stack: Vec<(u32, bool)> = vec![(start, false)];
        while let Some((v, closing)) = stack.pop() {
            let row = self.row_of[v as usize];
            if closing {
                open[row.index()] = false;
                continue;
            }
            let children = self.children.get(v);
            if row != R::NONE && !open[row.index()] {
                sums[row.index()] += self.retained.get(v as usize);
                if !children.is_empty() {
                    open[row.index()] = true;
                    stack.push((v, true));
                }
            }
            stack.extend(children.iter().map(|&c| (c, false)));
        }
    }

    /// The sums of the subtree of `v` with the rows `open` above it: big children are split
    /// again (in parallel), the others walked whole in parallel batches.
    fn split(&self, v: u32, mut open: Vec<bool>, depth: usize) -> Vec<u64> {
        let mut sums = vec![0u64; self.row_count];
        let row = self.row_of[v as usize];
        if row != R::NONE && !open[row.index()] {
            sums[row.index()] += self.retained.get(v as usize);
            open[row.index()] = true;
        }
        let children = self.children.get(v);
        let is_big = |c: &&u32| depth < MAX_SPLIT_DEPTH && self.retained.get(**c as usize) >= self.big;
        let big = children.par_iter().filter(is_big).map(|&c| self.split(c, open.clone(), depth + 1));
        let small = children
            .par_iter()
            .with_min_len(64)
            .filter(|c| !is_big(c))
            .fold(
                || (vec![0u64; self.row_count], open.clone()),
                |(mut sums, mut open), &c| {
                    self.visit(c, &mut open, &mut sums);
                    (sums, open)
                },
            )
            .map(|(sums, _)| sums);
        let below = big.chain(small).reduce(|| vec![0u64; self.row_count], add_sums);
        add_sums(sums, below)
    }
}

/// Each row's retained size: the dominator tree walked from the root.
fn retained_sums<R: RowNumber>(
    graph: &HeapGraph,
    children: &super::tree::DominatorChildren,
    retained: &crate::graph::SizeColumn,
    row_of: &[R],
    row_count: usize,
) -> Vec<u64> {
    let root = graph.root();
    let walk = ClassWalk { children, row_of, retained, row_count, big: retained.get(root as usize) / SPLIT_FRACTION };
    if row_of[root as usize] != R::NONE {
        // A counted root retains everything; nothing below it counts for its own class.
        let mut sums = vec![0u64; row_count];
        walk.visit(root, &mut vec![false; row_count], &mut sums);
        sums
    } else {
        walk.split(root, vec![false; row_count], 0)
    }
}

/// The constructor locations (script id, line, column) by node, sorted by node, one per node:
/// of a node's entries, the last in the snapshot wins.
fn locations_by_node(graph: &HeapGraph) -> Vec<(u32, (u32, u32, u32))> {
    let mut sorted: Vec<(u32, (u32, u32, u32))> =
        graph.locations.par_iter().map(|l| (l.node, (l.script_id, l.line, l.column))).collect();
    // A stable sort: a node's entries stay in snapshot order.
    sorted.par_sort_by_key(|&(node, _)| node);
    let last_of_each = |(i, entry): (usize, &(u32, (u32, u32, u32)))| {
        sorted.get(i + 1).is_none_or(|next| next.0 != entry.0).then_some(*entry)
    };
    sorted.iter().enumerate().filter_map(last_of_each).collect()
}

/// A row of one block of nodes.
struct LocalRow {
    key: RowKey,
    count: u64,
    self_size: u64,
    distance: i32,
    /// The block's first node of this row.
    first: u32,
}

/// The blocks' rows merged in node order, so rows keep their first-seen order; and per
/// block, each local row's global row and where the block's objects of that row start in the
/// row's object list.
fn merge_blocks<'a>(
    blocks: Vec<Vec<LocalRow>>,
    classes: &ClassNames,
    class_name: impl Fn(u32) -> &'a str,
) -> (Vec<ClassAggregate>, Vec<Vec<u32>>, Vec<Vec<u32>>) {
    // Located rows are keyed by class *text*, as DevTools keys them, so a new (location,
    // class) pair is first looked up by text.
    let mut row_of_class: Vec<u32> = vec![u32::MAX; classes.packed_count()];
    let mut located_by_id: FxHashMap<(u32, u32, u32, u32), usize> = FxHashMap::default();
    let mut located: FxHashMap<LocatedKey, usize> = FxHashMap::default();
    let mut rows: Vec<ClassAggregate> = Vec::new();
    let mut global_of_local: Vec<Vec<u32>> = Vec::with_capacity(blocks.len());
    let mut start_of_local: Vec<Vec<u32>> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut mapping = Vec::with_capacity(block.len());
        let mut starts = Vec::with_capacity(block.len());
        for local in block {
            let first = local.first;
            let existing = match local.key {
                RowKey::Class(class) => {
                    let row = row_of_class[class as usize];
                    (row != u32::MAX).then_some(row as usize)
                }
                RowKey::Located(script_id, line, column, class) => {
                    match located_by_id.get(&(script_id, line, column, class)) {
                        Some(&row) => Some(row),
                        None => {
                            let name = class_name(first).to_string();
                            let row = located.get(&(script_id, line, column, name)).copied();
                            if let Some(row) = row {
                                located_by_id.insert((script_id, line, column, class), row);
                            }
                            row
                        }
                    }
                }
            };
            let i = match existing {
                Some(i) => {
                    let row = &mut rows[i];
                    starts.push(row.count as u32);
                    row.count += local.count;
                    row.self_size += local.self_size;
                    row.distance = row.distance.min(local.distance);
                    i
                }
                None => {
                    let name = class_name(first).to_string();
                    let i = rows.len();
                    let public = match local.key {
                        RowKey::Class(class) => {
                            row_of_class[class as usize] = i as u32;
                            format!(",{name}")
                        }
                        RowKey::Located(script_id, line, column, class) => {
                            located.insert((script_id, line, column, name.clone()), i);
                            located_by_id.insert((script_id, line, column, class), i);
                            format!("{script_id},{line},{column},{name}")
                        }
                    };
                    rows.push(ClassAggregate {
                        name,
                        key: public,
                        count: local.count,
                        self_size: local.self_size,
                        retained_size: 0,
                        distance: local.distance,
                        nodes: Vec::new(),
                    });
                    starts.push(0);
                    i
                }
            };
            mapping.push(i as u32);
        }
        global_of_local.push(mapping);
        start_of_local.push(starts);
    }
    (rows, global_of_local, start_of_local)
}

/// One Summary row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassAggregate {
    /// The class name (of the first node seen).
    pub name: String,
    /// The public class key: `","+name`, or `"scriptId,line,column,name"` for located classes.
    pub key: String,
    /// Objects with a non-zero shallow size.
    pub count: u64,
    /// Their shallow sizes.
    pub self_size: u64,
    /// Their retained sizes, counting nested objects of the same class once.
    pub retained_size: u64,
    /// The smallest distance (negative when some object is unreachable; 0 when the analysis
    /// has no distances).
    pub distance: i32,
    /// The objects, in node order.
    pub nodes: Vec<u32>,
}

/// Whether Summary rows list their objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowObjects {
    /// Each row lists its objects ([`ClassAggregate::nodes`]).
    Listed,
    /// The rows only count their objects (their `nodes` stay empty): for output that prints
    /// the table and nothing else, and saves a list of every object.
    Counted,
}

/// The Summary rows, in first-seen order, with DevTools' public-key collision rule applied
/// (of two rows whose keys print the same, the one first seen later in node order is kept).
pub fn aggregates(
    graph: &HeapGraph,
    analysis: &Analysis,
    filter: Option<&(dyn Fn(u32) -> bool + Sync)>,
) -> Vec<ClassAggregate> {
    aggregates_by(graph, analysis, &analysis.classes, filter, RowObjects::Listed)
}

/// The Summary rows with the nodes classed by `classes` instead of the analysis' own classes
/// (the Comparison classes the base snapshot with the viewed snapshot's interfaces).
pub fn aggregates_by(
    graph: &HeapGraph,
    analysis: &Analysis,
    classes: &ClassNames,
    filter: Option<&(dyn Fn(u32) -> bool + Sync)>,
    objects: RowObjects,
) -> Vec<ClassAggregate> {
    let sources = RowSources {
        graph,
        self_sizes: &analysis.self_sizes,
        distance: &analysis.distance,
        classes,
        new_names: &analysis.dom.new_names,
        object_type: analysis.kinds.object,
    };
    ClassRows::classify(&sources, filter, objects).finish(graph, analysis.dominator_children(), &analysis.retained)
}

/// What classing nodes into Summary rows reads: everything but the dominator tree.
pub struct RowSources<'a> {
    /// The graph.
    pub graph: &'a HeapGraph,
    /// Shallow sizes after the transfer.
    pub self_sizes: &'a crate::graph::SizeColumn,
    /// Distances (empty without them: the rows' distances are then 0).
    pub distance: &'a [i32],
    /// Each node's class.
    pub classes: &'a ClassNames,
    /// The DOM-state renames (`DomState::new_names`).
    pub new_names: &'a [String],
    /// The `object` node type.
    pub object_type: u8,
}

/// Summary rows before their retained sizes: every node with a shallow size classed into its
/// row, and each row's count, shallow size and distance. The first half of
/// [`aggregates_by`], which needs no dominator tree and so can run beside the dominators.
pub struct ClassRows {
    rows: Vec<ClassAggregate>,
    /// Each node's row, or none for nodes not counted.
    row_of_node: RowColumn,
}

impl ClassRows {
    /// Classes the nodes `filter` keeps (all when `None`) into rows, in first-seen order.
    pub fn classify(
        sources: &RowSources<'_>,
        filter: Option<&(dyn Fn(u32) -> bool + Sync)>,
        objects: RowObjects,
    ) -> Self {
        let RowSources { graph, self_sizes, distance, classes, new_names, object_type } = *sources;
        let locations = locations_by_node(graph);
        let passes = |v: u32| filter.is_none_or(|f| f(v));
        let object = object_type;
        // Each block of nodes is classed in parallel into rows of its own, in first-seen order;
        // `key_index_of_node` first holds block-local row numbers.
        // Filled in parallel: these are fresh pages, and faulting them in is most of the cost.
        let mut key_index_of_node: Vec<NarrowRow> = Vec::with_capacity(graph.node_count());
        key_index_of_node.par_extend(rayon::iter::repeat_n(NarrowRow::NONE, graph.node_count()));
        let packed_count = classes.packed_count();
        let blocks: Vec<Vec<LocalRow>> = key_index_of_node
            .par_chunks_mut(ROW_BLOCK)
            .enumerate()
            .map_init(
                // Per thread: the block-local row of each class (of rows without a location),
                // reset after each block.
                || vec![u32::MAX; packed_count],
                |row_of_class, (block, local_index)| {
                    let start = (block * ROW_BLOCK) as u32;
                    // The block's nodes are visited in order, and so are their locations.
                    let mut next_location = locations.partition_point(|&(node, _)| node < start);
                    let mut rows: Vec<LocalRow> = Vec::new();
                    let mut row_of_located: FxHashMap<RowKey, u32> = FxHashMap::default();
                    for (offset, slot) in local_index.iter_mut().enumerate() {
                        let v = start + offset as u32;
                        let self_size = self_sizes.get(v as usize);
                        if self_size == 0 || !passes(v) {
                            continue;
                        }
                        let class = classes.packed_class(v);
                        while locations.get(next_location).is_some_and(|&(node, _)| node < v) {
                            next_location += 1;
                        }
                        let located = locations
                            .get(next_location)
                            .filter(|&&(node, _)| node == v && graph.node_type(v) == object)
                            .map(|(_, location)| location);
                        // Without distances (a comparison does without them), the column is 0.
                        let distance = distance.get(v as usize).copied().unwrap_or(0);
                        let mut new_row = |key: RowKey| {
                            rows.push(LocalRow { key, count: 0, self_size: 0, distance, first: v });
                            (rows.len() - 1) as u32
                        };
                        let i = match located {
                            Some(&(script_id, line, column)) => *row_of_located
                                .entry(RowKey::Located(script_id, line, column, class))
                                .or_insert_with_key(|&key| new_row(key)),
                            None => {
                                let row = &mut row_of_class[class as usize];
                                if *row == u32::MAX {
                                    *row = new_row(RowKey::Class(class));
                                }
                                *row
                            }
                        };
                        let row = &mut rows[i as usize];
                        row.count += 1;
                        row.self_size += self_size;
                        row.distance = row.distance.min(distance);
                        // A block has fewer nodes, so fewer rows, than `NarrowRow::NONE`.
                        *slot = i as NarrowRow;
                    }
                    for row in &rows {
                        if let RowKey::Class(class) = row.key {
                            row_of_class[class as usize] = u32::MAX;
                        }
                    }
                    rows
                },
            )
            .collect();
        let class_name = |v: u32| classes.text(graph, new_names, v);
        let (mut rows, global_of_local, start_of_local) = merge_blocks(blocks, classes, class_name);
        // Each row's objects, in node order: every block writes its objects of a row at that
        // row's place for the block, while its row numbers become global ones.
        if objects == RowObjects::Listed {
            for row in rows.iter_mut() {
                row.nodes = Vec::with_capacity(row.count as usize);
            }
        }
        let lists: Vec<SharedSlots<u32>> = rows.iter_mut().map(|row| SharedSlots(row.nodes.as_mut_ptr())).collect();
        // The global row of a node's block-local row `slot`, listing the node in the row.
        let global = |v: usize, slot: NarrowRow, mapping: &[u32], cursors: &mut [u32]| {
            if slot == NarrowRow::NONE {
                return u32::MAX;
            }
            let local = slot.index();
            let row = mapping[local];
            if objects == RowObjects::Listed {
                // SAFETY: the block's objects of this row go to their own range of the row's
                // list (after the earlier blocks' objects of the row), within the list's
                // capacity, the row's count.
                unsafe { lists[row as usize].write(cursors[local] as usize, v as u32) };
                cursors[local] += 1;
            }
            row
        };
        let row_of_node = if rows.len() < usize::from(NarrowRow::NONE) {
            key_index_of_node
                .par_chunks_mut(ROW_BLOCK)
                .zip(global_of_local.par_iter().zip(start_of_local))
                .enumerate()
                .for_each(|(block, (chunk, (mapping, mut cursors)))| {
                    for (offset, slot) in chunk.iter_mut().enumerate() {
                        let row = global(block * ROW_BLOCK + offset, *slot, mapping, &mut cursors);
                        // Fewer rows than `NarrowRow::NONE`.
                        *slot = if row == u32::MAX { NarrowRow::NONE } else { row as NarrowRow };
                    }
                });
            RowColumn::Narrow(key_index_of_node)
        } else {
            let mut wide = vec![u32::NONE; graph.node_count()];
            wide.par_chunks_mut(ROW_BLOCK)
                .zip(key_index_of_node.par_chunks(ROW_BLOCK))
                .zip(global_of_local.par_iter().zip(start_of_local))
                .enumerate()
                .for_each(|(block, ((wide, chunk), (mapping, mut cursors)))| {
                    for (offset, (slot, &narrow)) in wide.iter_mut().zip(chunk).enumerate() {
                        *slot = global(block * ROW_BLOCK + offset, narrow, mapping, &mut cursors);
                    }
                });
            RowColumn::Wide(wide)
        };
        drop(lists);
        if objects == RowObjects::Listed {
            for row in rows.iter_mut() {
                // SAFETY: every object of the row was written above, and the row counted them.
                unsafe { row.nodes.set_len(row.count as usize) };
            }
        }
        Self { rows, row_of_node }
    }

    /// The rows with their retained sizes, from the dominator tree (`children`) and the
    /// retained sizes, with DevTools' public-key collision rule applied (of two rows whose
    /// keys print the same, the one first seen later in node order is kept).
    pub fn finish(
        self,
        graph: &HeapGraph,
        children: &super::tree::DominatorChildren,
        retained: &crate::graph::SizeColumn,
    ) -> Vec<ClassAggregate> {
        // Retained sizes: walk the dominator tree; a class is "open" inside the subtree of its
        // outermost counted object, and objects of an open class are not counted again.
        let sums = match &self.row_of_node {
            RowColumn::Narrow(row_of) => retained_sums(graph, children, retained, row_of, self.rows.len()),
            RowColumn::Wide(row_of) => retained_sums(graph, children, retained, row_of, self.rows.len()),
        };
        self.with_sums(sums)
    }

    /// Which nodes are the outermost of their row (no node of their row dominates them), from
    /// the dominator tree given as `order`, the reached nodes each after its immediate
    /// dominator (the root first), `idom_in_order`, each one's immediate dominator as a place
    /// in `order` (its memory is reused), and `listed`, one bit per node set for those in `order`; the others are
    /// dominated by the root. Each node climbs the chain of outermost nodes above it, one per
    /// row at most: `None` when the climbs take more than a few steps per node on average (a
    /// deep nest of many rows), where [`ClassRows::finish`] walks the tree in linear time.
    pub fn outermost<'a>(&self, order: &[u32], idom_in_order: Vec<u32>, listed: &'a BitVec) -> Option<Outermost<'a>> {
        match &self.row_of_node {
            RowColumn::Narrow(row_of) => outermost_of_rows(row_of, order, idom_in_order, listed),
            RowColumn::Wide(row_of) => outermost_of_rows(row_of, order, idom_in_order, listed),
        }
    }

    /// The rows with their retained sizes, the sums over their `outermost` nodes (see
    /// [`ClassRows::outermost`]), with DevTools' public-key collision rule applied.
    pub fn finish_outermost(
        self,
        outermost: &Outermost<'_>,
        retained: &crate::graph::SizeColumn,
    ) -> Vec<ClassAggregate> {
        let sums = match &self.row_of_node {
            RowColumn::Narrow(row_of) => sums_of_outermost(row_of, outermost, retained, self.rows.len()),
            RowColumn::Wide(row_of) => sums_of_outermost(row_of, outermost, retained, self.rows.len()),
        };
        self.with_sums(sums)
    }

    /// The rows with their retained sizes `sums`, with DevTools' public-key collision rule
    /// applied: of two rows whose keys print the same, the one first seen later in node order
    /// is kept.
    fn with_sums(self, sums: Vec<u64>) -> Vec<ClassAggregate> {
        let mut rows = self.rows;
        for (row, sum) in rows.iter_mut().zip(sums) {
            row.retained_size = sum;
        }
        let mut by_public: HashMap<String, usize> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            by_public.insert(row.key.clone(), i);
        }
        let mut keep = vec![false; rows.len()];
        for &i in by_public.values() {
            keep[i] = true;
        }
        rows.into_iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r).collect()
    }
}

/// How many places ahead [`ClassRows::outermost`] fetches a node's row and its dominator's
/// entry.
const LOOK_AHEAD: usize = 16;

/// How many chain steps per reached node [`ClassRows::outermost`] climbs at most in all.
const CLIMB_STEPS_PER_NODE: usize = 8;

/// [`ClassRows::outermost`] for a column of row numbers.
fn outermost_of_rows<'a, R: RowNumber>(
    row_of: &[R],
    order: &[u32],
    mut idom_in_order: Vec<u32>,
    listed: &'a BitVec,
) -> Option<Outermost<'a>> {
    const NONE: u32 = u32::MAX;
    let mut outermost = BitVec::zeros(row_of.len());
    let Some(&root) = order.first() else { return Some(Outermost { listed, outermost, root_row: None }) };
    let root_row = row_of[root as usize];
    // Each place's immediate dominator is replaced, as the places are taken in turn, by the
    // nearest outermost node strictly above it (a dominator's place comes earlier, so it is
    // replaced by then); `top` marks the outermost places. Climbing from an outermost place
    // to the next one up is then one step, and the rows on the way all differ.
    let above = &mut idom_in_order;
    let mut top = BitVec::zeros(order.len());
    above[0] = NONE;
    if root_row != R::NONE {
        outermost.set(root as usize);
        top.set(0);
    }
    let mut budget = order.len().saturating_mul(CLIMB_STEPS_PER_NODE);
    for (w, &v) in order.iter().enumerate().skip(1) {
        // The nodes and their dominators' places are scattered: fetch them a few steps ahead.
        if let (Some(&ahead), Some(&ahead_parent)) = (order.get(w + LOOK_AHEAD), above.get(w + LOOK_AHEAD)) {
            prefetch(row_of, ahead as usize);
            prefetch(above, ahead_parent as usize);
            top.prefetch(ahead_parent as usize);
            outermost.prefetch(ahead as usize);
        }
        let row = row_of[v as usize];
        let parent = above[w] as usize;
        // The nearest outermost place at or above the dominator.
        let inherited = if top.get(parent) { parent as u32 } else { above[parent] };
        let is_outermost = row != R::NONE && {
            let mut c = inherited;
            loop {
                if c == NONE {
                    break true;
                }
                if row_of[order[c as usize] as usize] == row {
                    break false;
                }
                budget = budget.checked_sub(1)?;
                c = above[c as usize];
            }
        };
        above[w] = inherited;
        if is_outermost {
            outermost.set(v as usize);
            top.set(w);
        }
    }
    let root_row = (root_row != R::NONE).then(|| root_row.index());
    Some(Outermost { listed, outermost, root_row })
}

/// The outermost nodes of their rows (see [`ClassRows::outermost`]).
pub struct Outermost<'a> {
    /// The nodes the dominator order listed.
    listed: &'a BitVec,
    /// Of those, the outermost of their rows.
    outermost: BitVec,
    /// The root's row: a node not listed hangs from the root, and is outermost unless of
    /// this row.
    root_row: Option<usize>,
}

impl Outermost<'_> {
    /// Whether node `v`, of row `row`, is the outermost of its row.
    fn get<R: RowNumber>(&self, v: usize, row: R) -> bool {
        if self.listed.get(v) { self.outermost.get(v) } else { row != R::NONE && Some(row.index()) != self.root_row }
    }
}

/// Each row's sum of the retained sizes of its `outermost` nodes, in parallel blocks.
fn sums_of_outermost<R: RowNumber>(
    row_of: &[R],
    outermost: &Outermost<'_>,
    retained: &crate::graph::SizeColumn,
    row_count: usize,
) -> Vec<u64> {
    row_of
        .par_chunks(ROW_BLOCK)
        .enumerate()
        .fold(
            || vec![0u64; row_count],
            |mut sums, (block, rows)| {
                for (offset, &row) in rows.iter().enumerate() {
                    let v = block * ROW_BLOCK + offset;
                    if row != R::NONE && outermost.get(v, row) {
                        sums[row.index()] += retained.get(v);
                    }
                }
                sums
            },
        )
        .reduce(|| vec![0u64; row_count], add_sums)
}

/// Per-row sums added up.
fn add_sums(mut a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of `n` nodes in preorder, each dominating the next.
    fn chain(n: usize) -> (Vec<u32>, Vec<u32>, BitVec) {
        let order: Vec<u32> = (0..n as u32).collect();
        let idom_in_order: Vec<u32> = order.iter().map(|w| w.saturating_sub(1)).collect();
        (order, idom_in_order, BitVec::ones(n))
    }

    #[test]
    fn nested_objects_of_a_row_are_not_outermost() {
        // Ten rows repeating down the chain: only the first node of each row is outermost.
        let (order, idom_in_order, listed) = chain(1000);
        let row_of: Vec<NarrowRow> = (0..1000).map(|v| v % 10).collect();
        let found = outermost_of_rows(&row_of, &order, idom_in_order.clone(), &listed).expect("few rows climb little");
        for (v, &row) in row_of.iter().enumerate() {
            assert_eq!(found.get(v, row), v < 10, "node {v}");
        }
    }

    #[test]
    fn a_deep_nest_of_many_rows_is_left_to_the_tree_walk() {
        // Each node of its own row: every node climbs past all the nodes above it.
        let (order, idom_in_order, listed) = chain(1000);
        let row_of: Vec<u32> = (0..1000).collect();
        assert!(outermost_of_rows(&row_of, &order, idom_in_order.clone(), &listed).is_none());
        // A short one climbs little.
        let (order, idom_in_order, listed) = chain(8);
        let found = outermost_of_rows(&row_of[..8], &order, idom_in_order, &listed).expect("a short chain");
        assert!((0..8).all(|v| found.get(v, v as u32)));
    }
}
