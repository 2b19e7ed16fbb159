//! `checkout`: writes a saved snapshot's tree into a new host directory, atomically.
//!
//! Everything is written into a temporary sibling of the destination
//! (`.NAME.strata-checkout-…`), which is renamed into place only when
//! complete: a failure or a crash leaves no half-written destination (at
//! worst a temporary sibling, removed on failure when possible). Files are
//! not fsynced: the rename makes the tree appear whole to other processes,
//! but after a power loss the newest data may be missing, as with `cp`.

use std::fs::{self, File, FileTimes, Permissions};
use std::io;
use std::os::unix::fs::{FileExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::format::{self, FileObject, Kind, Meta};
use crate::hash::Hash;
use crate::load::read_manifest;
use crate::oci::plan::{Item, plan};
use crate::oci::{OPAQUE_MARKER, WHITEOUT_PREFIX};
use crate::progress::Progress;
use crate::store::Store;

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
    let name = dest
        .file_name()
        .ok_or_else(|| CheckoutError::BadDestination(dest.to_owned()))?
        .to_string_lossy()
        .into_owned();
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let tmp = make_temp_dir(&parent, &name, "checkout")?;
    let written = write_all(store, &tmp, &items, progress);
    let placed = written.and_then(|stats| place(&tmp, dest, &parent, &name, state).map(|_| stats));
    if placed.is_err() {
        // Best effort: the error being reported matters more than this one.
        let _ = fs::remove_dir_all(&tmp);
    }
    placed
}

/// Creates a new, uniquely named directory `.NAME.strata-WHAT-N` in `parent`.
fn make_temp_dir(parent: &Path, name: &str, what: &str) -> Result<PathBuf, CheckoutError> {
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for i in 0u32..1000 {
        let p = parent.join(format!(
            ".{name}.strata-{what}-{}-{nonce}-{i}",
            std::process::id()
        ));
        match fs::create_dir(&p) {
            Ok(()) => return Ok(p),
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
            let old = make_temp_dir(parent, name, "old")?;
            let aside = old.join("old");
            fs::rename(dest, &aside).map_err(io_at(dest))?;
            if let Err(e) = fs::rename(tmp, dest) {
                let _ = fs::rename(&aside, dest);
                let _ = fs::remove_dir(&old);
                return Err(io_at(dest)(e));
            }
            let removed = if dir {
                fs::remove_dir_all(&old)
            } else {
                fs::remove_file(&aside).and_then(|_| fs::remove_dir(&old))
            };
            removed.map_err(io_at(&old))
        }
    }
}

fn time(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

fn write_all(
    store: &Store,
    root: &Path,
    items: &[Item],
    progress: &dyn Progress,
) -> Result<CheckoutStats, CheckoutError> {
    let total = items
        .iter()
        .map(|i| match i {
            Item::File { file, .. } => file.size,
            _ => 0,
        })
        .sum();
    progress.set_total(total);
    let mut stats = CheckoutStats::default();
    let at = |p: &str| {
        if p.is_empty() {
            root.to_owned()
        } else {
            root.join(p)
        }
    };
    let mut dirs: Vec<(PathBuf, Meta)> = Vec::new();
    for item in items {
        match item {
            Item::Dir { path, meta } => {
                let p = at(path);
                if !path.is_empty() {
                    fs::create_dir(&p).map_err(io_at(&p))?;
                }
                dirs.push((p, *meta));
                stats.dirs += 1;
            }
            Item::File { path, file } => {
                let p = at(path);
                write_file(store, &p, file)?;
                stats.files += 1;
                stats.bytes += file.size;
                progress.advance(file.size);
            }
            Item::Symlink { path, link } => {
                let p = at(path);
                symlink(&link.target, &p).map_err(io_at(&p))?;
                let ft = |ns: u64| {
                    filetime::FileTime::from_unix_time(
                        (ns / 1_000_000_000) as i64,
                        (ns % 1_000_000_000) as u32,
                    )
                };
                filetime::set_symlink_file_times(&p, ft(link.meta.atime), ft(link.meta.mtime))
                    .map_err(io_at(&p))?;
                stats.symlinks += 1;
            }
            Item::HardLink { path, target } => {
                let p = at(path);
                fs::hard_link(at(target), &p).map_err(io_at(&p))?;
                stats.hard_links += 1;
            }
            Item::Whiteout { path } => {
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                let p = at(dir).join(format!("{WHITEOUT_PREFIX}{name}"));
                File::create_new(&p).map_err(io_at(&p))?;
                stats.whiteouts += 1;
            }
            Item::Opaque { path } => {
                let p = at(path).join(OPAQUE_MARKER);
                File::create_new(&p).map_err(io_at(&p))?;
                stats.whiteouts += 1;
            }
        }
    }
    // Deepest first, after every entry is in: creating entries changes a
    // directory's mtime, and a read-only directory would refuse them.
    for (p, meta) in dirs.iter().rev() {
        fs::set_permissions(p, Permissions::from_mode(meta.perm)).map_err(io_at(p))?;
        let dir = File::open(p).map_err(io_at(p))?;
        let times = FileTimes::new()
            .set_accessed(time(meta.atime))
            .set_modified(time(meta.mtime));
        dir.set_times(times).map_err(io_at(p))?;
    }
    Ok(stats)
}

/// Writes one file: its stored chunks at their offsets, then its size, so
/// holes stay unwritten (sparse where the host filesystem allows).
fn write_file(store: &Store, p: &Path, file: &FileObject) -> Result<(), CheckoutError> {
    let f = File::create_new(p).map_err(io_at(p))?;
    for (i, c) in file.chunks.iter().enumerate() {
        let limit = file.chunks.get(i + 1).map_or(file.size, |n| n.offset);
        let bytes = store.get(&c.hash, Kind::Chunk)?;
        let data = format::decode_chunk(&bytes, c.hash)?.0;
        if data.is_empty() || c.offset + data.len() as u64 > limit {
            return Err(Error::Corrupted {
                object: Kind::Chunk,
                hash: c.hash,
                what: "chunk empty or overlapping the next one or the end of the file",
            }
            .into());
        }
        f.write_all_at(data, c.offset).map_err(io_at(p))?;
    }
    f.set_len(file.size).map_err(io_at(p))?;
    f.set_permissions(Permissions::from_mode(file.meta.perm))
        .map_err(io_at(p))?;
    let times = FileTimes::new()
        .set_accessed(time(file.meta.atime))
        .set_modified(time(file.meta.mtime));
    f.set_times(times).map_err(io_at(p))?;
    Ok(())
}
