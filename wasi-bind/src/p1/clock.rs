//! `clock_res_get` and `clock_time_get`.

use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, u, with_memory};
use crate::fault::finish;

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "clock_res_get",
        move |mut c: Caller<'_, T>, id: i32, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                // The id is checked before the pointer is touched: a bad id is EINVAL
                // even with a bad pointer, as wasmtime-wasi decodes arguments first.
                let res = ctx.clocks.resolution(u(id))?;
                mem.write_u64(u(out), res)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_time_get",
        // `precision` is a hint the host may ignore (witx: "maximum lag").
        move |mut c: Caller<'_, T>, id: i32, _precision: i64, out: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                let now = ctx.clocks.now(u(id))?;
                mem.write_u64(u(out), now)
            }))
        },
    )?;
    Ok(())
}
