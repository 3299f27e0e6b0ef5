//! The flame graph of an allocation call tree, painted with egui's painter: the root on top,
//! each frame as wide as the bytes allocated at or below it. Only frames inside the view and at
//! least a pixel wide are drawn (a narrow frame's children are narrower still), so a tree of
//! any size draws in the same time. Ctrl+wheel zooms around the pointer, dragging pans, a click
//! focuses a frame (its width fills the view), hovering shows details below the graph. Given an
//! older tree, frames are coloured by how much they grew or shrank against it.

use std::collections::HashMap;

use eframe::egui;

use crate::format::{group_digits, human_size, percent};
use crate::traces::FrameTable;
use crate::traces::call_tree::{CallNode, CallTree, ROOT_FRAME};

/// Row height in points.
const ROW: f32 = 18.0;

/// Where each node sits: its left edge and width as fractions of the root, and its depth.
pub struct FlameLayout {
    x0: Vec<f64>,
    width: Vec<f64>,
    depth: Vec<u16>,
    max_depth: u16,
}

impl FlameLayout {
    /// Lays out a tree (children in the tree's order: largest first).
    pub fn new(tree: &CallTree) -> Self {
        let n = tree.node_count();
        let total = tree.total_size[0].max(1) as f64;
        let mut layout = Self { x0: vec![0.0; n], width: vec![0.0; n], depth: vec![0; n], max_depth: 0 };
        layout.width[0] = 1.0;
        let mut stack = vec![0u32];
        while let Some(node) = stack.pop() {
            let i = node as usize;
            let mut x = layout.x0[i];
            for &child in tree.children(node) {
                let c = child as usize;
                layout.x0[c] = x;
                layout.width[c] = tree.total_size[c] as f64 / total;
                layout.depth[c] = layout.depth[i].saturating_add(1);
                layout.max_depth = layout.max_depth.max(layout.depth[c]);
                x += layout.width[c];
                stack.push(child);
            }
        }
        layout
    }
}

/// Each node of `new` against the node with the same frames (by file name and line) in `old`:
/// new total size minus old total size.
pub fn size_changes(new: &CallTree, new_table: &FrameTable, old: &CallTree, old_table: &FrameTable) -> Vec<i64> {
    let mut change = vec![0i64; new.node_count()];
    let mut old_children: HashMap<(CallNode, &str, i64), CallNode> = HashMap::new();
    for node in 1..old.node_count() as u32 {
        let frame = old.frame[node as usize];
        old_children
            .insert((old.parent[node as usize], old_table.frame_file_text(frame), old_table.frame_line(frame)), node);
    }
    let mut matched: Vec<Option<CallNode>> = vec![None; new.node_count()];
    matched[0] = Some(0);
    change[0] = new.total_size[0] as i64 - old.total_size[0] as i64;
    let mut stack = vec![0u32];
    while let Some(node) = stack.pop() {
        for &child in new.children(node) {
            let c = child as usize;
            let frame = new.frame[c];
            let twin = matched[node as usize].and_then(|parent| {
                old_children.get(&(parent, new_table.frame_file_text(frame), new_table.frame_line(frame))).copied()
            });
            matched[c] = twin;
            let before = twin.map_or(0, |t| old.total_size[t as usize]);
            change[c] = new.total_size[c] as i64 - before as i64;
            stack.push(child);
        }
    }
    change
}

/// The widget's state.
pub struct FlameGraph {
    layout: FlameLayout,
    /// The horizontal range shown, as fractions of the root.
    view: (f64, f64),
    /// The frame under the pointer.
    pub hovered: Option<CallNode>,
    /// The focused frame (clicked).
    pub focused: Option<CallNode>,
    /// Where each drawn frame was, last frame (for hit tests and automation).
    drawn: Vec<(egui::Rect, CallNode)>,
}

/// A frame's label: `file.py:12` (the file's last path component).
pub fn frame_label(table: &FrameTable, tree: &CallTree, node: CallNode) -> String {
    let frame = tree.frame[node as usize];
    if frame == ROOT_FRAME {
        return "all allocations".to_string();
    }
    let file = table.frame_file_text(frame);
    let short = file.rsplit(['/', '\\']).next().unwrap_or(file);
    format!("{short}:{}", table.frame_line(frame))
}

fn color_for(text: &str, change: Option<(i64, u64)>) -> egui::Color32 {
    match change {
        Some((delta, size)) => {
            let scale = (delta.unsigned_abs() as f64 / size.max(delta.unsigned_abs()).max(1) as f64).min(1.0);
            let strength = (60.0 + 195.0 * scale) as u8;
            if delta > 0 {
                egui::Color32::from_rgb(strength, 70, 60)
            } else if delta < 0 {
                egui::Color32::from_rgb(60, 110, strength)
            } else {
                egui::Color32::from_gray(110)
            }
        }
        None => {
            // A warm colour per file, stable across frames.
            let hash = text.bytes().fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
            egui::Color32::from_rgb(
                200 + (hash % 55) as u8,
                90 + ((hash >> 8) % 100) as u8,
                40 + ((hash >> 16) % 40) as u8,
            )
        }
    }
}

impl FlameGraph {
    /// A flame graph of `tree`.
    pub fn new(tree: &CallTree) -> Self {
        Self { layout: FlameLayout::new(tree), view: (0.0, 1.0), hovered: None, focused: None, drawn: Vec::new() }
    }

