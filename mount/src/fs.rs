//! The FUSE request handlers: lookups, attributes, directory listings and reads; every change is EROFS.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{
    AccessFlags, CopyFileRangeFlags, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags,
    Generation, INodeNo, InitFlags, KernelConfig, LockOwner, OpenAccMode, OpenFlags, RenameFlags,
    ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry,
    ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow, WriteFlags,
};
use strata_snapshots::format::{EntryKind, FileObject, Manifest};
use strata_snapshots::{Hash, Result, Store};

use crate::read::{ChunkCache, read_range};
use crate::tree::{Attr, ROOT, Tree};

/// How long the kernel may cache names and attributes: the tree never
/// changes while mounted.
const TTL: Duration = Duration::from_secs(3600);

/// Directory offsets of `.` and `..`; entry `i` is at `i + FIRST_ENTRY`.
const FIRST_ENTRY: u64 = 2;

/// Large files (chunk lists not kept in the tree) whose file objects are
/// kept, most recently read last.
const LARGE_FILES: usize = 8;

/// A saved snapshot served read-only over FUSE.
#[derive(Debug)]
pub struct SnapshotFs {
    store: Arc<Store>,
    tree: Tree,
    chunks: ChunkCache,
    /// File objects of recently read large files, by inode.
    large: Mutex<Vec<(u64, Arc<FileObject>)>>,
    /// Whether the kernel opens files and directories without asking
    /// (`FUSE_NO_OPEN_SUPPORT`, `FUSE_NO_OPENDIR_SUPPORT`): then open and
    /// opendir answer ENOSYS once, saving a round trip per open.
    no_open: bool,
    no_opendir: bool,
    uid: u32,
    gid: u32,
}

impl SnapshotFs {
    /// Serves the snapshot with manifest `manifest` from `store`; files
    /// belong to `uid`/`gid` (owners are not saved).
    pub fn new(store: Arc<Store>, manifest: &Manifest, uid: u32, gid: u32) -> SnapshotFs {
        SnapshotFs {
            store,
            tree: Tree::new(manifest),
            chunks: ChunkCache::default(),
            large: Mutex::new(Vec::new()),
            no_open: false,
            no_opendir: false,
            uid,
            gid,
        }
    }

    /// Reports a store failure (one line, naming the path and operation)
    /// and returns the errno the caller sees.
    fn fail(&self, op: &str, ino: u64, e: strata_snapshots::Error) -> Errno {
        // stderr may be closed (a mount in the background): nothing to do then.
        let _ = writeln!(
            std::io::stderr(),
            "strata: mount: {op} `{}`: {e}",
            self.tree.path(ino)
        );
        Errno::EIO
    }

    /// The attributes of `ino` as FUSE reports them.
    fn file_attr(&self, ino: u64) -> std::result::Result<FileAttr, Errno> {
        match self.tree.attr(&self.store, ino) {
            Ok(Some(a)) => Ok(self.to_fuse(ino, &a)),
            Ok(None) => Err(Errno::ENOENT),
            Err(e) => Err(self.fail("stat", ino, e)),
        }
    }

    fn to_fuse(&self, ino: u64, a: &Attr) -> FileAttr {
        let (kind, size, perm, atime, mtime, nlink) = match a {
            Attr::Dir {
                perm,
                atime,
                mtime,
                subdirs,
            } => (
                FileType::Directory,
                0,
                *perm,
                *atime,
                *mtime,
                // `.`, the name in the parent, and each subdirectory's `..`.
                2u64.saturating_add(*subdirs),
            ),
            Attr::File { file, .. } => (
                FileType::RegularFile,
                file.size,
                file.meta.perm,
                file.meta.atime,
                file.meta.mtime,
                file.nlink,
            ),
            Attr::Symlink(l) => (
                FileType::Symlink,
                l.target.len() as u64,
                l.meta.perm,
                l.meta.atime,
                l.meta.mtime,
                1,
            ),
        };
        let time = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
        FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: time(atime),
            mtime: time(mtime),
            // ctime is not saved (see `strata_snapshots::format`): the last
            // data change is the closest thing the snapshot knows.
            ctime: time(mtime),
            crtime: time(mtime),
            kind,
            perm: (perm & 0o7777) as u16,
            nlink: u32::try_from(nlink).unwrap_or(u32::MAX),
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        }
    }

    /// The file object `ino` reads from: kept in the tree for small
    /// files, in the large-file cache or read again for the others. Reads
    /// go by inode, not by open handle: with `no_open` there are none.
    fn file_for_read(&self, ino: u64) -> std::result::Result<(Hash, Arc<FileObject>), Errno> {
        let Some((EntryKind::File, hash)) = self.tree.object(ino) else {
            return Err(Errno::EISDIR);
        };
        match self.tree.attr(&self.store, ino) {
            Ok(Some(Attr::File {
                file,
                chunks_kept: true,
            })) => return Ok((hash, file)),
            Ok(Some(Attr::File { .. })) => {}
            Ok(_) => return Err(Errno::EISDIR),
            Err(e) => return Err(self.fail("read", ino, e)),
        }
        let lock = || self.large.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut large = lock();
            if let Some(i) = large.iter().position(|(n, _)| *n == ino) {
                let hit = large.remove(i);
                let file = hit.1.clone();
                large.push(hit);
                return Ok((hash, file));
            }
        }
        let file = Arc::new(
            self.store
                .get_object::<FileObject>(&hash)
                .map_err(|e| self.fail("read", ino, e))?,
        );
        let mut large = lock();
        if large.len() >= LARGE_FILES {
            large.remove(0);
        }
        large.push((ino, file.clone()));
        Ok((hash, file))
    }

    fn lookup_child(&self, parent: u64, name: &OsStr) -> Result<Option<u64>> {
        self.tree.lookup(&self.store, parent, name.as_bytes())
    }
}

