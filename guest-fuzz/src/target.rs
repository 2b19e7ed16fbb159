//! The fuzz target: runs a WASI program on many inputs, each in its own O(1) fork of one prepared filesystem.
//!
//! A [`FuzzTarget`] holds a pre-linked module and the snapshots of the
//! filesystems the program needs. [`FuzzTarget::run`] forks every mount from
//! its snapshot ([`Fs::from_snapshot`], O(1) whatever the size of the tree),
//! places the input (on stdin or as a file), runs `_start` and reports how the
//! run ended; nothing a run writes is seen by the next one. The target is
//! `Send + Sync`: share one between threads and call `run` from each.
//!
//! ```no_run
//! use strata_engine::{Config, Fs};
//! use strata_guest_fuzz::{FuzzTarget, Input};
//!
//! # fn main() -> wasmtime::Result<()> {
//! // The files the program needs, prepared once.
//! let mut fs = Fs::new(Config::default());
//! let root = fs.open_root()?;
//! fs.mkdir(&root, "out", 0o755)?;
//! let engine = wasmtime::Engine::default();
//! let module = wasmtime::Module::from_file(&engine, "target.wasm")?;
//! let target = FuzzTarget::builder(&engine, &module)
//!     .mount("/work", fs.snapshot())
//!     .input(Input::File { mount: "/work".into(), path: "input".into() })
//!     .args(&["target", "/work/input"])
//!     .build()?;
//! let report = target.run(b"key = value\n")?;
//! if report.is_finding(&[0, 1]) {
//!     println!("finding: {}", report.outcome);
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;

use strata_engine::{Fs, OpenOptions, Snapshot};
use wasmtime::{Engine, InstancePre, Linker, Module, Store, Trap};

use strata_wasi::{Limits, OutputCapture, StrataCtx, StrataCtxBuilder, add_to_linker};

use crate::instrument::layout;

/// Where a run's input goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Fed to the guest's standard input.
    Stdin,
    /// Written, before the run, as file `path` (relative to the mount's root;
    /// its directory must exist in the snapshot) of the mount at guest path
    /// `mount`.
    File {
        /// The guest path of the mount.
        mount: String,
        /// The file's path inside the mount.
        path: String,
    },
}

/// How one run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `_start` returned (0) or the guest called `proc_exit`.
    Exited(i32),
    /// The guest trapped: `trap` is the wasm trap code when there is one
    /// (`None` for a host error), `message` the full report with backtrace.
    Trapped {
        /// The trap code, if the error was a wasm trap.
        trap: Option<Trap>,
        /// The error with its wasm backtrace (`{:#}` form).
        message: String,
    },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited(code) => write!(f, "exit {code}"),
            Outcome::Trapped {
                trap: Some(trap), ..
            } => write!(f, "trap: {trap}"),
            Outcome::Trapped { message, .. } => {
                write!(f, "error: {}", message.lines().next().unwrap_or(""))
            }
        }
    }
}

/// What one run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub outcome: Outcome,
    /// Its standard output (cut at the target's capture size).
    pub stdout: Vec<u8>,
    /// Its standard error (cut at the target's capture size).
    pub stderr: Vec<u8>,
    /// The state of each mount when the run ended, as (guest path, snapshot):
    /// what the program wrote, for a check or a reproduction.
    pub mounts: Vec<(String, Snapshot)>,
    /// The edge counters of a module rewritten by
    /// [`instrument`](crate::instrument::instrument) (its
    /// [`layout::MAP_SIZE`] bytes), or empty for a plain module.
    pub coverage: Vec<u8>,
    /// The operands of each instrumented compare, as last executed (a module
    /// instrumented with `cmplog`; empty otherwise). Compares whose operands
    /// were equal are left out: nothing to learn from them.
    pub compares: Vec<Compare>,
}

/// The two operands of one integer compare the guest executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// An `i32` compare (`eq`, `ne`, `lt`, `gt`, `le`, `ge`).
    I32(u32, u32),
    /// An `i64` compare.
    I64(u64, u64),
}

impl Report {
    /// Whether this run is worth reporting: it trapped, or exited with a code
    /// not in `expected_exits`.
    pub fn is_finding(&self, expected_exits: &[i32]) -> bool {
        match self.outcome {
            Outcome::Exited(code) => !expected_exits.contains(&code),
            Outcome::Trapped { .. } => true,
        }
    }
}

/// Configures a [`FuzzTarget`]; see [`FuzzTarget::builder`].
#[derive(Debug)]
pub struct FuzzTargetBuilder {
    engine: Engine,
    module: Module,
    mounts: Vec<(String, Snapshot)>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    input: Input,
    limits: Limits,
    seed: u64,
    fuel: Option<u64>,
    capture: usize,
}

impl FuzzTargetBuilder {
    /// Mounts a fork of `snap` at `guest_path` for every run (preopens in the
    /// order given).
    pub fn mount(mut self, guest_path: impl Into<String>, snap: Snapshot) -> Self {
        self.mounts.push((guest_path.into(), snap));
        self
    }

