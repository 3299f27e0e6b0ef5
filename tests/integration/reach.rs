//! Parallel reachability against a sequential breadth-first walk, on random graphs, with
//! work handed between tasks at every stack length.

use std::collections::VecDeque;

use heapscope::analysis::reach::reachable_with;

use crate::dominators::{Rng, WEAK, load, random_graph, to_json};

#[test]
fn parallel_reachability_matches_a_sequential_walk() {
    let mut rng = Rng(0x005E_ED0F_4EAC);
    for round in 0..300 {
        let g = random_graph(&mut rng);
        let graph = load(&to_json(&g));
        let n = g.types.len();
        let seeds: Vec<usize> = (0..1 + rng.below(3)).map(|_| rng.below(n)).collect();
        let mut expected = vec![false; n];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &s in &seeds {
            if !expected[s] {
                expected[s] = true;
                queue.push_back(s);
            }
        }
        while let Some(v) = queue.pop_front() {
            for &(ty, t) in &g.edges[v] {
                if ty != WEAK && !expected[t] {
                    expected[t] = true;
                    queue.push_back(t);
                }
            }
        }
        let weak = graph.meta.edge_type_index("weak");
        for split_at in [1, 2, 5, 4096] {
            let seeds32 = seeds.iter().map(|&s| s as u32).collect();
            let got = reachable_with(&graph, seeds32, &|e| Some(graph.edge_type(e)) != weak, split_at);
            let got: Vec<bool> = (0..n).map(|v| got.get(v)).collect();
            assert_eq!(got, expected, "round {round}, split at {split_at}, seeds {seeds:?}");
        }
    }
}
