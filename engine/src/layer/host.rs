//! The host-directory lower layer, confined to its root through cap-std.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, FileExt, MetadataExt, OpenOptions, OpenOptionsExt};

use super::{LOWER_INO_BASE, Lower, LowerEntry, LowerStat};
use crate::error::{Error, Result};
use crate::inode::{FileType, Ino};
use crate::name::Name;

/// How many host files stay open for reads at once.
const OPEN_FILES: usize = 32;

/// Linux `O_NOATIME` (its value differs between architectures, so it comes
/// from rustix): reading the lower tree must not change it, or a second run
/// over the same host directory would see (and save) different access times
/// than the first. The kernel refuses it with EPERM unless the caller owns
/// the file or has CAP_FOWNER; then the open is retried without it.
#[cfg(target_os = "linux")]
const O_NOATIME: i32 = rustix::fs::OFlags::NOATIME.bits() as i32;
#[cfg(not(target_os = "linux"))]
const O_NOATIME: i32 = 0;

/// Opens `path` under `root` for reading, without following a final symlink,
/// with `O_NOATIME` where the kernel allows it (a directory opens too: read-only
/// opens of directories are allowed, and listing one goes through that descriptor).
fn open_noatime(root: &Dir, path: &std::path::Path) -> io::Result<cap_std::fs::File> {
    let mut opts = OpenOptions::new();
    opts.read(true).follow(FollowSymlinks::No);
    if O_NOATIME != 0 {
        opts.custom_flags(O_NOATIME);
        match root.open_with(path, &opts) {
            // Not ours to open so: retried without the flag.
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => {}
            r => return r,
        }
    }
    opts.custom_flags(0);
    root.open_with(path, &opts)
}

/// Files up to this size are read once whole and kept in memory, so that a
/// thousand forks walking the same tree read each small host file once.
const SMALL_FILE: u64 = 64 << 10;

/// Most bytes of small-file contents kept per layer; past it, reads go to the
/// host every time.
const CONTENT_BUDGET: u64 = 256 << 20;

/// One host object the layer has seen.
#[derive(Debug)]
struct Node {
    parent: Ino,
    /// `None` for the root.
    name: Option<Name>,
    stat: LowerStat,
    entries: OnceLock<Arc<[LowerEntry]>>,
    target: OnceLock<Arc<str>>,
    /// The whole content of a small file, once read.
    data: OnceLock<Arc<[u8]>>,
}

#[derive(Debug, Default)]
struct Cache {
    nodes: HashMap<Ino, Arc<Node>>,
    /// `(dir, name)` → object, so a hard link reached by a second name is looked
    /// up once.
    names: HashMap<(Ino, Name), Ino>,
    /// Host `(st_dev, st_ino)` of multiply-linked files → our number, so hard
    /// links keep their identity.
    links: HashMap<(u64, u64), Ino>,
}

/// A read-only host directory used as the lower layer.
///
/// Every access goes through a `cap_std::fs::Dir` for the root with paths made of
/// names this layer itself listed, never opened with symlink following in the last
/// component, so nothing outside the root is ever reached: the engine resolves
/// symlinks itself. Metadata and listings are cached on first use and shared by
/// every filesystem forked over this layer.
pub struct HostLower {
    root: Dir,
    /// The host path the layer was opened at, for error messages only
    /// (every access goes through `root`).
    root_path: PathBuf,
    /// Entries the engine cannot represent, one line each, not yet taken.
    warnings: Mutex<Vec<String>>,
    cache: RwLock<Cache>,
    files: Mutex<Vec<(Ino, Arc<cap_std::fs::File>)>>,
    /// Bytes of small-file contents cached so far (see [`CONTENT_BUDGET`]).
    cached_bytes: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for HostLower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostLower").finish_non_exhaustive()
    }
}

/// A host error as the engine's: a vanished object is `NotFound` (the
/// guest sees ENOENT), anything else names the operation and the host path.
fn io_err(op: &str, path: &std::path::Path, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::NotFound,
        kind => Error::Lower(io::Error::new(
            kind,
            format!("{op} {}: {e}", path.display()),
        )),
    }
}

/// Nanoseconds since the epoch from a (seconds, nanoseconds) pair, clamped at 0.
fn nanos(secs: i64, nsec: i64) -> u64 {
    let t = i128::from(secs) * 1_000_000_000 + i128::from(nsec);
    u64::try_from(t.max(0)).unwrap_or(u64::MAX)
}

