//! The workloads as WASI 0.2 components (each module behind wasmtime 48's
//! preview 1 adapter), run under strata-wasi's p2 and wasmtime-wasi 48's p2.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Instant;

use strata_engine::{Fs, Snapshot};
use strata_wasi::p2::{self, CommandPre, ComponentCtx};
use strata_wasi::{OutputCapture, StrataCtxBuilder};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Result, Store, bail};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::runner::{GUEST_ROOT, Output, PIPE_CAPACITY, argv};
use crate::workloads::{PROGRAMS, Program};

/// wasmtime-wasi's p2 store data.
struct Reference {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Reference {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Every workload as a component, linked both ways.
pub(crate) struct Components {
    strata: HashMap<&'static str, CommandPre<ComponentCtx>>,
    wasi: HashMap<&'static str, wasmtime_wasi::p2::bindings::sync::CommandPre<Reference>>,
}

impl fmt::Debug for Components {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Components").finish_non_exhaustive()
    }
}

impl Components {
    pub(crate) fn new(engine: &Engine) -> Result<Components> {
        let mut strata_linker: Linker<ComponentCtx> = Linker::new(engine);
        p2::add_to_linker_sync(&mut strata_linker)?;
        let mut wasi_linker: Linker<Reference> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut wasi_linker)?;
        let mut strata = HashMap::new();
        let mut wasi = HashMap::new();
        for p in PROGRAMS {
            let c = Component::new(engine, strata_tests::component::componentize(p.wasm))?;
            strata.insert(p.name, CommandPre::new(strata_linker.instantiate_pre(&c)?)?);
            wasi.insert(
                p.name,
                wasmtime_wasi::p2::bindings::sync::CommandPre::new(
                    wasi_linker.instantiate_pre(&c)?,
                )?,
            );
        }
        Ok(Components { strata, wasi })
    }

    /// Runs `program` under Strata's p2 over `fs`.
    pub(crate) fn run_strata(
        &self,
        engine: &Engine,
        program: Program,
        fs: Fs,
        args: &[String],
    ) -> Result<(Output, Snapshot)> {
        let out = OutputCapture::new(PIPE_CAPACITY);
        let err = OutputCapture::new(PIPE_CAPACITY);
        let mut b = StrataCtxBuilder::new();
        b.args(&argv(program, GUEST_ROOT, args))
            .stdout_capture(&out)
            .stderr_capture(&err)
            .preopen(GUEST_ROOT, fs);
        let mut store = Store::new(engine, b.build_p2());
        let t0 = Instant::now();
        let result = self.strata[program.name]
            .instantiate(&mut store)
            .and_then(|c| p2::call_run(&mut store, &c));
        let wall = t0.elapsed();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(code)) => bail!(
                "{} under strata-p2 exited {code}: {}",
                program.name,
                err.contents_string()
            ),
            Err(e) => bail!("{} under strata-p2: {e:#}", program.name),
        }
        let snap = store.data().snapshot().remove(0).1;
        Ok((Output::parse(&out.contents(), wall)?, snap))
    }

    /// Runs `program` under wasmtime-wasi's p2 over `dir`, blocking allowed.
    pub(crate) fn run_wasmtime(
        &self,
        engine: &Engine,
        program: Program,
        dir: &Path,
        args: &[String],
    ) -> Result<Output> {
        let out = MemoryOutputPipe::new(PIPE_CAPACITY);
        let err = MemoryOutputPipe::new(PIPE_CAPACITY);
        let mut b = WasiCtxBuilder::new();
        b.allow_blocking_current_thread(true);
        b.args(&argv(program, GUEST_ROOT, args))
            .stdout(out.clone())
            .stderr(err.clone())
            .preopened_dir(dir, GUEST_ROOT, FsPerms::ReadWrite)?;
        let data = Reference {
            ctx: b.build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(engine, data);
        let t0 = Instant::now();
        let result = self.wasi[program.name]
            .instantiate(&mut store)
            .and_then(|c| c.wasi_cli_run().call_run(&mut store));
        let wall = t0.elapsed();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(())) => bail!(
                "{} under wasmtime-p2 failed: {}",
                program.name,
                String::from_utf8_lossy(&err.contents())
            ),
            Err(e) if e.downcast_ref::<I32Exit>().is_some_and(|x| x.0 == 0) => {}
            Err(e) => bail!("{} under wasmtime-p2: {e:#}", program.name),
        }
        Output::parse(&out.contents(), wall)
    }
}
