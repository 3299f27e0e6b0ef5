//! The desktop app driven headlessly through its accessibility tree: open samples, find the
//! leak in the Summary, follow an object's retainers, ignore a retainer, export the path,
//! compare two snapshots, run the Leaks view; and the window keeps drawing while a load waits.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapscope::app::{HeapscopeApp, View};
use heapscope::compare::v8::{Side, compare};
use heapscope::export::paths::PathDocument;
use heapscope::format::human_size;

use crate::common::sample;

/// Steps the app until `done` holds; returns the number of frames drawn meanwhile.
fn step_until(
    harness: &mut Harness<'_, HeapscopeApp>,
    what: &str,
    done: impl Fn(&Harness<'_, HeapscopeApp>) -> bool,
) -> usize {
    let started = Instant::now();
    let mut frames = 0;
    while !done(harness) {
        harness.step();
        frames += 1;
        if started.elapsed() > Duration::from_secs(120) {
            let app = harness.state();
            let refused: Vec<&str> = app.memory_refused().collect();
            panic!(
                "timed out waiting for {what}: {} documents, busy {}, errors {:?}, refused for memory {refused:?}",
                app.documents().len(),
                app.is_busy(),
                app.errors(),
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    harness.run_steps(2);
    frames
}

fn app(files: Vec<PathBuf>) -> Harness<'static, HeapscopeApp> {
    Harness::builder().with_size([1400.0, 1000.0]).build_eframe(move |cc| HeapscopeApp::new(&cc.egui_ctx, files))
}

#[test]
fn bundled_sample_opens_and_shows_its_counts() {
    let mut harness =
        Harness::builder().with_size([1400.0, 1000.0]).build_eframe(|cc| HeapscopeApp::new(&cc.egui_ctx, Vec::new()));
    step_until(&mut harness, "the bundled sample", |h| !h.state().documents().is_empty());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    harness.get_by_label("request-history.final.heapsnapshot.gz (bundled sample)");
    // The Summary opens first, sorted by retained size: the leaking entries' class is there
    // with DevTools' count (4010 entries, and one more object of the same shape).
    harness.get_by_label("{data}");
    harness.get_by_label("4,011");
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
    let mut harness = app(vec![bad]);
    step_until(&mut harness, "the error", |h| !h.state().errors().is_empty());
    let message = harness.state().errors()[0].clone();
    assert!(message.contains("broken.heapsnapshot") && message.contains("truncated"), "{message}");
    harness.get_by_label(&message);
    harness.get_by_label("Open...");
}

/// The whole leak hunt on the request-history samples, through the window.
#[test]
fn leak_hunt_through_every_view() {
    let files: Vec<PathBuf> =
        ["before", "after", "final"].iter().map(|n| sample(&format!("request-history.{n}.heapsnapshot.gz"))).collect();
    let mut harness = app(files);
    step_until(&mut harness, "three loads", |h| h.state().documents().len() == 3 && !h.state().is_busy());
    let names: Vec<String> = harness.state().documents().iter().map(|d| d.loaded.source.display_name()).collect();
    assert_eq!(
        names,
        [
            "request-history.before.heapsnapshot.gz",
            "request-history.after.heapsnapshot.gz",
            "request-history.final.heapsnapshot.gz"
        ]
    );

    // The final snapshot's Summary: the leaking class with its retained size.
    // The open snapshots come first in the side panel (the samples below it have the same names).
    harness.get_all_by_label("request-history.final.heapsnapshot.gz").next().expect("the open snapshot").click();
    harness.run_steps(2);
    assert_eq!(harness.state().selected(), 2);
    let (retained, largest_id) = {
        let doc = &harness.state().documents()[2];
        let row = doc.loaded.summary.iter().find(|r| r.name == "{data}").expect("the {data} class");
        let largest = row
            .nodes
            .iter()
            .copied()
            .max_by_key(|&v| (doc.loaded.analysis.retained.get(v as usize), std::cmp::Reverse(v)))
            .expect("objects");
        (row.retained_size, doc.loaded.graph.node_id(largest))
    };
    harness.get_by_label("{data}");
    assert!(
        harness.query_all_by_label_contains(&human_size(retained)).next().is_some(),
        "the retained size {} is shown",
        human_size(retained)
    );

    // Expand the class and select its largest object.
    assert!(harness.state_mut().reveal_class("{data}"));
    harness.run_steps(2);
    harness.get_by_label_contains(&format!("@{largest_id}")).click();
    step_until(&mut harness, "the retainer paths", |h| {
        h.query_all_by_label_contains("property requestHistory -> Array").next().is_some()
    });
    harness.get_by_label_contains(&format!("Retainers of {{data}} @{largest_id}"));

    // The k shortest paths: the second runs through the array's backing store. Ignore that
    // retainer: the paths are found again around it.
    harness.get_by_label("Shortest paths").click();
    step_until(&mut harness, "three paths", |h| h.query_all_by_label_contains("Path 3 (").next().is_some());
    let store = {
        let doc = &harness.state().documents()[2];
        let result = doc.retainers.result().expect("the paths");
        let (graph, analysis) = (&doc.loaded.graph, &doc.loaded.analysis);
        result.shortest[1]
            .nodes
            .iter()
            .copied()
            .find(|&n| analysis.display_name(graph, n) == "(object elements)")
            .expect("the second path runs through the store")
    };
    let store_id = harness.state().documents()[2].loaded.graph.node_id(store);
    let ignore_store = format!("ignore @{store_id}");
    harness.get_all_by_label(&ignore_store).next().expect("the store's ignore button").scroll_to_me();
    harness.run_steps(3);
    harness.get_all_by_label(&ignore_store).next().expect("the store's ignore button").click();
    step_until(&mut harness, "the paths around the ignored retainer", |h| {
        h.query_all_by_label_contains("restore (object elements)").next().is_some()
            && h.query_all_by_label_contains("finding paths").next().is_none()
    });
    {
        let result = harness.state().documents()[2].retainers.result().expect("new paths");
        assert_eq!(result.shortest.len(), 3, "there are still three paths");
        assert!(result.shortest.iter().all(|p| !p.nodes.contains(&store)), "no path runs through the ignored store");
    }
    assert!(
        harness.query_all_by_label_contains("-> Array @").next().is_some(),
        "the paths still run through the array"
    );

    // Export the paths as JSON and read them back.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("path.json");
    harness.state_mut().documents_mut()[2].retainers.export_to = Some(out.clone());
    harness.get_by_label("Export JSON").click();
    harness.run_steps(2);
    let doc: PathDocument = serde_json::from_str(&std::fs::read_to_string(&out).expect("the export")).expect("JSON");
    assert_eq!(doc.paths.len(), 3);
    for path in &doc.paths {
        assert_eq!(path.target_id, largest_id);
        assert!(path.steps.iter().all(|s| s.node_id != store_id), "the ignored retainer is not on an exported path");
    }
    harness.get_by_label_contains("exported to");

    // Comparison against the first snapshot: the delta row of the leaking class.
    let expected_delta = {
        let docs = harness.state().documents();
        let (b, c) = (&docs[0].loaded, &docs[2].loaded);
        let diff =
            compare(Side { graph: &b.graph, analysis: &b.analysis }, Side { graph: &c.graph, analysis: &c.analysis });
        diff.classes.iter().find(|r| r.name == "{data}").expect("{data} changed").count_delta()
    };
    harness.get_by_label("Comparison").click();
    step_until(&mut harness, "the comparison", |h| h.query_all_by_label_contains("classes changed").next().is_some());
    harness.get_by_label("{data}");
    // The records and their timestamps grew alike: the delta shows on both rows.
    let delta = heapscope::format::signed_count(expected_delta);
    assert!(harness.query_all_by_label(&delta).next().is_some(), "# Delta {delta}");
    harness.get_by_label("Side by side").click();
    harness.run_steps(3);
    harness.get_by_label("{data}");

    // Leaks: baseline, target and final default to the three snapshots in order.
    harness.get_by_label("Leaks").click();
    harness.run_steps(2);
    harness.get_by_label("Find leaks").click();
    step_until(&mut harness, "the leak search", |h| h.query_all_by_label("2,000").next().is_some());
    harness.get_by_label("{data}");
    harness.get_by_label_contains("global: requestHistory -> Array");
    assert_eq!(harness.state().view(), View::Leaks);
}

/// A load blocked on a pipe that nobody writes yet: the window keeps drawing, the status bar
/// shows the job; once the snapshot arrives, it opens.
#[cfg(unix)]
#[test]
fn the_window_keeps_drawing_while_a_load_waits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("slow.heapsnapshot");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success());
    let mut harness = app(vec![fifo.clone()]);
    let mut frames = 0;
    for _ in 0..40 {
        harness.step();
        frames += 1;
    }
    assert_eq!(frames, 40);
    assert!(harness.state().is_busy(), "the load is still waiting for its bytes");
    assert!(harness.state().documents().is_empty());
    harness.get_by_label_contains("loading slow.heapsnapshot");
    harness.get_by_label("Cancel");
    let bytes = std::fs::read(sample("map-cache.before.heapsnapshot.gz")).expect("read the sample");
    let writer = std::thread::spawn(move || std::fs::write(&fifo, bytes));
    let more = step_until(&mut harness, "the piped load", |h| !h.state().documents().is_empty());
    writer.join().expect("the writer").expect("write to the pipe");
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert!(frames + more > 40);
    // The open snapshot, and below it the recent file.
    assert_eq!(harness.get_all_by_label("slow.heapsnapshot").count(), 2);
}

/// The app with the `before` and `final` request-history samples open and loaded.
fn before_and_final() -> Harness<'static, HeapscopeApp> {
    let files: Vec<PathBuf> =
        ["before", "final"].iter().map(|n| sample(&format!("request-history.{n}.heapsnapshot.gz"))).collect();
    let mut harness = app(files);
    step_until(&mut harness, "two loads", |h| h.state().documents().len() == 2 && !h.state().is_busy());
    harness
}

