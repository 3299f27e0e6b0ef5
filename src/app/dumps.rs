//! The views of a tracemalloc dump: Python's `statistics()` (by lineno, filename or traceback,
//! cumulative or not), `compare_to()` against another open dump, the allocation call tree, its
//! flame graph (differential against another dump), and plots. Selecting a row shows its
//! traceback, oldest frame first as Python prints it, with Copy.

use std::collections::HashSet;
use std::sync::Arc;

use eframe::egui;
use egui_extras::Column;

use super::flame::{FlameGraph, frame_label, size_changes};
use super::jobs::{DumpLoaded, Job, JobPoll};
use super::plots;
use super::widgets::{Matcher, count_delta_cell, delta_cell, named_table, plain_size_cell, toggle};
use crate::format::group_digits;
use crate::traces::AllocationTraces;
use crate::traces::call_tree::{CallNode, CallTree};
use crate::traces::stats::{Comparison, Grouping, KeyType, Statistics, compare, key_frames, key_text, statistics};
use crate::traces::text::{statistic_diff_text, statistic_text};

/// The tabs of a dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpTab {
    /// `statistics()`.
    Statistics,
    /// `compare_to()`.
    Comparison,
    /// The allocation call tree.
    CallTree,
    /// The flame graph.
    FlameGraph,
    /// Charts.
    Plots,
}

/// Another open dump, as a view sees it.
#[derive(Clone)]
pub struct OtherDump {
    /// Its document id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its traces.
    pub traces: Arc<AllocationTraces>,
    /// Its call tree.
    pub tree: Arc<CallTree>,
}

/// An open dump and the state of its views.
pub struct DumpDocument {
    /// A stable id.
    pub id: u64,
    /// The load result.
    pub loaded: DumpLoaded,
    /// The tab shown.
    pub tab: DumpTab,
    key: KeyType,
    cumulative: bool,
    stats: Option<(Grouping, Arc<Statistics>)>,
    /// The dump the user chose to compare against (and as the flame graph's differential base);
    /// by default the dump opened just before this one.
    pub base: Option<u64>,
    comparison: Option<((u64, Grouping), Arc<Comparison>)>,
    /// The selected row's traceback: (file, line), oldest first.
    pub traceback: Option<Vec<(String, i64)>>,
    tree_expanded: HashSet<CallNode>,
    /// The flame graph.
    pub flame: FlameGraph,
    flame_changes: Option<(u64, Arc<Vec<i64>>)>,
    changes_job: Option<(u64, Job<Vec<i64>>)>,
    /// Differential colouring in the flame graph.
    pub differential: bool,
}

impl DumpDocument {
    /// A new document for a loaded dump.
    pub fn new(id: u64, loaded: DumpLoaded) -> Self {
        let flame = FlameGraph::new(&loaded.tree);
        Self {
            id,
            loaded,
            tab: DumpTab::Statistics,
            key: KeyType::Lineno,
            cumulative: false,
            stats: None,
            base: None,
            comparison: None,
            traceback: None,
            tree_expanded: HashSet::from([0]),
            flame,
            flame_changes: None,
            changes_job: None,
            differential: true,
        }
    }

    /// True while a background job of this dump runs.
    pub fn is_busy(&self) -> bool {
        self.changes_job.is_some()
    }

    fn grouping(&self) -> Grouping {
        Grouping::new(self.key, self.cumulative && self.key != KeyType::Traceback)
            .unwrap_or(Grouping { key: KeyType::Lineno, cumulative: false })
    }

    fn statistics(&mut self) -> Arc<Statistics> {
        let grouping = self.grouping();
        if let Some((g, stats)) = &self.stats
            && *g == grouping
        {
            return Arc::clone(stats);
        }
        let stats = Arc::new(statistics(&self.loaded.traces, grouping, None));
        self.stats = Some((grouping, Arc::clone(&stats)));
        stats
    }

    fn comparison(&mut self, base: &OtherDump) -> Arc<Comparison> {
        let key = (base.id, self.grouping());
        if let Some((k, diff)) = &self.comparison
            && *k == key
        {
            return Arc::clone(diff);
        }
        let diff = Arc::new(compare(&self.loaded.traces, None, &base.traces, None, key.1));
        self.comparison = Some((key, Arc::clone(&diff)));
        diff
    }

