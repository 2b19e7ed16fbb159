//! Content-addressed snapshots of Strata filesystems: encoding, store, save and load.
//!
//! - [`Store`] keeps objects named by their blake3 [`Hash`] and named refs, in a
//!   host directory ([`FsBackend`]) or any other [`Backend`] (such as the
//!   fault-injecting [`MemBackend`]); writes are atomic and reads verified.
//! - [`save`] and [`Saver`] turn an engine [`Snapshot`](strata_engine::Snapshot)
//!   into a Merkle DAG of chunk, file, directory and symlink objects under a
//!   [`Manifest`]; a `Saver` kept across saves hashes only what changed.
//! - [`load`] rebuilds a filesystem state from a manifest, checking every
//!   object: damaged input gives [`Error::Corrupted`], [`Error::Missing`] or
//!   [`Error::UnsupportedVersion`], never a panic.
//! - [`diff`](mod@diff) lists what changed between two saved snapshots, [`oci`] exports
//!   and imports OCI image-layer tars, and [`checkout`] writes a snapshot into
//!   a new host directory; [`apply`](mod@apply) writes what a snapshot changed
//!   against its parent onto an existing one, refusing on conflicts.
//! - [`pack`] and [`unpack`] move one snapshot with all its objects as a
//!   single verified file; [`cat`] reads one file of a stored snapshot.
//! - [`format`] documents the byte layout and its versions.
#![deny(missing_docs)]

pub mod apply;
mod cat;
pub mod checkout;
pub mod diff;
mod error;
mod fingerprint;
pub mod format;
mod hash;
mod load;
pub mod oci;
mod pack_file;
pub mod progress;
mod save;
pub mod stale;
mod store;

pub use cat::{MAX_CAT_LEN, cat, cat_to};
pub use diff::{Change, ChangeKind, diff};
pub use error::{Error, Result};
pub use fingerprint::fingerprint;
pub use format::{Kind, Manifest};
pub use hash::{Hash, ParseHashError};
pub use load::{load, load_with, read_manifest};
pub use pack_file::{PACK_FILE_MAGIC, PACK_FILE_VERSION_1, pack, unpack};
pub use progress::{NoProgress, Progress};
pub use save::{Saver, save};
pub use store::{
    AtomicWrite, Backend, Batch, CAS_LIMIT, DEFAULT_PACK_LIMIT, FsBackend, GcStats, LockFile,
    MAX_REF_LEN, MemBackend, RefLock, Store, StoreLock, TransferStats,
};
