//! The Summary view: one row per class, virtualized, sortable by every column, filtered by the
//! shared filter box; a class expands to its objects (largest retained size first, a page at a
//! time) and an object to its outgoing references, lazily.

use std::collections::{HashMap, HashSet};

use eframe::egui;
use egui_extras::Column;

use super::widgets::{Matcher, named_table, size_cell, table_keys, toggle};
use crate::analysis::Analysis;
use crate::analysis::aggregates::ClassAggregate;
use crate::format::{distance_text, group_digits};
use crate::graph::HeapGraph;

/// Objects listed per page when a class is expanded.
const PAGE: usize = 100;
/// Deepest reference nesting shown.
const MAX_DEPTH: usize = 12;

/// A sortable column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    /// Class name.
    Name,
    /// Minimum distance.
    Distance,
    /// Object count.
    Count,
    /// Shallow size.
    Shallow,
    /// Retained size.
    Retained,
}

/// A row of the flattened, visible table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Row {
    /// A class (index into the aggregates).
    Class(usize),
    /// An object of an expanded class, or the target of a reference; `edge` is the reference.
    Object { node: u32, edge: Option<u32>, depth: usize },
    /// "Show more" for an expanded class.
    More { class: usize, shown: usize },
}

/// What the user did in the view this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryEvent {
    /// An object was selected.
    Select(u32),
}

/// The view's state: sort, expansion, the cached row order and the keyboard cursor.
pub struct SummaryView {
    sort: SortColumn,
    descending: bool,
    /// Class indexes in display order; rebuilt only when the sort or filter changes.
    order: Vec<usize>,
    order_key: Option<(SortColumn, bool, String)>,
    expanded_classes: HashSet<usize>,
    expanded_nodes: HashSet<u32>,
    shown_per_class: HashMap<usize, usize>,
    objects_by_class: HashMap<usize, Vec<u32>>,
    rows: Vec<Row>,
    rows_dirty: bool,
    cursor: Option<usize>,
    scroll_to_cursor: bool,
    /// The selected class (index into the aggregates).
    pub selected_class: Option<usize>,
    /// The selected object.
    pub selected_node: Option<u32>,
}

impl Default for SummaryView {
    fn default() -> Self {
        Self {
            sort: SortColumn::Retained,
            descending: true,
            order: Vec::new(),
            order_key: None,
            expanded_classes: HashSet::new(),
            expanded_nodes: HashSet::new(),
            shown_per_class: HashMap::new(),
            objects_by_class: HashMap::new(),
            rows: Vec::new(),
            rows_dirty: true,
            cursor: None,
            scroll_to_cursor: false,
            selected_class: None,
            selected_node: None,
        }
    }
}

impl SummaryView {
    fn refresh_order(&mut self, classes: &[ClassAggregate], filter: &str) {
        let key = (self.sort, self.descending, filter.to_string());
        if self.order_key.as_ref() == Some(&key) {
            return;
        }
        let matcher = Matcher::new(filter);
        let mut order: Vec<usize> = (0..classes.len()).filter(|&i| matcher.matches(&classes[i].name)).collect();
        let by = |a: &ClassAggregate, b: &ClassAggregate| match self.sort {
            SortColumn::Name => a.name.cmp(&b.name),
            SortColumn::Distance => a.distance.cmp(&b.distance),
            SortColumn::Count => a.count.cmp(&b.count),
            SortColumn::Shallow => a.self_size.cmp(&b.self_size),
            SortColumn::Retained => a.retained_size.cmp(&b.retained_size),
        };
        order.sort_by(|&a, &b| {
            let ord = by(&classes[a], &classes[b]);
            let ord = if self.descending { ord.reverse() } else { ord };
            ord.then_with(|| classes[a].name.cmp(&classes[b].name))
        });
        self.order = order;
        self.order_key = Some(key);
        self.rows_dirty = true;
    }