fn fuse_kind(k: EntryKind) -> FileType {
    match k {
        EntryKind::File => FileType::RegularFile,
        EntryKind::Dir => FileType::Directory,
        EntryKind::Symlink => FileType::Symlink,
    }
}

impl Filesystem for SnapshotFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Optional speed-ups; a kernel without them works the same, slower.
        for flag in [
            InitFlags::FUSE_DO_READDIRPLUS,
            InitFlags::FUSE_CACHE_SYMLINKS,
            InitFlags::FUSE_PARALLEL_DIROPS,
        ] {
            let _ = config.add_capabilities(flag);
        }
        let offered = config.capabilities();
        self.no_open = offered.contains(InitFlags::FUSE_NO_OPEN_SUPPORT);
        self.no_opendir = offered.contains(InitFlags::FUSE_NO_OPENDIR_SUPPORT);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        match self.lookup_child(parent.0, name) {
            Ok(Some(ino)) => match self.file_attr(ino) {
                Ok(a) => reply.entry(&TTL, &a, Generation(0)),
                Err(e) => reply.error(e),
            },
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(self.fail("lookup", parent.0, e)),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.file_attr(ino.0) {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match self.tree.attr(&self.store, ino.0) {
            Ok(Some(Attr::Symlink(l))) => reply.data(l.target.as_bytes()),
            Ok(Some(_)) => reply.error(Errno::EINVAL),
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(self.fail("readlink", ino.0, e)),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if flags.acc_mode() != OpenAccMode::O_RDONLY || flags.0 & libc_trunc() != 0 {
            return reply.error(Errno::EROFS);
        }
        match self.tree.attr(&self.store, ino.0) {
            // The kernel then opens every file by itself, keeping its cache.
            Ok(Some(Attr::File { .. })) if self.no_open => reply.error(Errno::ENOSYS),
            Ok(Some(Attr::File { .. })) => {
                reply.opened(FileHandle(0), FopenFlags::FOPEN_KEEP_CACHE)
            }
            Ok(Some(Attr::Dir { .. })) => reply.error(Errno::EISDIR),
            Ok(Some(Attr::Symlink(_))) => reply.error(Errno::ELOOP),
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(self.fail("open", ino.0, e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let (hash, file) = match self.file_for_read(ino.0) {
            Ok(f) => f,
            Err(e) => return reply.error(e),
        };
        match read_range(&self.store, &self.chunks, &hash, &file, offset, size) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(self.fail("read", ino.0, e)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // Nothing to flush: ENOSYS tells the kernel not to ask again (it
        // then closes without a round trip).
        reply.error(Errno::ENOSYS);
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        // Nothing is ever dirty.
        reply.ok();
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if flags.acc_mode() != OpenAccMode::O_RDONLY {
            return reply.error(Errno::EROFS);
        }
        match self.tree.children(&self.store, ino.0) {
            // The kernel then opens directories by itself, caching listings.
            Ok(Some(_)) if self.no_opendir => reply.error(Errno::ENOSYS),
            // The listing never changes: the kernel may keep it.
            Ok(Some(_)) => reply.opened(
                FileHandle(0),
                FopenFlags::FOPEN_KEEP_CACHE | FopenFlags::FOPEN_CACHE_DIR,
            ),
            Ok(None) => reply.error(Errno::ENOTDIR),
            Err(e) => reply.error(self.fail("opendir", ino.0, e)),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let children = match self.tree.children(&self.store, ino.0) {
            Ok(Some(c)) => c,
            Ok(None) => return reply.error(Errno::ENOTDIR),
            Err(e) => return reply.error(self.fail("readdir", ino.0, e)),
        };
        let parent = self.tree.parent(ino.0).unwrap_or(ROOT);
        let mut off = offset;
        while off < FIRST_ENTRY {
            let (n, name) = if off == 0 {
                (ino.0, ".")
            } else {
                (parent, "..")
            };
            if reply.add(INodeNo(n), off + 1, FileType::Directory, name) {
                return reply.ok();
            }
            off += 1;
        }
        let from = usize::try_from(off - FIRST_ENTRY).unwrap_or(usize::MAX);
        for (i, c) in children.iter().enumerate().skip(from) {
            let next = i as u64 + FIRST_ENTRY + 1;
            if reply.add(
                INodeNo(c.ino),
                next,
                fuse_kind(c.kind),
                OsStr::from_bytes(c.name.as_bytes()),
            ) {
                break;
            }
        }
        reply.ok();
    }

    fn readdirplus(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectoryPlus,
    ) {
        let children = match self.tree.children(&self.store, ino.0) {
            Ok(Some(c)) => c,
            Ok(None) => return reply.error(Errno::ENOTDIR),
            Err(e) => return reply.error(self.fail("readdir", ino.0, e)),
        };
        let parent = self.tree.parent(ino.0).unwrap_or(ROOT);
        let mut off = offset;
        while off < FIRST_ENTRY {
            let (n, name) = if off == 0 {
                (ino.0, ".")
            } else {
                (parent, "..")
            };
            let attr = match self.file_attr(n) {
                Ok(a) => a,
                Err(e) => return reply.error(e),
            };
            if reply.add(INodeNo(n), off + 1, name, &TTL, &attr, Generation(0)) {
                return reply.ok();
            }
            off += 1;
        }
        let from = usize::try_from(off - FIRST_ENTRY).unwrap_or(usize::MAX);
        for (i, c) in children.iter().enumerate().skip(from) {
            let attr = match self.file_attr(c.ino) {
                Ok(a) => a,
                Err(e) => return reply.error(e),
            };
            let next = i as u64 + FIRST_ENTRY + 1;
            let name = OsStr::from_bytes(c.name.as_bytes());
            if reply.add(INodeNo(c.ino), next, name, &TTL, &attr, Generation(0)) {
                break;
            }
        }
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        // No free space: nothing can be written.
        reply.statfs(0, 0, 0, 0, 0, 4096, 255, 4096);
    }

    fn getxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _size: u32,
        reply: ReplyXattr,
    ) {
        // Extended attributes are not saved.
        reply.error(Errno::NO_XATTR);
    }

    fn listxattr(&self, _req: &Request, _ino: INodeNo, size: u32, reply: ReplyXattr) {
        if size == 0 {
            reply.size(0);
        } else {
            reply.data(&[]);
        }
    }

    fn access(&self, _req: &Request, ino: INodeNo, mask: AccessFlags, reply: ReplyEmpty) {
        if mask.contains(AccessFlags::W_OK) {
            return reply.error(Errno::EROFS);
        }
        match self.file_attr(ino.0) {
            Ok(_) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    // Every change: EROFS (POSIX: "read-only file system"). The mount is
    // read-only too, so the kernel refuses most of these before asking.

    fn setattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mknod(
        &self,
        _req: &Request,
        _p: INodeNo,
        _n: &OsStr,
        _mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mkdir(
        &self,
        _req: &Request,
        _p: INodeNo,
        _n: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn unlink(&self, _req: &Request, _p: INodeNo, _n: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn rmdir(&self, _req: &Request, _p: INodeNo, _n: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn symlink(&self, _req: &Request, _p: INodeNo, _n: &OsStr, _target: &Path, reply: ReplyEntry) {
        reply.error(Errno::EROFS);
    }

    fn rename(
        &self,
        _req: &Request,
        _p: INodeNo,
        _n: &OsStr,
        _np: INodeNo,
        _nn: &OsStr,
        _flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn link(&self, _req: &Request, _ino: INodeNo, _np: INodeNo, _nn: &OsStr, reply: ReplyEntry) {
        reply.error(Errno::EROFS);
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        reply.error(Errno::EROFS);
    }

    fn create(
        &self,
        _req: &Request,
        _p: INodeNo,
        _n: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        reply.error(Errno::EROFS);
    }

    fn setxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn removexattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn fallocate(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _length: u64,
        _mode: i32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn copy_file_range(
        &self,
        _req: &Request,
        _ino_in: INodeNo,
        _fh_in: FileHandle,
        _offset_in: u64,
        _ino_out: INodeNo,
        _fh_out: FileHandle,
        _offset_out: u64,
        _len: u64,
        _flags: CopyFileRangeFlags,
        reply: ReplyWrite,
    ) {
        reply.error(Errno::EROFS);
    }
}

/// `O_TRUNC`, which changes a file even when opened read-only.
fn libc_trunc() -> i32 {
    nix::fcntl::OFlag::O_TRUNC.bits()
}
