//! The `heapscope` binary: a CLI subcommand when one is given, the desktop app otherwise.

use std::process::ExitCode;

use clap::Parser as _;
use heapscope::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(command) => run(command),
        None => match heapscope::app::run(cli.files) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("heapscope: cannot open the window: {err}");
                ExitCode::from(2)
            }
        },
    }
}
