//! `clock_res_get` and `clock_time_get`.

use crate::ctx::StrataCtx;
use crate::fault::CallResult;
use crate::memory::GuestMemory;

pub(super) fn res_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    out: u32,
) -> CallResult<()> {
    // The id is checked before the pointer is touched: a bad id is EINVAL even
    // with a bad pointer, as wasmtime-wasi decodes arguments first.
    let res = ctx.clocks.resolution(id)?;
    mem.write_u64(out, res)
}

/// `precision` is a hint the host may ignore (witx: "maximum lag").
pub(super) fn time_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    out: u32,
) -> CallResult<()> {
    let now = ctx.clocks.now(id)?;
    mem.write_u64(out, now)
}
