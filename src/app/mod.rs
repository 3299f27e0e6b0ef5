//! The desktop app (eframe/egui). It reads engine results and never mutates them; loads,
//! comparisons, leak searches and path searches run as background jobs, so the window never
//! freezes.
//!
//! Layout: the open snapshots on the left (with recent files and the bundled samples), the view
//! tabs and the filter box on top, the view in the centre, the Retainers pane of the selected
//! object below it, and the status bar (running jobs with Cancel) at the bottom.

mod comparison;
mod dominators;
mod dumps;
mod filters;
mod flame;
mod jobs;
mod leaks;
mod overview;
mod plots;
mod retainers;
mod summary;
mod widgets;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use serde::{Deserialize, Serialize};

pub use dumps::{DumpDocument, DumpTab};
pub use jobs::{DumpLoaded, Job, JobPoll, Loaded, Opened, Source};
pub use retainers::ExportFormat;

use comparison::{ComparisonEvent, ComparisonView, Snapshot};
use leaks::{LeaksEvent, LeaksView};

/// The bundled samples: a Node process whose global `requestHistory` array grows with every
/// request, before, after and at the end of the leaking work.
pub const BUNDLED_SAMPLES: [(&str, &[u8]); 3] = [
    (
        "request-history.before.heapsnapshot.gz",
        include_bytes!("../../sample-snapshots/request-history.before.heapsnapshot.gz"),
    ),
    (
        "request-history.after.heapsnapshot.gz",
        include_bytes!("../../sample-snapshots/request-history.after.heapsnapshot.gz"),
    ),
    (
        "request-history.final.heapsnapshot.gz",
        include_bytes!("../../sample-snapshots/request-history.final.heapsnapshot.gz"),
    ),
];
/// The sample opened when the app starts without files.
pub const BUNDLED_SAMPLE: &[u8] = BUNDLED_SAMPLES[2].1;
/// Its display name.
pub const BUNDLED_SAMPLE_NAME: &str = "request-history.final.heapsnapshot.gz (bundled sample)";

/// Most recent files remembered.
const RECENT_FILES: usize = 10;
/// The storage key of the persisted state.
const STORAGE_KEY: &str = "heapscope";

/// The views of a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    /// Classes with counts and sizes.
    Summary,
    /// This snapshot against a base snapshot.
    Comparison,
    /// The three-snapshot leak search.
    Leaks,
    /// The dominator tree.
    Dominators,
    /// Counts, format, statistics and timings.
    Statistics,
}

/// The views of a V8 snapshot, in tab order.
const V8_VIEWS: [(View, &str); 5] = [
    (View::Summary, "Summary"),
    (View::Comparison, "Comparison"),
    (View::Leaks, "Leaks"),
    (View::Dominators, "Dominators"),
    (View::Statistics, "Statistics"),
];

/// What survives a restart.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Persisted {
    recent: Vec<PathBuf>,
    view: Option<View>,
    /// The files open at exit (reopened when the app starts without files).
    open: Vec<PathBuf>,
    /// The comparison's base snapshot.
    #[serde(default)]
    comparison_base: Option<PathBuf>,
    /// Ignored retainers per snapshot file, by V8 object id.
    #[serde(default)]
    ignored: Vec<(PathBuf, Vec<u32>)>,
}

/// An open snapshot and the state of its views.
pub struct Document {
    /// A stable id (documents can be closed, so indexes move).
    pub id: u64,
    /// The load result.
    pub loaded: Loaded,
    summary: summary::SummaryView,
    filters: filters::FilterState,
    dominators: dominators::DominatorView,
    /// The Retainers pane.
    pub retainers: retainers::RetainersPane,
}

