//! Every `fd_*` function, each dispatching on the [`Descriptor`] kind, so a new
//! kind of fd cannot be forgotten here.
//!
//! wasmtime-wasi 48 on a real directory is the behavioural reference: the same
//! errno on every error path, checked in the same order.

use strata_engine::SeekFrom;

use super::desc::{file_fd, filestat, fs_fd, set_times, to_fdflags};
use super::{desc, flags_within, rights_within};
use crate::abi::{Errno, Fdstat, Filestat, Iovec, Prestat, advice, fdflags, rights, whence};
use crate::ctx::StrataCtx;
use crate::fault::CallResult;
use crate::fdtable::Descriptor;
use crate::memory::GuestMemory;
use crate::stdio::{OutputSink, StdinSource};

/// Most bytes one `fd_pread` returns: wasmtime-wasi reads through a stream
/// whose reads allocate at most 64 KiB (its `MAX_READ_SIZE_ALLOC`).
const PREAD_MAX: u32 = 64 << 10;

/// Which way a transfer moves bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Io {
    Read,
    Write,
}

/// `fd_read`, `fd_pread` (`at` is the offset), `fd_write` and `fd_pwrite`:
/// the one iovec loop for all four.
///
/// Reads and writes move the first non-empty buffer only, as wasmtime-wasi 48
/// does (a legal short transfer: POSIX lets readv/writev return less than
/// asked). The iovec array is charged and read before the fd is looked at, so
/// a spent copy budget is ENOMEM even for a bad fd.
fn transfer(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    (iovs, n): (u32, u32),
    at: Option<u64>,
    io: Io,
    out: u32,
) -> CallResult<()> {
    let iov = mem.first_iovec(iovs, n)?;
    let moved = match (ctx.fds.get_mut(fd)?, io) {
        (Descriptor::Fs(_), _) => fs_transfer(ctx, mem, fd, iov, at, io)?,
        (Descriptor::Stdin(src), Io::Read) if at.is_none() => {
            // wasmtime-wasi 48 reads stdin as a stream: a read of nothing while
            // bytes are pending gets no data, which it answers EINTR; at end of
            // file the stream is closed and the read is 0.
            let pending = matches!(src, StdinSource::Bytes { data, pos } if *pos < data.len());
            if iov.buf_len == 0 && pending {
                return Err(Errno::Intr.into());
            }
            src.read(mem.slice_mut(iov.buf, iov.buf_len)?)?
        }
        (Descriptor::Stdout(sink) | Descriptor::Stderr(sink), Io::Write) if at.is_none() => {
            write_stream(mem, sink, iov)?
        }
        // wasmtime-wasi: a stream has no offset to read or write at (ESPIPE);
        // one of the wrong direction cannot be used at all (EBADF).
        (Descriptor::Stdin(_), Io::Read)
        | (Descriptor::Stdout(_) | Descriptor::Stderr(_), Io::Write) => {
            return Err(Errno::Spipe.into());
        }
        (Descriptor::Stdin(_) | Descriptor::Stdout(_) | Descriptor::Stderr(_), _) => {
            return Err(Errno::Badf.into());
        }
    };
    mem.write_u32(out, moved as u32)
}

/// A transfer on an engine fd, through the one buffer `iov`; an append fd
/// appends even at an offset (Linux, and wasmtime-wasi).
fn fs_transfer(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iov: Iovec,
    at: Option<u64>,
    io: Io,
) -> CallResult<usize> {
    let (fs, h) = file_fd(ctx, fd)?;
    Ok(match (io, at) {
        (Io::Read, None) => fs.read(&h, mem.slice_mut(iov.buf, iov.buf_len)?)?,
        (Io::Read, Some(at)) => {
            let buf = mem.slice_mut(iov.buf, iov.buf_len)?;
            let n = buf.len().min(PREAD_MAX as usize);
            fs.pread(&h, &mut buf[..n], at)?
        }
        (Io::Write, None) => fs.write(&h, &[mem.slice(iov.buf, iov.buf_len)?])?,
        (Io::Write, Some(at)) => fs.pwrite(&h, &[mem.slice(iov.buf, iov.buf_len)?], at)?,
    })
}

