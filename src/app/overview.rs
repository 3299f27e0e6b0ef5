//! The overview of a loaded snapshot: what it is and what it holds.

use eframe::egui;

use super::Loaded;
use crate::format::group_digits;

/// Shows counts, the snapshot's format variant and the load timings.
pub fn show(ui: &mut egui::Ui, loaded: &Loaded) {
    egui::ScrollArea::vertical().id_salt("overview_scroll").show(ui, |ui| {
        ui.columns(2, |columns| {
            table(&mut columns[0], loaded);
            super::plots::heap_composition(&mut columns[1], &loaded.analysis.statistics);
            columns[1].add_space(12.0);
            super::plots::top_classes(&mut columns[1], &loaded.summary);
        });
    });
}

fn table(ui: &mut egui::Ui, loaded: &Loaded) {
    let graph = &loaded.graph;
    ui.heading(loaded.source.display_name());
    ui.add_space(8.0);
    egui::Grid::new("overview").num_columns(2).striped(true).show(ui, |ui| {
        let mut row = |label: &str, value: String| {
            ui.label(label);
            ui.monospace(value);
            ui.end_row();
        };
        row("Nodes", group_digits(graph.node_count() as u64));
        row("Edges", group_digits(graph.edge_count() as u64));
        row("Strings", group_digits(graph.strings.len() as u64));
        row("Total self size", format!("{} bytes", group_digits(graph.total_self_size())));
        row("Node fields", graph.meta.node_fields.join(", "));
        row("Node types", graph.meta.node_types.len().to_string());
        row("Locations", group_digits(graph.locations.len() as u64));
        row("Graph memory", format!("{:.1} MiB", graph.heap_bytes() as f64 / 1048576.0));
        let st = &loaded.analysis.statistics;
        for (label, value, depth) in st.breakdown() {
            let label = format!("{}{label}", "    ".repeat(depth));
            row(&label, format!("{} ({} bytes)", crate::format::human_size(value), group_digits(value)));
        }
        for (phase, took) in &loaded.phases {
            row(&format!("Phase {}", phase.name()), format!("{:.0} ms", took.as_secs_f64() * 1e3));
        }
        row("Load time", format!("{:.0} ms", loaded.took.as_secs_f64() * 1e3));
    });
}