/// The application state.
pub struct HeapscopeApp {
    documents: Vec<Document>,
    selected: usize,
    next_id: u64,
    /// Running loads, with the id their document will get (ids follow the order of opening).
    loads: Vec<(u64, Job<Opened>)>,
    /// Where each running load comes from, by id.
    load_sources: std::collections::HashMap<u64, Source>,
    /// Loads the memory guard refused: the message and the source, for "Load anyway".
    memory_refused: Vec<(String, Source)>,
    /// Open tracemalloc dumps, in the order they were opened.
    dumps: Vec<DumpDocument>,
    /// The dump shown instead of a V8 snapshot, if any.
    selected_dump: Option<usize>,
    errors: Vec<String>,
    view: View,
    filter: String,
    focus_filter: bool,
    comparison: ComparisonView,
    leaks: LeaksView,
    recent: Vec<PathBuf>,
    /// Where table exports go instead of asking with a save dialog (for automation).
    pub table_export_to: Option<PathBuf>,
    message: Option<String>,
    /// The state of the last session, applied to documents as they finish loading.
    restore: Option<Persisted>,
    /// The window title last sent (sending one asks for another frame, so only changes are).
    shown_title: String,
}

impl HeapscopeApp {
    /// Creates the app and starts loading `files` (the bundled sample when empty).
    pub fn new(ctx: &egui::Context, files: Vec<PathBuf>) -> Self {
        let mut app = Self {
            documents: Vec::new(),
            selected: 0,
            next_id: 1,
            loads: Vec::new(),
            load_sources: std::collections::HashMap::new(),
            memory_refused: Vec::new(),
            dumps: Vec::new(),
            selected_dump: None,
            errors: Vec::new(),
            view: View::Summary,
            filter: String::new(),
            focus_filter: false,
            shown_title: String::new(),
            comparison: ComparisonView::default(),
            leaks: LeaksView::default(),
            recent: Vec::new(),
            table_export_to: None,
            message: None,
            restore: None,
        };
        if files.is_empty() {
            app.open(ctx, Source::Bytes(BUNDLED_SAMPLE_NAME.into(), Arc::new(BUNDLED_SAMPLE.to_vec())));
        } else {
            for file in files {
                app.open(ctx, Source::File(file));
            }
        }
        app
    }

    /// Creates the app with the state saved by the last session (recent files, last view; the
    /// files that were open when no files are given).
    pub fn restored(ctx: &egui::Context, files: Vec<PathBuf>, storage: Option<&dyn eframe::Storage>) -> Self {
        let state = storage.and_then(|s| s.get_string(STORAGE_KEY));
        Self::restored_from(ctx, files, state.as_deref())
    }

    /// Creates the app with a state saved by [`HeapscopeApp::saved_state`]: recent files, the last
    /// view, and (when no files are given) the files that were open, with their ignored
    /// retainers and the comparison's base.
    pub fn restored_from(ctx: &egui::Context, files: Vec<PathBuf>, state: Option<&str>) -> Self {
        let persisted: Persisted = state.and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
        let reopen: Vec<PathBuf> = persisted.open.iter().filter(|p| p.exists()).cloned().collect();
        let files = if files.is_empty() && !reopen.is_empty() { reopen } else { files };
        let mut app = Self::new(ctx, files);
        app.recent = persisted.recent.clone();
        app.view = persisted.view.unwrap_or(View::Summary);
        app.restore = Some(persisted);
        app
    }

    /// The state [`HeapscopeApp::restored_from`] takes: what survives a restart, as JSON.
    pub fn saved_state(&self) -> String {
        let path_of =
            |id: u64| self.documents.iter().find(|d| d.id == id).and_then(|d| d.loaded.source.path().cloned());
        let persisted = Persisted {
            recent: self.recent.clone(),
            view: Some(self.view),
            open: self
                .documents
                .iter()
                .filter_map(|d| d.loaded.source.path().cloned())
                .chain(self.dumps.iter().filter_map(|d| d.loaded.source.path().cloned()))
                .collect(),
            comparison_base: self.comparison.base.and_then(path_of),
            ignored: self
                .documents
                .iter()
                .filter_map(|d| {
                    let path = d.loaded.source.path()?.clone();
                    let ids: Vec<u32> =
                        d.retainers.ignore.sorted().iter().map(|&v| d.loaded.graph.node_id(v)).collect();
                    (!ids.is_empty()).then_some((path, ids))
                })
                .collect(),
        };
        serde_json::to_string(&persisted).unwrap_or_default()
    }