fn kind_of(ft: cap_std::fs::FileType) -> Option<FileType> {
    if ft.is_dir() {
        Some(FileType::Dir)
    } else if ft.is_file() {
        Some(FileType::File)
    } else if ft.is_symlink() {
        Some(FileType::Symlink)
    } else {
        // Devices, sockets and fifos have no meaning inside the sandbox.
        None
    }
}

/// A deterministic number for `name` in `dir`: FNV-1a over both, finished with a
/// SplitMix64 round, in the lower half of the range reserved for lower layers.
fn derive_ino(dir: Ino, name: &Name) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in dir.0.to_le_bytes().iter().chain(name.as_str().as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    LOWER_INO_BASE | (h & !LOWER_INO_BASE)
}

impl HostLower {
    /// Opens `path` (a host directory) as a lower layer.
    pub fn open(path: impl Into<PathBuf>) -> Result<HostLower> {
        let path = path.into();
        let root = Dir::open_ambient_dir(&path, ambient_authority())
            .map_err(|e| io_err("open directory", &path, e))?;
        let meta = root.dir_metadata().map_err(|e| io_err("stat", &path, e))?;
        let stat = stat_of(&meta, FileType::Dir);
        let root_ino = Ino(LOWER_INO_BASE);
        let mut cache = Cache::default();
        cache.nodes.insert(
            root_ino,
            Arc::new(Node {
                parent: root_ino,
                name: None,
                stat,
                entries: OnceLock::new(),
                target: OnceLock::new(),
                data: OnceLock::new(),
            }),
        );
        Ok(HostLower {
            root,
            root_path: path,
            warnings: Mutex::new(Vec::new()),
            cache: RwLock::new(cache),
            files: Mutex::new(Vec::new()),
            cached_bytes: std::sync::atomic::AtomicU64::new(0),
        })
    }

    fn node(&self, ino: Ino) -> Result<Arc<Node>> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        cache.nodes.get(&ino).cloned().ok_or(Error::NotFound)
    }

    /// The path of `node` relative to the root, made of listed names only.
    fn path_of(&self, node: &Node) -> Result<PathBuf> {
        let mut names = Vec::new();
        let mut cur_name = node.name.clone();
        let mut parent = node.parent;
        while let Some(name) = cur_name {
            names.push(name);
            let p = self.node(parent)?;
            cur_name = p.name.clone();
            parent = p.parent;
        }
        let mut path = PathBuf::from(".");
        for n in names.iter().rev() {
            path.push(n.as_str());
        }
        Ok(path)
    }

    fn open_file(&self, ino: Ino) -> Result<Arc<cap_std::fs::File>> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = files.iter().position(|(k, _)| *k == ino) {
            let entry = files.remove(i);
            let file = entry.1.clone();
            files.insert(0, entry);
            return Ok(file);
        }
        drop(files);
        let node = self.node(ino)?;
        if node.stat.kind != FileType::File {
            return Err(Error::IsDir);
        }
        let path = self.path_of(&node)?;
        let file = Arc::new(
            open_noatime(&self.root, &path).map_err(|e| io_err("open", &self.host(&path), e))?,
        );
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.insert(0, (ino, file.clone()));
        files.truncate(OPEN_FILES);
        Ok(file)
    }
}

fn stat_of(meta: &cap_std::fs::Metadata, kind: FileType) -> LowerStat {
    LowerStat {
        kind,
        size: if kind == FileType::Dir {
            0
        } else {
            meta.size()
        },
        perm: meta.mode() & 0o7777,
        nlink: meta.nlink(),
        atime: nanos(meta.atime(), meta.atime_nsec()),
        mtime: nanos(meta.mtime(), meta.mtime_nsec()),
        ctime: nanos(meta.ctime(), meta.ctime_nsec()),
    }
}

impl HostLower {
    fn read_host(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let file = self.open_file(ino)?;
        loop {
            match file.read_at(buf, offset) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.host_err(&*self.node(ino)?, "read", e)),
                Ok(n) => return Ok(n),
            }
        }
    }

    /// The host path of `rel` (a path under the root), for messages.
    fn host(&self, rel: &std::path::Path) -> PathBuf {
        self.root_path.join(rel.strip_prefix(".").unwrap_or(rel))
    }

    /// Host error `e` of operation `op` on `node`, naming its host path.
    fn host_err(&self, node: &Node, op: &str, e: io::Error) -> Error {
        let path = self
            .path_of(node)
            .map_or_else(|_| self.root_path.clone(), |p| self.host(&p));
        io_err(op, &path, e)
    }

    /// Records that the entry at `rel` is left out of the tree, and why.
    fn skip(&self, rel: &std::path::Path, why: &str) {
        let line = format!(
            "{}: {why}: not visible to the guest, not saved",
            self.host(rel).display()
        );
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }
}

