//! Background jobs: loads run on their own thread (and rayon inside it), report progress
//! through shared atomics, wake the UI when something changes, and can be cancelled.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::analysis::aggregates::{ClassAggregate, aggregates};
use crate::analysis::{Analysis, analyze};
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress as _, SharedProgress};
use crate::snapshot::{LoadOptions, load_v8_bytes, load_v8_file};

/// Where a snapshot comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// Bytes in memory (the bundled sample, a dropped file), with a display name.
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

/// A load running on a worker thread.
pub struct LoadJob {
    /// What is being loaded.
    pub source: Source,
    /// Progress and the cancel flag.
    pub progress: Arc<SharedProgress>,
    receiver: Receiver<Result<Loaded, String>>,
    started: Instant,
}

/// The state of a job after a poll.
pub enum JobPoll {
    /// Still running.
    Running,
    /// Finished, successfully or not.
    Done(Result<Loaded, String>),
}

impl LoadJob {
    /// Starts loading `source`; `wake` is called whenever progress changes (e.g. a repaint
    /// request).
    pub fn spawn(source: Source, wake: impl Fn() + Send + Sync + 'static) -> std::io::Result<Self> {
        let progress = Arc::new(SharedProgress::with_callback(wake));
        let (sender, receiver) = channel();
        let job_source = source.clone();
        let job_progress = Arc::clone(&progress);
        std::thread::Builder::new().name("load".into()).spawn(move || {
            let started = Instant::now();
            let result = match &job_source {
                Source::File(path) => {
                    load_v8_file(path, LoadOptions::default(), &*job_progress).map(|load| (load.graph, load.phases))
                }
                Source::Bytes(name, bytes) => {
                    load_v8_bytes(bytes.to_vec(), name, LoadOptions::default(), &*job_progress).map(|g| (g, Vec::new()))
                }
            };
            let name = job_source.display_name();
            let message = result.map_err(|e| e.to_string()).and_then(|(graph, mut phases)| {
                let timer = crate::progress::PhaseTimer::new(&*job_progress);
                let analysis = analyze(&graph, &timer).map_err(|kind| crate::Error::new(&name, kind).to_string())?;
                timer.phase(Phase::Analysis("summary"), 1);
                let summary = aggregates(&graph, &analysis, None);
                phases.extend(timer.finish());
                Ok(Loaded {
                    source: job_source,
                    graph: Arc::new(graph),
                    analysis: Arc::new(analysis),
                    summary: Arc::new(summary),
                    phases,
                    took: started.elapsed(),
                })
            });
            // The receiver is gone only if the app closed; nothing is left to tell.
            sender.send(message).ok();
            job_progress.set_done(0);
        })?;
        Ok(Self { source, progress, receiver, started: Instant::now() })
    }

    /// Checks whether the job finished.
    pub fn poll(&self) -> JobPoll {
        match self.receiver.try_recv() {
            Ok(result) => JobPoll::Done(result),
            Err(TryRecvError::Empty) => JobPoll::Running,
            Err(TryRecvError::Disconnected) => JobPoll::Done(Err("the load stopped unexpectedly".into())),
        }
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}