    /// Applies the restored state to a document that just finished loading.
    fn apply_restored(&mut self, index: usize) {
        let Some(restore) = &self.restore else { return };
        let doc = &mut self.documents[index];
        let Some(path) = doc.loaded.source.path() else { return };
        if restore.comparison_base.as_ref() == Some(path) {
            self.comparison.base = Some(doc.id);
        }
        if let Some((_, ids)) = restore.ignored.iter().find(|(p, _)| p == path) {
            let node_ids = doc.loaded.graph.node_ids();
            for v in (0..node_ids.len()).filter(|&v| ids.contains(&node_ids[v])) {
                doc.retainers.ignore.insert(v as u32);
            }
        }
    }

    /// Starts loading a snapshot in the background.
    pub fn open(&mut self, ctx: &egui::Context, source: Source) {
        self.open_checked(ctx, source, true);
    }

    /// Loads refused by the memory guard, with their messages.
    pub fn memory_refused(&self) -> impl Iterator<Item = &str> {
        self.memory_refused.iter().map(|(message, _)| message.as_str())
    }

    /// Starts loading; with `memory_check` off, a snapshot the memory guard would refuse loads.
    fn open_checked(&mut self, ctx: &egui::Context, source: Source, memory_check: bool) {
        if let Some(path) = source.path() {
            self.recent.retain(|p| p != path);
            self.recent.insert(0, path.clone());
            self.recent.truncate(RECENT_FILES);
        }
        let label = format!("loading {}", source.display_name());
        let job_source = source.clone();
        match Job::spawn(label, jobs::repaint_soon(ctx), move |progress| jobs::open(job_source, progress, memory_check))
        {
            Ok(job) => {
                self.loads.push((self.next_id, job));
                self.load_sources.insert(self.next_id, source);
                self.next_id += 1;
            }
            Err(e) => self.errors.push(format!("{}: cannot start loading: {e}", source.display_name())),
        }
    }

    /// The open documents.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The open documents, for changing their view state.
    pub fn documents_mut(&mut self) -> &mut [Document] {
        &mut self.documents
    }

    /// The open tracemalloc dumps.
    pub fn dumps(&self) -> &[DumpDocument] {
        &self.dumps
    }

    /// The open tracemalloc dumps, for changing their view state.
    pub fn dumps_mut(&mut self) -> &mut [DumpDocument] {
        &mut self.dumps
    }

    /// The dump shown, if a dump is shown.
    pub fn selected_dump(&self) -> Option<usize> {
        self.selected_dump
    }

    /// Messages of jobs that failed.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// True while any job runs (loads, comparison, leak search, path search).
    pub fn is_busy(&self) -> bool {
        !self.loads.is_empty()
            || self.comparison.is_busy()
            || self.leaks.is_busy()
            || self.documents.iter().any(|d| d.retainers.is_busy() || d.filters.is_busy())
            || self.dumps.iter().any(DumpDocument::is_busy)
    }

    /// The index of the comparison's base snapshot, if one is chosen.
    pub fn comparison_base(&self) -> Option<usize> {
        self.comparison.base.and_then(|id| self.documents.iter().position(|d| d.id == id))
    }

    /// The selected document's index.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The current view.
    pub fn view(&self) -> View {
        self.view
    }

    /// Selects an object of a document and shows its retainers.
    pub fn select_object(&mut self, document: usize, node: u32) {
        if let Some(doc) = self.documents.get_mut(document) {
            self.selected = document;
            doc.retainers.select(node);
        }
    }

