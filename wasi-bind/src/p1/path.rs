//! `path_*` functions: every operation that names a path relative to a directory fd.

// Each function takes its witx parameters one by one, as the table decodes them.
#![allow(clippy::too_many_arguments)]

use strata_engine::{FileType, Handle, OpenOptions};

use super::desc::{filestat, set_times, to_fdflags};
use super::{flags_within, rights_within};
use crate::abi::{Errno, fdflags, lookupflags, oflags, rights};
use crate::cap_rules;
use crate::ctx::StrataCtx;
use crate::fault::CallResult;
use crate::fdtable::{Descriptor, FsFd};
use crate::memory::GuestMemory;

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

fn follow(flags: u32) -> CallResult<bool> {
    Ok(flags_within(flags, lookupflags::ALL)? & lookupflags::SYMLINK_FOLLOW != 0)
}

/// Opens a path; the new fd is numbered as wasmtime-wasi numbers it (see `FdTable`).
fn open_at(
    ctx: &mut StrataCtx,
    fd: u32,
    follow: bool,
    path: &str,
    o: u16,
    rights_base: u64,
    f: u16,
) -> CallResult<u32> {
    let (mount, base) = dir_fd(ctx, fd, Errno::Notdir)?;
    // wasmtime-wasi 48's order of checks (its `open_at`): the sync flags are
    // unsupported, DIRECTORY excludes CREAT/EXCL/TRUNC, and a read-only preopen
    // refuses anything that could write before the path is looked at.
    if f & (fdflags::SYNC | fdflags::DSYNC | fdflags::RSYNC) != 0 {
        return Err(Errno::Notsup.into());
    }
    if o & oflags::DIRECTORY != 0 && o & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0 {
        return Err(Errno::Inval.into());
    }
    // The access mode as wasmtime-wasi derives it: CREAT and TRUNC imply write,
    // and an fd not opened for writing is opened for reading whatever its rights.
    let write_right = rights_base & rights::FD_WRITE != 0;
    let writes = o & (oflags::CREAT | oflags::TRUNC) != 0 || write_right;
    let reads = rights_base & rights::FD_READ != 0 || !write_right;
    if writes && read_only(ctx, mount) {
        return Err(Errno::Perm.into());
    }
    if ctx.fds.len() >= ctx.limits.max_fds as usize {
        return Err(Errno::Mfile.into());
    }
    let opts = OpenOptions {
        read: reads,
        write: writes,
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

/// Whether mount `m` refuses every change (a preopen without write permission).
fn read_only(ctx: &StrataCtx, m: usize) -> bool {
    ctx.mounts[m].fs.config().read_only
}

/// EPERM when mount `m` is read-only: wasmtime-wasi checks a preopen's
/// permissions before it resolves any path.
fn writable(ctx: &StrataCtx, m: usize) -> CallResult<()> {
    if read_only(ctx, m) {
        return Err(Errno::Perm.into());
    }
    Ok(())
}

/// The checks of a two-directory call (link, rename), in wasmtime-wasi 48's
/// order: either side read-only is EPERM (so two preopens with different
/// permissions are EPERM), then for a link SYMLINK_FOLLOW is EINVAL. Only then
/// are two mounts told apart: EXDEV.
fn two_dirs(ctx: &StrataCtx, from: usize, to: usize, follow: bool) -> CallResult<()> {
    writable(ctx, from)?;
    writable(ctx, to)?;
    if follow {
        return Err(Errno::Inval.into());
    }
    if from != to {
        return Err(Errno::Xdev.into());
    }
    Ok(())
}

pub(super) fn open(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    p: u32,
    pl: u32,
    oflag_bits: u32,
    base: u64,
    inheriting: u64,
    fdflag_bits: u32,
    out: u32,
) -> CallResult<()> {
    // Every flags argument, rights included, is decoded before the path is
    // read, as wasmtime-wasi's generated bindings decode them: undefined bits
    // are EINVAL even with a path that is not in memory.
    let follow = follow(dirflags)?;
    let o = flags_within(oflag_bits, u32::from(oflags::ALL))? as u16;
    let f = flags_within(fdflag_bits, u32::from(fdflags::ALL))? as u16;
    rights_within(base)?;
    rights_within(inheriting)?;
    let path = mem.read_str(p, pl)?;
    let new = open_at(ctx, fd, follow, &path, o, base, f)?;
    mem.write_u32(out, new)
}

pub(super) fn create_directory(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    p: u32,
    pl: u32,
) -> CallResult<()> {
    let (m, base) = dir_fd(ctx, fd, Errno::Badf)?;
    let path = mem.read_str(p, pl)?;
    writable(ctx, m)?;
    Ok(ctx.mounts[m].fs.mkdir(&base, &path, 0o755)?)
}

pub(super) fn filestat_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    p: u32,
    pl: u32,
    out: u32,
) -> CallResult<()> {
    let follow = follow(flags)?;
    let (m, base) = dir_fd(ctx, fd, Errno::Badf)?;
    let path = mem.read_str(p, pl)?;
    let st = ctx.mounts[m].fs.stat_at(&base, &path, follow)?;
    mem.write(out, &filestat(&st, m))
}

pub(super) fn filestat_set_times(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    p: u32,
    pl: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> CallResult<()> {
    let follow = follow(flags)?;
    let (a, mt) = set_times(atim, mtim, fst)?;
    let (m, base) = dir_fd(ctx, fd, Errno::Badf)?;
    let path = mem.read_str(p, pl)?;
    writable(ctx, m)?;
    Ok(ctx.mounts[m].fs.set_times_at(&base, &path, follow, a, mt)?)
}

pub(super) fn link(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    ofd: u32,
    oflags: u32,
    op: u32,
    opl: u32,
    nfd: u32,
    np: u32,
    npl: u32,
) -> CallResult<()> {
    let follow = follow(oflags)?;
    let (m, from) = dir_fd(ctx, ofd, Errno::Badf)?;
    let (mt, to) = dir_fd(ctx, nfd, Errno::Badf)?;
    let old = mem.read_str(op, opl)?;
    let new = mem.read_str(np, npl)?;
    two_dirs(ctx, m, mt, follow)?;
    Ok(ctx.mounts[m].fs.link(&from, &old, &to, &new, false)?)
}

pub(super) fn readlink(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    p: u32,
    pl: u32,
    buf: u32,
    len: u32,
    out: u32,
) -> CallResult<()> {
    let (m, base) = dir_fd(ctx, fd, Errno::Badf)?;
    let path = mem.read_str(p, pl)?;
    let target = cap_rules::readlink(&ctx.mounts[m].fs, &base, &path)?;
    // Truncated to the buffer, like readlink(2).
    let n = target.len().min(len as usize);
    mem.write_bytes(buf, &target.as_bytes()[..n])?;
    mem.write_u32(out, n as u32)
}

pub(super) fn remove_directory(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    p: u32,
    pl: u32,
) -> CallResult<()> {
    let (m, base) = dir_fd(ctx, fd, Errno::Badf)?;
    let path = mem.read_str(p, pl)?;
    writable(ctx, m)?;
    Ok(cap_rules::rmdir(&mut ctx.mounts[m].fs, &base, &path)?)
}

pub(super) fn rename(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    op: u32,
    opl: u32,
    nfd: u32,
    np: u32,
    npl: u32,
) -> CallResult<()> {
    let (m, from) = dir_fd(ctx, fd, Errno::Badf)?;
    let (mt, to) = dir_fd(ctx, nfd, Errno::Badf)?;
    let old = mem.read_str(op, opl)?;
    let new = mem.read_str(np, npl)?;
    two_dirs(ctx, m, mt, false)?;
    Ok(ctx.mounts[m].fs.rename(&from, &old, &to, &new)?)
}

pub(super) fn symlink(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    op: u32,
    opl: u32,
    fd: u32,
    np: u32,
    npl: u32,
) -> CallResult<()> {
    let (m, base) = dir_fd(ctx, fd, Errno::Badf)?;
    let target = mem.read_str(op, opl)?;
    let new = mem.read_str(np, npl)?;
    writable(ctx, m)?;
    Ok(cap_rules::symlink(
        &mut ctx.mounts[m].fs,
        &target,
        &base,
        &new,
    )?)
}

pub(super) fn unlink_file(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    p: u32,
    pl: u32,
) -> CallResult<()> {
    let (m, base) = dir_fd(ctx, fd, Errno::Badf)?;
    // The one path wasmtime-wasi 48 copies without charging its hostcall
    // fuel, so no ENOMEM here either.
    let path = mem.read_str_uncharged(p, pl)?;
    writable(ctx, m)?;
    Ok(ctx.mounts[m].fs.unlink(&base, &path)?)
}
