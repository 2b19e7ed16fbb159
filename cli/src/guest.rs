//! The wasmtime side of running a guest: engine settings, per-run limits
//! (memory, fuel, timeout), linking, and how a run ends.

use std::fmt;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result};
use strata_engine::Snapshot;
use strata_wasi::p2::{ComponentCtx, ComponentView};
use strata_wasi::{StrataCtx, StrataCtxBuilder};
use wasmtime::component::{Component, Linker as ComponentLinker};
use wasmtime::{Engine, InstancePre, Linker, Module, Store, StoreLimits, StoreLimitsBuilder};

use crate::module::Program;

/// wasmtime's own error type as an `anyhow` error of one line: the chain's
/// messages, each once, and never a Rust backtrace (whatever `RUST_BACKTRACE`
/// says).
pub(crate) fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!(crate::one_line(e.chain())))
}

/// Default of `--max-memory`: 4 GiB, the whole 32-bit address space, so that
/// no wasm32 program that runs under wasmtime fails here; a memory64 guest or
/// one with many memories is still bounded per memory.
pub(crate) const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// Most elements of one table (8 bytes of host memory each): a `table.grow`
/// past it fails as a `memory.grow` past `--max-memory` does. Real programs'
/// function tables hold tens of thousands.
const MAX_TABLE_ELEMENTS: usize = 1 << 23;

/// Exit status of a run stopped by `--fuel` or `--timeout` (as `timeout(1)`
/// exits 124), distinct from 134 after any other trap.
pub(crate) const LIMIT_STATUS: u8 = 124;

/// Exit status after a trap (as for SIGABRT, like `wasmtime run`).
const TRAP_STATUS: u8 = 134;

/// The wasmtime-side limits of every run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Bytes each linear memory may grow to (`memory.grow` returns -1 past it).
    pub(crate) max_memory: u64,
    /// Units of fuel (about one per wasm instruction) a run may use.
    pub(crate) fuel: Option<u64>,
    /// Wall-clock time a run may take.
    pub(crate) timeout: Option<Duration>,
    /// Bytes one host call may copy out of the guest: Strata's copy budget
    /// for a module, wasmtime's hostcall fuel for a component (whose
    /// arguments wasmtime copies before Strata sees them).
    pub(crate) hostcall_fuel: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory: DEFAULT_MAX_MEMORY,
            fuel: None,
            timeout: None,
            hostcall_fuel: strata_wasi::Limits::default().copy_budget,
        }
    }
}

/// The wasmtime engine for runs under `limits` (one configuration per set of
/// limits: the module cache's key covers it). Fuel metering and epoch checks
/// are compiled in only when `--fuel` or `--timeout` asks for them, so the
/// default code runs without them.
pub(crate) fn engine(limits: &Limits) -> Result<Engine> {
    let mut cfg = wasmtime::Config::new();
    // Modules from current toolchains use these proposals.
    cfg.wasm_exceptions(true);
    cfg.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(64));
    cfg.consume_fuel(limits.fuel.is_some());
    cfg.epoch_interruption(limits.timeout.is_some());
    wt(Engine::new(&cfg)).context("configuring wasmtime")
}

/// What a guest's store holds: Strata's context (preview 1 or WASI 0.2)
/// and the memory limits.
#[derive(Debug)]
pub(crate) struct Guest<C> {
    ctx: C,
    limits: StoreLimits,
}

impl ComponentView for Guest<ComponentCtx> {
    fn component_ctx(&mut self) -> &mut ComponentCtx {
        &mut self.ctx
    }
}

/// A program linked against Strata's WASI with the limits each run of it
/// gets; runs from any thread, many times.
pub(crate) struct Prepared {
    pre: Pre,
    engine: Engine,
    limits: Limits,
    /// Advances the epoch while a timeout is set.
    ticker: Option<Ticker>,
}

/// A linked module or component.
enum Pre {
    Module(InstancePre<Guest<StrataCtx>>),
    Component(strata_wasi::p2::CommandPre<Guest<ComponentCtx>>),
}

