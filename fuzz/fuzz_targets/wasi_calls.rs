//! Arbitrary sequences of preview1 calls with arbitrary arguments (pointers,
//! lengths, flags, fds), issued by a real wasm instance (a module that forwards
//! each export to the matching import) so strata-wasi reads and writes a real
//! linear memory. Checked after every call:
//! - the host never panics, and a call either returns a valid errno or traps;
//! - a trap is only `MemoryOutOfBounds` or `HeapMisaligned` (`proc_exit` ends
//!   with `ProcExit`), and only when some pointer region of the call is out of
//!   bounds or misaligned: a call whose regions are all valid never traps;
//! - a successful call had valid result and path regions;
//! - the call changed guest memory only inside the regions its arguments name.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strata_engine::{Config, Fs, HostLower, OpenOptions, Snapshot};
use strata_fuzz::preview1::{ARGS, ENV, FUNCS, Region, Ty, forwarding_module};
use strata_wasi::{OutputCapture, ProcExit, StrataCtx, add_to_linker};
use wasmtime::{Engine, InstancePre, Linker, Module, Store, Trap, Val};

struct State {
    wasi: StrataCtx,
}

/// Engine, compiled module and linker: built once per process.
struct World {
    engine: Engine,
    pre: InstancePre<State>,
    seed: Snapshot,
    lower: Arc<HostLower>,
    _lower_dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let engine = Engine::default();
        let wasm = wat::parse_str(forwarding_module()).expect("forwarding module");
        let module = Module::new(&engine, wasm).expect("compiles");
        let mut linker = Linker::new(&engine);
        add_to_linker(&mut linker, |s: &mut State| &mut s.wasi).expect("linker");
        let pre = linker.instantiate_pre(&module).expect("instantiate_pre");

        let mut fs = Fs::new(Config::default());
        let root = fs.open_root().expect("root");
        fs.mkdir(&root, "d", 0o755).expect("mkdir");
        let w = OpenOptions {
            write: true,
            create: true,
            ..OpenOptions::default()
        };
        for (p, data) in [("a", &b"hello"[..]), ("d/f", &[7u8; 5000][..])] {
            let h = fs.open(&root, p, &w).expect("create");
            fs.write(&h, &[data]).expect("write");
            fs.close(h);
        }
        fs.symlink("d", &root, "ln").expect("symlink");
        fs.symlink("../..", &root, "up").expect("symlink");
        fs.close(root);
        let seed = fs.snapshot();

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("d")).expect("mkdir");
        std::fs::write(dir.path().join("a"), b"lower a").expect("write");
        std::fs::write(dir.path().join("d/f"), vec![3u8; 9000]).expect("write");
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("abs")).expect("symlink");
        let lower = Arc::new(HostLower::open(dir.path()).expect("host lower"));
        World {
            engine,
            pre,
            seed,
            lower,
            _lower_dir: dir,
        }
    })
}

/// Handy argument values: addresses of the prepared strings, iovecs and
/// subscriptions below, their lengths, fds, flags and edge values.
const HANDY: [u64; 40] = [
    0x100,
    1,
    0x110,
    3,
    0x120,
    2,
    0x130,
    11,
    0x150,
    8,
    0x160,
    0x170,
    0x180, // paths, lengths
    0x200,
    2,
    0x210,
    0x218, // iovec arrays
    0x400,
    0x800, // subscriptions, events
    0x300,
    0x301,
    0x302,
    0xfff8,
    0xfffc,
    0x10000,
    0xffff_ffff, // result pointers
    0,
    3,
    4,
    5,
    6, // fds
    8,
    0x1fff_ffff,
    0x10,
    0x4000, // flags, rights, lengths
    u64::MAX,
    1 << 63,
    0xffff,
    5000,
    64,
];

#[derive(Debug, Arbitrary)]
enum Arg {
    Small(u8),
    Handy(u8),
    Addr(u16),
    Raw(u64),
}

