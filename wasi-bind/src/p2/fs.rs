//! A mounted filesystem as WASI 0.2 descriptors and streams share it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use strata_engine::{Fs, Snapshot};

/// One mount's filesystem, shared by the context, every descriptor and every
/// stream opened on it (streams are separate `Send` resources in wasmtime-wasi's
/// table, so they cannot borrow it from the context).
///
/// The lock is never contended: one guest runs on one thread, and no call
/// holds it across another.
#[derive(Debug, Clone)]
pub(crate) struct SharedFs(Arc<Mutex<Fs>>);

impl SharedFs {
    pub(crate) fn new(fs: Fs) -> Self {
        SharedFs(Arc::new(Mutex::new(fs)))
    }

    /// The filesystem. A panic elsewhere cannot leave it half-changed (every
    /// engine operation applies completely or not at all), so a poisoned lock
    /// is still good.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Fs> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `a` and `b` are one filesystem.
    pub(crate) fn same(a: &SharedFs, b: &SharedFs) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        self.lock().snapshot()
    }
}
