//! `fd_*` functions on engine-backed fds: files, directories and preopens.
//!
//! wasmtime-wasi 48 on a real directory is the behavioural reference: the same
//! errno on every error path, checked in the same order.

use strata_engine::{FdFlags, FileType, Fs, Handle, SeekFrom, SetTime, Stat};
use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, flags_within, u, with_memory};
use crate::abi::{
    Errno, Fdstat, Filestat, Iovec, Prestat, advice, fdflags, filetype, fstflags, rights, whence,
};
use crate::ctx::StrataCtx;
use crate::fault::{CallResult, finish};
use crate::fdtable::Descriptor;
use crate::memory::GuestMemory;

/// The filesystem and description behind engine fd `fd`; EBADF for stdio or a
/// closed fd.
pub(crate) fn fs_fd(ctx: &mut StrataCtx, fd: u32) -> CallResult<(&mut Fs, Handle, usize)> {
    match ctx.fds.get(fd)? {
        Descriptor::Fs(f) => {
            let (h, m) = (f.handle.clone(), f.mount);
            Ok((&mut ctx.mounts[m].fs, h, m))
        }
        _ => Err(Errno::Badf.into()),
    }
}

/// As [`fs_fd`], for an fd that must be a regular file: EBADF otherwise, for a
/// directory and for stdio alike (wasmtime-wasi's `get_file_fd`).
pub(crate) fn file_fd(ctx: &mut StrataCtx, fd: u32) -> CallResult<(&mut Fs, Handle)> {
    let (fs, h, _) = fs_fd(ctx, fd)?;
    if h.borrow().kind() != FileType::File {
        return Err(Errno::Badf.into());
    }
    Ok((fs, h))
}

pub(crate) fn wasi_filetype(kind: FileType) -> u8 {
    match kind {
        FileType::File => filetype::REGULAR_FILE,
        FileType::Dir => filetype::DIRECTORY,
        FileType::Symlink => filetype::SYMBOLIC_LINK,
    }
}

/// The device number a mount reports: distinct per mount, never 0.
pub(crate) fn filestat(s: &Stat, mount: usize) -> Filestat {
    Filestat {
        dev: mount as u64 + 1,
        ino: s.ino.0,
        filetype: wasi_filetype(s.kind),
        nlink: s.nlink,
        size: s.size,
        atim: s.atime,
        mtim: s.mtime,
        ctim: s.ctime,
    }
}

