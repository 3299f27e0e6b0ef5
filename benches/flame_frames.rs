//! Benchmark: frame times of the flame graph of a large tracemalloc dump.
//!
//! ```sh
//! python3 sample-snapshots/gen-tracemalloc-large.py /tmp/tracemalloc-large
//! cargo bench --bench flame_frames -- /tmp/tracemalloc-large/large.old.tracemalloc \
//!     /tmp/tracemalloc-large/large.new.tracemalloc
//! ```
//!
//! The real app runs headlessly (egui_kittest, no GPU: each frame is the app's logic and egui's
//! layout and painting commands, without rasterising) with the two dumps open, the newer one
//! shown as a differential flame graph against the older. Timed: frames while the pointer
//! sweeps across the graph (hover details), while it zooms in and out around the pointer, and
//! after clicking frames to focus them. The output gives the median and the worst frame.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapscope::app::HeapscopeApp;

fn report(name: &str, mut frames: Vec<Duration>) {
    frames.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = frames.get(frames.len() / 2).copied().unwrap_or_default();
    let worst = frames.last().copied().unwrap_or_default();
    println!("{name:<30} {:>5} frames  median {:>7.2} ms  worst {:>7.2} ms", frames.len(), ms(median), ms(worst));
}

fn timed(harness: &mut Harness<'_, HeapscopeApp>, frames: &mut Vec<Duration>) {
    let started = Instant::now();
    harness.step();
    frames.push(started.elapsed());
}

fn main() {
    let files: Vec<std::path::PathBuf> =
        std::env::args().skip(1).filter(|a| a != "--bench").map(std::path::PathBuf::from).collect();
    if files.len() != 2 {
        eprintln!("usage: cargo bench --bench flame_frames -- OLDER.tracemalloc NEWER.tracemalloc");
        std::process::exit(2);
    }
    let started = Instant::now();
    let mut harness =
        Harness::builder().with_size([1400.0, 1000.0]).build_eframe(move |cc| HeapscopeApp::new(&cc.egui_ctx, files));
    while harness.state().dumps().len() < 2 || harness.state().is_busy() {
        harness.step();
        assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
        std::thread::sleep(Duration::from_millis(5));
    }
    let dump = &harness.state().dumps()[1];
    println!(
        "{}: {} traces, {} call-tree nodes; both dumps open after {:.2} s",
        dump.loaded.source.display_name(),
        dump.loaded.traces.trace_count(),
        dump.loaded.tree.node_count(),
        started.elapsed().as_secs_f64()
    );
    harness.get_by_label("Flame graph").click();
    let mut first = Vec::new();
    timed(&mut harness, &mut first);
    report("first frame (differential)", first);
    harness.run_steps(2);
    println!("frames drawn: {}", harness.state().dumps()[1].flame.drawn_count());

    let (left, right, top) = (330.0f32, 1380.0f32, 160.0f32);
    let mut frames = Vec::new();
    for i in 0..200 {
        let x = left + (right - left) * (i as f32 / 199.0);
        let y = top + (i % 20) as f32 * 18.0;
        harness.event(egui::Event::PointerMoved(egui::pos2(x, y)));
        timed(&mut harness, &mut frames);
    }
    report("hover sweep", frames);

    let mut frames = Vec::new();
    harness.event(egui::Event::PointerMoved(egui::pos2(700.0, top + 40.0)));
    for i in 0..120 {
        let factor = if i < 60 { 1.15 } else { 1.0 / 1.15 };
        harness.event(egui::Event::Zoom(factor));
        timed(&mut harness, &mut frames);
    }
    report("zoom in and out", frames);

    let mut frames = Vec::new();
    for i in 0..20 {
        let pos = egui::pos2(left + 40.0 + (i % 10) as f32 * 90.0, top + (i % 4) as f32 * 18.0);
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            timed(&mut harness, &mut frames);
        }
        if i % 5 == 4 {
            harness.get_by_label("Reset zoom").click();
            timed(&mut harness, &mut frames);
        }
    }
    report("click to focus, reset", frames);
}
