//! Fuzzes a WASI program with Strata: one prepared snapshot, an O(1) fork per input, several threads.
//!
//! ```text
//! cargo run --release -p strata-guest-fuzz --example fuzz_guest -- \
//!     [--threads N] [--runs N] [--seed N] [--out DIR]
//! ```
//!
//! Runs the bundled target (`target.c`, a config-file parser with a planted
//! bug) on mutated inputs until `--runs` inputs per thread (default 100,000)
//! or every distinct finding so far is in; prints runs per second and each
//! finding (a trap, or an exit code other than 0 and 1) with the input that
//! caused it, and writes those inputs to `--out` when given. Exits 1 when it
//! found something. `docs/FUZZING.md` explains how to point it at your own
//! program.

mod campaign;

use std::process::ExitCode;

use strata_guest_fuzz::Outcome;

fn usage() -> ! {
    eprintln!("usage: fuzz_guest [--threads N] [--runs N] [--seed N] [--out DIR]");
    std::process::exit(2);
}

fn main() -> ExitCode {
    let (mut threads, mut runs, mut seed, mut out) = (2usize, 100_000u64, 1u64, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--threads" => threads = value().parse().unwrap_or_else(|_| usage()),
            "--runs" => runs = value().parse().unwrap_or_else(|_| usage()),
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage()),
            "--out" => out = Some(std::path::PathBuf::from(value())),
            _ => usage(),
        }
    }

    // Prepared once; every run below forks it.
    let snap = campaign::prepare();
    let engine = campaign::engine();
    let target = campaign::target(&engine, snap);
    // Stop once four distinct findings are in (the parser has two bugs).
    let summary = campaign::campaign(&target, threads.max(1), runs, seed, 4);

    let secs = summary.elapsed.as_secs_f64();
    println!(
        "{} runs on {} threads in {:.2} s: {:.0} runs/s",
        summary.runs,
        threads,
        secs,
        summary.runs as f64 / secs.max(1e-9)
    );
    if let Some(dir) = &out
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("fuzz_guest: cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    for (i, (what, f)) in summary.findings.iter().enumerate() {
        println!("finding {}: {what}", i + 1);
        println!("  input: {:?}", String::from_utf8_lossy(&f.input));
        if let Outcome::Trapped { message, .. } = &f.outcome {
            for line in message.lines() {
                println!("  | {line}");
            }
        }
        if let Some(dir) = &out {
            let path = dir.join(format!("finding-{}.txt", i + 1));
            if let Err(e) = std::fs::write(&path, &f.input) {
                eprintln!("fuzz_guest: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            println!("  saved: {}", path.display());
        }
    }
    if summary.findings.is_empty() {
        println!("no findings");
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
