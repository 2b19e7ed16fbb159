//! Sharing one store between processes: the store lock, per-ref locks and compare-and-swap of refs.
//!
//! The protocol (README, "Sharing a store between processes"):
//!
//! - `lock` in the store's root is an advisory `flock` lock. Every process
//!   that writes holds it **shared** from before its first object lookup
//!   (a save skips objects the store already has) until its ref is set;
//!   readers hold it shared while they read. `gc` marks under the shared
//!   lock, then takes it **exclusive** for its delete phase, marks again
//!   from any ref set meanwhile, and only then removes anything.
//! - The first 8 bytes of `lock` count the delete phases (little-endian).
//!   `gc` overwrites them in place before it removes anything; a process
//!   taking the lock and finding another count forgets the packs it knew
//!   and the objects a `Saver` remembers having stored.
//! - `refs.lock` serialises compare-and-swap of refs; `locks/NAME` is held
//!   exclusive by a read-modify-write of ref NAME for its whole length
//!   (`run --state`), so two of them take turns.
//! - A temporary file is `flock`ed by its writer, so `gc` tells a live
//!   writer's file from the leftover of a dead one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use super::{Store, check_ref_name};
use crate::error::{Error, Result};
use crate::hash::Hash;

/// The store lock, relative to the store's root.
pub(crate) const STORE_LOCK: &str = "lock";
/// The lock serialising compare-and-swap of refs.
const REFS_LOCK: &str = "refs.lock";
/// The folder of per-ref locks (see [`Store::lock_ref`]).
const REF_LOCKS: &str = "locks";

/// A lock file in a store, opened (not locked yet). Its lock ends when it is
/// dropped, or with [`LockFile::unlock`].
#[derive(Debug)]
pub struct LockFile {
    file: File,
    path: PathBuf,
    writable: bool,
}

impl LockFile {
    /// Opens the lock file at `path`, creating it (and its folder) with an
    /// 8-byte zero count if absent, so that overwriting the count later needs
    /// no new disk space. `None` if it is absent and cannot be created: a
    /// read-only store, which no process can write either.
    pub fn open(path: &Path) -> io::Result<Option<LockFile>> {
        let read_only = |e: &io::Error| {
            matches!(
                e.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            )
        };
        if let Some(dir) = path.parent() {
            match std::fs::create_dir_all(dir) {
                Err(e) if read_only(&e) => {}
                r => r?,
            }
        }
        match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(f) => {
                // A failure here leaves a short file, which reads as count 0.
                let _ = positioned::write_at(&f, &0u64.to_le_bytes(), 0);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists || read_only(&e) => {}
            Err(e) => return Err(e),
        }
        let (file, writable) = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => (file, true),
            Err(e) if read_only(&e) => match File::open(path) {
                Ok(file) => (file, false),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(LockFile {
            file,
            path: path.to_owned(),
            writable,
        }))
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the lock if no other holder prevents it; `false` if one does.
    pub fn try_lock(&self, exclusive: bool) -> io::Result<bool> {
        let r = if exclusive {
            self.file.try_lock()
        } else {
            self.file.try_lock_shared()
        };
        match r {
            Ok(()) => Ok(true),
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }

    /// Takes the lock, waiting as long as another holder prevents it.
    pub fn lock(&self, exclusive: bool) -> io::Result<()> {
        if exclusive {
            self.file.lock()
        } else {
            self.file.lock_shared()
        }
    }

    /// Releases the lock.
    pub fn unlock(&self) -> io::Result<()> {
        self.file.unlock()
    }

    /// The count of `gc` delete phases (0 for a short file).
    pub fn generation(&self) -> io::Result<u64> {
        let mut b = [0u8; 8];
        match positioned::read_exact_at(&self.file, &mut b, 0) {
            Ok(()) => Ok(u64::from_le_bytes(b)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Overwrites the count in place (its bytes exist already: on a full disk
    /// this needs no new block) and makes it durable.
    pub fn set_generation(&self, g: u64) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the store's lock file is read-only",
            ));
        }
        positioned::write_at(&self.file, &g.to_le_bytes(), 0)?;
        self.file.sync_data()
    }
}

/// Whether a temporary file is held by a live writer: its writer keeps it
/// locked until it is renamed or removed.
pub(crate) fn temp_in_use(path: &Path) -> io::Result<bool> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match f.try_lock() {
        // Dropping `f` releases the lock at once.
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Positioned reads and writes on a shared file handle.
mod positioned {
    use std::fs::File;
    use std::io;

    #[cfg(unix)]
    pub(super) fn read_exact_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
    }

    #[cfg(unix)]
    pub(super) fn write_at(f: &File, buf: &[u8], at: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(f, buf, at)
    }

    #[cfg(windows)]
    pub(super) fn read_exact_at(f: &File, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(f, buf, at)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => {
                    buf = &mut buf[n..];
                    at += n as u64;
                }
            }
        }
        Ok(())
    }

