//! `wasmtime-p1`: the baseline runner for start-up comparisons. It runs a
//! preview 1 module under wasmtime-wasi 48 the way `wasmtime run` does, with
//! the same engine settings as `strata run` and the best case of a module
//! cache: compiled code written once to `CACHE/BLAKE3.cwasm` and mapped with
//! `Module::deserialize_file` on every later start (no compression, no
//! checks beyond wasmtime's own).
//!
//! Usage: `wasmtime-p1 --cache DIR [--dir HOST::GUEST]... MODULE [ARGS...]`.
//! Exits with the guest's exit code. Used by `bench/scripts/warm-start.sh`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use wasmtime::{Config, Engine, Linker, Module, Result, Store, bail, format_err};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("wasmtime-p1: {e:#}");
            ExitCode::from(1)
        }
    }
}

struct Args {
    cache: PathBuf,
    dirs: Vec<(String, String)>,
    module: PathBuf,
    argv: Vec<String>,
}

fn parse() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let mut cache = None;
    let mut dirs = Vec::new();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cache" => cache = it.next().map(PathBuf::from),
            "--dir" => {
                let spec = it
                    .next()
                    .ok_or_else(|| format_err!("--dir needs a value"))?;
                let (host, guest) = spec.split_once("::").unwrap_or((&spec, &spec));
                dirs.push((host.to_owned(), guest.to_owned()));
            }
            _ => {
                let module = PathBuf::from(&a);
                let mut argv = vec![a];
                argv.extend(it);
                return Ok(Args {
                    cache: cache.ok_or_else(|| format_err!("--cache DIR is required"))?,
                    dirs,
                    module,
                    argv,
                });
            }
        }
    }
    bail!("usage: wasmtime-p1 --cache DIR [--dir HOST::GUEST]... MODULE [ARGS...]")
}

/// The module, from the cache when an entry exists, else compiled and cached.
fn load(engine: &Engine, cache: &Path, module: &Path) -> Result<Module> {
    // Hashed as a stream, as `strata run` does: a hit never reads the module
    // into memory.
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(module)?)?;
    let entry = cache.join(format!("{}.cwasm", hasher.finalize().to_hex()));
    if entry.exists() {
        // SAFETY: the entry was written by `Module::serialize` below, for an
        // engine with these settings, into a directory only this benchmark
        // writes.
        #[allow(unsafe_code)]
        return unsafe { Module::deserialize_file(engine, &entry) };
    }
    let m = Module::new(engine, &std::fs::read(module)?)?;
    std::fs::create_dir_all(cache)?;
    let tmp = entry.with_extension("tmp");
    std::fs::write(&tmp, m.serialize()?)?;
    std::fs::rename(&tmp, &entry)?;
    Ok(m)
}

fn run() -> Result<i32> {
    let args = parse()?;
    let mut cfg = Config::new();
    cfg.wasm_exceptions(true);
    cfg.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(64));
    let engine = Engine::new(&cfg)?;
    let module = load(&engine, &args.cache, &args.module)?;
    let mut b = WasiCtxBuilder::new();
    b.allow_blocking_current_thread(true);
    b.inherit_stdio().args(&args.argv);
    for (host, guest) in &args.dirs {
        b.preopened_dir(host, guest, FsPerms::ReadWrite)?;
    }
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |c| c)?;
    let mut store = Store::new(&engine, b.build_p1());
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}
