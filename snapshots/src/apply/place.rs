//! Changing one host path at a time by rename: new entries are built in a locked temporary directory beside them, old ones moved into it before they are deleted.
//!
//! Each directory `apply` changes gets one temporary directory
//! `.strata-apply-<pid>-…` (see [`crate::stale`]), locked while in use and
//! removed at the end; what a killed apply left there is removed by the next
//! one. Every change of a path is a single `rename(2)` (or two, for a
//! change between a directory and something else: the old one aside, the
//! new one in), so each path is at any instant either old or new (or, in
//! the second case, briefly absent).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Timespec, Timestamps};

use super::ApplyError;
use crate::checkout::CheckoutOptions;
use crate::checkout::write::write_all;
use crate::format::{DirObject, Entry, EntryKind, FileObject, Meta, SymlinkObject};
use crate::oci::plan::Item;
use crate::progress::Progress;
use crate::stale::{self, TempLock};
use crate::store::Store;

/// The prefix of apply's temporary directories.
pub(super) const TEMP_PREFIX: &str = ".strata-apply-";

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> ApplyError + '_ {
    move |source| ApplyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One directory's temporary, and the times the directory had before it
/// was made (given back once it is gone).
struct Temp {
    dir: PathBuf,
    _lock: TempLock,
    times: Timestamps,
}

/// The temporary directories of one apply, one per changed directory.
pub(super) struct Temps {
    made: HashMap<PathBuf, Temp>,
    order: Vec<PathBuf>,
    n: u64,
}

impl Temps {
    pub(super) fn new() -> Temps {
        Temps {
            made: HashMap::new(),
            order: Vec::new(),
            n: 0,
        }
    }

    /// A fresh name inside the temporary directory of `parent` (made on
    /// first use).
    pub(super) fn fresh(&mut self, parent: &Path) -> Result<PathBuf, ApplyError> {
        if !self.made.contains_key(parent) {
            let meta = fs::symlink_metadata(parent).map_err(io_at(parent))?;
            let times = Timestamps {
                last_access: Timespec {
                    tv_sec: meta.atime(),
                    tv_nsec: meta.atime_nsec() as _,
                },
                last_modification: Timespec {
                    tv_sec: meta.mtime(),
                    tv_nsec: meta.mtime_nsec() as _,
                },
            };
            let (dir, lock) = make_temp_dir(parent)?;
            self.made.insert(
                parent.to_owned(),
                Temp {
                    dir,
                    _lock: lock,
                    times,
                },
            );
            self.order.push(parent.to_owned());
        }
        self.n += 1;
        Ok(self.made[parent].dir.join(self.n.to_string()))
    }

    /// Removes every temporary directory (with what was moved aside into
    /// it) and gives each parent back the times it had before.
    pub(super) fn finish(mut self) -> Result<(), ApplyError> {
        for parent in std::mem::take(&mut self.order) {
            let Some(t) = self.made.remove(&parent) else {
                continue;
            };
            stale::remove_tree(&t.dir).map_err(io_at(&t.dir))?;
            rustix::fs::utimensat(rustix::fs::CWD, &parent, &t.times, AtFlags::empty())
                .map_err(|e| io_at(&parent)(e.into()))?;
        }
        Ok(())
    }
}

