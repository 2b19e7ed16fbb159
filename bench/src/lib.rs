//! The comparison harness of issue 5: C workloads run under Strata, under
//! wasmtime-wasi 48 preview 1 (with and without blocking allowed) and
//! natively, interleaved in one run, with ratios computed pair by pair.
//!
//! [`measure`] runs the cases of a [`Size`]; [`report::markdown`] renders the
//! table. The `strata-bench` binary is the command line.
#![deny(missing_docs)]

pub mod component;
pub mod micro;
pub mod report;
pub mod runner;
pub mod workloads;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_engine::{Config as FsConfig, Fs, HostLower};
use wasmtime::{Result, bail, format_err};

pub use runner::{Runner, Setup};
pub use workloads::{Case, ForkCase, Kind, Size};

/// The samples of one case: per phase and configuration, one value per
/// repetition (nanoseconds), in repetition order.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// Phases in the order the program printed them (`total` last when the
    /// program has several).
    pub phases: Vec<String>,
    /// `(phase, setup)` → nanoseconds per repetition.
    pub samples: BTreeMap<(String, Setup), Vec<u64>>,
    /// The checksum every run printed.
    pub checksum: String,
}

/// Fork-rate samples: runs per second in each window.
#[derive(Debug, Clone)]
pub struct ForkResult {
    /// The measurement's parameters.
    pub case: ForkCase,
    /// Strata: restore a snapshot + instantiate + run, per window.
    pub strata: Vec<f64>,
    /// `cp -a` of the template + wasmtime-wasi (blk) run, per window.
    pub cp: Vec<f64>,
    /// The checksum every run printed.
    pub checksum: String,
}

/// A scratch directory on tmpfs (`/dev/shm` when it exists).
pub fn scratch_dir() -> Result<tempfile::TempDir> {
    let shm = Path::new("/dev/shm");
    let mut b = tempfile::Builder::new();
    b.prefix("strata-bench");
    Ok(if shm.is_dir() {
        b.tempdir_in(shm)?
    } else {
        b.tempdir()?
    })
}

fn check_checksum(expected: &mut Option<String>, got: &str, what: &str) -> Result<()> {
    match expected {
        None => *expected = Some(got.to_owned()),
        Some(e) if e == got => {}
        Some(e) => bail!("checksum mismatch in {what}: {got} where other runs gave {e}"),
    }
    Ok(())
}