    /// Collects finished loads.
    fn poll_loads(&mut self) {
        let mut still_running = Vec::new();
        for (id, job) in std::mem::take(&mut self.loads) {
            match job.poll() {
                JobPoll::Running => still_running.push((id, job)),
                JobPoll::Done(Ok(Opened::Dump(loaded))) => {
                    let at = self.dumps.partition_point(|d| d.id < id);
                    self.dumps.insert(at, DumpDocument::new(id, loaded));
                    // The most recently opened file is shown, whatever order loads finish in.
                    let opened_last = self.dumps.iter().all(|d| d.id <= id) && self.documents.iter().all(|d| d.id < id);
                    if opened_last {
                        self.selected_dump = Some(at);
                    } else if let Some(shown) = self.selected_dump.filter(|&s| at <= s) {
                        self.selected_dump = Some(shown + 1);
                    }
                }
                JobPoll::Done(Ok(Opened::V8(loaded))) => {
                    // Documents stay in the order they were opened, whatever order loads finish in.
                    let at = self.documents.partition_point(|d| d.id < id);
                    self.documents.insert(
                        at,
                        Document {
                            id,
                            loaded,
                            summary: summary::SummaryView::default(),
                            filters: filters::FilterState::default(),
                            dominators: dominators::DominatorView::default(),
                            retainers: retainers::RetainersPane::default(),
                        },
                    );
                    // The most recently opened snapshot is shown, whatever order loads finish in.
                    let shown = self.documents.get(self.selected + usize::from(at <= self.selected)).map(|d| d.id);
                    self.selected = if shown.is_none_or(|shown| shown < id) || self.documents.len() == 1 {
                        at
                    } else {
                        self.selected + usize::from(at <= self.selected)
                    };
                    if self.dumps.iter().all(|d| d.id < id) {
                        self.selected_dump = None;
                    }
                    self.apply_restored(at);
                }
                JobPoll::Done(Err(message)) if message.ends_with(": cancelled") => {}
                JobPoll::Done(Err(message)) if message.contains(crate::snapshot::memory::DISABLE_VARIABLE) => {
                    if let Some(source) = self.load_sources.get(&id).cloned() {
                        self.memory_refused.push((message, source));
                    }
                }
                JobPoll::Done(Err(message)) => self.errors.push(message),
            }
        }
        self.loads = still_running;
        let running: std::collections::HashSet<u64> = self.loads.iter().map(|(id, _)| *id).collect();
        self.load_sources.retain(|id, _| running.contains(id));
    }

    fn close(&mut self, index: usize) {
        if index < self.documents.len() {
            let doc = self.documents.remove(index);
            self.comparison.forget(doc.id);
            self.leaks.forget(doc.id);
            self.selected = self.selected.min(self.documents.len().saturating_sub(1));
        }
    }

    fn pick_files(&mut self, ctx: &egui::Context) {
        if let Some(paths) = rfd::FileDialog::new()
            .add_filter(
                "Heap snapshots and tracemalloc dumps",
                &["heapsnapshot", "gz", "tracemalloc", "pickle", "dump"],
            )
            .add_filter("All files", &["*"])
            .pick_files()
        {
            for path in paths {
                self.open(ctx, Source::File(path));
            }
        }
    }

    fn title(&self) -> String {
        if let Some(dump) = self.selected_dump.and_then(|i| self.dumps.get(i)) {
            return format!(
                "heapscope - {} ({} traces, {})",
                dump.loaded.source.display_name(),
                crate::format::group_digits(dump.loaded.traces.trace_count() as u64),
                crate::format::human_size(dump.loaded.traces.total_size())
            );
        }
        match self.documents.get(self.selected) {
            Some(doc) => format!(
                "heapscope - {} ({} objects, {})",
                doc.loaded.source.display_name(),
                crate::format::group_digits(doc.loaded.graph.node_count() as u64),
                crate::format::human_size(doc.loaded.analysis.total_size(&doc.loaded.graph))
            ),
            None => "heapscope".to_string(),
        }
    }