    /// Shows the tabs and the current view; `others` are the other open dumps, in the order
    /// they were opened, and `all` every open dump (this one included), for the trend plot.
    pub fn show(&mut self, ui: &mut egui::Ui, others: &[OtherDump], all: &[OtherDump], filter: &str) {
        ui.horizontal(|ui| {
            for (tab, label) in [
                (DumpTab::Statistics, "Statistics"),
                (DumpTab::Comparison, "Compare to"),
                (DumpTab::CallTree, "Call tree"),
                (DumpTab::FlameGraph, "Flame graph"),
                (DumpTab::Plots, "Plots"),
            ] {
                ui.selectable_value(&mut self.tab, tab, label);
            }
        });
        // The user's choice, else the dump opened just before this one, else the first other one.
        let chosen = others.iter().find(|o| Some(o.id) == self.base);
        let base = chosen.or_else(|| others.iter().rev().find(|o| o.id < self.id)).or(others.first()).cloned();
        egui::Panel::bottom(egui::IdSalt::new(("traceback", self.id)))
            .resizable(true)
            .default_size(180.0)
            .min_size(140.0)
            .show(ui, |ui| {
                self.traceback_panel(ui);
            });
        egui::CentralPanel::default_margins().show(ui, |ui| match self.tab {
            DumpTab::Statistics => self.statistics_view(ui, filter),
            DumpTab::Comparison => match &base {
                Some(base) => self.comparison_view(ui, others, base, filter),
                None => {
                    ui.label("Open an older dump of the same program to compare (Open... or drop a file).");
                }
            },
            DumpTab::CallTree => self.call_tree_view(ui),
            DumpTab::FlameGraph => self.flame_view(ui, others, base.as_ref()),
            DumpTab::Plots => {
                let stats = self.statistics_for(Grouping { key: KeyType::Lineno, cumulative: false });
                plots::dump_sites(ui, &stats, &self.loaded.traces);
                if all.len() >= 3 {
                    plots::dump_trend(ui, all);
                } else {
                    ui.label("Open three or more dumps of one program, in order, to see the top sites over time.");
                }
            }
        });
    }

    fn statistics_for(&mut self, grouping: Grouping) -> Arc<Statistics> {
        let (key, cumulative) = (self.key, self.cumulative);
        self.key = grouping.key;
        self.cumulative = grouping.cumulative;
        let stats = self.statistics();
        self.key = key;
        self.cumulative = cumulative;
        stats
    }

