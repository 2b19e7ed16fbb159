//! The clocks a guest reads: the host's, or virtual ones that advance in fixed steps.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::abi::{Errno, clockid};

/// How a context tells time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClockPolicy {
    /// The host's wall clock and a monotonic clock starting near zero.
    #[default]
    Host,
    /// Deterministic time: every clock read advances a virtual "now" by `step_ns`,
    /// and waiting in `poll_oneoff` jumps to the deadline instead of sleeping.
    Virtual {
        /// Realtime reads `epoch_ns + now`, in ns since 1970-01-01T00:00:00Z.
        epoch_ns: u64,
        /// How far one read advances the virtual clock (at least 1 ns).
        step_ns: u64,
    },
}

impl ClockPolicy {
    /// 2000-01-01T00:00:00Z: a fixed, plausible realtime start for virtual clocks.
    pub const DEFAULT_EPOCH_NS: u64 = 946_684_800 * 1_000_000_000;
    /// One millisecond per read.
    pub const DEFAULT_STEP_NS: u64 = 1_000_000;

    /// Virtual clocks from [`Self::DEFAULT_EPOCH_NS`] in steps of [`Self::DEFAULT_STEP_NS`].
    pub const fn virtual_default() -> Self {
        ClockPolicy::Virtual {
            epoch_ns: Self::DEFAULT_EPOCH_NS,
            step_ns: Self::DEFAULT_STEP_NS,
        }
    }
}

/// The live clock state of one context.
#[derive(Clone, Debug)]
pub(crate) struct Clocks {
    policy: ClockPolicy,
    /// Whether the CPU-time clock ids answer (see [`Clocks::now`]).
    cputime: bool,
    /// Origin of the host monotonic clock (and of the host cputime approximation).
    start: Instant,
    /// Virtual time in ns since the context was built.
    now: u64,
}

/// What `poll_oneoff` waits on: a deadline on the monotonic time line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Deadline(pub(crate) u64);

impl Clocks {
    pub(crate) fn new(policy: ClockPolicy, cputime: bool) -> Self {
        Self {
            policy,
            cputime,
            start: Instant::now(),
            now: 0,
        }
    }

    /// Checks a raw clock id: anything outside the witx enum is EINVAL (the
    /// argument does not decode); a CPU-time clock that is switched off is EBADF,
    /// which is what wasmtime-wasi answers for both, so the differential oracle's
    /// guests print the same under both runtimes.
    pub(crate) fn check_id(&self, id: u32) -> Result<u32, Errno> {
        match id {
            clockid::REALTIME | clockid::MONOTONIC => Ok(id),
            clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID if self.cputime => Ok(id),
            clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID => Err(Errno::Badf),
            _ => Err(Errno::Inval),
        }
    }

    /// The resolution of clock `id` in ns.
    pub(crate) fn resolution(&self, id: u32) -> Result<u64, Errno> {
        self.check_id(id)?;
        Ok(match self.policy {
            // Rust's `Instant` and `SystemTime` report nanoseconds on Linux.
            ClockPolicy::Host => 1,
            ClockPolicy::Virtual { step_ns, .. } => step_ns.max(1),
        })
    }

    /// Reads clock `id`, advancing virtual time by one step.
    ///
    /// When enabled, host CPU-time clocks are approximated by the time since the
    /// context was built: a guest is one thread that never runs before its context
    /// exists, so this bounds its CPU time from above and never goes backwards.
    pub(crate) fn now(&mut self, id: u32) -> Result<u64, Errno> {
        self.check_id(id)?;
        match self.policy {
            ClockPolicy::Host => match id {
                clockid::REALTIME => host_realtime(),
                _ => Ok(self.host_monotonic()),
            },
            ClockPolicy::Virtual { epoch_ns, step_ns } => {
                self.now = self.now.saturating_add(step_ns.max(1));
                match id {
                    clockid::REALTIME => Ok(epoch_ns.saturating_add(self.now)),
                    _ => Ok(self.now),
                }
            }
        }
    }

