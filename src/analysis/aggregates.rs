//! The Summary: one row per class with its count, shallow size, retained size (without
//! double-counting nested objects of the same class) and minimum distance (spec §2.10).

use std::collections::HashMap;

use super::Analysis;
use super::names::ClassNames;
use crate::graph::HeapGraph;

/// The key of a class split by constructor location (`object` nodes that have one):
/// script id, line, column and class name, as DevTools keys it.
type LocatedKey = (u32, u32, u32, String);

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
    /// The smallest distance (negative when some object is unreachable).
    pub distance: i32,
    /// The objects, in node order.
    pub nodes: Vec<u32>,
}

/// The Summary rows, in first-seen order, with DevTools' public-key collision rule applied
/// (of two rows whose keys print the same, the one first seen later in node order is kept).
pub fn aggregates(graph: &HeapGraph, analysis: &Analysis, filter: Option<&dyn Fn(u32) -> bool>) -> Vec<ClassAggregate> {
    aggregates_by(graph, analysis, &analysis.classes, filter)
}

/// The Summary rows with the nodes classed by `classes` instead of the analysis' own classes
/// (the Comparison classes the base snapshot with the viewed snapshot's interfaces).
pub fn aggregates_by(
    graph: &HeapGraph,
    analysis: &Analysis,
    classes: &ClassNames,
    filter: Option<&dyn Fn(u32) -> bool>,
) -> Vec<ClassAggregate> {
    let class_name = |v: u32| classes.text(graph, &analysis.dom.new_names, v);
    // Locations by node (the last entry for a node wins), behind a bit test.
    let mut has_location = super::bits::BitVec::zeros(graph.node_count());
    let mut location_of: HashMap<u32, (u32, u32, u32)> = HashMap::new();
    for l in &graph.locations {
        has_location.set(l.node as usize);
        location_of.insert(l.node, (l.script_id, l.line, l.column));
    }
    // Dense row lookup for unlocated classes, by packed class.
    let mut row_of_class: Vec<u32> = vec![u32::MAX; classes.packed_count()];
    // Located rows by (location, class); DevTools keys them by the class *text*, so a new
    // (location, class) pair is first looked up by text.
    let mut located_by_id: HashMap<(u32, u32, u32, u32), usize> = HashMap::new();
    let mut located: HashMap<LocatedKey, usize> = HashMap::new();
    let passes = |v: u32| filter.is_none_or(|f| f(v));
    let mut rows: Vec<ClassAggregate> = Vec::new();
    let mut key_index_of_node: Vec<u32> = vec![u32::MAX; graph.node_count()];
    let object = analysis.kinds.object;
    for v in 0..graph.node_count() as u32 {
        let self_size = analysis.self_sizes[v as usize];
        if self_size == 0 || !passes(v) {
            continue;
        }
        let class = classes.packed_class(v);
        let location = if graph.node_type(v) == object && has_location.get(v as usize) {
            location_of.get(&v).copied()
        } else {
            None
        };
        let existing = match location {
            None => {
                let row = row_of_class[class as usize];
                (row != u32::MAX).then_some(row as usize)
            }
            Some((script_id, line, column)) => match located_by_id.get(&(script_id, line, column, class)) {
                Some(&row) => Some(row),
                None => {
                    let name = class_name(v).to_string();
                    let row = located.get(&(script_id, line, column, name)).copied();
                    if let Some(row) = row {
                        located_by_id.insert((script_id, line, column, class), row);
                    }
                    row
                }
            },
        };
        let distance = analysis.distance[v as usize];
        let i = match existing {
            Some(i) => {
                let row = &mut rows[i];
                row.count += 1;
                row.self_size += self_size;
                row.distance = row.distance.min(distance);
                row.nodes.push(v);
                i
            }
            None => {
                let name = class_name(v).to_string();
                let i = rows.len();
                let public = match location {
                    None => {
                        row_of_class[class as usize] = i as u32;
                        format!(",{name}")
                    }
                    Some((script_id, line, column)) => {
                        located.insert((script_id, line, column, name.clone()), i);
                        located_by_id.insert((script_id, line, column, class), i);
                        format!("{script_id},{line},{column},{name}")
                    }
                };
                rows.push(ClassAggregate {
                    name,
                    key: public,
                    count: 1,
                    self_size,
                    retained_size: 0,
                    distance,
                    nodes: vec![v],
                });
                i
            }
        };
        key_index_of_node[v as usize] = i as u32;
    }
    // Retained sizes: walk the dominator tree; a class is "open" inside the subtree of its
    // outermost counted object, and objects of an open class are not counted again.
    let dominator_children = super::tree::DominatorChildren::new(&analysis.dominator, graph.root());
    let root = graph.root();
    let row_count = rows.len();
    // The root opens nothing (it has no row when its size is zero, and it is counted alone
    // otherwise), so the subtrees of its children are independent: walk them in parallel.
    let walk = |start: u32| -> Vec<u64> {
        let mut sums = vec![0u64; row_count];
        let mut open = vec![false; row_count];
        let mut stack: Vec<(u32, bool)> = vec![(start, false)];
        while let Some((v, closing)) = stack.pop() {
            let row = key_index_of_node[v as usize];
            if closing {
                open[row as usize] = false;
                continue;
            }
            let children = dominator_children.get(v);
            if row != u32::MAX && !open[row as usize] {
                sums[row as usize] += analysis.retained[v as usize];
                if !children.is_empty() {
                    open[row as usize] = true;
                    stack.push((v, true));
                }
            }
            stack.extend(children.iter().map(|&c| (c, false)));
        }
        sums
    };
    let root_row = key_index_of_node[root as usize];
    let sums = if root_row != u32::MAX {
        // A counted root retains everything; nothing below it counts for its own class.
        walk(root)
    } else {
        use rayon::prelude::*;
        dominator_children
            .get(root)
            .par_iter()
            .with_min_len(64)
            .map(|&c| walk(c))
            .reduce(|| vec![0u64; row_count], |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect())
    };
    for (row, sum) in rows.iter_mut().zip(sums) {
        row.retained_size = sum;
    }
    // Public-key collisions: later first-seen rows replace earlier ones.
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
