//! What the `fd_*` and `path_*` functions share about engine descriptors: finding
//! one by kind, and its stat, fdstat, flags and time changes in ABI form.

use strata_engine::{FdFlags, FileType, Fs, Handle, SetTime, Stat};

use super::flags_within;
use crate::abi::{Errno, Fdstat, Filestat, fdflags, filetype, fstflags, rights};
use crate::ctx::StrataCtx;
use crate::fault::CallResult;
use crate::fdtable::Descriptor;

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

/// The WASI `filetype` of an engine file type.
pub(crate) fn wasi_filetype(kind: FileType) -> u8 {
    match kind {
        FileType::File => filetype::REGULAR_FILE,
        FileType::Dir => filetype::DIRECTORY,
        FileType::Symlink => filetype::SYMBOLIC_LINK,
    }
}

/// The filestat of `s` on mount `mount`, whose device number is distinct per
/// mount and never 0.
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
pub(crate) fn set_times(atim: u64, mtim: u64, flags: u32) -> CallResult<(SetTime, SetTime)> {
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

/// Decodes `fdflags` bits for the engine.
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