    fn grouping_controls(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Group by:");
            ui.selectable_value(&mut self.key, KeyType::Lineno, "lineno");
            ui.selectable_value(&mut self.key, KeyType::Filename, "filename");
            ui.selectable_value(&mut self.key, KeyType::Traceback, "traceback");
            ui.add_enabled(self.key != KeyType::Traceback, egui::Checkbox::new(&mut self.cumulative, "cumulative"));
        });
    }

    fn statistics_view(&mut self, ui: &mut egui::Ui, filter: &str) {
        self.grouping_controls(ui);
        let stats = self.statistics();
        let table = &self.loaded.traces.table;
        let matcher = Matcher::new(filter);
        let rows: Vec<usize> = (0..stats.rows.len())
            .filter(|&i| matcher.matches(&key_text(table, stats.grouping.key, stats.rows[i].key)))
            .collect();
        ui.label(format!(
            "{} groups of {} traces, as Python's snapshot.statistics('{}'{}) gives them",
            group_digits(stats.rows.len() as u64),
            group_digits(self.loaded.traces.trace_count() as u64),
            stats.grouping.key.name(),
            if stats.grouping.cumulative { ", cumulative=True" } else { "" }
        ));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut clicked = None;
        named_table(ui, "dump_statistics", 240.0)
            .columns(Column::initial(100.0), 3)
            .header(row_height, |mut header| {
                for title in ["Location", "Size", "Count", "Average"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let r = &stats.rows[rows[row.index()]];
                    let text = key_text(table, stats.grouping.key, r.key);
                    row.col(|ui| {
                        let hover = statistic_text(&text, r.size, r.count);
                        if ui.selectable_label(false, &text).on_hover_text(hover).clicked() {
                            clicked = Some(r.key);
                        }
                    });
                    row.col(|ui| plain_size_cell(ui, r.size));
                    row.col(|ui| {
                        ui.monospace(group_digits(r.count));
                    });
                    row.col(|ui| plain_size_cell(ui, r.size / r.count.max(1)));
                });
            });
        if let Some(key) = clicked {
            self.traceback = Some(owned_frames(key_frames(table, stats.grouping.key, key)));
        }
    }

    /// The menu choosing the dump compared against, named for screen readers by `label`.
    fn base_menu(&mut self, ui: &mut egui::Ui, salt: &str, others: &[OtherDump], selected: String, label: egui::Id) {
        egui::ComboBox::from_id_salt((salt, self.id))
            .selected_text(selected)
            .show_ui(ui, |ui| {
                for other in others {
                    ui.selectable_value(&mut self.base, Some(other.id), &other.name);
                }
            })
            .response
            .labelled_by(label);
    }

    fn comparison_view(&mut self, ui: &mut egui::Ui, others: &[OtherDump], base: &OtherDump, filter: &str) {
        ui.horizontal(|ui| {
            let label = ui.label("Compared to:");
            self.base_menu(ui, "dump_base", others, base.name.clone(), label.id);
        });
        self.grouping_controls(ui);
        let diff = self.comparison(base);
        let matcher = Matcher::new(filter);
        let key = diff.grouping.key;
        let rows: Vec<usize> =
            (0..diff.rows.len()).filter(|&i| matcher.matches(&key_text(&diff.table, key, diff.rows[i].key))).collect();
        ui.label(format!(
            "{} groups, as Python's snapshot.compare_to(old, '{}'{}) gives them",
            group_digits(diff.rows.len() as u64),
            key.name(),
            if diff.grouping.cumulative { ", cumulative=True" } else { "" }
        ));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut clicked = None;
        named_table(ui, "dump_comparison", 240.0)
            .columns(Column::initial(100.0), 4)
            .header(row_height, |mut header| {
                for title in ["Location", "Size", "Size diff", "Count", "Count diff"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let r = &diff.rows[rows[row.index()]];
                    let text = key_text(&diff.table, key, r.key);
                    row.col(|ui| {
                        let hover = statistic_diff_text(&text, r.size, r.size_diff, r.count, r.count_diff);
                        if ui.selectable_label(false, &text).on_hover_text(hover).clicked() {
                            clicked = Some(r.key);
                        }
                    });
                    row.col(|ui| plain_size_cell(ui, r.size));
                    row.col(|ui| delta_cell(ui, r.size_diff as i64));
                    row.col(|ui| {
                        ui.monospace(group_digits(r.count));
                    });
                    row.col(|ui| count_delta_cell(ui, r.count_diff as i64));
                });
            });
        if let Some(k) = clicked {
            self.traceback = Some(owned_frames(key_frames(&diff.table, key, k)));
        }
    }

    fn call_tree_view(&mut self, ui: &mut egui::Ui) {
        let tree = Arc::clone(&self.loaded.tree);
        let traces = Arc::clone(&self.loaded.traces);
        let mut rows: Vec<(CallNode, usize)> = Vec::new();
        let mut stack = vec![(0u32, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            rows.push((node, depth));
            if self.tree_expanded.contains(&node) {
                for &child in tree.children(node).iter().take(500).rev() {
                    stack.push((child, depth + 1));
                }
            }
        }
        ui.label("Root, outermost frame, ..., allocating line: each frame with what it allocated itself and below it.");
        let total = tree.total_size[0];
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let (mut toggled, mut clicked) = (None, None);
        named_table(ui, "dump_call_tree", 280.0)
            .column(Column::initial(150.0))
            .columns(Column::initial(90.0), 3)
            .header(row_height, |mut header| {
                for title in ["Frame", "Total size", "Self size", "Total count", "Self count"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let (node, depth) = rows[row.index()];
                    let n = node as usize;
                    row.col(|ui| {
                        ui.add_space(depth as f32 * 14.0);
                        if tree.children(node).is_empty() {
                            super::widgets::toggle_space(ui);
                        } else if toggle(ui, self.tree_expanded.contains(&node)) {
                            toggled = Some(node);
                        }
                        let label = full_frame_label(&traces, &tree, node);
                        if ui.selectable_label(false, label).clicked() {
                            clicked = Some(node);
                        }
                    });
                    row.col(|ui| super::widgets::size_cell(ui, tree.total_size[n], total));
                    row.col(|ui| plain_size_cell(ui, tree.self_size[n]));
                    row.col(|ui| {
                        ui.monospace(group_digits(tree.total_count[n]));
                    });
                    row.col(|ui| {
                        ui.monospace(group_digits(tree.self_count[n]));
                    });
                });
            });
        if let Some(node) = toggled
            && !self.tree_expanded.remove(&node)
        {
            self.tree_expanded.insert(node);
        }
        if let Some(node) = clicked {
            self.select_node(node);
        }
    }

    /// Shows `node`'s traceback in the traceback panel.
    pub fn select_node(&mut self, node: CallNode) {
        let (tree, table) = (&self.loaded.tree, &self.loaded.traces.table);
        let frames = tree
            .path(node)
            .iter()
            .map(|&n| {
                let f = tree.frame[n as usize];
                (table.frame_file_text(f).to_string(), table.frame_line(f))
            })
            .collect();
        self.traceback = Some(frames);
    }

    /// Expands the call tree along the path to `node`.
    pub fn reveal(&mut self, node: CallNode) {
        for n in self.loaded.tree.path(node) {
            if let Some(parent) = self.loaded.tree.dominator(n) {
                self.tree_expanded.insert(parent);
            }
        }
    }

    fn flame_view(&mut self, ui: &mut egui::Ui, others: &[OtherDump], base: Option<&OtherDump>) {
        // The changes against the base are matched frame by frame in a background job; the graph
        // is drawn without colours by change until they arrive.
        if let Some((id, job)) = &self.changes_job
            && let JobPoll::Done(result) = job.poll()
        {
            if let Ok(changes) = result {
                self.flame_changes = Some((*id, Arc::new(changes)));
            }
            self.changes_job = None;
        }
        let changes = match base.filter(|_| self.differential) {
            Some(base) => {
                let cached = self.flame_changes.as_ref().filter(|(id, _)| *id == base.id).map(|(_, c)| Arc::clone(c));
                if cached.is_none() && self.changes_job.as_ref().is_none_or(|(id, _)| *id != base.id) {
                    let (new, old) = (Arc::clone(&self.loaded.traces), Arc::clone(&base.traces));
                    let (new_tree, old_tree) = (Arc::clone(&self.loaded.tree), Arc::clone(&base.tree));
                    if let Ok(job) =
                        Job::spawn("comparing call trees", super::jobs::repaint_soon(ui.ctx()), move |_| {
                            Ok(size_changes(&new_tree, &new.table, &old_tree, &old.table))
                        })
                    {
                        self.changes_job = Some((base.id, job));
                    }
                }
                cached
            }
            None => None,
        };
        if !others.is_empty() {
            ui.horizontal(|ui| {
                let label = ui.checkbox(&mut self.differential, "Differential: colour by change against");
                let name = base.map_or(String::new(), |b| b.name.clone());
                self.base_menu(ui, "flame_base", others, name, label.id);
            });
        }
        let tree = Arc::clone(&self.loaded.tree);
        let traces = Arc::clone(&self.loaded.traces);
        if let Some(node) = self.flame.show(ui, &tree, &traces.table, changes.as_deref().map(Vec::as_slice)) {
            self.select_node(node);
        }
    }

    fn traceback_panel(&mut self, ui: &mut egui::Ui) {
        let Some(frames) = &self.traceback else {
            ui.label("Select a row, a call-tree frame or a flame-graph frame to see its traceback.");
            return;
        };
        let lines: Vec<String> = frames.iter().map(|(file, line)| format!("  File \"{file}\", line {line}")).collect();
        ui.horizontal(|ui| {
            ui.strong(format!("Traceback ({} frames, oldest first)", frames.len()));
            if ui.button("Copy").on_hover_text("Copy the traceback as Python prints it").clicked() {
                ui.ctx().copy_text(lines.join("\n"));
            }
        });
        egui::ScrollArea::vertical().id_salt("traceback_scroll").auto_shrink([false, false]).show(ui, |ui| {
            for line in &lines {
                ui.monospace(line);
            }
        });
    }
}

fn owned_frames(frames: Vec<(&str, i64)>) -> Vec<(String, i64)> {
    frames.into_iter().map(|(f, l)| (f.to_string(), l)).collect()
}

/// A call-tree frame with its whole file name.
fn full_frame_label(traces: &AllocationTraces, tree: &CallTree, node: CallNode) -> String {
    let frame = tree.frame[node as usize];
    if node == 0 {
        return frame_label(&traces.table, tree, node);
    }
    format!("{}:{}", traces.table.frame_file_text(frame), traces.table.frame_line(frame))
}
