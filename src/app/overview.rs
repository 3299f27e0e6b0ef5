//! The overview of a loaded snapshot: what it is and what it holds.

use eframe::egui;

use super::Loaded;

/// Shows counts, the snapshot's format variant and the load timings.
pub fn show(ui: &mut egui::Ui, loaded: &Loaded) {
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
        for (phase, took) in &loaded.phases {
            row(&format!("Phase {}", phase.name()), format!("{:.0} ms", took.as_secs_f64() * 1e3));
        }
        row("Load time", format!("{:.0} ms", loaded.took.as_secs_f64() * 1e3));
    });
}

/// `1234567` as `1,234,567`.
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
