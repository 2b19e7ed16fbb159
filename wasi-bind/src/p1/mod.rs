//! `wasi_snapshot_preview1` host functions: all 46, one file per witx prefix
//! (`args.rs` also holds `environ_*`; `readdir.rs` packs the dirents of `fd_readdir`);
//! `table.rs` registers them and decodes their arguments by the kinds of
//! `kinds.rs`, and `desc.rs` holds what the `fd_*` and `path_*` files share.

mod args;
mod clock;
mod desc;
mod fd;
mod kinds;
mod path;
mod poll;
mod proc;
mod random;
mod readdir;
mod sock;
mod table;

pub use kinds::{Param, Signature, ValType};
pub use proc::ProcExit;
pub use table::SIGNATURES;

use wasmtime::{Caller, Extern, Linker};

use crate::ctx::StrataCtx;
use crate::fault::{CallError, CallResult};
use crate::memory::GuestMemory;

/// The import module every function here is registered under.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Finds the [`StrataCtx`] in a store's data. Blanket-implemented for closures.
pub trait GetCtx<T>: Fn(&mut T) -> &mut StrataCtx + Send + Sync + Copy + 'static {}

impl<T, F> GetCtx<T> for F where F: Fn(&mut T) -> &mut StrataCtx + Send + Sync + Copy + 'static {}

/// Registers every preview1 function (see [`SIGNATURES`]) on `linker`.
///
/// `get` finds the context in the store's data, as with wasmtime-wasi's
/// `p1::add_to_linker_sync`:
///
/// ```
/// # fn main() -> wasmtime::Result<()> {
/// use strata_wasi::{StrataCtx, add_to_linker};
/// struct State { wasi: StrataCtx }
/// let engine = wasmtime::Engine::default();
/// let mut linker = wasmtime::Linker::<State>::new(&engine);
/// add_to_linker(&mut linker, |s: &mut State| &mut s.wasi)?;
/// # Ok(()) }
/// ```
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut StrataCtx + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()> {
    table::register(linker, get)
}

/// Runs `body` with the context and the caller's exported `memory`, with a fresh
/// copy budget for this call.
///
/// A module without an exported linear memory cannot pass pointers at all, so
/// calling a pointer-taking function from it traps, as in wasmtime-wasi. A shared
/// memory (threads) is not supported yet: reading it safely needs atomics.
pub(crate) fn with_memory<T: 'static, R>(
    caller: &mut Caller<'_, T>,
    get: impl GetCtx<T>,
    body: impl FnOnce(&mut StrataCtx, &mut GuestMemory<'_>) -> CallResult<R>,
) -> CallResult<R> {
    let memory = match caller.get_export("memory") {
        Some(Extern::Memory(m)) => m,
        Some(_) => return Err(trap("the export `memory` is not a plain linear memory")),
        None => return Err(trap("missing required memory export")),
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    let ctx = get(data);
    let mut mem = GuestMemory::new(bytes, ctx.limits.copy_budget);
    body(ctx, &mut mem)
}

/// A trap with a message for the embedder.
pub(crate) fn trap(msg: &'static str) -> CallError {
    CallError::Trap(wasmtime::Error::msg(msg))
}

/// Validates a flags argument: undefined bits are EINVAL (wiggle's InvalidFlagValue).
pub(crate) fn flags_within(v: u32, all: u32) -> CallResult<u32> {
    if v & !all != 0 {
        return Err(crate::abi::Errno::Inval.into());
    }
    Ok(v)
}

/// Validates a `rights` argument: undefined bits are EINVAL, as for any flags.
pub(crate) fn rights_within(v: u64) -> CallResult<()> {
    if v & !crate::abi::rights::ALL != 0 {
        return Err(crate::abi::Errno::Inval.into());
    }
    Ok(())
}
