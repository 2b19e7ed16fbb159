//! Writing a checkout's items under a directory, relative to directory descriptors, so no path is ever longer than one name.
//!
//! A tree may be deeper than `PATH_MAX` allows a path to be (the engine lets
//! a guest build one as deep as its inode quota), so nothing here joins
//! names into a host path: a cursor holds one descriptor of the directory
//! being filled and moves between directories by single names and `..`.
//! Directories are created `0700` and get their own permissions and times
//! when the cursor leaves them for good (items come parents first, each
//! directory's contents together); a directory whose permissions would not
//! let its owner search it is finished last, deepest first, so that
//! reaching the others never needs to pass it.

use std::fs::{File, FileTimes, Permissions};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps};

use super::{CheckoutError, CheckoutOptions, CheckoutStats};
use crate::error::Error;
use crate::format::{self, FileObject, Kind, Meta};
use crate::oci::plan::{Item, file_bytes};
use crate::oci::{OPAQUE_MARKER, WHITEOUT_PREFIX};
use crate::progress::Progress;
use crate::store::Store;

/// Flags of a descriptor used only to name a directory in `*at` calls: it
/// needs no permission on the directory itself, only search on its parent.
fn dir_flags() -> OFlags {
    OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
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

fn time(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

/// The host path of `rel` under `root`, for error messages only.
fn shown(root: &Path, rel: &[String]) -> PathBuf {
    let mut p = root.to_owned();
    p.extend(rel);
    p
}

/// A directory to finish at the end (its owner cannot search it).
struct Deferred {
    path: Vec<String>,
    meta: Meta,
}

/// Where the writer is: the open directory and its names from the root,
/// each with the metadata to give it when the cursor leaves it (`None`
/// once it was finished already).
struct Cursor<'a> {
    root: &'a Path,
    root_fd: OwnedFd,
    fd: OwnedFd,
    path: Vec<(String, Option<Meta>)>,
    opts: CheckoutOptions,
    deferred: Vec<Deferred>,
}

impl Cursor<'_> {
    /// Turns an error about `name` in the current directory (or about the
    /// directory itself) into one naming its host path.
    fn err<E: Into<io::Error>>(&self, name: Option<&str>) -> impl FnOnce(E) -> CheckoutError + '_ {
        let mut rel: Vec<String> = self.path.iter().map(|(n, _)| n.clone()).collect();
        rel.extend(name.map(str::to_owned));
        move |e| CheckoutError::Io {
            path: shown(self.root, &rel),
            source: e.into(),
        }
    }

    /// Leaves the current directory for its parent, finishing it.
    fn up(&mut self) -> Result<(), CheckoutError> {
        if self.path.is_empty() {
            return Ok(());
        }
        let parent = rustix::fs::openat(&self.fd, "..", dir_flags(), Mode::empty())
            .map_err(self.err(Some("..")))?;
        let Some((name, meta)) = self.path.pop() else {
            return Ok(());
        };
        self.fd = parent;
        if let Some(meta) = meta {
            let mode = self.opts.mode(meta.perm);
            if mode & 0o100 == 0 {
                let mut path: Vec<String> = self.path.iter().map(|(n, _)| n.clone()).collect();
                path.push(name);
                self.deferred.push(Deferred { path, meta });
            } else {
                finish(&self.fd, &name, mode, &meta).map_err(self.err(Some(&name)))?;
            }
        }
        Ok(())
    }

    /// Enters directory `name` of the current one; `meta` if it was just made.
    fn down(&mut self, name: &str, meta: Option<Meta>) -> Result<(), CheckoutError> {
        let fd = rustix::fs::openat(&self.fd, name, dir_flags(), Mode::empty())
            .map_err(self.err(Some(name)))?;
        self.fd = fd;
        self.path.push((name.to_owned(), meta));
        Ok(())
    }

    /// Moves to the directory named by `dir` (names from the root).
    fn go(&mut self, dir: &[&str]) -> Result<(), CheckoutError> {
        let common = self
            .path
            .iter()
            .zip(dir)
            .take_while(|((a, _), b)| a == *b)
            .count();
        while self.path.len() > common {
            self.up()?;
        }
        for name in &dir[common..] {
            self.down(name, None)?;
        }
        Ok(())
    }

    /// A descriptor of directory `dir`, opened from the root.
    fn open_from_root(&self, dir: &[&str]) -> Result<OwnedFd, CheckoutError> {
        let mut fd = rustix::fs::openat(&self.root_fd, ".", dir_flags(), Mode::empty())
            .map_err(self.err(None))?;
        for (i, name) in dir.iter().enumerate() {
            fd = rustix::fs::openat(&fd, *name, dir_flags(), Mode::empty()).map_err(|e| {
                CheckoutError::Io {
                    path: shown(
                        self.root,
                        &dir[..=i]
                            .iter()
                            .map(|s| (*s).to_owned())
                            .collect::<Vec<_>>(),
                    ),
                    source: e.into(),
                }
            })?;
        }
        Ok(fd)
    }

    /// Finishes every directory: those still open on the way back to the
    /// root, then the deferred ones (deepest first), then the root itself.
    fn close(mut self, root_meta: Option<Meta>) -> Result<(), CheckoutError> {
        while !self.path.is_empty() {
            self.up()?;
        }
        for d in std::mem::take(&mut self.deferred).into_iter().rev() {
            let names: Vec<&str> = d.path.iter().map(String::as_str).collect();
            let Some((name, parent)) = names.split_last() else {
                continue;
            };
            let fd = self.open_from_root(parent)?;
            finish(&fd, name, self.opts.mode(d.meta.perm), &d.meta).map_err(|e| {
                CheckoutError::Io {
                    path: shown(self.root, &d.path),
                    source: e.into(),
                }
            })?;
        }
        if let Some(meta) = root_meta {
            let io = |e: io::Error| CheckoutError::Io {
                path: self.root.to_owned(),
                source: e,
            };
            std::fs::set_permissions(self.root, Permissions::from_mode(self.opts.mode(meta.perm)))
                .map_err(io)?;
            rustix::fs::utimensat(
                rustix::fs::CWD,
                self.root,
                &timestamps(&meta),
                AtFlags::empty(),
            )
            .map_err(|e| io(e.into()))?;
        }
        Ok(())
    }
}

