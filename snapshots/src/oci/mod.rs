//! OCI image-layer tar streams: [`export`] a snapshot (whole or its changes) and [`import`] a layer into the engine.
//!
//! The layer format follows the OCI image specification's layer changesets:
//! a tar archive (POSIX ustar with PAX extended headers) whose entries are
//! the added or changed files, with a removed name `N` in directory `D`
//! written as an empty file `D/.wh.N` and a directory whose lower contents are
//! all hidden marked by an empty file `D/.wh..wh..opq`.
//!
//! Export is deterministic: the same snapshot gives the same bytes on every
//! machine (entries in tree order, owner 0:0 with no user or group names,
//! permissions and times from the snapshot, nanosecond times and long names
//! in PAX records, holes written as zeros).
//!
//! Import never touches the host: it applies the layer to an engine
//! filesystem, optionally on top of a base state, and refuses hostile
//! archives (see [`import`]).

mod export;
mod import;
pub(crate) mod plan;
mod tarfmt;

pub use export::{ExportStats, export};
pub use import::{ImportOptions, SpecialFiles, import};

/// Prefix of a whiteout entry's name (`.wh.NAME` hides `NAME`).
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the opaque-directory marker.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Every way exporting or importing a layer can fail.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// Reading the snapshot from the store failed.
    #[error(transparent)]
    Snapshot(#[from] crate::Error),
    /// Reading or writing the tar stream failed, or it is not a tar archive.
    #[error("layer archive I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A name in the snapshot cannot be written in a layer (it would read
    /// back as a whiteout).
    #[error("{path:?} cannot be represented in an OCI layer: {why}")]
    Unrepresentable {
        /// The offending path.
        path: String,
        /// Why.
        why: &'static str,
    },
    /// The archive holds an entry a layer may not contain: an absolute path, a
    /// `..` component, a hard link leaving the tree, a device file when those
    /// are refused, an oversized extension header.
    #[error("refused layer entry {path:?}: {why}")]
    Hostile {
        /// The entry's path as written in the archive (lossily decoded).
        path: String,
        /// Which rule it broke.
        why: &'static str,
    },
    /// The engine refused to apply an entry (a quota, for instance).
    #[error("applying layer entry {path:?}: {source}")]
    Engine {
        /// The entry's path.
        path: String,
        /// The engine's error.
        source: strata_engine::Error,
    },
}

/// Result alias for layer export and import.
pub type OciResult<T> = std::result::Result<T, OciError>;
