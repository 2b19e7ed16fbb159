//! `fd_*` functions on engine-backed fds: files, directories and preopens.
//!
//! wasmtime-wasi 48 on a real directory is the behavioural reference; where Strata
//! deliberately differs (it implements `fd_allocate` and the sync fdflags instead of
//! answering NOTSUP/EINVAL) the difference is listed in the differential tests.

use strata_engine::{FdFlags, FileType, Fs, Handle, SeekFrom, SetTime, Stat};
use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, flags_within, u, with_memory};
use crate::abi::{
    Errno, Fdstat, Filestat, Prestat, advice, fdflags, filetype, fstflags, rights, whence,
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

/// As [`fs_fd`], for an fd that must be a regular file: EBADF otherwise (a
/// directory cannot be read, written or seeked; stdio cannot seek: ESPIPE).
pub(crate) fn file_fd(ctx: &mut StrataCtx, fd: u32) -> CallResult<(&mut Fs, Handle)> {
    match ctx.fds.get(fd)? {
        Descriptor::Fs(_) => {}
        _ => return Err(Errno::Spipe.into()),
    }
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
    if preopen || o.kind() == FileType::Dir {
        // The fixed set wasmtime-wasi hands out for every directory, preopened
        // or opened by path_open, whatever the access mode it was opened
        // with: wasi-libc derives a new fd's rights from its directory's
        // inheriting rights, so a directory opened O_RDONLY must still pass
        // on FD_WRITE, or files created under it could not be written.
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
    let mut base = rights::ALL;
    if o.kind() == FileType::Dir {
        base &= !(rights::FD_SEEK | rights::FD_FILESTAT_SET_SIZE | rights::PATH_FILESTAT_SET_SIZE);
    }
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

/// `fd_read` on an engine fd.
pub(crate) fn read(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    n: u32,
) -> CallResult<u32> {
    let (fs, h) = file_fd(ctx, fd)?;
    let iovs = mem.read_iovecs(iovs, n)?;
    super::fd::scatter(mem, &iovs, |buf| fs.read(&h, buf).map_err(Into::into))
}

/// `fd_pread` on an engine fd.
fn pread(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    n: u32,
    at: u64,
) -> CallResult<u32> {
    let (fs, h) = file_fd(ctx, fd)?;
    let iovs = mem.read_iovecs(iovs, n)?;
    let mut pos = at;
    super::fd::scatter(mem, &iovs, |buf| {
        let got = fs.pread(&h, buf, pos)?;
        pos += got as u64;
        Ok(got)
    })
}

/// Gathers the `ciovec` array as slices of guest memory, charged to the budget.
fn gather<'m>(mem: &'m mut GuestMemory<'_>, iovs: u32, n: u32) -> CallResult<Vec<&'m [u8]>> {
    let iovs = mem.read_iovecs(iovs, n)?;
    let mut total = 0u64;
    for iov in &iovs {
        mem.slice(iov.buf, iov.buf_len)?;
        total += u64::from(iov.buf_len);
    }
    // A write's count is a u32; POSIX writes at most SSIZE_MAX, and so do we.
    if total > u64::from(u32::MAX) {
        return Err(Errno::Inval.into());
    }
    mem.charge(total)?;
    let mem: &'m GuestMemory<'_> = mem;
    iovs.iter()
        .map(|iov| mem.slice(iov.buf, iov.buf_len))
        .collect()
}

/// `fd_write` on an engine fd: all buffers in one write, so an append lands whole.
pub(crate) fn write(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    n: u32,
) -> CallResult<u32> {
    let (fs, h) = file_fd(ctx, fd)?;
    let parts = gather(mem, iovs, n)?;
    Ok(fs.write(&h, &parts)? as u32)
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
            finish((|| {
                let (fs, h) = file_fd(get(c.data_mut()), u(fd))?;
                Ok(fs.allocate(&h, off as u64, len as u64)?)
            })())
        },
    )?;
    for name in ["fd_datasync", "fd_sync"] {
        linker.func_wrap(MODULE, name, move |mut c: Caller<'_, T>, fd: i32| {
            finish((|| {
                let (fs, h, _) = fs_fd(get(c.data_mut()), u(fd))?;
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
                let (fs, h, _) = fs_fd(get(c.data_mut()), u(fd))?;
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
                Ok(fs.set_times(&h, a, m)?)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pread",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let got = pread(ctx, mem, u(fd), u(iovs), u(n), off as u64)?;
                mem.write_u32(u(out), got)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pwrite",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let (fs, h) = file_fd(ctx, u(fd))?;
                let parts = gather(mem, u(iovs), u(n))?;
                let n = fs.pwrite(&h, &parts, off as u64)? as u32;
                mem.write_u32(u(out), n)
            }))
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
