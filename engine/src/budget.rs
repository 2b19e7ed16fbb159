//! `Budget`: a byte total that several filesystems draw on together.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// A byte budget shared by every filesystem whose [`Config`](crate::Config)
/// holds it (and every filesystem forked from those): the sum of their
/// charges (see [`Fs::charged_bytes`](crate::Fs::charged_bytes)) stays under
/// [`Budget::limit`], on top of each one's own `max_bytes`.
///
/// Each live [`Fs`](crate::Fs) counts its whole tree, shared or not: a fork
/// starts with its snapshot's charge, because it keeps all of that alive once
/// the snapshot and the other forks are gone. A fork is counted even when
/// that takes the total past the limit (forking cannot fail); its writes then
/// fail with `NoSpace` until enough is freed. Dropping a filesystem returns
/// its charge. [`Snapshot`](crate::Snapshot) values count against nothing:
/// the embedder decides how many to keep.
#[derive(Debug)]
pub struct Budget {
    limit: u64,
    used: AtomicU64,
}

impl Budget {
    /// A budget of `limit` bytes, none used.
    pub fn new(limit: u64) -> Budget {
        Budget {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// The most bytes the filesystems sharing it may hold together.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes charged now by the live filesystems sharing it.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Bytes still available.
    pub(crate) fn available(&self) -> u64 {
        self.limit.saturating_sub(self.used())
    }

    /// `NoSpace` unless `n` more bytes fit now.
    pub(crate) fn check(&self, n: u64) -> Result<()> {
        if n > self.available() {
            Err(Error::NoSpace)
        } else {
            Ok(())
        }
    }

    /// Counts `n` more bytes, even past the limit (callers check first).
    pub(crate) fn add(&self, n: u64) {
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_add(n))
            });
    }

    /// Returns `n` bytes.
    pub(crate) fn sub(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }
}