impl Lower for HostLower {
    fn root(&self) -> Ino {
        Ino(LOWER_INO_BASE)
    }

    fn lookup(&self, dir: Ino, name: &Name) -> Result<Option<Ino>> {
        {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            if let Some(ino) = cache.names.get(&(dir, name.clone())) {
                return Ok(Some(*ino));
            }
        }
        let entries = self.entries(dir)?;
        let Ok(i) = entries.binary_search_by(|e| e.name.cmp(name)) else {
            return Ok(None);
        };
        let kind = entries[i].kind;
        let parent = self.node(dir)?;
        let mut path = self.path_of(&parent)?;
        path.push(name.as_str());
        let meta = self
            .root
            .symlink_metadata(&path)
            .map_err(|e| io_err("stat", &self.host(&path), e))?;
        let stat = stat_of(&meta, kind);
        let host_id = (meta.dev(), meta.ino());

        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        let key = (dir, name.clone());
        if let Some(ino) = cache.names.get(&key) {
            return Ok(Some(*ino));
        }
        if kind == FileType::File
            && stat.nlink > 1
            && let Some(ino) = cache.links.get(&host_id).copied()
        {
            cache.names.insert(key, ino);
            return Ok(Some(ino));
        }
        // Probe past the (astronomically unlikely) collision of derived numbers.
        let mut ino = derive_ino(dir, name);
        while cache.nodes.contains_key(&Ino(ino)) {
            ino = LOWER_INO_BASE | (ino.wrapping_add(1) & !LOWER_INO_BASE);
        }
        let ino = Ino(ino);
        cache.nodes.insert(
            ino,
            Arc::new(Node {
                parent: dir,
                name: Some(name.clone()),
                stat,
                entries: OnceLock::new(),
                target: OnceLock::new(),
                data: OnceLock::new(),
            }),
        );
        if kind == FileType::File && meta.nlink() > 1 {
            cache.links.insert(host_id, ino);
        }
        cache.names.insert(key, ino);
        Ok(Some(ino))
    }

    fn stat(&self, ino: Ino) -> Result<LowerStat> {
        Ok(self.node(ino)?.stat.clone())
    }