/// Writes the buffer `iov` to `sink` whole, as wasmtime-wasi's blocking stream
/// write does; a short write ends the call with what was taken so far.
fn write_stream(mem: &mut GuestMemory<'_>, sink: &mut OutputSink, iov: Iovec) -> CallResult<usize> {
    let data = mem.slice(iov.buf, iov.buf_len)?;
    let mut done = 0;
    while done < data.len() {
        match sink.write(&data[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}

pub(super) fn read(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    n: u32,
    out: u32,
) -> CallResult<()> {
    transfer(ctx, mem, fd, (iovs, n), None, Io::Read, out)
}

pub(super) fn pread(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    n: u32,
    at: u64,
    out: u32,
) -> CallResult<()> {
    transfer(ctx, mem, fd, (iovs, n), Some(at), Io::Read, out)
}

pub(super) fn write(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    n: u32,
    out: u32,
) -> CallResult<()> {
    transfer(ctx, mem, fd, (iovs, n), None, Io::Write, out)
}

pub(super) fn pwrite(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    n: u32,
    at: u64,
    out: u32,
) -> CallResult<()> {
    transfer(ctx, mem, fd, (iovs, n), Some(at), Io::Write, out)
}

pub(super) fn seek(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    how: u32,
    out: u32,
) -> CallResult<()> {
    // The enum argument is decoded before the fd is looked at.
    if how > u32::from(whence::END) {
        return Err(Errno::Inval.into());
    }
    if !matches!(ctx.fds.get(fd)?, Descriptor::Fs(_)) {
        // A stream cannot seek (POSIX ESPIPE, as wasmtime-wasi answers).
        return Err(Errno::Spipe.into());
    }
    let (fs, h) = file_fd(ctx, fd)?;
    let pos = match how as u8 {
        whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        whence::CUR => SeekFrom::Current(offset),
        _ => SeekFrom::End(offset),
    };
    let pos = fs.seek(&h, pos)?;
    mem.write_u64(out, pos)
}

pub(super) fn tell(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    out: u32,
) -> CallResult<()> {
    // A stream has no offset: ESPIPE (wasmtime-wasi's `get_seekable`).
    if !matches!(ctx.fds.get(fd)?, Descriptor::Fs(_)) {
        return Err(Errno::Spipe.into());
    }
    let (_, h) = file_fd(ctx, fd)?;
    let pos = h.borrow().offset();
    mem.write_u64(out, pos)
}

pub(super) fn close(ctx: &mut StrataCtx, fd: u32) -> CallResult<()> {
    // Closing stdio is allowed, as in POSIX; the number becomes free for reuse.
    let d = ctx.fds.remove(fd)?;
    release(ctx, d);
    Ok(())
}

/// Releases a descriptor already removed from the table.
fn release(ctx: &mut StrataCtx, d: Descriptor) {
    if let Descriptor::Fs(f) = d {
        ctx.mounts[f.mount].fs.close(f.handle);
    }
}

pub(super) fn renumber(ctx: &mut StrataCtx, from: u32, to: u32) -> CallResult<()> {
    if let Some(old) = ctx.fds.renumber(from, to)? {
        release(ctx, old);
    }
    Ok(())
}

pub(super) fn fdstat_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    out: u32,
) -> CallResult<()> {
    // The rights wasmtime-wasi reports for stdio: exactly the one direction.
    let stdio = |filetype, rights| Fdstat {
        filetype,
        flags: 0,
        rights_base: rights,
        rights_inheriting: rights,
    };
    let stat = match ctx.fds.get(fd)? {
        Descriptor::Stdin(s) => stdio(s.filetype(), rights::FD_READ),
        Descriptor::Stdout(s) | Descriptor::Stderr(s) => stdio(s.filetype(), rights::FD_WRITE),
        Descriptor::Fs(f) => desc::fdstat(&f.handle, f.preopen.is_some()),
    };
    mem.write(out, &stat)
}

pub(super) fn fdstat_set_flags(ctx: &mut StrataCtx, fd: u32, flags: u32) -> CallResult<()> {
    let bits = flags_within(flags, u32::from(fdflags::ALL))? as u16;
    // Regular files only (EBADF otherwise), and only APPEND and NONBLOCK can
    // change: a sync flag is EINVAL (wasmtime-wasi).
    let (fs, h) = file_fd(ctx, fd)?;
    if bits & (fdflags::SYNC | fdflags::DSYNC | fdflags::RSYNC) != 0 {
        return Err(Errno::Inval.into());
    }
    Ok(fs.set_flags(&h, to_fdflags(bits))?)
}

pub(super) fn fdstat_set_rights(
    ctx: &mut StrataCtx,
    fd: u32,
    base: u64,
    inh: u64,
) -> CallResult<()> {
    // Undefined rights are EINVAL before the fd is looked at (wasmtime-wasi's
    // bindings decode them first). Rights are gone from later WASI;
    // wasmtime-wasi answers NOTSUP for a valid fd, and so do we.
    rights_within(base)?;
    rights_within(inh)?;
    ctx.fds.get(fd)?;
    Err(Errno::Notsup.into())
}

pub(super) fn advise(
    ctx: &mut StrataCtx,
    fd: u32,
    _off: u64,
    _len: u64,
    adv: u32,
) -> CallResult<()> {
    if adv > u32::from(advice::NOREUSE) {
        return Err(Errno::Inval.into());
    }
    // Advice is a hint; the upper layer is memory and needs none.
    file_fd(ctx, fd).map(drop)
}

pub(super) fn allocate(ctx: &mut StrataCtx, fd: u32, _off: u64, _len: u64) -> CallResult<()> {
    // wasmtime-wasi 48 answers ENOTSUP for every regular file (after EBADF for
    // anything else), and leaves the file as it was.
    file_fd(ctx, fd)?;
    Err(Errno::Notsup.into())
}

/// `fd_sync` and `fd_datasync`.
pub(super) fn sync(ctx: &mut StrataCtx, fd: u32) -> CallResult<()> {
    // Regular files only: a directory or stdio is EBADF (wasmtime-wasi's
    // `get_file_fd`), though Linux would sync a directory.
    let (fs, h) = file_fd(ctx, fd)?;
    Ok(fs.sync(&h)?)
}

pub(super) fn filestat_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    out: u32,
) -> CallResult<()> {
    let st = match ctx.fds.get(fd)? {
        Descriptor::Fs(_) => {
            let (fs, h, m) = fs_fd(ctx, fd)?;
            filestat(&fs.stat(&h)?, m)
        }
        // Stdio: its file type (a character device only on a terminal) with
        // everything else zero, as wasmtime-wasi.
        Descriptor::Stdin(s) => Filestat {
            filetype: s.filetype(),
            ..Filestat::default()
        },
        Descriptor::Stdout(s) | Descriptor::Stderr(s) => Filestat {
            filetype: s.filetype(),
            ..Filestat::default()
        },
    };
    mem.write(out, &st)
}

pub(super) fn filestat_set_size(ctx: &mut StrataCtx, fd: u32, size: u64) -> CallResult<()> {
    let (fs, h) = file_fd(ctx, fd)?;
    // A read-only mount is EPERM before the fd's own access mode.
    if fs.config().read_only {
        return Err(Errno::Perm.into());
    }
    Ok(fs.set_len(&h, size)?)
}

pub(super) fn filestat_set_times(
    ctx: &mut StrataCtx,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> CallResult<()> {
    let (a, m) = set_times(atim, mtim, flags)?;
    let (fs, h, _) = fs_fd(ctx, fd)?;
    if fs.config().read_only {
        return Err(Errno::Perm.into());
    }
    Ok(fs.set_times(&h, a, m)?)
}

pub(super) fn prestat_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    out: u32,
) -> CallResult<()> {
    match ctx.fds.get(fd)? {
        Descriptor::Fs(f) if f.preopen.is_some() => {
            let len = f.preopen.as_ref().map_or(0, |p| p.len()) as u32;
            mem.write(out, &Prestat::Dir { pr_name_len: len })
        }
        _ => Err(Errno::Badf.into()),
    }
}

pub(super) fn prestat_dir_name(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
) -> CallResult<()> {
    match ctx.fds.get(fd)? {
        Descriptor::Fs(f) if f.preopen.is_some() => {
            let name = f.preopen.clone().unwrap_or_default();
            if name.len() > len as usize {
                return Err(Errno::Nametoolong.into());
            }
            mem.write_bytes(buf, name.as_bytes())
        }
        // wasmtime-wasi (like the legacy implementation) says NOTDIR here.
        _ => Err(Errno::Notdir.into()),
    }
}

pub(super) fn readdir(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    cookie: u64,
    out: u32,
) -> CallResult<()> {
    let used = super::readdir::readdir(ctx, mem, fd, buf, len, cookie)?;
    mem.write_u32(out, used)
}
