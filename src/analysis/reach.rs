//! Parallel reachability: which nodes a set of seeds reaches over the edges a filter lets
//! through. Tasks walk depth-first with stacks of their own, mark nodes in a shared atomic
//! bit array, and hand half of a long stack to an idle thread; no level-by-level barrier, so
//! long chains cost no more than they do sequentially.

use super::bits::{BitVec, SharedBits};
use super::prefetch::prefetch;
use crate::graph::HeapGraph;

/// How far down its stack a walk fetches a node's edges ahead of time.
const WALK_AHEAD: usize = 4;

/// A task's stack length above which half of it is handed to another task.
pub const SPLIT_AT: usize = 4096;

/// Marks every node reachable from `seeds` over the edges `follow(edge)` accepts (the seeds
/// themselves included).
pub fn reachable<F: Fn(u32) -> bool + Sync + ?Sized>(graph: &HeapGraph, seeds: Vec<u32>, follow: &F) -> BitVec {
    reachable_with(graph, seeds, follow, SPLIT_AT)
}

/// [`reachable`], handing half of a task's stack to another task when it grows beyond
/// `split_at` nodes.
pub fn reachable_with<F: Fn(u32) -> bool + Sync + ?Sized>(
    graph: &HeapGraph,
    seeds: Vec<u32>,
    follow: &F,
    split_at: usize,
) -> BitVec {
    let n = graph.node_count();
    let marks = SharedBits::zeros(n);
    let mark = |v: u32| marks.set(v as usize);
    let seeds: Vec<u32> = seeds.into_iter().filter(|&v| (v as usize) < n && mark(v)).collect();
    rayon::scope(|scope| walk(scope, graph, seeds, follow, &mark, split_at.max(1)));
    marks.into_bit_vec(n)
}

/// Walks from the (already marked) nodes of `stack`, splitting off work while it is long.
/// Generic over the filter and the marker, so both are inlined into the edge loop.
fn walk<'s, F, M>(
    scope: &rayon::Scope<'s>,
    graph: &'s HeapGraph,
    mut stack: Vec<u32>,
    follow: &'s F,
    mark: &'s M,
    split_at: usize,
) where
    F: Fn(u32) -> bool + Sync + ?Sized,
    M: Fn(u32) -> bool + Sync,
{
    while let Some(v) = stack.pop() {
        // The entries a few places down the stack are popped soon (most nodes add nothing
        // new): their edge ranges were fetched when they were pushed; fetch their edges now.
        if let Some(&ahead) = stack.len().checked_sub(WALK_AHEAD).and_then(|i| stack.get(i)) {
            let first = graph.first_edge[ahead as usize] as usize;
            prefetch(&graph.edge_to, first);
            prefetch(&graph.edge_type, first);
        }
        for e in graph.edges_of(v) {
            if follow(e) {
                let t = graph.edge_target(e);
                if mark(t) {
                    // Popped soon (last in, first out): fetch its edge range now.
                    prefetch(&graph.first_edge, t as usize);
                    stack.push(t);
                }
            }
        }
        if stack.len() > split_at {
            let half = stack.split_off(stack.len() / 2);
            scope.spawn(move |scope| walk(scope, graph, half, follow, mark, split_at));
        }
    }
}