    fn side_panel(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("snapshots").resizable(true).default_size(230.0).show(ui, |ui| {
            ui.heading("Snapshots");
            let mut close = None;
            for (i, doc) in self.documents.iter().enumerate() {
                ui.horizontal(|ui| {
                    let base = self.comparison.base == Some(doc.id) && self.documents.len() > 1;
                    let name = doc.loaded.source.display_name();
                    let label = if base { format!("{name} [base]") } else { name };
                    let size = crate::format::human_size(doc.loaded.analysis.total_size(&doc.loaded.graph));
                    let shown = i == self.selected && self.selected_dump.is_none();
                    if ui.selectable_label(shown, label).on_hover_text(size).clicked() {
                        self.selected = i;
                        self.selected_dump = None;
                    }
                    if ui.small_button("x").on_hover_text("Close").clicked() {
                        close = Some(i);
                    }
                });
            }
            if let Some(i) = close {
                self.close(i);
            }
            if !self.dumps.is_empty() {
                ui.separator();
                ui.strong("tracemalloc dumps");
                let mut close_dump = None;
                for (i, dump) in self.dumps.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let name = dump.loaded.source.display_name();
                        let size = crate::format::human_size(dump.loaded.traces.total_size());
                        if ui.selectable_label(self.selected_dump == Some(i), name).on_hover_text(size).clicked() {
                            self.selected_dump = Some(i);
                        }
                        if ui.small_button("x").on_hover_text("Close").clicked() {
                            close_dump = Some(i);
                        }
                    });
                }
                if let Some(i) = close_dump {
                    self.dumps.remove(i);
                    self.selected_dump = match self.selected_dump {
                        Some(s) if s == i => None,
                        Some(s) if s > i => Some(s - 1),
                        other => other,
                    };
                }
            }
            if self.documents.len() > 1
                && let Some(doc) = self.documents.get(self.selected)
                && ui.button("Use as comparison base").clicked()
            {
                self.comparison.base = Some(doc.id);
            }
            ui.separator();
            if ui.button("Open...").on_hover_text("Open heap snapshots (Ctrl+O), or drop files on the window").clicked()
            {
                self.pick_files(ui.ctx());
            }
            if !self.recent.is_empty() {
                ui.separator();
                ui.strong("Recent files");
                let mut reopen = None;
                for path in &self.recent {
                    let name = path
                        .file_name()
                        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
                    if ui.link(name).on_hover_text(path.display().to_string()).clicked() {
                        reopen = Some(path.clone());
                    }
                }
                if let Some(path) = reopen {
                    self.open(ui.ctx(), Source::File(path));
                }
            }
            ui.separator();
            ui.strong("Samples");
            for (name, bytes) in BUNDLED_SAMPLES {
                if ui.link(name).on_hover_text("A bundled Node.js snapshot with a leaking array").clicked() {
                    self.open(ui.ctx(), Source::Bytes(format!("{name} (bundled sample)"), Arc::new(bytes.to_vec())));
                }
            }
        });
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let dump_shown = self.selected_dump.is_some();
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                let views = if dump_shown { &[][..] } else { &V8_VIEWS[..] };
                for &(view, label) in views {
                    ui.selectable_value(&mut self.view, view, label);
                }
                if dump_shown {
                    ui.strong("tracemalloc dump");
                }
                ui.separator();
                ui.label("Filter:");
                // A dump's rows are locations (file:line or tracebacks); a snapshot's are classes.
                let (hint, hover) = if dump_shown {
                    ("file or line, /regex/", "Filter the rows by location (Ctrl+F)")
                } else {
                    ("class name, /regex/ or @id", "Filter classes by name (Ctrl+F); @id selects an object")
                };
                let edit = ui.add(egui::TextEdit::singleline(&mut self.filter).hint_text(hint).desired_width(240.0));
                let edit = edit.on_hover_text(hover);
                if std::mem::take(&mut self.focus_filter) {
                    edit.request_focus();
                }
                if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    self.find_id();
                }
                if !dump_shown
                    && matches!(self.view, View::Summary | View::Comparison)
                    && ui.button("Export CSV").clicked()
                {
                    self.export_table();
                }
            });
        });
    }

    /// `@id` in the filter box selects that object.
    fn find_id(&mut self) {
        let Some(id) = self.filter.trim().strip_prefix('@').and_then(|s| s.parse::<u32>().ok()) else { return };
        let Some(doc) = self.documents.get_mut(self.selected) else { return };
        match doc.loaded.graph.node_ids().iter().position(|&x| x == id) {
            Some(v) => {
                doc.retainers.select(v as u32);
                self.filter.clear();
            }
            None => self.message = Some(format!("no object @{id} in this snapshot")),
        }
    }

    fn export_table(&mut self) {
        let Some(doc) = self.documents.get(self.selected) else { return };
        let target = match &self.table_export_to {
            Some(path) => Some(path.clone()),
            None => rfd::FileDialog::new().set_file_name("table.csv").add_filter("CSV", &["csv"]).save_file(),
        };
        let Some(path) = target else { return };
        let result = match self.view {
            View::Comparison => match self.comparison.diff(doc.id) {
                Some(diff) => {
                    let rows: Vec<crate::export::tables::ComparisonRow<'_>> =
                        diff.classes.iter().map(crate::export::tables::ComparisonRow::from).collect();
                    crate::export::write_atomically(&path, |out| {
                        crate::export::tables::csv(&rows, out).map_err(std::io::Error::other)
                    })
                }
                None => Err(std::io::Error::other("the comparison is not ready")),
            },
            _ => {
                let rows: Vec<crate::export::tables::SummaryRow<'_>> =
                    doc.loaded.summary.iter().map(crate::export::tables::SummaryRow::from).collect();
                crate::export::write_atomically(&path, |out| {
                    crate::export::tables::csv(&rows, out).map_err(std::io::Error::other)
                })
            }
        };
        self.message = Some(match result {
            Ok(()) => format!("exported to {}", path.display()),
            Err(e) => format!("{}: cannot write: {e}", path.display()),
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let mut any = false;
            for (_, job) in &self.loads {
                any = true;
                ui.horizontal(|ui| {
                    let phase = job.progress.snapshot().0.map_or("starting", |p| p.name());
                    ui.label(format!("{}: {phase}", job.label));
                    ui.add(egui::ProgressBar::new(job.progress.fraction()).desired_width(240.0).show_percentage());
                    ui.label(format!("{:.1} s", job.elapsed().as_secs_f64()));
                    if ui.button("Cancel").clicked() {
                        job.progress.cancel();
                    }
                });
            }
            if let Some((label, _)) = self.comparison.status() {
                any = true;
                ui.horizontal(|ui| {
                    widgets::busy_indicator(ui);
                    ui.label(label);
                    if ui.button("Cancel").clicked() {
                        self.comparison.cancel();
                    }
                });
            }
            if let Some((label, _)) = self.leaks.status() {
                any = true;
                ui.horizontal(|ui| {
                    widgets::busy_indicator(ui);
                    ui.label(label);
                    if ui.button("Cancel").clicked() {
                        self.leaks.cancel();
                    }
                });
            }
            if !any {
                let text = match self.documents.get(self.selected) {
                    Some(doc) => format!(
                        "{}: loaded and analysed in {:.0} ms",
                        doc.loaded.source.display_name(),
                        doc.loaded.took.as_secs_f64() * 1e3
                    ),
                    None => "ready".to_string(),
                };
                ui.label(text);
            }
        });
    }

    fn error_list(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = None;
        for (i, message) in self.errors.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, message);
                if ui.small_button("Dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        if let Some(i) = dismiss {
            self.errors.remove(i);
        }
        let (mut retry, mut drop_refusal) = (None, None);
        for (i, (message, _)) in self.memory_refused.iter().enumerate() {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(ui.visuals().warn_fg_color, message);
                if ui.button("Load anyway").on_hover_text("Load it although it may not fit in memory").clicked() {
                    retry = Some(i);
                }
                if ui.small_button("Dismiss").clicked() {
                    drop_refusal = Some(i);
                }
            });
        }
        if let Some(i) = retry {
            let (_, source) = self.memory_refused.remove(i);
            self.open_checked(ui.ctx(), source, false);
        } else if let Some(i) = drop_refusal {
            self.memory_refused.remove(i);
        }
        if let Some(message) = self.message.clone() {
            ui.horizontal(|ui| {
                ui.label(&message);
                if ui.small_button("OK").clicked() {
                    self.message = None;
                }
            });
        }
    }

    fn retainers_panel(&mut self, ui: &mut egui::Ui) {
        if self.selected_dump.is_some() {
            return;
        }
        let Some(doc) = self.documents.get_mut(self.selected) else { return };
        egui::Panel::bottom("retainers").resizable(true).default_size(300.0).min_size(220.0).show(ui, |ui| {
            let name = doc.loaded.source.display_name();
            let (graph, analysis) = (Arc::clone(&doc.loaded.graph), Arc::clone(&doc.loaded.analysis));
            doc.retainers.show(ui, &graph, &analysis, &name);
        });
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.error_list(ui);
            if let Some(index) = self.selected_dump.filter(|&i| i < self.dumps.len()) {
                let all: Vec<dumps::OtherDump> = self
                    .dumps
                    .iter()
                    .map(|d| dumps::OtherDump {
                        id: d.id,
                        name: d.loaded.source.display_name(),
                        traces: Arc::clone(&d.loaded.traces),
                        tree: Arc::clone(&d.loaded.tree),
                    })
                    .collect();
                let id = self.dumps[index].id;
                let others: Vec<dumps::OtherDump> = all.iter().filter(|o| o.id != id).cloned().collect();
                self.dumps[index].show(ui, &others, &all, &self.filter);
                return;
            }
            if self.documents.is_empty() {
                if self.loads.is_empty() {
                    ui.label(
                        "Open a .heapsnapshot file (Ctrl+O), drop one on the window, or pick a sample on the left.",
                    );
                } else {
                    widgets::busy_indicator(ui);
                }
                return;
            }
            let current = self.documents[self.selected].id;
            match self.view {
                View::Summary => {
                    // The filter menu reads every open snapshot; its state is taken out meanwhile.
                    let mut state = std::mem::take(&mut self.documents[self.selected].filters);
                    let snapshots = snapshots_of(&self.documents);
                    let changed = state.menu(ui, &snapshots, current);
                    let rows = state.rows(ui.ctx(), &snapshots, current);
                    let doc = &mut self.documents[self.selected];
                    doc.filters = state;
                    if changed {
                        doc.summary = summary::SummaryView::default();
                    }
                    match rows {
                        Some(rows) => {
                            let (graph, analysis) = (&doc.loaded.graph, &doc.loaded.analysis);
                            for event in doc.summary.show(ui, graph, analysis, &rows, &self.filter) {
                                let summary::SummaryEvent::Select(node) = event;
                                doc.retainers.select(node);
                            }
                        }
                        None => {
                            ui.horizontal(|ui| {
                                widgets::busy_indicator(ui);
                                ui.label("filtering...");
                            });
                        }
                    }
                }
                View::Dominators => {
                    let doc = &mut self.documents[self.selected];
                    let loaded = &doc.loaded;
                    if let Some(node) = doc.dominators.show(ui, &loaded.graph, &loaded.analysis) {
                        doc.retainers.select(node);
                    }
                }
                View::Statistics => overview::show(ui, &self.documents[self.selected].loaded),
                View::Comparison => {
                    let snapshots = snapshots_of(&self.documents);
                    let event = self.comparison.show(ui, &snapshots, current, &self.filter);
                    if let Some(ComparisonEvent::Select(node)) = event {
                        self.documents[self.selected].retainers.select(node);
                    }
                }
                View::Leaks => {
                    let snapshots = snapshots_of(&self.documents);
                    let event = self.leaks.show(ui, &snapshots);
                    if let Some(LeaksEvent::Select(id, node)) = event
                        && let Some(index) = self.documents.iter().position(|d| d.id == id)
                    {
                        self.select_object(index, node);
                    }
                }
            }
        });
    }

    /// Finds a class in the selected document's Summary and expands it (for automation).
    pub fn reveal_class(&mut self, name: &str) -> bool {
        let Some(doc) = self.documents.get_mut(self.selected) else { return false };
        doc.summary.reveal_class(&doc.loaded.summary, name).is_some()
    }

    /// Makes `view` the current view.
    pub fn set_view(&mut self, view: View) {
        self.view = view;
    }
}

impl eframe::App for HeapscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_loads();
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::O)) {
            self.pick_files(ctx);
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::F)) {
            self.focus_filter = true;
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        for path in dropped {
            self.open(ctx, Source::File(path));
        }
        let title = self.title();
        if title != self.shown_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.shown_title = title;
        }
        if self.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.top_bar(ui);
        self.status_bar(ui);
        self.side_panel(ui);
        self.retainers_panel(ui);
        self.central(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(STORAGE_KEY, self.saved_state());
    }
}

/// The open documents as the comparison and leak views see them.
fn snapshots_of(documents: &[Document]) -> Vec<Snapshot<'_>> {
    documents.iter().map(|d| Snapshot { id: d.id, name: d.loaded.source.display_name(), loaded: &d.loaded }).collect()
}

/// Opens the main window and runs until it is closed.
pub fn run(files: Vec<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 860.0]).with_title("heapscope"),
        ..Default::default()
    };
    eframe::run_native(
        "heapscope",
        options,
        Box::new(|cc| Ok(Box::new(HeapscopeApp::restored(&cc.egui_ctx, files, cc.storage)))),
    )
}
