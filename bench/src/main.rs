//! `strata-bench`: runs the comparison workloads and prints (and, for a full
//! run, writes to BENCHMARKS.md) the markdown table.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use strata_bench::{ForkCase, Runner, Setup, Size, micro, report, run_case, run_fork, scratch_dir};

const USAGE: &str = "usage: strata-bench [--quick | --tiny] [--reps N] [--only NAME,...] [--setups NAME,...] [--out FILE]

  (default)   full sizes of issue 5; writes BENCHMARKS.md at the repository root
  --quick     reduced sizes, under two minutes; prints the table only
  --tiny      smallest sizes (what the test suite runs)
  --reps N    repetitions per configuration (default 5)
  --only      cases whose label starts with one of the names (e.g. readdir,metadata,fork)
  --setups    configurations to run (strata,wasmtime-blk,wasmtime-default,native;
              components: strata-p2,wasmtime-p2, compared with each other)
  --out FILE  also write the report to FILE (a full run defaults to BENCHMARKS.md)
  --no-micro  skip the engine and snapshot criterion benches (a full run includes
              them; --quick runs them only when --only names `micro`)";

/// Text after this marker in an existing report is kept on rewrite.
const ANALYSIS_MARKER: &str = "<!-- analysis: kept across runs -->";

struct Options {
    size: Size,
    reps: usize,
    only: Option<Vec<String>>,
    setups: Vec<Setup>,
    out: Option<PathBuf>,
    micro: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        size: Size::Full,
        reps: 5,
        only: None,
        setups: Setup::ALL.to_vec(),
        out: None,
        micro: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--quick" => o.size = Size::Quick,
            "--tiny" => o.size = Size::Tiny,
            "--reps" => {
                o.reps = value()?
                    .parse()
                    .map_err(|_| "--reps needs a number".to_owned())?;
                if o.reps == 0 {
                    return Err("--reps must be at least 1".to_owned());
                }
            }
            "--only" => o.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--setups" => {
                let v = value()?;
                o.setups = v
                    .split(',')
                    .map(|n| {
                        Setup::EVERY
                            .into_iter()
                            .find(|s| s.name() == n)
                            .ok_or(format!("unknown setup {n}"))
                    })
                    .collect::<Result<_, _>>()?;
                if !o.setups.contains(&Setup::Strata) {
                    o.setups.insert(0, Setup::Strata);
                }
            }
            "--out" => o.out = Some(PathBuf::from(value()?)),
            "--no-micro" => o.micro = false,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if o.size == Size::Full && o.out.is_none() && o.only.is_none() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        o.out = Some(manifest.parent().unwrap_or(manifest).join("BENCHMARKS.md"));
    }
    Ok(o)
}

fn selected(only: &Option<Vec<String>>, label: &str) -> bool {
    only.as_ref()
        .is_none_or(|names| names.iter().any(|n| label.starts_with(n.as_str())))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    match run(&opts, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strata-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options, args: &[String]) -> wasmtime::Result<()> {
    let started = Instant::now();
    eprintln!("compiling workloads (wasmtime and native cc -O2) ...");
    let runner = Runner::new()?;
    let scratch = scratch_dir()?;
    let mut results = Vec::new();
    for case in strata_bench::workloads::cases(opts.size) {
        if !selected(&opts.only, &case.label) {
            continue;
        }
        let t0 = Instant::now();
        let r = run_case(
            &runner,
            &case,
            &opts.setups,
            opts.reps,
            opts.size.slow_run(),
            scratch.path(),
        )?;
        eprintln!(
            "{}: {:.1} s, checksum {}",
            case.label,
            t0.elapsed().as_secs_f64(),
            r.checksum
        );
        eprint!("{}", report::case_rows(&r));
        results.push(r);
    }
    let fork = if selected(&opts.only, "fork rate") {
        let t0 = Instant::now();
        let f = run_fork(&runner, ForkCase::new(opts.size), opts.reps, scratch.path())?;
        eprintln!("fork rate: {:.1} s", t0.elapsed().as_secs_f64());
        Some(f)
    } else {
        None
    };
    let micro_wanted = match opts.size {
        Size::Full => selected(&opts.only, "micro"),
        _ => opts
            .only
            .as_ref()
            .is_some_and(|o| o.iter().any(|n| n == "micro")),
    };
    let micro = if opts.micro && micro_wanted {
        let t0 = Instant::now();
        let runs = micro::run_all(opts.size != Size::Full)?;
        eprintln!("criterion benches: {:.1} s", t0.elapsed().as_secs_f64());
        Some(micro::markdown(&runs))
    } else {
        None
    };
    let table = report::markdown(&results, fork.as_ref());
    println!("{table}");
    if let Some(m) = &micro {
        println!("{m}");
    }
    let peak = micro::self_peak_rss_kib() as f64 / 1024.0;
    eprintln!("harness peak RSS {peak:.1} MiB");
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!("total {elapsed:.1} s");
    if let Some(path) = &opts.out {
        let command = if args.is_empty() {
            "cargo run --release -p strata-bench".to_owned()
        } else {
            format!("cargo run --release -p strata-bench -- {}", args.join(" "))
        };
        let kept = std::fs::read_to_string(path)
            .ok()
            .and_then(|old| old.find(ANALYSIS_MARKER).map(|i| old[i..].to_owned()))
            .unwrap_or_else(|| format!("{ANALYSIS_MARKER}\n"));
        let doc = format!(
            "# Benchmarks\n\n\
             Strata against wasmtime-wasi 48 preview 1 (`wasmtime-blk`: \
             `allow_blocking_current_thread(true)`; `wasmtime-default`), and the same C \
             workload compiled natively (`cc -O2`), all on tmpfs, interleaved in one run \
             (issue 5). Times are measured by a monotonic clock inside the guest around the \
             measured phase (setup excluded). Ratio columns are Strata's speed-up \
             (baseline time / Strata time, > 1 means Strata is faster), the median of the \
             per-repetition pairs. Workloads: `bench/workloads/*.c`; harness: `bench/`.\n\n\
             ## Command\n\n    {command}\n\n({} repetitions, {elapsed:.0} s in all.)\n\n\
             ## Machine\n\n{}\n## Results\n\n{table}\n\
             Peak resident memory of the harness process (every Strata and \
             wasmtime-wasi run happens in it; native runs are children): \
             {peak:.1} MiB.\n\n{}{kept}",
            opts.reps,
            report::machine(),
            micro.as_ref().map_or(String::new(), |m| format!(
                "## Engine and snapshot micro-benchmarks (criterion)\n\n\
                 Run by the same command: each `cargo bench` target of strata-engine and \
                 strata-snapshots in its own process (median per iteration; goals from \
                 issues 2, 4 and 5).\n\n{m}\n"
            )),
        );
        std::fs::write(path, doc)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
