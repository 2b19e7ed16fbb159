//! The engine's and the snapshot store's criterion benchmarks, run by the
//! harness so their figures (and each bench process's peak memory) land in
//! the same report as the workload comparisons.
//!
//! The bench binaries are built with `cargo bench --no-run`, then each runs
//! as a child process with its own `CRITERION_HOME`; the medians are read back
//! from criterion's `estimates.json` files. Peak memory is the child's
//! `VmHWM` from `/proc`, sampled while it runs (the high-water mark only
//! grows, so the last sample before exit is at most one interval late).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use wasmtime::{Result, bail, format_err};

use crate::report::human_ns;

/// Packages whose criterion benches the harness runs.
pub const PACKAGES: [&str; 2] = ["strata-engine", "strata-snapshots"];

/// How often the child's memory high-water mark is read.
const RSS_INTERVAL: Duration = Duration::from_millis(20);

/// What a bench binary prints that the report keeps (lines starting so).
const KEPT_LINES: [&str; 2] = ["bytes per file beyond content", "== "];

/// One criterion benchmark's result.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Criterion's id below the output directory, e.g. `snapshot/restore/100000`.
    pub id: String,
    /// Median time per iteration, nanoseconds.
    pub median_ns: f64,
    /// Bytes processed per iteration, when the benchmark declared it.
    pub bytes: Option<u64>,
}

/// One bench binary's run.
#[derive(Debug, Clone)]
pub struct BenchRun {
    /// The package it belongs to.
    pub package: String,
    /// The bench target's name.
    pub target: String,
    /// Peak resident memory of the process, KiB.
    pub peak_rss_kib: u64,
    /// Its benchmarks, sorted by id.
    pub results: Vec<Measurement>,
    /// Summary lines it printed (memory per file and the like).
    pub notes: Vec<String>,
}

/// A goal from issue 5 (or the engine issue) for one benchmark.
#[derive(Debug, Clone, Copy)]
struct Goal {
    package: &'static str,
    /// Matches ids that contain all these parts.
    id_parts: &'static [&'static str],
    text: &'static str,
    check: Check,
}

#[derive(Debug, Clone, Copy)]
enum Check {
    AtMostNs(f64),
    AtLeastBytesPerSec(f64),
}

const GOALS: [Goal; 6] = [
    Goal {
        package: "strata-engine",
        id_parts: &["snapshot/snapshot/100000"],
        text: "< 10 µs",
        check: Check::AtMostNs(10_000.0),
    },
    Goal {
        package: "strata-engine",
        id_parts: &["snapshot/restore/100000"],
        text: "< 10 µs",
        check: Check::AtMostNs(10_000.0),
    },
    Goal {
        package: "strata-snapshots",
        id_parts: &["save/full"],
        text: "≥ 1 GB/s",
        check: Check::AtLeastBytesPerSec(1e9),
    },
    Goal {
        package: "strata-snapshots",
        id_parts: &["save/incremental", "100000"],
        text: "< 5 ms",
        check: Check::AtMostNs(5e6),
    },
    Goal {
        package: "strata-snapshots",
        id_parts: &["load/100000"],
        text: "< 1 s",
        check: Check::AtMostNs(1e9),
    },
    Goal {
        package: "strata-snapshots",
        id_parts: &["diff_one_change", "100000"],
        text: "< 1 ms",
        check: Check::AtMostNs(1e6),
    },
];

fn goal_for(package: &str, id: &str) -> Option<Goal> {
    GOALS
        .into_iter()
        .find(|g| g.package == package && g.id_parts.iter().all(|p| id.contains(p)))
}

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

/// Builds the bench binaries of [`PACKAGES`]; returns (package, target, path).
fn build() -> Result<Vec<(String, String, PathBuf)>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["bench", "--no-run", "--message-format=json"])
        .stderr(Stdio::inherit());
    for p in PACKAGES {
        cmd.args(["-p", p]);
    }
    let out = cmd.output()?;
    if !out.status.success() {
        bail!("cargo bench --no-run failed ({})", out.status);
    }
    let mut bins = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if !line.contains("\"compiler-artifact\"") || !line.contains("\"kind\":[\"bench\"]") {
            continue;
        }
        let (Some(exe), Some(pkg), Some(name)) = (
            json_str(line, "executable"),
            json_str(line, "package_id"),
            json_str(line, "name"),
        ) else {
            continue;
        };
        // A package id ends in `…#name@version` (or `…/name#version`).
        let pkg = pkg
            .rsplit_once('#')
            .map(|(l, r)| match r.split_once('@') {
                Some((n, _)) => n.to_owned(),
                None => l.rsplit('/').next().unwrap_or(l).to_owned(),
            })
            .unwrap_or_default();
        bins.push((pkg, name, PathBuf::from(exe)));
    }
    if bins.is_empty() {
        bail!("cargo bench --no-run listed no bench executables");
    }
    Ok(bins)
}

