//! The LibAFL executor over a [`FuzzTarget`]: one run is one O(1) fork of the prepared snapshots, judged by the [`Judge`].
//!
//! Why not LibAFL's `InProcessExecutor`: it installs its own SIGSEGV/SIGBUS/
//! SIGFPE handlers, which would take the signals wasmtime uses to implement
//! wasm traps (out-of-bounds accesses, divisions by zero) and turn every
//! guest trap into the death of the fuzzer; and its harness reaches the map
//! through a raw pointer, which would need `unsafe`. A guest cannot crash
//! the host process, so a plain in-process call suffices: `run_target` runs
//! the target, copies its counters into the map observer, and tells LibAFL
//! how the run ended.

use std::sync::{Arc, Mutex};

use libafl::Error;
use libafl::executors::{Executor, ExitKind, HasObservers};
use libafl::inputs::{BytesInput, HasTargetBytes};
use libafl::observers::{ExplicitTracking, HitcountsMapObserver, MapObserver, StdMapObserver};
use libafl::state::HasExecutions;
use libafl_bolts::ToSlice;
use libafl_bolts::tuples::RefIndexable;
use wasmtime::Trap;

use super::compare::CompareObserver;
use super::judge::{Judge, Verdict};
use crate::target::{FuzzTarget, Report};

/// The edge map observer: bucketed hit counts over the guest's counters,
/// tracking the indices each input hits (for the corpus minimizer).
pub type EdgeObserver =
    ExplicitTracking<HitcountsMapObserver<StdMapObserver<'static, u8, false>>, true, false>;

/// Observers that take what they observe from a run's [`Report`].
pub trait Absorb {
    /// Copies what the observers watch out of `report`.
    fn absorb(&mut self, report: &Report);
}

impl Absorb for (EdgeObserver, ()) {
    fn absorb(&mut self, report: &Report) {
        // The observer was reset before the run: only the hit entries move.
        let map = self.0.as_mut();
        let usable = map.usable_count();
        for (i, &n) in report.coverage.iter().enumerate() {
            if n != 0 && i < usable {
                map.set(i, n);
            }
        }
    }
}

impl Absorb for (CompareObserver, ()) {
    fn absorb(&mut self, report: &Report) {
        self.0.set(&report.compares);
    }
}

/// The last finding a run produced, for the caller to report.
#[derive(Clone, Debug)]
pub struct LastFinding {
    /// What was found (one line).
    pub what: String,
    /// The input.
    pub input: Vec<u8>,
}

/// Runs a [`FuzzTarget`] for LibAFL.
pub struct GuestExecutor<OT> {
    target: Arc<FuzzTarget>,
    observers: OT,
    judge: Arc<Judge>,
    findings: Arc<Mutex<Vec<LastFinding>>>,
}

impl<OT> std::fmt::Debug for GuestExecutor<OT> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestExecutor")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl<OT> GuestExecutor<OT> {
    /// An executor of `target` whose runs `judge` decides, recording each
    /// finding in `findings`.
    pub fn new(
        target: Arc<FuzzTarget>,
        observers: OT,
        judge: Arc<Judge>,
        findings: Arc<Mutex<Vec<LastFinding>>>,
    ) -> Self {
        GuestExecutor {
            target,
            observers,
            judge,
            findings,
        }
    }
}

impl<OT> HasObservers for GuestExecutor<OT> {
    type Observers = OT;

    fn observers(&self) -> RefIndexable<&OT, OT> {
        RefIndexable::from(&self.observers)
    }

    fn observers_mut(&mut self) -> RefIndexable<&mut OT, OT> {
        RefIndexable::from(&mut self.observers)
    }
}

impl<EM, S, Z, OT> Executor<EM, BytesInput, S, Z> for GuestExecutor<OT>
where
    S: HasExecutions,
    OT: Absorb,
{
    fn run_target(
        &mut self,
        _fuzzer: &mut Z,
        state: &mut S,
        _mgr: &mut EM,
        input: &BytesInput,
    ) -> Result<ExitKind, Error> {
        *state.executions_mut() += 1;
        let owned = input.target_bytes();
        let bytes: &[u8] = owned.to_slice();
        let report = self
            .target
            .run(bytes)
            .map_err(|e| Error::illegal_state(format!("the harness failed: {e:#}")))?;
        self.observers.absorb(&report);
        let verdict = self.judge.verdict(&report);
        let kind = match &verdict {
            Verdict::Fine => return Ok(ExitKind::Ok),
            Verdict::Finding(_) if is_timeout(&report) => ExitKind::Timeout,
            Verdict::Finding(_) => ExitKind::Crash,
        };
        if let Verdict::Finding(what) = verdict {
            let mut findings = self.findings.lock().unwrap_or_else(|p| p.into_inner());
            findings.push(LastFinding {
                what,
                input: bytes.to_vec(),
            });
        }
        Ok(kind)
    }
}

/// Whether the run was stopped by its fuel or epoch bound.
fn is_timeout(report: &Report) -> bool {
    matches!(
        report.outcome,
        crate::target::Outcome::Trapped {
            trap: Some(Trap::OutOfFuel | Trap::Interrupt),
            ..
        }
    )
}
