//! stat, timestamps and permission bits.

use crate::clock::Timestamp;
use crate::error::Result;
use crate::fs::Fs;
use crate::inode::Ino;
use crate::ofd::Handle;
use crate::overlay::Stat;

/// How to change one timestamp (POSIX `utimensat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it (`UTIME_OMIT`).
    Omit,
    /// The current time (`UTIME_NOW`).
    Now,
    /// This time.
    At(Timestamp),
}

impl Fs {
    /// Metadata of the object behind a handle.
    pub fn stat(&self, h: &Handle) -> Result<Stat> {
        let ino = {
            let o = h.borrow();
            self.check_live(&o)?;
            o.ino
        };
        self.view().stat(ino)
    }

    /// Metadata of `path`; `follow` decides whether a final symlink is followed.
    pub fn stat_at(&self, base: &Handle, path: &str, follow: bool) -> Result<Stat> {
        let r = self.resolve_at(base, path, follow)?;
        self.view().stat(r.existing()?.0)
    }

    /// Sets the access and modification times of the object behind a handle.
    pub fn set_times(&mut self, h: &Handle, atime: SetTime, mtime: SetTime) -> Result<()> {
        self.atomic(|fs| {
            let ino = {
                let o = h.borrow();
                fs.check_live(&o)?;
                o.ino
            };
            fs.set_times_ino(ino, atime, mtime)
        })
    }

    /// Sets the access and modification times of `path`.
    pub fn set_times_at(
        &mut self,
        base: &Handle,
        path: &str,
        follow: bool,
        atime: SetTime,
        mtime: SetTime,
    ) -> Result<()> {
        self.atomic(|fs| {
            let r = fs.resolve_at(base, path, follow)?;
            fs.set_times_ino(r.existing()?.0, atime, mtime)
        })
    }

    fn set_times_ino(&mut self, ino: Ino, atime: SetTime, mtime: SetTime) -> Result<()> {
        self.check_writable_fs()?;
        self.copy_up(ino)?;
        let now = self.now();
        let m = &mut self.inode_mut(ino)?.meta;
        for (slot, how) in [(&mut m.atime, atime), (&mut m.mtime, mtime)] {
            match how {
                SetTime::Omit => {}
                SetTime::Now => *slot = now,
                SetTime::At(t) => *slot = t,
            }
        }
        m.ctime = now;
        Ok(())
    }

    /// Sets the permission bits of `path` (POSIX `fchmodat`).
    pub fn set_perm_at(
        &mut self,
        base: &Handle,
        path: &str,
        follow: bool,
        perm: u32,
    ) -> Result<()> {
        self.atomic(|fs| {
            fs.check_writable_fs()?;
            let r = fs.resolve_at(base, path, follow)?;
            let ino = r.existing()?.0;
            fs.copy_up(ino)?;
            let now = fs.now();
            let m = &mut fs.inode_mut(ino)?.meta;
            m.perm = perm & 0o7777;
            m.ctime = now;
            Ok(())
        })
    }
}
