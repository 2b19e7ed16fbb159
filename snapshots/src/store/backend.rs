//! `Backend`: the storage under a store, and `FsBackend`, a host directory.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::lock::{LockFile, temp_in_use};

/// Where a store keeps its files. Paths are relative, `/`-separated, and made
/// only of hexadecimal digits, ref names and the fixed folder names `objects`
/// and `refs`; a backend never sees a path a caller typed.
///
/// The store's crash safety rests on [`Backend::write_atomic`]: after it
/// returns, the file is durable with exactly the bytes given; if it fails or
/// the machine stops during it, the file is absent (or keeps its old content).
///
/// Files under `objects/` and `packs/` are named by their content: a backend
/// may keep a file of that name already present instead of writing it again
/// (an object store writes them create-if-absent).
pub trait Backend: Send + Sync + fmt::Debug {
    /// Reads at most `limit` bytes of the file at `path`; `None` if absent.
    fn read(&self, path: &str, limit: u64) -> io::Result<Option<Vec<u8>>>;
    /// Reads exactly `len` bytes at `offset` of the file at `path` (an
    /// `UnexpectedEof` error if it is shorter, `NotFound` if absent). Files
    /// read this way (packs) never change once written, so a backend may keep
    /// them open.
    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>>;
    /// The size of the file at `path`; `None` if absent.
    fn size(&self, path: &str) -> io::Result<Option<u64>>;
    /// Whether the file exists.
    fn exists(&self, path: &str) -> io::Result<bool>;
    /// Replaces the file at `path` with `data`, atomically and durably.
    fn write_atomic(&self, path: &str, data: &[u8]) -> io::Result<()>;
    /// Starts a new file in folder `dir` with content given piece by piece,
    /// named only when it is committed; like `write_atomic`, nothing appears
    /// unless `commit` succeeds. The default collects the pieces in memory
    /// and calls `write_atomic`.
    fn create_atomic(&self, dir: &str) -> io::Result<Box<dyn AtomicWrite + '_>> {
        Ok(Box::new(Buffered {
            backend: self,
            dir: dir.to_owned(),
            data: Vec::new(),
        }))
    }
    /// How many bytes a writer should gather before handing them to a file
    /// from `create_atomic` (a backend keeping files in memory wants them all
    /// at once, as one `write_owned`).
    fn piece_size(&self) -> usize {
        1 << 20
    }
    /// How many bytes of a pack a reader should fetch at once, to serve the
    /// next objects (stored together, read together) without another call;
    /// 0 for none (a backend whose reads cost no system call).
    fn read_ahead(&self) -> usize {
        256 << 10
    }
    /// Removes a file; absent is not an error.
    fn remove(&self, path: &str) -> io::Result<()>;
    /// The names in folder `dir`, in any order (empty if it does not exist).
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
    /// Opens (creating it if needed) the lock file at `path`, which other
    /// processes sharing the store see too (see the `lock` module); `None`
    /// (the default) for a backend no other process shares.
    fn lock_file(&self, path: &str) -> io::Result<Option<LockFile>> {
        let _ = path;
        Ok(None)
    }
    /// When the file at `path` was last written; `None` if absent or
    /// unknown (the default). `gc` leaves alone files newer than its start.
    fn modified(&self, path: &str) -> io::Result<Option<SystemTime>> {
        let _ = path;
        Ok(None)
    }
    /// Whether the temporary file at `path` belongs to a write still in
    /// progress (in this process or another); `false` (the default) for a
    /// backend whose unfinished writes leave no files.
    fn temp_in_use(&self, path: &str) -> io::Result<bool> {
        let _ = path;
        Ok(false)
    }
    /// Replaces the file at `path` (at most [`CAS_LIMIT`] bytes) with `data`
    /// if it now holds exactly `expected` (`None`: if it is absent); else
    /// returns what it holds and changes nothing. The default reads, compares
    /// and writes: the caller serialises (the store holds `refs.lock`); a
    /// backend shared without lock files makes the write itself conditional.
    fn compare_and_swap(
        &self,
        path: &str,
        expected: Option<&[u8]>,
        data: &[u8],
    ) -> io::Result<Result<(), Option<Vec<u8>>>> {
        let found = self.read(path, CAS_LIMIT)?;
        if found.as_deref() != expected {
            return Ok(Err(found));
        }
        self.write_atomic(path, data).map(Ok)
    }
    /// `Some(grace)` for a backend that processes on other machines share
    /// without lock files (object storage): `gc` then removes only what was
    /// already unreachable at a `gc` at least `grace` earlier (see
    /// `shared_gc`), and a save must finish within `grace`. `None` (the
    /// default): the lock protocol of the `lock` module applies.
    fn gc_grace(&self) -> Option<Duration> {
        None
    }
}

/// Longest file [`Backend::compare_and_swap`] compares (refs are 65 bytes).
pub const CAS_LIMIT: u64 = 4096;

/// A file being written by [`Backend::create_atomic`]. Dropping it without
/// `commit` leaves nothing behind.
pub trait AtomicWrite {
    /// Appends `data`.
    fn write(&mut self, data: &[u8]) -> io::Result<()>;
    /// Appends `data`, which the file may keep instead of copying.
    fn write_owned(&mut self, data: Vec<u8>) -> io::Result<()> {
        self.write(&data)
    }
    /// Makes the file durable as `name` in its folder, replacing what was there.
    fn commit(self: Box<Self>, name: &str) -> io::Result<()>;
}

/// `create_atomic` for backends that only know `write_atomic`.
struct Buffered<'a, B: Backend + ?Sized> {
    backend: &'a B,
    dir: String,
    data: Vec<u8>,
}