/// `program` linked and ready to instantiate under `limits`. `program` must
/// come from [`engine`]`(limits)`.
pub(crate) fn prepare(program: &Program, limits: Limits) -> Result<Prepared> {
    let (pre, engine) = match program {
        Program::Module(module) => (Pre::Module(link_module(module)?), module.engine()),
        Program::Component(c) => (Pre::Component(link_component(c)?), c.engine()),
    };
    let ticker = limits
        .timeout
        .map(|t| Ticker::start(engine, t))
        .transpose()?;
    Ok(Prepared {
        pre,
        engine: engine.clone(),
        limits,
        ticker,
    })
}

fn link_module(module: &Module) -> Result<InstancePre<Guest<StrataCtx>>> {
    if !matches!(
        module.get_export("_start"),
        Some(wasmtime::ExternType::Func(_))
    ) {
        anyhow::bail!("the module has no `_start` function (is it a WASI command?)");
    }
    let mut linker: Linker<Guest<StrataCtx>> = Linker::new(module.engine());
    wt(strata_wasi::add_to_linker(
        &mut linker,
        |g: &mut Guest<StrataCtx>| &mut g.ctx,
    ))?;
    wt(linker.instantiate_pre(module)).context("linking the module")
}

fn link_component(c: &Component) -> Result<strata_wasi::p2::CommandPre<Guest<ComponentCtx>>> {
    let mut linker = ComponentLinker::new(c.engine());
    wt(strata_wasi::p2::add_to_linker_sync(&mut linker))?;
    let pre = wt(linker.instantiate_pre(c)).context("linking the component")?;
    wt(strata_wasi::p2::CommandPre::new(pre))
        .context("the component is not a `wasi:cli/command` (it exports no `wasi:cli/run`)")
}

/// Advances an engine's epoch every `period` on a thread of its own until
/// dropped, so that a store's epoch deadline is a wall-clock time limit that
/// holds for any number of runs, one after another or at once.
#[derive(Debug)]
struct Ticker {
    period: Duration,
    /// Dropping it wakes the thread, which then ends.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: &Engine, timeout: Duration) -> Result<Ticker> {
        // A hundredth of the limit, within 1 ms..100 ms: precise enough for
        // any limit, and a tick (one atomic add) is never a measurable cost.
        let period = (timeout / 100).clamp(Duration::from_millis(1), Duration::from_millis(100));
        let (stop, stopped) = mpsc::channel::<()>();
        let engine = engine.clone();
        let thread = std::thread::Builder::new()
            .name("strata-epoch".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                    engine.increment_epoch();
                }
            })
            .context("starting the --timeout timer thread")?;
        Ok(Ticker {
            period,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The epoch deadline (in ticks from now) for a run of at most `timeout`:
    /// one tick more than the limit holds, so a run is never stopped early
    /// (the first tick may come at once) and at most one period late.
    fn ticks(&self, timeout: Duration) -> u64 {
        let n = timeout.as_nanos().div_ceil(self.period.as_nanos());
        u64::try_from(n).unwrap_or(u64::MAX).saturating_add(1)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Which limit stopped a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    /// `--fuel N` ran out.
    Fuel(u64),
    /// `--timeout DURATION` passed.
    Timeout(Duration),
}

/// A run that did not end by returning or by `proc_exit`.
#[derive(Debug)]
pub(crate) struct Trap {
    /// Set when a limit stopped the guest (a trap of its own kind).
    pub(crate) limit: Option<Limit>,
    /// wasmtime's message and the wasm backtrace, one frame a line.
    report: String,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            Some(Limit::Fuel(n)) => write!(f, "the guest ran out of fuel (--fuel {n})"),
            Some(Limit::Timeout(d)) => write!(f, "the guest ran out of time (--timeout {d:?})"),
            None => write!(f, "the guest trapped: {}", self.report),
        }
    }
}

/// How a guest's run ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `_start` returned (status 0) or the guest called `proc_exit(status)`.
    Exit(i32),
    /// The guest trapped or a limit stopped it.
    Trap(Trap),
}