impl Arg {
    fn value(&self) -> u64 {
        match self {
            Arg::Small(v) => u64::from(*v),
            Arg::Handy(i) => HANDY[usize::from(*i) % HANDY.len()],
            Arg::Addr(a) => u64::from(*a),
            Arg::Raw(v) => *v,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Step {
    Call(u8, Vec<Arg>),
    Poke(u16, Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    stdin: Vec<u8>,
    steps: Vec<Step>,
}

fn put(mem: &mut [u8], at: usize, bytes: &[u8]) {
    mem[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Fills guest memory with the data the handy values point at.
fn prepare(mem: &mut [u8]) {
    for (at, s) in [
        (0x100, &b"a"[..]),
        (0x110, b"d/f"),
        (0x120, b".."),
        (0x130, b"/etc/passwd"),
        (0x150, b"d/x/../f"),
        (0x160, b"new"),
        (0x170, b"a\0b"),
        (0x180, b"\xff\xfe"),
    ] {
        put(mem, at, s);
    }
    let le = |v: u32| v.to_le_bytes();
    // iovecs: two good ones, one reaching past the end, one empty.
    put(mem, 0x200, &le(0x1000));
    put(mem, 0x204, &le(16));
    put(mem, 0x208, &le(0x1100));
    put(mem, 0x20c, &le(32));
    put(mem, 0x210, &le(0xfff0));
    put(mem, 0x214, &le(0x100));
    put(mem, 0x218, &le(0x1200));
    put(mem, 0x21c, &le(0));
    put(mem, 0x1000, b"written by the fuzzer\n");
    // Subscriptions: a relative monotonic clock of 1 ms, then fd_read on stdin.
    put(mem, 0x400, &7u64.to_le_bytes());
    mem[0x408] = 0; // clock
    put(mem, 0x410, &le(1)); // monotonic
    put(mem, 0x418, &1_000_000u64.to_le_bytes());
    put(mem, 0x430, &8u64.to_le_bytes());
    mem[0x438] = 1; // fd_read
    put(mem, 0x440, &le(0));
}

/// Where a region lies: `Ok(Some(range))` valid, `Ok(None)` empty and
/// harmless, `Err(true)` certainly invalid, `Err(false)` undecided (an empty
/// region outside memory: implementations may or may not check it).
type Span = Result<Option<(u64, u64)>, bool>;

fn span(start: u64, len: u64, align: u64, mem_len: u64) -> Span {
    if !start.is_multiple_of(align) {
        return if len == 0 { Err(false) } else { Err(true) };
    }
    if len == 0 {
        return if start <= mem_len {
            Ok(None)
        } else {
            Err(false)
        };
    }
    match start.checked_add(len) {
        Some(end) if end <= mem_len => Ok(Some((start, end))),
        _ => Err(true),
    }
}

/// One region of a call: where it lies, whether it is strict, and its extent
/// clipped to memory (a call that traps part-way may have written the part of
/// a region that lies inside memory, as wasmtime-wasi's would).
#[derive(Debug)]
struct Reg {
    span: Span,
    strict: bool,
    extent: (u64, u64),
}

fn reg(start: u64, len: u64, align: u64, mem_len: u64, strict: bool) -> Reg {
    Reg {
        span: span(start, len, align, mem_len),
        strict,
        extent: (start, start.saturating_add(len).min(mem_len)),
    }
}

/// Every region of a call, evaluated against memory as it is before the call.
fn regions(func: &strata_fuzz::preview1::Func, args: &[u64], mem: &[u8]) -> Vec<Reg> {
    let mem_len = mem.len() as u64;
    let a32 = |i: usize| args[i] & 0xffff_ffff;
    let mut out = Vec::new();
    for r in func.regions {
        match *r {
            Region::Fixed {
                ptr,
                size,
                align,
                strict,
            } => out.push(reg(a32(ptr), size, align, mem_len, strict)),
            Region::Bytes { ptr, len, strict } => {
                out.push(reg(a32(ptr), a32(len), 1, mem_len, strict));
            }
            Region::Array {
                ptr,
                count,
                elem,
                align,
            } => out.push(reg(a32(ptr), a32(count) * elem, align, mem_len, false)),
            Region::Iovecs { ptr, count } => {
                let arr = reg(a32(ptr), a32(count) * 8, 4, mem_len, false);
                // Records wholly inside memory may have been read even when
                // the array as a whole is out of bounds.
                let (s, e) = arr.extent;
                out.push(arr);
                if s < e {
                    for rec in mem[s as usize..e as usize].chunks_exact(8) {
                        let b = u64::from(u32::from_le_bytes(rec[..4].try_into().unwrap()));
                        let l = u64::from(u32::from_le_bytes(rec[4..].try_into().unwrap()));
                        out.push(reg(b, l, 1, mem_len, false));
                    }
                }
            }
        }
    }
    out
}

fuzz_target!(|input: Input| {
    let w = world();
    let stdout = OutputCapture::new(1 << 16);
    let stderr = OutputCapture::new(1 << 16);
    let mut lower_fs = Fs::with_lower(w.lower.clone(), Config::default()).expect("with_lower");
    if input.stdin.first() == Some(&0xff) {
        lower_fs = Fs::with_lower(
            w.lower.clone(),
            Config {
                read_only: true,
                ..Config::default()
            },
        )
        .expect("with_lower");
    }
    let ctx = StrataCtx::builder()
        .args(&ARGS)
        .envs(&ENV)
        .stdin_bytes(input.stdin.clone())
        .stdout_capture(&stdout)
        .stderr_capture(&stderr)
        .deterministic(1)
        .max_fds(16)
        .preopen("/work", Fs::from_snapshot(&w.seed))
        .preopen("/lower", lower_fs)
        .build();
    let mut store = Store::new(&w.engine, State { wasi: ctx });
    let instance = w.pre.instantiate(&mut store).expect("instantiate");
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    prepare(memory.data_mut(&mut store));

    for step in input.steps.iter().take(64) {
        let (i, raw) = match step {
            Step::Poke(at, bytes) => {
                let mem = memory.data_mut(&mut store);
                let at = usize::from(*at);
                let n = bytes.len().min(mem.len() - at);
                mem[at..at + n].copy_from_slice(&bytes[..n]);
                continue;
            }
            Step::Call(i, raw) => (usize::from(*i) % FUNCS.len(), raw),
        };
        let func = &FUNCS[i];
        let args: Vec<u64> = (0..func.params.len())
            .map(|k| raw.get(k).map_or(0, Arg::value))
            .collect();
        let vals: Vec<Val> = func
            .params
            .iter()
            .zip(&args)
            .map(|(t, v)| match t {
                Ty::I32 => Val::I32(*v as u32 as i32),
                Ty::I64 => Val::I64(*v as i64),
            })
            .collect();
        let before = memory.data(&store).to_vec();
        let spans = regions(func, &args, &before);
        let export = instance
            .get_func(&mut store, &format!("f{i}"))
            .expect("export");
        let mut results = vec![Val::I32(0); usize::from(func.result)];
        let outcome = export.call(&mut store, &vals, &mut results);
        let all_valid = spans.iter().all(|r| r.span.is_ok());
        let what = || format!("{}({args:x?})", func.name);
        match outcome {
            Ok(()) => {
                assert!(func.result, "{}: proc_exit returned", what());
                let errno = results[0].unwrap_i32();
                assert!(
                    (0..=76).contains(&errno),
                    "{}: not a WASI errno: {errno}",
                    what()
                );
                if errno == 0 {
                    for r in &spans {
                        assert!(
                            !(r.strict && r.span == Err(true)),
                            "{}: succeeded with an invalid pointer: {spans:?}",
                            what()
                        );
                    }
                }
            }
            Err(e) => {
                if func.name == "proc_exit" {
                    // Statuses 126 and above are the host's; like wasmtime-wasi,
                    // strata-wasi refuses them with a plain error.
                    let status = args[0] as u32;
                    let exit = e.downcast_ref::<ProcExit>().map(|x| x.0);
                    let want = (status <= 125).then_some(status as i32);
                    assert_eq!(exit, want, "{}: {e:?}", what());
                    break;
                }
                let trap = e.downcast_ref::<Trap>();
                assert!(
                    matches!(trap, Some(Trap::MemoryOutOfBounds | Trap::HeapMisaligned)),
                    "{}: an error that is not a pointer trap: {e:?}",
                    what()
                );
                assert!(
                    !all_valid,
                    "{}: trapped ({e}) although every pointer is valid: {spans:?}",
                    what()
                );
            }
        }
        // Memory changed only inside the call's regions.
        let after = memory.data(&store);
        let inside = |at: u64| spans.iter().any(|r| r.extent.0 <= at && at < r.extent.1);
        if let Some(at) = (0..before.len()).find(|&k| before[k] != after[k] && !inside(k as u64)) {
            panic!(
                "{}: wrote guest memory at {at:#x}, outside its regions {spans:?}",
                what()
            );
        }
    }
});
