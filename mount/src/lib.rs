//! A read-only FUSE view of a saved Strata snapshot, served straight from the store.
//!
//! - [`serve`] mounts a snapshot at a directory and answers the kernel until
//!   the mount goes away (`fusermount3 -u`, or SIGINT/SIGTERM/SIGHUP, which
//!   unmount it).
//! - [`SnapshotFs`] is the [`fuser::Filesystem`] behind it: directories list
//!   in name order, files read chunk by chunk (a small cache of decoded
//!   chunks, never a whole file in memory), symlinks, hard links as one
//!   inode with its link count, and the saved sizes, modes and times. Every
//!   change fails with EROFS.
//!
//! Only the `strata` binary depends on this crate, so the library crates do
//! not pull in FUSE.
#![deny(missing_docs)]

mod fs;
mod read;
mod session;
mod tree;

pub use fs::SnapshotFs;
pub use session::{MountError, detach_stdio, serve};
