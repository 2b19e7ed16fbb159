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
                // Not charged to the copy budget, as wasmtime-wasi 48 charges no
                // fuel here: the bytes are generated straight into guest memory
                // (an out-of-bounds buffer traps), so no host buffer of the
                // guest's chosen size is ever allocated.
                ctx.random.fill(mem.slice_mut(u(buf), u(len))?)
            }))
        },
    )?;
    Ok(())
}
