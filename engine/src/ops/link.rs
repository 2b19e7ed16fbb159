//! link and readlink.

use crate::cost;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{Entry, FileType};
use crate::ofd::Handle;

impl Fs {
    /// Makes `to` another name of the object at `from` (POSIX `linkat`; `follow`
    /// is `AT_SYMLINK_FOLLOW`). Directories cannot be linked.
    pub fn link(
        &mut self,
        from_base: &Handle,
        from: &str,
        to_base: &Handle,
        to: &str,
        follow: bool,
    ) -> Result<()> {
        self.atomic(|fs| {
            fs.check_writable_fs()?;
            let src = fs.resolve_at(from_base, from, follow)?;
            let (sino, skind) = src.existing()?;
            if skind == FileType::Dir {
                return Err(Error::NotPermitted);
            }
            let dst = fs.resolve_at(to_base, to, false)?;
            if dst.target.is_some() {
                return Err(Error::Exists);
            }
            let dname = dst.name.ok_or(Error::Exists)?;
            if dst.dir_required {
                return Err(Error::NotFound);
            }
            fs.check_dir_alive(dst.parent)?;
            fs.copy_up(dst.parent)?;
            fs.copy_up(sino)?;
            // A link costs no inode, but its name is memory like any other.
            fs.reserve(0, cost::entry(dname.as_str().len()))?;
            let now = fs.now();
            let inode = fs.inode_mut(sino)?;
            inode.meta.nlink += 1;
            inode.meta.ctime = now;
            fs.put_entry(dst.parent, dname, Entry::Node(sino, skind))?;
            fs.touch_dir(dst.parent, now)?;
            Ok(())
        })
    }

    /// The target of symlink `path` (POSIX `readlinkat`).
    pub fn readlink(&self, base: &Handle, path: &str) -> Result<String> {
        let r = self.resolve_at(base, path, false)?;
        let (ino, kind) = r.existing()?;
        if kind != FileType::Symlink {
            return Err(Error::Invalid("not a symbolic link"));
        }
        Ok(self.view().readlink(ino)?.to_string())
    }
}
