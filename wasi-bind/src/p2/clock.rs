//! `wasi:clocks/monotonic-clock`: the host's, or the virtual clock of
//! deterministic mode, whose waits jump ahead instead of sleeping (as
//! preview 1's `poll_oneoff` does), so a run that sleeps takes no time and
//! sees the same times on every run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};

use super::bindings::monotonic_clock::{self, Duration as WasiDuration, Instant as WasiInstant};

/// A context's monotonic clock.
#[derive(Debug, Clone)]
pub(crate) enum Monotonic {
    /// Nanoseconds since the context was built.
    Host(Instant),
    /// Virtual time shared with the virtual wall clock: every read advances
    /// it by `step`, and a wait moves it to the deadline.
    Virtual { now: Arc<AtomicU64>, step: u64 },
}

impl Monotonic {
    fn now(&self) -> u64 {
        match self {
            Monotonic::Host(start) => u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX),
            Monotonic::Virtual { now, step } => now
                .fetch_add(*step, Ordering::Relaxed)
                .saturating_add(*step),
        }
    }

    /// A pollable ready at monotonic time `when`.
    fn until(&self, when: u64) -> Deadline {
        match self {
            Monotonic::Host(start) => Deadline::Host(tokio::time::Instant::from_std(
                *start + Duration::from_nanos(when),
            )),
            Monotonic::Virtual { now, .. } => Deadline::Virtual {
                now: now.clone(),
                when,
            },
        }
    }
}

/// What the monotonic-clock host functions see of the store's data.
pub(crate) struct ClockView<'a> {
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) clock: &'a Monotonic,
}

/// A wait on the monotonic clock.
#[derive(Debug)]
enum Deadline {
    Host(tokio::time::Instant),
    Virtual { now: Arc<AtomicU64>, when: u64 },
}

#[wasmtime_wasi::async_trait]
impl Pollable for Deadline {
    async fn ready(&mut self) {
        match self {
            Deadline::Host(at) => tokio::time::sleep_until(*at).await,
            Deadline::Virtual { now, when } => {
                now.fetch_max(*when, Ordering::Relaxed);
            }
        }
    }
}

impl monotonic_clock::Host for ClockView<'_> {
    fn now(&mut self) -> wasmtime::Result<WasiInstant> {
        Ok(self.clock.now())
    }

    fn resolution(&mut self) -> wasmtime::Result<WasiInstant> {
        Ok(match self.clock {
            Monotonic::Host(_) => 1,
            Monotonic::Virtual { step, .. } => *step,
        })
    }

    fn subscribe_instant(&mut self, when: WasiInstant) -> wasmtime::Result<Resource<DynPollable>> {
        let d = self.table.push(self.clock.until(when))?;
        subscribe(self.table, d)
    }

    fn subscribe_duration(
        &mut self,
        duration: WasiDuration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let when = self.clock.now().saturating_add(duration);
        let d = self.table.push(self.clock.until(when))?;
        subscribe(self.table, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on(d: &mut Deadline) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(d.ready());
    }

    #[test]
    fn virtual_reads_step_and_waits_jump_to_the_deadline() {
        let m = Monotonic::Virtual {
            now: Arc::new(AtomicU64::new(0)),
            step: 10,
        };
        assert_eq!(m.now(), 10);
        assert_eq!(m.now(), 20);
        // Five virtual seconds pass at once, and later reads go on from there.
        let mut d = m.until(5_000_000_000);
        block_on(&mut d);
        assert_eq!(m.now(), 5_000_000_010);
        // A deadline in the past moves nothing back.
        let mut past = m.until(7);
        block_on(&mut past);
        assert_eq!(m.now(), 5_000_000_020);
    }

    #[test]
    fn host_waits_end() {
        let m = Monotonic::Host(Instant::now());
        let mut d = m.until(m.now() + 1_000);
        block_on(&mut d);
        assert!(m.now() >= 1_000);
    }
}