/// The Summary's "Show" menu: only the objects allocated after another snapshot.
#[test]
fn summary_shows_objects_allocated_after_another_snapshot() {
    let mut harness = before_and_final();
    assert_eq!(harness.state().selected(), 1, "the last snapshot opened is shown");
    let expected = {
        let docs = harness.state().documents();
        let (before, last) = (&docs[0].loaded, &docs[1].loaded);
        let new = heapscope::compare::filters::objects_allocated_between(&before.graph, &last.graph);
        new.iter()
            .filter(|&&v| {
                last.analysis.class_name(&last.graph, v) == "{data}" && last.analysis.self_sizes.get(v as usize) > 0
            })
            .count()
    };
    assert_eq!(expected, 4000 + 1, "4000 new records, and the literal's boilerplate");
    harness.get_by_role(egui::accesskit::Role::ComboBox).click();
    harness.run_steps(2);
    harness.get_by_label("Allocated after request-history.before.heapsnapshot.gz").click();
    let count = heapscope::format::group_digits(expected as u64);
    step_until(&mut harness, "the filtered summary", |h| h.query_all_by_label(&count).next().is_some());
    harness.get_by_label("{data}");
    // Every class row now counts new objects only: `global` existed before.
    assert!(harness.query_all_by_label("global").next().is_none());
}

