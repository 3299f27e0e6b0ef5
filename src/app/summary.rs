//! The Summary view: one row per class, virtualized, sortable by every column, filtered by a
//! class-name substring or `/regex/`.

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::analysis::aggregates::ClassAggregate;
use crate::format::{distance_text, human_size, percent};

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

/// The view's state: sort, filter and the cached row order.
pub struct SummaryView {
    sort: SortColumn,
    descending: bool,
    filter: String,
    /// Row indexes in display order; rebuilt only when the sort or filter changes.
    order: Vec<usize>,
    order_key: Option<(SortColumn, bool, String)>,
    /// The selected row (index into the rows).
    pub selected: Option<usize>,
}

impl Default for SummaryView {
    fn default() -> Self {
        Self {
            sort: SortColumn::Retained,
            descending: true,
            filter: String::new(),
            order: Vec::new(),
            order_key: None,
            selected: None,
        }
    }
}

impl SummaryView {
    fn refresh(&mut self, rows: &[ClassAggregate]) {
        let key = (self.sort, self.descending, self.filter.clone());
        if self.order_key.as_ref() == Some(&key) {
            return;
        }
        let matcher = Matcher::new(&self.filter);
        let mut order: Vec<usize> = (0..rows.len()).filter(|&i| matcher.matches(&rows[i].name)).collect();
        let by = |a: &ClassAggregate, b: &ClassAggregate| match self.sort {
            SortColumn::Name => a.name.cmp(&b.name),
            SortColumn::Distance => a.distance.cmp(&b.distance),
            SortColumn::Count => a.count.cmp(&b.count),
            SortColumn::Shallow => a.self_size.cmp(&b.self_size),
            SortColumn::Retained => a.retained_size.cmp(&b.retained_size),
        };
        order.sort_by(|&a, &b| {
            let ord = by(&rows[a], &rows[b]);
            let ord = if self.descending { ord.reverse() } else { ord };
            ord.then_with(|| rows[a].name.cmp(&rows[b].name))
        });
        self.order = order;
        self.order_key = Some(key);
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

    /// Shows the filter box and the table.
    pub fn show(&mut self, ui: &mut egui::Ui, rows: &[ClassAggregate], total: u64) {
        ui.horizontal(|ui| {
            ui.label("Class filter:");
            let edit =
                egui::TextEdit::singleline(&mut self.filter).hint_text("substring or /regex/").desired_width(280.0);
            ui.add(edit).on_hover_text("Filter classes by name (Ctrl+F)");
            ui.label(format!("{} of {} classes", self.order.len(), rows.len()));
        });
        self.refresh(rows);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("summary_table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::remainder().at_least(160.0).clip(true))
            .column(Column::initial(80.0).at_least(60.0))
            .column(Column::initial(90.0).at_least(60.0))
            .column(Column::initial(150.0).at_least(120.0))
            .column(Column::initial(150.0).at_least(120.0))
            .header(row_height + 4.0, |mut header| {
                header.col(|ui| self.header_button(ui, "Class", SortColumn::Name));
                header.col(|ui| self.header_button(ui, "Distance", SortColumn::Distance));
                header.col(|ui| self.header_button(ui, "Count", SortColumn::Count));
                header.col(|ui| self.header_button(ui, "Shallow size", SortColumn::Shallow));
                header.col(|ui| self.header_button(ui, "Retained size", SortColumn::Retained));
            })
            .body(|body| {
                body.rows(row_height, self.order.len(), |mut row| {
                    let index = self.order[row.index()];
                    let r = &rows[index];
                    row.set_selected(self.selected == Some(index));
                    row.col(|ui| {
                        ui.label(&r.name);
                    });
                    row.col(|ui| {
                        ui.monospace(distance_text(r.distance));
                    });
                    row.col(|ui| {
                        ui.monospace(r.count.to_string());
                    });
                    row.col(|ui| {
                        ui.monospace(format!("{:>10} {:>5.1}%", human_size(r.self_size), percent(r.self_size, total)))
                            .on_hover_text(format!("{} bytes", r.self_size));
                    });
                    row.col(|ui| {
                        ui.monospace(format!(
                            "{:>10} {:>5.1}%",
                            human_size(r.retained_size),
                            percent(r.retained_size, total)
                        ))
                        .on_hover_text(format!("{} bytes", r.retained_size));
                    });
                    if row.response().clicked() {
                        clicked = Some(index);
                    }
                });
            });
        if clicked.is_some() {
            self.selected = clicked;
        }
    }
}

/// A class-name filter: a case-insensitive substring, or a regex between slashes.
enum Matcher {
    All,
    Substring(String),
    Regex(regex::Regex),
}

impl Matcher {
    fn new(filter: &str) -> Self {
        let filter = filter.trim();
        if filter.is_empty() {
            return Matcher::All;
        }
        if filter.len() > 1
            && let Some(pattern) = filter.strip_prefix('/').and_then(|f| f.strip_suffix('/'))
            && let Ok(regex) = regex::Regex::new(pattern)
        {
            return Matcher::Regex(regex);
        }
        Matcher::Substring(filter.to_lowercase())
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Substring(s) => name.to_lowercase().contains(s.as_str()),
            Matcher::Regex(r) => r.is_match(name),
        }
    }
}
