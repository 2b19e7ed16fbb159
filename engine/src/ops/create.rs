//! mkdir and symlink.

use std::sync::Arc;

use crate::cost;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{Body, Dir, Entry, FileType, Inode, Meta, fresh_gen};
use crate::ofd::Handle;

impl Fs {
    /// Creates directory `path` (POSIX `mkdirat`). A trailing slash is allowed;
    /// an existing name, symlinks included, is `Exists`.
    pub fn mkdir(&mut self, base: &Handle, path: &str, perm: u32) -> Result<()> {
        self.check_writable_fs()?;
        let r = self.resolve_at(base, path, false)?;
        if r.target.is_some() {
            return Err(Error::Exists);
        }
        let name = r.name.ok_or(Error::Exists)?;
        self.check_dir_alive(r.parent)?;
        self.copy_up(r.parent)?;
        let entry = cost::entry(name.as_str().len());
        self.reserve(1, cost::INODE + cost::DIR_MAP + entry)?;
        let now = self.now();
        // Not merged: a directory made over a whiteout is opaque, so the deleted
        // lower directory's children never come back.
        let ino = self.insert_new(Inode {
            meta: Meta::new(perm, 2, now),
            body: Body::Dir(Dir::new(r.parent, false)),
            generation: fresh_gen(),
        });
        self.put_entry(r.parent, name, Entry::Node(ino, FileType::Dir));
        self.inode_mut(r.parent).meta.nlink += 1;
        self.touch_dir(r.parent, now);
        Ok(())
    }

    /// Creates symlink `path` pointing at `target` (POSIX `symlinkat`). The target
    /// is stored as given; it is only checked when a path is resolved through it.
    pub fn symlink(&mut self, target: &str, base: &Handle, path: &str) -> Result<()> {
        self.check_writable_fs()?;
        if target.is_empty() {
            return Err(Error::NotFound);
        }
        if target.as_bytes().contains(&0) {
            return Err(Error::InvalidName);
        }
        if target.len() >= self.shared.config.max_path {
            return Err(Error::NameTooLong);
        }
        let r = self.resolve_at(base, path, false)?;
        if r.target.is_some() {
            return Err(Error::Exists);
        }
        let name = r.name.ok_or(Error::Exists)?;
        if r.dir_required {
            return Err(Error::NotFound);
        }
        self.check_dir_alive(r.parent)?;
        self.copy_up(r.parent)?;
        let entry = cost::entry(name.as_str().len());
        self.reserve(1, cost::INODE + cost::target(target.len()) + entry)?;
        let now = self.now();
        let ino = self.insert_new(Inode {
            meta: Meta::new(0o777, 1, now),
            body: Body::Symlink(Arc::from(target)),
            generation: fresh_gen(),
        });
        self.put_entry(r.parent, name, Entry::Node(ino, FileType::Symlink));
        self.touch_dir(r.parent, now);
        Ok(())
    }
}