    fn host_monotonic(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Current monotonic time without advancing virtual time.
    pub(crate) fn monotonic_peek(&self) -> u64 {
        match self.policy {
            ClockPolicy::Host => self.host_monotonic(),
            ClockPolicy::Virtual { .. } => self.now,
        }
    }

    /// The monotonic deadline of a `subscription_clock`.
    ///
    /// Like wasmtime-wasi, only realtime and monotonic clocks can be waited on
    /// (EINVAL otherwise); an absolute realtime timeout becomes a relative wait.
    pub(crate) fn deadline(
        &self,
        id: u32,
        timeout: u64,
        absolute: bool,
    ) -> Result<Deadline, Errno> {
        let mono = self.monotonic_peek();
        let relative = match (id, absolute) {
            (clockid::REALTIME | clockid::MONOTONIC, false) => timeout,
            (clockid::MONOTONIC, true) => return Ok(Deadline(timeout)),
            (clockid::REALTIME, true) => {
                let wall = match self.policy {
                    ClockPolicy::Host => host_realtime()?,
                    ClockPolicy::Virtual { epoch_ns, .. } => epoch_ns.saturating_add(self.now),
                };
                timeout.saturating_sub(wall)
            }
            _ => return Err(Errno::Inval),
        };
        Ok(Deadline(mono.saturating_add(relative)))
    }

    /// True once monotonic time has reached `d`.
    pub(crate) fn expired(&self, d: Deadline) -> bool {
        self.monotonic_peek() >= d.0
    }

    /// Waits until `d`: a real sleep on the host clock, a jump on virtual clocks.
    pub(crate) fn wait_until(&mut self, d: Deadline) {
        match self.policy {
            ClockPolicy::Host => {
                // `sleep` may wake early on some platforms; loop until the deadline.
                loop {
                    let now = self.host_monotonic();
                    if now >= d.0 {
                        break;
                    }
                    std::thread::sleep(Duration::from_nanos(d.0 - now));
                }
            }
            ClockPolicy::Virtual { .. } => self.now = self.now.max(d.0),
        }
    }
}

/// Nanoseconds since the Unix epoch; a host clock before 1970 is EIO rather than a lie.
fn host_realtime() -> Result<u64, Errno> {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Errno::Io)?;
    u64::try_from(d.as_nanos()).map_err(|_| Errno::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clocks_step_per_read() {
        let policy = ClockPolicy::Virtual {
            epoch_ns: 1000,
            step_ns: 10,
        };
        let mut c = Clocks::new(policy, true);
        assert_eq!(c.now(clockid::MONOTONIC), Ok(10));
        assert_eq!(c.now(clockid::REALTIME), Ok(1020));
        assert_eq!(c.now(clockid::PROCESS_CPUTIME_ID), Ok(30));
        assert_eq!(c.now(clockid::THREAD_CPUTIME_ID), Ok(40));
        assert_eq!(c.resolution(clockid::REALTIME), Ok(10));
        assert_eq!(c.monotonic_peek(), 40);
    }

    #[test]
    fn unknown_clock_is_einval_and_disabled_cputime_is_ebadf() {
        let mut c = Clocks::new(ClockPolicy::Host, false);
        assert_eq!(c.now(4), Err(Errno::Inval));
        assert_eq!(c.resolution(u32::MAX), Err(Errno::Inval));
        assert_eq!(c.now(clockid::PROCESS_CPUTIME_ID), Err(Errno::Badf));
        assert_eq!(c.resolution(clockid::THREAD_CPUTIME_ID), Err(Errno::Badf));
        let mut on = Clocks::new(ClockPolicy::Host, true);
        assert!(on.now(clockid::THREAD_CPUTIME_ID).is_ok());
    }

    #[test]
    fn host_clocks_are_sane() {
        let mut c = Clocks::new(ClockPolicy::Host, false);
        let real = c.now(clockid::REALTIME).unwrap();
        assert!(real > 1_600_000_000 * 1_000_000_000, "after 2020");
        let a = c.now(clockid::MONOTONIC).unwrap();
        let b = c.now(clockid::MONOTONIC).unwrap();
        assert!(b >= a);
    }

    #[test]
    fn deadlines_and_virtual_waits() {
        let policy = ClockPolicy::Virtual {
            epoch_ns: 1000,
            step_ns: 1,
        };
        let mut c = Clocks::new(policy, false);
        let d = c.deadline(clockid::MONOTONIC, 500, false).unwrap();
        assert_eq!(d, Deadline(500));
        assert!(!c.expired(d));
        c.wait_until(d);
        assert!(c.expired(d));
        assert_eq!(
            c.deadline(clockid::REALTIME, 2000, true),
            Ok(Deadline(1000))
        );
        assert_eq!(
            c.deadline(clockid::REALTIME, 10, true),
            Ok(Deadline(500)),
            "past: now"
        );
        assert_eq!(c.deadline(clockid::MONOTONIC, 7, true), Ok(Deadline(7)));
        assert_eq!(
            c.deadline(clockid::PROCESS_CPUTIME_ID, 7, false),
            Err(Errno::Inval)
        );
    }

    #[test]
    fn host_wait_sleeps() {
        let mut c = Clocks::new(ClockPolicy::Host, false);
        let d = c.deadline(clockid::MONOTONIC, 2_000_000, false).unwrap();
        c.wait_until(d);
        assert!(c.expired(d));
    }
}
