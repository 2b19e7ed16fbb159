//! The `fd_*` functions shared by stdio and engine fds; engine-only ones are in
//! `files.rs`.
//!
//! Each function matches on [`Descriptor`], so a new kind of fd cannot be
//! forgotten here.

use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, u, with_memory};
use crate::abi::{Errno, Fdstat, rights, whence};
use crate::fault::{CallResult, finish};
use crate::fdtable::Descriptor;
use crate::memory::GuestMemory;
use crate::stdio::OutputSink;

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "fd_write",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let written = match ctx.fds.get_mut(u(fd))? {
                    Descriptor::Stdout(sink) | Descriptor::Stderr(sink) => {
                        write_gather(mem, sink, u(iovs), u(n))?
                    }
                    Descriptor::Stdin(_) => return Err(Errno::Badf.into()),
                    Descriptor::Fs(_) => super::files::write(ctx, mem, u(fd), u(iovs), u(n))?,
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
                let read = match ctx.fds.get_mut(u(fd))? {
                    Descriptor::Stdin(src) => {
                        let iovs = mem.read_iovecs(u(iovs), u(n))?;
                        scatter(mem, &iovs, |buf| src.read(buf))?
                    }
                    Descriptor::Stdout(_) | Descriptor::Stderr(_) => return Err(Errno::Badf.into()),
                    Descriptor::Fs(_) => super::files::read(ctx, mem, u(fd), u(iovs), u(n))?,
                };
                mem.write_u32(u(out), read)
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

/// Writes the `ciovec` array at `iovs` to `sink` in order; returns the bytes taken.
///
/// A short write ends the call with what was written so far, as POSIX `writev`
/// does; an error after some bytes were written is reported as that short count
/// (the guest sees the error on its next write).
fn write_gather(
    mem: &mut GuestMemory<'_>,
    sink: &mut OutputSink,
    iovs: u32,
    n: u32,
) -> CallResult<u32> {
    let iovs = mem.read_iovecs(iovs, n)?;
    let mut total = 0u32;
    for iov in iovs {
        if iov.buf_len == 0 {
            continue;
        }
        // Results are a u32: stop before the count could overflow.
        if total.checked_add(iov.buf_len).is_none() {
            break;
        }
        mem.slice(iov.buf, iov.buf_len)?;
        mem.charge(u64::from(iov.buf_len))?;
        let done = match sink.write(mem.slice(iov.buf, iov.buf_len)?) {
            Ok(done) => done,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += done as u32;
        if done < iov.buf_len as usize {
            break;
        }
    }
    Ok(total)
}

/// Fills the `iovec` buffers in order from `read` until one comes back short;
/// returns the bytes read. Errors after some bytes were read become a short count.
pub(crate) fn scatter(
    mem: &mut GuestMemory<'_>,
    iovs: &[crate::abi::Iovec],
    mut read: impl FnMut(&mut [u8]) -> CallResult<usize>,
) -> CallResult<u32> {
    let mut total = 0u32;
    for iov in iovs {
        if iov.buf_len == 0 {
            continue;
        }
        if total.checked_add(iov.buf_len).is_none() {
            break;
        }
        mem.slice(iov.buf, iov.buf_len)?;
        mem.charge(u64::from(iov.buf_len))?;
        let done = match read(mem.slice_mut(iov.buf, iov.buf_len)?) {
            Ok(done) => done,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += done as u32;
        if done < iov.buf_len as usize {
            break;
        }
    }
    Ok(total)
}