/// Gives directory `name` in `parent` its permissions and times.
fn finish(parent: &OwnedFd, name: &str, mode: u32, meta: &Meta) -> rustix::io::Result<()> {
    rustix::fs::chmodat(parent, name, Mode::from_raw_mode(mode), AtFlags::empty())?;
    rustix::fs::utimensat(parent, name, &timestamps(meta), AtFlags::SYMLINK_NOFOLLOW)
}

/// Splits `path` ("" for the root, names joined by `/`) into its parent's
/// names and its own name.
fn split(path: &str) -> (Vec<&str>, &str) {
    let mut names: Vec<&str> = path.split('/').filter(|n| !n.is_empty()).collect();
    let last = names.pop().unwrap_or("");
    (names, last)
}

/// Writes `items` under the empty directory `root`.
pub(crate) fn write_all(
    store: &Store,
    root: &Path,
    items: &[Item],
    opts: CheckoutOptions,
    progress: &dyn Progress,
) -> Result<CheckoutStats, CheckoutError> {
    let total = file_bytes(items);
    progress.set_total(total);
    let root_fd =
        rustix::fs::open(root, dir_flags(), Mode::empty()).map_err(|e| CheckoutError::Io {
            path: root.to_owned(),
            source: e.into(),
        })?;
    let fd = rustix::fs::openat(&root_fd, ".", dir_flags(), Mode::empty()).map_err(|e| {
        CheckoutError::Io {
            path: root.to_owned(),
            source: e.into(),
        }
    })?;
    let mut cur = Cursor {
        root,
        root_fd,
        fd,
        path: Vec::new(),
        opts,
        deferred: Vec::new(),
    };
    let mut stats = CheckoutStats::default();
    let mut root_meta = None;
    for item in items {
        match item {
            Item::Dir { path, meta } => {
                stats.dirs += 1;
                let (parent, name) = split(path);
                if name.is_empty() {
                    root_meta = Some(*meta);
                    continue;
                }
                cur.go(&parent)?;
                rustix::fs::mkdirat(&cur.fd, name, Mode::from_raw_mode(0o700))
                    .map_err(cur.err(Some(name)))?;
                cur.down(name, Some(*meta))?;
            }
            Item::File { path, file } => {
                let (parent, name) = split(path);
                cur.go(&parent)?;
                let f = create(&cur, name)?;
                write_file(store, &f, file, opts).map_err(|e| match e {
                    Written::Io(e) => cur.err::<io::Error>(Some(name))(e),
                    Written::Snapshot(e) => CheckoutError::Snapshot(e),
                })?;
                stats.files += 1;
                stats.bytes += file.size;
                progress.advance(file.size);
            }
            Item::Symlink { path, link } => {
                let (parent, name) = split(path);
                cur.go(&parent)?;
                rustix::fs::symlinkat(link.target.as_str(), &cur.fd, name)
                    .map_err(cur.err(Some(name)))?;
                rustix::fs::utimensat(
                    &cur.fd,
                    name,
                    &timestamps(&link.meta),
                    AtFlags::SYMLINK_NOFOLLOW,
                )
                .map_err(cur.err(Some(name)))?;
                stats.symlinks += 1;
            }
            Item::HardLink { path, target } => {
                let (parent, name) = split(path);
                let (tparent, tname) = split(target);
                cur.go(&parent)?;
                let from = cur.open_from_root(&tparent)?;
                rustix::fs::linkat(&from, tname, &cur.fd, name, AtFlags::empty())
                    .map_err(cur.err(Some(name)))?;
                stats.hard_links += 1;
            }
            Item::Whiteout { path } => {
                let (parent, name) = split(path);
                cur.go(&parent)?;
                create(&cur, &format!("{WHITEOUT_PREFIX}{name}"))?;
                stats.whiteouts += 1;
            }
            Item::Opaque { path } => {
                let (mut parent, name) = split(path);
                if !name.is_empty() {
                    parent.push(name);
                }
                cur.go(&parent)?;
                create(&cur, OPAQUE_MARKER)?;
                stats.whiteouts += 1;
            }
        }
    }
    cur.close(root_meta)?;
    Ok(stats)
}