/// Python's expected `compare_to(after, 'lineno')` rows for the committed dumps.
fn python_lineno_comparison() -> Vec<serde_json::Value> {
    let raw = std::fs::read(sample("request-history.final-vs-after.expected.json.gz")).expect("read");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text).expect("gunzip");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    doc["compare"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["key"] == "lineno" && c["cumulative"] == false && c["filters"] == serde_json::json!([]))
        })
        .and_then(|c| c["rows"].as_array().cloned())
        .expect("the plain lineno comparison")
}

/// tracemalloc dumps in the window: Python's comparison, the call tree, the flame graph, plots.
#[test]
fn tracemalloc_dumps_in_the_window() {
    let files: Vec<PathBuf> =
        ["before", "after", "final"].iter().map(|n| sample(&format!("request-history.{n}.tracemalloc.gz"))).collect();
    let mut harness = app(files);
    step_until(&mut harness, "three dumps", |h| h.state().dumps().len() == 3 && !h.state().is_busy());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert_eq!(harness.state().selected_dump(), Some(2), "the newest dump is shown");

    // compare_to against the dump opened before it: the leaking line with Python's numbers.
    harness.get_by_label("Compare to").click();
    harness.run_steps(2);
    let python = python_lineno_comparison();
    let top = &python[0];
    assert_eq!(top[0][0][0], "/srv/app/server.py");
    harness.get_by_label("/srv/app/server.py:11");
    let count = heapscope::format::group_digits(top[3].as_u64().expect("count"));
    let count_diff = heapscope::format::signed_count(top[4].as_i64().expect("count diff"));
    assert!(harness.query_all_by_label(&count).next().is_some(), "count {count}");
    assert!(harness.query_all_by_label(&count_diff).next().is_some(), "count diff {count_diff}");
    // Selecting the row shows its traceback, as Python prints it.
    harness.get_by_label("/srv/app/server.py:11").click();
    harness.run_steps(2);
    harness.get_by_label("  File \"/srv/app/server.py\", line 11");

    // The call tree, expanded down to the largest node of the leaking line.
    let node = {
        let dump = &harness.state().dumps()[2];
        let (tree, table) = (&dump.loaded.tree, &dump.loaded.traces.table);
        (1..tree.node_count() as u32)
            .filter(|&n| {
                let f = tree.frame[n as usize];
                table.frame_file_text(f) == "/srv/app/server.py" && table.frame_line(f) == 11
            })
            .max_by_key(|&n| tree.total_size[n as usize])
            .expect("a node of server.py:11")
    };
    harness.get_by_label("Call tree").click();
    harness.state_mut().dumps_mut()[2].reveal(node);
    harness.run_steps(3);
    assert!(harness.query_all_by_label("/srv/app/server.py:11").next().is_some(), "the call tree reaches the line");

    // The flame graph: hover the leaking frame for its details, click it to focus it.
    harness.get_by_label("Flame graph").click();
    step_until(&mut harness, "the differential colours", |h| h.query_all_by_label("grew").next().is_some());
    let rect = harness.state().dumps()[2].flame.rect_of(node).expect("the frame is drawn");
    harness.event(egui::Event::PointerMoved(rect.center()));
    harness.run_steps(2);
    harness.get_by_label_contains("server.py:11: total ");
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: rect.center(),
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    harness.run_steps(2);
    assert_eq!(harness.state().dumps()[2].flame.focused, Some(node));
    harness.get_by_label("  File \"/srv/app/server.py\", line 11");
    assert!(harness.query_all_by_label("grew").next().is_some(), "differential colours against the older dump");

    // Plots: the top sites, and the top sites across the three dumps.
    harness.get_by_label("Plots").click();
    harness.run_steps(3);
    harness.get_by_label("Top allocation sites");
    harness.get_by_label("Top sites across 3 dumps (in the order opened)");
}