/// The string value of the first `"key":"…"` in a JSON line (no escapes in
/// the values we read: paths, names and package ids).
fn json_str(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":\"");
    let start = line.find(&pat)? + pat.len();
    let end = line[start..].find('"')?;
    Some(line[start..start + end].to_owned())
}

/// The number after the first `"key":` following `after` in `text`.
fn json_num_after(text: &str, after: &str, key: &str) -> Option<f64> {
    let from = text.find(after)?;
    let rest = &text[from..];
    let pat = format!("\"{key}\":");
    let start = rest.find(&pat)? + pat.len();
    let num: String = rest[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    num.parse().ok()
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Runs one bench binary with its own criterion output directory.
fn run_one(package: &str, target: &str, exe: &Path, quick: bool) -> Result<BenchRun> {
    let home = tempfile::tempdir()?;
    let mut cmd = Command::new(exe);
    cmd.arg("--bench")
        .env("CRITERION_HOME", home.path())
        .current_dir(workspace_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if quick {
        cmd.arg("--quick");
    } else {
        // The engine bench's 1,000,000-file series is opt-in (it takes
        // ~1.5 GB and a minute to build).
        cmd.env("STRATA_BENCH_1M", "1");
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| format_err!("no stdout"))?;
    let reader = thread::spawn(move || {
        let mut notes = Vec::new();
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::io::Result::ok)
        {
            eprintln!("  {line}");
            if KEPT_LINES.iter().any(|k| line.starts_with(k)) {
                notes.push(line);
            }
        }
        notes
    });
    let mut peak = 0;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        peak = peak.max(vm_hwm_kib(pid).unwrap_or(0));
        thread::sleep(RSS_INTERVAL);
    };
    let notes = reader.join().unwrap_or_default();
    if !status.success() {
        bail!("bench {package}/{target} failed ({status})");
    }
    let mut results = Vec::new();
    collect(home.path(), home.path(), &mut results)?;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(BenchRun {
        package: package.to_owned(),
        target: target.to_owned(),
        peak_rss_kib: peak,
        results,
        notes,
    })
}

/// Reads every `…/new/estimates.json` below `dir`.
fn collect(home: &Path, dir: &Path, out: &mut Vec<Measurement>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let estimates = std::fs::read_to_string(path.join("estimates.json"))?;
            let Some(median_ns) = json_num_after(&estimates, "\"median\"", "point_estimate") else {
                bail!("no median in {}", path.display());
            };
            let bench = std::fs::read_to_string(path.join("benchmark.json")).unwrap_or_default();
            let bytes = json_num_after(&bench, "\"throughput\"", "Bytes").map(|b| b as u64);
            let id = path
                .parent()
                .and_then(|p| p.strip_prefix(home).ok())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(Measurement {
                id,
                median_ns,
                bytes,
            });
        } else if path.file_name().is_some_and(|n| n != "report") {
            collect(home, &path, out)?;
        }
    }
    Ok(())
}

/// Builds and runs every criterion bench of [`PACKAGES`]; `quick` passes
/// criterion's `--quick` (and skips the 1M-file series).
pub fn run_all(quick: bool) -> Result<Vec<BenchRun>> {
    let mut runs = Vec::new();
    for (package, target, exe) in build()? {
        eprintln!("criterion: {package}/{target} ...");
        runs.push(run_one(&package, &target, &exe, quick)?);
    }
    Ok(runs)
}

fn throughput(m: &Measurement) -> Option<f64> {
    m.bytes.map(|b| b as f64 / (m.median_ns.max(1e-9) / 1e9))
}

fn human_rate(bytes_per_sec: f64) -> String {
    if bytes_per_sec >= 1e9 {
        format!("{:.2} GB/s", bytes_per_sec / 1e9)
    } else {
        format!("{:.0} MB/s", bytes_per_sec / 1e6)
    }
}

