//! The wasmtime side of running a guest: engine settings, linking, and how a run ends.

use anyhow::{Context, Result};
use strata_wasi::{ProcExit, StrataCtx};
use wasmtime::{Engine, InstancePre, Linker, Module, Store};

/// wasmtime's own error type as an `anyhow` error, keeping the full report
/// (a trap's wasm backtrace included).
pub(crate) fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// The wasmtime engine every command uses (one configuration, so the module
/// cache's artifacts fit).
pub(crate) fn engine() -> Result<Engine> {
    let mut cfg = wasmtime::Config::new();
    // Modules from current toolchains use these proposals.
    cfg.wasm_exceptions(true);
    cfg.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(64));
    wt(Engine::new(&cfg)).context("configuring wasmtime")
}

/// How a guest's run ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `_start` returned (status 0) or the guest called `proc_exit(status)`.
    Exit(i32),
    /// The guest trapped; the report includes the wasm backtrace.
    Trap(String),
}

impl Outcome {
    /// The process exit status `strata run` passes on: the guest's status
    /// (clamped to 0..=255), or 134 (as for SIGABRT) after a trap.
    pub(crate) fn status(&self) -> u8 {
        match self {
            Outcome::Exit(s) => (*s).clamp(0, 255) as u8,
            Outcome::Trap(_) => 134,
        }
    }
}

/// `module` linked against Strata's preview 1, ready to instantiate many
/// times (from any thread).
pub(crate) fn prepare(module: &Module) -> Result<InstancePre<StrataCtx>> {
    if !matches!(
        module.get_export("_start"),
        Some(wasmtime::ExternType::Func(_))
    ) {
        anyhow::bail!("the module has no `_start` function (is it a WASI command?)");
    }
    let mut linker: Linker<StrataCtx> = Linker::new(module.engine());
    wt(strata_wasi::add_to_linker(
        &mut linker,
        |c: &mut StrataCtx| c,
    ))?;
    wt(linker.instantiate_pre(module)).context("linking the module")
}

/// Instantiates `pre` over `ctx` and calls `_start`. Returns the store (whose
/// data holds the final filesystem states) and how the run ended; an error
/// means the guest never started (no `_start`, a failing start function).
pub(crate) fn run(
    pre: &InstancePre<StrataCtx>,
    ctx: StrataCtx,
) -> Result<(Store<StrataCtx>, Outcome)> {
    let mut store = Store::new(pre.module().engine(), ctx);
    let instance = wt(pre.instantiate(&mut store)).context("instantiating the module")?;
    let start = wt(instance.get_typed_func::<(), ()>(&mut store, "_start"))
        .context("the module has no `_start` export (is it a WASI command?)")?;
    let outcome = match start.call(&mut store, ()) {
        Ok(()) => Outcome::Exit(0),
        Err(e) => match e.downcast_ref::<ProcExit>() {
            Some(exit) => Outcome::Exit(exit.0),
            None => Outcome::Trap(format!("{e:?}")),
        },
    };
    Ok((store, outcome))
}
