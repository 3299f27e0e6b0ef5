//! The `heapscope` binary: a CLI subcommand when one is given, the desktop app otherwise.

use std::process::ExitCode;

use clap::Parser as _;
use heapscope::cli::{Cli, run};

#[global_allocator]
static ALLOCATOR: heapscope::alloc::MappingAllocator = heapscope::alloc::MappingAllocator;

fn main() -> ExitCode {
    heapscope::alloc::configure_from_env();
    let cli = Cli::parse();
    match cli.command {
        Some(command) => run(command),
        None => open_window(cli.files),
    }
}

/// Opens the desktop app with `files`.
#[cfg(feature = "gui")]
fn open_window(files: Vec<std::path::PathBuf>) -> ExitCode {
    match heapscope::app::run(files) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("heapscope: cannot open the window: {err}");
            ExitCode::from(2)
        }
    }
}

/// Without the desktop app, a command is required.
#[cfg(not(feature = "gui"))]
fn open_window(_files: Vec<std::path::PathBuf>) -> ExitCode {
    eprintln!("heapscope: this build has no desktop app (the `gui` feature is off); give a command, see --help");
    ExitCode::from(2)
}