/// Creates and locks `parent/.strata-apply-<pid>-…`.
fn make_temp_dir(parent: &Path) -> Result<(PathBuf, TempLock), ApplyError> {
    for i in 0u32..1000 {
        let p = parent.join(stale::temp_name(TEMP_PREFIX, i));
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

/// Writes stored entry `e` (a whole subtree for a directory) at the fresh
/// temporary path `at`; returns the bytes of file data written.
pub(super) fn build(
    store: &Store,
    e: &Entry,
    at: &Path,
    opts: CheckoutOptions,
    progress: &dyn Progress,
) -> Result<u64, ApplyError> {
    fs::create_dir(at).map_err(io_at(at))?;
    let mut items = Vec::new();
    let mut work = vec![("new".to_owned(), e.clone())];
    while let Some((path, e)) = work.pop() {
        match e.kind {
            EntryKind::Dir => {
                let d: DirObject = store.get_object(&e.hash)?;
                for c in d.entries.iter().rev() {
                    work.push((format!("{path}/{}", c.name), c.clone()));
                }
                items.push(Item::Dir { path, meta: d.meta });
            }
            EntryKind::File => {
                let file: FileObject = store.get_object(&e.hash)?;
                items.push(Item::File { path, file });
            }
            EntryKind::Symlink => {
                let link: SymlinkObject = store.get_object(&e.hash)?;
                items.push(Item::Symlink { path, link });
            }
        }
    }
    let stats = write_all(store, at, &items, opts, progress)?;
    Ok(stats.bytes)
}

/// Puts what `build` made at `at` in place of host path `target`: one
/// rename over a non-directory, or the old entry moved aside first when
/// either side is a directory (rename(2) cannot replace a non-empty one).
pub(super) fn place(temps: &mut Temps, at: &Path, target: &Path) -> Result<(), ApplyError> {
    let new = at.join("new");
    let new_dir = fs::symlink_metadata(&new).map_err(io_at(&new))?.is_dir();
    match fs::symlink_metadata(target) {
        Ok(m) if m.is_dir() || new_dir => remove(temps, target)?,
        _ => {}
    }
    fs::rename(&new, target).map_err(io_at(target))?;
    fs::remove_dir(at).map_err(io_at(at))
}

/// Moves host path `target` aside into its parent's temporary directory
/// (deleted by [`Temps::finish`]); nothing there is not an error.
pub(super) fn remove(temps: &mut Temps, target: &Path) -> Result<(), ApplyError> {
    if fs::symlink_metadata(target).is_err() {
        return Ok(());
    }
    let aside = temps.fresh(parent_of(target))?;
    fs::rename(target, &aside).map_err(io_at(target))
}

/// The directory `path` is in.
pub(super) fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

fn timestamps(meta: &Meta) -> Timestamps {
    let ts = |ns: u64| Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as _,
    };
    Timestamps {
        last_access: ts(meta.atime),
        last_modification: ts(meta.mtime),
    }
}

/// Gives the host entry at `target` stored entry `e`'s permissions (not a
/// symlink's: Linux has none) and times, in place.
pub(super) fn set_meta(
    store: &Store,
    e: &Entry,
    target: &Path,
    opts: CheckoutOptions,
) -> Result<(), ApplyError> {
    let meta = match e.kind {
        EntryKind::File => store.get_object::<FileObject>(&e.hash)?.meta,
        EntryKind::Dir => store.get_object::<DirObject>(&e.hash)?.meta,
        EntryKind::Symlink => store.get_object::<SymlinkObject>(&e.hash)?.meta,
    };
    if e.kind != EntryKind::Symlink {
        let mode = if opts.keep_setid {
            meta.perm
        } else {
            meta.perm & !0o6000
        };
        fs::set_permissions(target, fs::Permissions::from_mode(mode)).map_err(io_at(target))?;
    }
    rustix::fs::utimensat(
        rustix::fs::CWD,
        target,
        &timestamps(&meta),
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(|e| io_at(target)(e.into()))
}

/// Makes host path `member` another name of host path `first` (a no-op if
/// it already is), replacing what `member` was by one rename.
pub(super) fn link(temps: &mut Temps, first: &Path, member: &Path) -> Result<(), ApplyError> {
    let a = fs::symlink_metadata(first).map_err(io_at(first))?;
    if let Ok(b) = fs::symlink_metadata(member)
        && a.dev() == b.dev()
        && a.ino() == b.ino()
    {
        return Ok(());
    }
    let at = temps.fresh(parent_of(member))?;
    rustix::fs::linkat(
        rustix::fs::CWD,
        first,
        rustix::fs::CWD,
        &at,
        AtFlags::empty(),
    )
    .map_err(|e| io_at(member)(e.into()))?;
    fs::rename(&at, member).map_err(io_at(member))
}
