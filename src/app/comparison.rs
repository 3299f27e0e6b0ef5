//! The Comparison view: the current snapshot against a chosen base. The delta table is DevTools'
//! Comparison plus retained sizes before and after (computed in a background job); "side by
//! side" shows both snapshots' summaries next to each other, rows aligned by class, changes in
//! colour.

use std::collections::HashMap;
use std::sync::Arc;

use eframe::egui;
use egui_extras::Column;

use super::jobs::{Job, JobPoll};
use super::widgets::{Matcher, count_delta_cell, delta_cell, named_table, plain_size_cell, table_keys, toggle};
use crate::analysis::aggregates::ClassAggregate;
use crate::compare::v8::{ClassDiff, Side, SnapshotDiff, compare};
use crate::format::group_digits;

/// One open snapshot as the comparison sees it.
pub struct Snapshot<'a> {
    /// The document's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its load.
    pub loaded: &'a super::jobs::Loaded,
}

/// A row of the side-by-side table: one class in either snapshot.
struct AlignedRow {
    name: String,
    before: Option<(u64, u64)>,
    after: Option<(u64, u64)>,
}

impl AlignedRow {
    fn retained_delta(&self) -> i64 {
        self.after.map_or(0, |a| a.1) as i64 - self.before.map_or(0, |b| b.1) as i64
    }
}

/// What the user did.
pub enum ComparisonEvent {
    /// An object of the current snapshot was selected.
    Select(u32),
}

/// The view's state.
#[derive(Default)]
pub struct ComparisonView {
    /// The base snapshot's document id.
    pub base: Option<u64>,
    /// Show the two summaries side by side instead of the delta table.
    pub side_by_side: bool,
    /// Show a chart of the largest changes instead of the delta table.
    pub chart: bool,
    diffs: HashMap<(u64, u64), Arc<SnapshotDiff>>,
    aligned: HashMap<(u64, u64), Arc<Vec<AlignedRow>>>,
    job: Option<((u64, u64), Job<SnapshotDiff>)>,
    expanded: Option<String>,
    /// The keyboard cursor in the delta table.
    cursor: Option<usize>,
    /// The last error.
    pub message: Option<String>,
}

impl ComparisonView {
    /// True while a comparison runs.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The finished comparison of `current` against the base, if any.
    pub fn diff(&self, current: u64) -> Option<&Arc<SnapshotDiff>> {
        self.diffs.get(&(self.base?, current))
    }

    /// Forgets everything about a closed document.
    pub fn forget(&mut self, id: u64) {
        self.diffs.retain(|k, _| k.0 != id && k.1 != id);
        self.aligned.retain(|k, _| k.0 != id && k.1 != id);
        if self.base == Some(id) {
            self.base = None;
        }
    }

    fn poll(&mut self) {
        if let Some((key, job)) = &self.job
            && let JobPoll::Done(result) = job.poll()
        {
            match result {
                Ok(diff) => {
                    self.diffs.insert(*key, Arc::new(diff));
                }
                Err(e) => self.message = Some(e),
            }
            self.job = None;
        }
    }

    fn start(&mut self, ctx: &egui::Context, base: &Snapshot<'_>, current: &Snapshot<'_>) {
        let key = (base.id, current.id);
        if self.diffs.contains_key(&key) || self.job.as_ref().is_some_and(|(k, _)| *k == key) {
            return;
        }
        let (bg, ba) = (Arc::clone(&base.loaded.graph), Arc::clone(&base.loaded.analysis));
        let (cg, ca) = (Arc::clone(&current.loaded.graph), Arc::clone(&current.loaded.analysis));
        let label = format!("comparing {} with {}", current.name, base.name);
        match Job::spawn(label, super::jobs::repaint_soon(ctx), move |_| {
            Ok(compare(Side { graph: &bg, analysis: &ba }, Side { graph: &cg, analysis: &ca }))
        }) {
            Ok(job) => self.job = Some((key, job)),
            Err(e) => self.message = Some(format!("cannot start the comparison: {e}")),
        }
    }

    /// Stops waiting for the running comparison (its result is dropped).
    pub fn cancel(&mut self) {
        self.job = None;
    }

    /// The status-bar line of the running comparison.
    pub fn status(&self) -> Option<(String, f32)> {
        self.job.as_ref().map(|(_, job)| (job.label.clone(), job.progress.fraction()))
    }

