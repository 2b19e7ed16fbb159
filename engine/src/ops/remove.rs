//! unlink and rmdir.

use crate::cost;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{Entry, FileType, Ino};
use crate::name::Name;
use crate::ofd::Handle;

impl Fs {
    /// Removes the non-directory `path` (POSIX `unlinkat` without `AT_REMOVEDIR`).
    /// An object still open stays usable through its handles.
    pub fn unlink(&mut self, base: &Handle, path: &str) -> Result<()> {
        self.atomic(|fs| {
            fs.check_writable_fs()?;
            let r = fs.resolve_at(base, path, false)?;
            let (ino, kind) = r.existing()?;
            let name = r.name.ok_or(Error::IsDir)?;
            if kind == FileType::Dir {
                return Err(Error::IsDir);
            }
            fs.remove_entry(r.parent, &name, ino)?;
            Ok(())
        })
    }

    /// Removes the empty directory `path` (POSIX `unlinkat` with `AT_REMOVEDIR`).
    /// "Empty" is judged on the merged view: lower entries count unless hidden.
    pub fn rmdir(&mut self, base: &Handle, path: &str) -> Result<()> {
        self.atomic(|fs| {
            fs.check_writable_fs()?;
            let r = fs.resolve_at(base, path, false)?;
            let (ino, kind) = r.existing()?;
            let name = r.name.ok_or(Error::Invalid("cannot remove `.` or `..`"))?;
            if kind != FileType::Dir {
                return Err(Error::NotDir);
            }
            if ino == fs.tree.root {
                return Err(Error::Busy);
            }
            if !fs.view().is_empty_dir(ino)? {
                return Err(Error::NotEmpty);
            }
            fs.remove_entry(r.parent, &name, ino)?;
            Ok(())
        })
    }

    /// Whether removing a name of `ino` must update an upper record of it: it
    /// has one already, or it keeps other links, or it is open.
    pub(crate) fn needs_record(&self, ino: Ino) -> Result<bool> {
        if self.tree.inodes.contains_key(&ino) || self.open.contains_key(&ino) {
            return Ok(true);
        }
        let s = self.view().stat(ino)?;
        Ok(s.kind != FileType::Dir && s.nlink > 1)
    }

    /// Removes `name` (naming `ino`) from `parent`: a whiteout if the lower
    /// layer has the name, and one link less on `ino`.
    pub(crate) fn remove_entry(&mut self, parent: Ino, name: &Name, ino: Ino) -> Result<()> {
        let whiteout = self.view().lower_has(parent, name)?;
        let record = self.needs_record(ino)?;
        self.copy_up(parent)?;
        if record {
            self.copy_up(ino)?;
        }
        let is_dir = self.view().kind(ino)? == FileType::Dir;
        if whiteout && !self.has_upper_entry(parent, name) {
            // A whiteout is an entry too: the memory of its name is charged
            // (and may not fit, as on overlayfs).
            self.reserve(0, cost::entry(name.as_str().len()))?;
        }
        let now = self.now();
        if whiteout {
            self.put_entry(parent, name.clone(), Entry::Whiteout)?;
        } else {
            self.remove_name(parent, name)?;
        }
        let p = self.inode_mut(parent)?;
        if is_dir {
            p.meta.nlink = p.meta.nlink.saturating_sub(1);
        }
        p.meta.mtime = now;
        p.meta.ctime = now;
        if self.tree.inodes.contains_key(&ino) {
            self.drop_link(ino, now)?;
        }
        Ok(())
    }
}
