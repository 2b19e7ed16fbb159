//! The engine's single error type: every way an operation can fail.

use std::io;

/// Every failure an engine operation can report.
///
/// The set is closed: bindings map each variant to an errno exhaustively, so adding
/// a variant is a deliberate, compile-checked change everywhere it is surfaced.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path component does not exist (ENOENT).
    #[error("no such file or directory")]
    NotFound,
    /// The target name already exists (EEXIST).
    #[error("file exists")]
    Exists,
    /// A component used as a directory is not one, or a trailing slash follows a
    /// non-directory (ENOTDIR).
    #[error("not a directory")]
    NotDir,
    /// A directory was given where a non-directory is required (EISDIR).
    #[error("is a directory")]
    IsDir,
    /// A directory to remove or replace still has entries (ENOTEMPTY).
    #[error("directory not empty")]
    NotEmpty,
    /// The path leaves the directory it is resolved in: `..` above the base, an
    /// absolute path or an absolute symlink target (EPERM, as wasmtime-wasi
    /// answers on a real directory).
    #[error("path escapes its base directory")]
    Escape,
    /// More symlink expansions than the configured limit (ELOOP), or `O_NOFOLLOW`
    /// met a symlink in the final component.
    #[error("too many levels of symbolic links")]
    Loop,
    /// A name longer than 255 bytes or a path longer than the configured limit
    /// (ENAMETOOLONG).
    #[error("file name too long")]
    NameTooLong,
    /// A name or path contains a NUL byte (EINVAL).
    #[error("invalid name: contains NUL")]
    InvalidName,
    /// An argument is out of its domain: a negative seek, `rename` of a directory
    /// into itself, `readlink` of a non-symlink (EINVAL).
    #[error("invalid argument: {0}")]
    Invalid(&'static str),
    /// The handle does not allow the operation: writing a read-only handle, reading
    /// a write-only one, or file I/O on a directory handle (EBADF).
    #[error("bad file handle for this operation")]
    BadHandle,
    /// The upper layer's byte or inode quota would be exceeded (ENOSPC).
    #[error("no space left in the upper layer")]
    NoSpace,
    /// The configured number of open handles is reached (EMFILE).
    #[error("too many open files")]
    TooManyOpen,
    /// The filesystem is mounted read-only (EPERM, as wasmtime-wasi answers on a
    /// read-only preopen).
    #[error("read-only filesystem")]
    ReadOnly,
    /// An offset or size beyond the largest supported file (EFBIG).
    #[error("file too large")]
    TooBig,
    /// An operation the object type forbids: hard-linking a directory, removing the
    /// root (EPERM).
    #[error("operation not permitted")]
    NotPermitted,
    /// The operation would move an entry between two different filesystems (EXDEV).
    #[error("cross-device link")]
    CrossDevice,
    /// The root directory or a mount point cannot be renamed or removed (EBUSY).
    #[error("resource busy")]
    Busy,
    /// The lower layer failed to read from the host (EIO).
    #[error("lower layer I/O error: {0}")]
    Lower(#[source] io::Error),
    /// An operation found the state breaking one of the engine's own rules
    /// (a bug, never the caller's doing); the operation changed nothing (EIO).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Result alias for engine operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