    /// Where `node` was drawn in the last frame.
    pub fn rect_of(&self, node: CallNode) -> Option<egui::Rect> {
        self.drawn.iter().find(|(_, n)| *n == node).map(|(r, _)| *r)
    }

    /// Number of frames drawn in the last frame.
    pub fn drawn_count(&self) -> usize {
        self.drawn.len()
    }

    /// Focuses `node`: its range fills the view.
    pub fn focus(&mut self, node: CallNode) {
        let i = node as usize;
        self.view = (self.layout.x0[i], self.layout.x0[i] + self.layout.width[i].max(1e-12));
        self.focused = Some(node);
    }

    /// Shows the graph and the details line; `changes` (per node, from [`size_changes`]) turns
    /// on differential colouring. Returns the clicked frame.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        tree: &CallTree,
        table: &FrameTable,
        changes: Option<&[i64]>,
    ) -> Option<CallNode> {
        ui.horizontal(|ui| {
            if ui.button("Reset zoom").clicked() {
                self.view = (0.0, 1.0);
                self.focused = None;
            }
            ui.label("Click a frame to focus it; Ctrl+wheel zooms, drag pans.");
            if changes.is_some() {
                ui.colored_label(egui::Color32::from_rgb(220, 70, 60), "grew");
                ui.colored_label(egui::Color32::from_rgb(60, 110, 220), "shrank");
            }
        });
        let total = tree.total_size[0];
        let details = self.hovered.or(self.focused);
        let text = match details {
            Some(node) => {
                let n = node as usize;
                let mut text = format!(
                    "{}: total {} ({} bytes, {:.1}%), self {}, {} allocations",
                    frame_label(table, tree, node),
                    human_size(tree.total_size[n]),
                    group_digits(tree.total_size[n]),
                    percent(tree.total_size[n], total),
                    human_size(tree.self_size[n]),
                    group_digits(tree.total_count[n])
                );
                if let Some(changes) = changes {
                    text.push_str(&format!(", change {}", crate::format::signed_size(changes[n])));
                }
                text
            }
            None => "Hover a frame for its sizes.".to_string(),
        };
        ui.label(text);
        let height = f32::from(self.layout.max_depth + 1) * ROW;
        let mut clicked = None;
        egui::ScrollArea::vertical().id_salt("flame_scroll").auto_shrink([false, false]).show(ui, |ui| {
            let width = ui.available_width().max(100.0);
            let (rect, response) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::click_and_drag());
            // Zoom around the pointer, pan by dragging.
            let span = self.view.1 - self.view.0;
            if response.hovered() {
                let zoom = ui.input(|i| i.zoom_delta());
                if (zoom - 1.0).abs() > f32::EPSILON
                    && let Some(pointer) = response.hover_pos()
                {
                    let at = self.view.0 + span * f64::from((pointer.x - rect.left()) / rect.width());
                    let new_span = (span / f64::from(zoom)).clamp(1e-9, 1.0);
                    let left = (at - (at - self.view.0) * new_span / span).clamp(0.0, 1.0 - new_span);
                    self.view = (left, left + new_span);
                }
            }
            if response.dragged() {
                let dx = f64::from(response.drag_delta().x / rect.width()) * span;
                let left = (self.view.0 - dx).clamp(0.0, 1.0 - span);
                self.view = (left, left + span);
            }
            let painter = ui.painter_at(rect);
            let clip = ui.clip_rect();
            let (v0, scale) = (self.view.0, f64::from(rect.width()) / (self.view.1 - self.view.0));
            self.drawn.clear();
            let font = egui::FontId::proportional(12.0);
            let mut stack = vec![0u32];
            while let Some(node) = stack.pop() {
                let i = node as usize;
                let x0 = rect.left() + ((self.layout.x0[i] - v0) * scale) as f32;
                let w = (self.layout.width[i] * scale) as f32;
                let y0 = rect.top() + f32::from(self.layout.depth[i]) * ROW;
                // Narrower than a pixel, or outside the view: skip it and everything below it.
                if w < 1.0 || x0 > rect.right() || x0 + w < rect.left() || y0 > clip.bottom() {
                    continue;
                }
                let frame_rect = egui::Rect::from_min_size(egui::pos2(x0, y0), egui::vec2(w, ROW - 1.0));
                let label = frame_label(table, tree, node);
                let change = changes.map(|c| (c[i], tree.total_size[i]));
                if frame_rect.bottom() >= clip.top() {
                    painter.rect_filled(frame_rect, 2.0, color_for(&label, change));
                    if w > 40.0 {
                        let text_rect = frame_rect.shrink2(egui::vec2(3.0, 0.0)).intersect(rect);
                        painter.with_clip_rect(text_rect).text(
                            egui::pos2(text_rect.left(), frame_rect.center().y),
                            egui::Align2::LEFT_CENTER,
                            label,
                            font.clone(),
                            egui::Color32::BLACK,
                        );
                    }
                    self.drawn.push((frame_rect, node));
                }
                stack.extend(tree.children(node).iter().copied());
            }
            self.hovered =
                response.hover_pos().and_then(|p| self.drawn.iter().find(|(r, _)| r.contains(p)).map(|(_, n)| *n));
            if response.clicked()
                && let Some(p) = response.interact_pointer_pos()
                && let Some(&(_, node)) = self.drawn.iter().find(|(r, _)| r.contains(p))
            {
                self.focus(node);
                clicked = Some(node);
            }
        });
        clicked
    }
}
