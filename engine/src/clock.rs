//! Injectable time: the host clock, or a deterministic virtual clock.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time: nanoseconds since the Unix epoch.
pub type Timestamp = u64;

/// Source of the timestamps the engine stamps on inodes.
///
/// `tick` is a counter kept inside the filesystem state and advanced on every
/// stamp, so a clock that derives time from it alone makes identical operation
/// sequences over the same starting snapshot produce identical trees.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The time to stamp, given the state's logical tick.
    fn now(&self, tick: u64) -> Timestamp;
}

/// The host's real-time clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostClock;

impl Clock for HostClock {
    fn now(&self, _tick: u64) -> Timestamp {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A deterministic clock: `start + tick * step`.
#[derive(Debug, Clone, Copy)]
pub struct VirtualClock {
    /// Time of tick 0.
    pub start: Timestamp,
    /// Nanoseconds between consecutive ticks.
    pub step: u64,
}

impl Default for VirtualClock {
    /// 2000-01-01T00:00:00Z, advancing one microsecond per stamp.
    fn default() -> Self {
        VirtualClock {
            start: 946_684_800_000_000_000,
            step: 1_000,
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self, tick: u64) -> Timestamp {
        self.start.saturating_add(tick.saturating_mul(self.step))
    }
}
