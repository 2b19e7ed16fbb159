//! `random_get`.

use crate::ctx::StrataCtx;
use crate::fault::CallResult;
use crate::memory::GuestMemory;

pub(super) fn get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    buf: u32,
    len: u32,
) -> CallResult<()> {
    // Not charged to the copy budget, as wasmtime-wasi 48 charges no fuel
    // here: the bytes are generated straight into guest memory (an
    // out-of-bounds buffer traps), so no host buffer of the guest's chosen
    // size is ever allocated.
    ctx.random.fill(mem.slice_mut(buf, len)?)
}
