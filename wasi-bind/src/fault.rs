//! How a failed preview1 call ends: an errno the guest sees, or a trap for the embedder.
//!
//! The rule (WASI `legacy/tools/witx-docs.md#pointers`, and what wasmtime-wasi does):
//! an out-of-bounds, overflowing or misaligned guest pointer traps; everything else
//! the guest can recover from — bad flags, bad enum values, invalid UTF-8, a spent
//! copy budget — is an errno.

use crate::abi::Errno;

/// Why a call did not succeed.
#[derive(Debug)]
pub enum CallError {
    /// Return this errno to the guest.
    Errno(Errno),
    /// Stop the guest: the error reaches the embedder from `Func::call` and friends.
    Trap(wasmtime::Error),
}

/// Result of the body of a preview1 function.
pub type CallResult<T> = Result<T, CallError>;

impl From<Errno> for CallError {
    fn from(e: Errno) -> Self {
        CallError::Errno(e)
    }
}

impl From<wasmtime::Trap> for CallError {
    fn from(t: wasmtime::Trap) -> Self {
        CallError::Trap(wasmtime::Error::from(t))
    }
}

impl CallError {
    /// A trap for a pointer or range outside linear memory, or whose arithmetic overflows.
    pub(crate) fn out_of_bounds() -> Self {
        wasmtime::Trap::MemoryOutOfBounds.into()
    }

    /// A trap for a pointer that is not a multiple of its type's alignment.
    pub(crate) fn misaligned() -> Self {
        wasmtime::Trap::HeapMisaligned.into()
    }

    /// The errno, if this is one (handy in tests).
    pub fn errno(&self) -> Option<Errno> {
        match self {
            CallError::Errno(e) => Some(*e),
            CallError::Trap(_) => None,
        }
    }
}

/// Turns a call's outcome into what `func_wrap` returns: the errno as `i32`, or the trap.
pub(crate) fn finish(r: CallResult<()>) -> wasmtime::Result<i32> {
    match r {
        Ok(()) => Ok(i32::from(Errno::Success.raw())),
        Err(CallError::Errno(e)) => Ok(i32::from(e.raw())),
        Err(CallError::Trap(t)) => Err(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_becomes_its_raw_value() {
        assert_eq!(finish(Ok(())).unwrap(), 0);
        assert_eq!(finish(Err(Errno::Inval.into())).unwrap(), 28);
    }

    #[test]
    fn traps_stay_downcastable() {
        let err = finish(Err(CallError::out_of_bounds())).unwrap_err();
        assert_eq!(
            err.downcast_ref::<wasmtime::Trap>(),
            Some(&wasmtime::Trap::MemoryOutOfBounds)
        );
        let err = finish(Err(CallError::misaligned())).unwrap_err();
        assert_eq!(
            err.downcast_ref::<wasmtime::Trap>(),
            Some(&wasmtime::Trap::HeapMisaligned)
        );
    }
}
