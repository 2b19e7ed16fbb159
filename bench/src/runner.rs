//! Running one workload program under one configuration.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_engine::{Config as FsConfig, Fs, HostLower, Snapshot};
use strata_wasi::{OutputCapture, StrataCtx, StrataCtxBuilder};
use wasmtime::{Engine, InstancePre, Linker, Module, Result, Store, bail, format_err};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::workloads::{HEADER, PROGRAMS, Program};

/// Where the guest sees its directory.
pub const GUEST_ROOT: &str = "/work";

pub(crate) const PIPE_CAPACITY: usize = 1 << 20;

/// A way of running a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setup {
    /// strata-wasi over an overlay whose lower layer is a tmpfs directory.
    Strata,
    /// wasmtime-wasi 48 preview 1 with `allow_blocking_current_thread(true)`.
    WasmtimeBlk,
    /// wasmtime-wasi 48 preview 1 with its default settings.
    WasmtimeDefault,
    /// The same C source compiled natively with `cc -O2`.
    Native,
    /// The workload as a WASI 0.2 component (wasmtime 48's preview 1
    /// adapter) under strata-wasi's p2, over an overlay like [`Setup::Strata`].
    StrataP2,
    /// The same component under wasmtime-wasi 48's p2, blocking allowed.
    WasmtimeP2,
}

impl Setup {
    /// Every configuration, Strata first.
    pub const ALL: [Setup; 4] = [
        Setup::Strata,
        Setup::WasmtimeBlk,
        Setup::WasmtimeDefault,
        Setup::Native,
    ];

    /// The component configurations (run only when asked for with `--setups`).
    pub const COMPONENTS: [Setup; 2] = [Setup::StrataP2, Setup::WasmtimeP2];

    /// Every configuration there is.
    pub const EVERY: [Setup; 6] = [
        Setup::Strata,
        Setup::WasmtimeBlk,
        Setup::WasmtimeDefault,
        Setup::Native,
        Setup::StrataP2,
        Setup::WasmtimeP2,
    ];

    /// The baselines Strata is compared with.
    pub const BASELINES: [Setup; 3] = [Setup::WasmtimeBlk, Setup::WasmtimeDefault, Setup::Native];

    /// Short name used in the table.
    pub fn name(self) -> &'static str {
        match self {
            Setup::Strata => "strata",
            Setup::WasmtimeBlk => "wasmtime-blk",
            Setup::WasmtimeDefault => "wasmtime-default",
            Setup::Native => "native",
            Setup::StrataP2 => "strata-p2",
            Setup::WasmtimeP2 => "wasmtime-p2",
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one run printed, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// `time <phase> <ns>` lines, in order.
    pub phases: Vec<(String, u64)>,
    /// The `checksum` line.
    pub checksum: String,
    /// Instantiation plus `_start` (wasm), or spawn to exit (native).
    pub wall: Duration,
}

impl Output {
    pub(crate) fn parse(stdout: &[u8], wall: Duration) -> Result<Output> {
        let text = String::from_utf8_lossy(stdout);
        let mut phases = Vec::new();
        let mut checksum = None;
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["time", phase, ns] => phases.push((
                    (*phase).to_owned(),
                    ns.parse()
                        .map_err(|_| format_err!("bad time line {line:?}"))?,
                )),
                ["checksum", sum] => checksum = Some((*sum).to_owned()),
                _ => {}
            }
        }
        let checksum = checksum.ok_or_else(|| format_err!("no checksum line in {text:?}"))?;
        Ok(Output {
            phases,
            checksum,
            wall,
        })
    }
}

/// Compiled modules, linkers and native binaries, shared by every run.
pub struct Runner {
    engine: Engine,
    strata: HashMap<&'static str, InstancePre<StrataCtx>>,
    wasi: HashMap<&'static str, InstancePre<WasiP1Ctx>>,
    /// Made on first use: only component setups need them.
    components: std::sync::OnceLock<crate::component::Components>,
    native: HashMap<&'static str, PathBuf>,
    _native_dir: tempfile::TempDir,
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("native", &self.native)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// Compiles every program once: to machine code with wasmtime (one
    /// engine) and natively with `$CC` (default `cc`) `-O2` into a temp dir.
    pub fn new() -> Result<Runner> {
        let engine = Engine::new(&wasmtime::Config::new())?;
        let mut strata_linker: Linker<StrataCtx> = Linker::new(&engine);
        strata_wasi::add_to_linker(&mut strata_linker, |c: &mut StrataCtx| c)?;
        let mut wasi_linker: Linker<WasiP1Ctx> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut wasi_linker, |c| c)?;

