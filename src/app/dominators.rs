//! The dominator tree: from the root down, each node's children (the objects it alone keeps
//! alive) sorted by retained size, expanded lazily, with the share of the total.

use std::collections::{HashMap, HashSet};

use eframe::egui;
use egui_extras::Column;

use super::widgets::{named_table, size_cell, toggle};
use crate::analysis::Analysis;
use crate::format::distance_text;
use crate::graph::HeapGraph;

/// Children listed per page.
const PAGE: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Row {
    Node { node: u32, depth: usize },
    More { parent: u32, shown: usize, depth: usize },
}

/// The view's state.
#[derive(Default)]
pub struct DominatorView {
    /// Whether the tree was opened (the root expanded) yet.
    opened: bool,
    sorted: HashMap<u32, Vec<u32>>,
    expanded: HashSet<u32>,
    shown: HashMap<u32, usize>,
    rows: Vec<Row>,
    dirty: bool,
    cursor: Option<usize>,
    /// The selected node.
    pub selected: Option<u32>,
}

impl DominatorView {
    fn sorted_children(&mut self, analysis: &Analysis, node: u32) -> &[u32] {
        self.sorted.entry(node).or_insert_with(|| {
            let mut list = analysis.dominator_children().get(node).to_vec();
            list.sort_unstable_by(|&a, &b| {
                analysis.retained.get(b as usize).cmp(&analysis.retained.get(a as usize)).then(a.cmp(&b))
            });
            list
        })
    }

    fn rebuild(&mut self, graph: &HeapGraph, analysis: &Analysis) {
        if !self.opened {
            self.opened = true;
            self.expanded.insert(graph.root());
            self.dirty = true;
        }
        if !self.dirty {
            return;
        }
        let mut rows = Vec::new();
        // Depth first; a page's "more" row is pushed before the children, so it comes after them.
        let mut stack = vec![Row::Node { node: graph.root(), depth: 0 }];
        while let Some(row) = stack.pop() {
            rows.push(row);
            let Row::Node { node, depth } = row else { continue };
            if !self.expanded.contains(&node) {
                continue;
            }
            let shown = *self.shown.get(&node).unwrap_or(&PAGE);
            let children: Vec<u32> = self.sorted_children(analysis, node).to_vec();
            if children.len() > shown {
                stack.push(Row::More { parent: node, shown, depth: depth + 1 });
            }
            for &child in children.iter().take(shown).rev() {
                stack.push(Row::Node { node: child, depth: depth + 1 });
            }
        }
        self.rows = rows;
        self.dirty = false;
    }

    /// Shows the tree; returns the node the user selected, if any.
    pub fn show(&mut self, ui: &mut egui::Ui, graph: &HeapGraph, analysis: &Analysis) -> Option<u32> {
        self.rebuild(graph, analysis);
        let total = analysis.total_size(graph);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut selected = None;
        let mut toggled: Option<Row> = None;
        let keys = super::widgets::table_keys(ui, self.cursor, self.rows.len());
        if let Some(next) = keys.moved_to {
            self.cursor = Some(next);
            if let Some(Row::Node { node, .. }) = self.rows.get(next) {
                selected = Some(*node);
            }
        }
        if keys.enter {
            toggled = self.cursor.and_then(|c| self.rows.get(c).copied());
        }
        ui.label("The dominator tree: each object's children are the objects only it keeps alive.");
        let mut table = named_table(ui, "dominator_table", 160.0)
            .sense(egui::Sense::click())
            .column(Column::initial(70.0))
            .column(Column::initial(150.0))
            .column(Column::initial(150.0));
        if let Some(cursor) = self.cursor.filter(|_| selected.is_some()) {
            table = table.scroll_to_row(cursor, None);
        }
        let mut clicked = None;
        table
            .header(row_height, |mut header| {
                header.col(|ui| {
                    ui.strong("Object");
                });
                header.col(|ui| {
                    ui.strong("Distance");
                });
                header.col(|ui| {
                    ui.strong("Shallow size");
                });
                header.col(|ui| {
                    ui.strong("Retained size ⏷");
                });
            })
            .body(|body| {
                body.rows(row_height, self.rows.len(), |mut row| {
                    let index = row.index();
                    let item = self.rows[index];
                    row.set_selected(self.cursor == Some(index));
                    match item {
                        Row::Node { node, depth } => {
                            let v = node as usize;
                            let has_children = !analysis.dominator_children().get(node).is_empty();
                            row.col(|ui| {
                                ui.add_space(depth as f32 * 16.0);
                                if !has_children {
                                    super::widgets::toggle_space(ui);
                                } else if toggle(ui, self.expanded.contains(&node)) {
                                    toggled = Some(item);
                                }
                                let name: String = analysis.display_name(graph, node).chars().take(100).collect();
                                let name =
                                    if name.is_empty() { analysis.class_name(graph, node).to_string() } else { name };
                                if ui
                                    .selectable_label(
                                        self.selected == Some(node),
                                        format!("{name} @{}", graph.node_id(node)),
                                    )
                                    .clicked()
                                {
                                    clicked = Some(index);
                                }
                            });
                            row.col(|ui| {
                                ui.monospace(distance_text(analysis.distance[v]));
                            });
                            row.col(|ui| size_cell(ui, analysis.self_sizes.get(v), total));
                            row.col(|ui| size_cell(ui, analysis.retained.get(v), total));
                        }
                        Row::More { parent, shown, depth } => {
                            row.col(|ui| {
                                ui.add_space(depth as f32 * 16.0);
                                let all = analysis.dominator_children().get(parent).len();
                                if ui.link(format!("show more ({} of {all} shown)", shown.min(all))).clicked() {
                                    toggled = Some(item);
                                }
                            });
                            for _ in 0..3 {
                                row.col(|_| {});
                            }
                        }
                    }
                    if row.response().clicked() {
                        clicked = Some(index);
                    }
                });
            });
        if let Some(index) = clicked {
            self.cursor = Some(index);
            if let Some(Row::Node { node, .. }) = self.rows.get(index) {
                selected = Some(*node);
            }
        }
        match toggled {
            Some(Row::Node { node, .. }) => {
                if !self.expanded.remove(&node) {
                    self.expanded.insert(node);
                }
                self.dirty = true;
            }
            Some(Row::More { parent, shown, .. }) => {
                self.shown.insert(parent, shown + PAGE);
                self.dirty = true;
            }
            None => {}
        }
        if selected.is_some() {
            self.selected = selected;
        }
        selected
    }
}
