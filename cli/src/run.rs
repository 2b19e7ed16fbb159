//! `strata run`: a WASI command module over overlays of host directories.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use strata_engine::{Config, Fs, HostClock, HostLower, VirtualClock};
use strata_wasi::{ProcExit, StrataCtx, StrataCtxBuilder};
use wasmtime::{Engine, Linker, Store};

/// Options of `strata run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// HOST[::GUEST]: mount HOST as the read-only lower layer of a writable
    /// overlay at GUEST (default: the same path). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// HOST[::GUEST]: as --dir, but the guest cannot change anything there.
    #[arg(long = "ro-dir", value_name = "HOST[::GUEST]")]
    ro_dirs: Vec<String>,
    /// GUEST: an empty in-memory directory. Repeatable.
    #[arg(long = "mem-dir", value_name = "GUEST")]
    mem_dirs: Vec<String>,
    /// KEY=VALUE in the guest's environment (the guest sees only these). Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// The guest's argv[0] (default: the module's file name).
    #[arg(long)]
    argv0: Option<String>,
    /// Virtual clocks, seeded randomness and deterministic file times: the same
    /// inputs give the same output and the same final tree.
    #[arg(long)]
    deterministic: bool,
    /// Seed for --deterministic randomness.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most bytes of file data each overlay may hold (ENOSPC past it).
    #[arg(long, default_value_t = 1 << 30)]
    max_bytes: u64,
    /// Most inodes each overlay may hold.
    #[arg(long, default_value_t = 1 << 20)]
    max_inodes: u64,
    /// Most fds the guest may have open (EMFILE past it).
    #[arg(long, default_value_t = 1024)]
    max_fds: u32,
    /// The WebAssembly module (.wasm or .wat).
    module: PathBuf,
    /// Arguments for the guest, passed verbatim.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// wasmtime's own error type as an `anyhow` error, keeping the full report
/// (a trap's wasm backtrace included).
pub(crate) fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// Splits `HOST[::GUEST]`.
fn mapping(spec: &str) -> (String, String) {
    match spec.split_once("::") {
        Some((h, g)) => (h.to_owned(), g.to_owned()),
        None => (spec.to_owned(), spec.to_owned()),
    }
}

pub(crate) fn engine() -> Result<Engine> {
    let mut cfg = wasmtime::Config::new();
    // Modules from current toolchains use these proposals.
    cfg.wasm_exceptions(true);
    cfg.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(64));
    wt(Engine::new(&cfg)).context("configuring wasmtime")
}

pub(crate) fn run(a: RunArgs) -> Result<ExitCode> {
    let config = Config {
        max_bytes: a.max_bytes,
        max_inodes: a.max_inodes,
        max_open: a.max_fds as usize,
        clock: if a.deterministic {
            Arc::new(VirtualClock::default())
        } else {
            Arc::new(HostClock)
        },
        ..Config::default()
    };
    let mut b = StrataCtxBuilder::new();
    for (spec, read_only) in a
        .dirs
        .iter()
        .map(|d| (d, false))
        .chain(a.ro_dirs.iter().map(|d| (d, true)))
    {
        let (host, guest) = mapping(spec);
        let lower =
            HostLower::open(&host).with_context(|| format!("opening directory `{host}`"))?;
        let fs = Fs::with_lower(
            Arc::new(lower),
            Config {
                read_only,
                ..config.clone()
            },
        )
        .with_context(|| format!("mounting `{host}`"))?;
        b.preopen(guest, fs);
    }
    for guest in &a.mem_dirs {
        b.preopen(guest, Fs::new(config.clone()));
    }
    for kv in &a.env {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--env expects KEY=VALUE, got `{kv}`")
        };
        b.env(k, v);
    }
    let argv0 = a.argv0.clone().unwrap_or_else(|| {
        a.module
            .file_name()
            .map_or_else(|| "main.wasm".into(), |n| n.to_string_lossy().into_owned())
    });
    b.arg(argv0)
        .args(&a.args)
        .inherit_stdio()
        .max_fds(a.max_fds);
    if a.deterministic {
        b.deterministic(a.seed);
    }
    let ctx = b.build();

    let wasm =
        std::fs::read(&a.module).with_context(|| format!("reading `{}`", a.module.display()))?;
    let engine = engine()?;
    let module = crate::cache::load(&engine, &wasm)?;
    let mut linker: Linker<StrataCtx> = Linker::new(&engine);
    wt(strata_wasi::add_to_linker(
        &mut linker,
        |c: &mut StrataCtx| c,
    ))?;
    let mut store = Store::new(&engine, ctx);
    let instance =
        wt(linker.instantiate(&mut store, &module)).context("instantiating the module")?;
    let start = wt(instance.get_typed_func::<(), ()>(&mut store, "_start"))
        .context("the module has no `_start` export (is it a WASI command?)")?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            if let Some(exit) = e.downcast_ref::<ProcExit>() {
                return Ok(ExitCode::from(exit.0.clamp(0, 255) as u8));
            }
            // A trap: wasmtime's error carries the wasm backtrace.
            eprintln!("strata: the guest trapped: {e:?}");
            Ok(ExitCode::from(134))
        }
    }
}
