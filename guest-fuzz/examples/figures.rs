//! The figures of docs/FUZZING.md: time to first crash (guided vs havoc-only vs blind, median of 5 seeds), executions per second per core, instrumentation slowdown.
//!
//! ```text
//! cargo run --release -p strata-guest-fuzz --example figures -- [--seeds N] [--budget RUNS]
//! ```
//!
//! Targets: the planted-bug parser of `fuzz_guest` (a division by zero
//! behind `ratio = x/0`) and `magic` (a trap behind a 4-byte magic value and
//! an FNV-1a checksum). Three fuzzers get the same budget of executions:
//! LibAFL guided by coverage and compares (cmplog), LibAFL guided by
//! coverage only, and the blind mutator of the `fuzz_guest` example. Each
//! line says how many runs and how long each took to the first finding
//! ("-" when none within the budget). Single-threaded: one core.

#[allow(dead_code)] // the example's own CLI uses parts this one does not
#[path = "fuzz_guest/campaign.rs"]
mod campaign;

use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_guest_fuzz::fuzzer::{self, Campaign, Judge};
use strata_guest_fuzz::{FuzzTarget, Input, Options, instrument};

const MAGIC: &[u8] = include_bytes!("magic/target.wasm");

/// One target as the three fuzzers see it.
struct Target {
    name: &'static str,
    wasm: &'static [u8],
    setup: fn(strata_guest_fuzz::FuzzTargetBuilder) -> strata_guest_fuzz::FuzzTargetBuilder,
    fine: &'static [i32],
    seeds: Vec<Vec<u8>>,
    /// Dictionary tokens: the blind mutator's own for the parser, given to
    /// LibAFL's token mutations too so both know the format alike.
    tokens: Vec<Vec<u8>>,
}

fn parser_setup(b: strata_guest_fuzz::FuzzTargetBuilder) -> strata_guest_fuzz::FuzzTargetBuilder {
    b.mount(campaign::MOUNT, campaign::prepare())
        .input(Input::File {
            mount: campaign::MOUNT.into(),
            path: "input".into(),
        })
        .args(&["target", "/work/input"])
}

fn magic_setup(b: strata_guest_fuzz::FuzzTargetBuilder) -> strata_guest_fuzz::FuzzTargetBuilder {
    b.args(&["magic"])
}

fn build(engine: &wasmtime::Engine, t: &Target, wasm: &[u8]) -> Arc<FuzzTarget> {
    let module = wasmtime::Module::new(engine, wasm).expect("compiles");
    let b = (t.setup)(FuzzTarget::builder(engine, &module)).fuel(campaign::FUEL);
    Arc::new(b.build().expect("links"))
}

/// (runs, time) to the first finding, if any within `budget`.
type Hit = Option<(u64, Duration)>;

fn libafl(engine: &wasmtime::Engine, t: &Target, cmplog: bool, seed: u64, budget: u64) -> Hit {
    let dir = std::env::temp_dir().join(format!(
        "strata-figures-{}-{}-{cmplog}-{seed}",
        std::process::id(),
        t.name
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let c = Campaign {
        seed,
        corpus_dir: dir.join("corpus"),
        crashes_dir: dir.join("crashes"),
        seeds: t.seeds.clone(),
        tokens: t.tokens.clone(),
        max_runs: Some(budget),
        max_time: None,
        keep_going: false,
        max_len: 4096,
    };
    let cov = build(
        engine,
        t,
        &instrument(t.wasm, &Options { cmplog: false }).unwrap(),
    );
    let tracer = cmplog.then(|| {
        build(
            engine,
            t,
            &instrument(t.wasm, &Options { cmplog: true }).unwrap(),
        )
    });
    let judge = Judge {
        fine_exits: t.fine.to_vec(),
        forbidden: Vec::new(),
    };
    let s = fuzzer::run(&c, cov, tracer, judge, &mut |_| {}).expect("campaign");
    let _ = std::fs::remove_dir_all(&dir);
    (!s.findings.is_empty()).then_some((s.stats.execs, s.stats.elapsed))
}

/// The blind mutator of the fuzz_guest example, one thread, over the target's seeds.
fn blind(engine: &wasmtime::Engine, t: &Target, seed: u64, budget: u64) -> Hit {
    let target = build(engine, t, t.wasm);
    let mut rng = campaign::Rng::new(seed);
    let start = Instant::now();
    for run in 1..=budget {
        let base = &t.seeds[(run as usize) % t.seeds.len()];
        let input = campaign::mutate(&mut rng, base);
        if target.run(&input).expect("runs").is_finding(t.fine) {
            return Some((run, start.elapsed()));
        }
    }
    None
}

fn median(mut hits: Vec<Hit>) -> String {
    let found: Vec<_> = hits.iter().flatten().copied().collect();
    hits.sort_by_key(|h| h.map_or(Duration::MAX, |(_, d)| d));
    let shown: Vec<String> = hits
        .iter()
        .map(|h| h.map_or("-".into(), |(r, d)| format!("{r}/{:.2}s", d.as_secs_f64())))
        .collect();
    let mid = &hits[hits.len() / 2];
    format!(
        "found {}/{}; median {}; runs/time per seed: {}",
        found.len(),
        hits.len(),
        mid.map_or("none within budget".into(), |(r, d)| format!(
            "{r} runs, {:.2}s",
            d.as_secs_f64()
        )),
        shown.join(" ")
    )
}

/// Runs per second of `target` on `input`, over `n` runs.
fn rate(target: &FuzzTarget, input: &[u8], n: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        target.run(input).expect("runs");
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn main() {
    let (mut seeds, mut budget) = (5u64, 200_000u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().and_then(|v| v.parse().ok());
        match (a.as_str(), v) {
            ("--seeds", Some(v)) => seeds = v,
            ("--budget", Some(v)) => budget = v,
            _ => {
                eprintln!("usage: figures [--seeds N] [--budget RUNS]");
                std::process::exit(2);
            }
        }
    }
    let engine = campaign::engine();
    let targets = [
        Target {
            name: "fuzz_guest",
            wasm: campaign::TARGET_WASM,
            setup: parser_setup,
            fine: campaign::EXPECTED_EXITS,
            seeds: campaign::SEEDS.iter().map(|s| s.to_vec()).collect(),
            tokens: campaign::DICTIONARY.iter().map(|s| s.to_vec()).collect(),
        },
        Target {
            name: "magic",
            wasm: MAGIC,
            setup: magic_setup,
            fine: &[0],
            seeds: vec![b"hello, world".to_vec()],
            tokens: Vec::new(),
        },
    ];
    for t in &targets {
        let plain = build(&engine, t, t.wasm);
        let cov = build(
            &engine,
            t,
            &instrument(t.wasm, &Options { cmplog: false }).unwrap(),
        );
        let input = &t.seeds[0];
        let (p, c) = (rate(&plain, input, 3000), rate(&cov, input, 3000));
        println!(
            "{}: fork+run {p:.0}/s plain, {c:.0}/s instrumented (slowdown {:.2}x), one core",
            t.name,
            p / c
        );
        for (fuzzer, f) in [
            ("libafl+cmplog", 0u8),
            ("libafl coverage only", 1),
            ("blind mutator", 2),
        ] {
            let hits: Vec<Hit> = (1..=seeds)
                .map(|seed| match f {
                    0 => libafl(&engine, t, true, seed, budget),
                    1 => libafl(&engine, t, false, seed, budget),
                    _ => blind(&engine, t, seed, budget),
                })
                .collect();
            println!("  {fuzzer:22} budget {budget}: {}", median(hits));
        }
    }
}
