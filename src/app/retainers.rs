//! The Retainers pane: what keeps the selected object alive. Its details, the flat path to the
//! root (root at the top), the k shortest paths, DevTools' retainer chain and a lazily expanded
//! retainer tree with distances; "ignore this retainer" (and restore) recomputes the paths in a
//! background job. Paths export to JSON, Markdown or DOT, and copy to the clipboard as Markdown.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::jobs::{Job, JobPoll};
use super::widgets::plain_size_cell;
use crate::analysis::Analysis;
use crate::analysis::paths::{IgnoreSet, RetainerPath, devtools_chain, devtools_retainers, k_shortest_paths};
use crate::export::paths::{PathDocument, document, dot, markdown};
use crate::export::write_atomically;
use crate::format::{distance_text, human_size};
use crate::graph::HeapGraph;

/// What the pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetainerMode {
    /// The shortest path, root at the top.
    PathToRoot,
    /// The k shortest paths.
    Shortest,
    /// DevTools' automatically expanded chain.
    Chain,
    /// The retainers, expanded by hand.
    Tree,
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The versioned JSON document.
    Json,
    /// Markdown tables.
    Markdown,
    /// Graphviz DOT.
    Dot,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Markdown => "md",
            ExportFormat::Dot => "dot",
        }
    }

    /// The document in this format.
    pub fn render(self, doc: &PathDocument) -> String {
        match self {
            ExportFormat::Json => serde_json::to_string_pretty(doc).map(|s| s + "\n").unwrap_or_default(),
            ExportFormat::Markdown => markdown(doc),
            ExportFormat::Dot => dot(doc),
        }
    }
}

/// Paths computed for one (object, ignore set, k).
pub struct PathsResult {
    node: u32,
    ignore: Vec<u32>,
    k: usize,
    /// The k shortest paths, shortest first.
    pub shortest: Vec<RetainerPath>,
    /// DevTools' chain.
    pub chain: RetainerPath,
}

/// The pane's state (one per open snapshot).
pub struct RetainersPane {
    /// The object.
    pub node: Option<u32>,
    /// Ignored retainers.
    pub ignore: IgnoreSet,
    /// How many shortest paths.
    pub k: usize,
    /// What is shown.
    pub mode: RetainerMode,
    result: Option<PathsResult>,
    job: Option<Job<PathsResult>>,
    tree_expanded: HashSet<u32>,
    tree_cache: HashMap<u32, Vec<(u32, u32)>>,
    /// Where exports go instead of asking with a save dialog (for automation).
    pub export_to: Option<PathBuf>,
    /// The last export's outcome.
    pub message: Option<String>,
}

impl Default for RetainersPane {
    fn default() -> Self {
        Self {
            node: None,
            ignore: IgnoreSet::default(),
            k: 3,
            mode: RetainerMode::PathToRoot,
            result: None,
            job: None,
            tree_expanded: HashSet::new(),
            tree_cache: HashMap::new(),
            export_to: None,
            message: None,
        }
    }
}

impl RetainersPane {
    /// Shows `node`'s retainers from now on.
    pub fn select(&mut self, node: u32) {
        if self.node != Some(node) {
            self.node = Some(node);
            self.tree_expanded.clear();
            self.message = None;
        }
    }

    /// True while paths are being computed.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The current paths, when they match the selection.
    pub fn result(&self) -> Option<&PathsResult> {
        self.result.as_ref().filter(|r| Some(r.node) == self.node && r.ignore == self.ignore.sorted() && r.k == self.k)
    }

    /// Starts or collects the path job for the current selection.
    fn update(&mut self, ctx: &egui::Context, graph: &Arc<HeapGraph>, analysis: &Arc<Analysis>) {
        if let Some(job) = &self.job
            && let JobPoll::Done(result) = job.poll()
        {
            self.job = None;
            match result {
                Ok(result) => self.result = Some(result),
                Err(message) => self.message = Some(message),
            }
        }
        let Some(node) = self.node else { return };
        if self.job.is_some() || self.result().is_some() {
            return;
        }
        let (graph, analysis) = (Arc::clone(graph), Arc::clone(analysis));
        let (ignore, k) = (self.ignore.clone(), self.k);
        let job = Job::spawn("retainer paths", super::jobs::repaint_soon(ctx), move |_| {
            Ok(PathsResult {
                node,
                ignore: ignore.sorted(),
                k,
                shortest: k_shortest_paths(&graph, &analysis, node, k, &ignore),
                chain: devtools_chain(&graph, &analysis, node, &ignore),
            })
        });
        match job {
            Ok(job) => self.job = Some(job),
            Err(e) => self.message = Some(format!("cannot start the path search: {e}")),
        }
    }

