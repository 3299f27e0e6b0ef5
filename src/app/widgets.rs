//! Small pieces shared by the views: the name filter, size cells with exact bytes on hover,
//! expand toggles, the busy indicator.

use eframe::egui;

use crate::format::{human_size, percent, signed_count, signed_size};

/// A name filter: a case-insensitive substring, or a regular expression between slashes.
pub enum Matcher {
    /// No filter.
    All,
    /// A lowercase substring.
    Substring(String),
    /// A regular expression.
    Regex(regex::Regex),
}

impl Matcher {
    /// Parses the filter box's text.
    pub fn new(filter: &str) -> Self {
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

    /// True when `name` passes.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Substring(s) => name.to_lowercase().contains(s.as_str()),
            Matcher::Regex(r) => r.is_match(name),
        }
    }
}

/// A size with its share of `total`, right-aligned digits, exact bytes on hover.
pub fn size_cell(ui: &mut egui::Ui, bytes: u64, total: u64) {
    ui.monospace(format!("{:>10} {:>5.1}%", human_size(bytes), percent(bytes, total)))
        .on_hover_text(format!("{} bytes", crate::format::group_digits(bytes)));
}

/// A size without a share.
pub fn plain_size_cell(ui: &mut egui::Ui, bytes: u64) {
    ui.monospace(format!("{:>10}", human_size(bytes)))
        .on_hover_text(format!("{} bytes", crate::format::group_digits(bytes)));
}

/// A signed size: growth in red, shrinkage in green, exact bytes on hover.
pub fn delta_cell(ui: &mut egui::Ui, bytes: i64) {
    let color = match bytes.signum() {
        1 => egui::Color32::from_rgb(0xd0, 0x40, 0x40),
        -1 => egui::Color32::from_rgb(0x30, 0xa0, 0x50),
        _ => ui.visuals().text_color(),
    };
    ui.label(egui::RichText::new(format!("{:>11}", signed_size(bytes))).monospace().color(color))
        .on_hover_text(format!("{bytes:+} bytes"));
}

/// A signed count, coloured like [`delta_cell`].
pub fn count_delta_cell(ui: &mut egui::Ui, count: i64) {
    let color = match count.signum() {
        1 => egui::Color32::from_rgb(0xd0, 0x40, 0x40),
        -1 => egui::Color32::from_rgb(0x30, 0xa0, 0x50),
        _ => ui.visuals().text_color(),
    };
    ui.label(egui::RichText::new(signed_count(count)).monospace().color(color));
}

/// The smallest size of an expand/collapse button.
const TOGGLE_SIZE: egui::Vec2 = egui::vec2(18.0, 16.0);

fn toggle_button(text: &str) -> egui::Button<'_> {
    egui::Button::new(egui::RichText::new(text).monospace()).small()
}

/// An expand/collapse button; true when clicked.
pub fn toggle(ui: &mut egui::Ui, expanded: bool) -> bool {
    let (text, hover) = if expanded { ("-", "Collapse") } else { ("+", "Expand") };
    ui.add_sized(TOGGLE_SIZE, toggle_button(text)).on_hover_text(hover).clicked()
}

/// The room of a [`toggle`] without one (an unpainted button of the same size), so rows that
/// cannot expand line up with those that can.
pub fn toggle_space(ui: &mut egui::Ui) {
    ui.scope(|ui| {
        ui.set_invisible();
        ui.add_sized(TOGGLE_SIZE, toggle_button("+"));
    });
}

/// What the keyboard did to a table this frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableKeys {
    /// The cursor row after the arrow keys, when they moved it.
    pub moved_to: Option<usize>,
    /// Enter was pressed (on the cursor row).
    pub enter: bool,
}

/// Arrow keys move a table's cursor over `len` rows, Enter acts on it; nothing happens while a
/// text field has the keyboard.
pub fn table_keys(ui: &egui::Ui, cursor: Option<usize>, len: usize) -> TableKeys {
    if ui.ctx().egui_wants_keyboard_input() || len == 0 {
        return TableKeys::default();
    }
    let (down, up, enter) = ui.input_mut(|i| {
        (
            i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
            i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
            i.consume_key(egui::Modifiers::NONE, egui::Key::Enter),
        )
    });
    let moved_to = (down || up).then(|| match (cursor, down) {
        (None, _) => 0,
        (Some(c), true) => (c + 1).min(len - 1),
        (Some(c), false) => c.saturating_sub(1),
    });
    TableKeys { moved_to, enter: enter && cursor.is_some() }
}

/// How often the busy indicator moves. egui's spinner asks for a new frame every frame, which
/// keeps a core drawing while the background job it waits for needs it (above all where the
/// window is drawn in software); ten steps a second read as motion just as well.
const BUSY_STEP: std::time::Duration = std::time::Duration::from_millis(100);

/// A spinner that moves [`BUSY_STEP`] at a time instead of every frame.
pub fn busy_indicator(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.style().spacing.interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::new(egui::Role::ProgressIndicator));
    if ui.is_rect_visible(rect) {
        ui.ctx().request_repaint_after(BUSY_STEP);
        let step = BUSY_STEP.as_secs_f64();
        let time = (ui.input(|i| i.time) / step).floor() * step;
        let radius = rect.height().min(rect.width()) * 0.5 - 2.0;
        let start = time * std::f64::consts::TAU;
        let end = start + 240f64.to_radians() * time.sin();
        let points: Vec<egui::Pos2> = (0..=24)
            .map(|i| {
                let angle = start + (end - start) * f64::from(i) / 24.0;
                rect.center() + radius * egui::vec2(angle.cos() as f32, angle.sin() as f32)
            })
            .collect();
        ui.painter().add(egui::Shape::line(points, egui::Stroke::new(3.0, ui.visuals().strong_text_color())));
    }
    response
}

/// A table in the app's style: striped rows, resizable columns, cells centred vertically.
pub fn styled_table<'a>(ui: &'a mut egui::Ui, id: &str) -> egui_extras::TableBuilder<'a> {
    egui_extras::TableBuilder::new(ui)
        .id_salt(id)
        .striped(true)
        .resizable(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
}

/// A [`styled_table`] whose first column holds names and takes the width the other columns
/// leave, at least `min_width`. It is not resizable: a resizable column keeps its width when
/// the window shrinks, and would push the numbers out of view.
pub fn named_table<'a>(ui: &'a mut egui::Ui, id: &str, min_width: f32) -> egui_extras::TableBuilder<'a> {
    styled_table(ui, id).column(egui_extras::Column::remainder().at_least(min_width).clip(true).resizable(false))
}
