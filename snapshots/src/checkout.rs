//! `checkout`: writes a saved snapshot's tree into a new host directory, atomically.
//!
//! Everything is written into a temporary sibling of the destination
//! (`.NAME.strata-checkout-…`), which is renamed into place only when
//! complete: a failure or a crash leaves no half-written destination (at
//! worst a temporary sibling, removed on failure when possible). Files are
//! not fsynced: the rename makes the tree appear whole to other processes,
//! but after a power loss the newest data may be missing, as with `cp`.
//!
//! Temporaries carry their owner's pid and are locked while in use (see
//! [`crate::stale`]): what a killed checkout leaves is removed by the next
//! checkout into the same destination, and an old tree that a killed
//! `overwrite` had moved aside but not yet replaced is put back first.
//!
//! Set-user-ID and set-group-ID bits are dropped unless asked for, as tar
//! does when it does not restore owners: files belong to whoever checks
//! out, so a snapshot's setuid file would otherwise run with the privileges
//! of the caller (root's, for a root checkout) for anyone who runs it. The
//! sticky bit is kept: it only narrows who may delete or rename entries.

pub(crate) mod write;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::hash::Hash;
use crate::load::read_manifest;
use crate::oci::WHITEOUT_PREFIX;
use crate::oci::plan::{Item, plan};
use crate::progress::Progress;
use crate::stale::{self, TempLock};
use crate::store::Store;

/// The set-user-ID and set-group-ID bits, dropped by default.
const SETID_BITS: u32 = 0o6000;

/// How to check out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckoutOptions {
    /// Replace an existing destination that is not an empty directory (it
    /// is removed only after the new tree is complete).
    pub overwrite: bool,
    /// Write only what changed since the snapshot's parent (its manifest's
    /// `parent`; the whole tree if it has none): added and modified entries
    /// with the directories above them, each removed name `N` as an empty
    /// file `.wh.N` and a directory that lost all its old entries marked by
    /// an empty `.wh..wh..opq`, as in an OCI layer.
    pub changes_only: bool,
    /// Keep set-user-ID and set-group-ID bits (dropped by default: see the
    /// module documentation). Only for snapshots the caller trusts.
    pub keep_setid: bool,
}

impl CheckoutOptions {
    /// The permission bits written for stored bits `perm`.
    fn mode(&self, perm: u32) -> u32 {
        if self.keep_setid {
            perm
        } else {
            perm & !SETID_BITS
        }
    }
}

/// What a checkout wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckoutStats {
    /// Directories, the destination itself included.
    pub dirs: u64,
    /// Regular files (first names of hard-linked ones).
    pub files: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Further names of hard-linked files and symlinks.
    pub hard_links: u64,
    /// Whiteout and opaque marker files (`changes_only`).
    pub whiteouts: u64,
    /// Bytes of file data, holes included.
    pub bytes: u64,
}

/// Every way a checkout can fail.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// Reading the snapshot from the store failed.
    #[error(transparent)]
    Snapshot(#[from] Error),
    /// The destination exists and is not an empty directory, and `overwrite`
    /// was not asked for.
    #[error("{0} already exists and is not an empty directory (use overwrite to replace it)")]
    DestinationExists(PathBuf),
    /// The destination has no parent directory and name to put a temporary
    /// sibling beside (`/`, `..`).
    #[error("{0} cannot be a checkout destination")]
    BadDestination(PathBuf),
    /// A name cannot be written in `changes_only` mode (it would read as a
    /// whiteout).
    #[error("{path:?} cannot be written with whiteouts beside it: {why}")]
    Unrepresentable {
        /// The snapshot path.
        path: String,
        /// Why.
        why: &'static str,
    },
    /// A host filesystem operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The host path involved.
        path: PathBuf,
        /// The host error.
        source: io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> CheckoutError + '_ {
    move |source| CheckoutError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What is at the destination now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Absent,
    EmptyDir,
    /// A non-empty directory, or something that is not a directory.
    Occupied {
        dir: bool,
    },
}

fn inspect(dest: &Path) -> Result<Dest, CheckoutError> {
    match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Dest::Absent),
        Err(e) => Err(io_at(dest)(e)),
        Ok(m) if m.is_dir() => {
            let mut it = fs::read_dir(dest).map_err(io_at(dest))?;
            Ok(if it.next().is_none() {
                Dest::EmptyDir
            } else {
                Dest::Occupied { dir: true }
            })
        }
        Ok(_) => Ok(Dest::Occupied { dir: false }),
    }
}

