//! The Leaks view: the three-snapshot method. Pick a baseline, a target and a final snapshot
//! (they default to the open snapshots in the order they were opened); the search runs in a
//! background job and shows clusters of leaked objects with their retainer chains.

use std::sync::Arc;

use eframe::egui;
use egui_extras::Column;

use super::comparison::Snapshot;
use super::jobs::{Job, JobPoll};
use super::widgets::{plain_size_cell, styled_table};
use crate::compare::leaks::{Leaks, find_leaks};
use crate::format::group_digits;

/// What the user did.
pub enum LeaksEvent {
    /// An object of the final snapshot (document id, node) was selected.
    Select(u64, u32),
}

/// The view's state.
#[derive(Default)]
pub struct LeaksView {
    /// The snapshot before the action.
    pub baseline: Option<u64>,
    /// The snapshot after the action.
    pub target: Option<u64>,
    /// The snapshot after the action was undone.
    pub final_snapshot: Option<u64>,
    job: Option<Job<(u64, Leaks)>>,
    /// The last result: the final snapshot's id and the leaks.
    pub result: Option<(u64, Arc<Leaks>)>,
    /// The last error.
    pub message: Option<String>,
    /// The keyboard cursor in the clusters table.
    cursor: Option<usize>,
}

impl LeaksView {
    /// True while a search runs.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Stops waiting for the running search (its result is dropped).
    pub fn cancel(&mut self) {
        self.job = None;
    }

    /// The status-bar line of the running search.
    pub fn status(&self) -> Option<(String, f32)> {
        self.job.as_ref().map(|job| (job.label.clone(), job.progress.fraction()))
    }

    /// Forgets a closed document.
    pub fn forget(&mut self, id: u64) {
        for slot in [&mut self.baseline, &mut self.target, &mut self.final_snapshot] {
            if *slot == Some(id) {
                *slot = None;
            }
        }
        if self.result.as_ref().is_some_and(|(f, _)| *f == id) {
            self.result = None;
        }
    }

    fn poll(&mut self) {
        if let Some(job) = &self.job
            && let JobPoll::Done(result) = job.poll()
        {
            match result {
                Ok((final_id, leaks)) => self.result = Some((final_id, Arc::new(leaks))),
                Err(e) => self.message = Some(e),
            }
            self.job = None;
        }
    }

    /// Starts the search with the chosen snapshots.
    pub fn start(&mut self, ctx: &egui::Context, snapshots: &[Snapshot<'_>]) {
        let find = |id: Option<u64>| snapshots.iter().find(|s| Some(s.id) == id);
        let (Some(b), Some(t), Some(f)) = (find(self.baseline), find(self.target), find(self.final_snapshot)) else {
            self.message = Some("choose three snapshots".into());
            return;
        };
        let (bg, tg) = (Arc::clone(&b.loaded.graph), Arc::clone(&t.loaded.graph));
        let (fg, fa, final_id) = (Arc::clone(&f.loaded.graph), Arc::clone(&f.loaded.analysis), f.id);
        self.message = None;
        match Job::spawn("finding leaks", super::jobs::repaint_soon(ctx), move |_| {
            Ok((final_id, find_leaks(&bg, &tg, &fg, &fa)))
        }) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.message = Some(format!("cannot start the search: {e}")),
        }
    }

