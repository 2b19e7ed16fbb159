//! Data I/O on handles: read, write, seek, truncate, allocate, flags.

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::FileType;
use crate::ofd::{FdFlags, Handle};

/// Where a seek starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekFrom {
    /// From the start of the file.
    Start(u64),
    /// From the current offset.
    Current(i64),
    /// From the end of the file.
    End(i64),
}

impl Fs {
    /// Reads at the handle's offset and advances it.
    pub fn read(&mut self, h: &Handle, buf: &mut [u8]) -> Result<usize> {
        let offset = h.borrow().offset;
        let n = self.pread(h, buf, offset)?;
        h.borrow_mut().offset = offset + n as u64;
        Ok(n)
    }

    /// Reads into several buffers in turn (POSIX `readv`), as one read.
    pub fn read_vectored(&mut self, h: &Handle, bufs: &mut [&mut [u8]]) -> Result<usize> {
        let mut total = 0;
        for buf in bufs.iter_mut() {
            let n = self.read(h, buf)?;
            total += n;
            if n < buf.len() {
                break;
            }
        }
        Ok(total)
    }

    /// Reads at `offset` without moving the handle's offset.
    pub fn pread(&self, h: &Handle, buf: &mut [u8], offset: u64) -> Result<usize> {
        let (ino, kind, readable) = {
            let o = h.borrow();
            self.check_own(&o)?;
            (o.ino, o.kind, o.readable)
        };
        if kind == FileType::Dir {
            return Err(Error::IsDir);
        }
        if !readable {
            return Err(Error::BadHandle);
        }
        self.check_live(&h.borrow())?;
        self.view().read(ino, offset, buf)
    }

    /// Writes the concatenation of `data` at the handle's offset (at the end of
    /// file if the description has `append`) and advances the offset.
    pub fn write(&mut self, h: &Handle, data: &[&[u8]]) -> Result<usize> {
        // Checked before the size is looked up, so that a dead handle is
        // `BadHandle` here as in `pwrite`.
        let ino = self.writable_file(h)?;
        let (offset, append) = {
            let o = h.borrow();
            (o.offset, o.flags.append)
        };
        let at = if append {
            self.view().stat(ino)?.size
        } else {
            offset
        };
        let n = self.pwrite(h, data, at)?;
        h.borrow_mut().offset = at + n as u64;
        Ok(n)
    }

    /// Writes at `offset` without moving the handle's offset.
    ///
    /// On a description with `append`, the data goes to the end of file whatever
    /// `offset` says, as on Linux (pwrite(2), BUGS) and so under wasmtime-wasi.
    pub fn pwrite(&mut self, h: &Handle, data: &[&[u8]], offset: u64) -> Result<usize> {
        let ino = self.writable_file(h)?;
        let total: usize = data.iter().map(|d| d.len()).sum();
        if total == 0 {
            return Ok(0);
        }
        let offset = if h.borrow().flags.append {
            self.view().stat(ino)?.size
        } else {
            offset
        };
        // Not a transaction (see `Fs`): the copy-up alone is undone on error,
        // and `FileData::write` changes nothing unless it succeeds.
        let copied = self.copy_up_undoable(ino)?;
        let budget = self.byte_budget();
        let max = self.shared.config.max_file_size;
        let lower = self.shared.lower.clone();
        let written = self.inode_mut(ino).and_then(|inode| {
            let file = inode.file_mut().ok_or(Error::BadHandle)?;
            file.write(offset, data, budget, max, &mut |off, b| match &lower {
                Some(l) => l.read(ino, off, b),
                None => Ok(0),
            })
        });
        let w = match written {
            Ok(w) => w,
            Err(e) => {
                self.undo_copy_up(copied);
                return Err(e);
            }
        };
        let now = self.now();
        let m = &mut self.inode_mut(ino)?.meta;
        m.mtime = now;
        m.ctime = now;
        self.tree.bytes += w.content;
        self.release(w.charge_before);
        self.charge(w.charge_after);
        Ok(total)
    }

    /// Writes from several buffers as one write (POSIX `writev`).
    pub fn write_vectored(&mut self, h: &Handle, data: &[&[u8]]) -> Result<usize> {
        self.write(h, data)
    }

    /// Moves the handle's offset; returns the new offset.
    pub fn seek(&mut self, h: &Handle, pos: SeekFrom) -> Result<u64> {
        let (ino, offset) = {
            let o = h.borrow();
            self.check_own(&o)?;
            (o.ino, o.offset)
        };
        let new = match pos {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::Current(d) => i128::from(offset) + i128::from(d),
            SeekFrom::End(d) => i128::from(self.view().stat(ino)?.size) + i128::from(d),
        };
        let new = u64::try_from(new).map_err(|_| Error::Invalid("seek before start of file"))?;
        if new > self.shared.config.max_file_size {
            return Err(Error::TooBig);
        }
        h.borrow_mut().offset = new;
        Ok(new)
    }

    /// Sets the file's size (POSIX `ftruncate`): shrinking discards data,
    /// growing adds a hole.
    pub fn set_len(&mut self, h: &Handle, len: u64) -> Result<()> {
        // POSIX ftruncate: a descriptor not open for writing is EINVAL.
        let (writable, kind) = {
            let o = h.borrow();
            self.check_own(&o)?;
            (o.writable, o.kind)
        };
        if !writable && kind == FileType::File {
            return Err(Error::Invalid("not open for writing"));
        }
        let ino = self.writable_file(h)?;
        if len > self.shared.config.max_file_size {
            return Err(Error::TooBig);
        }
        self.copy_up(ino)?;
        let now = self.now();
        let inode = self.inode_mut(ino)?;
        let (freed, released) = inode.file_mut().map_or((0, 0), |f| f.set_len(len));
        inode.meta.mtime = now;
        inode.meta.ctime = now;
        self.tree.bytes -= freed;
        self.release(released);
        Ok(())
    }

    /// Makes sure `[offset, offset + len)` is inside the file (POSIX
    /// `posix_fallocate`); the new range reads as zeros.
    pub fn allocate(&mut self, h: &Handle, offset: u64, len: u64) -> Result<()> {
        let ino = self.writable_file(h)?;
        // POSIX posix_fallocate: a zero length is EINVAL.
        if len == 0 {
            return Err(Error::Invalid("zero-length allocation"));
        }
        let end = offset.checked_add(len).ok_or(Error::TooBig)?;
        if self.view().stat(ino)?.size < end {
            self.set_len(h, end)?;
        }
        Ok(())
    }

    /// Replaces the description's status flags (seen by every handle sharing it).
    pub fn set_flags(&mut self, h: &Handle, flags: FdFlags) -> Result<()> {
        self.check_live(&h.borrow())?;
        h.borrow_mut().flags = flags;
        Ok(())
    }

    /// Flushes the object (a no-op check: the upper layer lives in memory).
    pub fn sync(&self, h: &Handle) -> Result<()> {
        self.check_live(&h.borrow())
    }

    fn writable_file(&self, h: &Handle) -> Result<crate::inode::Ino> {
        let o = h.borrow();
        self.check_own(&o)?;
        // A directory is never open for writing: POSIX write and ftruncate say
        // EBADF (EISDIR is not theirs to give).
        if !o.writable || o.kind == FileType::Dir {
            return Err(Error::BadHandle);
        }
        self.check_writable_fs()?;
        self.check_live(&o)?;
        Ok(o.ino)
    }
}
