//! Strata's filesystem engine: a persistent, copy-on-write overlay filesystem.
//!
//! - [`Fs`] is one writable filesystem: a read-only [`Lower`] layer (a host
//!   directory through [`HostLower`], or a frozen snapshot through
//!   [`FrozenLower`]) under an in-memory upper layer built of `imbl` persistent
//!   maps. Operations take POSIX-like paths relative to a directory [`Handle`].
//! - [`Snapshot`] is a filesystem state as an immutable `Send + Sync` value:
//!   [`Fs::snapshot`] and [`Fs::restore`] are O(1), and [`Fs::from_snapshot`]
//!   forks a new filesystem from one, from any thread.
//! - [`Handle`] is an open-file description (offset, flags, readdir cursor)
//!   shared by every duplicate of it.
//! - [`Error`] is the single error type; every case is documented with its errno.
//! - [`Config`] sets the limits; its byte quota charges the host memory the
//!   upper layer holds (names, inodes, chunk tables, data), and a [`Budget`]
//!   shares one total between several filesystems.
//!
//! Overlay semantics follow Linux overlayfs: whiteouts and opaque directories are
//! tree entries (never magic names), copy-up is lazy and per inode, a renamed
//! lower directory keeps its contents, and inode numbers are deterministic.
#![deny(missing_docs)]

mod budget;
mod clock;
mod config;
mod copy_up;
mod cost;
mod error;
mod fs;
mod inode;
mod layer;
mod name;
mod ofd;
mod ops;
mod overlay;
mod resolve;
mod tree;

pub use budget::Budget;
pub use clock::{Clock, HostClock, Timestamp, VirtualClock};
pub use config::Config;
pub use error::{Error, Result};
pub use fs::Fs;
pub use inode::{FileType, Ino};
pub use layer::{FrozenLower, HostLower, Lower, LowerEntry, LowerStat};
pub use name::{NAME_MAX, Name};
pub use ofd::{FdFlags, Handle, OpenFile};
pub use ops::{Dirent, OpenOptions, SeekFrom, SetTime};
pub use overlay::{DirEntry, Stat};
pub use tree::Snapshot;

/// Size of one chunk of file data: the unit of copy-on-write for file contents.
pub const CHUNK_SIZE: u64 = inode::CHUNK;
