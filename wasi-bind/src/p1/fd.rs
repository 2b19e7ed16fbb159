//! The `fd_*` functions shared by stdio and engine fds; engine-only ones are in
//! `files.rs`.
//!
//! Each function matches on [`Descriptor`], so a new kind of fd cannot be
//! forgotten here.

use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, u, with_memory};
use crate::abi::{Errno, Fdstat, Iovec, rights, whence};
use crate::fault::{CallResult, finish};
use crate::fdtable::Descriptor;
use crate::memory::GuestMemory;
use crate::stdio::OutputSink;

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    // Reads and writes move the first non-empty buffer only, as wasmtime-wasi 48
    // does (a legal short transfer: POSIX lets readv/writev return less than
    // asked). The iovec array is charged and read before the fd is looked at,
    // so a spent copy budget is ENOMEM even for a bad fd.
    linker.func_wrap(
        MODULE,
        "fd_write",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let iov = mem.first_iovec(u(iovs), u(n))?;
                let written = match ctx.fds.get_mut(u(fd))? {
                    Descriptor::Stdout(sink) | Descriptor::Stderr(sink) => {
                        write_stream(mem, sink, iov)?
                    }
                    Descriptor::Stdin(_) => return Err(Errno::Badf.into()),
                    Descriptor::Fs(_) => super::files::write(ctx, mem, u(fd), iov, None)?,
                };
                mem.write_u32(u(out), written)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pwrite",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let iov = mem.first_iovec(u(iovs), u(n))?;
                let written = match ctx.fds.get(u(fd))? {
                    // wasmtime-wasi: a stream cannot pwrite (ESPIPE); stdin is
                    // not writable at all (EBADF).
                    Descriptor::Stdout(_) | Descriptor::Stderr(_) => {
                        return Err(Errno::Spipe.into());
                    }
                    Descriptor::Stdin(_) => return Err(Errno::Badf.into()),
                    Descriptor::Fs(_) => {
                        super::files::write(ctx, mem, u(fd), iov, Some(off as u64))?
                    }
                };
                mem.write_u32(u(out), written)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_read",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let iov = mem.first_iovec(u(iovs), u(n))?;
                let read = match ctx.fds.get_mut(u(fd))? {
                    Descriptor::Stdin(src) => src.read(mem.slice_mut(iov.buf, iov.buf_len)?)?,
                    Descriptor::Stdout(_) | Descriptor::Stderr(_) => return Err(Errno::Badf.into()),
                    Descriptor::Fs(_) => super::files::read(ctx, mem, u(fd), iov, None)?,
                };
                mem.write_u32(u(out), read as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pread",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let iov = mem.first_iovec(u(iovs), u(n))?;
                let read = match ctx.fds.get(u(fd))? {
                    // wasmtime-wasi: stdin cannot pread (ESPIPE), the output
                    // streams cannot be read at all (EBADF).
                    Descriptor::Stdin(_) => return Err(Errno::Spipe.into()),
                    Descriptor::Stdout(_) | Descriptor::Stderr(_) => return Err(Errno::Badf.into()),
                    Descriptor::Fs(_) => {
                        super::files::read(ctx, mem, u(fd), iov, Some(off as u64))?
                    }
                };
                mem.write_u32(u(out), read as u32)
            }))
        },
    )?;
    linker.func_wrap(MODULE, "fd_close", move |mut c: Caller<'_, T>, fd: i32| {
        // Closing stdio is allowed, as in POSIX; the number becomes free for reuse.
        let ctx = get(c.data_mut());
        finish(
            ctx.fds
                .remove(u(fd))
                .map(|d| super::files::close(ctx, d))
                .map_err(Into::into),
        )
    })?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                // The rights wasmtime-wasi reports for stdio: exactly the one direction.
                let stat = match ctx.fds.get(u(fd))? {
                    Descriptor::Stdin(s) => stdio_fdstat(s.filetype(), rights::FD_READ),
                    Descriptor::Stdout(s) | Descriptor::Stderr(s) => {
                        stdio_fdstat(s.filetype(), rights::FD_WRITE)
                    }
                    Descriptor::Fs(f) => super::files::fdstat(&f.handle, f.preopen.is_some()),
                };
                mem.write(u(out), &stat)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        move |mut c: Caller<'_, T>, fd: i32, offset: i64, how: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                // The enum argument is decoded before the fd is looked at.
                if u(how) > u32::from(whence::END) {
                    return Err(Errno::Inval.into());
                }
                let pos = match ctx.fds.get(u(fd))? {
                    // A stream cannot seek (POSIX ESPIPE, as wasmtime-wasi answers).
                    Descriptor::Stdin(_) | Descriptor::Stdout(_) | Descriptor::Stderr(_) => {
                        return Err(Errno::Spipe.into());
                    }
                    Descriptor::Fs(_) => super::files::seek(ctx, u(fd), offset, u(how) as u8)?,
                };
                mem.write_u64(u(out), pos)
            }))
        },
    )?;
    Ok(())
}

fn stdio_fdstat(filetype: u8, rights: u64) -> Fdstat {
    Fdstat {
        filetype,
        flags: 0,
        rights_base: rights,
        rights_inheriting: rights,
    }
}

/// Writes the buffer `iov` to `sink` whole, as wasmtime-wasi's blocking stream
/// write does; a short write ends the call with what was taken so far.
fn write_stream(mem: &mut GuestMemory<'_>, sink: &mut OutputSink, iov: Iovec) -> CallResult<u32> {
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
    Ok(done as u32)
}