    /// The paths the current mode shows, for export.
    fn shown_paths(&self) -> Vec<(RetainerPath, u64)> {
        let Some(result) = self.result() else { return Vec::new() };
        match self.mode {
            RetainerMode::Chain => vec![(result.chain.clone(), 1)],
            RetainerMode::PathToRoot => result.shortest.first().map(|p| vec![(p.clone(), 1)]).unwrap_or_default(),
            RetainerMode::Shortest | RetainerMode::Tree => result.shortest.iter().map(|p| (p.clone(), 1)).collect(),
        }
    }

    /// Writes the shown paths to `path` in `format`.
    pub fn export(
        &mut self,
        graph: &HeapGraph,
        analysis: &Analysis,
        snapshot: &str,
        format: ExportFormat,
        path: &std::path::Path,
    ) -> Result<(), String> {
        let paths = self.shown_paths();
        if paths.is_empty() {
            return Err("no path to export yet".into());
        }
        let text = format.render(&document(graph, analysis, snapshot, &paths));
        write_atomically(path, |out| out.write_all(text.as_bytes()))
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))
    }

    fn export_clicked(&mut self, graph: &HeapGraph, analysis: &Analysis, snapshot: &str, format: ExportFormat) {
        let target = match &self.export_to {
            Some(path) => Some(path.clone()),
            None => rfd::FileDialog::new()
                .set_file_name(format!("retainers.{}", format.extension()))
                .add_filter(format.extension(), &[format.extension()])
                .save_file(),
        };
        if let Some(path) = target {
            self.message = Some(match self.export(graph, analysis, snapshot, format, &path) {
                Ok(()) => format!("exported to {}", path.display()),
                Err(e) => e,
            });
        }
    }

    /// Shows the pane.
    pub fn show(&mut self, ui: &mut egui::Ui, graph: &Arc<HeapGraph>, analysis: &Arc<Analysis>, snapshot: &str) {
        self.update(ui.ctx(), graph, analysis);
        let Some(node) = self.node else {
            ui.label("Select an object (in Summary, Dominators or Leaks) to see what keeps it alive.");
            return;
        };
        let (g, a) = (&**graph, &**analysis);
        let v = node as usize;
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Retainers of {} @{}", short_name(g, a, node), g.node_id(node)));
            ui.label(format!(
                "{} · self {} · retained {} · distance {} · dominator @{}",
                g.node_type_name(node),
                human_size(a.self_sizes.get(v)),
                human_size(a.retained.get(v)),
                distance_text(a.distance[v]),
                g.node_id(a.dominator[v])
            ));
        });
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.mode, RetainerMode::PathToRoot, "Path to root");
            ui.selectable_value(&mut self.mode, RetainerMode::Shortest, "Shortest paths");
            ui.selectable_value(&mut self.mode, RetainerMode::Chain, "DevTools chain");
            ui.selectable_value(&mut self.mode, RetainerMode::Tree, "Retainer tree");
            ui.separator();
            ui.label("k");
            ui.add(egui::DragValue::new(&mut self.k).range(1..=10));
            ui.separator();
            for (label, format) in [
                ("Export JSON", ExportFormat::Json),
                ("Export Markdown", ExportFormat::Markdown),
                ("Export DOT", ExportFormat::Dot),
            ] {
                if ui.button(label).clicked() {
                    self.export_clicked(g, a, snapshot, format);
                }
            }
            if ui.button("Copy path").on_hover_text("Copy the path as Markdown").clicked() {
                let paths = self.shown_paths();
                if !paths.is_empty() {
                    ui.ctx().copy_text(markdown(&document(g, a, snapshot, &paths)));
                    self.message = Some("path copied as Markdown".into());
                }
            }
        });
        let ignored = self.ignore.sorted();
        if !ignored.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label("Ignored:");
                for ignored_node in ignored {
                    if ui
                        .button(format!("restore {} @{}", short_name(g, a, ignored_node), g.node_id(ignored_node)))
                        .clicked()
                    {
                        self.ignore.remove(ignored_node);
                    }
                }
            });
        }
        if let Some(message) = &self.message {
            ui.label(message);
        }
        egui::ScrollArea::vertical().id_salt("retainers_scroll").auto_shrink([false, false]).show(ui, |ui| {
            if self.mode == RetainerMode::Tree {
                self.tree(ui, g, a, node, 0);
                return;
            }
            let Some(result) = self.result() else {
                ui.horizontal(|ui| {
                    super::widgets::busy_indicator(ui);
                    ui.label("finding paths...");
                });
                return;
            };
            let paths: Vec<RetainerPath> = match self.mode {
                RetainerMode::Chain => vec![result.chain.clone()],
                RetainerMode::PathToRoot => result.shortest.iter().take(1).cloned().collect(),
                _ => result.shortest.clone(),
            };
            if paths.is_empty() {
                ui.label("No path from the root reaches this object (every path is weak or goes through an ignored retainer).");
            }
            let mut ignore = None;
            for (i, path) in paths.iter().enumerate() {
                if paths.len() > 1 {
                    ui.strong(format!("Path {} ({} steps)", i + 1, path.len()));
                }
                for (step, &n) in path.nodes.iter().enumerate() {
                    ui.horizontal(|ui| {
                        ui.add_space(12.0);
                        let edge = if step > 0 {
                            let e = path.edges[step - 1];
                            format!("{} {} -> ", g.edge_type_name(e), g.edge_name(e))
                        } else {
                            String::new()
                        };
                        ui.label(format!("{edge}{} @{}", short_name(g, a, n), g.node_id(n)));
                        ui.weak(format!("distance {}", distance_text(a.distance[n as usize])));
                        plain_size_cell(ui, a.retained.get(n as usize));
                        let inner = step > 0 && n != node && n != g.root();
                        if inner && ui.small_button(format!("ignore @{}", g.node_id(n))).on_hover_text("Ignore this retainer: find paths around it").clicked() {
                            ignore = Some(n);
                        }
                    });
                }
            }
            if let Some(n) = ignore {
                self.ignore.insert(n);
                self.tree_cache.clear();
            }
        });
    }

    /// The retainer tree below `node`, expanded by hand.
    fn tree(&mut self, ui: &mut egui::Ui, g: &HeapGraph, a: &Analysis, node: u32, depth: usize) {
        if depth > 30 {
            return;
        }
        let ignore = self.ignore.clone();
        let retainers = self.tree_cache.entry(node).or_insert_with(|| devtools_retainers(g, a, node, &ignore)).clone();
        for (source, edge) in retainers.into_iter().take(200) {
            let expanded = self.tree_expanded.contains(&source);
            let mut flip = false;
            ui.horizontal(|ui| {
                ui.add_space(12.0 + depth as f32 * 16.0);
                if super::widgets::toggle(ui, expanded) {
                    flip = true;
                }
                ui.label(format!(
                    "{} {} in {} @{}",
                    g.edge_type_name(edge),
                    g.edge_name(edge),
                    short_name(g, a, source),
                    g.node_id(source)
                ));
                ui.weak(format!("distance {}", distance_text(a.distance[source as usize])));
                plain_size_cell(ui, a.retained.get(source as usize));
            });
            if flip {
                if expanded {
                    self.tree_expanded.remove(&source);
                } else {
                    self.tree_expanded.insert(source);
                }
            }
            if expanded && source != node {
                self.tree(ui, g, a, source, depth + 1);
            }
        }
    }
}

/// A node's display name, shortened, or its class for nameless nodes.
pub fn short_name(g: &HeapGraph, a: &Analysis, node: u32) -> String {
    let name: String = a.display_name(g, node).chars().take(80).collect();
    if name.is_empty() { a.class_name(g, node).to_string() } else { name }
}