    fn entries(&self, dir: Ino) -> Result<Arc<[LowerEntry]>> {
        let node = self.node(dir)?;
        if node.stat.kind != FileType::Dir {
            return Err(Error::NotDir);
        }
        if let Some(e) = node.entries.get() {
            return Ok(e.clone());
        }
        let path = self.path_of(&node)?;
        let mut list = Vec::new();
        // Listing through a descriptor opened with O_NOATIME leaves the
        // directory's access time alone (see `open_noatime`); rustix reads
        // entries from that very descriptor (cap-std would reopen ".").
        let host = self.host(&path);
        let fd = std::os::fd::OwnedFd::from(
            open_noatime(&self.root, &path)
                .map_err(|e| io_err("open directory", &host, e))?
                .into_std(),
        );
        let mut dir =
            rustix::fs::Dir::new(fd).map_err(|e| io_err("list directory", &host, e.into()))?;
        while let Some(entry) = dir.read() {
            let entry = entry.map_err(|e| io_err("list directory", &host, e.into()))?;
            let raw = entry.file_name().to_bytes();
            if raw == b"." || raw == b".." {
                continue;
            }
            // Names that are not UTF-8 cannot be expressed through WASI (nor
            // in the snapshot format); names the engine could not hold cannot
            // be reached either. Both are left out, and reported.
            let name = match std::str::from_utf8(raw) {
                Err(_) => {
                    let shown = String::from_utf8_lossy(raw);
                    self.skip(&path.join(&*shown), "name is not UTF-8");
                    continue;
                }
                Ok(s) => match Name::new(s) {
                    Ok(n) => n,
                    Err(_) => {
                        self.skip(&path.join(s), "name the engine cannot hold");
                        continue;
                    }
                },
            };
            let kind = match entry.file_type() {
                rustix::fs::FileType::Directory => Ok(FileType::Dir),
                rustix::fs::FileType::RegularFile => Ok(FileType::File),
                rustix::fs::FileType::Symlink => Ok(FileType::Symlink),
                // File systems that do not fill in d_type: ask (lstat leaves atime alone).
                rustix::fs::FileType::Unknown => {
                    let p = path.join(name.as_str());
                    match self.root.symlink_metadata(&p) {
                        Ok(m) => kind_of(m.file_type()).ok_or("a FIFO, socket or device"),
                        // Gone since the listing: as if never listed.
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(io_err("stat", &self.host(&p), e)),
                    }
                }
                rustix::fs::FileType::Fifo => Err("a FIFO"),
                rustix::fs::FileType::Socket => Err("a socket"),
                rustix::fs::FileType::CharacterDevice => Err("a character device"),
                rustix::fs::FileType::BlockDevice => Err("a block device"),
            };
            match kind {
                Ok(kind) => list.push(LowerEntry { name, kind }),
                // No WASI guest can open one to any effect, and the format has
                // no entry kind for them.
                Err(what) => self.skip(&path.join(name.as_str()), what),
            }
        }
        list.sort_by(|a, b| a.name.cmp(&b.name));
        let list: Arc<[LowerEntry]> = list.into();
        Ok(node.entries.get_or_init(|| list).clone())
    }

    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        use std::sync::atomic::Ordering;
        let node = self.node(ino)?;
        let size = node.stat.size;
        if size <= SMALL_FILE {
            let data = match node.data.get() {
                Some(d) => Some(d.clone()),
                None if self.cached_bytes.fetch_add(size, Ordering::Relaxed) + size
                    <= CONTENT_BUDGET =>
                {
                    let mut whole = vec![0u8; size as usize];
                    let mut got = 0;
                    while got < whole.len() {
                        let n = self.read_host(ino, got as u64, &mut whole[got..])?;
                        if n == 0 {
                            break;
                        }
                        got += n;
                    }
                    whole.truncate(got);
                    Some(node.data.get_or_init(|| whole.into()).clone())
                }
                None => {
                    self.cached_bytes.fetch_sub(size, Ordering::Relaxed);
                    None
                }
            };
            if let Some(d) = data {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(d.len());
                let n = buf.len().min(d.len() - start);
                buf[..n].copy_from_slice(&d[start..start + n]);
                return Ok(n);
            }
        }
        self.read_host(ino, offset, buf)
    }

    fn data_range(&self, ino: Ino, offset: u64) -> Result<Option<(u64, u64)>> {
        use rustix::fs::{SeekFrom, seek};
        let node = self.node(ino)?;
        let size = node.stat.size;
        if node.stat.kind != FileType::File || offset >= size {
            return Ok(None);
        }
        if size <= SMALL_FILE {
            return Ok(Some((offset, size)));
        }
        let file = self.open_file(ino)?;
        // SEEK_DATA and SEEK_HOLE (lseek(2)): the offset they move is never
        // used, every read is positioned (pread).
        let start = match seek(&*file, SeekFrom::Data(offset)) {
            Ok(s) => s,
            // ENXIO: only a hole from `offset` to the end.
            Err(rustix::io::Errno::NXIO) => return Ok(None),
            // A filesystem that cannot tell: all of the rest may be data.
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::OPNOTSUPP) => {
                return Ok(Some((offset, size)));
            }
            Err(e) => return Err(self.host_err(&node, "seek to data in", e.into())),
        };
        if start >= size {
            return Ok(None);
        }
        let end = match seek(&*file, SeekFrom::Hole(start)) {
            Ok(e) => e.min(size),
            Err(e) => return Err(self.host_err(&node, "seek to a hole in", e.into())),
        };
        Ok(Some((start, end.max(start + 1).min(size))))
    }

    fn readlink(&self, ino: Ino) -> Result<Arc<str>> {
        let node = self.node(ino)?;
        if node.stat.kind != FileType::Symlink {
            return Err(Error::Invalid("not a symbolic link"));
        }
        if let Some(t) = node.target.get() {
            return Ok(t.clone());
        }
        let path = self.path_of(&node)?;
        let target = self
            .root
            .read_link_contents(&path)
            .map_err(|e| io_err("read symlink", &self.host(&path), e))?;
        let target: Arc<str> = target
            .to_str()
            .ok_or_else(|| {
                io_err(
                    "read symlink",
                    &self.host(&path),
                    io::Error::new(io::ErrorKind::InvalidData, "target is not UTF-8"),
                )
            })?
            .into();
        Ok(node.target.get_or_init(|| target).clone())
    }

    fn parent(&self, dir: Ino) -> Result<Ino> {
        Ok(self.node(dir)?.parent)
    }

    /// One line per host entry the engine cannot represent (a name that is
    /// not UTF-8 or not a valid name, a FIFO, socket or device), naming its
    /// host path; found as directories are listed.
    fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn first_free_ino(&self) -> u64 {
        1
    }
}
