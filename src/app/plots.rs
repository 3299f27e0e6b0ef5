//! Charts (egui_plot): a V8 snapshot's composition and its largest classes, a comparison's
//! largest changes, a dump's top allocation sites, and the top sites across several dumps.

use std::collections::HashMap;

use eframe::egui;
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};

use super::dumps::OtherDump;
use crate::analysis::aggregates::ClassAggregate;
use crate::analysis::statistics::Statistics as HeapStatistics;
use crate::compare::v8::SnapshotDiff;
use crate::format::human_size;
use crate::traces::AllocationTraces;
use crate::traces::stats::{Grouping, KeyType, Statistics, key_text, statistics};

const MIB: f64 = 1024.0 * 1024.0;

/// Horizontal bars, largest on top, each named; sizes in MiB.
fn bars(ui: &mut egui::Ui, id: &str, title: &str, items: &[(String, f64)], color: egui::Color32) {
    ui.strong(title);
    let n = items.len();
    let chart_bars: Vec<Bar> = items
        .iter()
        .enumerate()
        .map(|(i, (name, value))| Bar::new((n - i) as f64, *value).name(name).fill(color).width(0.7))
        .collect();
    let names: Vec<String> = items.iter().map(|(name, _)| name.clone()).collect();
    Plot::new(id)
        .height(22.0 * n.max(3) as f32 + 40.0)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_drag(false)
        .y_axis_formatter(move |mark, _| {
            let i = mark.value.round() as usize;
            if (mark.value - mark.value.round()).abs() < 1e-6 && (1..=n).contains(&i) {
                names[n - i].chars().take(40).collect()
            } else {
                String::new()
            }
        })
        .x_axis_formatter(|mark, _| format!("{:.1} MiB", mark.value))
        .show(ui, |plot| plot.bar_chart(BarChart::new(title, chart_bars).horizontal()));
}

/// A V8 snapshot's composition, as DevTools' Statistics pie.
pub fn heap_composition(ui: &mut egui::Ui, stats: &HeapStatistics) {
    // The parts (not the totals they add up to), and the native memory besides typed arrays.
    let mut parts: Vec<(&str, u64)> = stats
        .breakdown()
        .into_iter()
        .filter(|(_, _, depth)| *depth == 1)
        .map(|(name, bytes, _)| (name, bytes))
        .collect();
    parts.push(("Other native", stats.native.saturating_sub(stats.typed_arrays)));
    let items: Vec<(String, f64)> = parts
        .into_iter()
        .map(|(name, bytes)| (format!("{name} ({})", human_size(bytes)), bytes as f64 / MIB))
        .collect();
    bars(ui, "heap_composition", "Composition", &items, egui::Color32::from_rgb(90, 150, 220));
}

/// The ten classes with the largest retained size.
pub fn top_classes(ui: &mut egui::Ui, classes: &[ClassAggregate]) {
    let mut rows: Vec<&ClassAggregate> = classes.iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.retained_size));
    let items: Vec<(String, f64)> =
        rows.iter().take(10).map(|r| (r.name.clone(), r.retained_size as f64 / MIB)).collect();
    bars(ui, "top_classes", "Top classes by retained size", &items, egui::Color32::from_rgb(220, 140, 60));
}

/// The fifteen largest size changes of a comparison (growth red, shrinkage blue).
pub fn largest_changes(ui: &mut egui::Ui, diff: &SnapshotDiff) {
    let mut rows: Vec<_> = diff.classes.iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.retained_delta().unsigned_abs()));
    ui.strong("Largest retained-size changes");
    let n = rows.len().min(15);
    let chart: Vec<Bar> = rows
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, r)| {
            let color = if r.retained_delta() >= 0 {
                egui::Color32::from_rgb(210, 70, 60)
            } else {
                egui::Color32::from_rgb(60, 110, 210)
            };
            Bar::new((n - i) as f64, r.retained_delta() as f64 / MIB).name(&r.name).fill(color).width(0.7)
        })
        .collect();
    let names: Vec<String> = rows.iter().take(n).map(|r| r.name.clone()).collect();
    Plot::new("largest_changes")
        .height(22.0 * n.max(3) as f32 + 40.0)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_drag(false)
        .y_axis_formatter(move |mark, _| {
            let i = mark.value.round() as usize;
            if (mark.value - mark.value.round()).abs() < 1e-6 && (1..=n).contains(&i) {
                names[n - i].chars().take(40).collect()
            } else {
                String::new()
            }
        })
        .x_axis_formatter(|mark, _| format!("{:+.1} MiB", mark.value))
        .show(ui, |plot| plot.bar_chart(BarChart::new("retained delta", chart).horizontal()));
}

/// A dump's ten largest allocation sites (by lineno).
pub fn dump_sites(ui: &mut egui::Ui, stats: &Statistics, traces: &AllocationTraces) {
    let items: Vec<(String, f64)> = stats
        .rows
        .iter()
        .take(10)
        .map(|r| (key_text(&traces.table, KeyType::Lineno, r.key), r.size as f64 / MIB))
        .collect();
    bars(ui, "dump_sites", "Top allocation sites", &items, egui::Color32::from_rgb(220, 140, 60));
}

/// The newest dump's five largest sites across all dumps, in the order they were opened.
pub fn dump_trend(ui: &mut egui::Ui, dumps: &[OtherDump]) {
    let lineno = Grouping { key: KeyType::Lineno, cumulative: false };
    let per_dump: Vec<HashMap<String, u64>> = dumps
        .iter()
        .map(|d| {
            statistics(&d.traces, lineno, None)
                .rows
                .iter()
                .map(|r| (key_text(&d.traces.table, KeyType::Lineno, r.key), r.size))
                .collect()
        })
        .collect();
    let Some(newest) = dumps.last() else { return };
    let top: Vec<String> = statistics(&newest.traces, lineno, None)
        .rows
        .iter()
        .take(5)
        .map(|r| key_text(&newest.traces.table, KeyType::Lineno, r.key))
        .collect();
    ui.strong(format!("Top sites across {} dumps (in the order opened)", dumps.len()));
    Plot::new("dump_trend")
        .height(260.0)
        .legend(Legend::default())
        .x_axis_formatter(|mark, _| format!("dump {}", mark.value.round() as i64 + 1))
        .y_axis_formatter(|mark, _| format!("{:.1} MiB", mark.value))
        .show(ui, |plot| {
            for site in &top {
                let points: PlotPoints<'_> = per_dump
                    .iter()
                    .enumerate()
                    .map(|(i, sizes)| [i as f64, *sizes.get(site).unwrap_or(&0) as f64 / MIB])
                    .collect();
                plot.line(Line::new(site.clone(), points));
            }
        });
}
