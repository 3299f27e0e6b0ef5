//! Progress reporting and cancellation for long-running work (loads, analyses).
//!
//! The engine calls [`Progress`] from worker threads; the CLI prints it on stderr and the GUI
//! shows a progress bar. Cancellation is cooperative: long loops poll
//! [`Progress::is_cancelled`] often enough to stop within a fraction of a second.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A named phase of a load or an analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Opening the file, sniffing the format, reading the header and sections that are skipped.
    Read,
    /// Parsing the `nodes` array.
    Nodes,
    /// Parsing the `edges` array.
    Edges,
    /// Parsing the `strings` array.
    Strings,
    /// Building the edge index and the reverse (retainer) index.
    Index,
    /// Parsing a tracemalloc pickle.
    Traces,
    /// Any analysis step, named.
    Analysis(&'static str),
}

impl Phase {
    /// A short lowercase name, used as the JSON key of phase timings.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Read => "read",
            Phase::Nodes => "nodes",
            Phase::Edges => "edges",
            Phase::Strings => "strings",
            Phase::Index => "index",
            Phase::Traces => "traces",
            Phase::Analysis(name) => name,
        }
    }
}

/// Receives progress from long-running work, and tells it whether to stop.
pub trait Progress: Sync {
    /// A new phase starts; `total` is its amount of work in phase-specific units (0 if unknown).
    fn phase(&self, phase: Phase, total: u64);
    /// `done` units of the current phase are finished (absolute, not an increment).
    fn set_done(&self, done: u64);
    /// True once the user asked to stop; the work then returns a `Cancelled` error.
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// A [`Progress`] that ignores everything and never cancels.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _phase: Phase, _total: u64) {}
    fn set_done(&self, _done: u64) {}
}

/// A thread-safe progress state that a UI polls: phase, done/total and a cancel flag.
pub struct SharedProgress {
    phase: Mutex<Option<Phase>>,
    total: AtomicU64,
    done: AtomicU64,
    cancel: AtomicBool,
    on_change: Option<Box<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for SharedProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (phase, done, total) = self.snapshot();
        f.debug_struct("SharedProgress").field("phase", &phase).field("done", &done).field("total", &total).finish()
    }
}

impl Default for SharedProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedProgress {
    /// A fresh state with no phase.
    pub fn new() -> Self {
        Self {
            phase: Mutex::new(None),
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            cancel: AtomicBool::new(false),
            on_change: None,
        }
    }

    /// A fresh state that calls `on_change` (e.g. a UI repaint request) on every update.
    pub fn with_callback(on_change: impl Fn() + Send + Sync + 'static) -> Self {
        Self { on_change: Some(Box::new(on_change)), ..Self::new() }
    }

    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The current phase and its done/total.
    pub fn snapshot(&self) -> (Option<Phase>, u64, u64) {
        let phase = *self.phase.lock().unwrap_or_else(|p| p.into_inner());
        (phase, self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }

    /// Fraction done of the current phase, in 0..=1.
    pub fn fraction(&self) -> f32 {
        let (_, done, total) = self.snapshot();
        if total == 0 { 0.0 } else { (done as f64 / total as f64).min(1.0) as f32 }
    }

    fn changed(&self) {
        if let Some(cb) = &self.on_change {
            cb();
        }
    }
}

impl Progress for SharedProgress {
    fn phase(&self, phase: Phase, total: u64) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = Some(phase);
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.changed();
    }

    fn set_done(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
        self.changed();
    }

    fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Records how long each phase took, forwarding every call to an inner [`Progress`].
pub struct PhaseTimer<'a> {
    inner: &'a dyn Progress,
    state: Mutex<TimerState>,
}

struct TimerState {
    current: Option<(Phase, Instant)>,
    finished: Vec<(Phase, Duration)>,
}

impl<'a> PhaseTimer<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a dyn Progress) -> Self {
        Self { inner, state: Mutex::new(TimerState { current: None, finished: Vec::new() }) }
    }

    /// Ends the running phase and returns every phase's duration, in order. A phase entered
    /// twice is summed.
    pub fn finish(&self) -> Vec<(Phase, Duration)> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((phase, start)) = state.current.take() {
            state.finished.push((phase, start.elapsed()));
        }
        let mut merged: Vec<(Phase, Duration)> = Vec::new();
        for &(phase, took) in &state.finished {
            match merged.iter_mut().find(|(p, _)| *p == phase) {
                Some((_, sum)) => *sum += took,
                None => merged.push((phase, took)),
            }
        }
        merged
    }
}

impl Progress for PhaseTimer<'_> {
    fn phase(&self, phase: Phase, total: u64) {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((prev, start)) = state.current.take() {
                state.finished.push((prev, start.elapsed()));
            }
            state.current = Some((phase, Instant::now()));
        }
        self.inner.phase(phase, total);
    }

    fn set_done(&self, done: u64) {
        self.inner.set_done(done);
    }

    fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}