    /// The full argument vector, `argv[0]` included.
    pub fn args(mut self, args: &[impl AsRef<str>]) -> Self {
        self.args = args.iter().map(|a| a.as_ref().to_owned()).collect();
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Where the input goes (default: stdin).
    pub fn input(mut self, input: Input) -> Self {
        self.input = input;
        self
    }

    /// The limits of each run's context (fd cap, copy budget). Quotas of the
    /// filesystem come from the snapshots' own configuration.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The seed of every run's deterministic clocks and randomness (default
    /// 0): the same input always gives the same run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Stops a run after `fuel` units of wasm work, so an input that makes
    /// the program loop forever ends as a trap (`Trap::OutOfFuel`). The
    /// engine must be configured with `Config::consume_fuel(true)`. Without
    /// this setting, runs on such an engine get unlimited fuel.
    pub fn fuel(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// Bytes of stdout and of stderr kept per run (default 64 KiB).
    pub fn capture(mut self, bytes: usize) -> Self {
        self.capture = bytes;
        self
    }

    /// Links the module once for all runs.
    ///
    /// # Errors
    /// When the module imports something other than preview1, or `Input::File`
    /// names no mount.
    pub fn build(self) -> wasmtime::Result<FuzzTarget> {
        if let Input::File { mount, .. } = &self.input
            && !self.mounts.iter().any(|(m, _)| m == mount)
        {
            wasmtime::bail!("the input file's mount {mount:?} is not mounted");
        }
        let mut linker: Linker<StrataCtx> = Linker::new(&self.engine);
        add_to_linker(&mut linker, |c: &mut StrataCtx| c)?;
        let pre = linker.instantiate_pre(&self.module)?;
        Ok(FuzzTarget {
            engine: self.engine,
            pre,
            mounts: self.mounts,
            args: self.args,
            env: self.env,
            input: self.input,
            limits: self.limits,
            seed: self.seed,
            fuel: self.fuel,
            capture: self.capture,
        })
    }
}

/// A WASI program ready to run on one input after another; see the module docs.
pub struct FuzzTarget {
    engine: Engine,
    pre: InstancePre<StrataCtx>,
    mounts: Vec<(String, Snapshot)>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    input: Input,
    limits: Limits,
    seed: u64,
    fuel: Option<u64>,
    capture: usize,
}

impl fmt::Debug for FuzzTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuzzTarget")
            .field("mounts", &self.mounts.len())
            .field("args", &self.args)
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

impl FuzzTarget {
    /// A builder for `module`, compiled with `engine`.
    pub fn builder(engine: &Engine, module: &Module) -> FuzzTargetBuilder {
        FuzzTargetBuilder {
            engine: engine.clone(),
            module: module.clone(),
            mounts: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            input: Input::Stdin,
            limits: Limits::default(),
            seed: 0,
            fuel: None,
            capture: 64 << 10,
        }
    }

    /// Runs the program once on `input`, in fresh forks of the mounts.
    ///
    /// # Errors
    /// Only when the harness fails: the input file cannot be placed (its
    /// directory is missing from the snapshot, or it exceeds a quota), the
    /// module cannot be instantiated, or fuel is asked of an engine without it.
    /// Whatever the guest does is an [`Outcome`].
    pub fn run(&self, input: &[u8]) -> wasmtime::Result<Report> {
        let out = OutputCapture::new(self.capture);
        let err = OutputCapture::new(self.capture);
        let mut b = StrataCtxBuilder::new();
        b.args(&self.args)
            .envs(&self.env)
            .stdout_capture(&out)
            .stderr_capture(&err)
            .deterministic(self.seed)
            .limits(self.limits);
        if self.input == Input::Stdin {
            b.stdin_bytes(input.to_vec());
        }
        for (guest, snap) in &self.mounts {
            // The O(1) fork: the run's writes go to this fork only.
            let mut fs = Fs::from_snapshot(snap);
            if let Input::File { mount, path } = &self.input
                && mount == guest
            {
                place(&mut fs, path, input)?;
            }
            b.preopen(guest, fs);
        }
        let mut store = Store::new(&self.engine, b.build());
        match self.fuel {
            Some(fuel) => store.set_fuel(fuel)?,
            // An engine that consumes fuel starts every store empty: without
            // a bound from the builder, the run gets all there is.
            None if store.get_fuel().is_ok() => store.set_fuel(u64::MAX)?,
            None => {}
        }
        let instance = self.pre.instantiate(&mut store)?;
        let outcome = match strata_wasi::call_start(&mut store, &instance) {
            Ok(status) => Outcome::Exited(status.err().unwrap_or(0)),
            Err(e) => Outcome::Trapped {
                trap: e.downcast_ref::<Trap>().copied(),
                message: format!("{e:#}"),
            },
        };
        let (coverage, compares) = match instance.get_memory(&mut store, layout::EXPORT) {
            Some(memory) => layout::read(memory.data(&store)),
            None => (Vec::new(), Vec::new()),
        };
        Ok(Report {
            outcome,
            stdout: out.contents(),
            stderr: err.contents(),
            mounts: store.data().snapshot(),
            coverage,
            compares,
        })
    }
}

/// Writes `data` as file `path` of `fs` (created or truncated).
fn place(fs: &mut Fs, path: &str, data: &[u8]) -> wasmtime::Result<()> {
    let root = fs.open_root()?;
    let opts = OpenOptions {
        read: false,
        write: true,
        create: true,
        truncate: true,
        ..OpenOptions::default()
    };
    let h = fs.open(&root, path, &opts);
    fs.close(root);
    let h = h?;
    let written = fs.write(&h, &[data]);
    fs.close(h);
    written?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<FuzzTarget>();
        check::<Report>();
    }
}
