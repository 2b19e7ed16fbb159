//! `path_*` functions: every operation that names a path relative to a directory fd.

use strata_engine::{FileType, Handle, OpenOptions};
use wasmtime::{Caller, Linker};

use super::files::{filestat, set_times, to_fdflags};
use super::{GetCtx, MODULE, flags_within, u, with_memory};
use crate::abi::{Errno, fdflags, lookupflags, oflags, rights};
use crate::ctx::StrataCtx;
use crate::fault::{CallResult, finish};
use crate::fdtable::{Descriptor, FsFd};

/// The mount and directory handle behind `fd`: EBADF unless it is an engine
/// directory (wasmtime-wasi's rule for every path function but `path_open`,
/// which says ENOTDIR for a file).
fn dir_fd(ctx: &StrataCtx, fd: u32, file_errno: Errno) -> CallResult<(usize, Handle)> {
    match ctx.fds.get(fd)? {
        Descriptor::Fs(f) if f.handle.borrow().kind() == FileType::Dir => {
            Ok((f.mount, f.handle.clone()))
        }
        Descriptor::Fs(_) => Err(file_errno.into()),
        _ => Err(Errno::Badf.into()),
    }
}

fn follow(flags: i32) -> CallResult<bool> {
    Ok(flags_within(flags, lookupflags::ALL)? & lookupflags::SYMLINK_FOLLOW != 0)
}

/// Opens a path; the new fd gets the lowest free number.
#[allow(clippy::too_many_arguments)]
fn open(
    ctx: &mut StrataCtx,
    fd: u32,
    dirflags: i32,
    path: &str,
    oflag_bits: i32,
    rights_base: u64,
    fdflag_bits: i32,
) -> CallResult<u32> {
    let follow = follow(dirflags)?;
    let o = flags_within(oflag_bits, u32::from(oflags::ALL))? as u16;
    let f = flags_within(fdflag_bits, u32::from(fdflags::ALL))? as u16;
    let (mount, base) = dir_fd(ctx, fd, Errno::Notdir)?;
    if ctx.fds.len() >= ctx.limits.max_fds as usize {
        return Err(Errno::Mfile.into());
    }
    let opts = OpenOptions {
        read: rights_base & rights::FD_READ != 0,
        write: rights_base & rights::FD_WRITE != 0,
        create: o & oflags::CREAT != 0,
        exclusive: o & oflags::EXCL != 0,
        truncate: o & oflags::TRUNC != 0,
        directory: o & oflags::DIRECTORY != 0,
        nofollow: !follow,
        flags: to_fdflags(f),
        perm: 0o644,
    };
    let fs = &mut ctx.mounts[mount].fs;
    let handle = fs.open(&base, path, &opts)?;
    match ctx.fds.push(Descriptor::Fs(FsFd {
        mount,
        handle: handle.clone(),
        preopen: None,
    })) {
        Ok(fd) => Ok(fd),
        Err(e) => {
            ctx.mounts[mount].fs.close(handle);
            Err(e.into())
        }
    }
}

/// The mounts of two directory fds, which must be the same filesystem (EXDEV).
fn same_mount(ctx: &StrataCtx, a: u32, b: u32) -> CallResult<(usize, Handle, Handle)> {
    let (ma, ha) = dir_fd(ctx, a, Errno::Badf)?;
    let (mb, hb) = dir_fd(ctx, b, Errno::Badf)?;
    if ma != mb {
        return Err(Errno::Xdev.into());
    }
    Ok((ma, ha, hb))
}

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "path_open",
        move |mut c: Caller<'_, T>,
              fd: i32,
              dirflags: i32,
              p: i32,
              pl: i32,
              oflags: i32,
              base: i64,
              _inheriting: i64,
              fdflags: i32,
              out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let path = mem.read_str(u(p), u(pl))?;
                let new = open(ctx, u(fd), dirflags, &path, oflags, base as u64, fdflags)?;
                mem.write_u32(u(out), new)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_create_directory",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, pl: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let path = mem.read_str(u(p), u(pl))?;
                let (m, base) = dir_fd(ctx, u(fd), Errno::Badf)?;
                Ok(ctx.mounts[m].fs.mkdir(&base, &path, 0o755)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_get",
        move |mut c: Caller<'_, T>, fd: i32, flags: i32, p: i32, pl: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let follow = follow(flags)?;
                let path = mem.read_str(u(p), u(pl))?;
                let (m, base) = dir_fd(ctx, u(fd), Errno::Badf)?;
                let st = ctx.mounts[m].fs.stat_at(&base, &path, follow)?;
                mem.write(u(out), &filestat(&st, m))
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_set_times",
        move |mut c: Caller<'_, T>,
              fd: i32,
              flags: i32,
              p: i32,
              pl: i32,
              atim: i64,
              mtim: i64,
              fst: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let follow = follow(flags)?;
                let (a, mt) = set_times(atim as u64, mtim as u64, fst)?;
                let path = mem.read_str(u(p), u(pl))?;
                let (m, base) = dir_fd(ctx, u(fd), Errno::Badf)?;
                Ok(ctx.mounts[m].fs.set_times_at(&base, &path, follow, a, mt)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_link",
        move |mut c: Caller<'_, T>,
              ofd: i32,
              oflags: i32,
              op: i32,
              opl: i32,
              nfd: i32,
              np: i32,
              npl: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let follow = follow(oflags)?;
                let old = mem.read_str(u(op), u(opl))?;
                let new = mem.read_str(u(np), u(npl))?;
                let (m, from, to) = same_mount(ctx, u(ofd), u(nfd))?;
                Ok(ctx.mounts[m].fs.link(&from, &old, &to, &new, follow)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_readlink",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, pl: i32, buf: i32, len: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let path = mem.read_str(u(p), u(pl))?;
                let (m, base) = dir_fd(ctx, u(fd), Errno::Badf)?;
                let target = ctx.mounts[m].fs.readlink(&base, &path)?;
                // Truncated to the buffer, like readlink(2).
                let n = target.len().min(u(len) as usize);
                mem.write_bytes(u(buf), &target.as_bytes()[..n])?;
                mem.write_u32(u(out), n as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_remove_directory",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, pl: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let path = mem.read_str(u(p), u(pl))?;
                let (m, base) = dir_fd(ctx, u(fd), Errno::Badf)?;
                Ok(ctx.mounts[m].fs.rmdir(&base, &path)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_rename",
        move |mut c: Caller<'_, T>, fd: i32, op: i32, opl: i32, nfd: i32, np: i32, npl: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let old = mem.read_str(u(op), u(opl))?;
                let new = mem.read_str(u(np), u(npl))?;
                let (m, from, to) = same_mount(ctx, u(fd), u(nfd))?;
                Ok(ctx.mounts[m].fs.rename(&from, &old, &to, &new)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_symlink",
        move |mut c: Caller<'_, T>, op: i32, opl: i32, fd: i32, np: i32, npl: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let target = mem.read_str(u(op), u(opl))?;
                let new = mem.read_str(u(np), u(npl))?;
                let (m, base) = dir_fd(ctx, u(fd), Errno::Badf)?;
                Ok(ctx.mounts[m].fs.symlink(&target, &base, &new)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_unlink_file",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, pl: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let path = mem.read_str(u(p), u(pl))?;
                let (m, base) = dir_fd(ctx, u(fd), Errno::Badf)?;
                Ok(ctx.mounts[m].fs.unlink(&base, &path)?)
            }))
        },
    )?;
    Ok(())
}
