//! Benchmark: the app's frame times with a big snapshot open.
//!
//! ```sh
//! cargo bench --bench gui_frames -- /tmp/large/large.heapsnapshot
//! ```
//!
//! The real app runs headlessly (egui_kittest, no GPU): each frame is the app's whole `logic`
//! and `ui` pass plus egui's layout, without rasterising. Four interactions are replayed, each
//! frame timed: scrolling the Summary with the arrow keys, sorting by retained size, walking and
//! expanding the dominator tree, and opening the retainers of the deepest reachable object.
//! The output gives the median and the worst frame of each.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapscope::app::{HeapscopeApp, View};

fn report(name: &str, mut frames: Vec<Duration>) {
    frames.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = frames.get(frames.len() / 2).copied().unwrap_or_default();
    let worst = frames.last().copied().unwrap_or_default();
    println!("{name:<34} {:>5} frames  median {:>7.2} ms  worst {:>7.2} ms", frames.len(), ms(median), ms(worst));
}

fn timed(harness: &mut Harness<'_, HeapscopeApp>, frames: &mut Vec<Duration>) {
    let started = Instant::now();
    harness.step();
    frames.push(started.elapsed());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(file) = args.first().map(std::path::PathBuf::from) else {
        eprintln!("usage: cargo bench --bench gui_frames -- FILE.heapsnapshot");
        std::process::exit(2);
    };
    let started = Instant::now();
    let mut harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |cc| HeapscopeApp::new(&cc.egui_ctx, vec![file]));
    let mut loading = Vec::new();
    while harness.state().documents().is_empty() {
        timed(&mut harness, &mut loading);
        assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
        std::thread::sleep(Duration::from_millis(5));
    }
    let doc = &harness.state().documents()[0];
    println!(
        "{}: {} nodes, loaded and analysed in {:.2} s (wall {:.2} s)",
        doc.loaded.source.display_name(),
        doc.loaded.graph.node_count(),
        doc.loaded.took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    report("while loading", loading);
    harness.run_steps(3);

    let mut frames = Vec::new();
    for _ in 0..300 {
        harness.key_press(egui::Key::ArrowDown);
        timed(&mut harness, &mut frames);
    }
    report("scroll the Summary (arrow keys)", frames);

    let mut frames = Vec::new();
    for _ in 0..10 {
        harness.get_by_label_contains("Retained size").click();
        timed(&mut harness, &mut frames);
        harness.get_by_label_contains("Count").click();
        timed(&mut harness, &mut frames);
    }
    report("sort by retained size / count", frames);

    harness.state_mut().set_view(View::Dominators);
    let mut frames = Vec::new();
    timed(&mut harness, &mut frames);
    for i in 0..200 {
        harness.key_press(if i % 4 == 3 { egui::Key::Enter } else { egui::Key::ArrowDown });
        timed(&mut harness, &mut frames);
    }
    report("dominator tree (walk and expand)", frames);

    // The deepest object with a user-root distance.
    let node = {
        let analysis = &harness.state().documents()[0].loaded.analysis;
        (0..analysis.distance.len() as u32)
            .filter(|&v| (0..100_000_000).contains(&analysis.distance[v as usize]))
            .max_by_key(|&v| analysis.distance[v as usize])
            .expect("a reachable object")
    };
    let depth = harness.state().documents()[0].loaded.analysis.distance[node as usize];
    harness.state_mut().select_object(0, node);
    let mut frames = Vec::new();
    let waiting = Instant::now();
    // The search starts when the retainers pane is next drawn.
    for _ in 0..2 {
        timed(&mut harness, &mut frames);
    }
    while harness.state().is_busy() {
        timed(&mut harness, &mut frames);
        std::thread::sleep(Duration::from_millis(1));
    }
    let searched = waiting.elapsed();
    for _ in 0..30 {
        timed(&mut harness, &mut frames);
    }
    report(&format!("retainers at distance {depth}"), frames);
    println!("(the path search itself ran in the background for {:.0} ms)", searched.as_secs_f64() * 1e3);
}
