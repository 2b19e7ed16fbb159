//! `strata run --fork-bench N`: many runs of one guest, each in a fresh context forked in O(1)
//! from one prepared snapshot, from one or several threads; reports runs per second.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use strata_engine::{Fs, Snapshot};
use strata_wasi::StrataCtxBuilder;

use crate::guest::{self, Outcome, Prepared};

/// How the runs of one thread (or all of them) ended.
#[derive(Debug, Default)]
struct Tally {
    /// Exit status → runs.
    exits: BTreeMap<i32, u64>,
    traps: u64,
    /// The first trap's report, shown once.
    first_trap: Option<String>,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Exit(s) => *self.exits.entry(s).or_default() += 1,
            Outcome::Trap(trap) => {
                self.traps += 1;
                self.first_trap.get_or_insert_with(|| trap.to_string());
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        for (s, n) in other.exits {
            *self.exits.entry(s).or_default() += n;
        }
        self.traps += other.traps;
        if self.first_trap.is_none() {
            self.first_trap = other.first_trap;
        }
    }
}

/// Runs the guest `n` times over forks of `snaps` (guest path → state), split
/// across `threads` threads, with stdio discarded. `make` gives each run its
/// arguments and environment. Exits 0 when every run could start, whatever
/// the guest did; the summary goes to stderr.
pub(crate) fn run(
    pre: &Prepared,
    make: &(dyn Fn() -> StrataCtxBuilder + Sync),
    snaps: &[(String, Snapshot)],
    n: u64,
    threads: usize,
) -> Result<ExitCode> {
    let threads = threads.max(1);
    let t = Instant::now();
    let tally = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads as u64)
            .map(|i| {
                // Split n as evenly as possible: the first n % threads get one more.
                let share = n / threads as u64 + u64::from(i < n % threads as u64);
                s.spawn(move || runs(pre, make, snaps, share))
            })
            .collect();
        let mut all = Tally::default();
        for w in workers {
            match w.join() {
                Ok(r) => all.merge(r?),
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        anyhow::Ok(all)
    })?;
    let secs = t.elapsed().as_secs_f64();
    let rate = if secs > 0.0 { n as f64 / secs } else { 0.0 };
    eprintln!(
        "fork-bench: {n} runs in {secs:.3} s on {threads} thread{}: {rate:.1} runs/s",
        if threads == 1 { "" } else { "s" }
    );
    let mut parts: Vec<String> = tally
        .exits
        .iter()
        .map(|(s, c)| format!("exit {s}: {c}"))
        .collect();
    if tally.traps > 0 {
        parts.push(format!("trap: {}", tally.traps));
    }
    eprintln!("fork-bench: {}", parts.join(", "));
    if let Some(report) = tally.first_trap {
        let first = report.lines().next().unwrap_or_default();
        eprintln!("fork-bench: first trap: {first}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `count` runs on this thread, each in a new context whose mounts are forks
/// of `snaps`.
fn runs(
    pre: &Prepared,
    make: &(dyn Fn() -> StrataCtxBuilder + Sync),
    snaps: &[(String, Snapshot)],
    count: u64,
) -> Result<Tally> {
    let mut tally = Tally::default();
    for _ in 0..count {
        let mut b = make();
        for (guest, snap) in snaps {
            b.preopen(guest, Fs::from_snapshot(snap));
        }
        // The builder's default stdio: empty stdin, stdout and stderr discarded.
        let (_, outcome) = guest::run(pre, &mut b).context("fork-bench run")?;
        tally.add(outcome);
    }
    Ok(tally)
}
