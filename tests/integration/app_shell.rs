//! The desktop app driven headlessly through its accessibility tree.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapscope::app::HeapscopeApp;

/// Steps the app until `done` holds, counting the frames drawn meanwhile.
fn step_until(harness: &mut Harness<'_, HeapscopeApp>, done: impl Fn(&HeapscopeApp) -> bool) -> usize {
    let started = Instant::now();
    let mut frames = 0;
    while !done(harness.state()) {
        harness.step();
        frames += 1;
        assert!(started.elapsed() < Duration::from_secs(120), "the app did not finish loading");
        std::thread::sleep(Duration::from_millis(2));
    }
    harness.run_steps(2);
    frames
}

#[test]
fn bundled_sample_opens_and_shows_its_counts() {
    let mut harness =
        Harness::builder().with_size([1200.0, 800.0]).build_eframe(|cc| HeapscopeApp::new(&cc.egui_ctx, Vec::new()));
    step_until(&mut harness, |app| !app.documents().is_empty());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    harness.get_by_label_contains("bundled sample");
    // The Summary opens first, sorted by retained size: the leaking entries' class is there
    // with DevTools' count (4010 entries, and one more object of the same shape).
    harness.get_by_label("{data}");
    harness.get_by_label("4011");
    // The Statistics tab shows the counts, counted independently from the sample's JSON.
    harness.get_by_label("Statistics").click();
    harness.run_steps(2);
    harness.get_by_label("65,094");
    harness.get_by_label("247,879");
}

#[test]
fn a_broken_file_shows_an_error_and_the_app_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.heapsnapshot");
    std::fs::write(&bad, b"{\"snapshot\":{\"meta\":").expect("write");
    let mut harness = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(move |cc| HeapscopeApp::new(&cc.egui_ctx, vec![bad]));
    step_until(&mut harness, |app| !app.errors().is_empty());
    let message = harness.state().errors()[0].clone();
    assert!(message.contains("broken.heapsnapshot") && message.contains("truncated"), "{message}");
    harness.get_by_label(&message);
    harness.get_by_label("Open...");
}