/// The verdict on `m` against its goal, if it has one.
fn verdict(package: &str, m: &Measurement) -> Option<(&'static str, bool)> {
    let g = goal_for(package, &m.id)?;
    let ok = match g.check {
        Check::AtMostNs(max) => m.median_ns < max,
        Check::AtLeastBytesPerSec(min) => throughput(m).is_some_and(|t| t >= min),
    };
    Some((g.text, ok))
}

/// The markdown section for the criterion runs.
pub fn markdown(runs: &[BenchRun]) -> String {
    let mut out = String::from(
        "| bench | benchmark | median | throughput | goal | verdict |\n|---|---|---:|---:|---|---|\n",
    );
    for r in runs {
        for m in &r.results {
            let (goal, verdict) = match verdict(&r.package, m) {
                Some((g, true)) => (g, "**met**"),
                Some((g, false)) => (g, "**missed**"),
                None => ("", ""),
            };
            let _ = writeln!(
                out,
                "| {}/{} | {} | {} | {} | {goal} | {verdict} |",
                r.package,
                r.target,
                m.id,
                human_ns(m.median_ns),
                throughput(m).map(human_rate).unwrap_or_default(),
            );
        }
    }
    out.push_str("\nPeak resident memory of each bench process, and what it printed:\n\n");
    for r in runs {
        let _ = writeln!(
            out,
            "- {}/{}: peak RSS {:.1} MiB",
            r.package,
            r.target,
            r.peak_rss_kib as f64 / 1024.0
        );
        for n in &r.notes {
            let _ = writeln!(
                out,
                "  - {}",
                n.trim_start_matches("== ").trim_end_matches(" ==")
            );
        }
    }
    out
}

/// This process's own peak resident memory, KiB.
pub fn self_peak_rss_kib() -> u64 {
    vm_hwm_kib(std::process::id()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_and_criterion_json() {
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/engine#strata-engine@0.1.0","target":{"kind":["bench"],"name":"engine"},"executable":"/w/target/release/deps/engine-123"}"#;
        assert_eq!(
            json_str(line, "executable").as_deref(),
            Some("/w/target/release/deps/engine-123")
        );
        assert_eq!(json_str(line, "name").as_deref(), Some("engine"));
        let est = r#"{"mean":{"point_estimate":5.0},"median":{"confidence_interval":{"lower_bound":1.0},"point_estimate":34.25,"standard_error":0.1}}"#;
        assert_eq!(
            json_num_after(est, "\"median\"", "point_estimate"),
            Some(34.25)
        );
        let bench = r#"{"group_id":"save","throughput":{"Bytes":268435456}}"#;
        assert_eq!(
            json_num_after(bench, "\"throughput\"", "Bytes"),
            Some(268435456.0)
        );
    }

    #[test]
    fn goals_decide_verdicts() {
        let fast = Measurement {
            id: "snapshot/snapshot/100000".into(),
            median_ns: 34.0,
            bytes: None,
        };
        assert_eq!(verdict("strata-engine", &fast), Some(("< 10 µs", true)));
        let slow = Measurement {
            median_ns: 20_000.0,
            ..fast.clone()
        };
        assert_eq!(verdict("strata-engine", &slow), Some(("< 10 µs", false)));
        let save = Measurement {
            id: "save/full_fs".into(),
            median_ns: 1e9,
            bytes: Some(512 << 20),
        };
        assert_eq!(
            verdict("strata-snapshots", &save),
            Some(("≥ 1 GB/s", false))
        );
        // Other benches with "full" in their names have no throughput goal.
        let checkout = Measurement {
            id: "checkout/full_10000".into(),
            median_ns: 1e9,
            bytes: None,
        };
        assert_eq!(verdict("strata-snapshots", &checkout), None);
        let diff = Measurement {
            id: "diff_one_change_fs_100000".into(),
            median_ns: 2e5,
            bytes: None,
        };
        assert_eq!(verdict("strata-snapshots", &diff), Some(("< 1 ms", true)));
        let other = Measurement {
            id: "meta_10k/unlink".into(),
            median_ns: 1.0,
            bytes: None,
        };
        assert_eq!(verdict("strata-engine", &other), None);
    }
}
