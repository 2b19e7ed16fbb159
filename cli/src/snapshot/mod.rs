//! `strata snapshot …`: the subcommands that manage a snapshot store, one group per file.

mod inspect;
mod maintain;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::store;

/// Options of `strata snapshot`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
SNAP is a ref name (as given to `strata run --save`), a full hash, or a unique
prefix of at least 4 hex digits of a snapshot's hash.")]
pub(crate) struct SnapshotArgs {
    /// The snapshot store (default: $STRATA_STORE, else
    /// $XDG_DATA_HOME/strata/store, else ~/.local/share/strata/store).
    #[arg(long, value_name = "DIR", global = true)]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: SnapshotCommand,
}

#[derive(Debug, Subcommand)]
enum SnapshotCommand {
    /// List the named snapshots (refs).
    Ls,
    /// Show a snapshot's manifest: hash, parent, labels, lowers, counts.
    Show {
        /// The snapshot.
        snap: String,
    },
    /// Read every object of a snapshot (or of every ref) and check its hash.
    Verify {
        /// The snapshot (default: every ref).
        snap: Option<String>,
    },
    /// Remove a ref (its objects stay until `gc`).
    Rm {
        /// The ref name.
        name: String,
    },
    /// Remove the objects no ref reaches.
    Gc,
}

pub(crate) fn run(a: SnapshotArgs) -> Result<ExitCode> {
    let dir = store::store_dir(a.store.as_deref())?;
    // Only commands that add snapshots create a store; the others would
    // otherwise leave an empty one behind after a typo in the path.
    if !dir.is_dir() {
        anyhow::bail!("no snapshot store at `{}`", dir.display());
    }
    let opened = store::open_at(&dir)?;
    match a.command {
        SnapshotCommand::Ls => inspect::ls(&opened),
        SnapshotCommand::Show { snap } => inspect::show(&opened, &snap),
        SnapshotCommand::Verify { snap } => maintain::verify(&opened, snap.as_deref()),
        SnapshotCommand::Rm { name } => maintain::rm(&opened, &name),
        SnapshotCommand::Gc => maintain::gc(&opened),
    }?;
    Ok(ExitCode::SUCCESS)
}
