//! Running a preview 1 command: instantiate, call `_start`, turn an exit into a status.
//!
//! The one place that knows how a command's end is spelled: a normal return
//! and `proc_exit(0)` are success, `proc_exit(n)` is status `n`, anything else
//! (a trap, a host error, running out of fuel) stays an error. [`p2::run`]
//! (crate::p2::run) is the component twin, with the same result shape.

use wasmtime::{AsContextMut, Instance, Linker, Module, Store};

use crate::ProcExit;

/// Instantiates `module` in `store` through `linker` and calls its `_start`.
///
/// `Ok(Ok(()))` when the command succeeded (returned, or exited with 0),
/// `Ok(Err(status))` when it exited with a non-zero status, `Err` for a trap,
/// a link error or a module that is not a command.
///
/// ```
/// # use strata_engine::{Config, Fs};
/// # use strata_wasi::{StrataCtx, StrataCtxBuilder};
/// # fn main() -> wasmtime::Result<()> {
/// # let engine = wasmtime::Engine::default();
/// # let wasm = wat::parse_str(r#"(module
/// #   (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
/// #   (memory (export "memory") 1)
/// #   (func (export "_start") (call $exit (i32.const 3))))"#)?;
/// # let module = wasmtime::Module::new(&engine, &wasm)?;
/// # let ctx = StrataCtxBuilder::new().preopen("/data", Fs::new(Config::default())).build();
/// # let mut linker = wasmtime::Linker::new(&engine);
/// # strata_wasi::add_to_linker(&mut linker, |c: &mut StrataCtx| c)?;
/// # let mut store = wasmtime::Store::new(&engine, ctx);
/// assert_eq!(strata_wasi::run(&mut store, &linker, &module)?, Err(3));
/// # Ok(()) }
/// ```
pub fn run<T: 'static>(
    store: &mut Store<T>,
    linker: &Linker<T>,
    module: &Module,
) -> wasmtime::Result<Result<(), i32>> {
    let instance = linker.instantiate(store.as_context_mut(), module)?;
    call_start(store, &instance)
}

/// Calls `_start` of an instantiated command, with [`run`]'s result.
pub fn call_start<T: 'static>(
    store: &mut Store<T>,
    instance: &Instance,
) -> wasmtime::Result<Result<(), i32>> {
    let start = instance.get_typed_func::<(), ()>(store.as_context_mut(), "_start")?;
    exit_status(start.call(store.as_context_mut(), ()))
}

/// Reads the result of a command's entry point: an exit unwinding through it
/// (Strata's [`ProcExit`], or wasmtime-wasi's `I32Exit` when the `p2` feature
/// brings wasmtime-wasi in, so a reference run under wasmtime-wasi reads the
/// same way) becomes its status; any other error stays one.
pub fn exit_status(result: wasmtime::Result<()>) -> wasmtime::Result<Result<(), i32>> {
    let code = match result {
        Ok(()) => return Ok(Ok(())),
        Err(e) => match exit_code(&e) {
            Some(code) => code,
            None => return Err(e),
        },
    };
    Ok(if code == 0 { Ok(()) } else { Err(code) })
}

/// The status of an exit carried by `e`, if it is one.
fn exit_code(e: &wasmtime::Error) -> Option<i32> {
    if let Some(ProcExit(code)) = e.downcast_ref::<ProcExit>() {
        return Some(*code);
    }
    #[cfg(feature = "p2")]
    if let Some(wasmtime_wasi::I32Exit(code)) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return Some(*code);
    }
    None
}