/// The V8 Statistics view has its charts.
#[test]
fn v8_statistics_has_charts() {
    let mut harness = app(vec![sample("map-cache.final.heapsnapshot.gz")]);
    step_until(&mut harness, "the load", |h| !h.state().documents().is_empty());
    harness.get_by_label("Statistics").click();
    harness.run_steps(3);
    harness.get_by_label("Composition");
    harness.get_by_label("Top classes by retained size");
}

/// A failed load leaves the open snapshots as they were; the open files, the comparison's base and
/// the ignored retainers survive a restart.
#[test]
fn state_survives_a_failed_load_and_a_restart() {
    let mut harness = before_and_final();
    // The first snapshot becomes the comparison's base; the second ignores its global object.
    harness.get_all_by_label("request-history.before.heapsnapshot.gz").next().expect("the snapshot").click();
    harness.run_steps(2);
    harness.get_by_label("Use as comparison base").click();
    harness.run_steps(2);
    assert_eq!(harness.state().comparison_base(), Some(0));
    let global = {
        let doc = &harness.state().documents()[1];
        let analysis = &doc.loaded.analysis;
        (0..doc.loaded.graph.node_count() as u32)
            .find(|&v| analysis.class_name(&doc.loaded.graph, v) == "global")
            .expect("global")
    };
    harness.state_mut().documents_mut()[1].retainers.ignore.insert(global);

    // A broken file fails to load; nothing else changes.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.heapsnapshot");
    std::fs::write(&bad, b"{\"snapshot\":{\"meta\":").expect("write");
    let ctx = harness.ctx.clone();
    harness.state_mut().open(&ctx, heapscope::app::Source::File(bad));
    step_until(&mut harness, "the failed load", |h| !h.state().errors().is_empty());
    assert_eq!(harness.state().documents().len(), 2);
    assert_eq!(harness.state().comparison_base(), Some(0));
    assert_eq!(harness.state().documents()[1].retainers.ignore.sorted(), vec![global]);

    // Restart with the saved state and no files: the same snapshots, base and ignored retainer.
    let state = harness.state().saved_state();
    let mut restarted = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |cc| HeapscopeApp::restored_from(&cc.egui_ctx, Vec::new(), Some(&state)));
    step_until(&mut restarted, "the reopened files", |h| h.state().documents().len() == 2 && !h.state().is_busy());
    let names: Vec<String> = restarted.state().documents().iter().map(|d| d.loaded.source.display_name()).collect();
    assert_eq!(names, ["request-history.before.heapsnapshot.gz", "request-history.final.heapsnapshot.gz"]);
    assert_eq!(restarted.state().comparison_base(), Some(0));
    assert_eq!(restarted.state().documents()[1].retainers.ignore.sorted(), vec![global]);
    assert!(restarted.state().errors().is_empty(), "the broken file was never open, so it is not reopened");
}