/// Decodes `fstflags` into the two changes; setting a time and "now" for the
/// same stamp is EINVAL, as in wasmtime-wasi.
pub(crate) fn set_times(atim: u64, mtim: u64, flags: i32) -> CallResult<(SetTime, SetTime)> {
    let f = flags_within(flags, u32::from(fstflags::ALL))? as u16;
    let pick = |set: u16, now: u16, t: u64| -> CallResult<SetTime> {
        match (f & set != 0, f & now != 0) {
            (true, true) => Err(Errno::Inval.into()),
            (true, false) => Ok(SetTime::At(t)),
            (false, true) => Ok(SetTime::Now),
            (false, false) => Ok(SetTime::Omit),
        }
    };
    Ok((
        pick(fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
        pick(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
    ))
}

pub(crate) fn to_fdflags(bits: u16) -> FdFlags {
    FdFlags {
        append: bits & fdflags::APPEND != 0,
        nonblock: bits & fdflags::NONBLOCK != 0,
        sync: bits & fdflags::SYNC != 0,
        dsync: bits & fdflags::DSYNC != 0,
        rsync: bits & fdflags::RSYNC != 0,
    }
}

fn from_fdflags(f: FdFlags) -> u16 {
    let mut bits = 0;
    for (on, bit) in [
        (f.append, fdflags::APPEND),
        (f.nonblock, fdflags::NONBLOCK),
        (f.sync, fdflags::SYNC),
        (f.dsync, fdflags::DSYNC),
        (f.rsync, fdflags::RSYNC),
    ] {
        if on {
            bits |= bit;
        }
    }
    bits
}

/// fdstat of an engine fd, with the rights wasmtime-wasi reports.
pub(crate) fn fdstat(h: &Handle, preopen: bool) -> Fdstat {
    let o = h.borrow();
    let ft = wasi_filetype(o.kind());
    if preopen {
        // The fixed set wasmtime-wasi hands out for a preopened directory.
        let base = rights::PATH_CREATE_DIRECTORY
            | rights::PATH_CREATE_FILE
            | rights::PATH_LINK_SOURCE
            | rights::PATH_LINK_TARGET
            | rights::PATH_OPEN
            | rights::FD_READDIR
            | rights::PATH_READLINK
            | rights::PATH_RENAME_SOURCE
            | rights::PATH_RENAME_TARGET
            | rights::PATH_SYMLINK
            | rights::PATH_REMOVE_DIRECTORY
            | rights::PATH_UNLINK_FILE
            | rights::PATH_FILESTAT_GET
            | rights::PATH_FILESTAT_SET_TIMES
            | rights::FD_FILESTAT_GET
            | rights::FD_FILESTAT_SET_TIMES;
        let inheriting = base
            | rights::FD_DATASYNC
            | rights::FD_READ
            | rights::FD_SEEK
            | rights::FD_FDSTAT_SET_FLAGS
            | rights::FD_SYNC
            | rights::FD_TELL
            | rights::FD_WRITE
            | rights::FD_ADVISE
            | rights::FD_ALLOCATE
            | rights::FD_FILESTAT_GET
            | rights::FD_FILESTAT_SET_SIZE
            | rights::FD_FILESTAT_SET_TIMES
            | rights::POLL_FD_READWRITE;
        return Fdstat {
            filetype: ft,
            flags: 0,
            rights_base: base,
            rights_inheriting: inheriting,
        };
    }
    // Any other fd: every right its access mode allows, inherited alike. A
    // directory opened by path_open is never writable in wasmtime-wasi (its
    // descriptor flags say MUTATE_DIRECTORY, not WRITE), so it lacks FD_WRITE,
    // and wasi-libc's openat masks a new fd's rights with it; it keeps no
    // append or nonblock flag either.
    if o.kind() == FileType::Dir {
        let mut base = rights::ALL
            & !(rights::FD_SEEK
                | rights::FD_FILESTAT_SET_SIZE
                | rights::PATH_FILESTAT_SET_SIZE
                | rights::FD_WRITE);
        if !o.readable() {
            base &= !(rights::FD_READ | rights::FD_READDIR);
        }
        return Fdstat {
            filetype: ft,
            flags: 0,
            rights_base: base,
            rights_inheriting: base,
        };
    }
    let mut base = rights::ALL;
    if !o.readable() {
        base &= !(rights::FD_READ | rights::FD_READDIR);
    }
    if !o.writable() {
        base &= !rights::FD_WRITE;
    }
    Fdstat {
        filetype: ft,
        flags: from_fdflags(o.flags()),
        rights_base: base,
        rights_inheriting: base,
    }
}

/// Most bytes one `fd_pread` returns: wasmtime-wasi reads through a stream
/// whose reads allocate at most 64 KiB (its `MAX_READ_SIZE_ALLOC`).
const PREAD_MAX: u32 = 64 << 10;

/// `fd_read` (`at` is `None`) or `fd_pread` on an engine fd, into the one
/// buffer `iov`.
pub(crate) fn read(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iov: Iovec,
    at: Option<u64>,
) -> CallResult<usize> {
    let (fs, h) = file_fd(ctx, fd)?;
    let buf = mem.slice_mut(iov.buf, iov.buf_len)?;
    Ok(match at {
        None => fs.read(&h, buf)?,
        Some(at) => {
            let n = buf.len().min(PREAD_MAX as usize);
            fs.pread(&h, &mut buf[..n], at)?
        }
    })
}

/// `fd_write` (`at` is `None`) or `fd_pwrite` on an engine fd, from the one
/// buffer `iov`; an append fd appends in both cases (Linux, and wasmtime-wasi).
pub(crate) fn write(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iov: Iovec,
    at: Option<u64>,
) -> CallResult<u32> {
    let (fs, h) = file_fd(ctx, fd)?;
    let data = mem.slice(iov.buf, iov.buf_len)?;
    let n = match at {
        None => fs.write(&h, &[data])?,
        Some(at) => fs.pwrite(&h, &[data], at)?,
    };
    Ok(n as u32)
}

/// `fd_seek` on an engine fd.
pub(crate) fn seek(ctx: &mut StrataCtx, fd: u32, offset: i64, how: u8) -> CallResult<u64> {
    let (fs, h) = file_fd(ctx, fd)?;
    let pos = match how {
        whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        whence::CUR => SeekFrom::Current(offset),
        whence::END => SeekFrom::End(offset),
        _ => return Err(Errno::Inval.into()),
    };
    Ok(fs.seek(&h, pos)?)
}

/// `fd_close` of an engine fd (already removed from the table).
pub(crate) fn close(ctx: &mut StrataCtx, d: Descriptor) {
    if let Descriptor::Fs(f) = d {
        ctx.mounts[f.mount].fs.close(f.handle);
    }
}

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "fd_advise",
        move |mut c: Caller<'_, T>, fd: i32, _off: i64, _len: i64, adv: i32| {
            finish((|| {
                if u(adv) > u32::from(advice::NOREUSE) {
                    return Err(Errno::Inval.into());
                }
                // Advice is a hint; the upper layer is memory and needs none.
                file_fd(get(c.data_mut()), u(fd)).map(drop)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_allocate",
        move |mut c: Caller<'_, T>, fd: i32, off: i64, len: i64| {
            // wasmtime-wasi 48 answers ENOTSUP for every regular file (after
            // EBADF for anything else), and leaves the file as it was.
            let _ = (off, len);
            finish(file_fd(get(c.data_mut()), u(fd)).and_then(|_| Err(Errno::Notsup.into())))
        },
    )?;
    for name in ["fd_datasync", "fd_sync"] {
        linker.func_wrap(MODULE, name, move |mut c: Caller<'_, T>, fd: i32| {
            // Regular files only: a directory or stdio is EBADF (wasmtime-wasi's
            // `get_file_fd`), though Linux would sync a directory.
            finish((|| {
                let (fs, h) = file_fd(get(c.data_mut()), u(fd))?;
                Ok(fs.sync(&h)?)
            })())
        })?;
    }
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        move |mut c: Caller<'_, T>, fd: i32, flags: i32| {
            finish((|| {
                let bits = flags_within(flags, u32::from(fdflags::ALL))? as u16;
                // Regular files only (EBADF otherwise), and only APPEND and
                // NONBLOCK can change: a sync flag is EINVAL (wasmtime-wasi).
                let (fs, h) = file_fd(get(c.data_mut()), u(fd))?;
                if bits & (fdflags::SYNC | fdflags::DSYNC | fdflags::RSYNC) != 0 {
                    return Err(Errno::Inval.into());
                }
                Ok(fs.set_flags(&h, to_fdflags(bits))?)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_rights",
        move |mut c: Caller<'_, T>, fd: i32, _b: i64, _i: i64| {
            // Rights are gone from later WASI; wasmtime-wasi answers NOTSUP for a
            // valid fd, and so do we.
            finish(
                get(c.data_mut())
                    .fds
                    .get(u(fd))
                    .map_err(Into::into)
                    .and_then(|_| Err(Errno::Notsup.into())),
            )
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let st = match ctx.fds.get(u(fd))? {
                    Descriptor::Fs(_) => {
                        let (fs, h, m) = fs_fd(ctx, u(fd))?;
                        filestat(&fs.stat(&h)?, m)
                    }
                    // Stdio: its file type (a character device only on a terminal)
                    // with everything else zero, as wasmtime-wasi.
                    Descriptor::Stdin(s) => Filestat {
                        filetype: s.filetype(),
                        ..Filestat::default()
                    },
                    Descriptor::Stdout(s) | Descriptor::Stderr(s) => Filestat {
                        filetype: s.filetype(),
                        ..Filestat::default()
                    },
                };
                mem.write(u(out), &st)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_size",
        move |mut c: Caller<'_, T>, fd: i32, size: i64| {
            finish((|| {
                let (fs, h) = file_fd(get(c.data_mut()), u(fd))?;
                // A read-only mount is EPERM before the fd's own access mode.
                if fs.config().read_only {
                    return Err(Errno::Perm.into());
                }
                Ok(fs.set_len(&h, size as u64)?)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        move |mut c: Caller<'_, T>, fd: i32, atim: i64, mtim: i64, flags: i32| {
            finish((|| {
                let (a, m) = set_times(atim as u64, mtim as u64, flags)?;
                let (fs, h, _) = fs_fd(get(c.data_mut()), u(fd))?;
                if fs.config().read_only {
                    return Err(Errno::Perm.into());
                }
                Ok(fs.set_times(&h, a, m)?)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                match ctx.fds.get(u(fd))? {
                    Descriptor::Fs(f) if f.preopen.is_some() => {
                        let len = f.preopen.as_ref().map_or(0, |p| p.len()) as u32;
                        mem.write(u(out), &Prestat::Dir { pr_name_len: len })
                    }
                    _ => Err(Errno::Badf.into()),
                }
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        move |mut c: Caller<'_, T>, fd: i32, buf: i32, len: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                match ctx.fds.get(u(fd))? {
                    Descriptor::Fs(f) if f.preopen.is_some() => {
                        let name = f.preopen.clone().unwrap_or_default();
                        if name.len() > u(len) as usize {
                            return Err(Errno::Nametoolong.into());
                        }
                        mem.write_bytes(u(buf), name.as_bytes())
                    }
                    // wasmtime-wasi (like the legacy implementation) says NOTDIR here.
                    _ => Err(Errno::Notdir.into()),
                }
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_renumber",
        move |mut c: Caller<'_, T>, from: i32, to: i32| {
            finish((|| {
                let ctx = get(c.data_mut());
                if let Some(old) = ctx.fds.renumber(u(from), u(to))? {
                    close(ctx, old);
                }
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_tell",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                // A stream has no offset: ESPIPE (wasmtime-wasi's `get_seekable`).
                if !matches!(ctx.fds.get(u(fd))?, Descriptor::Fs(_)) {
                    return Err(Errno::Spipe.into());
                }
                let (_, h) = file_fd(ctx, u(fd))?;
                let pos = h.borrow().offset();
                mem.write_u64(u(out), pos)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_readdir",
        move |mut c: Caller<'_, T>, fd: i32, buf: i32, len: i32, cookie: i64, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let used = super::readdir::readdir(ctx, mem, u(fd), u(buf), u(len), cookie as u64)?;
                mem.write_u32(u(out), used)
            }))
        },
    )?;
    Ok(())
}