    /// The `limit` largest objects of a class by retained size, largest first. A partial
    /// selection, not a full sort: a class can have millions of objects.
    fn objects(&mut self, class: usize, limit: usize, classes: &[ClassAggregate], analysis: &Analysis) -> Vec<u32> {
        let cached =
            self.objects_by_class.get(&class).filter(|list| list.len() >= limit.min(classes[class].nodes.len()));
        if let Some(list) = cached {
            return list[..limit.min(list.len())].to_vec();
        }
        let order = |a: &u32, b: &u32| {
            analysis.retained.get(*b as usize).cmp(&analysis.retained.get(*a as usize)).then(a.cmp(b))
        };
        let mut nodes = classes[class].nodes.clone();
        if nodes.len() > limit {
            nodes.select_nth_unstable_by(limit, order);
            nodes.truncate(limit);
        }
        nodes.sort_unstable_by(order);
        self.objects_by_class.insert(class, nodes.clone());
        nodes
    }

    fn rebuild_rows(&mut self, graph: &HeapGraph, analysis: &Analysis, classes: &[ClassAggregate]) {
        if !self.rows_dirty {
            return;
        }
        let mut rows = Vec::with_capacity(self.order.len());
        let order = std::mem::take(&mut self.order);
        for &class in &order {
            rows.push(Row::Class(class));
            if !self.expanded_classes.contains(&class) {
                continue;
            }
            let shown = *self.shown_per_class.get(&class).unwrap_or(&PAGE);
            let objects = self.objects(class, shown, classes, analysis);
            for node in objects {
                self.push_object(&mut rows, graph, node, None, 1);
            }
            if classes[class].nodes.len() > shown {
                rows.push(Row::More { class, shown });
            }
        }
        self.order = order;
        self.rows = rows;
        self.rows_dirty = false;
    }

    fn push_object(&self, rows: &mut Vec<Row>, graph: &HeapGraph, node: u32, edge: Option<u32>, depth: usize) {
        rows.push(Row::Object { node, edge, depth });
        if depth < MAX_DEPTH && self.expanded_nodes.contains(&node) {
            for e in graph.edges_of(node) {
                self.push_object(rows, graph, graph.edge_target(e), Some(e), depth + 1);
            }
        }
    }

    fn header_button(&mut self, ui: &mut egui::Ui, label: &str, column: SortColumn) {
        let arrow = if self.sort == column { if self.descending { " ⏷" } else { " ⏶" } } else { "" };
        if ui.button(format!("{label}{arrow}")).on_hover_text(format!("Sort by {}", label.to_lowercase())).clicked() {
            if self.sort == column {
                self.descending = !self.descending;
            } else {
                self.sort = column;
                self.descending = !matches!(column, SortColumn::Name | SortColumn::Distance);
            }
        }
    }

    /// Expands or collapses a row.
    fn toggle_row(&mut self, row: Row) {
        match row {
            Row::Class(class) => {
                if !self.expanded_classes.remove(&class) {
                    self.expanded_classes.insert(class);
                }
            }
            Row::Object { node, .. } => {
                if !self.expanded_nodes.remove(&node) {
                    self.expanded_nodes.insert(node);
                }
            }
            Row::More { class, shown } => {
                self.shown_per_class.insert(class, shown + PAGE);
            }
        }
        self.rows_dirty = true;
    }

    /// Makes `row` the cursor row (and the selection).
    fn activate(&mut self, index: usize, events: &mut Vec<SummaryEvent>) {
        self.cursor = Some(index);
        match self.rows.get(index) {
            Some(&Row::Class(class)) => self.selected_class = Some(class),
            Some(&Row::Object { node, .. }) => {
                self.selected_node = Some(node);
                events.push(SummaryEvent::Select(node));
            }
            _ => {}
        }
    }

    /// Arrow keys move the cursor, Enter expands or collapses its row.
    fn keyboard(&mut self, ui: &egui::Ui, events: &mut Vec<SummaryEvent>) {
        let keys = table_keys(ui, self.cursor, self.rows.len());
        if let Some(next) = keys.moved_to {
            self.activate(next, events);
            self.scroll_to_cursor = true;
        }
        if keys.enter
            && let Some(row) = self.cursor.and_then(|c| self.rows.get(c).copied())
        {
            self.toggle_row(row);
        }
    }

