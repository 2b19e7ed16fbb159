//! The crate's single error type: every way saving, loading or the store can fail.

use std::io;

use crate::format::Kind;
use crate::hash::Hash;

/// Every failure of this crate.
///
/// "Unsupported version", "corrupted object" and "missing object" are distinct
/// variants, each naming what it can: a corrupted object is reported with the
/// kind of object expected and its hash, never as a free-form string.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object was written by a format version this build cannot read.
    #[error(
        "unsupported snapshot format version {found} (this build reads 1..={})",
        crate::format::CURRENT_VERSION
    )]
    UnsupportedVersion {
        /// The version found in the object header.
        found: u16,
    },
    /// The object's bytes do not match its hash, or they do not decode to a
    /// valid object of the expected kind.
    #[error("corrupted {object} object {hash}: {what}")]
    Corrupted {
        /// The kind of object that was expected under this hash.
        object: Kind,
        /// The object's hash (its address in the store).
        hash: Hash,
        /// Which check failed.
        what: &'static str,
    },
    /// An object referenced by the snapshot is not in the store.
    #[error("missing object {hash}")]
    Missing {
        /// The hash of the missing object.
        hash: Hash,
    },
    /// A ref name that is not a plain name (letters, digits, `.`, `_`, `-`; not
    /// starting with `.`; at most 128 bytes).
    #[error("invalid ref name {0:?}")]
    InvalidRefName(String),
    /// No ref of that name exists.
    #[error("no ref named {0:?}")]
    NoSuchRef(String),
    /// A ref file does not hold a hash.
    #[error("ref {0:?} is damaged: it does not hold a hash")]
    BadRef(String),
    /// The tree does not fit the format's fixed bounds (a directory with too many
    /// entries, a file with too many chunks, too deep a tree) or the target
    /// filesystem's limits while loading.
    #[error("snapshot too large: {0}")]
    TooLarge(&'static str),
    /// The engine refused an operation while reading the source tree or
    /// rebuilding a loaded one.
    #[error("filesystem engine: {0}")]
    Engine(#[from] strata_engine::Error),
    /// A pack file inside the store (see `store`) is damaged: its index does
    /// not match its checksum or points outside the file.
    #[error("corrupted pack {pack} in the store: {what}")]
    CorruptedPack {
        /// The pack's file name.
        pack: String,
        /// Which check failed.
        what: &'static str,
    },
    /// A single-file snapshot pack (see `pack`/`unpack`) ends early.
    #[error("snapshot pack truncated: {0}")]
    TruncatedPack(&'static str),
    /// A single-file snapshot pack is not one, is damaged, or is incomplete.
    #[error("bad snapshot pack: {0}")]
    BadPack(&'static str),
    /// `cat`: no file, directory or symlink at this path in the snapshot.
    #[error("no such path in the snapshot: {0:?}")]
    NotFound(String),
    /// `cat`: the path names a directory, not a file.
    #[error("is a directory: {0:?}")]
    IsDir(String),
    /// `cat`: the path names (or passes through) a symlink, which is not followed.
    #[error("is a symlink (not followed): {0:?}")]
    IsSymlink(String),
    /// `compare_and_set_ref`: the ref no longer holds what the caller read
    /// (another process set or removed it meanwhile); nothing was changed.
    #[error(
        "ref {name:?} changed meanwhile: expected {}, found {}",
        show(expected),
        show(found)
    )]
    RefChanged {
        /// The ref's name.
        name: String,
        /// What the caller expected (`None`: no such ref).
        expected: Option<Hash>,
        /// What the ref holds now (`None`: it does not exist).
        found: Option<Hash>,
    },
    /// Taking or updating a lock file of the store failed.
    // Not a `source`: the message already holds it, and a chain printer
    // would repeat it.
    #[error("locking `{path}`: {err}")]
    Lock {
        /// The lock file (a full path for a store in a host directory).
        path: String,
        /// What the system said.
        err: io::Error,
    },
    /// The store's backing storage failed.
    #[error("store I/O: {0}")]
    Io(#[from] io::Error),
}

/// A ref's value in a message: its hash, or that it is absent.
fn show(h: &Option<Hash>) -> String {
    h.map_or_else(|| "no ref".to_owned(), |h| h.to_string())
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
