//! The `heapscope` binary: a CLI subcommand when one is given, the desktop app otherwise.

use std::process::ExitCode;

use clap::Parser as _;
use heapscope::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(command) => run(command),
        None => {
            eprintln!("heapscope: the desktop app is not available yet; try `heapscope info FILE`");
            ExitCode::from(2)
        }
    }
}