/// A snapshot too big for the memory guard: the window says so and offers "Load anyway", which
/// skips the guard (this file then fails on its lying counts).
#[test]
fn memory_guard_asks_before_loading_anyway() {
    let huge = crate::common::repo_root().join("tests/data/hostile/v8-huge-declared-counts.heapsnapshot");
    let mut harness = app(vec![huge]);
    step_until(&mut harness, "the refusal", |h| h.state().memory_refused().next().is_some());
    let message = harness.state().memory_refused().next().unwrap_or_default().to_string();
    assert!(message.contains("needs about 14.6 TiB"), "{message}");
    harness.get_by_label_contains("needs about 14.6 TiB");
    harness.get_by_label("Load anyway").click();
    step_until(&mut harness, "the unchecked load", |h| !h.state().errors().is_empty());
    assert!(harness.state().memory_refused().next().is_none());
    let error = harness.state().errors()[0].clone();
    assert!(error.contains("the header says 100000000000 nodes, but the nodes array holds 1"), "{error}");
}

/// Comparison and Leaks tables work from the keyboard: arrows move, Enter expands or selects.
#[test]
fn comparison_and_leaks_tables_by_keyboard() {
    let files: Vec<PathBuf> =
        ["before", "after", "final"].iter().map(|n| sample(&format!("request-history.{n}.heapsnapshot.gz"))).collect();
    let mut harness = app(files);
    step_until(&mut harness, "three loads", |h| h.state().documents().len() == 3 && !h.state().is_busy());
    harness.get_by_label("Comparison").click();
    step_until(&mut harness, "the comparison", |h| h.query_all_by_label_contains("classes changed").next().is_some());
    // Down to the first class, Enter expands it, down again selects its largest new object.
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(2);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    harness.key_press(egui::Key::ArrowDown);
    step_until(&mut harness, "the new object's retainers", |h| {
        h.query_all_by_label_contains("Retainers of ").next().is_some()
    });
    assert!(harness.state().documents()[2].retainers.node.is_some());

    harness.get_by_label("Leaks").click();
    harness.run_steps(2);
    harness.get_by_label("Find leaks").click();
    step_until(&mut harness, "the leak search", |h| h.query_all_by_label("2,000").next().is_some());
    harness.state_mut().documents_mut()[2].retainers.node = None;
    harness.key_press(egui::Key::ArrowDown);
    step_until(&mut harness, "the cluster's retainers", |h| {
        h.query_all_by_label_contains("Retainers of {data}").next().is_some()
    });
}

/// Steps until the app stops asking for frames; fails if it never does (an app that repaints
/// with nothing changing keeps a core busy while idle and slows its own background jobs).
fn settle(harness: &mut Harness<'_, HeapscopeApp>, what: &str) {
    if let Err(err) = harness.try_run() {
        panic!("{what}: the app keeps repainting with nothing to show: {err}");
    }
}

