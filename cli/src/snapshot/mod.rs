//! `strata snapshot …`: the subcommands that manage a snapshot store, one group per file.

pub(crate) mod apply;
mod cat;
mod checkout;
mod compare;
mod inspect;
mod layer;
mod log;
mod maintain;
mod mount;
mod output;
mod pack;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use strata_snapshots::checkout::CheckoutOptions;

use crate::store;

/// Options of `strata snapshot`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
SNAP is a ref name (as given to `strata run --save`), a full hash, or a unique
prefix of at least 4 hex digits of a snapshot's hash. With --state DIR (the
directory `strata run --state DIR` keeps), the state's newest snapshot is ref
`latest`: `strata snapshot --state DIR checkout latest OUT`.")]
pub(crate) struct SnapshotArgs {
    /// The snapshot store: a directory or s3://BUCKET/PREFIX (default:
    /// $STRATA_STORE, else $XDG_DATA_HOME/strata/store, else
    /// ~/.local/share/strata/store).
    #[arg(long, value_name = "DIR", global = true)]
    store: Option<PathBuf>,
    /// The state directory of `strata run --state DIR` (the store it keeps;
    /// its newest snapshot is ref `latest`).
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "store")]
    state: Option<PathBuf>,
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
    /// List the paths that differ from A to B (A added, D deleted, M modified, T type changed).
    Diff {
        /// The older snapshot.
        a: String,
        /// The newer snapshot.
        b: String,
    },
    /// The runs of a chain, newest first: each run's result, time, exit
    /// status, module and arguments, and what it changed (+added -deleted
    /// ~modified paths). A --state chain: `snapshot --state DIR log`.
    Log {
        /// The newest run's result (default: `latest`).
        #[arg(default_value = "latest")]
        snap: String,
    },
    /// Write one file of a snapshot to stdout (symlinks are not followed).
    Cat {
        /// The snapshot.
        snap: String,
        /// The file's path from the snapshot's root.
        path: String,
    },
    /// Write a snapshot's tree into a new host directory (all or nothing).
    Checkout {
        /// The snapshot.
        snap: String,
        /// The directory to create (or an empty one).
        dest: PathBuf,
        /// Only what changed since the snapshot's parent, with OCI whiteout files.
        #[arg(long)]
        changes_only: bool,
        /// Replace DEST even if it is not empty (only once the new tree is complete).
        #[arg(long)]
        force: bool,
        /// Keep set-user-ID and set-group-ID bits (dropped by default, as tar
        /// does without owners: only for snapshots you trust).
        #[arg(long)]
        keep_setid: bool,
    },
    /// Apply what a snapshot changed against its parent (for a saved run,
    /// the tree it started from) onto host directory DIR, refusing if a path
    /// it touches no longer matches the parent there.
    Apply {
        /// The snapshot.
        snap: String,
        /// The host directory to change.
        dir: PathBuf,
        /// Print the plan (A/D/M/T per path, with conflicts) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply conflicting paths too (what the host has there is lost).
        #[arg(long)]
        force: bool,
        /// Keep set-user-ID and set-group-ID bits (dropped by default).
        #[arg(long)]
        keep_setid: bool,
        /// No summary line.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Write an OCI image-layer tar: the changes since the snapshot's parent
    /// (all of it if it has none), or the whole tree with --full.
    Export {
        /// The snapshot.
        snap: String,
        /// The whole tree, not just the changes.
        #[arg(long)]
        full: bool,
        /// Write to FILE (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Apply an OCI image-layer tar (`-` for stdin) to an empty tree or to
    /// --base, and save the result; prints its hash.
    Import {
        /// The layer archive.
        layer: PathBuf,
        /// Name the result.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Apply the layer on top of this snapshot.
        #[arg(long, value_name = "SNAP")]
        base: Option<String>,
    },
    /// Write a snapshot and every object it reaches (parents included) as one
    /// file, to move it to another store.
    Pack {
        /// The snapshot.
        snap: String,
        /// Write to FILE (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Verify and store a file written by `pack` (`-` for stdin); prints its hash.
    Unpack {
        /// The pack file.
        file: PathBuf,
        /// Name the snapshot.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Read every object of a snapshot (or of every ref) and check its hash.
    Verify {
        /// The snapshot (default: every ref).
        snap: Option<String>,
    },
    /// Serve a snapshot read-only at MOUNTPOINT over FUSE, straight from the
    /// store, until unmounted (Ctrl-C or `fusermount3 -u MOUNTPOINT`).
    Mount {
        /// The snapshot.
        snap: String,
        /// An existing directory.
        mountpoint: PathBuf,
        /// Return once mounted, serving from a detached process.
        #[arg(long)]
        background: bool,
        /// Internal: print `ready` once mounted (the --background handshake).
        #[arg(long, hide = true)]
        notify_ready: bool,
    },
    /// Copy a snapshot, and the objects it reaches that STORE lacks, to STORE
    /// (a directory or s3://BUCKET/PREFIX); a ref keeps its name there.
    Push {
        /// The snapshot.
        snap: String,
        /// The destination store.
        #[arg(long, value_name = "STORE")]
        to: PathBuf,
        /// Requests at once.
        #[arg(long, default_value_t = 8)]
        jobs: usize,
    },
    /// Copy a snapshot, and the objects it reaches that this store lacks,
    /// from STORE; a ref keeps its name here.
    Pull {
        /// The snapshot (in STORE).
        snap: String,
        /// The source store.
        #[arg(long, value_name = "STORE")]
        from: PathBuf,
        /// Requests at once.
        #[arg(long, default_value_t = 8)]
        jobs: usize,
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
    let dir = match &a.state {
        Some(state) => state.clone(),
        None => store::store_dir(a.store.as_deref())?,
    };
    // Only commands that add snapshots create a store; the others would
    // otherwise leave an empty one behind after a typo in the path.
    let creates = matches!(
        a.command,
        SnapshotCommand::Import { .. }
            | SnapshotCommand::Unpack { .. }
            | SnapshotCommand::Pull { .. }
    );
    if !creates && !store::exists(&dir) {
        anyhow::bail!("no snapshot store at `{}`", dir.display());
    }
    let opened = store::open_at(&dir)?;
    // Every command but gc (which locks as it goes) holds the store lock
    // shared: README, "Sharing a store between processes".
    let _held = match a.command {
        SnapshotCommand::Gc => None,
        _ => Some(opened.hold()?),
    };
    match a.command {
        SnapshotCommand::Ls => inspect::ls(&opened),
        SnapshotCommand::Show { snap } => inspect::show(&opened, &snap),
        SnapshotCommand::Diff { a, b } => compare::run(&opened, &a, &b),
        SnapshotCommand::Log { snap } => log::run(&opened, &snap),
        SnapshotCommand::Cat { snap, path } => cat::run(&opened, &snap, &path),
        SnapshotCommand::Checkout {
            snap,
            dest,
            changes_only,
            force,
            keep_setid,
        } => checkout::run(
            &opened,
            &snap,
            &dest,
            CheckoutOptions {
                overwrite: force,
                changes_only,
                keep_setid,
            },
        ),
        SnapshotCommand::Apply {
            snap,
            dir,
            dry_run,
            force,
            keep_setid,
            quiet,
        } => apply::run(
            &opened,
            &snap,
            &dir,
            apply::How {
                dry_run,
                force,
                keep_setid,
                quiet,
            },
        ),
        SnapshotCommand::Export { snap, full, output } => {
            layer::export_cmd(&opened, &snap, full, output.as_deref())
        }
        SnapshotCommand::Import { layer, name, base } => {
            layer::import_cmd(&opened, &layer, name.as_deref(), base.as_deref())
        }
        SnapshotCommand::Pack { snap, output } => pack::pack_cmd(&opened, &snap, output.as_deref()),
        SnapshotCommand::Unpack { file, name } => pack::unpack_cmd(&opened, &file, name.as_deref()),
        SnapshotCommand::Verify { snap } => maintain::verify(&opened, snap.as_deref()),
        SnapshotCommand::Mount {
            snap,
            mountpoint,
            background,
            notify_ready,
        } => mount::run(&opened, &snap, &mountpoint, background, notify_ready),
        SnapshotCommand::Push { snap, to, jobs } => transfer::push(&opened, &snap, &to, jobs),
        SnapshotCommand::Pull { snap, from, jobs } => transfer::pull(&opened, &snap, &from, jobs),
        SnapshotCommand::Rm { name } => maintain::rm(&opened, &name),
        SnapshotCommand::Gc => maintain::gc(&opened),
    }?;
    Ok(ExitCode::SUCCESS)
}
