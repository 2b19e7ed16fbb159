//! `strata`: run WASI guests over an overlay filesystem and manage snapshots.

mod cache;
mod demo;
mod fork_bench;
mod guest;
mod mounts;
mod progress;
mod run;
mod snapshot;
mod store;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run WebAssembly guests over a copy-on-write overlay of host directories.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a WASI command module; host directories are never modified.
    Run(Box<run::RunArgs>),
    /// List, inspect, compare, move and collect saved snapshots.
    Snapshot(snapshot::SnapshotArgs),
    /// Show the overlay engine at work over a bundled tree (no arguments needed).
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Demo => demo::run().map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("strata: {e:#}");
            // Usage mistakes exit 2, as clap's own parse errors do.
            if e.downcast_ref::<store::Usage>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
