//! The desktop app (eframe/egui). It reads engine results and never mutates them; every load
//! runs as a background job so the window never freezes.

mod jobs;
mod overview;
mod summary;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

pub use jobs::{JobPoll, LoadJob, Loaded, Source};

/// The sample snapshot opened when the app starts without files: a Node process whose
/// global `requestHistory` array grows with every request.
pub const BUNDLED_SAMPLE: &[u8] = include_bytes!("../../sample-snapshots/request-history.final.heapsnapshot.gz");
/// The bundled sample's display name.
pub const BUNDLED_SAMPLE_NAME: &str = "request-history.final.heapsnapshot.gz (bundled sample)";

/// The views of a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Classes with counts and sizes.
    Summary,
    /// Counts, format, statistics and timings.
    Overview,
}

/// An open snapshot.
pub struct Document {
    /// The load result.
    pub loaded: Loaded,
    /// The Summary view's state.
    pub summary: summary::SummaryView,
}

/// The application state.
pub struct HeapscopeApp {
    documents: Vec<Document>,
    selected: usize,
    jobs: Vec<LoadJob>,
    errors: Vec<String>,
    view: View,
}

impl HeapscopeApp {
    /// Creates the app and starts loading `files` (the bundled sample when empty).
    pub fn new(ctx: &egui::Context, files: Vec<PathBuf>) -> Self {
        let mut app =
            Self { documents: Vec::new(), selected: 0, jobs: Vec::new(), errors: Vec::new(), view: View::Summary };
        if files.is_empty() {
            app.open(ctx, Source::Bytes(BUNDLED_SAMPLE_NAME.into(), Arc::new(BUNDLED_SAMPLE.to_vec())));
        } else {
            for file in files {
                app.open(ctx, Source::File(file));
            }
        }
        app
    }

    /// Starts loading a snapshot in the background.
    pub fn open(&mut self, ctx: &egui::Context, source: Source) {
        let waker = ctx.clone();
        match LoadJob::spawn(source.clone(), move || waker.request_repaint()) {
            Ok(job) => self.jobs.push(job),
            Err(e) => self.errors.push(format!("{}: cannot start loading: {e}", source.display_name())),
        }
    }

    /// The open documents.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// Messages of loads that failed.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// True while any job runs.
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// Collects finished jobs.
    fn poll_jobs(&mut self) {
        let mut still_running = Vec::new();
        for job in self.jobs.drain(..) {
            match job.poll() {
                JobPoll::Running => still_running.push(job),
                JobPoll::Done(Ok(loaded)) => {
                    self.documents.push(Document { loaded, summary: summary::SummaryView::default() });
                    self.selected = self.documents.len() - 1;
                }
                JobPoll::Done(Err(message)) => self.errors.push(message),
            }
        }
        self.jobs = still_running;
    }

    fn pick_files(&mut self, ctx: &egui::Context) {
        if let Some(paths) = rfd::FileDialog::new()
            .add_filter("Heap snapshots", &["heapsnapshot", "gz"])
            .add_filter("All files", &["*"])
            .pick_files()
        {
            for path in paths {
                self.open(ctx, Source::File(path));
            }
        }
    }

    fn title(&self) -> String {
        match self.documents.get(self.selected) {
            Some(doc) => format!("heapscope - {}", doc.loaded.source.display_name()),
            None => "heapscope".to_string(),
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("heapscope");
                if ui.button("Open...").on_hover_text("Open a heap snapshot (Ctrl+O)").clicked() {
                    self.pick_files(ui.ctx());
                }
                for (i, doc) in self.documents.iter().enumerate() {
                    if ui.selectable_label(i == self.selected, doc.loaded.source.display_name()).clicked() {
                        self.selected = i;
                    }
                }
            });
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            for job in &self.jobs {
                ui.horizontal(|ui| {
                    let phase = job.progress.snapshot().0.map_or("starting", |p| p.name());
                    ui.label(format!("loading {}: {phase}", job.source.display_name()));
                    ui.add(egui::ProgressBar::new(job.progress.fraction()).desired_width(240.0).show_percentage());
                    ui.label(format!("{:.1} s", job.elapsed().as_secs_f64()));
                    if ui.button("Cancel").clicked() {
                        job.progress.cancel();
                    }
                });
            }
            if self.jobs.is_empty() {
                let text = match self.documents.get(self.selected) {
                    Some(doc) => format!("loaded in {:.0} ms", doc.loaded.took.as_secs_f64() * 1e3),
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
    }
}

impl eframe::App for HeapscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_jobs();
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::O)) {
            self.pick_files(ctx);
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        for path in dropped {
            self.open(ctx, Source::File(path));
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::Title(self.title()));
        if self.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.top_bar(ui);
        self.status_bar(ui);
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.error_list(ui);
            let view = &mut self.view;
            let busy = !self.jobs.is_empty();
            match self.documents.get_mut(self.selected) {
                Some(doc) => {
                    ui.horizontal(|ui| {
                        ui.selectable_value(view, View::Summary, "Summary");
                        ui.selectable_value(view, View::Overview, "Statistics");
                    });
                    ui.separator();
                    let total = doc.loaded.analysis.total_size(&doc.loaded.graph);
                    match view {
                        View::Summary => doc.summary.show(ui, &doc.loaded.summary, total),
                        View::Overview => overview::show(ui, &doc.loaded),
                    }
                }
                None if busy => {
                    ui.spinner();
                }
                None => {
                    ui.label("Open a .heapsnapshot file (Ctrl+O) or drop one on the window.");
                }
            }
        });
    }
}

/// Opens the main window and runs until it is closed.
pub fn run(files: Vec<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1200.0, 800.0]).with_title("heapscope"),
        ..Default::default()
    };
    eframe::run_native("heapscope", options, Box::new(|cc| Ok(Box::new(HeapscopeApp::new(&cc.egui_ctx, files)))))
}
