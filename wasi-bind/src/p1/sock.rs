//! `sock_*`: there are no sockets, so these answer as wasmtime-wasi 48 does.
//!
//! Flags are decoded first (undefined bits are EINVAL), then the fd must exist
//! (EBADF), and then every fd is "not a socket" (ENOTSOCK). No pointer is touched.

use super::flags_within;
use crate::abi::{Errno, fdflags, riflags, sdflags};
use crate::ctx::StrataCtx;
use crate::fault::CallResult;

fn not_a_socket(ctx: &StrataCtx, fd: u32) -> CallResult<()> {
    ctx.fds.get(fd)?;
    Err(Errno::Notsock.into())
}

pub(super) fn accept(ctx: &mut StrataCtx, fd: u32, flags: u32, _out: u32) -> CallResult<()> {
    flags_within(flags, fdflags::ALL.into())?;
    not_a_socket(ctx, fd)
}

pub(super) fn recv(
    ctx: &mut StrataCtx,
    fd: u32,
    _iovs: u32,
    _n: u32,
    flags: u32,
    _len: u32,
    _oflags: u32,
) -> CallResult<()> {
    flags_within(flags, u32::from(riflags::RECV_PEEK | riflags::RECV_WAITALL))?;
    not_a_socket(ctx, fd)
}

/// `siflags` has no defined bits and is not a flags type in witx: not checked.
pub(super) fn send(
    ctx: &mut StrataCtx,
    fd: u32,
    _iovs: u32,
    _n: u32,
    _flags: u32,
    _len: u32,
) -> CallResult<()> {
    not_a_socket(ctx, fd)
}

pub(super) fn shutdown(ctx: &mut StrataCtx, fd: u32, how: u32) -> CallResult<()> {
    flags_within(how, u32::from(sdflags::RD | sdflags::WR))?;
    not_a_socket(ctx, fd)
}
