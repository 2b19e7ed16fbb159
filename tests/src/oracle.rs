//! The reference side of the differential oracle: runs a guest under
//! wasmtime-wasi's preview 1 implementation over a real host directory.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use wasmtime::{Config, Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::fixture;
use crate::guests::{GUEST_DIR, Guest};
use crate::tree::{self, Tree};

/// The exit status reported for a trap, as the wasmtime CLI reports it on
/// Unix (128 + SIGABRT).
pub const TRAP_EXIT_CODE: i32 = 134;

/// The exit code and trap message of a run from what its entry point
/// returned ([`strata_wasi::run`], [`strata_wasi::p2::run`] or either's
/// `call_*`): a trap becomes [`TRAP_EXIT_CODE`] with its message.
pub fn ended(result: wasmtime::Result<Result<(), i32>>) -> (i32, Option<String>) {
    match result {
        Ok(Ok(())) => (0, None),
        Ok(Err(code)) => (code, None),
        Err(e) => (TRAP_EXIT_CODE, Some(format!("{e:#}"))),
    }
}

/// Captured stdout and stderr are cut at this size.
const PIPE_CAPACITY: usize = 16 << 20;

/// What a guest run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The status given to `proc_exit` (0 when `_start` returns),
    /// or [`TRAP_EXIT_CODE`] after a trap.
    pub exit_code: i32,
    /// Everything the guest wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything the guest wrote to stderr, followed on a trap by one line
    /// `trap: <message>` (see [`Outcome::trap_line`]).
    pub stderr: Vec<u8>,
    /// The trap message, when the run trapped. Its wording belongs to the
    /// runtime, so [`Outcome::observable`] compares only its presence.
    pub trap: Option<String>,
}

impl Outcome {
    /// Builds an outcome from what the guest wrote; on a trap, appends the
    /// trap line to stderr and sets the exit code to [`TRAP_EXIT_CODE`].
    pub fn new(exit_code: i32, stdout: Vec<u8>, mut stderr: Vec<u8>, trap: Option<String>) -> Self {
        let exit_code = match &trap {
            Some(message) => {
                stderr.extend_from_slice(Self::trap_line(message).as_bytes());
                TRAP_EXIT_CODE
            }
            None => exit_code,
        };
        Self {
            exit_code,
            stdout,
            stderr,
            trap,
        }
    }

    /// The line appended to stderr for a trap with this message.
    pub fn trap_line(message: &str) -> String {
        format!("trap: {}\n", message.replace('\n', " | "))
    }

    /// The guest's own stderr, without the trap line.
    pub fn guest_stderr(&self) -> &[u8] {
        match &self.trap {
            Some(message) => {
                let line = Self::trap_line(message);
                self.stderr
                    .strip_suffix(line.as_bytes())
                    .unwrap_or(&self.stderr)
            }
            None => &self.stderr,
        }
    }

    /// The part of the outcome that two correct implementations must agree
    /// on: exit code, stdout, the guest's own stderr and whether it trapped.
    pub fn observable(&self) -> Observable<'_> {
        Observable {
            exit_code: self.exit_code,
            stdout: &self.stdout,
            stderr: self.guest_stderr(),
            trapped: self.trap.is_some(),
        }
    }
}

/// See [`Outcome::observable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observable<'a> {
    /// [`Outcome::exit_code`].
    pub exit_code: i32,
    /// [`Outcome::stdout`].
    pub stdout: &'a [u8],
    /// [`Outcome::guest_stderr`].
    pub stderr: &'a [u8],
    /// Whether [`Outcome::trap`] is set.
    pub trapped: bool,
}

/// A finished run: what the guest printed and the tree it left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// What the guest printed and how it ended.
    pub outcome: Outcome,
    /// The preopened directory after the run.
    pub tree: Tree,
}

impl Run {
    /// This run with the [`crate::KNOWN_DIVERGENCES`] lines of `guest`
    /// masked in stdout, ready for [`assert_same_run`].
    pub fn masked(&self, guest: &str) -> Run {
        let mut run = self.clone();
        run.outcome.stdout = crate::mask_known_divergences(guest, &self.outcome.stdout);
        run
    }

    /// Whether two runs are indistinguishable to a guest and to whoever looks
    /// at the tree afterwards (trap wording aside).
    pub fn same_as(&self, other: &Run) -> bool {
        self.outcome.observable() == other.outcome.observable() && self.tree == other.tree
    }
}

/// Panics with a readable report when the two runs differ (see [`Run::same_as`]).
pub fn assert_same_run(expected: &Run, actual: &Run, context: &str) {
    if expected.same_as(actual) {
        return;
    }
    let (e, a) = (expected.outcome.observable(), actual.outcome.observable());
    let mut report = format!("{context}: runs differ\n");
    if e.exit_code != a.exit_code || e.trapped != a.trapped {
        let _ = writeln!(
            report,
            "exit code: expected {} (trapped {}), got {} (trapped {})",
            e.exit_code, e.trapped, a.exit_code, a.trapped
        );
    }
    for (what, x, y) in [
        ("stdout", e.stdout, a.stdout),
        ("stderr", e.stderr, a.stderr),
    ] {
        report.push_str(&diff_lines(what, x, y));
    }
    for line in tree::diff(&expected.tree, &actual.tree) {
        let _ = writeln!(report, "tree: {line}");
    }
    panic!("{report}");
}

