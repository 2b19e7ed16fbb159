//! The campaign of the `fuzz_guest` example: the prepared filesystem, seed inputs, a mutator, and threads sharing one target.
//!
//! Shared with the test `guest-fuzz/tests/all/target.rs` (through `#[path]`), so
//! the example cannot rot: the test runs this campaign and requires it to find
//! the bug planted in `target.c`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use strata_engine::{Config, Fs, OpenOptions, Snapshot};
use strata_guest_fuzz::{FuzzTarget, Input, Outcome};

/// The bundled target: a config-file parser with a planted division by zero.
pub(crate) const TARGET_WASM: &[u8] = include_bytes!("target.wasm");

/// Where the target's files are mounted.
pub(crate) const MOUNT: &str = "/work";

/// Exit codes that are answers, not bugs: 0 parsed, 1 rejected.
pub(crate) const EXPECTED_EXITS: &[i32] = &[0, 1];

/// Fuel per run: ample for a 64 KiB input, and an endless loop still ends.
pub(crate) const FUEL: u64 = 200_000_000;

/// Valid inputs the mutator starts from.
pub(crate) const SEEDS: &[&[u8]] = &[
    b"# a config\n[main]\nname = demo\nsize = 10\nratio = 10/4\n",
    b"[a]\nmode = fast\n[b]\nratio = 7/7\n",
    b"ratio = 100/3\nratio=9/2\n",
];

/// Tokens the mutator splices in: the format's own syntax and edge numbers.
pub(crate) const DICTIONARY: &[&[u8]] = &[
    b"ratio",
    b"=",
    b"/",
    b"0",
    b"/0",
    b"-1",
    b"-2147483648",
    b"[",
    b"]",
    b"\n",
    b"#",
    b" ",
];

/// The files the target needs, prepared once: the list of known keys and the
/// directory it writes its summary to. Every run forks this state in O(1).
pub(crate) fn prepare() -> Snapshot {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().expect("root");
    fs.mkdir(&root, "out", 0o755).expect("mkdir out");
    let opts = OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    };
    let keys = fs.open(&root, "keys.txt", &opts).expect("create keys.txt");
    fs.write(&keys, &[b"name\nsize\nmode\nratio\n"])
        .expect("write keys.txt");
    fs.close(keys);
    fs.close(root);
    fs.snapshot()
}

/// The target over `snap`, reading its input from the file `/work/input`.
/// `engine` must have fuel enabled (`Config::consume_fuel`).
pub(crate) fn target(engine: &wasmtime::Engine, snap: Snapshot) -> FuzzTarget {
    let module = wasmtime::Module::new(engine, TARGET_WASM).expect("target compiles");
    FuzzTarget::builder(engine, &module)
        .mount(MOUNT, snap)
        .input(Input::File {
            mount: MOUNT.into(),
            path: "input".into(),
        })
        .args(&["target", "/work/input"])
        .fuel(FUEL)
        .build()
        .expect("target links")
}

/// An engine with fuel, as [`target`] needs.
pub(crate) fn engine() -> wasmtime::Engine {
    let mut config = wasmtime::Config::new();
    config.consume_fuel(true);
    wasmtime::Engine::new(&config).expect("engine")
}

/// xorshift64*: a small, seedable generator (no dependency, reproducible).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four random edits of `seed`: bit flips, interesting bytes,
/// dictionary tokens, deletions and duplications.
pub(crate) fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] = b"0123456789/=-[]#\n "[rng.below(18)];
            }
            2 => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                v.splice(at..at, token.iter().copied());
            }
            3 if !v.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(v.len());
                v.drain(at.min(end)..end);
            }
            _ => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                let chunk = v[at.min(end)..end].to_vec();
                v.splice(at..at, chunk);
            }
        }
    }
    v.truncate(64 << 10);
    v
}

/// A run worth reporting.
#[derive(Clone, Debug)]
pub(crate) struct Finding {
    pub(crate) input: Vec<u8>,
    pub(crate) outcome: Outcome,
}

/// What a campaign did.
#[derive(Debug)]
pub(crate) struct Summary {
    pub(crate) runs: u64,
    pub(crate) elapsed: Duration,
    /// The first input found for each distinct outcome (by its display).
    pub(crate) findings: BTreeMap<String, Finding>,
}

/// Runs up to `runs_per_thread` mutated inputs on each of `threads` threads,
/// all sharing `target` (and so its snapshot); thread `i` draws from
/// `Rng::new(seed + i)`. Stops early once `stop_after` distinct findings are in.
pub(crate) fn campaign(
    target: &FuzzTarget,
    threads: usize,
    runs_per_thread: u64,
    seed: u64,
    stop_after: usize,
) -> Summary {
    let start = Instant::now();
    let runs = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let findings: Mutex<BTreeMap<String, Finding>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for t in 0..threads {
            let (runs, stop, findings) = (&runs, &stop, &findings);
            s.spawn(move || {
                let mut rng = Rng::new(seed.wrapping_add(t as u64));
                for _ in 0..runs_per_thread {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let seed_input = SEEDS[rng.below(SEEDS.len())];
                    let input = mutate(&mut rng, seed_input);
                    let report = target.run(&input).expect("the harness runs");
                    runs.fetch_add(1, Ordering::Relaxed);
                    if report.is_finding(EXPECTED_EXITS) {
                        let mut f = findings.lock().unwrap_or_else(|p| p.into_inner());
                        f.entry(report.outcome.to_string()).or_insert(Finding {
                            input,
                            outcome: report.outcome,
                        });
                        if f.len() >= stop_after {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    Summary {
        runs: runs.into_inner(),
        elapsed: start.elapsed(),
        findings: findings.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}
