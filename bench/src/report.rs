//! Statistics and the markdown table.

use std::fmt::Write as _;

use crate::runner::Setup;
use crate::workloads::ForkCase;
use crate::{CaseResult, ForkResult};

/// The median of `v` (mean of the middle two for an even count); 0 when empty.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// A duration in nanoseconds, in a readable unit.
pub fn human_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

/// Strata's speed-up over `baseline` for `phase`: the median over
/// repetitions of baseline time / Strata time, each pair from the same
/// repetition. `None` when either side was not measured.
pub fn speedup(result: &CaseResult, phase: &str, baseline: Setup) -> Option<f64> {
    speedup_of(result, phase, Setup::Strata, baseline)
}

/// [`speedup`] of any configuration `ours` (strata-p2 against wasmtime-p2, say).
pub fn speedup_of(result: &CaseResult, phase: &str, ours: Setup, baseline: Setup) -> Option<f64> {
    let s = result.samples.get(&(phase.to_owned(), ours))?;
    let b = result.samples.get(&(phase.to_owned(), baseline))?;
    let pairs: Vec<f64> = s
        .iter()
        .zip(b)
        .map(|(&s, &b)| b as f64 / (s.max(1)) as f64)
        .collect();
    Some(median(&pairs))
}

/// Whether the goal of `phase` is met: `Some(true/false)`, or `None` when
/// the phase has no goal or a needed baseline was not measured.
pub fn verdict(result: &CaseResult, phase: &str) -> Option<(bool, String)> {
    let goal = result.case.goal_for(phase)?;
    let mut ok = true;
    let mut why = Vec::new();
    if let Some(min) = goal.vs_blk {
        let r = speedup(result, phase, Setup::WasmtimeBlk)?;
        if r < min {
            ok = false;
            why.push(format!("{} vs blk < {}", ratio(r), ratio(min)));
        }
    }
    if let Some(min) = goal.vs_native {
        let r = speedup(result, phase, Setup::Native)?;
        if r < min {
            ok = false;
            why.push(format!("{} vs native < {}", ratio(r), ratio(min)));
        }
    }
    Some((ok, why.join("; ")))
}

/// The table header: one row per (workload, phase, configuration).
pub const HEADER: &str = "| workload | phase | config | runs | median | min | max | vs blk | vs default | vs native | goal | verdict |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n";

/// Renders the rows of one case.
pub fn case_rows(result: &CaseResult) -> String {
    let mut out = String::new();
    for phase in &result.phases {
        for setup in Setup::EVERY {
            if let Some((_, why)) = result.case.skip.iter().find(|(s, _)| *s == setup) {
                let _ = writeln!(
                    out,
                    "| {} | {phase} | {setup} | 0 | not run: {why} | | | | | | | |",
                    result.case.label
                );
                continue;
            }
            let Some(v) = result.samples.get(&(phase.clone(), setup)) else {
                continue;
            };
            let v: Vec<f64> = v.iter().map(|&x| x as f64).collect();
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(0.0, f64::max);
            let mut cols = vec![
                result.case.label.clone(),
                phase.clone(),
                setup.name().to_owned(),
                v.len().to_string(),
                human_ns(median(&v)),
                human_ns(min),
                human_ns(max),
            ];
            if setup == Setup::StrataP2 {
                // Components: `vs blk` is against wasmtime-p2 (blocking).
                for b in [Some(Setup::WasmtimeP2), None, Some(Setup::Native)] {
                    let r = b.and_then(|b| speedup_of(result, phase, setup, b));
                    cols.push(r.map(ratio).unwrap_or_default());
                }
                cols.extend([String::new(), String::new()]);
            } else if setup == Setup::Strata {
                for b in Setup::BASELINES {
                    cols.push(speedup(result, phase, b).map(ratio).unwrap_or_default());
                }
                match (result.case.goal_for(phase), verdict(result, phase)) {
                    (Some(g), Some((ok, why))) => {
                        cols.push(g.text.to_owned());
                        cols.push(if ok {
                            "**met**".to_owned()
                        } else {
                            format!("**missed** ({why})")
                        });
                    }
                    (Some(g), None) => {
                        cols.push(g.text.to_owned());
                        cols.push("not measured".to_owned());
                    }
                    _ => cols.extend([String::new(), String::new()]),
                }
            } else {
                cols.extend(std::iter::repeat_n(String::new(), 5));
            }
            let _ = writeln!(out, "| {} |", cols.join(" | "));
        }
    }
    out
}

/// Renders the fork-rate rows (runs per second; higher is better).
pub fn fork_rows(f: &ForkResult) -> String {
    let stats = |v: &[f64]| {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        (median(v), min, max)
    };
    let pairs: Vec<f64> = f
        .strata
        .iter()
        .zip(&f.cp)
        .map(|(s, c)| s / c.max(1e-9))
        .collect();
    let vs_cp = median(&pairs);
    let (sm, smin, smax) = stats(&f.strata);
    let (cm, cmin, cmax) = stats(&f.cp);
    let ok = sm >= ForkCase::MIN_RATE && vs_cp >= ForkCase::MIN_VS_CP;
    let mut why = Vec::new();
    if sm < ForkCase::MIN_RATE {
        why.push(format!("{sm:.0} runs/s < 5,000"));
    }
    if vs_cp < ForkCase::MIN_VS_CP {
        why.push(format!("{} vs cp -a < 100×", ratio(vs_cp)));
    }
    let verdict = if ok {
        "**met**".to_owned()
    } else {
        format!("**missed** ({})", why.join("; "))
    };
    let window = f.case.window_ms;
    let n = f.strata.len();
    format!(
        "| fork rate ({window} ms windows) | runs/s | strata (restore + run) | {n} | {sm:.0}/s | {smin:.0}/s | {smax:.0}/s | {} (vs cp -a + blk) | | | {} | {verdict} |\n\
         | fork rate ({window} ms windows) | runs/s | cp -a + wasmtime-blk | {n} | {cm:.0}/s | {cmin:.0}/s | {cmax:.0}/s | | | | | |\n",
        ratio(vs_cp),
        ForkCase::GOAL,
    )
}

/// The whole table.
pub fn markdown(cases: &[CaseResult], fork: Option<&ForkResult>) -> String {
    let mut out = String::from(HEADER);
    for c in cases {
        out.push_str(&case_rows(c));
    }
    if let Some(f) = fork {
        out.push_str(&fork_rows(f));
    }
    out
}

/// `nproc`, the CPU model and the memory of this machine, as markdown lines.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown", str::trim)
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or("unknown".to_owned(), |kb| {
            format!("{:.1} GiB", kb / 1048576.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    format!("- nproc: {cpus}\n- CPU: {model}\n- memory: {mem}\n- kernel: Linux {kernel}\n")
}