/// Writes snapshot `snap` (a manifest hash) into host directory `dest`:
/// file contents (holes left as holes where the host filesystem supports
/// them), permission bits, access and modification times, symlinks and hard
/// links. Owners are not set (files belong to the caller). Refuses a
/// destination that exists and is not an empty directory unless
/// `opts.overwrite`. Progress is reported in bytes of file data.
pub fn checkout(
    store: &Store,
    snap: &Hash,
    dest: &Path,
    opts: CheckoutOptions,
    progress: &dyn Progress,
) -> Result<CheckoutStats, CheckoutError> {
    let name = dest
        .file_name()
        .ok_or_else(|| CheckoutError::BadDestination(dest.to_owned()))?
        .to_string_lossy()
        .into_owned();
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    clean_stale(&parent, &name, dest)?;
    let state = inspect(dest)?;
    if matches!(state, Dest::Occupied { .. }) && !opts.overwrite {
        return Err(CheckoutError::DestinationExists(dest.to_owned()));
    }
    let base = if opts.changes_only {
        read_manifest(store, snap)?.parent
    } else {
        None
    };
    let items = plan(store, snap, base.as_ref())?;
    if opts.changes_only {
        for item in &items {
            if let Item::Dir { path, .. }
            | Item::File { path, .. }
            | Item::Symlink { path, .. }
            | Item::HardLink { path, .. } = item
                && path
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .starts_with(WHITEOUT_PREFIX)
            {
                return Err(CheckoutError::Unrepresentable {
                    path: format!("/{path}"),
                    why: "names starting with .wh. mean whiteouts",
                });
            }
        }
    }
    let (tmp, _lock) = make_temp_dir(&parent, &name, "checkout")?;
    let written = write::write_all(store, &tmp, &items, opts, progress);
    let placed = written.and_then(|stats| place(&tmp, dest, &parent, &name, state).map(|_| stats));
    if placed.is_err() {
        // Best effort: the error being reported matters more than this one.
        let _ = stale::remove_tree(&tmp);
    }
    placed
}

/// The prefix of the temporaries of kind `what` for destination `name`.
fn temp_prefix(name: &str, what: &str) -> String {
    format!(".{name}.strata-{what}-")
}

/// Removes what killed checkouts into `parent/name` left behind. An old
/// tree moved aside by a checkout killed before its replacement was renamed
/// into place goes back to `dest` if nothing has taken that place since.
fn clean_stale(parent: &Path, name: &str, dest: &Path) -> Result<(), CheckoutError> {
    for (old, _lock) in
        stale::find_stale(parent, &temp_prefix(name, "old")).map_err(io_at(parent))?
    {
        let aside = old.join("old");
        if fs::symlink_metadata(&aside).is_ok() && inspect(dest)? == Dest::Absent {
            fs::rename(&aside, dest).map_err(io_at(dest))?;
        }
        stale::remove(&old).map_err(io_at(&old))?;
    }
    stale::clean(parent, &temp_prefix(name, "checkout")).map_err(io_at(parent))?;
    Ok(())
}

/// Creates a new, uniquely named directory `.NAME.strata-WHAT-PID-N` in
/// `parent`, locked for this process.
fn make_temp_dir(
    parent: &Path,
    name: &str,
    what: &str,
) -> Result<(PathBuf, TempLock), CheckoutError> {
    let prefix = temp_prefix(name, what);
    for i in 0u32..1000 {
        let p = parent.join(stale::temp_name(&prefix, i));
        match fs::create_dir(&p) {
            Ok(()) => {
                let lock = stale::lock_path(&p).map_err(io_at(&p))?;
                return Ok((p, lock));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_at(&p)(e)),
        }
    }
    Err(io_at(parent)(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name",
    )))
}

/// Moves the finished tree `tmp` to `dest`.
fn place(
    tmp: &Path,
    dest: &Path,
    parent: &Path,
    name: &str,
    state: Dest,
) -> Result<(), CheckoutError> {
    match state {
        // rename(2) replaces an empty directory atomically.
        Dest::Absent | Dest::EmptyDir => fs::rename(tmp, dest).map_err(io_at(dest)),
        Dest::Occupied { dir } => {
            // Move the old tree aside first so the new one appears at once;
            // put it back if that fails.
            let (old, _lock) = make_temp_dir(parent, name, "old")?;
            let aside = old.join("old");
            fs::rename(dest, &aside).map_err(io_at(dest))?;
            if let Err(e) = fs::rename(tmp, dest) {
                let _ = fs::rename(&aside, dest);
                let _ = fs::remove_dir(&old);
                return Err(io_at(dest)(e));
            }
            let removed = if dir {
                stale::remove_tree(&old)
            } else {
                fs::remove_file(&aside).and_then(|_| fs::remove_dir(&old))
            };
            removed.map_err(io_at(&old))
        }
    }
}