/// A line-by-line report of where `actual` departs from `expected`.
pub fn diff_lines(what: &str, expected: &[u8], actual: &[u8]) -> String {
    let (e, a) = (
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(actual),
    );
    let (el, al): (Vec<&str>, Vec<&str>) = (e.lines().collect(), a.lines().collect());
    let mut out = String::new();
    for i in 0..el.len().max(al.len()) {
        let (x, y) = (el.get(i), al.get(i));
        if x != y {
            let _ = writeln!(out, "{what} line {}:", i + 1);
            let _ = writeln!(out, "  expected: {}", x.unwrap_or(&"<end>"));
            let _ = writeln!(out, "  actual:   {}", y.unwrap_or(&"<end>"));
        }
    }
    if out.is_empty() && expected != actual {
        let _ = writeln!(out, "{what}: differs in line endings or trailing bytes");
    }
    out
}

/// The shared engine; configuring one is not free, so every test reuses it.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(&Config::new()).expect("default wasmtime config"))
}

/// Compiles `wasm` once per process.
pub fn module(wasm: &[u8]) -> Module {
    static CACHE: OnceLock<Mutex<HashMap<Vec<u8>, Module>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|poison| poison.into_inner());
    cache
        .entry(wasm.to_vec())
        .or_insert_with(|| Module::new(engine(), wasm).expect("guest module compiles"))
        .clone()
}

/// Runs `wasm`'s `_start` under wasmtime-wasi preview 1, with `host_dir`
/// preopened as `guest_dir` with full permissions, `args` as the whole
/// argument vector (including `argv[0]`), `env` in order, `stdin` fed from
/// memory and stdout/stderr captured.
///
/// # Panics
/// When the harness itself fails: the module does not compile or link, or
/// `host_dir` cannot be opened. A guest's exit or trap is an [`Outcome`].
pub fn run_wasmtime(
    wasm: &[u8],
    host_dir: &Path,
    guest_dir: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
) -> Outcome {
    run_wasmtime_with(
        wasm,
        host_dir,
        guest_dir,
        args,
        env,
        stdin,
        &Extra::default(),
    )
}

/// What a run may add to the plain setup of [`run_wasmtime`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra<'a> {
    /// The store's hostcall fuel (bytes a single call may copy from the
    /// guest); `None` leaves wasmtime's default.
    pub fuel: Option<usize>,
    /// A host directory preopened read-only at [`crate::guests::RO_GUEST_DIR`].
    pub read_only_dir: Option<&'a Path>,
}

/// [`run_wasmtime`] with the additions of `extra`.
pub fn run_wasmtime_with(
    wasm: &[u8],
    host_dir: &Path,
    guest_dir: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
    extra: &Extra<'_>,
) -> Outcome {
    let stdout = MemoryOutputPipe::new(PIPE_CAPACITY);
    let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
    let mut builder = WasiCtxBuilder::new();
    // Must come before preopened_dir: each preopen captures the setting.
    builder.allow_blocking_current_thread(true);
    builder
        .args(args)
        .envs(env)
        .stdin(MemoryInputPipe::new(stdin.to_vec()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .preopened_dir(host_dir, guest_dir, FsPerms::ReadWrite)
        .unwrap_or_else(|e| panic!("preopen {}: {e:#}", host_dir.display()));
    if let Some(ro) = extra.read_only_dir {
        builder
            .preopened_dir(ro, crate::guests::RO_GUEST_DIR, FsPerms::ReadOnly)
            .unwrap_or_else(|e| panic!("preopen {}: {e:#}", ro.display()));
    }
    let ctx: WasiP1Ctx = builder.build_p1();

    let engine = engine();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx).expect("link preview1");
    let mut store = Store::new(engine, ctx);
    if let Some(fuel) = extra.fuel {
        store.set_hostcall_fuel(fuel);
    }
    // `exit_status` reads wasmtime-wasi's `I32Exit` as well as Strata's exit.
    let (exit_code, trap) = ended(strata_wasi::run(&mut store, &linker, &module(wasm)));
    drop(store);
    Outcome::new(
        exit_code,
        stdout.contents().to_vec(),
        stderr.contents().to_vec(),
        trap,
    )
}

/// Runs `guest` under wasmtime-wasi over a fresh copy of the standard
/// fixture and returns what it printed and the tree it left.
///
/// # Panics
/// When the harness fails, and when the guest created anything outside the
/// preopened directory (an escape).
pub fn run_guest_wasmtime(guest: &Guest) -> Run {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).expect("create root");
    fixture::populate(&root).expect("populate fixture");
    let ro = tmp.path().join("ro");
    if guest.read_only_preopen {
        std::fs::create_dir(&ro).expect("create read-only dir");
        fixture::populate_read_only(&ro).expect("populate read-only dir");
    }
    let extra = Extra {
        fuel: guest.fuel,
        read_only_dir: guest.read_only_preopen.then_some(ro.as_path()),
    };
    let outcome = run_wasmtime_with(
        guest.wasm,
        &root,
        GUEST_DIR,
        &guest.argv(),
        guest.env,
        guest.stdin,
        &extra,
    );
    let tree = tree::snapshot_dir(&root).expect("snapshot tree");
    let beside: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("list temp dir")
        .map(|e| e.expect("entry").file_name())
        .filter(|name| name != "root" && name != "ro")
        .collect();
    assert!(
        beside.is_empty(),
        "{}: guest escaped the preopen and made {beside:?}",
        guest.name
    );
    Run { outcome, tree }
}

/// The reference run of `guest` ([`run_guest_wasmtime`]), made once per
/// process and shared by every test that compares with it: the per-guest
/// tests of several files ask for the same runs, in parallel.
pub fn reference(guest: &Guest) -> Run {
    type Slots = HashMap<&'static str, Arc<OnceLock<Run>>>;
    static RUNS: OnceLock<Mutex<Slots>> = OnceLock::new();
    let slot = RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .entry(guest.name)
        .or_default()
        .clone();
    slot.get_or_init(|| run_guest_wasmtime(guest)).clone()
}
