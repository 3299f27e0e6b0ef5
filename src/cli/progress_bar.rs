//! A [`Progress`] that draws a bar on stderr when stderr is a terminal.

use std::io::IsTerminal as _;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::progress::{Phase, Progress};

/// Shows the phase and done/total on stderr; silent when stderr is not a terminal.
pub struct TerminalProgress {
    bar: Option<Mutex<ProgressBar>>,
}

impl TerminalProgress {
    /// A bar on stderr if it is a terminal, otherwise nothing.
    pub fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template("{prefix:>8} [{bar:40}] {percent:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Self { bar: Some(Mutex::new(bar)) }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.lock().unwrap_or_else(|p| p.into_inner()).finish_and_clear();
        }
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for TerminalProgress {
    fn phase(&self, phase: Phase, total: u64) {
        if let Some(bar) = &self.bar {
            let bar = bar.lock().unwrap_or_else(|p| p.into_inner());
            bar.set_prefix(phase.name());
            bar.set_length(total);
            bar.set_position(0);
        }
    }

    fn set_done(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.lock().unwrap_or_else(|p| p.into_inner()).set_position(done);
        }
    }
}
