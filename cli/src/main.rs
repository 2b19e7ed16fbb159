//! `strata`: run WASI guests over an overlay filesystem and manage snapshots.

mod cache;
mod demo;
mod fork_bench;
mod fuzz;
mod guest;
mod limits;
mod module;
mod mounts;
mod progress;
mod run;
mod snapshot;
mod store;

use std::error::Error;
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
    /// Fuzz a WASI command module, guided by coverage (LibAFL); each input runs in an O(1) fork.
    Fuzz(Box<fuzz::FuzzArgs>),
    /// Show the overlay engine at work over a bundled tree (no arguments needed).
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Fuzz(args) => fuzz::run(*args),
        Command::Demo => demo::run().map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("strata: {}", one_line(e.chain()));
            // Usage mistakes exit 2, as clap's own parse errors do.
            if e.downcast_ref::<store::Usage>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// An error and its causes as one line: each message once, a cause whose text
/// its parent already ends with left out (a parent that formats its source
/// into its own message would otherwise print it twice: "… (os error 2): …
/// (os error 2)"), line breaks folded. Never a backtrace.
pub(crate) fn one_line<'a>(chain: impl Iterator<Item = &'a (dyn Error + 'static)>) -> String {
    one_line_of(chain.map(ToString::to_string))
}

/// [`one_line`] over the messages themselves.
pub(crate) fn one_line_of(messages: impl Iterator<Item = String>) -> String {
    let mut line = String::new();
    for m in messages {
        let m = m
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if m.is_empty() || line.ends_with(&m) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&m);
    }
    line
}
