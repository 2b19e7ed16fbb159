//! The only errno tables: engine errors and host stdio errors to WASI errno.

use std::io;

use strata_engine::Error;

use crate::abi::Errno;
use crate::fault::CallError;

/// Maps an engine error to the errno the guest sees.
///
/// The match has no catch-all arm on purpose: a new engine variant fails to compile
/// here until someone decides its errno.
pub fn from_engine(e: &Error) -> Errno {
    match e {
        Error::NotFound => Errno::Noent,
        Error::Exists => Errno::Exist,
        Error::NotDir => Errno::Notdir,
        Error::IsDir => Errno::Isdir,
        Error::NotEmpty => Errno::Notempty,
        // A path leaving its preopen: wasmtime-wasi on a real directory answers
        // EPERM (cap-std's "a path led outside of the filesystem" is a permission
        // error, and wasi:filesystem names it `not-permitted`). Guests must print
        // the same under both, so EPERM it is.
        Error::Escape => Errno::Perm,
        Error::Loop => Errno::Loop,
        Error::NameTooLong => Errno::Nametoolong,
        // A NUL inside a name can never be a valid path on any host: EINVAL, as
        // cap-std and POSIX (`open` on an embedded NUL cannot even be expressed).
        Error::InvalidName => Errno::Inval,
        Error::Invalid(_) => Errno::Inval,
        // The engine's handle lacks the access mode: POSIX `read(2)` on a
        // write-only descriptor is EBADF, and so is file I/O on a directory handle
        // in preview1 (wasmtime-wasi does the same).
        Error::BadHandle => Errno::Badf,
        Error::NoSpace => Errno::Nospc,
        // Per-context fd cap: EMFILE (per process), not ENFILE (system-wide).
        Error::TooManyOpen => Errno::Mfile,
        // A mutation on a read-only mount (`--ro-dir`): wasmtime-wasi refuses
        // those with `not-permitted`, i.e. EPERM.
        Error::ReadOnly => Errno::Perm,
        Error::TooBig => Errno::Fbig,
        Error::NotPermitted => Errno::Perm,
        Error::CrossDevice => Errno::Xdev,
        Error::Busy => Errno::Busy,
        // The host tree failed underneath us; the guest cannot act on the host's
        // reason, and leaking host errno values would make runs machine-dependent.
        Error::Lower(_) => Errno::Io,
        Error::Internal(_) => Errno::Io,
    }
}

impl From<Error> for CallError {
    fn from(e: Error) -> Self {
        CallError::Errno(from_engine(&e))
    }
}

/// Maps a host I/O error from inherited stdio to an errno.
///
/// `io::ErrorKind` is non-exhaustive, so unlike [`from_engine`] this table must end
/// in a fallback: anything unnamed is EIO.
pub fn from_io(e: &io::Error) -> Errno {
    use io::ErrorKind as K;
    match e.kind() {
        K::BrokenPipe => Errno::Pipe,
        K::WouldBlock => Errno::Again,
        K::Interrupted => Errno::Intr,
        K::PermissionDenied => Errno::Acces,
        K::NotFound => Errno::Noent,
        K::InvalidInput => Errno::Inval,
        K::OutOfMemory => Errno::Nomem,
        K::Unsupported => Errno::Notsup,
        K::StorageFull => Errno::Nospc,
        K::FileTooLarge => Errno::Fbig,
        K::ReadOnlyFilesystem => Errno::Rofs,
        K::ConnectionReset => Errno::Connreset,
        K::NotConnected => Errno::Notconn,
        K::TimedOut => Errno::Timedout,
        _ => Errno::Io,
    }
}

impl From<io::Error> for CallError {
    fn from(e: io::Error) -> Self {
        CallError::Errno(from_io(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_table() {
        let cases = [
            (Error::NotFound, Errno::Noent),
            (Error::Exists, Errno::Exist),
            (Error::NotDir, Errno::Notdir),
            (Error::IsDir, Errno::Isdir),
            (Error::NotEmpty, Errno::Notempty),
            (Error::Escape, Errno::Perm),
            (Error::Loop, Errno::Loop),
            (Error::NameTooLong, Errno::Nametoolong),
            (Error::InvalidName, Errno::Inval),
            (Error::Invalid("x"), Errno::Inval),
            (Error::BadHandle, Errno::Badf),
            (Error::NoSpace, Errno::Nospc),
            (Error::TooManyOpen, Errno::Mfile),
            (Error::ReadOnly, Errno::Perm),
            (Error::TooBig, Errno::Fbig),
            (Error::NotPermitted, Errno::Perm),
            (Error::CrossDevice, Errno::Xdev),
            (Error::Busy, Errno::Busy),
            (Error::Lower(io::Error::other("disk")), Errno::Io),
        ];
        for (e, want) in cases {
            assert_eq!(from_engine(&e), want, "{e:?}");
            assert_eq!(CallError::from(e).errno(), Some(want));
        }
    }

    #[test]
    fn io_table() {
        assert_eq!(
            from_io(&io::Error::from(io::ErrorKind::BrokenPipe)),
            Errno::Pipe
        );
        assert_eq!(
            from_io(&io::Error::from(io::ErrorKind::WouldBlock)),
            Errno::Again
        );
        assert_eq!(from_io(&io::Error::other("?")), Errno::Io);
    }
}
