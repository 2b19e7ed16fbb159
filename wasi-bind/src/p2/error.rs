//! Engine errors as `wasi:filesystem` error codes.

use strata_engine::Error;

use super::bindings::types::ErrorCode;

/// A `wasi:filesystem` error code for the guest, or a trap (a bad resource
/// handle, a full resource table).
#[derive(Debug)]
pub(crate) enum FsError {
    Code(ErrorCode),
    Trap(wasmtime::Error),
}

/// The result of a `wasi:filesystem` call.
pub(crate) type FsResult<T> = Result<T, FsError>;

impl FsError {
    /// The code for the guest, or the trap.
    pub(crate) fn into_code(self) -> wasmtime::Result<ErrorCode> {
        match self {
            FsError::Code(c) => Ok(c),
            FsError::Trap(e) => Err(e),
        }
    }
}

/// The code for an engine error: the WASI 0.2 names of the errno values the
/// preview 1 binding gives (see `crate::errno::from_engine`).
pub(crate) fn code(e: &Error) -> ErrorCode {
    match e {
        Error::NotFound => ErrorCode::NoEntry,
        Error::Exists => ErrorCode::Exist,
        Error::NotDir => ErrorCode::NotDirectory,
        Error::IsDir => ErrorCode::IsDirectory,
        Error::NotEmpty => ErrorCode::NotEmpty,
        Error::Escape => ErrorCode::NotPermitted,
        Error::Loop => ErrorCode::Loop,
        Error::NameTooLong => ErrorCode::NameTooLong,
        Error::InvalidName | Error::Invalid(_) => ErrorCode::Invalid,
        Error::BadHandle => ErrorCode::BadDescriptor,
        Error::NoSpace => ErrorCode::InsufficientSpace,
        // EMFILE has no `error-code`; wasmtime-wasi turns a host errno it has no
        // name for into `io`.
        Error::TooManyOpen => ErrorCode::Io,
        Error::ReadOnly | Error::NotPermitted => ErrorCode::NotPermitted,
        Error::TooBig => ErrorCode::FileTooLarge,
        Error::CrossDevice => ErrorCode::CrossDevice,
        Error::Busy => ErrorCode::Busy,
        Error::Lower(_) | Error::Internal(_) => ErrorCode::Io,
    }
}

impl From<ErrorCode> for FsError {
    fn from(c: ErrorCode) -> Self {
        FsError::Code(c)
    }
}

impl From<Error> for FsError {
    fn from(e: Error) -> Self {
        FsError::Code(code(&e))
    }
}

impl From<wasmtime::component::ResourceTableError> for FsError {
    fn from(e: wasmtime::component::ResourceTableError) -> Self {
        FsError::Trap(e.into())
    }
}
