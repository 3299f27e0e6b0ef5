//! Background jobs: loads, comparisons, leak searches and path searches run on their own
//! thread (and rayon inside it), report progress through shared atomics, wake the UI when
//! something changes, and can be cancelled.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::analysis::aggregates::{ClassAggregate, RowObjects};
use crate::analysis::{Analysis, Parts, analyze_with_summary};
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress as _, SharedProgress};
use crate::snapshot::{LoadOptions, load_v8_bytes, load_v8_file};
use crate::traces::AllocationTraces;
use crate::traces::call_tree::CallTree;

/// Where a snapshot comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// Bytes in memory (a bundled sample), with a display name.
    Bytes(String, Arc<Vec<u8>>),
}

impl Source {
    /// The name shown in the UI.
    pub fn display_name(&self) -> String {
        match self {
            Source::File(path) => {
                path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
            }
            Source::Bytes(name, _) => name.clone(),
        }
    }

    /// The file, for sources on disk.
    pub fn path(&self) -> Option<&PathBuf> {
        match self {
            Source::File(path) => Some(path),
            Source::Bytes(..) => None,
        }
    }
}

/// A finished load.
pub struct Loaded {
    /// Where it came from.
    pub source: Source,
    /// The graph.
    pub graph: Arc<HeapGraph>,
    /// Its analysis.
    pub analysis: Arc<Analysis>,
    /// The Summary rows (one per class).
    pub summary: Arc<Vec<ClassAggregate>>,
    /// Time of each phase.
    pub phases: Vec<(Phase, Duration)>,
    /// Total wall time.
    pub took: Duration,
}

/// A finished tracemalloc load.
pub struct DumpLoaded {
    /// Where it came from.
    pub source: Source,
    /// The traces.
    pub traces: Arc<AllocationTraces>,
    /// Their allocation call tree.
    pub tree: Arc<CallTree>,
    /// Total wall time.
    pub took: Duration,
}

/// Whatever a file turned out to be.
pub enum Opened {
    /// A V8 heap snapshot.
    V8(Loaded),
    /// A tracemalloc dump.
    Dump(DumpLoaded),
}

/// Loads a file of either format (recognised by content).
pub fn open(source: Source, progress: &SharedProgress, memory_check: bool) -> Result<Opened, String> {
    // A pipe can be read only once: read it whole, then look at the bytes.
    let source = match source {
        Source::File(path) if std::fs::metadata(&path).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: cannot read the file: {e}", path.display()))?;
            Source::Bytes(Source::File(path).display_name(), Arc::new(bytes))
        }
        other => other,
    };
    let is_dump = match &source {
        Source::File(path) => {
            crate::snapshot::detect(path).map_err(|e| e.to_string())?.format == crate::snapshot::Format::Pickle
        }
        Source::Bytes(_, bytes) => is_pickle(bytes),
    };
    if !is_dump {
        return load(source, progress, memory_check).map(Opened::V8);
    }
    let started = Instant::now();
    let traces = match &source {
        Source::File(path) => crate::snapshot::tracemalloc::load_file(path, progress).map(|l| l.traces),
        Source::Bytes(name, bytes) => crate::snapshot::tracemalloc::load_bytes(bytes, name, progress),
    }
    .map_err(|e| e.to_string())?;
    let tree = CallTree::build(&traces, None);
    Ok(Opened::Dump(DumpLoaded { source, traces: Arc::new(traces), tree: Arc::new(tree), took: started.elapsed() }))
}

/// True when `bytes` (plain or gzip-compressed) start like a pickle.
fn is_pickle(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut first = [0u8; 1];
        return std::io::Read::read_exact(&mut flate2::read::MultiGzDecoder::new(bytes), &mut first).is_ok()
            && first[0] == 0x80;
    }
    bytes.first() == Some(&0x80)
}

/// How soon the window redraws after a job reports progress: often enough for a live progress
/// bar, seldom enough that drawing does not take the cores the job is using.
const PROGRESS_FRAME: Duration = Duration::from_millis(50);

/// The `wake` callback of a job shown in the window of `ctx`: asks for a frame within
/// [`PROGRESS_FRAME`] (requests in the meantime share that frame).
pub fn repaint_soon(ctx: &eframe::egui::Context) -> impl Fn() + Send + Sync + 'static {
    let ctx = ctx.clone();
    move || ctx.request_repaint_after(PROGRESS_FRAME)
}

/// Work running on a worker thread, producing a `T` or an error message.
pub struct Job<T> {
    /// What the job does, for the status bar.
    pub label: String,
    /// Progress and the cancel flag.
    pub progress: Arc<SharedProgress>,
    receiver: Receiver<Result<T, String>>,
    started: Instant,
}

/// The state of a job after a poll.
pub enum JobPoll<T> {
    /// Still running.
    Running,
    /// Finished, successfully or not.
    Done(Result<T, String>),
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a new thread; `wake` is called whenever progress changes (a repaint
    /// request) and once more when the work is done.
    pub fn spawn(
        label: impl Into<String>,
        wake: impl Fn() + Send + Sync + 'static,
        work: impl FnOnce(&SharedProgress) -> Result<T, String> + Send + 'static,
    ) -> std::io::Result<Self> {
        let progress = Arc::new(SharedProgress::with_callback(wake));
        let (sender, receiver) = channel();
        let job_progress = Arc::clone(&progress);
        std::thread::Builder::new().name("job".into()).spawn(move || {
            let result = work(&job_progress);
            // The receiver is gone only if the app closed; nothing is left to tell.
            sender.send(result).ok();
            job_progress.set_done(0);
        })?;
        Ok(Self { label: label.into(), progress, receiver, started: Instant::now() })
    }

    /// Checks whether the job finished.
    pub fn poll(&self) -> JobPoll<T> {
        match self.receiver.try_recv() {
            Ok(result) => JobPoll::Done(result),
            Err(TryRecvError::Empty) => JobPoll::Running,
            Err(TryRecvError::Disconnected) => {
                JobPoll::Done(Err(format!("{}: the job stopped unexpectedly", self.label)))
            }
        }
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Loads and analyzes a snapshot (the work of a load job); with `memory_check` off, a snapshot
/// the memory guard would refuse is loaded anyway.
pub fn load(source: Source, progress: &SharedProgress, memory_check: bool) -> Result<Loaded, String> {
    let started = Instant::now();
    let options = LoadOptions { memory_check, ..LoadOptions::default() };
    let result = match &source {
        Source::File(path) => load_v8_file(path, options, progress).map(|load| (load.graph, load.phases)),
        Source::Bytes(name, bytes) => load_v8_bytes(bytes.to_vec(), name, options, progress).map(|g| (g, Vec::new())),
    };
    let name = source.display_name();
    let (graph, mut phases) = result.map_err(|e| e.to_string())?;
    let timer = crate::progress::PhaseTimer::new(progress);
    let (analysis, summary) = analyze_with_summary(&graph, &timer, Parts::ALL, RowObjects::Listed)
        .map_err(|kind| crate::Error::new(&name, kind).to_string())?;
    // The dominator tree view reads the children lists: build them here, off the UI thread.
    analysis.dominator_children();
    phases.extend(timer.finish());
    Ok(Loaded {
        source,
        graph: Arc::new(graph),
        analysis: Arc::new(analysis),
        summary: Arc::new(summary),
        phases,
        took: started.elapsed(),
    })
}
