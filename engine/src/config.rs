//! Limits and settings fixed when a filesystem is created.

use std::sync::Arc;

use crate::budget::Budget;
use crate::clock::{Clock, HostClock};

/// Settings of one filesystem; shared by every state forked from it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest number of bytes of host memory the upper layer may hold,
    /// as charged by the engine's cost model: file data (chunk buffers by
    /// capacity, with their headers and chunk tables), symlink targets,
    /// inode records, directories and every entry name (each hard link's
    /// too). Beyond it operations fail with `NoSpace`.
    pub max_bytes: u64,
    /// Largest number of inodes the upper layer may hold.
    pub max_inodes: u64,
    /// Largest number of simultaneously open handles (`TooManyOpen` beyond).
    pub max_open: usize,
    /// Paths (and symlink targets) of this many bytes or more fail with
    /// `NameTooLong`: like POSIX `PATH_MAX` the limit counts the terminating
    /// NUL, so the default 4096 accepts paths of up to 4095 bytes.
    pub max_path: usize,
    /// Symlink expansions allowed while resolving one path (POSIX `SYMLOOP_MAX`).
    pub max_symlinks: usize,
    /// Largest file size; offsets past it fail with `TooBig`.
    pub max_file_size: u64,
    /// Refuse every mutation with `ReadOnly`.
    pub read_only: bool,
    /// The clock that stamps inode times.
    pub clock: Arc<dyn Clock>,
    /// A total shared with other filesystems (the mounts of one run), on top
    /// of `max_bytes`; `None` for no shared total.
    pub total: Option<Arc<Budget>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_bytes: 1 << 30,
            max_inodes: 1 << 20,
            max_open: 1024,
            max_path: 4096,
            max_symlinks: 40,
            max_file_size: 1 << 42,
            read_only: false,
            clock: Arc::new(HostClock),
            total: None,
        }
    }
}
