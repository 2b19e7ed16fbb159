//! Progress reporting for long snapshot work (save, verify, export, checkout).
//!
//! The library never draws anything: it tells a [`Progress`] how much work
//! there is and how much is done, and the caller (the `strata` binary) decides
//! whether to show a bar. [`NoProgress`] ignores everything.

/// Receives progress of one long operation. Units are the operation's own
/// (bytes for save/export/checkout, objects for verify); `set_total` may be
/// called again when the total becomes better known.
pub trait Progress: Sync {
    /// The amount of work expected in all.
    fn set_total(&self, total: u64);
    /// `done` more units of work are finished.
    fn advance(&self, done: u64);
}

/// A [`Progress`] that discards every report.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_total(&self, _total: u64) {}
    fn advance(&self, _done: u64) {}
}
