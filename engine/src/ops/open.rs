//! open and close.

use crate::cost;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{Body, Entry, FileData, FileType, Ino, Inode, Meta, fresh_gen};
use crate::name::Name;
use crate::ofd::{Cursor, FdFlags, Handle, OpenFile};

/// How to open a path (POSIX `open` flags, split out).
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create the file if it does not exist (`O_CREAT`).
    pub create: bool,
    /// With `create`, fail if the name exists, symlinks included (`O_EXCL`).
    pub exclusive: bool,
    /// Truncate an existing regular file to length 0 (`O_TRUNC`).
    pub truncate: bool,
    /// Fail unless the object is a directory (`O_DIRECTORY`).
    pub directory: bool,
    /// Fail with `Loop` if the final component is a symlink (`O_NOFOLLOW`).
    pub nofollow: bool,
    /// Initial status flags.
    pub flags: FdFlags,
    /// Permission bits of a created file.
    pub perm: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read: true,
            write: false,
            create: false,
            exclusive: false,
            truncate: false,
            directory: false,
            nofollow: false,
            flags: FdFlags::default(),
            perm: 0o644,
        }
    }
}

impl Fs {
    /// Opens the root directory.
    pub fn open_root(&mut self) -> Result<Handle> {
        let root = self.tree.root;
        self.new_handle(root, FileType::Dir, true, false, FdFlags::default())
    }

    /// Opens `path` relative to directory handle `base`.
    pub fn open(&mut self, base: &Handle, path: &str, opts: &OpenOptions) -> Result<Handle> {
        self.atomic(|fs| {
            if fs.open_total >= fs.shared.config.max_open {
                return Err(Error::TooManyOpen);
            }
            let follow = !(opts.nofollow || (opts.create && opts.exclusive));
            let r = fs.resolve_at(base, path, follow)?;
            let (ino, kind) = match r.target {
                None => {
                    if !opts.create {
                        return Err(Error::NotFound);
                    }
                    if r.dir_required {
                        return Err(Error::IsDir);
                    }
                    if opts.directory {
                        return Err(Error::Invalid("O_CREAT with O_DIRECTORY"));
                    }
                    let name = r.name.ok_or(Error::Exists)?;
                    (fs.create_file(r.parent, name, opts.perm)?, FileType::File)
                }
                Some((ino, kind)) => {
                    if opts.create && opts.exclusive {
                        return Err(Error::Exists);
                    }
                    match kind {
                        FileType::Symlink => return Err(Error::Loop),
                        // POSIX open: EISDIR also for O_CREAT without O_DIRECTORY.
                        FileType::Dir
                            if opts.write || opts.truncate || (opts.create && !opts.directory) =>
                        {
                            return Err(Error::IsDir);
                        }
                        FileType::File if opts.directory => return Err(Error::NotDir),
                        _ => {}
                    }
                    if (opts.write || opts.truncate) && fs.shared.config.read_only {
                        return Err(Error::ReadOnly);
                    }
                    if opts.truncate && kind == FileType::File {
                        fs.truncate_to_zero(ino)?;
                    }
                    (ino, kind)
                }
            };
            fs.new_handle(ino, kind, opts.read, opts.write, opts.flags)
        })
    }

    /// Closes a handle. The description itself goes away with its last handle;
    /// an unlinked object is freed when its last description closes.
    pub fn close(&mut self, handle: Handle) {
        // Another filesystem's handle holds nothing open here.
        if handle.count() > 1 || self.check_own(&handle.borrow()).is_err() {
            return;
        }
        let ino = handle.borrow().ino;
        self.open_total = self.open_total.saturating_sub(1);
        if let Some(n) = self.open.get_mut(&ino) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(&ino);
                if self.tree.orphans.contains(&ino) {
                    self.free(ino);
                }
            }
        }
    }

    /// Number of open descriptions.
    pub fn open_count(&self) -> usize {
        self.open_total
    }

    fn new_handle(
        &mut self,
        ino: Ino,
        kind: FileType,
        readable: bool,
        writable: bool,
        flags: FdFlags,
    ) -> Result<Handle> {
        if self.open_total >= self.shared.config.max_open {
            return Err(Error::TooManyOpen);
        }
        self.open_total += 1;
        *self.open.entry(ino).or_insert(0) += 1;
        let generation = self.tree.inodes.get(&ino).map_or(0, |i| i.generation);
        Ok(Handle::new(OpenFile {
            fs: self.id,
            ino,
            generation,
            kind,
            readable,
            writable,
            flags,
            offset: 0,
            cursor: Cursor::default(),
        }))
    }

    /// Creates an empty regular file `name` in `parent`.
    ///
    /// # Preconditions
    /// `name` does not exist in `parent`.
    pub(crate) fn create_file(&mut self, parent: Ino, name: Name, perm: u32) -> Result<Ino> {
        self.check_writable_fs()?;
        self.check_dir_alive(parent)?;
        self.copy_up(parent)?;
        // An empty file holds its record only.
        self.reserve(1, cost::INODE + cost::entry(name.as_str().len()))?;
        let now = self.now();
        let ino = self.insert_new(Inode {
            meta: Meta::new(perm, 1, now),
            body: Body::File(FileData::default()),
            generation: fresh_gen(),
        });
        self.put_entry(parent, name, Entry::Node(ino, FileType::File))?;
        let p = self.inode_mut(parent)?;
        p.meta.mtime = now;
        p.meta.ctime = now;
        Ok(ino)
    }

    fn truncate_to_zero(&mut self, ino: Ino) -> Result<()> {
        if self.view().stat(ino)?.size == 0 {
            return Ok(());
        }
        self.copy_up(ino)?;
        let now = self.now();
        let inode = self.inode_mut(ino)?;
        let (freed, released) = inode.file_mut().map_or((0, 0), |f| f.set_len(0));
        inode.meta.mtime = now;
        inode.meta.ctime = now;
        self.tree.bytes -= freed;
        self.release(released);
        Ok(())
    }
}