impl<B: Backend + ?Sized> AtomicWrite for Buffered<'_, B> {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(data);
        Ok(())
    }

    fn write_owned(&mut self, data: Vec<u8>) -> io::Result<()> {
        if self.data.is_empty() {
            self.data = data;
            Ok(())
        } else {
            self.write(&data)
        }
    }

    fn commit(self: Box<Self>, name: &str) -> io::Result<()> {
        self.backend
            .write_atomic(&format!("{}/{name}", self.dir), &self.data)
    }
}

/// Prefix of temporary files; never a valid object or ref name, so listings
/// can tell them apart (and `gc` removes leftovers of interrupted writes:
/// an `FsBackend` writer keeps its temporary file `flock`ed, so `gc` can
/// tell a live one from a dead one).
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Most files an `FsBackend` keeps open for `read_at`.
const OPEN_FILES: usize = 64;

/// A store kept in a host directory.
#[derive(Debug)]
pub struct FsBackend {
    root: PathBuf,
    /// Files opened by `read_at`, so reading many objects of one pack does
    /// not open it once per object.
    open: Mutex<HashMap<String, Arc<File>>>,
}

impl FsBackend {
    /// A backend over directory `root`, created if missing.
    pub fn new(root: impl AsRef<Path>) -> io::Result<FsBackend> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root)?;
        Ok(FsBackend {
            root,
            open: Mutex::new(HashMap::new()),
        })
    }

    fn open_files(&self) -> MutexGuard<'_, HashMap<String, Arc<File>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn open_cached(&self, rel: &str) -> io::Result<Arc<File>> {
        if let Some(f) = self.open_files().get(rel) {
            return Ok(f.clone());
        }
        let f = Arc::new(File::open(self.path(rel))?);
        let mut open = self.open_files();
        if open.len() >= OPEN_FILES {
            open.clear();
        }
        open.insert(rel.to_owned(), f.clone());
        Ok(f)
    }

    fn path(&self, rel: &str) -> PathBuf {
        let mut p = self.root.clone();
        p.extend(rel.split('/'));
        p
    }
}

/// Makes a rename or a file creation in `dir` durable (POSIX leaves directory
/// entries unsynced until the directory itself is).
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Backend for FsBackend {
    fn read(&self, path: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let f = match File::open(self.path(path)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let hint = f.metadata()?.len().min(limit);
        let mut buf = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        f.take(limit).read_to_end(&mut buf)?;
        Ok(Some(buf))
    }

    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let f = self.open_cached(path)?;
        let mut buf = vec![0u8; len];
        read_exact_at(&f, &mut buf, offset)?;
        Ok(buf)
    }

    fn size(&self, path: &str) -> io::Result<Option<u64>> {
        match fs::metadata(self.path(path)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn exists(&self, path: &str) -> io::Result<bool> {
        self.path(path).try_exists()
    }

    fn write_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        let (dir, name) = path
            .rsplit_once('/')
            .ok_or_else(|| io::Error::other("store path without a folder"))?;
        let mut f = self.create_atomic(dir)?;
        f.write(data)?;
        f.commit(name)
    }

    fn create_atomic(&self, dir: &str) -> io::Result<Box<dyn AtomicWrite + '_>> {
        let dir = self.path(dir);
        if !dir.try_exists()? {
            fs::create_dir_all(&dir)?;
            if let Some(up) = dir.parent() {
                sync_dir(up)?;
            }
        }
        let tmp = dir.join(format!(
            "{TEMP_PREFIX}{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::create(&tmp)?;
        // Held until the file is renamed or removed: `gc` leaves it alone.
        file.lock()?;
        Ok(Box::new(FsAtomic {
            file: Some(file),
            tmp,
            dir,
        }))
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        self.open_files().remove(path);
        match fs::remove_file(self.path(path)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let rd = match fs::read_dir(self.path(dir)) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for e in rd {
            // Names that are not UTF-8 cannot be ours; skip them.
            if let Ok(name) = e?.file_name().into_string() {
                out.push(name);
            }
        }
        Ok(out)
    }

    fn lock_file(&self, path: &str) -> io::Result<Option<LockFile>> {
        LockFile::open(&self.path(path))
    }

    fn modified(&self, path: &str) -> io::Result<Option<SystemTime>> {
        match fs::metadata(self.path(path)) {
            Ok(m) => Ok(m.modified().ok()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn temp_in_use(&self, path: &str) -> io::Result<bool> {
        temp_in_use(&self.path(path))
    }
}

/// A temporary file renamed to its name on commit.
struct FsAtomic {
    file: Option<File>,
    tmp: PathBuf,
    dir: PathBuf,
}

impl AtomicWrite for FsAtomic {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.write_all(data),
            None => Err(io::Error::other("write after commit")),
        }
    }

    fn commit(mut self: Box<Self>, name: &str) -> io::Result<()> {
        let full = self.dir.join(name);
        let f = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("committed twice"))?;
        let done = f.sync_all().and_then(|()| {
            // Elsewhere the file stays open, and locked, through the rename,
            // so that gc never takes it for a dead writer's (see `TEMP_PREFIX`).
            #[cfg(windows)]
            drop(f);
            fs::rename(&self.tmp, &full)
        });
        if let Err(e) = done {
            let _ = fs::remove_file(&self.tmp);
            return Err(e);
        }
        // Renamed: nothing for `drop` to clean up.
        self.tmp = PathBuf::new();
        sync_dir(&self.dir)
    }
}

impl Drop for FsAtomic {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(unix)]
fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(f, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}