    /// Shows the view.
    pub fn show(&mut self, ui: &mut egui::Ui, snapshots: &[Snapshot<'_>]) -> Option<LeaksEvent> {
        self.poll();
        if snapshots.len() < 3 {
            ui.label(
                "The three-snapshot method needs three snapshots of one process: before an action (baseline), after it \
                 (target), and after undoing or repeating it (final). Open them (Open... or drop files).",
            );
            return None;
        }
        for (slot, i) in [(&mut self.baseline, 0), (&mut self.target, 1), (&mut self.final_snapshot, 2)] {
            if slot.is_none_or(|id| !snapshots.iter().any(|s| s.id == id)) {
                *slot = Some(snapshots[i].id);
            }
        }
        ui.horizontal_wrapped(|ui| {
            if ui.add_enabled(self.job.is_none(), egui::Button::new("Find leaks")).clicked() {
                self.start(ui.ctx(), snapshots);
            }
            for (label, slot) in
                [("Baseline", &mut self.baseline), ("Target", &mut self.target), ("Final", &mut self.final_snapshot)]
            {
                let shown = ui.label(label);
                let name = snapshots.iter().find(|s| Some(s.id) == *slot).map_or(String::new(), |s| s.name.clone());
                egui::ComboBox::from_id_salt(label)
                    .selected_text(name)
                    .show_ui(ui, |ui| {
                        for s in snapshots {
                            ui.selectable_value(slot, Some(s.id), &s.name);
                        }
                    })
                    .response
                    .labelled_by(shown.id);
            }
        });
        if let Some(message) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        if self.job.is_some() {
            ui.horizontal(|ui| {
                super::widgets::busy_indicator(ui);
                ui.label("finding leaks...");
            });
            return None;
        }
        let Some((final_id, leaks)) = self.result.clone() else {
            ui.label("Objects allocated between baseline and target and still alive in final are leak candidates: Find leaks.");
            return None;
        };
        let snapshot = snapshots.iter().find(|s| s.id == final_id)?;
        let (graph, analysis) = (&snapshot.loaded.graph, &snapshot.loaded.analysis);
        ui.label(format!(
            "{} objects allocated between baseline and target, {} still alive in final, {} leak clusters. Click one for \
             its retainers.",
            group_digits(leaks.allocated_between),
            group_digits(leaks.still_alive),
            leaks.clusters.len()
        ));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut event = None;
        let keys = super::widgets::table_keys(ui, self.cursor, leaks.clusters.len());
        if let Some(next) = keys.moved_to {
            self.cursor = Some(next);
        }
        if (keys.moved_to.is_some() || keys.enter)
            && let Some(cluster) = self.cursor.and_then(|c| leaks.clusters.get(c))
        {
            event = Some(LeaksEvent::Select(final_id, cluster.objects[0]));
        }
        let mut table = styled_table(ui, "leaks_table").sense(egui::Sense::click());
        if let Some(cursor) = self.cursor.filter(|_| keys.moved_to.is_some()) {
            table = table.scroll_to_row(cursor, None);
        }
        table
            .column(Column::initial(200.0).clip(true))
            .column(Column::initial(80.0))
            .column(Column::initial(110.0))
            .column(Column::remainder().clip(true))
            .header(row_height, |mut header| {
                for title in ["Class", "Objects", "Retained", "Retainer chain"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, leaks.clusters.len(), |mut row| {
                    let c = &leaks.clusters[row.index()];
                    row.set_selected(self.cursor == Some(row.index()));
                    row.col(|ui| {
                        let hover = "Show the retainers of its largest object";
                        if ui.selectable_label(false, &c.class_name).on_hover_text(hover).clicked() {
                            event = Some(LeaksEvent::Select(final_id, c.objects[0]));
                        }
                    });
                    row.col(|ui| {
                        ui.monospace(group_digits(c.objects.len() as u64));
                    });
                    row.col(|ui| plain_size_cell(ui, c.retained_size));
                    row.col(|ui| {
                        ui.label(chain_text(graph, analysis, &c.path));
                    });
                    if row.response().clicked() {
                        event = Some(LeaksEvent::Select(final_id, c.objects[0]));
                    }
                });
            });
        event
    }
}

/// A chain as one line of edge names and classes: `global -> requestHistory -> Array -> [] -> {data}`.
fn chain_text(
    graph: &crate::graph::HeapGraph,
    analysis: &crate::analysis::Analysis,
    path: &crate::analysis::paths::RetainerPath,
) -> String {
    // The chain starts at the root; name the first object below it (the user root).
    let start = path.nodes.get(1).map_or_else(String::new, |&n| analysis.class_name(graph, n).to_string());
    let mut text = format!("{start}:");
    for (i, &node) in path.nodes.iter().enumerate().skip(2) {
        let edge = path.edges[i - 1];
        let name = if graph.edge_has_index(edge) {
            format!("[{}]", graph.edge_name(edge))
        } else {
            graph.edge_name(edge).into_owned()
        };
        if i > 2 {
            text.push_str(" ->");
        }
        text.push_str(&format!(" {name} -> {}", analysis.class_name(graph, node)));
    }
    text
}