#[test]
fn the_app_rests_in_every_view() {
    let files: Vec<PathBuf> =
        ["before", "after", "final"].iter().map(|n| sample(&format!("request-history.{n}.heapsnapshot.gz"))).collect();
    let mut harness = app(files);
    step_until(&mut harness, "three snapshots", |h| h.state().documents().len() == 3 && !h.state().is_busy());
    settle(&mut harness, "Summary");
    for view in ["Comparison", "Leaks", "Dominators", "Statistics", "Summary"] {
        harness.get_by_label(view).click();
        // The view starts its background work (if any) when it is first drawn.
        harness.run_steps(2);
        step_until(&mut harness, view, |h| !h.state().is_busy());
        settle(&mut harness, view);
    }
    harness.get_by_label("Leaks").click();
    harness.run_steps(2);
    harness.get_by_label("Find leaks").click();
    harness.run_steps(2);
    step_until(&mut harness, "the leak search", |h| !h.state().is_busy());
    settle(&mut harness, "Leaks with results");

    let dumps: Vec<PathBuf> =
        ["before", "after"].iter().map(|n| sample(&format!("request-history.{n}.tracemalloc.gz"))).collect();
    let mut harness = app(dumps);
    step_until(&mut harness, "two dumps", |h| h.state().dumps().len() == 2 && !h.state().is_busy());
    settle(&mut harness, "a dump");
    for view in ["Compare to", "Call tree", "Flame graph", "Plots"] {
        harness.get_by_label(view).click();
        // The view starts its background work (if any) when it is first drawn.
        harness.run_steps(2);
        step_until(&mut harness, view, |h| !h.state().is_busy());
        settle(&mut harness, view);
    }
}

/// In a small window the name column gives way: the Summary's and the dominator tree's numbers
/// stay in view, even after the window was larger (column widths are remembered); the ten
/// columns of the Comparison scroll sideways.
#[test]
fn numbers_stay_in_view_in_a_small_window() {
    let mut harness = before_and_final();
    let width = 900.0;
    // Each view once at the large size, so its tables remember wide name columns.
    for view in ["Comparison", "Dominators", "Summary"] {
        harness.get_by_label(view).click();
        harness.run_steps(2);
        step_until(&mut harness, view, |h| !h.state().is_busy());
    }
    harness.set_size(egui::vec2(width, 600.0));
    harness.run_steps(3);
    let last_column_end = |harness: &Harness<'_, HeapscopeApp>, view: &str, title: &str| {
        let header = harness.query_all_by_label_contains(title).next().map(|n| n.rect());
        header.unwrap_or_else(|| panic!("{view}: no {title:?} column")).max.x
    };
    for (view, last_column, sideways) in [
        ("Summary", "Retained size", false),
        ("Dominators", "Retained size", false),
        ("Comparison", "Ret. delta", true),
    ] {
        harness.get_by_label(view).click();
        harness.run_steps(2);
        step_until(&mut harness, view, |h| !h.state().is_busy());
        harness.run_steps(2);
        if sideways {
            assert!(last_column_end(&harness, view, last_column) > width, "{view}: expected to overflow at {width}");
            let over_table = harness.get_by_label("Class").rect().center() + egui::vec2(0.0, 60.0);
            harness.event(egui::Event::PointerMoved(over_table));
            harness.event(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(-2000.0, 0.0),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::NONE,
            });
            harness.run_steps(3);
        }
        let end = last_column_end(&harness, view, last_column);
        assert!(end <= width, "{view}: the {last_column:?} column ends at x = {end} of {width}");
    }
}

/// In the dominator tree, an object that dominates nothing has no expand button; its name must
/// still start where its expandable siblings' names start.
#[test]
fn dominator_tree_names_line_up_with_and_without_an_expand_button() {
    let mut harness = app(vec![sample("request-history.final.heapsnapshot.gz")]);
    step_until(&mut harness, "the snapshot", |h| !h.state().documents().is_empty() && !h.state().is_busy());
    harness.get_by_label("Dominators").click();
    harness.run_steps(3);
    // Children of the root: `global` dominates much, `cachedDataProduced` nothing.
    let left = |harness: &Harness<'_, HeapscopeApp>, name: &str| {
        let node = harness.query_all_by_label_contains(name).next();
        node.unwrap_or_else(|| panic!("no row {name:?}")).rect().min.x
    };
    let (expandable, leaf) = (left(&harness, "global @"), left(&harness, "cachedDataProduced @"));
    assert!((expandable - leaf).abs() < 0.5, "names start at x = {expandable} and x = {leaf}");
}