impl Outcome {
    /// The process exit status `strata run` passes on: the guest's status
    /// (clamped to 0..=255); 124 when `--fuel` or `--timeout` stopped it;
    /// 134 (as for SIGABRT) after any other trap.
    pub(crate) fn status(&self) -> u8 {
        match self {
            Outcome::Exit(s) => (*s).clamp(0, 255) as u8,
            Outcome::Trap(Trap { limit: Some(_), .. }) => LIMIT_STATUS,
            Outcome::Trap(Trap { limit: None, .. }) => TRAP_STATUS,
        }
    }
}

/// Builds the context from `b` (preview 1 or WASI 0.2, as the program
/// needs), instantiates the program over it and runs it under the limits:
/// `_start` for a module, `wasi:cli/run` for a component. Returns the final
/// state of every mount (guest path, snapshot) and how the run ended; an
/// error means the guest never started (a failing start function, a memory
/// or table declared past the limits).
pub(crate) fn run(
    pre: &Prepared,
    b: &mut StrataCtxBuilder,
) -> Result<(Vec<(String, Snapshot)>, Outcome)> {
    match &pre.pre {
        Pre::Module(ipre) => {
            let mut store = store(pre, b.build());
            let instance = wt(ipre.instantiate(&mut store)).context("instantiating the module")?;
            // `prepare` checked that `_start` is exported.
            let outcome = outcome(strata_wasi::call_start(&mut store, &instance), &pre.limits);
            Ok((store.data().ctx.snapshot(), outcome))
        }
        Pre::Component(cpre) => {
            let mut store = store(pre, b.build_p2());
            store
                .set_hostcall_fuel(usize::try_from(pre.limits.hostcall_fuel).unwrap_or(usize::MAX));
            let command =
                wt(cpre.instantiate(&mut store)).context("instantiating the component")?;
            let outcome = outcome(strata_wasi::p2::call_run(&mut store, &command), &pre.limits);
            Ok((store.data().ctx.snapshot(), outcome))
        }
    }
}

/// How a run ended, from the entry point's result.
fn outcome(r: wasmtime::Result<std::result::Result<(), i32>>, limits: &Limits) -> Outcome {
    match r {
        Ok(Ok(())) => Outcome::Exit(0),
        Ok(Err(status)) => Outcome::Exit(status),
        Err(e) => Outcome::Trap(trap(&e, limits)),
    }
}

/// A store over `ctx` with the run's limits: memory and tables through the
/// limiter, fuel, and the epoch deadline of `--timeout`.
fn store<C: 'static>(pre: &Prepared, ctx: C) -> Store<Guest<C>> {
    let limits = StoreLimitsBuilder::new()
        .memory_size(usize::try_from(pre.limits.max_memory).unwrap_or(usize::MAX))
        .table_elements(MAX_TABLE_ELEMENTS)
        .build();
    let mut store = Store::new(&pre.engine, Guest { ctx, limits });
    store.limiter(|g| &mut g.limits);
    if let Some(fuel) = pre.limits.fuel {
        // Fuel is on in every engine made with `--fuel` (see `engine`).
        let _ = store.set_fuel(fuel);
    }
    if let (Some(ticker), Some(timeout)) = (&pre.ticker, pre.limits.timeout) {
        store.set_epoch_deadline(ticker.ticks(timeout));
    }
    store
}

/// Describes a trap: which limit it was, or wasmtime's message followed by
/// the wasm backtrace (no Rust backtrace, whatever `RUST_BACKTRACE` says).
fn trap(e: &wasmtime::Error, limits: &Limits) -> Trap {
    let limit = match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => limits.fuel.map(Limit::Fuel),
        Some(wasmtime::Trap::Interrupt) => limits.timeout.map(Limit::Timeout),
        _ => None,
    };
    // The backtrace is a context message of its own in the chain: say the
    // rest on one line, then the frames.
    let bt = e
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .map(ToString::to_string);
    let messages = e
        .chain()
        .map(ToString::to_string)
        .filter(|m| Some(m) != bt.as_ref());
    let mut report = crate::one_line_of(messages);
    if let Some(bt) = &bt {
        // Its first line is a heading ("error while executing at wasm backtrace:").
        for frame in bt.lines().skip(1) {
            report.push('\n');
            report.push_str(frame);
        }
    }
    Trap { limit, report }
}