/// Runs `case` `reps` times under every setup in `setups` (which must
/// include [`Setup::Strata`] for ratios), interleaved: repetition `r` runs
/// the setups in an order rotated by `r`. A setup whose run takes longer
/// than `slow_run` is not repeated. Fails when two runs print
/// different checksums or phases.
pub fn run_case(
    runner: &Runner,
    case: &Case,
    setups: &[Setup],
    reps: usize,
    slow_run: Duration,
    scratch: &Path,
) -> Result<CaseResult> {
    let mut capped = std::collections::BTreeSet::new();
    let mut samples: BTreeMap<(String, Setup), Vec<u64>> = BTreeMap::new();
    let mut phases: Option<Vec<String>> = None;
    let mut checksum = None;
    let tree = match case.kind {
        Kind::TreeWalk { files, file_size } => {
            let dir = scratch.join("tree");
            make_tree(&dir, files, file_size)?;
            Some(dir)
        }
        Kind::Fresh => None,
    };
    for rep in 0..reps {
        for i in 0..setups.len() {
            let setup = setups[(i + rep) % setups.len()];
            if capped.contains(&setup) || case.skip.iter().any(|(s, _)| *s == setup) {
                continue;
            }
            let what = format!("{} under {setup}", case.label);
            let outputs = match &tree {
                None => {
                    let dir = scratch.join(format!("run-{rep}-{}", setup.name()));
                    std::fs::create_dir(&dir)?;
                    let out = runner.run(setup, case.program, &dir, &case.args)?;
                    std::fs::remove_dir_all(&dir)?;
                    vec![(None, out)]
                }
                Some(dir) => {
                    let (cold, warm) = walk_twice(runner, setup, case, dir)?;
                    vec![(Some("-cold"), cold), (Some("-warm"), warm)]
                }
            };
            let wall: Duration = outputs.iter().map(|(_, o)| o.wall).sum();
            if wall > slow_run {
                capped.insert(setup);
            }
            let mut got = Vec::new();
            for (suffix, out) in outputs {
                check_checksum(&mut checksum, &out.checksum, &what)?;
                for (phase, ns) in out.phases {
                    got.push((format!("{phase}{}", suffix.unwrap_or("")), ns));
                }
            }
            if got.len() > 1 && tree.is_none() {
                let total = got.iter().map(|(_, ns)| ns).sum();
                got.push(("total".to_owned(), total));
            }
            let names: Vec<String> = got.iter().map(|(p, _)| p.clone()).collect();
            match &phases {
                None => phases = Some(names),
                Some(p) if *p == names => {}
                Some(p) => bail!("{what}: phases {names:?} differ from {p:?}"),
            }
            for (phase, ns) in got {
                samples.entry((phase, setup)).or_default().push(ns);
            }
        }
    }
    if let Some(dir) = tree {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(CaseResult {
        case: case.clone(),
        phases: phases.unwrap_or_default(),
        samples,
        checksum: checksum.unwrap_or_default(),
    })
}

/// Tree walk: a cold run (fresh lower layer / fresh context) and a warm one
/// (Strata: a fork of the same overlay, sharing the lower layer's cache).
fn walk_twice(
    runner: &Runner,
    setup: Setup,
    case: &Case,
    dir: &Path,
) -> Result<(runner::Output, runner::Output)> {
    match setup {
        Setup::Strata | Setup::StrataP2 => {
            let lower = Arc::new(HostLower::open(dir)?);
            let fs = Fs::with_lower(lower, FsConfig::default())?;
            let start = fs.snapshot();
            let run = |fs| match setup {
                Setup::Strata => runner.run_strata(case.program, fs, &case.args),
                _ => runner.run_strata_p2(case.program, fs, &case.args),
            };
            let (cold, _) = run(fs)?;
            let (warm, _) = run(Fs::from_snapshot(&start))?;
            Ok((cold, warm))
        }
        _ => Ok((
            runner.run(setup, case.program, dir, &case.args)?,
            runner.run(setup, case.program, dir, &case.args)?,
        )),
    }
}

/// Writes `files` files of `file_size` deterministic bytes, 100 per
/// directory.
pub fn make_tree(dir: &Path, files: usize, file_size: usize) -> Result<()> {
    std::fs::create_dir(dir)?;
    let mut data = vec![0u8; file_size];
    for i in 0..files {
        let sub = dir.join(format!("d{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir(&sub)?;
        }
        for (j, b) in data.iter_mut().enumerate() {
            *b = (i.wrapping_mul(131) ^ j.wrapping_mul(7)) as u8;
        }
        std::fs::write(sub.join(format!("f{:05}", i)), &data)?;
    }
    Ok(())
}

/// Workload 8: in `reps` windows each, counts Strata forks (restore a
/// snapshot of the 1,000-file template + instantiate + run `forkjob`) and
/// `cp -a` of the template directory + a wasmtime-wasi (blk) run.
pub fn run_fork(
    runner: &Runner,
    case: ForkCase,
    reps: usize,
    scratch: &Path,
) -> Result<ForkResult> {
    let job = workloads::program("forkjob");
    let setup_args = vec!["setup".to_owned()];
    let (_, template) = runner.run_strata(job, Fs::new(FsConfig::default()), &setup_args)?;
    let host_template = scratch.join("template");
    std::fs::create_dir(&host_template)?;
    runner.run_native(job, &host_template, &setup_args)?;
    let window = Duration::from_millis(case.window_ms);
    let mut strata = Vec::new();
    let mut cp = Vec::new();
    let mut checksum = None;
    for rep in 0..reps {
        for which in 0..2 {
            if (which + rep) % 2 == 0 {
                let t0 = Instant::now();
                let mut n = 0u64;
                while t0.elapsed() < window {
                    let (out, _) = runner.run_strata(job, Fs::from_snapshot(&template), &[])?;
                    check_checksum(&mut checksum, &out.checksum, "fork rate (strata)")?;
                    n += 1;
                }
                strata.push(n as f64 / t0.elapsed().as_secs_f64());
            } else {
                let forks = scratch.join(format!("forks-{rep}"));
                std::fs::create_dir(&forks)?;
                let t0 = Instant::now();
                let mut n = 0u64;
                while t0.elapsed() < window {
                    let dir: PathBuf = forks.join(n.to_string());
                    let status = Command::new("cp")
                        .arg("-a")
                        .arg(&host_template)
                        .arg(&dir)
                        .status()?;
                    if !status.success() {
                        bail!("cp -a failed: {status}");
                    }
                    let out = runner.run_wasmtime(job, &dir, &[], true)?;
                    check_checksum(&mut checksum, &out.checksum, "fork rate (cp -a)")?;
                    n += 1;
                }
                cp.push(n as f64 / t0.elapsed().as_secs_f64());
                std::fs::remove_dir_all(&forks)?;
            }
        }
    }
    std::fs::remove_dir_all(&host_template)?;
    Ok(ForkResult {
        case,
        strata,
        cp,
        checksum: checksum.ok_or_else(|| format_err!("no fork runs"))?,
    })
}
