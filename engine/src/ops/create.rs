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
        self.atomic(|fs| {
            fs.check_writable_fs()?;
            let r = fs.resolve_at(base, path, false)?;
            if r.target.is_some() {
                return Err(Error::Exists);
            }
            let name = r.name.ok_or(Error::Exists)?;
            fs.check_dir_alive(r.parent)?;
            fs.copy_up(r.parent)?;
            let entry = cost::entry(name.as_str().len());
            fs.reserve(1, cost::INODE + cost::DIR_MAP + entry)?;
            let now = fs.now();
            // Not merged: a directory made over a whiteout is opaque, so the deleted
            // lower directory's children never come back.
            let ino = fs.insert_new(Inode {
                meta: Meta::new(perm, 2, now),
                body: Body::Dir(Dir::new(r.parent, false)),
                generation: fresh_gen(),
            });
            fs.put_entry(r.parent, name, Entry::Node(ino, FileType::Dir))?;
            fs.inode_mut(r.parent)?.meta.nlink += 1;
            fs.touch_dir(r.parent, now)?;
            Ok(())
        })
    }

    /// Creates symlink `path` pointing at `target` (POSIX `symlinkat`). The target
    /// is stored as given; it is only checked when a path is resolved through it.
    pub fn symlink(&mut self, target: &str, base: &Handle, path: &str) -> Result<()> {
        self.atomic(|fs| {
            fs.check_writable_fs()?;
            if target.is_empty() {
                return Err(Error::NotFound);
            }
            if target.as_bytes().contains(&0) {
                return Err(Error::InvalidName);
            }
            if target.len() >= fs.shared.config.max_path {
                return Err(Error::NameTooLong);
            }
            let r = fs.resolve_at(base, path, false)?;
            if r.target.is_some() {
                return Err(Error::Exists);
            }
            let name = r.name.ok_or(Error::Exists)?;
            if r.dir_required {
                return Err(Error::NotFound);
            }
            fs.check_dir_alive(r.parent)?;
            fs.copy_up(r.parent)?;
            let entry = cost::entry(name.as_str().len());
            fs.reserve(1, cost::INODE + cost::target(target.len()) + entry)?;
            let now = fs.now();
            let ino = fs.insert_new(Inode {
                meta: Meta::new(0o777, 1, now),
                body: Body::Symlink(Arc::from(target)),
                generation: fresh_gen(),
            });
            fs.put_entry(r.parent, name, Entry::Node(ino, FileType::Symlink))?;
            fs.touch_dir(r.parent, now)?;
            Ok(())
        })
    }
}