    /// Shows the view for `current` among `snapshots`.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        snapshots: &[Snapshot<'_>],
        current: u64,
        filter: &str,
    ) -> Option<ComparisonEvent> {
        self.poll();
        let cur = snapshots.iter().find(|s| s.id == current)?;
        let others: Vec<&Snapshot<'_>> = snapshots.iter().filter(|s| s.id != current).collect();
        if others.is_empty() {
            ui.label("Open a second snapshot of the same process to compare (Open... or drop a file).");
            return None;
        }
        if self.base.is_none_or(|b| !others.iter().any(|s| s.id == b)) {
            self.base = Some(others[0].id);
        }
        ui.horizontal(|ui| {
            let label = ui.label("Base snapshot:");
            let selected = others.iter().find(|s| Some(s.id) == self.base).map_or(String::new(), |s| s.name.clone());
            egui::ComboBox::from_id_salt("comparison_base")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    for other in &others {
                        ui.selectable_value(&mut self.base, Some(other.id), &other.name);
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            if ui.selectable_label(!self.side_by_side && !self.chart, "Delta").clicked() {
                (self.side_by_side, self.chart) = (false, false);
            }
            if ui.selectable_label(self.side_by_side, "Side by side").clicked() {
                (self.side_by_side, self.chart) = (true, false);
            }
            if ui.selectable_label(self.chart, "Chart").clicked() {
                (self.side_by_side, self.chart) = (false, true);
            }
        });
        let base = others.iter().find(|s| Some(s.id) == self.base)?;
        if let Some(message) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        if self.side_by_side {
            self.side_by_side_table(ui, base, cur, filter);
            return None;
        }
        self.start(ui.ctx(), base, cur);
        let Some(diff) = self.diffs.get(&(base.id, cur.id)).cloned() else {
            ui.horizontal(|ui| {
                super::widgets::busy_indicator(ui);
                ui.label("comparing...");
            });
            return None;
        };
        if !diff.same_process() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "These snapshots do not look like one process ({} common object ids): objects are matched by id, \
                     so the comparison is not meaningful.",
                    diff.common_ids
                ),
            );
        }
        if self.chart {
            egui::ScrollArea::vertical().show(ui, |ui| super::plots::largest_changes(ui, &diff));
            return None;
        }
        self.delta_table(ui, &diff, cur, filter)
    }

    fn delta_table(
        &mut self,
        ui: &mut egui::Ui,
        diff: &SnapshotDiff,
        cur: &Snapshot<'_>,
        filter: &str,
    ) -> Option<ComparisonEvent> {
        let matcher = Matcher::new(filter);
        let rows: Vec<&ClassDiff> = diff.classes.iter().filter(|c| matcher.matches(&c.name)).collect();
        // Flattened rows: a class, then its largest new objects when expanded.
        let mut flat: Vec<(usize, Option<u32>)> = Vec::new();
        for (i, c) in rows.iter().enumerate() {
            flat.push((i, None));
            if self.expanded.as_deref() == Some(c.name.as_str()) {
                flat.extend(c.new_objects.iter().take(100).map(|&v| (i, Some(v))));
            }
        }
        ui.label(format!("{} classes changed; expand one for its largest new objects (arrows, Enter)", rows.len()));
        let (graph, analysis) = (&cur.loaded.graph, &cur.loaded.analysis);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut event = None;
        let mut toggled = None;
        let keys = table_keys(ui, self.cursor, flat.len());
        if let Some(next) = keys.moved_to {
            self.cursor = Some(next);
            if let (_, Some(v)) = flat[next] {
                event = Some(ComparisonEvent::Select(v));
            }
        }
        if keys.enter
            && let Some(&(i, object)) = self.cursor.and_then(|c| flat.get(c))
        {
            match object {
                None => toggled = Some(rows[i].name.clone()),
                Some(v) => event = Some(ComparisonEvent::Select(v)),
            }
        }
        // Ten columns do not fit a small window: the table scrolls sideways instead.
        egui::ScrollArea::horizontal().id_salt("comparison_sideways").show(ui, |ui| {
            let mut table = named_table(ui, "comparison_table", 160.0).sense(egui::Sense::click());
            if let Some(cursor) = self.cursor.filter(|_| keys.moved_to.is_some()) {
                table = table.scroll_to_row(cursor, None);
            }
            table
                .columns(Column::initial(64.0).at_least(48.0), 3)
                .columns(Column::initial(86.0).at_least(70.0), 6)
                .header(row_height, |mut header| {
                    let titles = [
                        ("Class", "Class name"),
                        ("# New", "Objects only in this snapshot"),
                        ("# Deleted", "Objects only in the base snapshot"),
                        ("# Delta", "New minus deleted"),
                        ("Alloc.", "Shallow size of the new objects"),
                        ("Freed", "Shallow size of the deleted objects"),
                        ("Size delta", "Allocated minus freed"),
                        ("Ret. before", "The class's retained size in the base snapshot"),
                        ("Ret. after", "The class's retained size in this snapshot"),
                        ("Ret. delta", "Retained size after minus before"),
                    ];
                    for (title, hover) in titles {
                        header.col(|ui| {
                            ui.strong(title).on_hover_text(hover);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, flat.len(), |mut row| {
                        let (i, object) = flat[row.index()];
                        let c = rows[i];
                        row.set_selected(self.cursor == Some(row.index()));
                        match object {
                            None => {
                                row.col(|ui| {
                                    if toggle(ui, self.expanded.as_deref() == Some(c.name.as_str())) {
                                        toggled = Some(c.name.clone());
                                    }
                                    ui.label(&c.name);
                                });
                                row.col(|ui| {
                                    ui.monospace(group_digits(c.new_count));
                                });
                                row.col(|ui| {
                                    ui.monospace(group_digits(c.deleted_count));
                                });
                                row.col(|ui| count_delta_cell(ui, c.count_delta()));
                                row.col(|ui| plain_size_cell(ui, c.alloc_size));
                                row.col(|ui| plain_size_cell(ui, c.freed_size));
                                row.col(|ui| delta_cell(ui, c.size_delta()));
                                row.col(|ui| plain_size_cell(ui, c.retained_before));
                                row.col(|ui| plain_size_cell(ui, c.retained_after));
                                row.col(|ui| delta_cell(ui, c.retained_delta()));
                            }
                            Some(v) => {
                                row.col(|ui| {
                                    ui.add_space(20.0);
                                    ui.label(format!(
                                        "{} @{}",
                                        super::retainers::short_name(graph, analysis, v),
                                        graph.node_id(v)
                                    ));
                                });
                                for _ in 0..6 {
                                    row.col(|_| {});
                                }
                                row.col(|_| {});
                                row.col(|ui| plain_size_cell(ui, analysis.retained.get(v as usize)));
                                row.col(|_| {});
                                if row.response().clicked() {
                                    event = Some(ComparisonEvent::Select(v));
                                }
                            }
                        }
                    });
                });
        });
        if let Some(name) = toggled {
            self.expanded = if self.expanded.as_deref() == Some(name.as_str()) { None } else { Some(name) };
        }
        event
    }

    fn side_by_side_table(&mut self, ui: &mut egui::Ui, base: &Snapshot<'_>, cur: &Snapshot<'_>, filter: &str) {
        let rows = Arc::clone(
            self.aligned
                .entry((base.id, cur.id))
                .or_insert_with(|| Arc::new(align(&base.loaded.summary, &cur.loaded.summary))),
        );
        let matcher = Matcher::new(filter);
        let shown: Vec<&AlignedRow> = rows.iter().filter(|r| matcher.matches(&r.name)).collect();
        ui.label(format!(
            "{} (left) and {} (right), aligned by class, largest retained change first",
            base.name, cur.name
        ));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let changed = egui::Color32::from_rgba_unmultiplied(0xd0, 0x40, 0x40, 0x30);
        egui::ScrollArea::horizontal().id_salt("side_by_side_sideways").show(ui, |ui| {
            named_table(ui, "side_by_side_table", 200.0)
                .columns(Column::initial(95.0), 4)
                .column(Column::initial(110.0))
                .header(row_height, |mut header| {
                    for title in ["Class", "Count (base)", "Retained (base)", "Count", "Retained", "Retained delta"] {
                        header.col(|ui| {
                            ui.strong(title);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, shown.len(), |mut row| {
                        let r = shown[row.index()];
                        let differs = r.before != r.after;
                        let cell = |ui: &mut egui::Ui, value: Option<u64>, size: bool| {
                            if differs {
                                ui.painter().rect_filled(ui.max_rect(), 0.0, changed);
                            }
                            match (value, size) {
                                (None, _) => {
                                    ui.weak("—");
                                }
                                (Some(v), true) => plain_size_cell(ui, v),
                                (Some(v), false) => {
                                    ui.monospace(group_digits(v));
                                }
                            }
                        };
                        row.col(|ui| {
                            ui.label(&r.name);
                        });
                        row.col(|ui| cell(ui, r.before.map(|b| b.0), false));
                        row.col(|ui| cell(ui, r.before.map(|b| b.1), true));
                        row.col(|ui| cell(ui, r.after.map(|a| a.0), false));
                        row.col(|ui| cell(ui, r.after.map(|a| a.1), true));
                        row.col(|ui| delta_cell(ui, r.retained_delta()));
                    });
                });
        });
    }
}

/// Both summaries' rows aligned by class key, largest retained change first.
fn align(base: &[ClassAggregate], current: &[ClassAggregate]) -> Vec<AlignedRow> {
    let mut rows: Vec<AlignedRow> = Vec::new();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for c in current {
        by_key.insert(&c.key, rows.len());
        rows.push(AlignedRow { name: c.name.clone(), before: None, after: Some((c.count, c.retained_size)) });
    }
    for b in base {
        match by_key.get(b.key.as_str()) {
            Some(&i) => rows[i].before = Some((b.count, b.retained_size)),
            None => {
                rows.push(AlignedRow { name: b.name.clone(), before: Some((b.count, b.retained_size)), after: None })
            }
        }
    }
    rows.sort_by(|a, b| b.retained_delta().abs().cmp(&a.retained_delta().abs()).then_with(|| a.name.cmp(&b.name)));
    rows
}
