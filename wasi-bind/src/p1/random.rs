//! `random_get`.

use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, u, with_memory};
use crate::fault::finish;

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "random_get",
        move |mut c: Caller<'_, T>, buf: i32, len: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                // Bounds first (an out-of-bounds buffer traps whatever its size), then
                // the budget; the bytes are generated straight into guest memory, so no
                // host buffer of the guest's chosen size is ever allocated.
                mem.slice(u(buf), u(len))?;
                mem.charge(u64::from(u(len)))?;
                ctx.random.fill(mem.slice_mut(u(buf), u(len))?)
            }))
        },
    )?;
    Ok(())
}