        let native_dir = tempfile::Builder::new()
            .prefix("strata-bench-native")
            .tempdir()?;
        std::fs::write(native_dir.path().join("bench.h"), HEADER)?;
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
        let mut strata = HashMap::new();
        let mut wasi = HashMap::new();
        let mut native = HashMap::new();
        for p in PROGRAMS {
            let module = Module::new(&engine, p.wasm)?;
            strata.insert(p.name, strata_linker.instantiate_pre(&module)?);
            wasi.insert(p.name, wasi_linker.instantiate_pre(&module)?);
            let src = native_dir.path().join(format!("{}.c", p.name));
            let bin = native_dir.path().join(p.name);
            std::fs::write(&src, p.source)?;
            let status = Command::new(&cc)
                .arg("-O2")
                .arg("-o")
                .arg(&bin)
                .arg(&src)
                .status()
                .map_err(|e| format_err!("running {cc}: {e}"))?;
            if !status.success() {
                bail!("{cc} -O2 {} failed: {status}", src.display());
            }
            native.insert(p.name, bin);
        }
        Ok(Runner {
            components: std::sync::OnceLock::new(),
            engine,
            strata,
            wasi,
            native,
            _native_dir: native_dir,
        })
    }

    /// Runs `program` under `setup` over the host directory `dir` (for
    /// Strata, the lower layer of a fresh overlay).
    pub fn run(
        &self,
        setup: Setup,
        program: Program,
        dir: &Path,
        args: &[String],
    ) -> Result<Output> {
        match setup {
            Setup::Strata => {
                let lower = HostLower::open(dir)?;
                let fs = Fs::with_lower(Arc::new(lower), FsConfig::default())?;
                Ok(self.run_strata(program, fs, args)?.0)
            }
            Setup::WasmtimeBlk => self.run_wasmtime(program, dir, args, true),
            Setup::WasmtimeDefault => self.run_wasmtime(program, dir, args, false),
            Setup::Native => self.run_native(program, dir, args),
            Setup::StrataP2 => {
                let lower = HostLower::open(dir)?;
                let fs = Fs::with_lower(Arc::new(lower), FsConfig::default())?;
                Ok(self.run_strata_p2(program, fs, args)?.0)
            }
            Setup::WasmtimeP2 => self
                .components()?
                .run_wasmtime(&self.engine, program, dir, args),
        }
    }

    /// Runs `program` as a component under Strata's p2 over `fs`; returns its
    /// output and the filesystem's final state.
    pub fn run_strata_p2(
        &self,
        program: Program,
        fs: Fs,
        args: &[String],
    ) -> Result<(Output, Snapshot)> {
        self.components()?
            .run_strata(&self.engine, program, fs, args)
    }

    fn components(&self) -> Result<&crate::component::Components> {
        if let Some(c) = self.components.get() {
            return Ok(c);
        }
        let c = crate::component::Components::new(&self.engine)?;
        Ok(self.components.get_or_init(|| c))
    }

    /// Runs `program` under Strata over `fs`; returns its output and the
    /// filesystem's final state.
    pub fn run_strata(
        &self,
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
        let mut store = Store::new(&self.engine, b.build());
        let t0 = Instant::now();
        let result = self.strata[program.name]
            .instantiate(&mut store)
            .and_then(|i| strata_wasi::call_start(&mut store, &i));
        let wall = t0.elapsed();
        let code = match result {
            Ok(status) => status.err().unwrap_or(0),
            Err(e) => bail!(
                "{} under strata: {e:#}\n{}",
                program.name,
                err.contents_string()
            ),
        };
        if code != 0 {
            bail!(
                "{} under strata exited {code}: {}",
                program.name,
                err.contents_string()
            );
        }
        let snap = store
            .data()
            .fs(GUEST_ROOT)
            .ok_or_else(|| format_err!("preopen vanished"))?
            .snapshot();
        Ok((Output::parse(&out.contents(), wall)?, snap))
    }

    /// Runs `program` under wasmtime-wasi preview 1 over `dir`.
    pub fn run_wasmtime(
        &self,
        program: Program,
        dir: &Path,
        args: &[String],
        blocking: bool,
    ) -> Result<Output> {
        let out = MemoryOutputPipe::new(PIPE_CAPACITY);
        let err = MemoryOutputPipe::new(PIPE_CAPACITY);
        let mut b = WasiCtxBuilder::new();
        // Must come before the preopen, which captures the setting.
        b.allow_blocking_current_thread(blocking);
        b.args(&argv(program, GUEST_ROOT, args))
            .stdout(out.clone())
            .stderr(err.clone())
            .preopened_dir(dir, GUEST_ROOT, FsPerms::ReadWrite)?;
        let mut store = Store::new(&self.engine, b.build_p1());
        let t0 = Instant::now();
        let result = self.wasi[program.name]
            .instantiate(&mut store)
            .and_then(|i| strata_wasi::call_start(&mut store, &i));
        let wall = t0.elapsed();
        let code = match result {
            Ok(status) => status.err().unwrap_or(0),
            Err(e) => bail!(
                "{} under wasmtime-wasi: {e:#}\n{}",
                program.name,
                String::from_utf8_lossy(&err.contents())
            ),
        };
        if code != 0 {
            bail!(
                "{} under wasmtime-wasi exited {code}: {}",
                program.name,
                String::from_utf8_lossy(&err.contents())
            );
        }
        Output::parse(&out.contents(), wall)
    }

    /// Runs the native build of `program` over `dir`.
    pub fn run_native(&self, program: Program, dir: &Path, args: &[String]) -> Result<Output> {
        let root = dir
            .to_str()
            .ok_or_else(|| format_err!("non-UTF-8 directory {}", dir.display()))?;
        let argv = argv(program, root, args);
        let t0 = Instant::now();
        let out = Command::new(&self.native[program.name])
            .args(&argv[1..])
            .output()?;
        let wall = t0.elapsed();
        if !out.status.success() {
            bail!(
                "native {} failed ({}): {}",
                program.name,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Output::parse(&out.stdout, wall)
    }
}

pub(crate) fn argv(program: Program, root: &str, args: &[String]) -> Vec<String> {
    let mut v = vec![program.name.to_owned(), root.to_owned()];
    v.extend(args.iter().cloned());
    v
}