    /// Shows the table; returns what the user selected.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        graph: &HeapGraph,
        analysis: &Analysis,
        classes: &[ClassAggregate],
        filter: &str,
    ) -> Vec<SummaryEvent> {
        let total = analysis.total_size(graph);
        self.refresh_order(classes, filter);
        self.rebuild_rows(graph, analysis, classes);
        let mut events = Vec::new();
        self.keyboard(ui, &mut events);
        ui.label(format!(
            "{} of {} classes; click a class to expand it, an object to see its retainers (arrows, Enter)",
            self.order.len(),
            classes.len()
        ));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut toggled = None;
        let mut clicked = None;
        let mut table = named_table(ui, "summary_table", 100.0)
            .sense(egui::Sense::click())
            .column(Column::initial(70.0).at_least(50.0))
            .column(Column::initial(90.0).at_least(60.0))
            .column(Column::initial(150.0).at_least(120.0))
            .column(Column::initial(150.0).at_least(120.0));
        if self.scroll_to_cursor
            && let Some(cursor) = self.cursor
        {
            table = table.scroll_to_row(cursor, None);
            self.scroll_to_cursor = false;
        }
        table
            .header(row_height + 2.0, |mut header| {
                header.col(|ui| self.header_button(ui, "Class", SortColumn::Name));
                header.col(|ui| self.header_button(ui, "Distance", SortColumn::Distance));
                header.col(|ui| self.header_button(ui, "Count", SortColumn::Count));
                header.col(|ui| self.header_button(ui, "Shallow size", SortColumn::Shallow));
                header.col(|ui| self.header_button(ui, "Retained size", SortColumn::Retained));
            })
            .body(|body| {
                body.rows(row_height, self.rows.len(), |mut row| {
                    let index = row.index();
                    let item = self.rows[index];
                    row.set_selected(self.cursor == Some(index));
                    match item {
                        Row::Class(class) => {
                            let c = &classes[class];
                            row.col(|ui| {
                                if toggle(ui, self.expanded_classes.contains(&class)) {
                                    toggled = Some(item);
                                }
                                if ui.selectable_label(self.cursor == Some(index), &c.name).clicked() {
                                    clicked = Some(index);
                                }
                            });
                            row.col(|ui| {
                                ui.monospace(distance_text(c.distance));
                            });
                            row.col(|ui| {
                                ui.monospace(group_digits(c.count));
                            });
                            row.col(|ui| size_cell(ui, c.self_size, total));
                            row.col(|ui| size_cell(ui, c.retained_size, total));
                        }
                        Row::Object { node, edge, depth } => {
                            let v = node as usize;
                            row.col(|ui| {
                                ui.add_space(depth as f32 * 16.0);
                                if graph.edge_count_of(node) == 0 {
                                    super::widgets::toggle_space(ui);
                                } else if toggle(ui, self.expanded_nodes.contains(&node)) {
                                    toggled = Some(item);
                                }
                                let mut text = String::new();
                                if let Some(e) = edge {
                                    text.push_str(&format!("{} {} -> ", graph.edge_type_name(e), graph.edge_name(e)));
                                }
                                let name: String = analysis.display_name(graph, node).chars().take(120).collect();
                                text.push_str(&format!("{name} @{}", graph.node_id(node)));
                                if ui.selectable_label(self.selected_node == Some(node), text).clicked() {
                                    clicked = Some(index);
                                }
                            });
                            row.col(|ui| {
                                ui.monospace(distance_text(analysis.distance[v]));
                            });
                            row.col(|ui| {
                                ui.monospace("");
                            });
                            row.col(|ui| size_cell(ui, analysis.self_sizes.get(v), total));
                            row.col(|ui| size_cell(ui, analysis.retained.get(v), total));
                        }
                        Row::More { class, shown } => {
                            row.col(|ui| {
                                ui.add_space(16.0);
                                let left = classes[class].nodes.len() - shown;
                                if ui
                                    .link(format!("show {} more of {}", left.min(PAGE), group_digits(left as u64)))
                                    .clicked()
                                {
                                    toggled = Some(item);
                                }
                            });
                            for _ in 0..4 {
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
            self.activate(index, &mut events);
        }
        if let Some(row) = toggled {
            self.toggle_row(row);
        }
        events
    }

    /// Expands a class by its name and selects its largest object (used by searches and tests).
    pub fn reveal_class(&mut self, classes: &[ClassAggregate], name: &str) -> Option<usize> {
        let class = classes.iter().position(|c| c.name == name)?;
        self.expanded_classes.insert(class);
        self.selected_class = Some(class);
        self.rows_dirty = true;
        Some(class)
    }
}
