//! `sock_*`: there are no sockets, so these answer as wasmtime-wasi 48 does.
//!
//! Flags are decoded first (undefined bits are EINVAL), then the fd must exist
//! (EBADF), and then every fd is "not a socket" (ENOTSOCK). No pointer is touched.

use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, flags_within, u};
use crate::abi::{Errno, fdflags, riflags, sdflags};
use crate::ctx::StrataCtx;
use crate::fault::{CallResult, finish};

fn not_a_socket(ctx: &StrataCtx, fd: i32) -> CallResult<()> {
    ctx.fds.get(u(fd))?;
    Err(Errno::Notsock.into())
}

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "sock_accept",
        move |mut c: Caller<'_, T>, fd: i32, flags: i32, _out: i32| {
            finish(
                flags_within(flags, fdflags::ALL.into())
                    .and_then(|_| not_a_socket(get(c.data_mut()), fd)),
            )
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_recv",
        move |mut c: Caller<'_, T>,
              fd: i32,
              _iovs: i32,
              _n: i32,
              flags: i32,
              _len: i32,
              _oflags: i32| {
            let all = u32::from(riflags::RECV_PEEK | riflags::RECV_WAITALL);
            finish(flags_within(flags, all).and_then(|_| not_a_socket(get(c.data_mut()), fd)))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_send",
        // `siflags` has no defined bits and is not a flags type in witx: not checked.
        move |mut c: Caller<'_, T>, fd: i32, _iovs: i32, _n: i32, _flags: i32, _len: i32| {
            finish(not_a_socket(get(c.data_mut()), fd))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_shutdown",
        move |mut c: Caller<'_, T>, fd: i32, how: i32| {
            let all = u32::from(sdflags::RD | sdflags::WR);
            finish(flags_within(how, all).and_then(|_| not_a_socket(get(c.data_mut()), fd)))
        },
    )?;
    Ok(())
}