/// Creates the new empty file `name` in the cursor's directory.
fn create(cur: &Cursor<'_>, name: &str) -> Result<File, CheckoutError> {
    let fd = rustix::fs::openat(
        &cur.fd,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(cur.err(Some(name)))?;
    Ok(File::from(fd))
}

/// How writing one file failed.
enum Written {
    Io(io::Error),
    Snapshot(Error),
}

impl From<io::Error> for Written {
    fn from(e: io::Error) -> Written {
        Written::Io(e)
    }
}

/// Writes one file: its stored chunks at their offsets, then its size, so
/// holes stay unwritten (sparse where the host filesystem allows).
fn write_file(
    store: &Store,
    f: &File,
    file: &FileObject,
    opts: CheckoutOptions,
) -> Result<(), Written> {
    for (i, c) in file.chunks.iter().enumerate() {
        let limit = file.chunks.get(i + 1).map_or(file.size, |n| n.offset);
        let bytes = store.get(&c.hash, Kind::Chunk).map_err(Written::Snapshot)?;
        let data = format::decode_chunk(&bytes, c.hash)
            .map_err(Written::Snapshot)?
            .0;
        if data.is_empty() || c.offset + data.len() as u64 > limit {
            return Err(Written::Snapshot(Error::Corrupted {
                object: Kind::Chunk,
                hash: c.hash,
                what: "chunk empty or overlapping the next one or the end of the file",
            }));
        }
        f.write_all_at(data, c.offset)?;
    }
    f.set_len(file.size)?;
    f.set_permissions(Permissions::from_mode(opts.mode(file.meta.perm)))?;
    let times = FileTimes::new()
        .set_accessed(time(file.meta.atime))
        .set_modified(time(file.meta.mtime));
    f.set_times(times)?;
    Ok(())
}