    #[cfg(windows)]
    pub(super) fn write_at(f: &File, mut buf: &[u8], mut at: u64) -> io::Result<()> {
        while !buf.is_empty() {
            let n = std::os::windows::fs::FileExt::seek_write(f, buf, at)?;
            buf = &buf[n..];
            at += n as u64;
        }
        Ok(())
    }
}

/// Called with a lock file's path when taking it has to wait.
pub(crate) type WaitNotice = Box<dyn Fn(&Path) + Send + Sync>;

/// The store lock held shared: while it lives, no `gc` removes anything. Hold
/// it from before a save's first object lookup until its ref is set.
#[derive(Debug)]
#[must_use = "the lock ends when this is dropped"]
pub struct StoreLock {
    _file: Option<LockFile>,
}

/// Ref NAME's read-modify-write lock, held exclusive (see [`Store::lock_ref`]).
#[derive(Debug)]
#[must_use = "the lock ends when this is dropped"]
pub struct RefLock {
    _file: Option<LockFile>,
}

impl Store {
    /// Calls `notice` with a lock file's path each time this store value has
    /// to wait for a lock another process holds (a CLI says so on stderr).
    pub fn on_lock_wait(&self, notice: impl Fn(&Path) + Send + Sync + 'static) {
        *self
            .wait_notice
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(notice));
    }

    /// Takes `f`, telling the notice first if it has to wait.
    pub(crate) fn acquire(&self, f: &LockFile, exclusive: bool) -> Result<()> {
        let locked = f.try_lock(exclusive).and_then(|got| {
            if !got {
                if let Some(n) = &*self
                    .wait_notice
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                {
                    n(f.path());
                }
                f.lock(exclusive)?;
            }
            Ok(())
        });
        locked.map_err(|err| Error::Lock {
            path: f.path().display().to_string(),
            err,
        })
    }

    /// Opens the store lock (`None` for a backend no other process shares).
    pub(crate) fn store_lock_file(&self) -> Result<Option<LockFile>> {
        self.backend
            .lock_file(STORE_LOCK)
            .map_err(|err| Error::Lock {
                path: STORE_LOCK.to_owned(),
                err,
            })
    }

    /// Notes the delete-phase count read under the store lock: if a `gc`
    /// ran since this store value last looked, the packs it knew and every
    /// `Saver` cache of it are stale.
    pub(crate) fn note_generation(&self, f: &LockFile) -> Result<()> {
        let g = f.generation().map_err(|err| Error::Lock {
            path: f.path().display().to_string(),
            err,
        })?;
        let mut seen = self
            .disk_generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *seen != Some(g) {
            *seen = Some(g);
            self.forget_packs();
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Takes the store lock shared (see the module docs): a save holds it
    /// from before its first object until its ref is set, a reader while it
    /// reads. Waits while a `gc` is in its delete phase.
    pub fn lock_shared(&self) -> Result<StoreLock> {
        let file = self.store_lock_file()?;
        if let Some(f) = &file {
            self.acquire(f, false)?;
            self.note_generation(f)?;
        }
        self.note_pending()?;
        Ok(StoreLock { _file: file })
    }

    /// Takes ref `name`'s read-modify-write lock, exclusive, waiting while
    /// another process holds it: a process that reads a ref, works, and sets
    /// it from what it read (`run --state`) holds it throughout, so two such
    /// processes take turns instead of losing an update. Setting the ref
    /// still goes through [`Store::compare_and_set_ref`].
    pub fn lock_ref(&self, name: &str) -> Result<RefLock> {
        check_ref_name(name)?;
        let rel = format!("{REF_LOCKS}/{name}");
        let file = self
            .backend
            .lock_file(&rel)
            .map_err(|err| Error::Lock { path: rel, err })?;
        if let Some(f) = &file {
            self.acquire(f, true)?;
        }
        Ok(RefLock { _file: file })
    }

    /// Points ref `name` at `new` if it now points at `expected` (`None`:
    /// if it does not exist); otherwise fails with [`Error::RefChanged`] and
    /// changes nothing.
    pub fn compare_and_set_ref(
        &self,
        name: &str,
        expected: Option<&Hash>,
        new: &Hash,
    ) -> Result<()> {
        check_ref_name(name)?;
        let _in_process = self.ref_cas.lock().unwrap_or_else(PoisonError::into_inner);
        let file = self
            .backend
            .lock_file(REFS_LOCK)
            .map_err(|err| Error::Lock {
                path: REFS_LOCK.to_owned(),
                err,
            })?;
        if let Some(f) = &file {
            self.acquire(f, true)?;
        }
        let path = format!("refs/{name}");
        let old = expected.map(|h| format!("{h}\n"));
        let body = format!("{new}\n");
        match self.backend.compare_and_swap(
            &path,
            old.as_deref().map(str::as_bytes),
            body.as_bytes(),
        )? {
            Ok(()) => Ok(()),
            Err(found) => {
                let found = match found {
                    None => None,
                    Some(b) => Some(super::parse_ref(name, &b)?),
                };
                Err(Error::RefChanged {
                    name: name.to_owned(),
                    expected: expected.copied(),
                    found,
                })
            }
        }
    }
}
